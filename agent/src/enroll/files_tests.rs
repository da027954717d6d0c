//! Tests of the enrolment file edits.

use super::*;
use std::os::unix::fs::PermissionsExt;

const IP: Ipv4Addr = Ipv4Addr::new(10, 1, 2, 3);

fn crl_of(text: &str) -> Option<PathBuf> {
    parse_yaml_text::<ConfigFile>(Path::new("c.yaml"), text)
        .unwrap()
        .tls
        .crl
}

#[test]
fn crl_is_set_in_flow_block_missing_and_absent_tls_sections() {
    let cases = [
        DEFAULT_CONFIG.to_owned(),
        "tls: { ca_cert: certs/ca.pem }\nserver: { port: 12444 }\n".to_owned(),
        "# mine\ntls:\n  ca_cert: certs/ca.pem  # keep\n  crl: null\nserver:\n  port: 12444\n".to_owned(),
        "tls:\n    server_key: certs/server.key\nlogging: { level: debug }\n".to_owned(),
        "server: { port: 12444 }".to_owned(),
        String::new(),
    ];
    for text in cases {
        let out = set_crl(&text, "certs/crl.pem").unwrap_or_else(|| panic!("{text}"));
        assert_eq!(
            crl_of(&out),
            Some(PathBuf::from("certs/crl.pem")),
            "{text}\n->\n{out}"
        );
        for l in text
            .lines()
            .filter(|l| !l.contains("crl") && !l.starts_with("tls:"))
        {
            assert!(out.contains(l), "lost `{l}`:\n{out}");
        }
    }
    assert!(
        DEFAULT_CONFIG.lines().count() + 1 >= set_crl(DEFAULT_CONFIG, "x/crl.pem").unwrap().lines().count()
    );
}

#[test]
fn a_set_crl_is_not_overwritten_and_odd_layouts_are_refused() {
    assert!(set_crl("tls:\n  crl: /etc/x.pem\n", "certs/crl.pem").is_none());
    assert!(set_crl("tls: {crl: /etc/x.pem}\n", "certs/crl.pem").is_none());
    assert!(set_crl("tls: [\n", "certs/crl.pem").is_none());
}

#[test]
fn the_manager_is_appended_to_block_flow_and_new_allow_lists() {
    for text in [
        "allow:\n  - 127.0.0.1\n  - 10.20.0.0/16   # lab\n",
        "# who\nallow:\n    - 127.0.0.1\n# end\n",
        "allow: [127.0.0.1, 10.9.0.0/16]\n",
        "allow: []\n",
        "allow:\n- 127.0.0.1",
    ] {
        let out = allow_ip(Some(text), IP, "2026-12-02").unwrap_or_else(|| panic!("{text}"));
        let list = AllowList::from_entries(Path::new("w.yaml"), &out, &entries(&out)).unwrap();
        assert!(list.allows(IpAddr::V4(IP)), "{out}");
        for l in text.lines().filter(|l| !l.starts_with("allow:")) {
            assert!(out.contains(l), "lost `{l}`:\n{out}");
        }
        assert!(out.contains("added by linux-patch-api --enroll"), "{out}");
    }
    let new = allow_ip(None, IP, "x").unwrap();
    assert_eq!(entries(&new), vec!["10.1.2.3".to_owned()]);
    assert!(allow_ip(Some("allow: 127.0.0.1\n"), IP, "x").is_none());
}

fn entries(text: &str) -> Vec<String> {
    let v: serde_norway::Value = serde_norway::from_str(text).unwrap();
    v["allow"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn bundle_files_are_written_atomically_with_private_modes() {
    let d = tempfile::tempdir().unwrap();
    let cfg = ConfigFile::default();
    let (p, set) = bundle_paths(&cfg, d.path());
    assert_eq!(set.as_deref(), Some("certs/crl.pem"));
    assert_eq!(p.crl, d.path().join("certs/crl.pem"));
    write_bundle(&p, "CA", "CERT", "KEY", "CRL").unwrap();
    let mode = |f: &Path| std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&p.key), 0o600);
    assert_eq!(mode(&d.path().join("certs")), 0o700);
    assert_eq!(std::fs::read_to_string(&p.cert).unwrap(), "CERT");
    write_bundle(&p, "CA2", "CERT2", "KEY2", "CRL2").unwrap();
    assert_eq!(std::fs::read_to_string(&p.key).unwrap(), "KEY2");
    assert_eq!(mode(&p.key), 0o600);
    let leftovers: Vec<_> = std::fs::read_dir(d.path().join("certs"))
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn a_default_config_is_created_only_when_missing() {
    let d = tempfile::tempdir().unwrap();
    let f = d.path().join("etc/config.yaml");
    assert!(ensure_config(&f).unwrap());
    assert!(!ensure_config(&f).unwrap());
    let c: ConfigFile = parse_yaml_text(&f, &std::fs::read_to_string(&f).unwrap()).unwrap();
    assert_eq!(c, ConfigFile::default());
}
