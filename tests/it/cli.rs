//! The command line: --version, --help, --check-config with located errors, and the exit codes.

use linux_patch_tests::agent::{free_port, workspace_bin, write_config, AgentSetup};
use linux_patch_tests::certs::Pki;
use std::process::{Command, Output};

fn agent(args: &[&str]) -> Output {
    Command::new(workspace_bin("linux-patch-api"))
        .args(args)
        .output()
        .unwrap()
}

fn prefix_with_config() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().unwrap();
    write_config(d.path(), free_port(), &AgentSetup::default(), &Pki::new());
    let p = d.path().to_str().unwrap().to_owned();
    (d, p)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn version_and_help() {
    let v = agent(&["--version"]);
    assert_eq!(v.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&v.stdout).contains(env!("CARGO_PKG_VERSION")));
    let h = agent(&["--help"]);
    assert_eq!(h.status.code(), Some(0));
    let text = String::from_utf8_lossy(&h.stdout);
    for needle in [
        "--prefix",
        "--config",
        "--check-config",
        "Exit codes",
        "whitelist.yaml",
    ] {
        assert!(text.contains(needle), "--help lacks {needle}");
    }
    assert_eq!(agent(&["--no-such-flag"]).status.code(), Some(2));
}

#[test]
fn check_config_accepts_a_valid_setup() {
    let (_d, p) = prefix_with_config();
    let o = agent(&["--prefix", &p, "--check-config"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(String::from_utf8_lossy(&o.stdout).contains("configuration OK"));
}

#[test]
fn check_config_names_file_line_and_field() {
    let (d, p) = prefix_with_config();
    let cfg = d.path().join("etc/linux_patch_api/config.yaml");
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(
        &cfg,
        text.replace(
            "logging: { level: debug }",
            "logging: { level: debug }\nsecurity2: 1",
        ),
    )
    .unwrap();
    let o = agent(&["--prefix", &p, "--check-config"]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(e.contains(&format!("{}:4", cfg.display())), "{e}");
    assert!(e.contains("security2"), "{e}");

    std::fs::write(&cfg, "server:\n  bind_address: 127.0.0.1\n  port: 70000\n").unwrap();
    let e = stderr(&agent(&["--prefix", &p, "--check-config"]));
    assert!(e.contains(":3") && e.contains("server.port"), "{e}");
}

#[test]
fn check_config_refuses_ipv6_allow_entries_and_missing_certificates() {
    let (d, p) = prefix_with_config();
    let etc = d.path().join("etc/linux_patch_api");
    std::fs::write(
        etc.join("whitelist.yaml"),
        "allow:\n  - 127.0.0.1\n  - \"fe80::1\"\n",
    )
    .unwrap();
    let o = agent(&["--prefix", &p, "--check-config"]);
    assert_eq!(o.status.code(), Some(3));
    let e = stderr(&o);
    assert!(
        e.contains("whitelist.yaml:3") && e.contains("IPv6") && e.contains("allow[1]"),
        "{e}"
    );

    std::fs::write(etc.join("whitelist.yaml"), "allow: [127.0.0.1]\n").unwrap();
    std::fs::remove_file(etc.join("certs/server.key")).unwrap();
    let o = agent(&["--prefix", &p, "--check-config"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("server.key"), "{}", stderr(&o));
    // Serving with the same problem fails the same way, before listening.
    assert_eq!(agent(&["--prefix", &p]).status.code(), Some(3));
}

#[test]
fn busy_port_is_a_startup_failure() {
    let (d, p) = prefix_with_config();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    write_config(d.path(), port, &AgentSetup::default(), &Pki::new());
    let o = agent(&["--prefix", &p]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    assert!(stderr(&o).contains("cannot listen"), "{}", stderr(&o));
}
