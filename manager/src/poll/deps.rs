//! What the poll engine needs from the rest of the manager (database, clock, agent clients, settings),
//! passed in explicitly so the engine imports nothing above it.

use crate::agents::Agents;
use crate::config::file::PollerSection;
use crate::db::Db;
use crate::error::ManagerError;
use chrono::{DateTime, Utc};
use linux_patch_shared::clock::SharedClock;

/// What the engine needs from the rest of the manager, passed in explicitly.
#[derive(Clone)]
pub struct PollDeps {
    /// The database.
    pub db: Db,
    /// Where time comes from.
    pub clock: SharedClock,
    /// The agent client factory (trust in force, timeout).
    pub agents: Agents,
    /// `poller:` of the configuration.
    pub cfg: PollerSection,
}

impl std::fmt::Debug for PollDeps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PollDeps")
            .field("cfg", &self.cfg)
            .finish_non_exhaustive()
    }
}

impl PollDeps {
    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(super) async fn db<T, F>(&self, f: F) -> Result<T, ManagerError>
    where
        F: FnOnce(&mut diesel::PgConnection) -> Result<T, ManagerError> + Send + 'static,
        T: Send + 'static,
    {
        self.db.run(f).await
    }
}
