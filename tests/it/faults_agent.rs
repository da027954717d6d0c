//! The agent on a full disk: its data directory (state and jobs) on a small tmpfs filled to 100 % makes
//! `GET /health` degraded with the reason and job submissions refused with a clear error; both return to
//! normal once the filler file is removed. Needs root (mount).

use linux_patch_shared::clock::{Clock, SystemClock};
use linux_patch_tests::agent::{AgentProc, AgentSetup};
use linux_patch_tests::api::Api;
use serde_json::{json, Value};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted over `dir` (its files copied in first); unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn over(dir: &Path, size: &str) -> Self {
        let keep = tempfile::tempdir().unwrap();
        let copy = |from: &Path, to: &Path| {
            let ok = Command::new("cp")
                .arg("-a")
                .arg(format!("{}/.", from.display()))
                .arg(to)
                .status()
                .unwrap();
            assert!(ok.success());
        };
        copy(dir, keep.path());
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size},mode=0755"), "tmpfs"])
            .arg(dir)
            .status()
            .unwrap();
        assert!(ok.success(), "mount tmpfs over {}", dir.display());
        let m = Tmpfs(dir.to_path_buf());
        copy(keep.path(), dir);
        m
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes zeros to `file` until the file system is full.
fn fill(file: &Path) {
    let mut f = std::fs::File::create(file).unwrap();
    let chunk = vec![0u8; 64 * 1024];
    loop {
        if let Err(e) = f.write_all(&chunk).and_then(|()| f.sync_data()) {
            assert_eq!(e.raw_os_error(), Some(28), "ENOSPC expected: {e}");
            break;
        }
    }
    // Also the last partial page.
    while f.write_all(&[0u8; 512]).is_ok() {}
}

#[tokio::test]
async fn a_full_data_directory_degrades_health_refuses_jobs_and_both_recover() {
    let agent = AgentProc::start(&AgentSetup::default());
    let api = Api::of(&agent);
    let data = agent.prefix.path().join("var/lib/linux_patch_api");
    let _mnt = Tmpfs::over(&data, "2m");
    // A fresh package index, so only the disk can degrade health.
    std::fs::write(
        data.join("state/cache.json"),
        format!(
            r#"{{"last_cache_update": "{}", "last_update_success": true}}"#,
            (SystemClock.now() - chrono::Duration::seconds(60)).to_rfc3339()
        ),
    )
    .unwrap();
    let healthy = |d: &Value| d["status"] == "healthy" && d["problems"] == json!([]);
    let d = api.get("/api/v1/health").await["data"].clone();
    assert!(healthy(&d), "{d}");

    let filler = data.join("filler");
    fill(&filler);
    let d = api.get("/api/v1/health").await["data"].clone();
    assert_eq!(d["status"], "degraded", "{d}");
    let problems = d["problems"].to_string();
    assert!(
        problems.contains("state directory") && problems.contains("jobs directory"),
        "{d}"
    );
    assert!(problems.contains("No space left on device"), "{d}");

    let body = json!({"packages": ["pmtest-new"]});
    let r = api.call("POST", "/api/v1/packages", &[], Some(&body)).await;
    assert!(
        r.status >= 500,
        "refused: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    let e = r.json();
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("No space left on device"),
        "{e}"
    );
    assert_eq!(api.get("/api/v1/jobs").await["data"], json!([]), "nothing queued");

    std::fs::remove_file(&filler).unwrap();
    let d = api.get("/api/v1/health").await["data"].clone();
    assert!(healthy(&d), "back to healthy once space returns: {d}");
    let job = api.run("POST", "/api/v1/packages", Some(body)).await;
    assert_eq!(job["status"], "succeeded", "{job}");
    drop(agent);
}
