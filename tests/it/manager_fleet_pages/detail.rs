//! Host detail: system, health, patches, packages (unavailable, and live from a real polled agent).

use super::*;

#[actix_web::test]
async fn host_detail_shows_system_health_patches_and_why_packages_are_unavailable() {
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let (st, clock) = state(&db);
    let fleet = seed(&db, clock.now());
    let app = app(st).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    let id = fleet.id("a-web1.lan");
    let page = send(&app, &mut jar, get(&format!("/hosts/{id}"))).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(text(&page, "host-address"), "10.0.0.1:12443");
    assert_eq!(text(&page, "host-os"), "Debian 12");
    assert_eq!(text(&page, "host-agent-version"), "0.6.0");
    assert_eq!(text(&page, "patch-count"), "3");
    assert_eq!(text(&page, "patch-security-count"), "2");
    assert!(page.body.contains("linux-image updated"), "reboot reason");
    assert!(page
        .body
        .contains("<code>CVE-2026-0001</code> <code>CVE-2026-0002</code>"));
    let openssl = page.body.find("data-package=\"openssl\"").unwrap();
    let vim = page.body.find("data-package=\"vim\"").unwrap();
    assert!(openssl < vim, "security updates first");
    assert!(page.body.contains("<svg class=\"chart strip\""));
    // Issue 13: a bundle (with a key) is issued by an admin's POST, not a link.
    assert!(page
        .body
        .contains(&format!("method=\"post\" action=\"/hosts/{id}/bundle.tar.gz\"")));
    assert!(page
        .body
        .contains(&format!("data-src=\"/hosts/{id}/packages?fragment=1\"")));
    assert_eq!(text(&page, "host-groups"), "web");

    let red = fleet.id("b-db1.lan");
    let page = send(&app, &mut jar, get(&format!("/hosts/{red}"))).await;
    assert_eq!(text(&page, "host-state-reason"), "connection refused");
    assert_eq!(
        page.body.matches("<td><span class=\"badge st-").count(),
        3,
        "three attempts listed"
    );
    assert!(page
        .body
        .contains("Last 30 days: 0 days healthy, 1 days with problems, 29 days without checks"));

    // Packages: the manager has no agent client certificate in this app, and says so.
    let p = send(&app, &mut jar, get(&format!("/hosts/{id}/packages"))).await;
    assert_eq!(p.status, 200);
    assert!(
        text(&p, "packages-unavailable").contains("no client certificate"),
        "{}",
        p.body
    );
    let frag = send(&app, &mut jar, get(&format!("/hosts/{id}/packages?fragment=1"))).await;
    assert!(!frag.body.contains("<html") && frag.body.contains("packages-unavailable"));
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{id}/packages")))
        .await
        .json();
    assert_eq!(j["data"]["packages"], Value::Null);
    assert!(j["data"]["unavailable"]
        .as_str()
        .unwrap()
        .contains("no client certificate"));

    // JSON twin of the detail.
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{id}")))
        .await
        .json();
    let d = &j["data"];
    assert_eq!(d["host"]["hostname"], "a-web1.lan");
    assert_eq!(d["groups"][0]["name"], "web");
    assert_eq!(d["patches"].as_array().unwrap().len(), 3);
    assert_eq!(d["patches"][0]["name"], "openssl");
    assert_eq!(
        d["patches"][0]["cves"],
        serde_json::json!(["CVE-2026-0001", "CVE-2026-0002"])
    );
    assert_eq!(d["patches"][0]["severity"], "critical");
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{red}")))
        .await
        .json();
    assert_eq!(j["data"]["health"].as_array().unwrap().len(), 3);
    assert_eq!(j["data"]["health"][0]["state"], "unreachable");
    assert_eq!(j["data"]["health_days"][0]["unreachable"], 2);
    assert_eq!(send(&app, &mut jar, get("/hosts/999999")).await.status, 404);
}

