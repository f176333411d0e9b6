//! The webhooks contract on the embedded store: the local worker fans events out and delivers
//! them to a receiver on loopback; a manual clock drives the retry schedule.

use quarry_tests::server::TestServer;

quarry_tests::webhooks_suite!(fixture = TestServer::embedded_manual().await);
