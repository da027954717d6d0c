//! Reports through the real handlers on real PostgreSQL: a fleet written through the poller's own batched
//! writer (the agents' answers as the poller stores them), snapshots taken by the housekeeping chore on a
//! manual clock; the compliance page, JSON, CSV (parsed back by Python's `csv`) agree with the seed, cells
//! are neutralised, and an operator's report and exports never contain another group's host.

mod by_group_pages;
mod compliance;
mod exports;
mod exposure;
mod history;
mod scale;
mod screenshots;
mod seeded_expect;
mod seeded_fleet;
mod trail;

use chrono::{DateTime, Duration, Utc};
use linux_patch_manager::app::AppContext;
use linux_patch_manager::db::models::poll_rows::{PatchRow, PatchUpdate};
use linux_patch_manager::db::models::{Group, Host};
use linux_patch_manager::housekeeping::compliance as chore;
use linux_patch_manager::poll::writer::{flush, Batch, Record};
use linux_patch_tests::console::Resp;
use linux_patch_tests::pg::TestDb;

/// Host ids and group ids of the seeded fleet.
pub struct Fleet {
    pub web1: i64,
    pub web2: i64,
    pub db1: i64,
    pub free: i64,
    pub new: i64,
    pub web: i64,
    pub db_group: i64,
}

fn patch(name: &str, cand: &str, security: bool, severity: Option<&str>, cves: &[&str]) -> PatchRow {
    PatchRow {
        name: name.into(),
        architecture: "amd64".into(),
        installed_version: Some("1.0".into()),
        candidate_version: cand.into(),
        repository: "main".into(),
        security,
        severity: severity.map(Into::into),
        cves: cves.iter().map(|c| (*c).to_owned()).collect(),
        security_source: "origin".into(),
    }
}

fn update(host_id: i64, at: DateTime<Utc>, reboot: &'static str, patches: Vec<PatchRow>) -> Record {
    Record::Patches(PatchUpdate {
        host_id,
        checked_at: at,
        kernel: "6.1".into(),
        os: "Debian 12".into(),
        machine_id: String::new(),
        backend: "apt".into(),
        reboot_required: reboot,
        reboot_reason: String::new(),
        patches,
    })
}

fn write(db: &TestDb, records: Vec<Record>) {
    let mut b = Batch::default();
    for r in records {
        b.push(r);
    }
    flush(&mut db.conn(), &b).unwrap();
}

/// Five hosts (snapshots taken yesterday after the first poll and today after the second): web1 (group web; critical openssl first seen 40 days before `now`, plus a critical curl
/// seen today: not compliant, one aged update), web2 (web; no update, reboot required: not compliant),
/// db1 (group db whose name is a formula; compliant, only a non-security update naming a low CVE, first
/// seen 40 days ago), free (ungrouped,
/// compliant), new (ungrouped, never polled: no data).
pub async fn seed(db: &TestDb, st: &AppContext, now: DateTime<Utc>) -> Fleet {
    let mut c = db.conn();
    let web = Group::insert(&mut c, "web", now).unwrap().id;
    let db_group = Group::insert(&mut c, "=HYPERLINK(\"http://x\")", now).unwrap().id;
    let h = |c: &mut diesel::PgConnection, n: &str, ip: &str| {
        Host::insert(c, n, ip, 12443, now - Duration::days(60))
            .unwrap()
            .id
    };
    let (web1, web2, db1, free, new) = (
        h(&mut c, "web1.lan", "10.0.0.1"),
        h(&mut c, "web2.lan", "10.0.0.2"),
        h(&mut c, "db1.lan", "10.0.1.1"),
        h(&mut c, "free.lan", "10.0.2.1"),
        h(&mut c, "new.lan", "10.0.3.1"),
    );
    Host::set_groups(&mut c, web1, &[web]).unwrap();
    Host::set_groups(&mut c, web2, &[web]).unwrap();
    Host::set_groups(&mut c, db1, &[db_group]).unwrap();
    let old = now - Duration::days(40);
    let openssl = || patch("openssl", "3.0.9", true, Some("critical"), &["CVE-2026-0001"]);
    let vim = || patch("vim", "9.1", false, Some("low"), &["CVE-2026-0003"]);
    write(
        db,
        vec![
            update(web1, old, "no", vec![openssl()]),
            update(db1, old, "no", vec![vim()]),
        ],
    );
    // Yesterday's snapshot, by the housekeeping chore: web1 not compliant, db1 compliant, the rest no data.
    chore::snapshot(&st.database(), now - Duration::days(1), 30)
        .await
        .unwrap();
    // Today's poll: openssl still pending (keeps its first-seen), curl new, the rest as described.
    write(
        db,
        vec![
            update(
                web1,
                now - Duration::hours(1),
                "no",
                vec![
                    openssl(),
                    patch("curl", "8.1", true, Some("critical"), &["CVE-2026-0002"]),
                ],
            ),
            update(web2, now - Duration::hours(1), "yes", vec![]),
            update(db1, now - Duration::hours(1), "no", vec![vim()]),
            update(free, now - Duration::hours(1), "unknown", vec![]),
        ],
    );
    chore::snapshot(&st.database(), now, 30).await.unwrap();
    Fleet {
        web1,
        web2,
        db1,
        free,
        new,
        web,
        db_group,
    }
}

