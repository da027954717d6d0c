//! The apt backend against real apt-get and dpkg: a sandbox with two local repositories, and (read-only) this
//! machine's own dpkg database.

use linux_patch_api::backend::apt::{compare_versions, AptBackend};
use linux_patch_api::backend::{CommandEnv, PackageBackend};
use linux_patch_shared::api::agent::{Package, Patch, PatchOrigin};
use linux_patch_tests::apt::{apt_sandbox, dpkg_query, dpkg_query_w_at, AptSandbox};
use std::cmp::Ordering;
use std::sync::Arc;

const HOST_STATUS: &str = "/var/lib/dpkg/status";

fn host_status_sha256() -> [u8; 32] {
    openssl::sha::sha256(&std::fs::read(HOST_STATUS).unwrap_or_else(|e| panic!("read {HOST_STATUS}: {e}")))
}

fn backend(sb: &AptSandbox) -> AptBackend {
    AptBackend::new(CommandEnv {
        env: sb.env(),
        extra_args: Vec::new(),
    })
    .unwrap_or_else(|e| panic!("apt backend on the sandbox: {e}"))
}

fn triples(pkgs: &[Package]) -> Vec<(String, String, String)> {
    let mut t: Vec<_> = pkgs
        .iter()
        .map(|p| (p.name.clone(), p.version.clone(), p.architecture.clone()))
        .collect();
    t.sort();
    t
}

fn upgrade_summary(p: &[Patch]) -> Vec<(String, Option<String>, String, bool)> {
    p.iter()
        .map(|p| {
            (
                p.name.clone(),
                p.installed_version.clone(),
                p.candidate_version.clone(),
                p.security,
            )
        })
        .collect()
}

fn find<'a>(pkgs: &'a [Package], name: &str) -> &'a Package {
    pkgs.iter()
        .find(|p| p.name == name)
        .unwrap_or_else(|| panic!("{name} not listed in {pkgs:?}"))
}

#[test]
fn sandbox_lists_classifies_and_follows_changes() {
    let host_before = host_status_sha256();
    let sb = apt_sandbox();
    eprintln!("apt sandbox created in {:?}", sb.created_in());
    let b = backend(&sb);

    let installed = b.installed().unwrap();
    assert_eq!(triples(&installed), sb.dpkg_query_w());
    assert_eq!(installed.len(), 3);
    let lib = find(&installed, "pmtest-lib");
    assert_eq!(lib.status, "installed");
    assert_eq!(lib.summary.as_deref(), Some("pm test package pmtest-lib 1.0"));
    assert_eq!(lib.section.as_deref(), Some("misc"));
    assert_eq!(lib.installed_size_kib, Some(8));
    assert_eq!(lib.source.as_deref(), Some("pmtest-libs"));
    assert_eq!(find(&installed, "pmtest-hello").source, None);

    let ups = b.upgrades().unwrap();
    assert_eq!(
        upgrade_summary(&ups),
        vec![
            ("pmtest-hello".into(), Some("1.0".into()), "1.1".into(), false),
            ("pmtest-lib".into(), Some("1.0".into()), "1.0.1".into(), true),
        ]
    );
    let (hello, libu) = (&ups[0], &ups[1]);
    assert_eq!(hello.architecture, "all");
    assert_eq!(hello.repository, "pmtest:pmtest-updates");
    assert_eq!(hello.origins[0].suite.as_deref(), Some("pmtest-updates"));
    assert_eq!(
        libu.origins,
        vec![PatchOrigin {
            origin: "pmtest-Security".into(),
            version: None,
            suite: Some("pmtest-security".into())
        }]
    );
    assert_eq!(libu.security_source, "origin");
    assert_eq!((libu.severity.clone(), libu.cves.len()), (None, 0));

    let marks = |pkgs: &[Package], n: &str| {
        let p = find(pkgs, n);
        (p.upgradable, p.candidate_version.clone())
    };
    assert_eq!(
        marks(&installed, "pmtest-hello"),
        (Some(true), Some("1.1".into()))
    );
    assert_eq!(
        marks(&installed, "pmtest-lib"),
        (Some(true), Some("1.0.1".into()))
    );
    assert_eq!(marks(&installed, "pmtest-app"), (Some(false), None));

    // Nothing changed: both answers come from the caches (same allocation, no new apt-get run).
    assert!(Arc::ptr_eq(&ups, &b.upgrades().unwrap()));
    assert!(Arc::ptr_eq(&installed, &b.installed().unwrap()));

    // A change made by apt behind the backend's back invalidates both caches.
    sb.apt_get(&["install", "pmtest-hello=1.1"]);
    let after = b.installed().unwrap();
    assert_eq!(triples(&after), sb.dpkg_query_w());
    assert_eq!(find(&after, "pmtest-hello").version, "1.1");
    assert_eq!(marks(&after, "pmtest-hello"), (Some(false), None));
    assert_eq!(marks(&after, "pmtest-lib"), (Some(true), Some("1.0.1".into())));
    let ups = b.upgrades().unwrap();
    assert_eq!(
        upgrade_summary(&ups),
        vec![("pmtest-lib".into(), Some("1.0".into()), "1.0.1".into(), true)]
    );

    assert!(b.last_change().is_some());
    assert_eq!(
        host_status_sha256(),
        host_before,
        "the host's dpkg status must not change"
    );
}

