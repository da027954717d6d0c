//! The fleet pages in Chromium against the real `serve`.

use super::*;

/// The pages in Chromium against the real `serve` on the seeded fleet (the poller kept off the seeded hosts
/// by a backoff in the future): numbers, charts in both themes, the filter form, select-all + Add to group,
/// the live packages `<details>`; screenshots into `target/screenshots/` (or `docs/screenshots/` with
/// `LPM_UPDATE_SCREENSHOTS=1`).
#[test]
fn fleet_pages_in_a_real_browser() {
    use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
    use linux_patch_tests::manager::ManagerProc;
    let mut m = ManagerProc::prepare_configured(
        "poller: { health_interval_secs: 86400, patch_interval_secs: 86400, timeout_secs: 2 }\n",
    );
    let fleet = seed(m.db(), SystemClock.now());
    exec(
        &mut m.db().conn(),
        "UPDATE hosts SET retry_at = now() + interval '1 day', health_checked_at = now()",
    );
    m.launch();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = linux_patch_tests::browser::screenshot_dir();
    let out = root.join("target/browser-artefacts/fleet_pages");
    std::fs::create_dir_all(&out).unwrap();
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let host = fleet.id("a-web1.lan").to_string();
    let env = [
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.to_str().unwrap()),
        ("SCREENSHOT_DIR", shots.to_str().unwrap()),
        ("HOST_ID", host.as_str()),
    ];
    let v = try_run_script("fleet_pages.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("fleet_pages.mjs: {v}");
    let d = &v["dashboard"];
    for (id, want) in [
        ("compliance-percent", "33.3"),
        ("host-count", "6"),
        ("count-healthy", "3"),
        ("count-degraded", "1"),
        ("count-unreachable", "1"),
        ("count-unknown", "1"),
        ("sev-critical", "1"),
        ("reboot-count", "2"),
        ("alert-count", "2"),
    ] {
        assert_eq!(d[id], want, "#{id}: {v}");
    }
    assert_eq!(v["all"].as_array().unwrap().len(), 6, "{v}");
    assert_eq!(
        v["healthy"],
        serde_json::json!(["a-web1.lan", "b-db2.lan", "c-free.lan"])
    );
    assert_eq!(v["ticked"], 2, "select-all ticks every shown host");
    assert_eq!(v["notice"], "2 hosts added to the group", "{v}");
    assert!(
        v["after"].as_str().unwrap().starts_with("/hosts?group=none"),
        "{v}"
    );
    assert_eq!(v["stillUngrouped"], serde_json::json!([]));
    assert!(
        v["packages"]
            .as_str()
            .unwrap()
            .contains("Cannot list the installed packages"),
        "{v}"
    );
    for name in ["dashboard", "hosts", "host"] {
        for scheme in ["light", "dark"] {
            let png = std::fs::read(shots.join(format!("{name}-{scheme}.png"))).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        }
    }
}
