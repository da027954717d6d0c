//! The API tokens pages in Chromium against the real `serve` (a seeded service account with a used and a
//! revoked token): create on the account page, the secret once, the admin view; screenshots light and dark into
//! `target/screenshots/` (or `docs/screenshots/` with `LPM_UPDATE_SCREENSHOTS=1`).

use chrono::Duration;
use diesel::RunQueryDsl;
use linux_patch_manager::auth::api_tokens::mint;
use linux_patch_shared::clock::{Clock, SystemClock};

#[test]
fn api_token_pages_in_a_real_browser() {
    use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
    use linux_patch_tests::manager::ManagerProc;
    let mut m = ManagerProc::prepare_configured("");
    let now = SystemClock.now();
    {
        let mut c = m.db().conn();
        let q = format!(
            "WITH u AS (INSERT INTO users (username, password_hash, role, must_change_password, created_at) \
             VALUES ('ci-bot', '!service-account', 'operator', false, '{t}') RETURNING id), \
             s AS (INSERT INTO service_accounts (user_id, description, created_by, created_at) \
             SELECT id, 'nightly compliance export', 'admin', '{t}' FROM u) \
             INSERT INTO api_tokens (user_id, name, prefix, token_hash, read_only, created_by, created_at, expires_at, \
             last_used_at, last_used_ip, revoked_at, revoked_by) SELECT id, n, p, h, ro, 'admin', '{t}', '{e}', lu, ip, rv, rb \
             FROM u, (VALUES ('export', '{p1}', '{h1}', true, '{l}'::timestamptz, '10.0.0.5', NULL::timestamptz, NULL), \
             ('old-cron', '{p2}', '{h2}', false, NULL, NULL, '{l}'::timestamptz, 'admin')) AS v(n, p, h, ro, lu, ip, rv, rb)",
            t = (now - Duration::days(10)).to_rfc3339(),
            e = (now + Duration::days(80)).to_rfc3339(),
            l = (now - Duration::hours(3)).to_rfc3339(),
            p1 = mint().shown,
            h1 = mint().hash,
            p2 = mint().shown,
            h2 = mint().hash,
        );
        diesel::sql_query(&q)
            .execute(&mut c)
            .unwrap_or_else(|e| panic!("{q}: {e}"));
    }
    m.launch();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shots = linux_patch_tests::browser::screenshot_dir();
    let out = root.join("target/browser-artefacts/api_tokens");
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
    let v = try_run_script("api_tokens.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("api_tokens.mjs: {v}");
    assert_eq!(v["prefix"], "lpmt_", "{v}");
    assert_eq!(v["rows"], serde_json::json!(["nightly-report"]), "{v}");
    assert_eq!(
        v["me"],
        serde_json::json!({"status": 200, "name": "nightly-report"}),
        "{v}"
    );
    assert_eq!(
        v["console"]["path"], "/login",
        "the console refuses the token (sign-in page): {v}"
    );
    assert_eq!(v["shownAgain"], 0, "{v}");
    assert_eq!(
        v["all"],
        serde_json::json!(["nightly-report", "old-cron", "export"]),
        "{v}"
    );
    for name in ["api_tokens", "api_tokens_admin"] {
        for scheme in ["light", "dark"] {
            let p = shots.join(format!("{name}-{scheme}.png"));
            let meta = std::fs::metadata(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            assert!(meta.len() > 10_000, "{} is {} bytes", p.display(), meta.len());
        }
    }
}
