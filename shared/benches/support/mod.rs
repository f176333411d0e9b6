//! What the request-path benches share: an embedded store in a fresh directory, with the
//! settings of the environment, and Scale-tier organizations with an all-scopes test key.

use std::sync::Arc;

use quarry_ports::clock::SystemClock;
use quarry_shared::accounts::{Accounts, KeyKind, Mode, NewKey, Scope, Tier};
use quarry_shared::settings::Settings;
use quarry_store::Embedded;

/// The reference quickstart's prompt, which every request-path bench posts.
#[allow(dead_code)] // each bench compiles this module; not all of them post
pub const PROMPT: &str = "Find Series A fintechs in France with 20+ engineers. Pull VP Eng and Head of Growth.";

/// A bench's store: the embedded backend over a temporary directory (removed when dropped).
pub struct BenchStore {
    dir: tempfile::TempDir,
    pub embedded: Embedded,
    pub accounts: Accounts,
    pub settings: Settings,
    pub clock: Arc<SystemClock>,
}

impl BenchStore {
    pub fn open() -> BenchStore {
        let dir = tempfile::tempdir().unwrap();
        let clock = Arc::new(SystemClock);
        let embedded = Embedded::open(dir.path(), "http://127.0.0.1:8080", vec![7; 32], clock.clone()).unwrap();
        let accounts = Accounts::new(embedded.storage.table.clone(), clock.clone());
        let settings = Settings::from_env().expect("the environment's settings");
        BenchStore { dir, embedded, accounts, settings, clock }
    }

    /// The store's SQLite file (the load bench reads queue depths from it).
    #[allow(dead_code)] // each bench compiles this module; only some read the file
    pub fn db_file(&self) -> std::path::PathBuf {
        self.dir.path().join("quarry.db")
    }

    /// A new Scale-tier organization and a test-mode secret key with every scope: (org ID, key).
    pub async fn organization_with_key(&self) -> (String, String) {
        let org = self.accounts.create_organization("bench", Tier::Scale, 0).await.unwrap();
        let new = NewKey { name: "bench".into(), kind: KeyKind::Secret, mode: Mode::Test, scopes: Scope::ALL.to_vec(), expires_at: None };
        let key = self.accounts.create_key(&org.id, new).await.unwrap().1;
        (org.id, key)
    }
}
