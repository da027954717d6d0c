//! `openapi.json` as generated clients use it: validated by `openapi-spec-validator`, turned into a client by
//! `openapi-python-client`, and that client driving a real agent on an apt sandbox (list, install, job
//! status, rollback). The Python side is `tests/openapi/client_test.py`.

use linux_patch_tests::agent::{AgentProc, AgentSetup};
use std::path::Path;
use std::process::Command;

#[test]
fn a_client_generated_from_openapi_json_lists_installs_follows_and_rolls_back() {
    let openapi = Path::new(env!("CARGO_MANIFEST_DIR")).join("openapi");
    let python = openapi.join(".venv/bin/python");
    assert!(
        python.exists(),
        "{} missing: run scripts/install-prereqs.sh (make test does)",
        python.display()
    );
    let agent = AgentProc::start(&AgentSetup::default());
    // A cache state in the seed's form, so health has a `last_cache_update` for the client to parse.
    std::fs::write(
        agent
            .prefix
            .path()
            .join("var/lib/linux_patch_api/state/cache.json"),
        r#"{"last_cache_update": "2026-05-27T13:30:00+00:00", "last_update_success": true}"#,
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let (ca, cert, key) = (
        work.path().join("ca.pem"),
        work.path().join("client.pem"),
        work.path().join("client.key"),
    );
    std::fs::write(&ca, agent.pki.ca.cert_pem()).unwrap();
    agent.pki.client.write(&cert, &key);
    let out = Command::new(&python)
        .arg(openapi.join("client_test.py"))
        .arg(format!("https://localhost:{}/api/v1", agent.addr.port()))
        .args([&ca, &cert, &key])
        .arg(work.path())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "client_test.py failed:\n{text}\n{}",
        agent.logs()
    );
    println!("{text}");
    for step in [
        "is valid",
        "without warnings",
        "every field optional",
        "list: upgradable",
        "install: 202",
        "rollback: 202",
        "404 PACKAGE_NOT_FOUND",
    ] {
        assert!(text.contains(step), "missing step {step:?}:\n{text}");
    }
    // The generated client's calls really changed the sandbox and really undid it.
    assert_eq!(agent.version_of("pmtest-new"), None, "rolled back");
    let jobs = agent.audit_events("job.finished");
    assert!(jobs.len() >= 2, "{jobs:?}");
}
