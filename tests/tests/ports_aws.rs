//! The port contract suites on the AWS adapters (DynamoDB, S3, SQS) against the moto emulator.
//! Ignored by plain `cargo test`; `infra/test.sh` runs them with the emulator up.

use quarry_shared::clock::ManualClock;
use quarry_tests::contract::queue::QueueFixture;
use quarry_tests::contract::table::TableFixture;
use quarry_tests::contract_tests;
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
    use quarry_tests::contract::table as suite;
    contract_tests!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        suite = suite,
        fixture = table_fixture().await,
        tests = [
            put_get_roundtrips_json,
            conditional_writes_conflict,
            only_one_of_concurrent_creators_wins,
            update_sets_removes_and_adds,
            counters_add_atomically,
            counter_stays_within_bound,
            delete_returns_the_old_item,
            query_pages_in_order,
            secondary_index_pages_in_order,
            foreign_cursors_are_rejected,
            transactions_are_all_or_nothing,
            expired_items_are_never_returned,
            reserved_attributes_are_checked,
        ]
    );
}

mod queue {
    use super::*;
    use quarry_tests::contract::queue as suite;
    contract_tests!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        suite = suite,
        fixture = queue_fixture().await,
        tests =
            [send_receive_delete, delayed_messages_wait, unacknowledged_messages_come_back, poison_messages_move_to_the_dead_letter_queue]
    );
}

mod blobs {
    use super::*;
    use quarry_tests::contract::blobs as suite;
    contract_tests!(
        #[ignore = "needs the AWS emulator: run infra/test.sh"]
        suite = suite,
        fixture = moto::fresh_bucket(ManualClock::new()).await,
        tests = [put_get_delete, signed_url_downloads_without_credentials]
    );
}
