//! Cursor pagination, shared by every list endpoint: `limit` (1–100, default 20), `cursor`,
//! `order` (`asc` | `desc`, default `desc`), answered as `{data, has_more, next_cursor, total}`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::error::ApiError;
use quarry_ports::Order;

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
    pub cursor: Option<String>,
    /// `asc` or `desc` (default `desc`: newest first).
    #[param(value_type = Option<String>, pattern = "^(asc|desc)$")]
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
    pub fn page(&self) -> Result<PageRequest, ApiError> {
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
            Some(raw) => match raw.strip_prefix(CURSOR_PREFIX) {
                Some(inner) if !inner.is_empty() => Some(inner.to_string()),
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
    /// Wraps a page of items and the storage cursor of the next page.
    pub fn new(data: Vec<T>, next_storage_cursor: Option<String>) -> Self {
        ListResponse {
            data,
            has_more: next_storage_cursor.is_some(),
            next_cursor: next_storage_cursor.map(|c| format!("{CURSOR_PREFIX}{c}")),
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

    #[test]
    fn validates_and_names_the_bad_parameter() {
        assert_eq!(params(None, None, None).page().unwrap(), PageRequest { limit: 20, order: Order::Desc, cursor: None });
        assert_eq!(params(Some("100"), Some("asc"), Some("c_abc")).page().unwrap().cursor.as_deref(), Some("abc"));
        for (p, name) in [
            (params(Some("0"), None, None), "limit"),
            (params(Some("101"), None, None), "limit"),
            (params(Some("x"), None, None), "limit"),
            (params(None, Some("up"), None), "order"),
            (params(None, None, Some("zzz")), "cursor"),
        ] {
            assert_eq!(p.page().unwrap_err().param.as_deref(), Some(name));
        }
    }
}
