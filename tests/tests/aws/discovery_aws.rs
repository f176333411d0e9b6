//! Live discovery from open data on AWS (DynamoDB, S3, SQS in the moto emulator), against
//! loopback stand-ins.

use quarry_tests::server::Backend;

quarry_tests::discovery_suite!(
    #[ignore = "needs the AWS emulator: run infra/test.sh"]
    fixture = Backend::Aws
);
