//! Authentication building blocks (this slice: password hashing and the user-name grammar).

pub mod password;
pub mod username;
