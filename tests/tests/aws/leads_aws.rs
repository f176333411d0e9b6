//! The scrape and lead-store contract on AWS (DynamoDB, S3, SQS in the moto emulator), the worker
//! driven from SQS.

use quarry_tests::server::TestServer;

quarry_tests::leads_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws().await
);
