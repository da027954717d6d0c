//! The happy paths with the real binaries: fingerprint + API approval, TOFU + CLI approval; the agent
//! writes its bundle, allows the manager, and serves mTLS to a client certificate of the manager's CA.

use super::*;
use linux_patch_manager::ca::{InternalCa, IssueRequest, Usage};
use linux_patch_tests::certs::Issued;
use linux_patch_tests::client::{client_config, tcp};
use linux_patch_tests::manager::cli;
use rustls::pki_types::ServerName;

/// A client certificate issued by the manager's CA (same data directory), as the manager's own is.
fn manager_client(m: &ManagerProc) -> Issued {
    let ca = InternalCa::load_or_create(&m.data_dir(), &SystemClock).unwrap();
    let req = IssueRequest {
        common_name: "linux-patch-manager-test-client".into(),
        dns: vec![],
        ips: vec![],
        usage: Usage::Client,
        days: 1,
    };
    let i = ca.issue(&req, &SystemClock).unwrap();
    Issued {
        cert_pem: i.cert_pem,
        key_pem: i.key_pem,
    }
}

/// Waits until the agent answers `GET /api/v1/health` over mTLS at 127.0.0.1:`port` (server name = the
/// IP, so its certificate must carry it), presenting `client`; returns the answer.
fn mtls_health(ca_pem: &str, client: &Issued, port: u16, agent: &mut Enrolling) -> Response {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let attempt = rt.block_on(async {
            let config = client_config(ca_pem, Some(client), &[&rustls::version::TLS13]);
            let stream = tcp(([127, 0, 0, 1], port).into(), None).await?;
            let name = ServerName::IpAddress(std::net::Ipv4Addr::LOCALHOST.into());
            let mut tls = tokio_rustls::TlsConnector::from(config)
                .connect(name, stream)
                .await?;
            request(&mut tls, "GET", "/api/v1/health", &[], b"").await
        });
        match attempt {
            Ok(r) => return r,
            Err(e) => {
                assert!(
                    Instant::now() < deadline,
                    "agent does not serve mTLS: {e}\n{}\n{}",
                    agent.stdout(),
                    agent.stderr()
                );
                wait_a_little();
            }
        }
    }
}

#[test]
fn an_agent_with_the_right_fingerprint_enrols_after_api_approval_and_serves_mtls() {
    let m = ManagerProc::start_configured("");
    let sb = EnrollSandbox::new();
    let fp = fingerprint(&m);
    let bare = fp.replace(':', "").to_lowercase();
    let mut agent = sb.enroll(&m.url, &["--ca-fingerprint", &bare]);
    agent.wait_for("pending approval by an administrator (request agent-1.example.test, polling every 1 s)");
    assert!(!agent.stdout().contains("trusting the manager's CA on first use"));
    assert_eq!(
        std::fs::read_to_string(sb.pin()).unwrap(),
        m.ca(),
        "the verified CA is pinned"
    );

    let token = admin_token(&m, "boss");
    let list = call(&m, "GET", "/api/v1/enrollments", Some(&token), None).json();
    let pending = list["data"]["pending"].as_array().unwrap();
    assert_eq!(pending.len(), 1, "{list}");
    let p = &pending[0];
    assert_eq!(p["fqdn"], "agent-1.example.test");
    assert_eq!(p["machine_id"], MACHINE_ID);
    assert_eq!(p["ip"], "127.0.0.1");
    assert_eq!(p["agent_port"], i64::from(sb.port));
    assert!(
        p.get("token_hash").is_none(),
        "the token hash is never shown: {p}"
    );
    let id = p["id"].as_i64().unwrap();
    let r = call(
        &m,
        "POST",
        &format!("/api/v1/enrollments/{id}/approve"),
        Some(&token),
        None,
    );
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    assert_eq!(r.json()["data"]["host"]["machine_id"], MACHINE_ID);
    let again = call(
        &m,
        "POST",
        &format!("/api/v1/enrollments/{id}/approve"),
        Some(&token),
        None,
    );
    assert_eq!(again.status, 409, "a decided request cannot be decided again");

    agent.wait_for("enrolment complete: registered as agent-1.example.test");
    let etc = sb.etc();
    assert_eq!(mode(&etc.join("certs")), 0o700);
    assert_eq!(mode(&etc.join("certs/server.key")), 0o600);
    assert_eq!(std::fs::read_to_string(etc.join("certs/ca.pem")).unwrap(), m.ca());
    assert!(std::fs::read_to_string(etc.join("certs/crl.pem"))
        .unwrap()
        .contains("BEGIN X509 CRL"));
    let config = std::fs::read_to_string(etc.join("config.yaml")).unwrap();
    assert!(config.starts_with("# my agent\n"), "{config}");
    assert!(config.contains("crl: certs/crl.pem"), "{config}");
    assert!(config.contains("kind: simulated"), "{config}");
    let wl = std::fs::read_to_string(etc.join("whitelist.yaml")).unwrap();
    assert!(wl.starts_with("allow:\n  - 127.0.0.2   # the lab box\n"), "{wl}");
    assert!(
        wl.contains("  - 127.0.0.1   # the manager, added by linux-patch-api --enroll"),
        "{wl}"
    );

    let health = mtls_health(&m.agents_ca(), &manager_client(&m), sb.port, &mut agent);
    assert_eq!(health.status, 200, "{}", String::from_utf8_lossy(&health.body));

    let audit = std::fs::read_to_string(sb.dir.path().join("var/log/linux_patch_api/audit.log")).unwrap();
    for event in ["enroll.ca_verified", "enroll.requested", "enroll.complete"] {
        assert!(
            audit.contains(&format!("\"event\":\"{event}\"")),
            "{event}:\n{audit}"
        );
    }
    let actions = audit_actions(m.db());
    for a in ["enroll.request", "host.add", "enroll.approve", "enroll.deliver"] {
        assert!(actions.iter().any(|x| x == a), "{a}: {actions:?}");
    }
    let now = call(&m, "GET", "/api/v1/enrollments", Some(&token), None).json();
    let decided = &now["data"]["decided"][0];
    assert_eq!(decided["status"], "approved");
    assert_eq!(decided["decided_by"], "boss");
    assert!(decided["delivered_at"].is_string(), "{decided}");
}

