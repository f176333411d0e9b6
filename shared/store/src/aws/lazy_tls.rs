//! The SDK's default HTTPS client, with its TLS set-up moved from client construction to the
//! first request.
//!
//! Why: the default client builds a connector (loading every native root certificate from
//! `/etc/ssl/certs` and building a rustls configuration) in `validate_base_client_config`, that
//! is once for each SDK client constructed, at construction. A Lambda builds three clients at
//! its cold start, and many of its requests (`/openapi.json`, a rejected key's 401 aside, every
//! route that fails validation) never call AWS. [`DeferredTls`] forwards everything to the same
//! default client except that warm-up, so the connector is built, once per settings and cached
//! by the inner client, when the first AWS call asks for it.

use aws_sdk_dynamodb::config::ConfigBag;
use aws_smithy_runtime::client::defaults::default_http_client_plugin_v2;
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::behavior_version::BehaviorVersion;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpClient, HttpConnectorSettings, SharedHttpClient, SharedHttpConnector};
use aws_smithy_runtime_api::client::runtime_components::{RuntimeComponents, RuntimeComponentsBuilder};
use aws_smithy_runtime_api::client::runtime_plugin::RuntimePlugin;

/// The default HTTPS client without its construction-time warm-up.
#[derive(Debug, Clone)]
pub struct DeferredTls(SharedHttpClient);

impl DeferredTls {
    /// The client the SDK would choose by default for `BehaviorVersion::latest()`; `None` when
    /// the build has no default HTTPS client (then the SDK's own default applies, as before).
    pub fn default_client() -> Option<SharedHttpClient> {
        let plugin = default_http_client_plugin_v2(BehaviorVersion::latest())?;
        let inner = plugin.runtime_components(&RuntimeComponentsBuilder::new("quarry-deferred-tls")).http_client()?;
        Some(SharedHttpClient::new(DeferredTls(inner)))
    }
}

impl HttpClient for DeferredTls {
    fn http_connector(&self, settings: &HttpConnectorSettings, components: &RuntimeComponents) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    /// Deliberately not forwarded: the inner client's version only builds a connector early.
    fn validate_base_client_config(&self, _: &RuntimeComponentsBuilder, _: &ConfigBag) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(&self, components: &RuntimeComponents, cfg: &ConfigBag) -> Result<(), BoxError> {
        self.0.validate_final_config(components, cfg)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}
