//! Webhooks: the organization's endpoints ([`endpoints`]), signing ([`signing`]), and the
//! delivery of every catalog event to them with retries ([`deliveries`]).
//!
//! Events reach endpoints in three hops, each safe to repeat: the change and its event are one
//! transaction (the event enters an outbox); the step worker fans the outbox out into one delivery
//! record per subscribed endpoint; the `webhook-dispatcher` POSTs each delivery, retrying on the
//! published schedule. The `scheduler` sweeps the outbox and releases held retries every minute,
//! so a lost message delays a delivery but never loses it.

pub mod deliveries;
pub mod endpoints;
pub mod signing;

pub use deliveries::{Deliveries, Delivery, DeliveryStatus};
pub use endpoints::{Endpoint, EndpointPatch, EndpointWithSecret, Endpoints, NewEndpoint};
