//! The scrape and lead-store contract on the embedded store, the worker polling the SQLite queue.

use quarry_tests::server::TestServer;

quarry_tests::leads_suite!(fixture = TestServer::embedded().await);
