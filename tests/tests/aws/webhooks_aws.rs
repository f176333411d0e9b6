//! The webhooks contract on AWS (DynamoDB, S3, SQS in the moto emulator): deliveries are driven
//! from the SQS deliveries queue; a manual clock drives the retry schedule through the table.

use quarry_tests::server::TestServer;

quarry_tests::webhooks_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws_manual().await
);
