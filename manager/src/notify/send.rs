//! Sends e-mail over SMTP with lettre (rustls + ring): the transport from the SMTP settings (TLS none, STARTTLS required, or TLS from the first byte; AUTH when a user is set; an extra trusted CA when given), one message at a time.

use crate::secrets::SecretsKey;
use crate::settings::apply::SMTP_PASSWORD;
use crate::settings::{Smtp, SmtpTls};
use lettre::message::{header::ContentType, Attachment, Mailbox, Message, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::time::Duration;

/// How long one SMTP conversation may take.
pub const TIMEOUT: Duration = Duration::from_secs(15);

/// An SMTP transport for `s` (the password opened with `key`).
pub fn transport(s: &Smtp, key: &SecretsKey) -> Result<AsyncSmtpTransport<Tokio1Executor>, String> {
    if s.host.is_empty() {
        return Err("no SMTP server is configured".into());
    }
    let params = || -> Result<TlsParameters, String> {
        let mut b = TlsParameters::builder(s.host.clone());
        if let Some(pem) = s.ca_pem.as_deref().filter(|p| !p.trim().is_empty()) {
            b = b.add_root_certificate(
                Certificate::from_pem(pem.as_bytes()).map_err(|e| format!("smtp CA: {e}"))?,
            );
        }
        b.build_rustls().map_err(|e| format!("TLS: {e}"))
    };
    let tls = match s.tls {
        SmtpTls::None => Tls::None,
        SmtpTls::Starttls => Tls::Required(params()?),
        SmtpTls::Tls => Tls::Wrapper(params()?),
    };
    let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(s.host.clone())
        .port(s.port)
        .tls(tls)
        .timeout(Some(TIMEOUT));
    if !s.username.is_empty() {
        let sealed = s
            .password_sealed
            .as_deref()
            .ok_or("an SMTP user is set but no password")?;
        let pw = key.open(SMTP_PASSWORD, sealed).map_err(|e| e.to_string())?;
        let pw = String::from_utf8(pw).map_err(|_| "the stored SMTP password is not UTF-8".to_owned())?;
        b = b.credentials(Credentials::new(s.username.clone(), pw));
    }
    Ok(b.build())
}

/// Sends one plain-text message from `s.from` to `to`, with an attachment (file name, bytes) when given
/// (its type from the name: `.pdf` is `application/pdf`).
pub async fn send(
    t: &AsyncSmtpTransport<Tokio1Executor>,
    s: &Smtp,
    to: &[String],
    subject: &str,
    body: &str,
    attachment: Option<(&str, &[u8])>,
) -> Result<(), String> {
    let from: Mailbox = s.from.parse().map_err(|e| format!("from address: {e}"))?;
    let mut m = Message::builder().from(from).subject(subject);
    for a in to {
        m = m.to(a.parse().map_err(|e| format!("recipient {a}: {e}"))?);
    }
    let msg = match attachment {
        None => m.header(ContentType::TEXT_PLAIN).body(body.to_owned()),
        Some((name, bytes)) => {
            let kind = if name.ends_with(".pdf") {
                "application/pdf"
            } else {
                "application/octet-stream"
            };
            let kind = ContentType::parse(kind).map_err(|e| format!("attachment type: {e}"))?;
            m.multipart(
                MultiPart::mixed()
                    .singlepart(SinglePart::plain(body.to_owned()))
                    .singlepart(Attachment::new(name.to_owned()).body(bytes.to_vec(), kind)),
            )
        }
    }
    .map_err(|e| format!("message: {e}"))?;
    t.send(msg).await.map(|_| ()).map_err(|e| {
        let mut text = e.to_string();
        let mut src = std::error::Error::source(&e);
        while let Some(s) = src {
            text.push_str(&format!(": {s}"));
            src = s.source();
        }
        text
    })
}
