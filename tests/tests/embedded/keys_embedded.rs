//! Key rotation and artifact sharing on the embedded store.

use quarry_tests::server::TestServer;

quarry_tests::keys_suite!(fixture = TestServer::embedded_manual().await);
