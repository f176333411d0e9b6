//! The port contract suites on the AWS adapters (DynamoDB, S3, SQS) against the moto emulator.
//! Ignored by plain `cargo test`; `infra/test.sh` runs them with the emulator up.

use quarry_ports::clock::ManualClock;
use quarry_tests::contract::queue::QueueFixture;
use quarry_tests::contract::table::TableFixture;
use quarry_tests::moto;

async fn table_fixture() -> TableFixture {
    let clock = ManualClock::new();
    TableFixture { table: moto::fresh_table(clock.clone()).await, clock }
}

async fn queue_fixture() -> QueueFixture {
    let (queue, dead_letters) = moto::fresh_queue_with_dlq(3).await;
    QueueFixture { queue, dead_letters, max_receives: 3 }
}

mod table {
    use super::*;
    quarry_tests::table_suite!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        fixture = table_fixture().await
    );
}

mod queue {
    use super::*;
    quarry_tests::queue_suite!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        fixture = queue_fixture().await
    );
}

mod blobs {
    use super::*;
    quarry_tests::blobs_suite!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        fixture = moto::fresh_bucket(ManualClock::new()).await
    );
}