#[test]
fn tofu_prints_and_pins_the_ca_and_the_cli_approves() {
    let m = ManagerProc::start_configured("");
    let sb = EnrollSandbox::new();
    std::fs::remove_file(sb.etc().join("whitelist.yaml")).unwrap();
    let mut agent = sb.enroll(&m.url, &[]);
    agent.wait_for("pending approval by an administrator");
    let out = agent.stdout();
    assert!(
        out.contains(&format!(
            "trusting the manager's CA on first use: SHA256 {}",
            fingerprint(&m)
        )),
        "{out}"
    );
    assert_eq!(std::fs::read_to_string(sb.pin()).unwrap(), m.ca());

    let listed = cli(m.prefix(), &["enrollment", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(
        listed.status.success() && text.contains("agent-1.example.test"),
        "{text}"
    );
    // Issue 13: `approve --all` lists the key fingerprints and approves nothing without a yes.
    let printed = agent
        .stdout()
        .lines()
        .find_map(|l| {
            l.strip_prefix("this agent's key: SHA256 ")
                .map(|r| r[..95].to_owned())
        })
        .unwrap();
    let blind = cli(m.prefix(), &["enrollment", "approve", "--all"]);
    let out = String::from_utf8_lossy(&blind.stdout).into_owned();
    assert!(
        !blind.status.success() && out.contains("nothing approved"),
        "{out}"
    );
    assert!(out.contains(&printed), "the agent's fingerprint is shown: {out}");
    let ok = cli(m.prefix(), &["enrollment", "approve", "--all", "--yes"]);
    assert!(ok.status.success(), "{}", String::from_utf8_lossy(&ok.stderr));
    agent.wait_for("enrolment complete");
    let wl = std::fs::read_to_string(sb.etc().join("whitelist.yaml")).unwrap();
    assert!(wl.starts_with("allow:\n  - 127.0.0.1 "), "{wl}");
    assert!(std::fs::read_to_string(sb.etc().join("config.yaml"))
        .unwrap()
        .contains("crl: certs/crl.pem"));
    let health = mtls_health(&m.agents_ca(), &manager_client(&m), sb.port, &mut agent);
    assert_eq!(health.status, 200);
    let audit = std::fs::read_to_string(sb.dir.path().join("var/log/linux_patch_api/audit.log")).unwrap();
    assert!(
        audit.contains("\"event\":\"enroll.ca_trusted_on_first_use\""),
        "{audit}"
    );
    let actions = audit_actions(m.db());
    let approve = actions.iter().position(|a| a == "enroll.approve").unwrap();
    assert!(
        actions[approve..].iter().any(|a| a == "enroll.deliver"),
        "{actions:?}"
    );
}
