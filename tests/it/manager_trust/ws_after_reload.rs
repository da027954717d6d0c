//! Low: the agent re-checked its allow-list on every request but not on an open `/ws/jobs` WebSocket, so a
//! client removed from `whitelist.yaml` kept receiving job events; the agent now closes it within seconds.

use futures_util::StreamExt;
use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::client::{connect, tls13};
use std::time::{Duration, Instant};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn removed_client_keeps_its_websocket_after_an_allow_list_reload() {
    let agent = AgentProc::start(&AgentSetup::default()); // allows 127.0.0.1
    let (ca, cert) = (agent.pki.ca.cert_pem(), &agent.pki.client);
    let tls = connect(
        agent.addr,
        tls13(&ca, Some(cert)),
        Some("127.0.0.1".parse().unwrap()),
    )
    .await
    .unwrap();
    let (mut ws, resp) = tokio_tungstenite::client_async("wss://localhost/api/v1/ws/jobs", tls)
        .await
        .unwrap();
    assert_eq!(resp.status(), 101);
    // Open and quiet: nothing arrives within a second while the client is allowed.
    let early = tokio::time::timeout(Duration::from_secs(1), ws.next()).await;
    assert!(early.is_err(), "the WebSocket ended before the reload: {early:?}");

    agent.replace_etc_file("whitelist.yaml", b"allow:\n  - 127.0.0.2\n");
    let start = Instant::now();
    // The server closes it (a close frame, then the end of the stream) within a few seconds.
    let mut close = None;
    let outcome = tokio::time::timeout(Duration::from_secs(8), async {
        while let Some(msg) = ws.next().await {
            match msg {
                Ok(Message::Close(frame)) => close = Some(frame),
                Ok(_) => {}
                Err(_) => break,
            }
        }
    })
    .await;
    assert!(
        outcome.is_ok(),
        "the removed client's WebSocket was still open 8 s after the allow-list reload:\n{}",
        agent.logs()
    );
    eprintln!("closed {:?} after the reload: {close:?}", start.elapsed());
    let frame = close.flatten().expect("closed without a close frame");
    assert_eq!(u16::from(frame.code), 1008, "{frame:?}");
}
