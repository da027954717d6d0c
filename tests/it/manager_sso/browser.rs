//! Chromium signs in through the provider's own login page and lands in the console with the mapped role;
//! screenshots of the sign-in page with the SSO button and of the SSO settings page, light and dark.

use super::*;
use linux_patch_tests::browser::run_script;
use linux_patch_tests::manager::ManagerProc;
use linux_patch_tests::signin::api_token;
use std::path::Path;

/// Into `target/screenshots/`, or the repo's `docs/screenshots/` with `LPM_UPDATE_SCREENSHOTS=1`.
#[test]
fn sso_sign_in_in_chromium_lands_with_the_mapped_role() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let idp = EntraProvider::start("https://localhost:1/not-yet");
    // ca_file relative to the config directory (absolute paths are re-rooted under --prefix).
    let extra = format!(
        "sso: {{ authority_host: \"{}\", ca_file: idp-ca.pem }}\n",
        idp.authority_host()
    );
    let mut m = ManagerProc::prepare_configured(&extra);
    std::fs::copy(
        &idp.ca_file,
        m.prefix().join("etc/linux_patch_manager/idp-ca.pem"),
    )
    .unwrap();
    m.launch();
    rt.block_on(idp.set_redirect(&format!("{}/login/sso/callback", m.url)));
    let (_, totp) = ready_user(&mut m.db().conn(), "root", Role::Admin);
    let token = api_token(&m, "root", &totp);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(m.ca().as_bytes()).unwrap())
        .build()
        .unwrap();
    let status = rt.block_on(async {
        client
            .put(format!("{}/api/v1/settings/sso", m.url))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(settings("app_roles", CLIENT_SECRET).to_string())
            .send()
            .await
            .unwrap()
            .status()
    });
    assert_eq!(status, 200);

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let dir = linux_patch_tests::browser::screenshot_dir();
    // Where a failing script leaves its screenshots and page HTML.
    let out = root.join("target/browser-artefacts/sso");
    std::fs::create_dir_all(&out).unwrap();
    let v = run_script(
        "sso.mjs",
        &[
            ("BASE_URL", m.url.as_str()),
            ("CA_PEM", m.ca_pem.to_str().unwrap()),
            ("IDP_CA_PEM", idp.ca_file.to_str().unwrap()),
            ("SCREENSHOT_DIR", dir.to_str().unwrap()),
            ("OUT_DIR", out.to_str().unwrap()),
        ],
    );
    assert_eq!(v["who"], "alice (admin)", "{v}");
    assert_eq!(v["provider_host"], format!("localhost:{}", idp.port), "{v}");
    assert_eq!(v["test_ok"], "true", "{v}");
    for name in [
        "login-sso-light",
        "login-sso-dark",
        "sso-settings-light",
        "sso-settings-dark",
    ] {
        let bytes = std::fs::read(dir.join(format!("{name}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}");
    }
}