/// The `<td>` texts of each `<tr data-hostname=...>` row of table `id` (tags stripped, entities decoded).
pub fn table_rows(r: &Resp, id: &str) -> Vec<Vec<String>> {
    let start = r
        .body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let table = &r.body[start..];
    let table = &table[..table.find("</table>").unwrap()];
    table
        .split("<tr data-hostname=")
        .skip(1)
        .map(|row| {
            let row = &row[..row.find("</tr>").unwrap()];
            row.split("<td>")
                .skip(1)
                .map(|cell| {
                    let cell = &cell[..cell.find("</td>").unwrap()];
                    let mut out = String::new();
                    let mut in_tag = false;
                    for ch in cell.chars() {
                        match ch {
                            '<' => in_tag = true,
                            '>' => in_tag = false,
                            c if !in_tag => out.push(c),
                            _ => {}
                        }
                    }
                    out.replace("&#34;", "\"")
                        .replace("&quot;", "\"")
                        .replace("&#39;", "'")
                        .replace("&#62;", ">")
                        .replace("&gt;", ">")
                        .replace("&#60;", "<")
                        .replace("&lt;", "<")
                        .replace("&amp;", "&")
                })
                .collect()
        })
        .collect()
}

/// `body` parsed by Python's `csv` module: every record as a list of cells.
pub fn python_csv(body: &str) -> Vec<Vec<String>> {
    use std::io::Write;
    let mut p = std::process::Command::new("python3")
        .args([
            "-c",
            "import csv, io, json, sys; \
             print(json.dumps(list(csv.reader(io.StringIO(sys.stdin.buffer.read().decode('utf-8'), newline='')))))",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    p.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = p.wait_with_output().unwrap();
    assert!(out.status.success(), "python csv failed");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// `uri` fetched as a PDF by `jar`: its text by `pdftotext -layout` (also kept in `REPORT_PDF_DIR` as `name`).
pub async fn pdf_text<S, B>(app: &S, jar: &linux_patch_tests::console::Jar, uri: &str, name: &str) -> String
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let r = actix_web::test::call_service(
        app,
        jar.apply(actix_web::test::TestRequest::get().uri(uri))
            .to_request(),
    )
    .await;
    assert_eq!(r.status(), 200, "{uri}");
    let bytes = actix_web::test::read_body(r).await;
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join(name);
    std::fs::write(&pdf, &bytes).unwrap();
    if let Ok(out) = std::env::var("REPORT_PDF_DIR") {
        std::fs::copy(&pdf, std::path::Path::new(&out).join(name)).unwrap();
    }
    let o = std::process::Command::new("pdftotext")
        .args(["-layout", pdf.to_str().unwrap(), "-"])
        .output()
        .unwrap();
    assert!(o.status.success());
    String::from_utf8(o.stdout).unwrap()
}
