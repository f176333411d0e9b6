//! Port contract suites: each function states one behaviour the domain relies on and checks it
//! against any adapter. `tests/embedded/ports_embedded.rs` runs them on SQLite and files;
//! `tests/aws/ports_aws.rs` runs the same functions on DynamoDB, S3 and SQS (moto).

pub mod api;
pub mod billing;
pub mod blobs;
pub mod discovery;
pub mod jobs;
pub mod keys;
pub mod leads;
pub mod members;
pub mod operators;
pub mod probe;
pub mod queue;
pub mod research;
pub mod table;
pub mod webhooks;

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

/// Defines a macro that instantiates every function of one suite, so the list of contract tests
/// is written once and every backend runs all of them.
macro_rules! define_suite {
    // `$d` is a `$` passed in, so the generated macro can have metavariables of its own.
    ($d:tt $(#[$doc:meta])* $macro_name:ident, $module:ident, [$($name:ident),* $(,)?]) => {
        $(#[$doc])*
        #[macro_export]
        macro_rules! $macro_name {
            ($d(#[$d attr:meta])* fixture = $d fixture:expr) => {
                use $crate::contract::$module as suite;
                $crate::contract_tests!($d(#[$d attr])* suite = suite, fixture = $d fixture, tests = [$($name),*]);
            };
        }
    };
}

define_suite!(
    $
    /// Every `Table` contract test, over a `TableFixture` expression.
    table_suite, table, [
        put_get_roundtrips_json,
        conditional_writes_conflict,
        only_one_of_concurrent_creators_wins,
        update_sets_removes_and_adds,
        counters_add_atomically,
        counter_stays_within_bound,
        delete_returns_the_old_item,
        query_pages_in_order,
        secondary_index_pages_in_order,
        secondary_indexes_follow_writes,
        foreign_cursors_are_rejected,
        transactions_are_all_or_nothing,
        grouped_transactions_fail_alone,
        many_keys_are_read_in_one_call,
        expired_items_are_never_returned,
        reserved_attributes_are_checked,
    ]
);

define_suite!(
    $
    /// Every `Queue` contract test, over a `QueueFixture` expression.
    queue_suite, queue, [send_receive_delete, delayed_messages_wait, unacknowledged_messages_come_back, poison_messages_move_to_the_dead_letter_queue]
);

define_suite!(
    $
    /// Every `Blobs` contract test, over an `Arc<dyn Blobs>` expression.
    blobs_suite, blobs, [
        put_get_delete,
        signed_url_downloads_without_credentials,
        written_in_parts_reads_back_whole,
        an_unfinished_writer_leaves_nothing,
        a_folder_is_deleted_whole,
    ]
);

define_suite!(
    $
    /// Every HTTP contract test, over a `TestServer` expression (on a manual clock).
    api_suite, api, [
        health_and_openapi_are_public,
        keys_authenticate_by_bearer_or_header,
        bad_keys_get_401,
        request_ids_are_echoed_when_sane,
        scopes_are_enforced,
        api_keys_are_minted_listed_and_revoked,
        other_organizations_are_invisible,
        lists_paginate_with_cursors,
        bad_input_gets_a_named_error,
        idempotency_keys_replay_the_first_response,
        abandoned_idempotency_claims_expire,
        rate_limits_hold_per_organization,
        rate_limit_leases_hold_across_instances,
    ]
);

define_suite!(
    $
    /// Every research-conversation contract test, over a `TestServer` expression (manual clock).
    research_suite, research, [
        quickstart_drafts_a_plan_and_a_pending_job,
        the_title_is_drafted_from_the_first_message,
        bad_input_names_the_parameter,
        vague_prompts_are_rejected_and_recorded,
        later_messages_refine_the_request,
        replanning_applies_feedback,
        threads_list_search_and_filter,
        threads_are_updated_in_place,
        deleting_a_thread_cascades_in_the_background,
        running_jobs_block_deletion_unless_forced,
        the_cascade_removes_owned_blobs_and_partitions,
        events_record_what_happened,
        the_daily_plan_quota_holds,
    ]
);

define_suite!(
    $
    /// Every credits contract test (ledger, usage, budgets, alerts, refunds), over a `TestServer`
    /// expression on a manual clock.
    billing_suite, billing, [
        the_ledger_sums_to_the_balance_and_usage_reports_it,
        priced_enrichment_is_billed_when_delivered,
        a_new_month_grants_again_and_only_the_grant_expires,
        budgets_refuse_approvals_and_stop_live_jobs,
        a_low_balance_alerts_once_and_blocks_what_it_cannot_pay,
        the_operator_refunds_a_finished_live_job_once,
    ]
);

define_suite!(
    $
    /// Every members contract test (invitations, roles, removal), over a `TestServer`
    /// expression on a manual clock.
    members_suite, members, [members_are_invited_join_and_are_removed, invitations_expire_after_a_week]
);

define_suite!(
    $
    /// Every job-execution contract test, over a `TestServer` expression.
    jobs_suite, jobs, [
        a_test_job_runs_to_an_artifact,
        approval_checks_state_limits_and_credits,
        stopping_leaves_a_partial_artifact,
        a_live_job_without_a_source_invents_nothing,
        live_jobs_enrich_seed_files_and_reuse_the_lead_index,
        live_jobs_read_company_sites,
        auto_approve_starts_the_job_and_jobs_list_filters,
        the_stream_and_the_logs_tell_the_same_story,
        open_streams_are_limited_per_tier,
        search_runs_the_whole_pipeline_in_one_call,
        a_job_that_cannot_continue_fails_loudly,
        job_metadata_is_set_on_approval_and_patched,
    ]
);

define_suite!(
    $
    /// Every live-discovery contract test, over a `Backend` expression (each test starts its
    /// stand-ins first, then a server whose worker is pointed at them).
    discovery_suite, discovery, [
        live_jobs_discover_companies_in_open_data,
    ]
);

define_suite!(
    $
    /// Every webhooks contract test, over a `TestServer` expression on a manual clock.
    webhooks_suite, webhooks, [
        endpoints_are_managed_and_validated,
        a_jobs_events_reach_subscribed_endpoints,
        failing_receivers_are_retried_on_schedule,
        rotation_signs_twice_and_gone_disables,
        a_slow_receiver_does_not_hold_up_the_others,
    ]
);

define_suite!(
    $
    /// Every key-rotation and artifact-sharing contract test, over a `TestServer` expression on a
    /// manual clock.
    keys_suite, keys, [
        rotation_mints_a_replacement_and_revokes_the_old_key,
        a_grace_period_keeps_the_old_key_working_until_it_ends,
        rotations_are_recorded_and_delivered,
        publishable_keys_see_only_shareable_artifacts,
        deleting_a_thread_unshares_its_artifacts,
    ]
);

define_suite!(
    $
    /// Every scrape and lead-store contract test, over a `TestServer` expression.
    leads_suite, leads, [
        a_bulk_scrape_reads_every_allowed_page,
        a_sitemap_scrape_reads_the_listed_pages_with_its_options,
        a_test_key_scrape_is_synthetic_and_free,
        scrape_requests_are_validated,
        a_cancelled_scrape_keeps_what_it_read,
        the_lead_store_filters_sorts_and_pages,
        leads_are_annotated_and_deleted,
        leads_are_exported_as_csv_and_json,
    ]
);

define_suite!(
    $
    /// What the outside probe found, over a `TestServer` expression on a manual clock.
    probe_suite, probe, [
        test_and_live_modes_are_separated,
        lead_ids_stay_unique_across_jobs_made_at_once,
        every_list_in_an_input_is_bounded,
        a_body_is_one_json_value,
        cursors_are_bound_to_their_list,
        internal_ip_literals_are_refused_at_submission,
        publishable_keys_have_their_own_rate_limit,
        every_answer_is_an_envelope,
        webhooks_and_job_logs_page_with_cursors,
        responses_are_compressed_when_asked,
        a_retry_after_a_crash_does_not_write_again,
        slow_and_malformed_requests_are_bounded_and_enveloped,
        artifact_files_past_their_retention_are_rendered_from_the_leads,
    ]
);

define_suite!(
    $
    /// Every operator contract test (limit overrides, deleting an organization), over a
    /// `TestServer` expression on a manual clock.
    operators_suite, operators, [
        limit_overrides_show_in_me_and_the_organization,
        a_requests_per_minute_override_replaces_the_tiers,
        a_concurrent_jobs_override_replaces_the_tiers,
        a_plans_per_day_override_replaces_the_tiers,
        an_sse_connections_override_replaces_the_tiers,
        deleting_an_organization_removes_its_data,
    ]
);
