//! The planner: turns a research conversation into a plan of typed steps with a credit estimate
//! and a structured reading of the request ([`Criteria`]).
//!
//! The default [`RulePlanner`] is deterministic and rule-based. An optional [`LlmPlanner`]
//! (any OpenAI-compatible chat-completions endpoint, configured by [`LlmConfig`]) drafts plans
//! too; its answers are validated against the same schema and it falls back to the rules on any
//! failure. Nothing here touches storage or HTTP: the endpoint groups call [`Planner::plan`].

mod criteria;
mod llm;
mod model;
mod rules;

pub use criteria::*;
pub use llm::{from_config, LlmConfig, LlmPlanner};
pub use model::*;
pub use rules::lookup::{country_code, industry_slug, read_title, region_cities, region_name, region_of_city};
pub use rules::RulePlanner;
