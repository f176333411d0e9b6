//! Object identifiers: an opaque prefix naming the kind (`thr_`, `job_`, `key_`, ...) followed by
//! a ULID, so IDs sort by creation time and make cheap, stable cursors.

/// Prefixes of the objects this crate creates. The Leadex contract fixes the first eight.
pub mod prefix {
    pub const THREAD: &str = "thr";
    pub const MESSAGE: &str = "msg";
    pub const PLAN: &str = "pln";
    pub const JOB: &str = "job";
    pub const ARTIFACT: &str = "art";
    pub const LEAD: &str = "lead";
    pub const WEBHOOK: &str = "whk";
    pub const EVENT: &str = "evt";
    pub const ORGANIZATION: &str = "org";
    pub const API_KEY: &str = "key";
    pub const REQUEST: &str = "req";
}

/// A new ID such as `job_01HXA5Q6T9ZJ3N1V0B7K2M4P8R`.
pub fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", ulid::Ulid::new())
}

/// True when `id` looks like an ID of the given kind (prefix, underscore, 26-char ULID).
/// Lets handlers answer 404 for a malformed ID without touching storage.
pub fn has_prefix(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix)
        .and_then(|rest| rest.strip_prefix('_'))
        .is_some_and(|ulid| ulid.len() == 26 && ulid::Ulid::from_string(ulid).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_prefixed_and_time_sortable() {
        let a = new_id(prefix::JOB);
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = new_id(prefix::JOB);
        assert!(has_prefix(&a, "job") && !has_prefix(&a, "thr"));
        assert!(a < b);
        assert!(!has_prefix("job_123", "job"));
    }
}
