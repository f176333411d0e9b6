//! Object identifiers: an opaque prefix naming the kind (`thr_`, `job_`, `key_`, ...) followed by
//! a ULID, so IDs sort by creation time and make cheap, stable cursors.

/// Prefixes of the objects this crate creates. The Leadex contract fixes the first eight.
pub mod prefix {
    pub const THREAD: &str = "thr";
    pub const MESSAGE: &str = "msg";
    pub const PLAN: &str = "pln";
    pub const JOB: &str = "job";
    pub const ARTIFACT: &str = "art";
    pub const EXPORT: &str = "exp";
    pub const LEAD: &str = "lead";
    pub const WEBHOOK: &str = "whk";
    pub const EVENT: &str = "evt";
    pub const DELIVERY: &str = "dlv";
    pub const ORGANIZATION: &str = "org";
    pub const API_KEY: &str = "key";
    pub const REQUEST: &str = "req";
    /// Steps inside a plan are numbered, not ULIDs: `stp_1`, `stp_2`, …
    pub const STEP: &str = "stp";
}

/// Partition of everything an organization owns: `ORG#<org_id>`.
pub fn org_partition(org_id: &str) -> String {
    format!("ORG#{org_id}")
}

/// A new ID such as `job_01HXA5Q6T9ZJ3N1V0B7K2M4P8R`.
///
/// IDs minted by one process are strictly increasing, even within one millisecond (a monotonic
/// ULID generator), so records keyed by them list in the order they were created: a thread's
/// messages, for instance, are read back chronologically by sort key alone.
pub fn new_id(prefix: &str) -> String {
    static GENERATOR: std::sync::Mutex<ulid::Generator> = std::sync::Mutex::new(ulid::Generator::new());
    let mut generator = GENERATOR.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    // Overflow needs 2^80 IDs in one millisecond; fall back to a fresh random ULID regardless.
    let ulid = generator.generate().unwrap_or_else(|_| ulid::Ulid::new());
    format!("{prefix}_{ulid}")
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
        let burst: Vec<String> = (0..1000).map(|_| new_id(prefix::MESSAGE)).collect();
        assert!(burst.windows(2).all(|w| w[0] < w[1]), "IDs of one process are strictly increasing");
    }
}
