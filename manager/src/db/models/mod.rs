//! Table rows and the queries on them (query functions live on the model).

pub mod user;

pub use user::{NewUser, Role, User};
