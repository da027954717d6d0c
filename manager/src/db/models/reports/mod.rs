//! Read queries behind the reports (compliance, snapshots), each restricted by RBAC through [`scope_sql`].

pub mod audit_trail;
pub mod compliance;
pub mod exposure;
pub mod history;
pub mod snapshot;

use crate::db::models::scope::Scope;

/// The SQL condition "host `alias` is visible to `scope` (and in group `group` when given)". Only integers
/// from our own types are formatted in (a user id, a group id already checked), never user text.
pub fn scope_sql(alias: &str, scope: Scope, group: Option<GroupSel>) -> String {
    let vis = match scope {
        Scope::All => "TRUE".to_owned(),
        Scope::GroupsOf(u) => format!(
            "(NOT EXISTS (SELECT 1 FROM host_groups sg WHERE sg.host_id = {alias}.id) OR EXISTS (SELECT 1 \
             FROM host_groups sg JOIN user_groups su ON su.group_id = sg.group_id WHERE sg.host_id = {alias}.id \
             AND su.user_id = {u}))"
        ),
    };
    match group {
        None => vis,
        Some(GroupSel::Id(g)) => format!(
            "{vis} AND EXISTS (SELECT 1 FROM host_groups gg WHERE gg.host_id = {alias}.id AND gg.group_id = {g})"
        ),
        Some(GroupSel::Ungrouped) => format!(
            "{vis} AND NOT EXISTS (SELECT 1 FROM host_groups gg WHERE gg.host_id = {alias}.id)"
        ),
    }
}

/// A report's group selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub enum GroupSel {
    /// One group (already checked to be in scope).
    Id(i64),
    /// Hosts in no group.
    Ungrouped,
}

/// SQL deciding a host's compliance state from `hosts` columns (alias `h`): `nodata` before the first
/// successful patch fetch; `compliant` with no pending security update and no reboot required.
pub const STATE_SQL: &str = "CASE WHEN h.patches_checked_at IS NULL THEN 'nodata' \
     WHEN h.pending_security = 0 AND h.reboot_required <> 'yes' THEN 'compliant' ELSE 'noncompliant' END";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admins_are_unrestricted_operators_bound_to_their_groups() {
        assert_eq!(scope_sql("h", Scope::All, None), "TRUE");
        let op = scope_sql("h", Scope::GroupsOf(7), Some(GroupSel::Id(3)));
        assert!(
            op.contains("su.user_id = 7") && op.contains("gg.group_id = 3"),
            "{op}"
        );
        assert!(scope_sql("x", Scope::All, Some(GroupSel::Ungrouped)).contains("NOT EXISTS"));
    }
}
