//! SSO settings as the admin edits them: validation (tenant GUID, client id, scopes, role source, group map) and the redacted view.

use serde::{Deserialize, Serialize};

/// Where roles come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RoleSource {
    /// The `roles` claim (`PatchManager.Admin`, `PatchManager.Operator`).
    AppRoles,
    /// The `groups` claim, through [`GroupRule`]s.
    Groups,
}

impl RoleSource {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            RoleSource::AppRoles => "app_roles",
            RoleSource::Groups => "groups",
        }
    }

    /// From the stored word.
    pub fn parse(s: &str) -> Option<RoleSource> {
        match s {
            "app_roles" => Some(RoleSource::AppRoles),
            "groups" => Some(RoleSource::Groups),
            _ => None,
        }
    }
}

/// One mapping: members of an Entra group get a role and manager groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupRule {
    /// The Entra group's object id (a GUID).
    pub entra_group: String,
    /// `admin` or `operator`.
    pub role: String,
    /// Manager groups (names) its members belong to.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// What an admin sends (`PUT /api/v1/settings/sso`, the settings form).
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsInput {
    /// Offer SSO on the sign-in page.
    #[serde(default)]
    pub enabled: bool,
    /// Tenant GUID.
    #[serde(default)]
    pub tenant_id: String,
    /// Client id.
    #[serde(default)]
    pub client_id: String,
    /// A new client secret; `None` or empty keeps the stored one.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// Space-separated scopes (`openid` is always added).
    #[serde(default)]
    pub scopes: String,
    /// `app_roles` (default) or `groups`.
    #[serde(default = "default_source")]
    pub role_source: String,
    /// Group mapping (with `groups`).
    #[serde(default)]
    pub group_map: Vec<GroupRule>,
}

fn default_source() -> String {
    "app_roles".into()
}

/// Validated settings (the secret not included).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Checked {
    /// Offer SSO.
    pub enabled: bool,
    /// Tenant GUID, lowercase.
    pub tenant_id: String,
    /// Client id.
    pub client_id: String,
    /// Normalised scopes.
    pub scopes: String,
    /// Role source.
    pub role_source: RoleSource,
    /// Group mapping (GUIDs lowercase).
    pub group_map: Vec<GroupRule>,
}

/// The scopes used when none are given.
pub const DEFAULT_SCOPES: &str = "openid profile";

/// Whether `s` is a GUID (`8-4-4-4-12` hex digits).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// Checks the tenant id: a GUID; the multi-tenant aliases are refused with the reason.
pub fn check_tenant(t: &str) -> Result<String, String> {
    let t = t.trim();
    match t.to_ascii_lowercase().as_str() {
        "common" | "organizations" | "consumers" => Err(format!(
            "tenant `{t}` is a multi-tenant alias: tokens from it may come from any tenant (or personal Microsoft \
             accounts) and their issuer names the user's tenant, so it cannot be checked exactly; enter your \
             tenant's GUID (Entra admin center -> Overview -> Tenant ID)"
        )),
        "" => Err("the tenant id is required (Entra admin center -> Overview -> Tenant ID)".into()),
        l if is_guid(l) => Ok(l.to_owned()),
        _ => Err(format!(
            "tenant `{}` is not a GUID like 72f988bf-86f1-41af-91ab-2d7cd011db47",
            t.chars().take(64).collect::<String>().escape_default()
        )),
    }
}

