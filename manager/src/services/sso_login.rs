//! The SSO sign-in: start (state, nonce, PKCE kept server-side) and finish (code exchange, token checks, role, user, session); every refusal audited.

use super::sso::{active, Active};
use crate::app::AppContext;
use crate::audit::{self, Entry};
use crate::auth::{random_token, refresh_tokens, session_lifecycle};
use crate::db::models::sso::{self as rows, SsoLogin};
use crate::db::models::{Group, NewUser, Role, User};
use crate::error::ManagerError;
use crate::sso::mapping::{self, Granted};
use crate::sso::username;
use crate::sso::verify::{self, Expect, Identity, Refusal};
use chrono::Duration;
use diesel::{Connection, PgConnection};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient};
use openidconnect::{ClientId, CsrfToken, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope};

/// How long a started sign-in may take at the provider.
pub const LOGIN_TTL: Duration = Duration::minutes(10);

/// A started sign-in: where to send the browser and the state to bind to it (cookie).
#[derive(Debug)]
pub struct Started {
    /// The provider's authorization URL.
    pub url: String,
    /// The state (also in the URL).
    pub state: String,
}

/// A refused SSO sign-in: the message the user sees (audited as `sso.login_refused`).
#[derive(Debug, Clone)]
pub struct Refused(pub String);

async fn configured(ctx: &AppContext) -> Result<Active, ManagerError> {
    match active(ctx).await? {
        Some(a) if a.s.enabled => Ok(a),
        _ => Err(ManagerError::NotFound(
            "single sign-on is not configured on this console".into(),
        )),
    }
}

/// Starts a sign-in: discovery, then state, nonce and PKCE verifier stored (hashed state as key). `Ok(Err(_))`:
/// the provider cannot be reached or answers wrongly (the message says how).
pub async fn begin(ctx: &AppContext) -> Result<Result<Started, String>, ManagerError> {
    let a = configured(ctx).await?;
    let unreachable = |e: String| format!("Microsoft Entra ID cannot be reached for the sign-in: {e}");
    let provider = match ctx.sso.provider() {
        Ok(p) => p,
        Err(e) => return Ok(Err(unreachable(e))),
    };
    let issuer = ctx.sso.issuer(&a.s.tenant_id);
    let meta = match provider.metadata(&issuer).await {
        Ok(m) => m,
        Err(e) => {
            log::warn!("SSO sign-in: {e}");
            return Ok(Err(unreachable(e)));
        }
    };
    let redirect =
        RedirectUrl::new(ctx.sso.redirect_uri.clone()).map_err(|e| ManagerError::Internal(e.to_string()))?;
    let client = CoreClient::from_provider_metadata(meta, ClientId::new(a.s.client_id.clone()), None)
        .set_redirect_uri(redirect);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (state, nonce) = (random_token(), random_token());
    let (st, no) = (state.clone(), nonce.clone());
    let mut req = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            move || CsrfToken::new(st),
            move || Nonce::new(no),
        )
        .set_pkce_challenge(challenge);
    for s in a.s.scopes.split_whitespace().filter(|s| *s != "openid") {
        req = req.add_scope(Scope::new(s.to_owned()));
    }
    let (url, _, _) = req.url();
    let now = ctx.now();
    let (hash, v) = (refresh_tokens::hash_token(&state), verifier.secret().clone());
    ctx.db(move |c| Ok(SsoLogin::insert(c, &hash, &nonce, &v, now, now - LOGIN_TTL)?))
        .await?;
    Ok(Ok(Started {
        url: url.to_string(),
        state,
    }))
}

/// What came back from the provider.
#[derive(Debug, Clone, Default)]
pub struct Callback {
    /// `state` of the query.
    pub state: String,
    /// The state cookie of this browser.
    pub cookie_state: String,
    /// `code`.
    pub code: Option<String>,
    /// `error` and `error_description`.
    pub error: Option<String>,
}

