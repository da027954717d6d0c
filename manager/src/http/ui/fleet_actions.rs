//! What the Hosts page's bulk actions and their JSON twins do: refresh a selection now (through the
//! running poller), add a selection to a group. Scoped by RBAC, audited.

use crate::actors::poller::Refresh;
use crate::admin::{groups, hosts};
use crate::db::models::fleet_view;
use crate::error::ManagerError;
use crate::http::api::fleet::actor;
use crate::http::session::Signed;
use crate::http::state::AppState;

/// Most hosts one bulk request may name.
pub const MAX_SELECTION: usize = 10_000;

/// The selection, sorted and without duplicates; refused when empty or too large.
pub fn selection(ids: &[i64]) -> Result<Vec<i64>, ManagerError> {
    if ids.is_empty() {
        return Err(ManagerError::Invalid("select at least one host".into()));
    }
    if ids.len() > MAX_SELECTION {
        return Err(ManagerError::Invalid(format!(
            "select at most {MAX_SELECTION} hosts at once"
        )));
    }
    let mut v = ids.to_vec();
    v.sort_unstable();
    v.dedup();
    Ok(v)
}

/// Queues an immediate refresh (health, system info, patches) of `ids`; every host must be visible to
/// `who`. Returns how many the poller queued.
pub async fn refresh(state: &AppState, who: &Signed, ids: &[i64]) -> Result<usize, ManagerError> {
    let ids = selection(ids)?;
    let scope = who.scope;
    let check = ids.clone();
    state
        .db(move |c| match fleet_view::first_unseen(c, scope, &check)? {
            Some(bad) => Err(hosts::not_found(bad)),
            None => Ok(()),
        })
        .await?;
    let Some(poller) = state.poller.get() else {
        return Err(ManagerError::Refused(
            "the poller is not running in this manager process, so hosts cannot be refreshed now".into(),
        ));
    };
    let queued = poller.refresh(ids.clone(), Refresh::All).await?;
    let a = actor(who);
    let now = state.now();
    state
        .db(move |c| {
            a.audit(
                c,
                now,
                "host.refresh",
                &format!("hosts:{}", ids.len()),
                serde_json::json!({"host_ids": ids, "queued": queued}),
            )
        })
        .await?;
    Ok(queued)
}

/// Adds `ids` to group `group` (administrators); returns how many memberships were added.
pub async fn add_to_group(
    state: &AppState,
    who: &Signed,
    group: i64,
    ids: &[i64],
) -> Result<usize, ManagerError> {
    let ids = selection(ids)?;
    let a = actor(who);
    let now = state.now();
    state
        .db(move |c| groups::add_hosts(c, now, &a, group, &ids))
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_are_bounded_and_deduplicated() {
        assert!(selection(&[]).is_err());
        assert_eq!(selection(&[3, 1, 3, 2]).unwrap(), vec![1, 2, 3]);
        let too_many: Vec<i64> = (0..=MAX_SELECTION as i64).collect();
        assert!(selection(&too_many).is_err());
    }
}