#[actix_web::test]
async fn a_real_agent_polled_shows_on_every_page_and_lists_its_packages_live() {
    use crate::manager_poller::{agent_for, agent_get, state_with};
    use linux_patch_manager::config::file::PollerSection;
    let db = TestDb::new();
    let (_, secret) = ready_user(&mut db.conn(), "root", Role::Admin);
    let cfg = PollerSection {
        timeout_secs: 5,
        ..PollerSection::default()
    };
    let (st, clock) = state_with(&db, cfg, true);
    let agent = agent_for(&st, std::net::Ipv4Addr::LOCALHOST, None);
    let h = Host::insert(
        &mut db.conn(),
        "agent-a.test",
        "127.0.0.1",
        agent.addr.port(),
        clock.now(),
    )
    .unwrap();
    // The certificate the agent serves is the one recorded for the host (the manager pins it).
    linux_patch_tests::certs::record_agent_cert(&mut db.conn(), h.id, &agent.pki.server.cert_pem);
    let poller = st.actors.poller.clone();
    poller.sweep_due().await.unwrap();
    let app = app(st.clone()).await;
    let mut jar = sign_in(&app, &clock, "root", &secret).await;

    // What the agent itself says.
    let patches = agent_get(&agent, "/api/v1/patches").await;
    let patches = patches.as_array().unwrap();
    let security = patches.iter().filter(|p| p["security"] == true).count();
    assert!(security >= 1, "the apt sandbox has a security update");
    let packages = agent_get(&agent, "/api/v1/packages").await;
    let packages = packages.as_array().unwrap();

    // Dashboard: one healthy host with pending security updates = 0 % compliant.
    let dash = send(&app, &mut jar, get("/")).await;
    assert_eq!(text(&dash, "count-healthy"), "1");
    assert_eq!(text(&dash, "compliance-percent"), "0");
    assert_eq!(text(&dash, "pending-total"), patches.len().to_string());
    assert_eq!(text(&dash, "pending-security"), security.to_string());
    let by_sev: i64 = [
        "sev-critical",
        "sev-important",
        "sev-moderate",
        "sev-low",
        "sev-unrated",
    ]
    .iter()
    .map(|id| text(&dash, id).parse::<i64>().unwrap())
    .sum();
    assert_eq!(by_sev as usize, patches.len());

    // Hosts and Host detail.
    let list = send(&app, &mut jar, get("/hosts?state=healthy&security=yes")).await;
    assert_eq!(names_in(&list), ["agent-a.test"]);
    let page = send(&app, &mut jar, get(&format!("/hosts/{}", h.id))).await;
    assert_eq!(text(&page, "patch-count"), patches.len().to_string());
    assert_eq!(
        text(&page, "host-agent-version"),
        agent_get(&agent, "/api/v1/health").await["version"]
    );
    for p in patches {
        let name = p["name"].as_str().unwrap();
        assert!(page.body.contains(&format!("data-package=\"{name}\"")), "{name}");
    }

    // Installed packages, asked live.
    let frag = send(
        &app,
        &mut jar,
        get(&format!("/hosts/{}/packages?fragment=1", h.id)),
    )
    .await;
    assert_eq!(frag.status, 200);
    assert_eq!(
        text(&frag, "package-count"),
        format!("{} packages installed on agent-a.test.", packages.len())
    );
    let j = send(&app, &mut jar, get(&format!("/api/v1/hosts/{}/packages", h.id)))
        .await
        .json();
    assert_eq!(j["data"]["packages"].as_array().unwrap().len(), packages.len());

    // Refresh now, through the running poller: queued and audited.
    let csrf = page.input_value("csrf").unwrap();
    let id = h.id.to_string();
    let r = send(
        &app,
        &mut jar,
        form(
            "/hosts/bulk",
            &[("csrf", &csrf), ("action", "refresh"), ("ids", &id)],
        ),
    )
    .await;
    assert_eq!(r.notice().as_deref(), Some("refresh queued for 1 hosts"), "{r:?}");
    assert_eq!(audit_count(&db, "host.refresh"), 1);

    // A stopped agent: the reason in words instead of the list.
    drop(agent);
    let frag = send(
        &app,
        &mut jar,
        get(&format!("/hosts/{}/packages?fragment=1", h.id)),
    )
    .await;
    assert!(
        text(&frag, "packages-unavailable").contains("the agent did not answer"),
        "{}",
        frag.body
    );
}
