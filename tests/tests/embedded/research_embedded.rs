//! The research-conversation contract on the embedded store.

use quarry_tests::server::TestServer;

quarry_tests::research_suite!(fixture = TestServer::embedded_manual().await);
