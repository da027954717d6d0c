//! Token creation re-authenticated with a security key, in Chromium with a virtual authenticator against the
//! real `serve`: the key's answer creates a token; the answer replayed, and a fresh answer of one session
//! submitted by another, are refused, audited and create nothing.

use diesel::prelude::*;
use linux_patch_manager::db::schema::{api_tokens, audit_log};
use serde_json::Value;

#[test]
fn a_security_key_proves_token_creation_once_and_only_in_its_own_session() {
    use linux_patch_tests::browser::{try_run_script, SCRIPT_TIMEOUT};
    use linux_patch_tests::manager::ManagerProc;
    let m = ManagerProc::start();
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = root.join("target/browser-artefacts/token_security_key");
    std::fs::create_dir_all(&out).unwrap();
    let ca = m.ca_pem.to_string_lossy().into_owned();
    let env = [
        ("BASE_URL", m.url.as_str()),
        ("CA_PEM", ca.as_str()),
        ("USERNAME", m.admin.as_str()),
        ("PASSWORD", m.admin_password.as_str()),
        ("OUT_DIR", out.to_str().unwrap()),
    ];
    let v = try_run_script("token_security_key.mjs", &env, SCRIPT_TIMEOUT)
        .unwrap_or_else(|report| panic!("{report}\n--- manager stderr ---\n{}", m.stderr()));
    eprintln!("token_security_key.mjs: {v}");
    assert_eq!(v["prefix"], "lpmt_", "the key's answer created a token: {v}");
    assert_eq!(v["started"], 200, "session B started its own challenge: {v}");
    for attack in ["replay", "crossNone", "crossOther"] {
        let a = &v[attack];
        assert_eq!(a["secret"], Value::Null, "{attack} created a token: {v}");
        let alert = a["alert"].as_str().unwrap_or_default();
        assert!(
            alert.contains("security key was not accepted"),
            "{attack} refused with a clear message: {v}"
        );
    }
    assert!(
        v["replay"]["alert"]
            .as_str()
            .unwrap()
            .contains("answered already")
            && v["crossNone"]["alert"]
                .as_str()
                .unwrap()
                .contains("no security-key check"),
        "{v}"
    );
    assert!(
        v["crossOther"]["alert"]
            .as_str()
            .unwrap()
            .contains("does not match the challenge"),
        "{v}"
    );

    let mut c = m.db().conn();
    let names: Vec<String> = api_tokens::table.select(api_tokens::name).load(&mut c).unwrap();
    assert_eq!(names, ["key-made"], "only the honest request made a token");
    let created: Vec<Value> = audit_log::table
        .filter(audit_log::action.eq("token.create"))
        .select(audit_log::details)
        .load(&mut c)
        .unwrap();
    assert_eq!(created.len(), 1, "{created:?}");
    assert_eq!(created[0]["proof"], "security key", "{created:?}");
    let failed: Vec<Value> = audit_log::table
        .filter(audit_log::action.eq("auth.reauth_failed"))
        .select(audit_log::details)
        .load(&mut c)
        .unwrap();
    assert_eq!(failed.len(), 3, "each attack audited: {failed:?}");
    assert!(failed.iter().all(|d| d["proof"] == "security key"), "{failed:?}");
}