#[test]
fn sandbox_names_are_validated_and_sandboxes_are_independent() {
    let a = apt_sandbox();
    let b = apt_sandbox();
    assert_ne!(a.root(), b.root());
    a.apt_get(&["remove", "pmtest-app"]);
    let ba = backend(&a);
    let bb = backend(&b);
    let names =
        |be: &AptBackend| -> Vec<String> { be.installed().unwrap().iter().map(|p| p.name.clone()).collect() };
    assert_eq!(names(&ba), vec!["pmtest-hello", "pmtest-lib"]);
    assert_eq!(names(&bb), vec!["pmtest-app", "pmtest-hello", "pmtest-lib"]);
    assert_eq!(ba.validate_name("pmtest-hello"), Ok(()));
    assert!(ba.validate_name("-oAPT::Get::Foo").is_err());
    let root = a.root().to_path_buf();
    a.close().unwrap();
    assert!(!root.exists(), "sandbox root removed");
}

#[test]
fn host_database_matches_dpkg_query_exactly() {
    let before = host_status_sha256();
    // Keep even the simulation read-only: no pkgcache.bin written under /var/cache/apt.
    let env = CommandEnv {
        env: Default::default(),
        extra_args: ["-o", "Dir::Cache::pkgcache=", "-o", "Dir::Cache::srcpkgcache="]
            .map(String::from)
            .to_vec(),
    };
    let b = AptBackend::new(env).expect("apt backend on this machine");
    let installed = b.installed().unwrap();
    assert_eq!(triples(&installed), dpkg_query_w_at(None));
    let mut states: Vec<String> = dpkg_query(None, "${Package}\t${Architecture}\t${db:Status-Status}\n");
    states.sort();
    let mut ours: Vec<String> = installed
        .iter()
        .map(|p| format!("{}\t{}\t{}", p.name, p.architecture, p.status))
        .collect();
    ours.sort();
    assert_eq!(ours, states);

    // Whatever apt proposes here must upgrade what dpkg has: the installed version is the database's and
    // the candidate is newer by dpkg's ordering.
    let ups = b.upgrades().unwrap();
    for u in ups.iter() {
        assert!(!u.repository.is_empty(), "{u:?}");
        let Some(old) = &u.installed_version else { continue };
        let listed = installed
            .iter()
            .find(|p| p.name == u.name && (p.architecture == u.architecture || p.architecture == "all"))
            .unwrap_or_else(|| panic!("upgrade of a package dpkg does not list: {u:?}"));
        assert_eq!(&listed.version, old, "{u:?}");
        assert_eq!(
            compare_versions(&u.candidate_version, old),
            Ordering::Greater,
            "{u:?}"
        );
        assert_eq!(
            (listed.upgradable, listed.candidate_version.as_ref()),
            (Some(true), Some(&u.candidate_version))
        );
    }
    assert_eq!(host_status_sha256(), before);
}
