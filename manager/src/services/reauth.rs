//! Re-authentication inside a signed-in session with a security key: a WebAuthn challenge bound to the
//! session, answered once within five minutes; or, as before, a TOTP code or an unused recovery code.

use super::own_account::{check_throttle, prove_factor, wrong, Me};
use crate::app::AppContext;
use crate::db::models::mfa::WebauthnCredential;
use crate::db::models::reauth::ReauthChallenge;
use crate::error::ManagerError;

/// How a user proves a current factor again.
#[derive(Debug, Clone)]
pub enum Proof {
    /// A current TOTP code or an unused recovery code (spent).
    Code(String),
    /// The browser's answer (`PublicKeyCredential` JSON) to this session's security-key challenge.
    SecurityKey(serde_json::Value),
}

/// Checks `proof`; returns how (`totp`, `recovery code` or `security key`). A wrong answer is counted,
/// audited (`auth.reauth_failed`) and refused.
pub async fn prove(ctx: &AppContext, me: &Me, proof: &Proof) -> Result<&'static str, ManagerError> {
    match proof {
        Proof::Code(code) => prove_factor(ctx, me, code).await,
        Proof::SecurityKey(answer) => prove_security_key(ctx, me, answer).await,
    }
}

/// Starts a security-key check for this session (replacing one it had): the options for
/// `navigator.credentials.get`, allowing only the user's own keys.
pub async fn start_security_key(ctx: &AppContext, me: &Me) -> Result<serde_json::Value, ManagerError> {
    check_throttle(ctx, me)?;
    let (svc, uid, sid, now) = (ctx.webauthn.clone(), me.user.id, me.session_id.clone(), ctx.now());
    ctx.db(move |c| {
        let keys = WebauthnCredential::passkeys(c, uid)?;
        if keys.is_empty() {
            return Err(ManagerError::Invalid(
                "you have no security key: enter a code from your authenticator app or a recovery code"
                    .into(),
            ));
        }
        let (options, state) = svc.start_authentication(&keys).map_err(ManagerError::Invalid)?;
        ReauthChallenge::put(c, &sid, &state, now)?;
        Ok(options)
    })
    .await
}

/// Checks the answer to this session's challenge, which it uses up whatever the outcome: a replayed answer,
/// one to another session's challenge, or a stale one is refused.
async fn prove_security_key(
    ctx: &AppContext,
    me: &Me,
    answer: &serde_json::Value,
) -> Result<&'static str, ManagerError> {
    check_throttle(ctx, me)?;
    let (sid, now) = (me.session_id.clone(), ctx.now());
    let taken = ctx.db(move |c| Ok(ReauthChallenge::take(c, &sid)?)).await?;
    let verdict = match taken {
        None => {
            Err("no security-key check is in progress for this session (or it was answered already)".into())
        }
        Some(ch) if !ch.fresh_at(now) => Err("the security-key check expired".to_owned()),
        Some(ch) => ctx.webauthn.finish_authentication(answer, &ch.ceremony),
    };
    let why = match verdict {
        Ok((cred_id, result)) => {
            let known = ctx
                .db(move |c| Ok(WebauthnCredential::record_use(c, &cred_id, &result, now)?))
                .await?;
            if known {
                return Ok("security key");
            }
            "this security key is not registered".to_owned()
        }
        Err(why) => why,
    };
    wrong(ctx, me, "security key").await?;
    Err(ManagerError::Refused(format!(
        "the security key was not accepted ({why}): nothing was changed; start the check again"
    )))
}