/// Validates `input`; the first mistake is returned as a message for the admin.
pub fn check(input: &SettingsInput) -> Result<Checked, String> {
    let tenant_id = check_tenant(&input.tenant_id)?;
    let client_id = input.client_id.trim().to_ascii_lowercase();
    if !is_guid(&client_id) {
        return Err("the client id must be the app registration's Application (client) ID, a GUID".into());
    }
    let mut scopes: Vec<&str> = vec!["openid"];
    for s in input.scopes.split_whitespace() {
        if s.len() > 200 || !s.chars().all(|c| c.is_ascii_graphic() && c != '"' && c != '\\') {
            return Err(format!(
                "scope `{}` is not a valid scope",
                s.chars().take(40).collect::<String>()
            ));
        }
        if !scopes.contains(&s) {
            scopes.push(s);
        }
    }
    if scopes.len() == 1 {
        scopes.push("profile");
    }
    let role_source = RoleSource::parse(input.role_source.trim())
        .ok_or_else(|| "the role source must be `app_roles` or `groups`".to_owned())?;
    let mut group_map = Vec::new();
    for r in &input.group_map {
        let g = r.entra_group.trim().to_ascii_lowercase();
        if !is_guid(&g) {
            return Err(format!(
                "`{}` is not an Entra group object id (a GUID)",
                r.entra_group
                    .chars()
                    .take(64)
                    .collect::<String>()
                    .escape_default()
            ));
        }
        if !matches!(r.role.as_str(), "admin" | "operator") {
            return Err(format!("the role of group {g} must be `admin` or `operator`"));
        }
        group_map.push(GroupRule {
            entra_group: g,
            role: r.role.clone(),
            groups: r
                .groups
                .iter()
                .map(|n| n.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect(),
        });
    }
    if role_source == RoleSource::Groups && group_map.is_empty() && input.enabled {
        return Err("with roles from groups, map at least one Entra group to a role".into());
    }
    Ok(Checked {
        enabled: input.enabled,
        tenant_id,
        client_id,
        scopes: scopes.join(" "),
        role_source,
        group_map,
    })
}

/// The authority (and exact issuer) for `tenant` under `host` (`https://login.microsoftonline.com`).
pub fn issuer(host: &str, tenant: &str) -> String {
    format!("{}/{tenant}/v2.0", host.trim_end_matches('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SettingsInput {
        SettingsInput {
            enabled: true,
            tenant_id: "72F988BF-86F1-41AF-91AB-2D7CD011DB47".into(),
            client_id: "0b5f4a1e-1111-4222-8333-944455556666".into(),
            client_secret: Some("s".into()),
            scopes: "profile email".into(),
            role_source: "app_roles".into(),
            group_map: vec![],
        }
    }

    #[test]
    fn accepts_a_tenant_guid_and_normalises() {
        let c = check(&input()).unwrap();
        assert_eq!(c.tenant_id, "72f988bf-86f1-41af-91ab-2d7cd011db47");
        assert_eq!(c.scopes, "openid profile email");
    }

    #[test]
    fn refuses_multi_tenant_aliases_with_the_reason() {
        for t in ["common", "Organizations", "consumers"] {
            let e = check(&SettingsInput {
                tenant_id: t.into(),
                ..input()
            })
            .unwrap_err();
            assert!(e.contains("multi-tenant alias"), "{e}");
        }
        let e = check(&SettingsInput {
            tenant_id: "contoso.onmicrosoft.com".into(),
            ..input()
        })
        .unwrap_err();
        assert!(e.contains("not a GUID"), "{e}");
    }

    #[test]
    fn refuses_bad_group_rules() {
        let mut i = input();
        i.role_source = "groups".into();
        assert!(check(&i).unwrap_err().contains("map at least one"));
        i.group_map = vec![GroupRule {
            entra_group: "x".into(),
            role: "admin".into(),
            groups: vec![],
        }];
        assert!(check(&i).unwrap_err().contains("not an Entra group"));
        i.group_map[0].entra_group = "0b5f4a1e-1111-4222-8333-944455556666".into();
        i.group_map[0].role = "root".into();
        assert!(check(&i).unwrap_err().contains("`admin` or `operator`"));
    }

    #[test]
    fn issuer_is_the_authority() {
        assert_eq!(
            issuer("https://login.microsoftonline.com/", "t"),
            "https://login.microsoftonline.com/t/v2.0"
        );
    }
}