fn refuse(
    conn: &mut PgConnection,
    ctx_now: chrono::DateTime<chrono::Utc>,
    who: &str,
    reason: &str,
    msg: &str,
    ip: &str,
) -> Result<(), ManagerError> {
    audit::append(
        conn,
        ctx_now,
        &Entry {
            actor: who,
            action: "sso.login_refused",
            target: "sso",
            details: serde_json::json!({"reason": reason, "message": msg, "source_ip": ip}),
        },
    )?;
    Ok(())
}

/// Finishes a sign-in. `Ok(Err(Refused))` is a refusal already audited; `Err` is a failure of ours (5xx).
pub async fn finish(
    ctx: &AppContext,
    cb: Callback,
    origin: session_lifecycle::Origin,
) -> Result<Result<(User, refresh_tokens::Issued), Refused>, ManagerError> {
    let now = ctx.now();
    let ip = origin.source_ip.clone();
    let outcome = check(ctx, &cb).await?;
    let (id, granted) = match outcome {
        Ok(x) => x,
        Err((actor, reason, msg)) => {
            let m = msg.clone();
            ctx.db(move |c| refuse(c, now, &actor, reason, &m, &ip)).await?;
            return Ok(Err(Refused(msg)));
        }
    };
    let keys = ctx.keys.clone();
    let done = ctx
        .db(move |c| {
            c.transaction::<_, ManagerError, _>(|c| {
                let user = upsert_user(c, now, &id, &granted)?;
                if user.disabled {
                    let m = format!(
                        "the account `{}` is disabled in Linux Patch Manager",
                        user.username
                    );
                    return Ok(Err((user.username.clone(), m)));
                }
                let issued = session_lifecycle::begin(c, &keys, now, &user, "entra_id", &origin)?;
                Ok(Ok((user, issued)))
            })
        })
        .await?;
    match done {
        Ok(x) => Ok(Ok(x)),
        Err((who, m)) => {
            let msg = m.clone();
            ctx.db(move |c| refuse(c, now, &who, "disabled", &msg, &ip))
                .await?;
            Ok(Err(Refused(m)))
        }
    }
}

