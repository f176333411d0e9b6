//! The operator contract (limit overrides, deleting an organization) on the embedded store.

use quarry_tests::server::TestServer;

quarry_tests::operators_suite!(fixture = TestServer::embedded_manual().await);
