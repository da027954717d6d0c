//! The manager's actors: each owns its state and its time and forwards to pure logic; callers use its
//! typed handle. The poller (health and patch data of every host) and housekeeping (audit, enrolment
//! purge, certificate renewal).

pub mod housekeeping;
pub mod poller;
