//! The manager's actors: the poller (health and patch data of every host).

pub mod poller;
