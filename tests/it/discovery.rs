//! Discovery of a /28 with three real agents (127.0.3.2, .5 and .9 on one port, certificates from the
//! manager's CA) and thirteen silent addresses, through the JSON API and the page; ranges larger than a /22
//! refused; the scan audited; operators see only their own scans, registered hosts outside their groups
//! without name, and register only addresses that answered.

use crate::manager_poller::{agent_for, bearer, state_with};
use actix_web::test::TestRequest;
use diesel::prelude::*;
use linux_patch_manager::config::file::PollerSection;
use linux_patch_manager::db::models::{Group, Host, Role, User};
use linux_patch_shared::clock::Clock;
use linux_patch_tests::agent::free_port;
use linux_patch_tests::console::{self, send, Jar, Resp};
use linux_patch_tests::pg::TestDb;
use serde_json::{json, Value};
use std::net::Ipv4Addr;

async fn call<S, B>(app: &S, auth: &str, req: TestRequest) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    send(
        app,
        &mut Jar::default(),
        req.insert_header(("authorization", auth.to_owned())),
    )
    .await
}

async fn reg<S, B>(app: &S, scan: &str, who: &str, addr: &str) -> Resp
where
    S: actix_web::dev::Service<
        actix_http::Request,
        Response = actix_web::dev::ServiceResponse<B>,
        Error = actix_web::Error,
    >,
    B: actix_web::body::MessageBody,
{
    call(
        app,
        who,
        TestRequest::post()
            .uri(&format!("/api/v1/discovery/{scan}/register"))
            .set_json(json!({"address": addr})),
    )
    .await
}

fn answered(scan: &Value) -> Vec<String> {
    scan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["answered"] == true)
        .map(|r| r["address"].as_str().unwrap().to_owned())
        .collect()
}

fn row<'a>(scan: &'a Value, address: &str) -> &'a Value {
    scan["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == address)
        .unwrap()
}

