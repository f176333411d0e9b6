//! The members contract on AWS (DynamoDB, S3, SQS in the moto emulator), on a manual clock.

use quarry_tests::server::TestServer;

quarry_tests::members_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws_manual().await
);
