//! Integration tests of the real binaries against real parts (one test binary for link speed).
mod api;
mod apt_backend;
mod cli;
mod tls;
