//! Report numbers equal what the agents report: a fleet-sim fleet seeded with known data (`--seed`, every
//! host's packages, pending updates with severities and CVEs, reboot flags, some hosts unreachable) is
//! enrolled with a real manager whose poller polls it over mTLS; the compliance report (JSON from the real
//! process, page, CSV parsed back by Python, PDF by `pdftotext`), the vulnerability exposure report and the
//! PCI-DSS 6.3.3 ageing (31 days later on the reading manager's clock) equal what the seed says, for an
//! admin and for an operator limited to one group.

use super::seeded_expect::{self as ex, Expect, HOSTS};
use super::{pdf_text, python_csv, table_rows};
use actix_web::test::TestRequest;
use chrono::Duration as Days;
use diesel::prelude::*;
use linux_patch_manager::app::{ActorMode, AppBuilder};
use linux_patch_manager::ca::InternalCa;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_shared::clock::{Clock, ManualClock, SystemClock};
use linux_patch_tests::console::{app, send, Jar, Resp};
use linux_patch_tests::scale::ScaleRig;
use linux_patch_tests::signin::{ready_user, sign_in};
use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

fn get(uri: &str) -> TestRequest {
    TestRequest::get().uri(uri)
}

fn text(r: &Resp, id: &str) -> String {
    r.text_of(id).unwrap_or_else(|| panic!("no #{id} in {}", r.body))
}

/// `(name, value)` records before the first empty one of a report CSV.
fn meta(rows: &[Vec<String>], k: &str) -> String {
    rows.iter()
        .find(|r| r.first().map(String::as_str) == Some(k))
        .unwrap_or_else(|| panic!("no {k} in {rows:?}"))[1]
        .clone()
}

/// The records after the header record starting with `first`.
fn table<'a>(rows: &'a [Vec<String>], first: &str) -> &'a [Vec<String>] {
    let h = rows
        .iter()
        .position(|r| r.first().map(String::as_str) == Some(first))
        .unwrap_or_else(|| panic!("no {first} header in {rows:?}"));
    &rows[h + 1..]
}

/// The compliance report JSON, page, CSV and PDF of `jar` equal `e`.
async fn compliance_equals<S, B>(app: &S, jar: &mut Jar, e: &Expect, scope: &str, pdf: &str)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let counts = (
        e.count("compliant").to_string(),
        e.count("not compliant").to_string(),
        e.count("no data").to_string(),
    );
    let page = send(app, jar, get("/reports/compliance?limit=1000")).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        text(&page, "report-scope").starts_with(scope),
        "{}",
        text(&page, "report-scope")
    );
    assert_eq!(text(&page, "compliance-percent"), e.percent());
    assert_eq!(
        (
            text(&page, "n-compliant"),
            text(&page, "n-noncompliant"),
            text(&page, "n-nodata")
        ),
        counts
    );
    let shown: BTreeMap<String, (String, String, String)> = table_rows(&page, "report-hosts")
        .into_iter()
        .map(|c| (c[0].clone(), (c[3].clone(), c[4].clone(), c[5].clone())))
        .collect();
    let want: BTreeMap<String, (String, String, String)> = e
        .hosts
        .iter()
        .map(|(n, h)| {
            (
                n.clone(),
                (h.state.into(), h.security.to_string(), h.reboot.into()),
            )
        })
        .collect();
    assert_eq!(shown, want, "the page's host table");

    let csv = send(app, jar, get("/reports/compliance.csv")).await;
    assert_eq!(csv.status, 200);
    let rows = python_csv(&csv.body);
    assert_eq!(meta(&rows, "Compliant (of hosts with data)"), e.percent());
    assert_eq!(
        (
            meta(&rows, "Compliant hosts"),
            meta(&rows, "Not compliant hosts"),
            meta(&rows, "Hosts without data")
        ),
        counts
    );
    let from_csv: BTreeMap<String, (String, String, String)> = table(&rows, "Host")
        .iter()
        .map(|c| (c[0].clone(), (c[3].clone(), c[4].clone(), c[5].clone())))
        .collect();
    assert_eq!(from_csv, want, "the CSV's host table");

    let text = pdf_text(app, jar, "/reports/compliance.pdf", pdf).await;
    let line = format!(
        "{} of hosts with data are compliant: {} compliant, {} not compliant; {} hosts without data",
        e.percent(),
        counts.0,
        counts.1,
        counts.2
    );
    assert!(text.contains(&line), "{line} not in the PDF text:\n{text}");
    for host in e.hosts.keys() {
        assert!(text.contains(host.as_str()), "{host} not in the PDF");
    }
}

