//! The fake apk is faithful: replaying the recorded runs (SAMPLES.md, in order, with the two steps the
//! recordings took without showing them) gives exactly the recorded stdout, stderr and exit code, for
//! apk-tools 2.14.10 and 3.0.6.

use linux_patch_tests::apk::{fake_apk, samples, ApkVersion, Run};

fn replay(version: ApkVersion) {
    let f = fake_apk(version);
    let work = f.work().display().to_string();
    let all = samples();
    assert_eq!(all.len(), 16, "SAMPLES.md has 16 blocks");
    for sample in &all {
        match sample.number {
            // Not shown in the recordings: `$APK add pmtest-hello >/dev/null   # unpin` before block 10,
            // and the missing repository appended before block 16.
            10 => {
                f.apk_ok(&["add", "pmtest-hello"]);
            }
            16 => f.add_missing_repository(),
            _ => {}
        }
        let args: Vec<&str> = sample.args.iter().map(String::as_str).collect();
        let got = f.apk(&args);
        let got = Run {
            stdout: got.stdout.replace(&work, "$WORK"),
            stderr: got.stderr.replace(&work, "$WORK"),
            code: got.code,
        };
        assert_eq!(
            &got,
            sample.output(version),
            "block {} `apk {}` ({})",
            sample.number,
            args.join(" "),
            version.label()
        );
    }
    f.remove_missing_repository();
    assert_eq!(
        f.installed(),
        ["pmtest-app=1.0-r0", "pmtest-hello=1.1-r0", "pmtest-lib=1.0-r0"],
        "the recordings' final state"
    );
    assert_eq!(f.world(), ["pmtest-app=1.0-r0", "pmtest-hello"]);
}

#[test]
fn fake_replays_the_recorded_apk_tools_2_14_runs() {
    replay(ApkVersion::V2);
}

#[test]
fn fake_replays_the_recorded_apk_tools_3_0_runs() {
    replay(ApkVersion::V3);
}

#[test]
fn samples_parse_into_every_block_and_version() {
    let all = samples();
    let cmds: Vec<String> = all.iter().map(|s| s.args.join(" ")).collect();
    assert_eq!(cmds[5], "version -l <", "quotes removed");
    assert_eq!(cmds[14], "del pmtest-lib");
    for s in &all {
        for v in [ApkVersion::V2, ApkVersion::V3] {
            let _ = s.output(v);
        }
    }
    assert!(
        all[14].note.contains("nothing is removed (exit 0)"),
        "{:?}",
        all[14].note
    );
    assert_ne!(all[15].output(ApkVersion::V2), all[15].output(ApkVersion::V3));
}

#[test]
fn fake_refuses_what_it_was_not_written_for() {
    let f = fake_apk(ApkVersion::V2);
    for args in [
        &["fix"][..],
        &["add", "--force-broken-world", "x"],
        &["info", "pmtest-hello"],
    ] {
        let r = f.apk(args);
        assert_eq!(r.code, 99, "{args:?}: {r:?}");
        assert!(r.stderr.starts_with("fake-apk: not recorded"), "{r:?}");
    }
    let out = std::process::Command::new(f.program())
        .args(["info", "-v"])
        .env_remove("FAKE_APK_ROOT")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(99), "no root: never the host");
}
