//! Jobs as plain logic: records and their store, change sets, scheduling, and running one job.

pub mod changeset;
pub mod record;
pub mod runner;
pub mod schedule;