/// The ageing figures of `jar`'s compliance page, CSV and PDF are `(rows, hosts)`.
async fn aged_equals<S, B>(app: &S, jar: &mut Jar, want: (usize, usize), pdf: &str)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let page = send(app, jar, get("/reports/compliance?limit=1000")).await;
    assert_eq!(
        (text(&page, "n-aged"), text(&page, "n-aged-hosts")),
        (want.0.to_string(), want.1.to_string())
    );
    let j = send(app, jar, get("/api/v1/reports/compliance?limit=1000"))
        .await
        .json();
    assert_eq!(j["data"]["aged"].as_array().unwrap().len(), want.0);
    let rows = python_csv(&send(app, jar, get("/reports/compliance.csv")).await.body);
    assert_eq!(
        meta(&rows, "Critical updates pending > 30 days (PCI-DSS 6.3.3)"),
        format!("{} on {} hosts", want.0, want.1)
    );
    let text = pdf_text(app, jar, "/reports/compliance.pdf", pdf).await;
    let line = format!("{} updates on {} hosts", want.0, want.1);
    assert!(text.contains(&line), "{line} not in the PDF text:\n{text}");
}

/// The exposure report of `jar` (JSON walked by cursor, page, CSV, one CVE's page, PDF) equals `e`.
async fn exposure_equals<S, B>(app: &S, jar: &mut Jar, e: &Expect, pdf: &str)
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    let mut got: BTreeMap<String, (i64, i64, BTreeSet<String>)> = BTreeMap::new();
    let mut uri = "/api/v1/reports/vulnerabilities?limit=3".to_owned();
    let first = loop {
        let j = send(app, jar, get(&uri)).await.json();
        for c in j["data"]["cves"].as_array().unwrap() {
            let packages = c["packages"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p.as_str().unwrap().to_owned());
            got.insert(
                c["cve"].as_str().unwrap().to_owned(),
                (
                    c["rank"].as_i64().unwrap(),
                    c["hosts"].as_i64().unwrap(),
                    packages.collect(),
                ),
            );
            assert_eq!(c["fix_available"], true);
        }
        match j["data"]["next"].as_str() {
            Some(n) => uri = format!("/api/v1/reports/vulnerabilities?limit=3&after={n}"),
            None => break j,
        }
    };
    let want: BTreeMap<String, (i64, i64, BTreeSet<String>)> = e
        .cves
        .iter()
        .map(|(id, c)| (id.clone(), (c.rank, c.hosts.len() as i64, c.packages.clone())))
        .collect();
    assert_eq!(got, want, "every CVE: rank, hosts, packages");
    let d = &first["data"];
    assert_eq!(d["total"].as_u64(), Some(e.cves.len() as u64));
    assert_eq!(d["hosts_exposed"].as_u64(), Some(e.exposed() as u64));
    assert_eq!(d["by_severity"], serde_json::json!(e.by_severity()));

    let page = send(app, jar, get("/reports/vulnerabilities")).await;
    assert_eq!(text(&page, "n-cves"), e.cves.len().to_string());
    let rows = python_csv(&send(app, jar, get("/reports/vulnerabilities.csv")).await.body);
    assert_eq!(meta(&rows, "CVEs"), e.cves.len().to_string());
    assert_eq!(meta(&rows, "Hosts exposed"), e.exposed().to_string());
    let from_csv: BTreeMap<String, (String, String, String)> = table(&rows, "CVE")
        .iter()
        .map(|c| (c[0].clone(), (c[1].clone(), c[2].clone(), c[3].clone())))
        .collect();
    let want_csv: BTreeMap<String, (String, String, String)> = e
        .cves
        .iter()
        .map(|(id, c)| {
            let packages: Vec<&str> = c.packages.iter().map(String::as_str).collect();
            (
                id.clone(),
                (
                    ex::rank_word(c.rank).to_owned(),
                    c.hosts.len().to_string(),
                    packages.join(" "),
                ),
            )
        })
        .collect();
    assert_eq!(from_csv, want_csv, "the CSV's CVE table");
    // The most widespread CVE's own page lists exactly its hosts.
    let (cve, c) = e.cves.iter().max_by_key(|(_, c)| c.hosts.len()).unwrap();
    let one = send(
        app,
        jar,
        get(&format!("/reports/vulnerabilities/{cve}?limit=1000")),
    )
    .await;
    assert_eq!(one.status, 200);
    let hosts: BTreeSet<String> = table_rows(&one, "cve-hosts")
        .iter()
        .map(|r| r[0].clone())
        .collect();
    assert_eq!(&hosts, &c.hosts, "hosts of {cve}");
    let text = pdf_text(app, jar, "/reports/vulnerabilities.pdf", pdf).await;
    let line = format!("{} CVEs pending on {} hosts.", e.cves.len(), e.exposed());
    assert!(text.contains(&line), "{line} not in the PDF text:\n{text}");
}

