//! Every black-box suite that needs no AWS emulator, linked as one test binary: the contract
//! suites on the embedded store, crash safety of jobs and webhook deliveries, the LLM planner.
//! Run it alone with `cargo test -p quarry-tests --test embedded`.

mod api_embedded;
mod billing_embedded;
mod discovery_embedded;
mod job_crashes;
mod job_progress;
mod jobs_embedded;
mod keys_embedded;
mod leads_embedded;
mod llm_planner;
mod members_embedded;
mod operators_embedded;
mod ports_embedded;
mod probe_embedded;
mod research_embedded;
mod webhook_crashes;
mod webhooks_embedded;
