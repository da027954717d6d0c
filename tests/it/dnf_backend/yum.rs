//! The same backend as `yum` (RHEL 8/9's dnf-compatible command; here a `yum -> dnf` symlink): listing,
//! security data, an update and reboot detection.

use super::{base_with, exec, spec};
use linux_patch_api::backend::dnf::{DnfBackend, DnfFlavor};
use linux_patch_api::backend::{CommandEnv, Operation, PackageBackend};
use linux_patch_shared::api::agent::TriState;
use linux_patch_tests::dnf::{dnf_sandbox, host_rpm_fingerprint};

#[test]
fn yum_smoke() {
    let host = host_rpm_fingerprint();
    let sb = dnf_sandbox();
    let b = DnfBackend::new(
        CommandEnv {
            env: sb.yum_env(),
            extra_args: sb.extra_args(),
        },
        DnfFlavor::Yum,
    )
    .unwrap();
    assert_eq!(b.name(), "yum");
    let mut listed: Vec<String> = b
        .installed()
        .unwrap()
        .iter()
        .map(|p| format!("{}={}", p.name, p.version))
        .collect();
    listed.sort();
    assert_eq!(listed, sb.rpm_qa());
    let hello = b
        .upgrades()
        .unwrap()
        .iter()
        .find(|u| u.name == "pmtest-hello")
        .cloned()
        .unwrap();
    assert_eq!(
        (
            hello.security,
            hello.severity.as_deref(),
            hello.cves.clone(),
            hello.security_source.as_str()
        ),
        (
            true,
            Some("important"),
            vec!["CVE-2024-12345".to_string()],
            "updateinfo"
        )
    );
    exec(
        &b,
        Operation::Update {
            package: spec("pmtest-hello", None),
            allow_downgrade: false,
        },
    )
    .assert_progress();
    assert_eq!(sb.rpm_qa(), base_with(&["pmtest-hello=1.1-1"]));
    let r = b.reboot_required();
    assert_eq!(r.state, TriState::No, "{r:?}");
    assert!(r.reason.starts_with("yum needs-restarting"), "{r:?}");

    // Without the override, the program is `yum` from PATH: the shim directory first.
    let mut env = sb.env();
    let path = format!(
        "{}:{}",
        sb.yum_bin().parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    env.insert("PATH".into(), path);
    let b = DnfBackend::new(
        CommandEnv {
            env,
            extra_args: sb.extra_args(),
        },
        DnfFlavor::Yum,
    )
    .unwrap();
    assert_eq!(b.reboot_required().state, TriState::No);
    sb.close().unwrap();
    assert_eq!(
        host_rpm_fingerprint(),
        host,
        "the host's rpm/dnf state must not change"
    );
}
