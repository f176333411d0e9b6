//! Every black-box suite on AWS (DynamoDB, S3, SQS in the moto emulator), linked as one test
//! binary: the contract suites and the adapter smoke tests. All `#[ignore]`d; `infra/test.sh`
//! runs them with the emulator up.

mod api_aws;
mod aws_smoke;
mod billing_aws;
mod discovery_aws;
mod jobs_aws;
mod keys_aws;
mod leads_aws;
mod members_aws;
mod operators_aws;
mod ports_aws;
mod probe_aws;
mod research_aws;
mod webhooks_aws;
