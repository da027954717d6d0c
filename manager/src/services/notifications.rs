//! E-mail notifications as the console and the API use them: each user's own address and chosen events (audited), the Settings page's "Send test e-mail" (administrators; the server's answer shown) and the outbox's state.

use crate::app::AppContext;
use crate::audit::Actor;
use crate::db::models::notification::{self, OutboxRow};
use crate::error::ManagerError;
use crate::notify::EventKind;
use crate::settings::valid_address;
use serde::Serialize;

/// One event choice.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Choice {
    /// The event's name.
    pub event: &'static str,
    /// What it means.
    pub label: &'static str,
    /// Whether this user receives it.
    pub chosen: bool,
}

/// A user's notification settings.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Prefs {
    /// Where e-mails go (empty: none).
    pub email: String,
    /// Every event, chosen or not.
    pub events: Vec<Choice>,
    /// Whether the administrators turned e-mail on.
    pub enabled: bool,
}

/// `who`'s own notification settings (defaults: no address, every event but `deployment_finished`).
pub async fn prefs(ctx: &AppContext, who: &Actor) -> Result<Prefs, ManagerError> {
    let id = who.id;
    let stored = ctx.db(move |c| Ok(notification::prefs(c, id)?)).await?;
    let enabled = super::settings::current(ctx).await?.smtp.enabled;
    let (email, chosen) = match stored {
        Some((e, ev)) => (e, Some(ev)),
        None => (String::new(), None),
    };
    let events = EventKind::ALL
        .into_iter()
        .map(|k| Choice {
            event: k.name(),
            label: k.label(),
            chosen: chosen
                .as_ref()
                .map_or(k.on_by_default(), |c| c.iter().any(|n| n == k.name())),
        })
        .collect();
    Ok(Prefs {
        email,
        events,
        enabled,
    })
}

/// Stores `who`'s address and events (audited `account.notifications`); unknown events or a bad address are
/// refused and change nothing.
pub async fn set_prefs(
    ctx: &AppContext,
    who: &Actor,
    email: &str,
    events: &[String],
) -> Result<Prefs, ManagerError> {
    let email = email.trim().to_owned();
    if !email.is_empty() && !valid_address(&email) {
        return Err(ManagerError::Invalid(format!(
            "`{}` is not an e-mail address",
            email.escape_default()
        )));
    }
    let mut kinds = Vec::new();
    for e in events {
        let k = EventKind::of(e).ok_or_else(|| {
            ManagerError::Invalid(format!(
                "unknown event `{}` (known: {})",
                e.escape_default(),
                names()
            ))
        })?;
        if !kinds.contains(&k.name()) {
            kinds.push(k.name());
        }
    }
    let (a, now) = (who.clone(), ctx.now());
    ctx.db(move |c| {
        diesel::Connection::transaction(c, |c| {
            notification::set_prefs(c, a.id, &email, &kinds, now)?;
            a.audit(
                c,
                now,
                "account.notifications",
                &format!("user:{}", a.name),
                serde_json::json!({"email": email, "events": kinds}),
            )
        })
    })
    .await?;
    prefs(ctx, who).await
}

fn names() -> String {
    EventKind::ALL.map(EventKind::name).join(", ")
}

/// Sends a test e-mail to `to` now, directly (not through the outbox), so the page can show the server's
/// answer (administrators).
pub async fn send_test(ctx: &AppContext, who: &Actor, to: &str) -> Result<(), ManagerError> {
    who.require_admin()?;
    let to = to.trim().to_owned();
    if !valid_address(&to) {
        return Err(ManagerError::Invalid(
            "give the address the test e-mail goes to".into(),
        ));
    }
    let s = super::settings::current(ctx).await?.smtp;
    let t = crate::notify::send::transport(&s, &ctx.secrets).map_err(ManagerError::Invalid)?;
    let body = format!(
        "This is a test e-mail from Linux Patch Manager, sent by {} at {}.\n",
        who.name,
        ctx.now()
    );
    crate::notify::send::send(
        &t,
        &s,
        std::slice::from_ref(&to),
        "[Linux Patch Manager] Test e-mail",
        &body,
        None,
    )
    .await
    .map_err(|e| ManagerError::Refused(format!("the test e-mail was not sent: {e}")))?;
    let (a, now) = (who.clone(), ctx.now());
    ctx.db(move |c| {
        a.audit(
            c,
            now,
            "settings.smtp_test",
            "settings",
            serde_json::json!({ "to": to }),
        )
    })
    .await
}

/// The outbox's state for the Settings page: unsent e-mails, the oldest unsent one's last error, a page of
/// the latest (administrators).
pub async fn outbox(
    ctx: &AppContext,
    who: &Actor,
) -> Result<(i64, Option<String>, Vec<OutboxRow>), ManagerError> {
    who.require_admin()?;
    ctx.db(|c| {
        let (n, err) = notification::pending(c)?;
        Ok((n, err, notification::recent(c, 20)?))
    })
    .await
}
