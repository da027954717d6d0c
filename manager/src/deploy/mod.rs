//! Deployments' pure logic, clock as a parameter: what a target's state becomes after each event (job
//! outcome, failed dispatch, cut-off), the stop rule, and (in `window`) maintenance windows.

pub mod local_zone;
pub mod request;
pub mod target;
pub mod window;
mod window_check;
mod window_spec;
pub mod window_text;