#[actix_web::test]
async fn report_numbers_equal_what_a_seeded_simulated_fleet_reports() {
    let seed = ex::seed();
    let dir = tempfile::tempdir().unwrap();
    let seed_path = dir.path().join("seed.json");
    seed.write(&seed_path).unwrap();
    let seed_arg = seed_path.to_string_lossy().into_owned();
    // The kit signs in with its own runtime: start the rig off this test's runtime thread.
    let rig = std::thread::spawn(move || {
        ScaleRig::start(
            HOSTS,
            "127.0.44.1",
            "poller: { retry_base_secs: 1 }\n",
            &["--seed", &seed_arg],
        )
    })
    .join()
    .unwrap();
    let unreachable = (0..HOSTS).filter(|i| ex::unreachable(*i)).count();
    assert_eq!(
        rig.listening(),
        HOSTS - unreachable,
        "the seed decides which hosts listen"
    );

    // Every host in a group (host i in GROUPS[i % 3]); operator `op` sees group `web` only.
    let mut c = rig.manager.db().conn();
    let now = SystemClock.now();
    let groups: Vec<i64> = ex::GROUPS
        .iter()
        .map(|g| Group::insert(&mut c, g, now).unwrap().id)
        .collect();
    let ids: BTreeMap<String, i64> = linux_patch_manager::db::schema::hosts::table
        .select((
            linux_patch_manager::db::schema::hosts::hostname,
            linux_patch_manager::db::schema::hosts::id,
        ))
        .load::<(String, i64)>(&mut c)
        .unwrap()
        .into_iter()
        .collect();
    for i in 0..HOSTS {
        Host::set_groups(&mut c, ids[&ex::name(i)], &[groups[i % 3]]).unwrap();
    }
    let (_, admin_secret) = ready_user(&mut c, "auditor", Role::Admin);
    let (op_id, op_secret) = ready_user(&mut c, "op", Role::Operator);
    User::set_groups(&mut c, op_id, &[groups[0]]).unwrap();
    drop(c);
    rig.wait_for(
        "patches_checked_at",
        rig.listening() as i64,
        Duration::from_secs(300),
    );

    let all = Expect::of(&seed, |_| true);
    let web = Expect::of(&seed, |i| i % 3 == 0);
    assert!(
        all.count("no data") == unreachable && all.count("compliant") > 0 && all.count("not compliant") > 0
    );
    eprintln!(
        "seeded fleet: {} compliant, {} not compliant, {} without data; {} CVEs on {} hosts; critical {:?}; \
         operator: {} hosts",
        all.count("compliant"),
        all.count("not compliant"),
        all.count("no data"),
        all.cves.len(),
        all.exposed(),
        all.critical(),
        web.hosts.len()
    );
    assert!(web.count("no data") > 0 && web.hosts.len() < all.hosts.len());

    // The real manager process over HTTPS (bearer token): the JSON figures.
    let (r, _) = rig.timed_get("/api/v1/reports/compliance?limit=1000", 1).await;
    assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
    let d = &r.json()["data"];
    let n = |k: &str| d["counts"][k].as_u64().unwrap() as usize;
    assert_eq!(
        (n("compliant"), n("noncompliant"), n("nodata")),
        (all.count("compliant"), all.count("not compliant"), unreachable)
    );
    let listed: BTreeMap<String, (String, i64, String)> = d["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let state = linux_patch_manager::reports::compliance::state_label(h["state"].as_str().unwrap());
            (
                h["hostname"].as_str().unwrap().to_owned(),
                (
                    state.to_owned(),
                    h["pending_security"].as_i64().unwrap(),
                    h["reboot_required"].as_str().unwrap().to_owned(),
                ),
            )
        })
        .collect();
    let want: BTreeMap<String, (String, i64, String)> = all
        .hosts
        .iter()
        .map(|(n, h)| {
            (
                n.clone(),
                (h.state.to_owned(), h.security as i64, h.reboot.to_owned()),
            )
        })
        .collect();
    assert_eq!(listed, want, "the JSON's hosts");
    let per_group: BTreeMap<String, (u64, u64, u64)> = d["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let k = |s: &str| g[s].as_u64().unwrap();
            (
                g["name"].as_str().unwrap().to_owned(),
                (k("compliant"), k("noncompliant"), k("nodata")),
            )
        })
        .collect();
    for (gi, g) in ex::GROUPS.iter().enumerate() {
        let e = Expect::of(&seed, |i| i % 3 == gi);
        let want = (
            e.count("compliant") as u64,
            e.count("not compliant") as u64,
            e.count("no data") as u64,
        );
        assert_eq!(per_group[*g], want, "group {g}");
    }
    assert_eq!(per_group["(ungrouped)"], (0, 0, 0));
    assert_eq!(d["aged_total"].as_i64(), Some(0), "nothing is 30 days old yet");

    // The same database read by the manager's handlers on a manual clock: now, then 29 and 31 days on.
    // Like a second manager process: the same database, data directory (CA, secrets key) and code.
    let clock = ManualClock::new(SystemClock.now());
    let data_dir = rig.manager.data_dir();
    let ca = InternalCa::load_or_create(&data_dir, &clock).unwrap();
    let st = AppBuilder::new(
        linux_patch_manager::db::pool(rig.manager.db().url()),
        std::sync::Arc::new(clock.clone()),
        data_dir,
        ca,
        webauthn_rs::prelude::Url::parse("https://localhost:8443").unwrap(),
    )
    .mode(ActorMode::Manual)
    .build()
    .unwrap();
    let st = actix_web::web::Data::new(st);
    let app = app(st).await;
    let mut admin = sign_in(&app, &clock, "auditor", &admin_secret).await;
    compliance_equals(&app, &mut admin, &all, "All hosts", "seeded-compliance.pdf").await;
    exposure_equals(&app, &mut admin, &all, "seeded-vulnerabilities.pdf").await;
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    compliance_equals(
        &app,
        &mut op,
        &web,
        "Only the hosts operator op may see",
        "seeded-compliance-op.pdf",
    )
    .await;
    exposure_equals(&app, &mut op, &web, "seeded-vulnerabilities-op.pdf").await;
    let csv = send(&app, &mut op, get("/reports/compliance.csv")).await;
    for (name, _) in all.hosts.iter().filter(|(n, _)| !web.hosts.contains_key(*n)) {
        assert!(
            !csv.body.contains(&format!("{name},")),
            "{name} is not the operator's"
        );
    }

    clock.advance(Days::days(29));
    let mut admin = sign_in(&app, &clock, "auditor", &admin_secret).await;
    aged_equals(&app, &mut admin, (0, 0), "seeded-compliance-29d.pdf").await;
    clock.advance(Days::days(2));
    let mut admin = sign_in(&app, &clock, "auditor", &admin_secret).await;
    let critical = all.critical();
    assert!(
        critical.0 > critical.1 && critical.1 > 0,
        "the seed has hosts with several critical updates"
    );
    aged_equals(&app, &mut admin, critical, "seeded-compliance-31d.pdf").await;
    let mut op = sign_in(&app, &clock, "op", &op_secret).await;
    aged_equals(&app, &mut op, web.critical(), "seeded-compliance-31d-op.pdf").await;
}
