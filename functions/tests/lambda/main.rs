//! The Lambda entries and the SAM template, linked as one test binary.

mod account_lambda;
mod openapi_snapshot;
mod research_lambda;
mod template_routes;

/// The Lambda runtime provides credentials through the environment; so do the tests that run
/// the entries. They share this process, so the variables are set once, by whichever test comes
/// first, and never while another test may be reading the environment.
fn aws_credentials_in_env() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        std::env::set_var("AWS_ACCESS_KEY_ID", "test");
        std::env::set_var("AWS_SECRET_ACCESS_KEY", "test");
    });
}
