//! The Reports pages in Chromium against the real `serve` on the seeded fleet: the navigation link, the
//! numbers each page shows, screenshots light and dark into `target/screenshots/` (or `docs/screenshots/` with
//! `LPM_UPDATE_SCREENSHOTS=1`).

use super::*;
use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
use linux_patch_tests::console::state;
use linux_patch_tests::manager::ManagerProc;

#[actix_web::test]
async fn report_pages_in_a_real_browser() {
    let mut m = ManagerProc::prepare_configured(
        "poller: { health_interval_secs: 86400, patch_interval_secs: 86400, timeout_secs: 2 }\n",
    );
    let (st, _) = state(m.db());
    seed(m.db(), &st, SystemClock.now()).await;
    diesel::RunQueryDsl::execute(
        diesel::sql_query("UPDATE hosts SET retry_at = now() + interval '1 day', health_checked_at = now()"),
        &mut m.db().conn(),
    )
    .unwrap();
    m.launch();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = linux_patch_tests::browser::screenshot_dir();
    let out = root.join("target/browser-artefacts/report_pages");
    std::fs::create_dir_all(&out).unwrap();
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let env = [
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.to_str().unwrap()),
        ("SCREENSHOT_DIR", shots.to_str().unwrap()),
    ];
    let v = try_run_script("report_pages.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    assert_eq!(v["percent"], "50.0 %", "{v}");
    assert_eq!(v["hosts"], 5, "{v}");
    assert_eq!(
        v["cves"],
        serde_json::json!(["CVE-2026-0001", "CVE-2026-0002", "CVE-2026-0003"]),
        "{v}"
    );
    assert_eq!(v["cveHosts"], 1, "{v}");
    assert!(
        v["chain"].as_str().unwrap_or_default().starts_with("verified ("),
        "{v}"
    );
}
