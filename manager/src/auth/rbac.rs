//! Role-based access: the scope every query takes (defined with the queries in `db::scope`).

pub use crate::db::models::scope::Scope;
