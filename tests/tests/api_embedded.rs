//! The HTTP contract on the embedded store.

use quarry_tests::contract::api as suite;
use quarry_tests::contract_tests;
use quarry_tests::server::TestServer;

contract_tests!(
    suite = suite,
    fixture = TestServer::embedded_manual().await,
    tests = [
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
    ]
);
