//! The operator contract (limit overrides, deleting an organization) on AWS (DynamoDB, S3, SQS
//! in the moto emulator).

use quarry_tests::server::TestServer;

quarry_tests::operators_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws_manual().await
);
