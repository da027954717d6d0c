//! Audit records reach the systemd journal as structured fields. The agent runs in a private mount
//! namespace where `/run/systemd/journal/socket` is this test's own datagram socket, so the native journal
//! protocol is read exactly as journald would receive it, without touching the machine's `/run`.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::client;
use std::collections::BTreeMap;
use std::os::unix::net::UnixDatagram;
use std::time::{Duration, Instant};

/// Parses one native-protocol datagram: `KEY=value\n`, or `KEY\n<u64 LE length><bytes>\n`.
fn parse_native(mut buf: &[u8]) -> BTreeMap<String, String> {
    let mut fields = BTreeMap::new();
    while !buf.is_empty() {
        let nl = buf.iter().position(|b| *b == b'\n').unwrap_or(buf.len());
        let line = &buf[..nl];
        if let Some(eq) = line.iter().position(|b| *b == b'=') {
            fields.insert(
                String::from_utf8_lossy(&line[..eq]).into_owned(),
                String::from_utf8_lossy(&line[eq + 1..]).into_owned(),
            );
            buf = buf.get(nl + 1..).unwrap_or_default();
        } else {
            let key = String::from_utf8_lossy(line).into_owned();
            let rest = &buf[nl + 1..];
            let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
            fields.insert(key, String::from_utf8_lossy(&rest[8..8 + len]).into_owned());
            buf = rest.get(8 + len + 1..).unwrap_or_default();
        }
    }
    fields
}

#[tokio::test]
async fn audit_records_reach_the_journal_with_structured_fields() {
    let journal_dir = tempfile::tempdir().unwrap();
    let socket = UnixDatagram::bind(journal_dir.path().join("socket")).unwrap();
    socket.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    let script = "mount -t tmpfs none /run && mkdir -p /run/systemd/journal \
                  && mount --bind \"$0\" /run/systemd/journal && exec \"$@\"";
    let launcher = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        script,
    ];
    let mut launcher: Vec<String> = launcher.iter().map(|s| s.to_string()).collect();
    launcher.push(journal_dir.path().to_str().unwrap().to_owned());
    let agent = AgentProc::start(&AgentSetup {
        launcher,
        ..AgentSetup::default()
    });

    let cfg = client::tls13(&agent.pki.ca.cert_pem(), Some(&agent.pki.client));
    let mut s = client::connect(agent.addr, cfg, None).await.unwrap();
    let r = client::request(
        &mut s,
        "GET",
        "/api/v1/health",
        &[("X-Request-ID", "journal-1")],
        b"",
    )
    .await
    .unwrap();
    assert_eq!(r.status, 200);

    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    let entry = loop {
        assert!(
            Instant::now() < deadline,
            "no journal entry for the request; saw {seen:#?}\n{}",
            agent.logs()
        );
        let mut buf = vec![0u8; 65536];
        let Ok(n) = socket.recv(&mut buf) else { continue };
        let fields = parse_native(&buf[..n]);
        if fields.get("REQUEST_ID").map(String::as_str) == Some("journal-1") {
            break fields;
        }
        seen.push(fields);
    };
    assert_eq!(entry["SYSLOG_IDENTIFIER"], "linux-patch-api");
    assert_eq!(entry["AUDIT_EVENT"], "http.request");
    assert_eq!(entry["CLIENT"], "CN=manager-test");
    assert_eq!(entry["SOURCE_IP"], "127.0.0.1");
    assert_eq!(entry["METHOD"], "GET");
    assert_eq!(entry["PATH"], "/api/v1/health");
    assert_eq!(entry["STATUS"], "200");
    let message: serde_json::Value = serde_json::from_str(&entry["MESSAGE"]).unwrap();
    assert_eq!(
        message["request_id"], "journal-1",
        "MESSAGE is the same JSON line as audit.log"
    );
    // and the file got the same record
    agent.wait_audit(Duration::from_secs(5), |r| r["request_id"] == "journal-1");
}
