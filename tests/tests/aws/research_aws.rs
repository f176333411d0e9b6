//! The research-conversation contract on AWS (DynamoDB, S3, SQS in the moto emulator), with the
//! step worker driven from SQS.

use quarry_tests::server::TestServer;

quarry_tests::research_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = TestServer::aws_manual().await
);
