//! The HTTP contract on the embedded store.

use quarry_tests::server::TestServer;

quarry_tests::api_suite!(fixture = TestServer::embedded_manual().await);
