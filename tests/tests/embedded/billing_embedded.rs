//! The credits contract (ledger, usage, budgets, alerts) on the embedded store, on a manual clock.

use quarry_tests::server::TestServer;

quarry_tests::billing_suite!(fixture = TestServer::embedded_manual().await);
