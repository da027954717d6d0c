//! Table rows and the queries on them (query functions live on the model).

pub mod challenge;
pub mod group;
pub mod host;
pub mod mfa;
pub mod user;

pub use challenge::LoginChallenge;
pub use group::Group;
pub use host::Host;
pub use user::{NewUser, Role, User};
