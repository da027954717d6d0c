//! Unit tests of signing and checking access tokens, without a database.

use super::*;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine;

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-01T12:00:00.250Z")
        .unwrap()
        .to_utc()
}

fn keypair(kid: &str, verify_until: DateTime<Utc>) -> (SignKey, VerifyKey) {
    provider::install();
    let (private_pem, public_pem) = store::generate_pems().unwrap();
    (
        SignKey {
            kid: kid.to_owned(),
            key: EncodingKey::from_ed_pem(private_pem.as_bytes()).unwrap(),
            created_at: t0(),
            sign_until: t0() + Duration::days(KEY_SIGNS_FOR_DAYS),
        },
        VerifyKey {
            key: DecodingKey::from_ed_pem(public_pem.as_bytes()).unwrap(),
            verify_until,
        },
    )
}

fn lookup(vk: &VerifyKey) -> impl FnOnce(&str) -> Result<VerifyKey, TokenRejection> + '_ {
    move |kid| match kid {
        "k1" => Ok(vk.clone()),
        _ => Err(TokenRejection::UnknownKey),
    }
}

fn far() -> DateTime<Utc> {
    t0() + Duration::days(365)
}

#[test]
fn round_trip_carries_the_claims_and_expires_after_fifteen_minutes() {
    let (sk, vk) = keypair("k1", far());
    let (token, expires_at) = sign(&sk, t0(), 42, "sess").unwrap();
    assert_eq!(
        expires_at,
        DateTime::from_timestamp((t0() + ACCESS_TTL).timestamp(), 0).unwrap()
    );
    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), Some("k1"));
    assert_eq!(header.typ.as_deref(), Some("JWT"));
    let claims = check(&token, t0(), lookup(&vk)).unwrap();
    assert_eq!(
        claims,
        Claims {
            sub: "42".into(),
            sid: "sess".into(),
            iat: t0().timestamp(),
            exp: expires_at.timestamp(),
            iss: ISSUER.into(),
        }
    );
    let just_before = expires_at - Duration::milliseconds(1);
    assert!(check(&token, just_before, lookup(&vk)).is_ok());
    assert_eq!(
        check(&token, expires_at, lookup(&vk)),
        Err(TokenRejection::Expired)
    );
}

#[test]
fn tampered_payload_or_foreign_key_is_a_bad_signature() {
    let (sk, vk) = keypair("k1", far());
    let (token, _) = sign(&sk, t0(), 42, "sess").unwrap();
    let parts: Vec<&str> = token.split('.').collect();
    let payload = String::from_utf8(B64.decode(parts[1]).unwrap()).unwrap();
    let forged = B64.encode(payload.replace("\"sub\":\"42\"", "\"sub\":\"1\""));
    let tampered = format!("{}.{forged}.{}", parts[0], parts[2]);
    assert_eq!(
        check(&tampered, t0(), lookup(&vk)),
        Err(TokenRejection::BadSignature)
    );

    let (other, _) = keypair("k1", far());
    let (foreign, _) = sign(&other, t0(), 42, "sess").unwrap();
    assert_eq!(
        check(&foreign, t0(), lookup(&vk)),
        Err(TokenRejection::BadSignature)
    );
}

#[test]
fn other_algorithms_missing_kid_and_garbage_are_malformed() {
    let (sk, vk) = keypair("k1", far());
    let (token, _) = sign(&sk, t0(), 42, "sess").unwrap();
    let payload = token.split('.').nth(1).unwrap().to_owned();
    let none = format!(
        "{}.{payload}.",
        B64.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#)
    );
    assert_eq!(check(&none, t0(), lookup(&vk)), Err(TokenRejection::Malformed));
    // HS256 keyed with the public key (algorithm confusion), made by hand: our provider signs EdDSA only.
    let claims: Claims = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
    let signed = format!(
        "{}.{payload}",
        B64.encode(r#"{"alg":"HS256","typ":"JWT","kid":"k1"}"#)
    );
    let key = openssl::pkey::PKey::hmac(b"public key bytes").unwrap();
    let mut mac = openssl::sign::Signer::new(openssl::hash::MessageDigest::sha256(), &key).unwrap();
    let hs_token = format!(
        "{signed}.{}",
        B64.encode(mac.sign_oneshot_to_vec(signed.as_bytes()).unwrap())
    );
    assert_eq!(
        check(&hs_token, t0(), lookup(&vk)),
        Err(TokenRejection::Malformed)
    );

    let no_kid = jsonwebtoken::encode(&Header::new(Algorithm::EdDSA), &claims, &sk.key).unwrap();
    assert_eq!(check(&no_kid, t0(), lookup(&vk)), Err(TokenRejection::Malformed));
    for garbage in ["", "abc", "a.b.c", &"x".repeat(MAX_TOKEN_LEN + 1)] {
        assert_eq!(check(garbage, t0(), lookup(&vk)), Err(TokenRejection::Malformed));
    }
}

#[test]
fn unknown_or_retired_key_and_wrong_issuer_are_refused() {
    let (sk, vk) = keypair("k1", t0() + Duration::minutes(5));
    let (token, _) = sign(&sk, t0(), 42, "sess").unwrap();
    let none = |_: &str| Err(TokenRejection::UnknownKey);
    assert_eq!(check(&token, t0(), none), Err(TokenRejection::UnknownKey));
    // Not yet expired by `exp`, but the key no longer verifies.
    let late = t0() + Duration::minutes(6);
    assert_eq!(check(&token, late, lookup(&vk)), Err(TokenRejection::UnknownKey));
    assert!(check(&token, t0() + Duration::minutes(5), lookup(&vk)).is_ok());

    let (sk, vk) = keypair("k1", far());
    let mut claims: Claims = jsonwebtoken::dangerous::insecure_decode_claims(&token).unwrap();
    claims.iss = "someone-else".into();
    let mut header = Header::new(Algorithm::EdDSA);
    header.kid = Some("k1".into());
    let foreign_iss = jsonwebtoken::encode(&header, &claims, &sk.key).unwrap();
    assert_eq!(
        check(&foreign_iss, t0(), lookup(&vk)),
        Err(TokenRejection::Malformed)
    );
}

#[test]
fn a_key_signs_from_creation_until_sign_until() {
    let (sk, _) = keypair("k1", far());
    assert!(sk.signs_at(t0()));
    assert!(!sk.signs_at(t0() - Duration::seconds(1)));
    assert!(sk.signs_at(sk.sign_until - Duration::seconds(1)));
    assert!(!sk.signs_at(sk.sign_until));
}

#[test]
fn rejections_read_as_sentences() {
    assert_eq!(TokenRejection::Expired.to_string(), "access token expired");
    assert_ne!(
        TokenRejection::Malformed.to_string(),
        TokenRejection::BadSignature.to_string()
    );
}
