//! The manager console in headless Chromium (playwright-core scripts in tests/browser/): MFA, theme, screenshots.

use linux_patch_tests::browser::{run_script, try_run_script, SCRIPT_TIMEOUT};
use linux_patch_tests::manager::ManagerProc;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Where a failing script leaves its screenshots and page HTML: `target/browser-artefacts/<script>/`, which
/// outlives the manager's temporary prefix (and so its `out_dir()`).
fn artefact_dir(script: &str) -> PathBuf {
    let stem = script.trim_end_matches(".mjs");
    let d = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../target/browser-artefacts")
        .join(stem);
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Runs a console script against a fresh manager as its first admin (one-time password), trusting its root
/// CA; a failure report ends with the manager's log.
fn run_console(script: &str, m: &ManagerProc, extra: &[(&str, &str)]) -> Value {
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let out = artefact_dir(script).to_string_lossy().into_owned();
    let mut env = vec![
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.as_str()),
    ];
    env.extend_from_slice(extra);
    let v = try_run_script(script, &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("{script}: {v}");
    v
}

/// The kit itself, without the manager: a throwaway CA is trusted only once imported into the browser's NSS
/// db, and WebAuthn create/get work on a virtual authenticator on that https://localhost page.
#[test]
fn browser_kit_trusts_the_test_ca_and_offers_webauthn() {
    let out = tempfile::tempdir().unwrap();
    let v = run_script("selfcheck.mjs", &[("OUT_DIR", out.path().to_str().unwrap())]);
    assert_eq!(v["untrusted"], "ERR_CERT_AUTHORITY_INVALID", "{v}");
    assert_eq!(v["webauthn"]["secure"], true, "{v}");
    assert_eq!(v["stored"], 1, "{v}");
    assert_eq!(v["after_clear"], "NotAllowedError", "{v}");
}

/// First login, password change, security-key enrolment, recovery codes, key login; with the key's credential
/// gone the key login shows an error and signs nobody in (a recovery code then does).
#[test]
fn console_security_key_enrolment_and_login() {
    let m = ManagerProc::start();
    let v = run_console("webauthn.mjs", &m, &[]);
    assert_eq!(v["credential_rp"], "localhost", "{v}");
    assert!(!v["refused_error"].as_str().unwrap().is_empty(), "{v}");
}

/// TOTP enrolment from the page's secret, login with a fresh code, the same code refused the second time.
#[test]
fn console_totp_enrolment_and_login() {
    let m = ManagerProc::start();
    let v = run_console("totp.mjs", &m, &[]);
    assert!(
        v["login_step"].as_i64().unwrap() > v["enrol_step"].as_i64().unwrap(),
        "{v}"
    );
    assert!(!v["replay_error"].as_str().unwrap().is_empty(), "{v}");
}

/// The theme toggle switches data-theme light/dark and each user keeps their own across logout and login.
#[test]
fn console_theme_is_remembered_per_user() {
    let m = ManagerProc::start();
    let v = run_console("theme.mjs", &m, &[]);
    assert_ne!(v["admin"], v["operator"], "{v}");
}

/// Login, MFA enrolment, Users and Settings, light and dark, 1280 wide: into `target/screenshots/`, or into the repo's
/// `docs/screenshots/` with `LPM_UPDATE_SCREENSHOTS=1` (so a plain test run leaves the tree unchanged).
#[test]
fn console_screenshots_for_the_docs() {
    let m = ManagerProc::start();
    let dir = linux_patch_tests::browser::screenshot_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let v = run_console(
        "screenshots.mjs",
        &m,
        &[("SCREENSHOT_DIR", dir.to_str().unwrap())],
    );
    for page in ["login", "enroll", "users", "settings"] {
        for scheme in ["light", "dark"] {
            let png = dir.join(format!("{page}-{scheme}.png"));
            let bytes = std::fs::read(&png).unwrap();
            assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{}", png.display());
            // IHDR width, big-endian, at byte 16.
            let width = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
            assert_eq!(width, 1280, "{}: {v}", png.display());
        }
    }
}
