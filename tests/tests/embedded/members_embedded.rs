//! The members contract on the embedded store, on a manual clock.

use quarry_tests::server::TestServer;

quarry_tests::members_suite!(fixture = TestServer::embedded_manual().await);
