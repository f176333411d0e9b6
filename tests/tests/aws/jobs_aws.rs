//! The job-execution contract on AWS (DynamoDB, S3, SQS in the moto emulator), the worker driven
//! from SQS.

use quarry_tests::server::TestServer;

quarry_tests::jobs_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws().await
);