#[actix_web::test]
async fn a_slash_28_with_three_agents() {
    let db = TestDb::new();
    let (state, clock) = state_with(&db, PollerSection::default(), true);
    let port = free_port();
    let _agents: Vec<_> = [2u8, 5, 9]
        .iter()
        .map(|last| agent_for(&state, Ipv4Addr::new(127, 0, 3, *last), Some(port)))
        .collect();
    let app = console::app(state.clone()).await;
    let (_, admin) = bearer(&app, &db, &clock, "admin1", Role::Admin).await;
    let (op_id, op) = bearer(&app, &db, &clock, "op1", Role::Operator).await;

    // Too large, not IPv4, bad port: clear 400s, nothing scanned.
    for (body, says) in [
        (json!({"range": "10.0.0.0/21"}), "at most a /22"),
        (json!({"range": "fd00::/120"}), "IPv6"),
        (json!({"range": "127.0.3.0/28; rm -rf /"}), "not an IPv4 range"),
        (json!({"range": "127.0.3.0/28", "port": 0}), "port"),
    ] {
        let r = call(
            &app,
            &admin,
            TestRequest::post().uri("/api/v1/discovery").set_json(&body),
        )
        .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(r.body.contains(says), "{body}: {}", r.body);
    }

    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/discovery")
            .set_json(json!({"range": "127.0.3.0/28", "port": port, "wait": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let scan = r.json()["data"].clone();
    assert_eq!(
        (scan["addresses"].as_u64(), scan["running"].as_bool()),
        (Some(16), Some(false))
    );
    assert_eq!(answered(&scan), ["127.0.3.2", "127.0.3.5", "127.0.3.9"]);
    assert_eq!(
        (scan["answered"].as_u64(), scan["silent"].as_u64()),
        (Some(3), Some(13))
    );
    let a2 = row(&scan, "127.0.3.2");
    assert_eq!(a2["backend"], "apt");
    assert_eq!(a2["agent_version"], env!("CARGO_PKG_VERSION"));
    let silent = row(&scan, "127.0.3.3");
    assert!(
        silent["reason"].as_str().unwrap().contains("connection refused"),
        "{silent}"
    );
    let admin_scan = scan["id"].as_str().unwrap().to_owned();

    // Audited with the range.
    {
        use linux_patch_manager::db::schema::audit_log as al;
        let targets: Vec<String> = al::table
            .filter(al::action.eq("discovery.scan"))
            .select(al::target)
            .load(&mut db.conn())
            .unwrap();
        assert_eq!(targets, ["range:127.0.3.0/28"]);
    }

    // Admin registers .2 with one click (ungrouped) and .5 into a group the operator is not in.
    let r = reg(&app, &admin_scan, &admin, "127.0.3.2").await;
    assert_eq!(r.status, 201, "{}", r.body);
    assert_eq!(
        (
            r.json()["data"]["hostname"].as_str(),
            r.json()["data"]["port"].as_u64()
        ),
        (Some("127.0.3.2"), Some(u64::from(port)))
    );
    let r = reg(&app, &admin_scan, &admin, "127.0.3.5").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let h5 = r.json()["data"]["id"].as_i64().unwrap();
    {
        let mut c = db.conn();
        let theirs = Group::insert(&mut c, "theirs", clock.now()).unwrap();
        let mine = Group::insert(&mut c, "mine", clock.now()).unwrap();
        Host::set_groups(&mut c, h5, &[theirs.id]).unwrap();
        User::set_groups(&mut c, op_id, &[mine.id]).unwrap();
    }
    assert_eq!(
        reg(&app, &admin_scan, &admin, "127.0.3.2").await.status,
        409,
        "twice"
    );
    let r = reg(&app, &admin_scan, &admin, "127.0.3.3").await;
    assert_eq!(r.status, 400, "silent address: {}", r.body);

    // The operator cannot see the admin's scan, nor register from it.
    let r = call(
        &app,
        &op,
        TestRequest::get().uri(&format!("/api/v1/discovery/{admin_scan}")),
    )
    .await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert_eq!(reg(&app, &admin_scan, &op, "127.0.3.9").await.status, 404);
    let list = call(&app, &op, TestRequest::get().uri("/api/v1/discovery"))
        .await
        .json();
    assert_eq!(list["data"].as_array().unwrap().len(), 0);

    // Their own scan (inside a range an administrator allowed): .2 visible (ungrouped), .5 registered
    // outside their groups (no name), .9 free.
    let r = call(
        &app,
        &admin,
        TestRequest::post()
            .uri("/api/v1/discovery/ranges")
            .set_json(json!({"range": "127.0.3.0/24"})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.body);
    let r = call(
        &app,
        &op,
        TestRequest::post()
            .uri("/api/v1/discovery")
            .set_json(json!({"range": "127.0.3.0/28", "port": port, "wait": true})),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let scan = r.json()["data"].clone();
    let op_scan = scan["id"].as_str().unwrap().to_owned();
    assert_eq!(answered(&scan), ["127.0.3.2", "127.0.3.5", "127.0.3.9"]);
    assert_eq!(row(&scan, "127.0.3.2")["registered"]["kind"], "visible");
    assert_eq!(row(&scan, "127.0.3.2")["registered"]["hostname"], "127.0.3.2");
    assert_eq!(
        row(&scan, "127.0.3.5")["registered"],
        json!({"kind": "outside_your_groups"})
    );
    assert_eq!(row(&scan, "127.0.3.9")["registered"], Value::Null);
    assert_eq!(reg(&app, &op_scan, &op, "127.0.3.5").await.status, 409);
    let r = reg(&app, &op_scan, &op, "127.0.3.9").await;
    assert_eq!(r.status, 201, "{}", r.body);
    let hosts = call(&app, &op, TestRequest::get().uri("/api/v1/hosts"))
        .await
        .json();
    let names: Vec<&str> = hosts["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["hostname"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"127.0.3.9") && !names.contains(&"127.0.3.5"),
        "{names:?}"
    );
    let admin_list = call(&app, &admin, TestRequest::get().uri("/api/v1/discovery"))
        .await
        .json();
    assert_eq!(
        admin_list["data"].as_array().unwrap().len(),
        2,
        "administrators see every scan"
    );

    // The page lists the scan with Register buttons and marks.
    let page = call(
        &app,
        &op,
        TestRequest::get().uri(&format!("/discovery/{op_scan}")),
    )
    .await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(
        page.body.contains("already registered as <a href=\"/hosts/"),
        "{}",
        page.body
    );
    assert!(page.body.contains(">already registered</span>"));
    assert!(page
        .body
        .contains("data-address=\"127.0.3.3\" data-answered=\"false\""));
    let empty = call(&app, &op, TestRequest::get().uri("/discovery")).await;
    assert_eq!(empty.status, 200);
    assert!(empty.body.contains("id=\"discovery-form\""));
}
