//! The optional weekly compliance PDF: Settings > Scheduled reports takes a validated list of addresses (audited
//! like every change); from Monday 06:00 UTC (manual clock) the fleet compliance PDF goes through the outbox to
//! a real SMTP server (STARTTLS, AUTH) as an attachment whose text shows the report's numbers; it is not sent
//! twice in one week, not by a second manager either, and next Monday's goes again.

use super::{mails, smtp};
use crate::manager_poller::bearer;
use crate::manager_settings::{call, put};
use chrono::Duration;
use diesel::prelude::*;
use linux_patch_manager::db::models::Role;
use linux_patch_manager::services::weekly_report::run_due;
use linux_patch_shared::clock::Clock;
use linux_patch_tests::console;
use linux_patch_tests::pg::TestDb;
use linux_patch_tests::smtp::SmtpServer;
use serde_json::{json, Value};

fn run(cmd: &str, args: &[&str]) -> String {
    let o = std::process::Command::new(cmd).args(args).output().unwrap();
    assert!(
        o.status.success(),
        "{cmd}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[actix_web::test]
async fn the_weekly_compliance_pdf_arrives_once_a_week() {
    let db = TestDb::new();
    let (st, clock) = console::state(&db);
    // Monday 2026-06-01 12:00 UTC: the fleet of the report tests (50.0 %: 2 compliant, 2 not, 1 without data).
    crate::reports::seed(&db, &st, clock.now()).await;
    let app = console::app(st.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "root", Role::Admin).await;
    let server = SmtpServer::start("pm", "s3cret-pass");
    assert_eq!(
        call(&app, &admin, put(smtp(&server, "s3cret-pass"))).await.status,
        200
    );

    // Off while no address is set.
    assert_eq!(run_due(&st).await.unwrap(), None);
    // A bad address is refused and changes nothing.
    let r = call(
        &app,
        &admin,
        put(json!({"reports": {"weekly_compliance_to": ["ciso@example.org", "not an address"]}})),
    )
    .await;
    assert_eq!(r.status, 400, "{}", r.body);
    assert!(r.body.contains("not an e-mail address"), "{}", r.body);
    let r = call(
        &app,
        &admin,
        put(json!({"reports": {"weekly_compliance_to": [" ciso@example.org", "audit@example.org", "CISO@example.org"]}})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.json()["data"]["settings"]["reports"]["weekly_compliance_to"],
        json!(["ciso@example.org", "audit@example.org"])
    );
    let audit: Vec<Value> = {
        use linux_patch_manager::db::schema::audit_log as a;
        a::table
            .filter(a::action.eq("settings.changed"))
            .order(a::id)
            .select(a::details)
            .load(&mut db.conn())
            .unwrap()
    };
    let last = audit.last().unwrap();
    assert_eq!(last["sections"], json!(["reports"]), "{last}");
    assert_eq!(last["before"]["reports"]["weekly_compliance_to"], json!([]));
    assert_eq!(
        last["after"]["reports"]["weekly_compliance_to"],
        json!(["ciso@example.org", "audit@example.org"])
    );

    // Due (Monday after 06:00): queued once, delivered with the PDF attached.
    assert_eq!(run_due(&st).await.unwrap().as_deref(), Some("2026-W23"));
    assert_eq!(run_due(&st).await.unwrap(), None, "once per week");
    let d = st.actors.notifier.run_due().await.unwrap();
    assert_eq!((d.sent, d.failed), (1, 0), "{d:?}");
    let got = mails(&server);
    assert_eq!(got.len(), 1);
    let m = &got[0];
    assert_eq!(m.to, ["ciso@example.org", "audit@example.org"]);
    assert_eq!(
        m.subject,
        "[Linux Patch Manager] Weekly compliance report 2026-W23: 50.0 % compliant"
    );
    assert!(
        m.text.contains("Compliant hosts: 2") && m.text.contains("Hosts without data: 1"),
        "{}",
        m.text
    );
    assert_eq!(m.attachments.len(), 1);
    let (name, kind, bytes) = &m.attachments[0];
    assert_eq!(
        (name.as_str(), kind.as_str()),
        ("compliance-2026-06-01.pdf", "application/pdf")
    );
    assert!(bytes.starts_with(b"%PDF-"));
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join(name);
    std::fs::write(&pdf, bytes).unwrap();
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages: u32 = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(pages >= 2, "{info}");
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    assert!(
        text.contains("Compliance report") && text.contains("All hosts"),
        "{text}"
    );
    assert!(
        text.contains(
            "50.0 % of hosts with data are compliant: 2 compliant, 2 not compliant; 1 hosts without data"
        ),
        "{text}"
    );
    assert!(text.contains("web1.lan") && text.contains("openssl"), "{text}");

    // Later the same week, and a second manager on the same database: nothing more.
    clock.advance(Duration::days(6));
    assert_eq!(run_due(&st).await.unwrap(), None);
    let second = super::lease::second_manager(&db, &st, &clock);
    assert_eq!(run_due(&second).await.unwrap(), None);
    // Next Monday: not before 06:00, then once again.
    clock.advance(Duration::hours(17) + Duration::minutes(59));
    assert_eq!(clock.now().to_rfc3339(), "2026-06-08T05:59:00+00:00");
    assert_eq!(run_due(&second).await.unwrap(), None);
    clock.advance(Duration::minutes(1));
    let (a, b) = tokio::join!(run_due(&st), run_due(&second));
    let queued: Vec<String> = [a.unwrap(), b.unwrap()].into_iter().flatten().collect();
    assert_eq!(queued, ["2026-W24"], "one of the two managers queued it");
    st.actors.notifier.run_due().await.unwrap();
    second.actors.notifier.run_due().await.unwrap();
    let got = mails(&server);
    assert_eq!(got.len(), 2);
    assert!(got[1].subject.contains("2026-W24"), "{}", got[1].subject);
}

#[actix_web::test]
async fn the_settings_page_saves_the_weekly_report_addresses() {
    use actix_web::test::TestRequest;
    use linux_patch_tests::console::{form, send};
    let db = TestDb::new();
    let (st, clock) = console::state(&db);
    let app = console::app(st.clone()).await;
    let (_, secret) = linux_patch_tests::signin::ready_user(&mut db.conn(), "root", Role::Admin);
    let mut jar = linux_patch_tests::signin::sign_in(&app, &clock, "root", &secret).await;
    let page = send(&app, &mut jar, TestRequest::get().uri("/settings")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"reports\"") && page.body.contains("href=\"#reports\""));
    let csrf = page.input_value("csrf").unwrap();
    let save = |to: &str| {
        form(
            "/settings/reports",
            &[("csrf", &csrf), ("weekly_compliance_to", to)],
        )
    };
    let r = send(&app, &mut jar, save("ciso@example.org\nbad@")).await;
    assert!(
        r.flash_error()
            .unwrap_or_default()
            .contains("`bad@` is not an e-mail address"),
        "{r:?}"
    );
    let r = send(&app, &mut jar, save("ciso@example.org\r\naudit@example.org, ")).await;
    assert_eq!(r.status, 303);
    assert!(r.notice().unwrap_or_default().contains("reports"), "{r:?}");
    let page = send(&app, &mut jar, TestRequest::get().uri("/settings")).await;
    assert!(
        page.body
            .contains(">ciso@example.org\naudit@example.org</textarea>"),
        "{}",
        page.body
    );
}
