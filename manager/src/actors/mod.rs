//! The manager's actors: each owns its state and its time and forwards to pure logic; callers use its
//! typed handle. The poller (health and patch data of every host), housekeeping (audit, enrolment purge,
//! certificate renewal), the deployer (dispatch and follow agent jobs), the scheduler (wakes it when
//! targets fall due), the relay (live deployment state and agent job events to watching browsers) and the
//! database watch (restarts the embedded PostgreSQL, tracks availability).

pub mod database;
pub mod deployer;
pub mod housekeeping;
pub mod notifier;
pub mod poller;
pub mod relay;
pub mod scheduler;
