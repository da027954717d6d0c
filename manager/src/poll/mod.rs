//! The poller's logic, apart from its actor: when a host is due and how long it waits after failures
//! (`schedule`), what an answer means for its state (`outcome`), one sweep over many hosts with bounded
//! concurrency (`sweep`), and the batched writes (`writer`).

pub mod deps;
pub mod outcome;
pub mod schedule;
pub mod status;
pub mod sweep;
pub mod targets;
pub mod writer;
