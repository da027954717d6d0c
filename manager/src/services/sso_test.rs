//! "Test connection" (admins): discovery, the issuer checked exactly, the JWKS, and the client secret proven by a client-credentials token request; each step reported.

use super::sso::active;
use super::Actor;
use crate::app::AppContext;
use crate::error::ManagerError;
use crate::sso::provider::chain;
use serde::Serialize;

/// The scope of the proving token request (every Entra app may ask Microsoft Graph for an app-only token).
pub const PROOF_SCOPE: &str = "https://graph.microsoft.com/.default";

/// One step of the test.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Step {
    /// `discovery`, `issuer`, `jwks`, `client_secret`.
    pub step: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// What happened (the error when not ok).
    pub detail: String,
}

/// The outcome.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Report {
    /// All steps passed.
    pub ok: bool,
    /// The steps, in order (the first failure ends the test).
    pub steps: Vec<Step>,
}

fn step(steps: &mut Vec<Step>, name: &'static str, r: Result<String, String>) -> bool {
    let ok = r.is_ok();
    steps.push(Step {
        step: name,
        ok,
        detail: r.unwrap_or_else(|e| e),
    });
    ok
}

/// Runs the test against the stored settings (audited `settings.sso_test`).
pub async fn run(ctx: &AppContext, who: &Actor) -> Result<Report, ManagerError> {
    who.require_admin()?;
    let a = active(ctx)
        .await?
        .ok_or_else(|| ManagerError::Invalid("save the SSO settings first, then test them".into()))?;
    let issuer = ctx.sso.issuer(&a.s.tenant_id);
    let mut steps = Vec::new();
    let http = match ctx.sso.provider() {
        Ok(p) => p.http().clone(),
        Err(e) => {
            step(&mut steps, "discovery", Err(e));
            return finish(ctx, who, steps).await;
        }
    };
    let url = format!("{issuer}/.well-known/openid-configuration");
    let doc = get_json(&http, &url).await;
    let doc = match doc {
        Ok(d) => {
            step(&mut steps, "discovery", Ok(format!("{url} answered")));
            d
        }
        Err(e) => {
            step(&mut steps, "discovery", Err(format!("{url}: {e}")));
            return finish(ctx, who, steps).await;
        }
    };
    let got = doc.get("issuer").and_then(|v| v.as_str()).unwrap_or("");
    let r = if got == issuer {
        Ok(format!("issuer is {issuer}"))
    } else {
        Err(format!(
            "the provider names its issuer `{got}`, expected exactly `{issuer}`"
        ))
    };
    if !step(&mut steps, "issuer", r) {
        return finish(ctx, who, steps).await;
    }
    let jwks_uri = doc.get("jwks_uri").and_then(|v| v.as_str()).unwrap_or("");
    let r = match get_json(&http, jwks_uri).await {
        Ok(k) => match k.get("keys").and_then(|v| v.as_array()) {
            Some(keys) if !keys.is_empty() => Ok(format!("{} signing keys at {jwks_uri}", keys.len())),
            _ => Err(format!("{jwks_uri} lists no keys")),
        },
        Err(e) => Err(format!("{jwks_uri}: {e}")),
    };
    if !step(&mut steps, "jwks", r) {
        return finish(ctx, who, steps).await;
    }
    let token = doc.get("token_endpoint").and_then(|v| v.as_str()).unwrap_or("");
    let r = prove_secret(&http, token, &a.s.client_id, &a.secret).await;
    step(&mut steps, "client_secret", r);
    finish(ctx, who, steps).await
}

async fn get_json(http: &reqwest::Client, url: &str) -> Result<serde_json::Value, String> {
    let r = http.get(url).send().await.map_err(|e| chain(&e))?;
    let status = r.status();
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    let text = r.text().await.map_err(|e| chain(&e))?;
    serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
}

async fn prove_secret(
    http: &reqwest::Client,
    token_url: &str,
    client_id: &str,
    secret: &str,
) -> Result<String, String> {
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", client_id),
        ("client_secret", secret),
        ("scope", PROOF_SCOPE),
    ];
    let r = http
        .post(token_url)
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("{token_url}: {}", chain(&e)))?;
    let status = r.status();
    let body: serde_json::Value =
        serde_json::from_str(&r.text().await.unwrap_or_default()).unwrap_or_default();
    if status.is_success() && body.get("access_token").is_some() {
        return Ok("the token endpoint issued a token for the client id and secret".into());
    }
    let err = body.get("error").and_then(|v| v.as_str()).unwrap_or("");
    let desc = body
        .get("error_description")
        .and_then(|v| v.as_str())
        .unwrap_or("");
    if err == "invalid_client" || err == "unauthorized_client" {
        Err(format!("the client id or secret was refused ({err}: {desc}); create a new secret in Entra (Certificates & secrets) and save it here"))
    } else {
        Err(format!("the token request failed: HTTP {status} {err} {desc}"))
    }
}

async fn finish(ctx: &AppContext, who: &Actor, steps: Vec<Step>) -> Result<Report, ManagerError> {
    let ok = steps.iter().all(|s| s.ok) && steps.len() == 4;
    let (a, now) = (who.clone(), ctx.now());
    let details = serde_json::json!({"ok": ok, "steps": steps});
    ctx.db(move |c| a.audit(c, now, "settings.sso_test", "settings:sso", details))
        .await?;
    Ok(Report { ok, steps })
}
