//! Compliance by group paginates: 230 groups (each with one host; every third group's host compliant, the rest
//! without data) come in keyset pages of 100 on the page and in the JSON (`groups_after` cursors, the ungrouped
//! hosts last), while the CSV (`?table=groups`, streamed) and the PDF list every group; an operator's pages
//! hold only their groups.

use super::*;
use actix_web::test::TestRequest;
use linux_patch_manager::db::models::{Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console::{app, send, state};
use linux_patch_tests::signin::{ready_user, sign_in};

const GROUPS: usize = 230;

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

/// `data-group` names of the page's by-group table, in order.
fn group_names(body: &str) -> Vec<String> {
    body.split("data-group=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_owned)
        .collect()
}

/// The `groups_after` cursor of the page's "Next page of groups" link.
fn next_link(body: &str) -> Option<String> {
    let i = body.find("id=\"groups-next\"")?;
    let href = body[i..].split("href=\"").nth(1)?.split('"').next()?;
    Some(href.split("groups_after=").nth(1)?.to_owned())
}

#[actix_web::test]
async fn compliance_by_group_comes_in_keyset_pages_and_the_exports_have_every_group() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "admin", Role::Admin);
    let (op_id, op_secret) = ready_user(&mut db.conn(), "olive", Role::Operator);
    let (st, clock) = state(&db);
    let now = clock.now();
    let mut records = Vec::new();
    let mut olive_groups = Vec::new();
    {
        let mut c = db.conn();
        for i in 0..GROUPS {
            let g = Group::insert(&mut c, &format!("grp-{i:03}"), now).unwrap().id;
            let h = Host::insert(
                &mut c,
                &format!("h{i:03}.lan"),
                &format!("10.1.{}.{}", i / 200, i % 200 + 1),
                12443,
                now,
            )
            .unwrap()
            .id;
            Host::set_groups(&mut c, h, &[g]).unwrap();
            if i % 3 == 0 {
                records.push(update(h, now - Duration::hours(1), "no", vec![]));
            }
            if i < 5 {
                olive_groups.push(g);
            }
        }
        User::set_groups(&mut c, op_id, &olive_groups).unwrap();
    }
    write(&db, records);
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "admin", &secret).await;

    // The page: 100, 100, then 30 and the ungrouped hosts; each once, by name.
    let mut seen = Vec::new();
    let mut uri = "/reports/compliance".to_owned();
    let mut pages = 0;
    loop {
        let r = send(&app, &mut admin, get(&uri)).await;
        assert_eq!(r.status, 200, "{}", r.body);
        let names = group_names(&r.body);
        pages += 1;
        match next_link(&r.body) {
            Some(n) => {
                assert_eq!(names.len(), 100, "a full page");
                uri = format!("/reports/compliance?groups_after={n}");
            }
            None => {
                assert_eq!(
                    names.len(),
                    31,
                    "the last page: 30 groups and the ungrouped hosts"
                );
                assert_eq!(names.last().map(String::as_str), Some("(ungrouped)"));
                seen.extend(names);
                break;
            }
        }
        seen.extend(names);
    }
    assert_eq!(pages, 3);
    let mut want: Vec<String> = (0..GROUPS).map(|i| format!("grp-{i:03}")).collect();
    want.push("(ungrouped)".into());
    assert_eq!(seen, want);

    // JSON: the same pages with `limit`; the counts of each group are its host's state.
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let uri = match &cursor {
            Some(c) => format!("/api/v1/reports/compliance?limit=64&groups_after={c}"),
            None => "/api/v1/reports/compliance?limit=64".to_owned(),
        };
        let j = send(&app, &mut admin, get(&uri)).await.json();
        let d = &j["data"];
        let groups = d["groups"].as_array().unwrap().clone();
        assert!(groups.len() <= 65, "{}", groups.len());
        all.extend(groups);
        match d["groups_next"].as_str() {
            Some(n) => cursor = Some(n.to_owned()),
            None => break,
        }
    }
    assert_eq!(all.len(), GROUPS + 1);
    for (i, g) in all.iter().take(GROUPS).enumerate() {
        assert_eq!(g["name"], format!("grp-{i:03}"));
        let want = if i % 3 == 0 { (1, 0) } else { (0, 1) };
        assert_eq!(
            (g["compliant"].as_i64().unwrap(), g["nodata"].as_i64().unwrap()),
            want,
            "{g}"
        );
    }
    let bad = send(
        &app,
        &mut admin,
        get("/api/v1/reports/compliance?groups_after=%21%21"),
    )
    .await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    // CSV: every group in one streamed table.
    let csv = send(&app, &mut admin, get("/reports/compliance.csv?table=groups")).await;
    assert_eq!(csv.status, 200, "{}", csv.body);
    let rows = python_csv(&csv.body);
    let header = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some("Group"))
        .unwrap();
    let table = &rows[header + 1..];
    assert_eq!(table.len(), GROUPS + 1);
    assert_eq!(table[0], ["grp-000", "1", "0", "0", "100.0 %"]);
    assert_eq!(table[1][0], "grp-001");
    assert_eq!(table[GROUPS - 1][0], format!("grp-{:03}", GROUPS - 1));
    assert_eq!(table[GROUPS][0], "(ungrouped)");
    let bad = send(&app, &mut admin, get("/reports/compliance.csv?table=nope")).await;
    assert_eq!(bad.status, 400, "{}", bad.body);

    // PDF: the last group too (the chart stops at 40, the table goes on).
    let text = pdf_text(&app, &admin, "/reports/compliance.pdf", "compliance-groups.pdf").await;
    assert!(text.contains("the first 40 of 231 by name"), "{text}");
    for name in ["grp-000", "grp-150", &format!("grp-{:03}", GROUPS - 1)] {
        assert!(text.contains(name), "{name} missing from the PDF");
    }

    // An operator's pages hold only their five groups and the ungrouped hosts.
    let mut olive = sign_in(&app, &clock, "olive", &op_secret).await;
    let r = send(&app, &mut olive, get("/reports/compliance?limit=3")).await;
    assert_eq!(group_names(&r.body), ["grp-000", "grp-001", "grp-002"]);
    let n = next_link(&r.body).unwrap();
    let r = send(
        &app,
        &mut olive,
        get(&format!("/reports/compliance?limit=3&groups_after={n}")),
    )
    .await;
    assert_eq!(group_names(&r.body), ["grp-003", "grp-004", "(ungrouped)"]);
    assert!(next_link(&r.body).is_none());
}
