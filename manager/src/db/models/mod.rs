//! Table rows and the queries on them (query functions live on the model).

pub mod api_token;
pub mod certificate;
pub mod challenge;
pub mod deployment;
pub mod deployment_claims;
pub mod discovery_range;
pub mod enrollment;
pub mod first_seen;
pub mod fleet_view;
pub mod group;
pub mod health;
pub mod host;
pub mod host_status;
pub mod mfa;
pub mod notification;
pub mod notification_lease;
pub mod patch;
pub mod poll_rows;
pub mod reauth;
pub mod reports;
pub mod scheduled;
pub mod scope;
pub mod settings_row;
pub mod sso;
pub mod user;
pub mod window;

pub use certificate::Certificate;
pub use challenge::LoginChallenge;
pub use group::Group;
pub use host::Host;
pub use user::{NewUser, Role, User};
