//! The manager's whole HTTPS stack (allow-list edge, TLS with the internal CA's console certificate, every
//! route) in-process on a test context with a manual clock: for Chromium and WebSocket clients, where the
//! in-process `TestRequest` app cannot go (upgrades), while the test still moves time by hand.

use actix_web::web;
use linux_patch_manager::app::AppContext;
use linux_patch_manager::http::edge::Edge;
use linux_patch_shared::clock::ManualClock;
use std::net::{IpAddr, Ipv4Addr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;

/// A running console.
pub struct LiveConsole {
    /// `https://localhost:<port>`.
    pub url: String,
    /// The port.
    pub port: u16,
    /// The root CA browsers are told to trust (a file).
    pub ca_pem: PathBuf,
    handle: actix_server::ServerHandle,
}

impl LiveConsole {
    /// Serves `st` on a free loopback port (call inside the test's actix system; the actors stay there).
    pub fn start(st: &web::Data<AppContext>, clock: &ManualClock) -> Self {
        let dir: PathBuf = (*st.data_dir).clone();
        let w = st
            .ca
            .ensure_web_cert(
                &dir,
                &["localhost".to_owned()],
                &[IpAddr::V4(Ipv4Addr::LOCALHOST)],
                clock,
            )
            .unwrap();
        // The allow-list (127.0.0.0/8 unless the settings say otherwise) and the certificate live in the
        // context's gate, like `serve`'s: the settings change both without a restart.
        st.gate.load_cert_files(&w.cert, &w.key).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = linux_patch_manager::http::server::listen(
            st.clone(),
            listener,
            Arc::new(Edge::new(st.gate.clone()).unwrap()),
            2,
        )
        .unwrap();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        let ca_pem = dir.join("live-ca.pem");
        std::fs::write(&ca_pem, st.ca_pem.as_bytes()).unwrap();
        Self {
            url: format!("https://localhost:{port}"),
            port,
            ca_pem,
            handle,
        }
    }

    /// Stops the server (connections closed at once).
    pub async fn stop(self) {
        self.handle.stop(false).await;
    }
}
