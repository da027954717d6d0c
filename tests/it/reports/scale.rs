//! Indicative report timings on a seeded fleet of 2,500 and 10,000 hosts (debug build, through the test
//! app; `make bench` has the release figures). Ignored by default; prints figures, asserts only results.

use super::*;
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::Role;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};
use std::time::Instant;

#[actix_web::test]
#[ignore = "figures: cargo test -p linux-patch-tests --test it -- --ignored reports::scale"]
async fn report_figures_at_fleet_scale() {
    for n in [2_500usize, 10_000] {
        let db = TestDb::new();
        let (_, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
        let (st, clock) = state(&db);
        let now = clock.now();
        let mut c = db.conn();
        let mut recs = Vec::new();
        for i in 0..n {
            let id = Host::insert(
                &mut c,
                &format!("h{i:05}.lan"),
                &format!("10.{}.{}.{}", i / 65536, (i / 256) % 256, i % 256),
                12443,
                now,
            )
            .unwrap()
            .id;
            let mut p = vec![patch("vim", "9.1", false, None, &[])];
            if i % 3 == 0 {
                p.push(patch(
                    "openssl",
                    "3.0.9",
                    true,
                    Some("critical"),
                    &["CVE-2026-0001"],
                ));
            }
            if i % 7 == 0 {
                p.push(patch(
                    &format!("lib{}", i % 50),
                    "2.0",
                    true,
                    Some("moderate"),
                    &[&format!("CVE-2026-1{:03}", i % 50)],
                ));
            }
            recs.push(update(
                id,
                now - Duration::days(40),
                if i % 11 == 0 { "yes" } else { "no" },
                p,
            ));
            if recs.len() == 250 {
                write(&db, std::mem::take(&mut recs));
            }
        }
        write(&db, recs);
        chore::snapshot(&st.database(), now, 30).await.unwrap();
        let app = app(st).await;
        let mut admin = sign_in(&app, &clock, "admin", &secret).await;
        for uri in [
            "/reports/compliance",
            "/reports/compliance.csv",
            "/reports/vulnerabilities",
            "/reports/vulnerabilities.csv",
            "/reports/compliance.pdf",
        ] {
            if uri.ends_with(".pdf") && n > 2_500 {
                continue;
            }
            if uri.ends_with(".pdf") {
                let t = Instant::now();
                let r = actix_web::test::call_service(
                    &app,
                    admin.apply(TestRequest::get().uri(uri)).to_request(),
                )
                .await;
                let body = actix_web::test::read_body(r).await;
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                let dir = tempfile::tempdir().unwrap();
                let pdf = dir.path().join("c.pdf");
                std::fs::write(&pdf, &body).unwrap();
                let info = std::process::Command::new("pdfinfo").arg(&pdf).output().unwrap();
                let info = String::from_utf8_lossy(&info.stdout).into_owned();
                let pages: usize = info
                    .lines()
                    .find_map(|l| l.strip_prefix("Pages:"))
                    .unwrap()
                    .trim()
                    .parse()
                    .unwrap();
                // Title, figures, 834 aged rows and 2,500 hosts at 40 rows per page: no table page overflows.
                assert_eq!(pages, 2 + 834usize.div_ceil(40) + n.div_ceil(40), "{info}");
                println!(
                    "FIGURE {n} hosts {uri:<28} {ms:>8.1} ms  {:>7} KiB, {pages} pages",
                    body.len() / 1024
                );
                continue;
            }
            let t = Instant::now();
            let r = send(&app, &mut admin, TestRequest::get().uri(uri)).await;
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            assert_eq!(r.status, 200, "{uri}");
            println!(
                "FIGURE {n} hosts {uri:<28} {ms:>8.1} ms  {:>7} KiB",
                r.body.len() / 1024
            );
        }
    }
}
