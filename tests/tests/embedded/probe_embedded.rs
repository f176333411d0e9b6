//! What the outside probe found, on the embedded store.

use quarry_tests::server::TestServer;

quarry_tests::probe_suite!(fixture = TestServer::embedded_manual().await);
