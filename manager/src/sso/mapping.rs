//! From a verified ID token's claims to the manager's role and groups (app roles or group mapping), with the refusals.

use super::settings::{GroupRule, RoleSource};

/// The app role that makes an administrator.
pub const ADMIN_ROLE: &str = "PatchManager.Admin";
/// The app role that makes an operator.
pub const OPERATOR_ROLE: &str = "PatchManager.Operator";

/// The claims that decide the role.
#[derive(Debug, Clone, Default)]
pub struct RoleClaims {
    /// `roles`.
    pub roles: Vec<String>,
    /// `groups` (absent in an overage token).
    pub groups: Option<Vec<String>>,
    /// Whether `_claim_names` names `groups` (Entra's groups overage).
    pub groups_overage: bool,
}

/// What a sign-in gets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Granted {
    /// `admin` or `operator`.
    pub role: &'static str,
    /// Manager groups to set (`None` with app roles: groups stay as admins set them).
    pub groups: Option<Vec<String>>,
}

/// Why a sign-in is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoRole {
    /// Nothing maps to a role.
    Unmapped,
    /// The token carries `_claim_names` instead of `groups`.
    Overage,
}

impl NoRole {
    /// The message shown to the user (and audited).
    pub fn message(&self) -> &'static str {
        match self {
            NoRole::Unmapped => {
                "your Microsoft account signed in, but it has no role in Linux Patch Manager: ask an administrator \
                 to assign you the PatchManager.Admin or PatchManager.Operator app role (or a mapped group)"
            }
            NoRole::Overage => {
                "your account is in too many groups for Entra ID to list them in the sign-in token (groups \
                 overage): an administrator must switch the manager's SSO role source to app roles \
                 (PatchManager.Admin / PatchManager.Operator) and assign those roles in Entra ID"
            }
        }
    }

    /// The audit word.
    pub fn reason(&self) -> &'static str {
        match self {
            NoRole::Unmapped => "no_role",
            NoRole::Overage => "groups_overage",
        }
    }
}

/// Decides the role: admin beats operator; with groups, the manager groups are the union of the matched rules'.
pub fn decide(source: RoleSource, rules: &[GroupRule], c: &RoleClaims) -> Result<Granted, NoRole> {
    match source {
        RoleSource::AppRoles => {
            if c.roles.iter().any(|r| r == ADMIN_ROLE) {
                Ok(Granted {
                    role: "admin",
                    groups: None,
                })
            } else if c.roles.iter().any(|r| r == OPERATOR_ROLE) {
                Ok(Granted {
                    role: "operator",
                    groups: None,
                })
            } else {
                Err(NoRole::Unmapped)
            }
        }
        RoleSource::Groups => {
            let Some(groups) = &c.groups else {
                return Err(if c.groups_overage {
                    NoRole::Overage
                } else {
                    NoRole::Unmapped
                });
            };
            let matched: Vec<&GroupRule> = rules
                .iter()
                .filter(|r| groups.iter().any(|g| g.eq_ignore_ascii_case(&r.entra_group)))
                .collect();
            let role = if matched.iter().any(|r| r.role == "admin") {
                "admin"
            } else if matched.iter().any(|r| r.role == "operator") {
                "operator"
            } else {
                return Err(NoRole::Unmapped);
            };
            let mut names: Vec<String> = matched.iter().flat_map(|r| r.groups.iter().cloned()).collect();
            names.sort();
            names.dedup();
            Ok(Granted {
                role,
                groups: Some(names),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const G1: &str = "11111111-1111-4111-8111-111111111111";
    const G2: &str = "22222222-2222-4222-8222-222222222222";

    fn rules() -> Vec<GroupRule> {
        vec![
            GroupRule {
                entra_group: G1.into(),
                role: "operator".into(),
                groups: vec!["web".into()],
            },
            GroupRule {
                entra_group: G2.into(),
                role: "operator".into(),
                groups: vec!["db".into(), "web".into()],
            },
        ]
    }

    #[test]
    fn app_roles() {
        let c = RoleClaims {
            roles: vec![OPERATOR_ROLE.into(), ADMIN_ROLE.into()],
            ..Default::default()
        };
        assert_eq!(decide(RoleSource::AppRoles, &[], &c).unwrap().role, "admin");
        let c = RoleClaims {
            roles: vec!["Other".into()],
            ..Default::default()
        };
        assert_eq!(decide(RoleSource::AppRoles, &[], &c), Err(NoRole::Unmapped));
    }

    #[test]
    fn groups_union_and_overage() {
        let c = RoleClaims {
            groups: Some(vec![G1.into(), G2.to_uppercase()]),
            ..Default::default()
        };
        let g = decide(RoleSource::Groups, &rules(), &c).unwrap();
        assert_eq!(
            g,
            Granted {
                role: "operator",
                groups: Some(vec!["db".into(), "web".into()])
            }
        );
        let c = RoleClaims {
            groups_overage: true,
            ..Default::default()
        };
        assert_eq!(decide(RoleSource::Groups, &rules(), &c), Err(NoRole::Overage));
        let c = RoleClaims {
            groups: Some(vec!["x".into()]),
            ..Default::default()
        };
        assert_eq!(decide(RoleSource::Groups, &rules(), &c), Err(NoRole::Unmapped));
    }
}
