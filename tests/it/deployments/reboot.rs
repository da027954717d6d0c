//! The reboot option on simulated hosts (fleet-sim): `if_required` reboots exactly the hosts whose agent says
//! a reboot is needed after the job, once each, and says so on the target; `never` reboots none.

use diesel::prelude::*;
use linux_patch_manager::db::schema::{deployment_targets as dt, hosts};
use linux_patch_tests::fleet::call_host;
use linux_patch_tests::scale::ScaleRig;
use std::time::{Duration, Instant};

async fn run(rig: &ScaleRig, ids: &[i64], reboot: &str) -> i64 {
    let r = rig
        .post_json(
            "/api/v1/deployments",
            &serde_json::json!({"host_ids": ids, "operation": "apply_all", "mode": "now", "reboot": reboot}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", String::from_utf8_lossy(&r.body));
    let id = r.json()["data"]["id"].as_i64().unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let open: i64 = dt::table
            .filter(dt::deployment_id.eq(id))
            .filter(dt::finished_at.is_null())
            .count()
            .get_result(&mut rig.manager.db().conn())
            .unwrap();
        if open == 0 {
            return id;
        }
        assert!(Instant::now() < deadline, "{}", rig.manager.stderr());
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn if_required_reboots_exactly_the_hosts_that_need_it() {
    let rig = tokio::task::block_in_place(|| ScaleRig::start(12, "127.0.42.1", "", &[]));
    let ids: Vec<i64> = hosts::table
        .order(hosts::id)
        .select(hosts::id)
        .load(&mut rig.manager.db().conn())
        .unwrap();
    let (first, second) = ids.split_at(6);
    let never = run(&rig, first, "never").await;
    let maybe = run(&rig, second, "if_required").await;

    let mut rebooted = 0;
    for (dep, option) in [(never, "never"), (maybe, "if_required")] {
        let rows: Vec<(String, String, String)> = dt::table
            .inner_join(hosts::table)
            .filter(dt::deployment_id.eq(dep))
            .select((hosts::hostname, dt::state, dt::agent_status))
            .load(&mut rig.manager.db().conn())
            .unwrap();
        for (name, state, note) in rows {
            assert_eq!(state, "succeeded", "{name}: {note}");
            let h = rig.fleet.file.hosts.iter().find(|h| h.hostname == name).unwrap();
            let jobs = get(&rig, h, "/api/v1/jobs").await;
            let reboots = jobs
                .as_array()
                .unwrap()
                .iter()
                .filter(|j| j["kind"] == "reboot")
                .count();
            let needed = get(&rig, h, "/api/v1/system/info").await["reboot_required"]["state"] == "yes";
            match (option, needed) {
                ("if_required", true) => {
                    assert_eq!(reboots, 1, "{name}: one reboot job ({note})");
                    assert!(note.contains("reboot started"), "{name}: {note}");
                    rebooted += 1;
                }
                ("if_required", false) => {
                    assert_eq!(reboots, 0, "{name}");
                    assert!(note.contains("no reboot needed"), "{name}: {note}");
                }
                _ => assert_eq!(reboots, 0, "{name}: `never` reboots nothing"),
            }
        }
    }
    println!("hosts rebooted by `if_required`: {rebooted} of {}", second.len());
}

async fn get(rig: &ScaleRig, h: &linux_patch_tests::fleet::HostRecord, path: &str) -> serde_json::Value {
    call_host(h, &rig.fleet.ca_pem, &rig.fleet.manager, None, path)
        .await
        .unwrap()
        .response
        .json()["data"]
        .clone()
}
