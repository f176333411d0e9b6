//! Cursor pagination, shared by every list endpoint: `limit` (1–100, default 20), `cursor`,
//! `order` (`asc` | `desc`, default `desc`), answered as `{data, has_more, next_cursor, total}`.
//!
//! A cursor is bound to its list: it carries a tag of the request's path and of every query
//! parameter but `cursor` and `limit` ([`ListScope`]), so a cursor of `/v1/threads` is refused on
//! `/v1/jobs`, and so is a cursor of one filter or order used with another.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use quarry_ports::Order;

/// Hex characters of the list tag at the head of a cursor.
const TAG_LEN: usize = 8;

/// The list a request pages through: its path and its query without `cursor` and `limit`,
/// order-insensitive. An extractor, so every list handler has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListScope {
    tag: String,
}

impl ListScope {
    /// The scope of `path` with the query string `query`.
    pub fn of(path: &str, query: Option<&str>) -> Self {
        let mut pairs: Vec<(String, String)> = url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .filter(|(name, value)| name != "cursor" && name != "limit" && !value.is_empty())
            .collect();
        pairs.sort();
        let mut digest = Sha256::new();
        digest.update(path.as_bytes());
        for (name, value) in &pairs {
            digest.update(b"\n");
            digest.update(name.as_bytes());
            digest.update(b"=");
            digest.update(value.as_bytes());
        }
        ListScope { tag: hex::encode(digest.finalize())[..TAG_LEN].to_string() }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for ListScope {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(ListScope::of(parts.uri.path(), parts.uri.query()))
    }
}

/// Default page size.
pub const DEFAULT_LIMIT: usize = 20;
/// Largest page size.
pub const MAX_LIMIT: usize = 100;
/// API cursors wrap the storage cursor with a visible prefix.
const CURSOR_PREFIX: &str = "c_";

/// Raw list query parameters; validated by [`ListParams::page`].
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Page size, 1–100 (default 20).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(max_length = 2048)]
    pub cursor: Option<String>,
    /// `asc` or `desc` (default `desc`: newest first).
    #[param(value_type = Option<String>, pattern = "^$|^(asc|desc)$")]
    pub order: Option<String>,
}

/// A validated page request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PageRequest {
    pub limit: usize,
    pub order: Order,
    /// The storage cursor.
    pub cursor: Option<String>,
}

impl ListParams {
    /// The page asked for in `scope`: a cursor of another list (or another filter) is a 400.
    pub fn page(&self, scope: &ListScope) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => return Err(ApiError::invalid("limit", format!("`limit` must be an integer from 1 to {MAX_LIMIT}; got `{raw}`."))),
            },
        };
        let order = match self.order.as_deref() {
            None | Some("desc") => Order::Desc,
            Some("asc") => Order::Asc,
            Some(other) => return Err(ApiError::invalid("order", format!("`order` must be `asc` or `desc`; got `{other}`."))),
        };
        let cursor = match self.cursor.as_deref() {
            None | Some("") => None,
            Some(raw) => match raw.strip_prefix(CURSOR_PREFIX).and_then(|rest| rest.split_once('.')) {
                Some((tag, inner)) if tag == scope.tag && !inner.is_empty() => Some(inner.to_string()),
                Some((tag, _)) if tag.len() == TAG_LEN => {
                    return Err(ApiError::invalid(
                        "cursor",
                        "The cursor belongs to another list, or to this list with other filters or order. Repeat the request that returned it, changing only `cursor`.",
                    ))
                }
                _ => {
                    return Err(ApiError::invalid(
                        "cursor",
                        "The cursor is not valid. Pass the next_cursor of the previous page unchanged.",
                    ))
                }
            },
        };
        Ok(PageRequest { limit, order, cursor })
    }
}

/// One page of a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub data: Vec<T>,
    pub has_more: bool,
    pub next_cursor: Option<String>,
    /// The total count when it is cheap to know; otherwise `null`.
    pub total: Option<u64>,
}

impl<T> ListResponse<T> {
    /// Wraps a page of items of the list `scope` and the storage cursor of its next page.
    pub fn new(data: Vec<T>, next_storage_cursor: Option<String>, scope: &ListScope) -> Self {
        ListResponse {
            data,
            has_more: next_storage_cursor.is_some(),
            next_cursor: next_storage_cursor.map(|c| format!("{CURSOR_PREFIX}{}.{c}", scope.tag)),
            total: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(limit: Option<&str>, order: Option<&str>, cursor: Option<&str>) -> ListParams {
        ListParams { limit: limit.map(Into::into), order: order.map(Into::into), cursor: cursor.map(Into::into) }
    }

    fn scope() -> ListScope {
        ListScope::of("/v1/threads", Some("order=asc"))
    }

    #[test]
    fn validates_and_names_the_bad_parameter() {
        let s = scope();
        assert_eq!(params(None, None, None).page(&s).unwrap(), PageRequest { limit: 20, order: Order::Desc, cursor: None });
        let cursor = ListResponse::<u8>::new(Vec::new(), Some("abc".into()), &s).next_cursor.unwrap();
        assert_eq!(params(Some("100"), Some("asc"), Some(&cursor)).page(&s).unwrap().cursor.as_deref(), Some("abc"));
        for (p, name) in [
            (params(Some("0"), None, None), "limit"),
            (params(Some("101"), None, None), "limit"),
            (params(Some("x"), None, None), "limit"),
            (params(None, Some("up"), None), "order"),
            (params(None, None, Some("zzz")), "cursor"),
        ] {
            assert_eq!(p.page(&s).unwrap_err().param.as_deref(), Some(name));
        }
    }

    #[test]
    fn a_cursor_is_bound_to_its_list_and_filters() {
        let threads = ListScope::of("/v1/threads", Some("q=acme&order=asc&limit=5"));
        let cursor = ListResponse::<u8>::new(Vec::new(), Some("abc".into()), &threads).next_cursor.unwrap();
        let with = |scope: &ListScope| params(None, None, Some(&cursor)).page(scope);
        // The same list: limit may change, parameters may come in another order.
        assert!(with(&ListScope::of("/v1/threads", Some("order=asc&q=acme&limit=50&cursor=x"))).is_ok());
        for other in [ListScope::of("/v1/jobs", Some("q=acme&order=asc")), ListScope::of("/v1/threads", Some("q=other&order=asc"))] {
            let error = with(&other).unwrap_err();
            assert_eq!(error.param.as_deref(), Some("cursor"));
            assert!(error.message.contains("another list"), "{}", error.message);
        }
    }
}
