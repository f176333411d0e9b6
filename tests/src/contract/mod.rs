//! Port contract suites: each function states one behaviour the domain relies on and checks it
//! against any adapter. `tests/ports_embedded.rs` runs them on SQLite and files;
//! `tests/ports_aws.rs` runs the same functions on DynamoDB, S3 and SQS (moto).

pub mod api;
pub mod blobs;
pub mod queue;
pub mod table;

/// Instantiates contract functions as `#[tokio::test]`s over a fixture expression.
/// `$suite` is a module in scope holding the functions; `$fixture` is evaluated per test and
/// yields the argument the functions take.
#[macro_export]
macro_rules! contract_tests {
    ($(#[$attr:meta])* suite = $suite:ident, fixture = $fixture:expr, tests = [$($name:ident),* $(,)?]) => {
        $crate::contract_tests!(@each [$(#[$attr])*] $suite, $fixture, [$($name),*]);
    };
    (@each [$($attrs:tt)*] $suite:ident, $fixture:expr, []) => {};
    (@each [$($attrs:tt)*] $suite:ident, $fixture:expr, [$name:ident $(, $rest:ident)*]) => {
        $($attrs)*
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            let fixture = $fixture;
            $suite::$name(fixture).await;
        }
        $crate::contract_tests!(@each [$($attrs)*] $suite, $fixture, [$($rest),*]);
    };
}
