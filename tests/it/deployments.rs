//! Deployments against real agents (apt sandboxes) and real PostgreSQL, time from a manual clock: `now`
//! deployments with one failing host retried once then named, windows that open when the clock says and
//! a missed cut-off, exactly-once dispatch when a manager dies mid-POST, and RBAC on every path.

mod browser;
mod bulk;
mod claims;
mod cli;
mod console;
mod kit;
mod live;
mod notify;
mod now;
mod reboot;
mod restart;
mod scope;
mod screenshots;
mod two_managers;
mod windows;
