//! The manager console in headless Chromium (playwright-core scripts in tests/browser/): MFA, theme, screenshots.

use linux_patch_tests::browser::run_script;

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
