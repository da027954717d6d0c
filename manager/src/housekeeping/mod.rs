//! Housekeeping, apart from its actor: which chores exist, how often each runs and when each is next due
//! (pure, clock as a parameter), and the chores themselves with what they need passed in.

pub mod chores;
pub mod compliance;
pub mod retention;
pub mod schedule;

pub use chores::Chores;
pub use schedule::{Chore, Plan};
