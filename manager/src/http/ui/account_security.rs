//! The account's security forms: change the password (current one required); new recovery codes, another
//! authenticator app and removing a factor, each only after a fresh proof of a current factor.

use super::account::{render, Enrol, Extra};
use super::{flash_error, see_other_with, Flash, Shown};
use crate::app::AppContext;
use crate::auth::{qr, totp};
use crate::error::ManagerError;
use crate::http::flash::{open_for, seal_for};
use crate::http::form::SignedForm;
use crate::http::identity::Signed;
use crate::services::own_account::{self, Me};
use actix_web::{web, HttpResponse};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

/// How long the QR code of a new authenticator app may be confirmed after the factor was proven.
const ENROL_GRANT: Duration = Duration::minutes(10);
/// The seal's purpose (a flash cookie cannot stand in for a grant).
const GRANT_PURPOSE: &str = "totp-enrol";

fn me(who: &Signed) -> Me {
    Me {
        user: who.user.clone(),
        session_id: who.session().map(|s| s.id.clone()).unwrap_or_default(),
    }
}

fn back(e: ManagerError) -> Result<HttpResponse, ManagerError> {
    flash_error("/account", e, Shown::MistakesAndMissing)
}

/// `POST /account/password`.
#[derive(Debug, Deserialize)]
pub(crate) struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
    #[serde(default)]
    confirm_password: String,
}

/// A form proving a current factor (`code`: TOTP or recovery code), optionally naming a factor.
#[derive(Debug, Deserialize)]
pub(crate) struct ProofForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    factor: String,
}

/// `POST /account/totp/add`: the sealed grant and the new app's current code.
#[derive(Debug, Deserialize)]
pub(crate) struct AddTotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    grant: String,
    #[serde(default)]
    code: String,
}
crate::has_csrf!(PasswordForm, ProofForm, AddTotpForm);

/// What the grant carries: whose, which secret, until when.
#[derive(Debug, Serialize, Deserialize)]
struct Grant {
    uid: i64,
    secret: String,
    until: DateTime<Utc>,
}

pub(crate) async fn password(
    state: web::Data<AppContext>,
    f: SignedForm<PasswordForm>,
) -> Result<HttpResponse, ManagerError> {
    let p = &f.form;
    match own_account::change_password(
        &state,
        &me(&f.who),
        &p.current_password,
        &p.new_password,
        &p.confirm_password,
    )
    .await
    {
        Ok(n) => Ok(see_other_with(
            "/account",
            "notice",
            &format!("password changed; {n} other sessions ended"),
        )),
        Err(e) => back(e),
    }
}

pub(crate) async fn new_codes(
    state: web::Data<AppContext>,
    f: SignedForm<ProofForm>,
) -> Result<HttpResponse, ManagerError> {
    match own_account::new_recovery_codes(&state, &me(&f.who), &f.form.code).await {
        Ok(codes) => {
            let extra = Extra {
                new_codes: codes,
                ..Extra::default()
            };
            render(&state, &f.who, extra).await
        }
        Err(e) => back(e),
    }
}

pub(crate) async fn totp_start(
    state: web::Data<AppContext>,
    f: SignedForm<ProofForm>,
) -> Result<HttpResponse, ManagerError> {
    if let Err(e) = own_account::prove_factor(&state, &me(&f.who), &f.form.code).await {
        return back(e);
    }
    let secret = totp::new_secret();
    let grant = Grant {
        uid: f.who.user.id,
        secret: secret.clone(),
        until: state.now() + ENROL_GRANT,
    };
    let grant = seal_for(f.who.csrf_token(), GRANT_PURPOSE, &grant)
        .ok_or_else(|| ManagerError::Internal("sealing the enrolment grant failed".into()))?;
    let url = totp::otpauth_url(&secret, &f.who.user.username).map_err(ManagerError::Internal)?;
    let extra = Extra {
        flash: Flash::one(
            "notice",
            "scan the code with the new app and enter its current code",
        ),
        enrol: Some(Enrol {
            qr_svg: qr::svg(&url).map_err(ManagerError::Internal)?,
            secret,
            grant,
        }),
        ..Extra::default()
    };
    render(&state, &f.who, extra).await
}

pub(crate) async fn totp_add(
    state: web::Data<AppContext>,
    f: SignedForm<AddTotpForm>,
) -> Result<HttpResponse, ManagerError> {
    let grant: Option<Grant> = open_for(f.who.csrf_token(), GRANT_PURPOSE, &f.form.grant);
    let Some(g) = grant.filter(|g| g.uid == f.who.user.id && g.until > state.now()) else {
        return back(ManagerError::Refused(
            "prove a current factor first (the enrolment expired or was not started here)".into(),
        ));
    };
    match own_account::add_totp(&state, &me(&f.who), &g.secret, &f.form.code).await {
        Ok(()) => Ok(see_other_with("/account", "notice", "authenticator app added")),
        Err(e) => back(e),
    }
}

pub(crate) async fn remove_factor(
    state: web::Data<AppContext>,
    f: SignedForm<ProofForm>,
) -> Result<HttpResponse, ManagerError> {
    match own_account::remove_factor(&state, &me(&f.who), &f.form.factor, &f.form.code).await {
        Ok(()) => Ok(see_other_with("/account", "notice", "factor removed")),
        Err(e) => back(e),
    }
}
