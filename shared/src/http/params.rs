//! The path parameters of the API, one type per object ID, so a route's `{…_id}` is described
//! (and exemplified with the right prefix, see [`crate::ids::prefix`]) in one place. A handler
//! names the type twice: in `params(...)` of its `#[utoipa::path]` and as its extractor,
//! `ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>` (see [`super::extract::ApiPath`], which
//! answers a path that does not deserialize with the envelope's 404).
//!
//! The IDs are plain strings: a malformed one is simply not found, by the domain call it is
//! passed to, exactly as an unknown one.

use serde::Deserialize;
use utoipa::IntoParams;

/// `{thread_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ThreadIdPath {
    /// The thread's ID (`thr_…`)
    #[param(example = "thr_01HXA5Q6T9ZJ3N1V0B7K2M4P8R")]
    pub thread_id: String,
}

/// `{plan_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct PlanIdPath {
    /// The plan's ID (`pln_…`)
    #[param(example = "pln_01HXA5R2C8WJ6Y0D3F5H7K9M1N")]
    pub plan_id: String,
}

/// `{job_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct JobIdPath {
    /// The job's ID (`job_…`)
    #[param(example = "job_01HXA5R2D4E6G8J0K2M4N6P8Q0")]
    pub job_id: String,
}

/// `{artifact_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ArtifactIdPath {
    /// The artifact's ID (`art_…`)
    #[param(example = "art_01HXA6B3C5D7E9F1G3H5J7K9M1")]
    pub artifact_id: String,
}

/// `{lead_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LeadIdPath {
    /// The lead's ID (`lead_…`)
    #[param(example = "lead_01HXA6C4D6E8F0G2H4J6K8M0N2")]
    pub lead_id: String,
}

/// `{export_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct ExportIdPath {
    /// The export's ID (`exp_…`)
    #[param(example = "exp_01HXA6D5E7F9G1H3J5K7M9N1P3")]
    pub export_id: String,
}

/// `{webhook_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct WebhookIdPath {
    /// The endpoint's ID (`whk_…`)
    #[param(example = "whk_01HXA6E6F8G0H2J4K6M8N0P2Q4")]
    pub webhook_id: String,
}

/// `{webhook_id}` and `{delivery_id}`: one delivery of one endpoint.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct DeliveryPath {
    /// The endpoint's ID (`whk_…`)
    #[param(example = "whk_01HXA6E6F8G0H2J4K6M8N0P2Q4")]
    pub webhook_id: String,
    /// The delivery's ID (`dlv_…`)
    #[param(example = "dlv_01HXA6F7G9H1J3K5M7N9P1Q3R5")]
    pub delivery_id: String,
}

/// `{key_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct KeyIdPath {
    /// The key's ID (`key_…`)
    #[param(example = "key_01HXA6G8H0J2K4M6N8P0Q2R4S6")]
    pub key_id: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct MemberIdPath {
    /// The member's ID (`mem_…`)
    #[param(example = "mem_01HXA6G8H0J2K4M6N8P0Q2R4S6")]
    pub member_id: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{has_prefix, prefix};
    use utoipa::openapi::path::{Parameter, ParameterIn};

    fn params<T: IntoParams>() -> Vec<Parameter> {
        T::into_params(|| None)
    }

    /// Every path parameter is a required string in the path, described, with an example ID of
    /// its kind.
    #[test]
    fn path_params_are_described_with_prefixed_examples() {
        let all = [
            (params::<ThreadIdPath>(), vec![prefix::THREAD]),
            (params::<PlanIdPath>(), vec![prefix::PLAN]),
            (params::<JobIdPath>(), vec![prefix::JOB]),
            (params::<ArtifactIdPath>(), vec![prefix::ARTIFACT]),
            (params::<LeadIdPath>(), vec![prefix::LEAD]),
            (params::<ExportIdPath>(), vec![prefix::EXPORT]),
            (params::<WebhookIdPath>(), vec![prefix::WEBHOOK]),
            (params::<DeliveryPath>(), vec![prefix::WEBHOOK, prefix::DELIVERY]),
            (params::<KeyIdPath>(), vec![prefix::API_KEY]),
        ];
        for (params, prefixes) in all {
            assert_eq!(params.len(), prefixes.len());
            for (param, prefix) in params.iter().zip(prefixes) {
                let json = serde_json::to_value(param).unwrap();
                assert!(param.parameter_in == ParameterIn::Path, "{} is a path parameter", param.name);
                assert_eq!(json["required"], true, "{}", param.name);
                assert_eq!(json["schema"]["type"], "string", "{}", param.name);
                let description = json["description"].as_str().unwrap_or_default();
                assert!(description.contains(&format!("`{prefix}_…`")), "{}: {description:?}", param.name);
                let example = json["example"].as_str().unwrap_or_default();
                assert!(has_prefix(example, prefix), "{}: example {example:?} is not a `{prefix}_` ID", param.name);
            }
        }
    }

    /// The extractor reads each ID from the route's placeholder of the same name, and a path that
    /// does not decode is the envelope's 404, as with a plain `ApiPath<String>`.
    #[tokio::test]
    async fn path_types_deserialize_from_the_route() {
        use super::super::extract::ApiPath;
        use axum::body::{to_bytes, Body};
        use axum::http::{Request, StatusCode};
        use tower::ServiceExt;

        let app = axum::Router::new()
            .route(
                "/v1/webhooks/{webhook_id}/deliveries/{delivery_id}",
                axum::routing::get(|ApiPath(p): ApiPath<DeliveryPath>| async move { format!("{} {}", p.webhook_id, p.delivery_id) }),
            )
            .route("/v1/jobs/{job_id}", axum::routing::get(|ApiPath(JobIdPath { job_id }): ApiPath<JobIdPath>| async move { job_id }))
            .route("/v1/plain/{job_id}", axum::routing::get(|ApiPath(job_id): ApiPath<String>| async move { job_id }));
        let get = |uri: &str| app.clone().oneshot(Request::get(uri).body(Body::empty()).unwrap());

        let response = get("/v1/webhooks/whk_1/deliveries/dlv_2").await.unwrap();
        assert_eq!(to_bytes(response.into_body(), 1024).await.unwrap(), "whk_1 dlv_2");
        let response = get("/v1/jobs/job_%C3%A9").await.unwrap();
        assert_eq!(to_bytes(response.into_body(), 1024).await.unwrap(), "job_é");
        let mut errors = Vec::new();
        for uri in ["/v1/jobs/job_%FF", "/v1/plain/job_%FF"] {
            let response = get(uri).await.unwrap();
            assert_eq!(response.status(), StatusCode::NOT_FOUND);
            let body: serde_json::Value = serde_json::from_slice(&to_bytes(response.into_body(), 1024).await.unwrap()).unwrap();
            assert_eq!(body["error"]["code"], "not_found");
            errors.push(body["error"]["message"].clone());
        }
        assert_eq!(errors[0], errors[1], "the typed path fails exactly like a plain string");
    }
}

/// `{lead_id}` and `{index}`: one source entry of a lead.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct LeadSourcePath {
    /// The lead's ID (`lead_…`)
    #[param(example = "lead_01HXA6C4D6E8F0G2H4J6K8M0N2")]
    pub lead_id: String,
    /// The position of the entry in the lead's `sources`, from 0.
    #[param(example = 0, minimum = 0, maximum = 999)]
    pub index: u16,
}
