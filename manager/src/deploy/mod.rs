//! Deployments' pure logic (DESIGN §5.2, §5.3), no I/O, the clock as a parameter: requests checked, what a
//! target's state becomes after each event (job outcome, failed dispatch, cut-off), the stop rule, and
//! maintenance windows (`window*`; `local_zone` alone reads the environment for the default zone).

pub mod local_zone;
pub mod request;
pub mod target;
pub mod window;
mod window_check;
mod window_spec;
pub mod window_text;
