//! The network edge: allow-list check at accept, TLS 1.3 handshake with client certificates, identity.

pub mod identity;
pub mod listener;

pub use identity::ClientIdentity;