type Checked = Result<(Identity, Granted), (String, &'static str, String)>;

async fn check(ctx: &AppContext, cb: &Callback) -> Result<Checked, ManagerError> {
    let anon = |reason: &'static str, m: String| Ok(Err(("anonymous".to_owned(), reason, m)));
    let same = cb.state.len() == cb.cookie_state.len()
        && openssl::memcmp::eq(cb.state.as_bytes(), cb.cookie_state.as_bytes());
    if cb.state.is_empty() || !same {
        return anon("state_mismatch", "this sign-in was not started in this browser (state mismatch): start again from the sign-in page".into());
    }
    let hash = refresh_tokens::hash_token(&cb.state);
    let Some(login) = ctx.db(move |c| Ok(SsoLogin::take(c, &hash)?)).await? else {
        return anon(
            "state_replayed",
            "this sign-in answer was already used or has expired: start again from the sign-in page".into(),
        );
    };
    if ctx.now() - login.created_at > LOGIN_TTL {
        return anon(
            "state_expired",
            "the sign-in took longer than 10 minutes: start again".into(),
        );
    }
    if let Some(e) = &cb.error {
        return anon(
            "provider_error",
            format!("Microsoft Entra ID refused the sign-in: {e}"),
        );
    }
    let Some(code) = cb.code.as_deref().filter(|c| !c.is_empty()) else {
        return anon(
            "no_code",
            "the provider's answer carries no authorization code".into(),
        );
    };
    let a = configured(ctx).await?;
    let provider = match ctx.sso.provider() {
        Ok(p) => p,
        Err(e) => return anon("discovery", e),
    };
    let issuer = ctx.sso.issuer(&a.s.tenant_id);
    let meta = match provider.metadata(&issuer).await {
        Ok(m) => m,
        Err(e) => return anon("discovery", e),
    };
    let verifier = PkceCodeVerifier::new(login.pkce_verifier.clone());
    let tokens = provider
        .exchange(
            meta.clone(),
            (&a.s.client_id, &a.secret),
            &ctx.sso.redirect_uri,
            code,
            verifier.secret(),
        )
        .await;
    let tokens = match tokens {
        Ok(t) => t,
        Err(e) => return anon("token_request", e),
    };
    use openidconnect::TokenResponse;
    let Some(raw) = tokens.id_token().map(|t| t.to_string()) else {
        return anon("no_id_token", "the provider answered without an ID token".into());
    };
    let x = Expect {
        issuer: &issuer,
        client_id: &a.s.client_id,
        tenant: &a.s.tenant_id,
        nonce: &login.nonce,
        now: ctx.now(),
    };
    let id = match verify::verify(&raw, meta.jwks(), &x) {
        Err(Refusal::UnknownKey) => match provider.refetch_keys(&issuer).await {
            Ok(Some(keys)) => verify::verify(&raw, &keys, &x),
            Ok(None) => Err(Refusal::Bad("the ID token is signed with a key the provider does not publish (keys were refetched recently)".into())),
            Err(e) => Err(Refusal::Bad(e)),
        },
        other => other,
    };
    let id = match id {
        Ok(i) => i,
        Err(Refusal::UnknownKey) => {
            return anon(
                "unknown_key",
                "the ID token is signed with a key the provider does not publish".into(),
            )
        }
        Err(Refusal::Bad(m)) => return anon("token_invalid", m),
    };
    match mapping::decide(a.s.role_source, &a.s.group_map, &id.role_claims) {
        Ok(g) => Ok(Ok((id, g))),
        Err(no) => Ok(Err((
            format!("sso:{}/{}", id.tid, id.oid),
            no.reason(),
            no.message().to_owned(),
        ))),
    }
}

/// The user of (tid, oid), created at the first sign-in; role (and, with group mapping, groups) set from the token.
fn upsert_user(
    c: &mut PgConnection,
    now: chrono::DateTime<chrono::Utc>,
    id: &Identity,
    g: &Granted,
) -> Result<User, ManagerError> {
    let role = Role::parse(g.role).ok_or_else(|| ManagerError::Internal("unknown role".into()))?;
    let user = match rows::user_of(c, &id.tid, &id.oid)? {
        Some(uid) => {
            let u = User::by_id(c, uid)?
                .ok_or_else(|| ManagerError::Internal("SSO identity without user".into()))?;
            if u.role != g.role {
                User::set_role(c, u.id, role)?;
                audit::append(
                    c,
                    now,
                    &Entry {
                        actor: "sso",
                        action: "user.role",
                        target: &format!("user:{}", u.username),
                        details: serde_json::json!({"before": u.role, "after": g.role, "source": "entra_id"}),
                    },
                )?;
            }
            rows::touch(c, &id.tid, &id.oid, now)?;
            User::by_id(c, uid)?.ok_or_else(|| ManagerError::Internal("SSO user vanished".into()))?
        }
        None => {
            let base = username::derive(&id.display, &id.oid);
            let mut name = base.clone();
            let mut n = 1;
            while User::by_username(c, &name)?.is_some() {
                n += 1;
                name = username::alternative(&base, n);
            }
            // No password: local sign-in is impossible for this account ("!" is no Argon2 hash).
            let u = User::insert(
                c,
                &NewUser {
                    username: &name,
                    password_hash: "!sso",
                    role: g.role,
                    must_change_password: false,
                    created_at: now,
                },
            )?;
            rows::link(c, &id.tid, &id.oid, u.id, now)?;
            rows::touch(c, &id.tid, &id.oid, now)?;
            audit::append(
                c,
                now,
                &Entry {
                    actor: "sso",
                    action: "user.create",
                    target: &format!("user:{name}"),
                    details: serde_json::json!({"user_id": u.id, "role": g.role, "source": "entra_id", "tid": id.tid, "oid": id.oid}),
                },
            )?;
            u
        }
    };
    if let Some(names) = &g.groups {
        let all = Group::all(c)?;
        let ids: Vec<i64> = all
            .iter()
            .filter(|gr| names.contains(&gr.name))
            .map(|gr| gr.id)
            .collect();
        User::set_groups(c, user.id, &ids)?;
    }
    Ok(user)
}
