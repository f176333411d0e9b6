//! The job-execution contract on the embedded store, the worker polling the SQLite queue.

use quarry_tests::server::TestServer;

quarry_tests::jobs_suite!(fixture = TestServer::embedded().await);
