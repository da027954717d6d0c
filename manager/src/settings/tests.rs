//! Unit tests of the settings model: validation, lock-out refusal, merge and redaction.

use super::apply::{merge, Initial};
use super::*;

fn initial() -> Settings {
    Initial {
        poller: crate::config::file::PollerSection::default(),
        concurrency: 64,
        audit_days: 183,
        allow: vec!["127.0.0.1/32".parse().unwrap(), "10.0.0.0/8".parse().unwrap()],
        internal_ca: true,
    }
    .settings()
}

fn seal(ctx: &str, p: &[u8]) -> Result<String, String> {
    Ok(format!("sealed({ctx}:{})", String::from_utf8_lossy(p)))
}

fn smtp(password: Option<&str>) -> SmtpChange {
    SmtpChange {
        enabled: true,
        host: "mail.example.org".into(),
        port: 587,
        tls: SmtpTls::Starttls,
        username: "pm".into(),
        password: password.map(str::to_owned),
        from: "pm@example.org".into(),
        ca_pem: None,
    }
}

#[test]
fn defaults_come_from_the_configuration() {
    let s = initial();
    assert_eq!(s.polling.health_interval_secs, 300);
    assert_eq!(
        s.retention,
        Retention {
            operational_days: 30,
            audit_days: 183
        }
    );
    assert_eq!(s.allow_list, vec!["127.0.0.1/32", "10.0.0.0/8"]);
    assert!(!s.smtp.enabled, "notifications are off by default");
}

#[test]
fn out_of_range_values_are_refused_with_the_field_named() {
    let bad = [
        (
            Change {
                polling: Some(Polling {
                    health_interval_secs: 1,
                    patch_interval_secs: 600,
                }),
                ..Change::default()
            },
            "polling.health_interval_secs",
        ),
        (
            Change {
                deployments: Some(Deployments { concurrency: 0 }),
                ..Change::default()
            },
            "deployments.concurrency",
        ),
        (
            Change {
                retention: Some(Retention {
                    operational_days: 30,
                    audit_days: 7,
                }),
                ..Change::default()
            },
            "retention.audit_days",
        ),
        (
            Change {
                allow_list: Some(vec![]),
                ..Change::default()
            },
            "cannot be empty",
        ),
        (
            Change {
                allow_list: Some(vec!["10.0.0.0/33".into()]),
                ..Change::default()
            },
            "allow-list entry 1",
        ),
        (
            Change {
                allow_list: Some(vec!["::1".into()]),
                ..Change::default()
            },
            "IPv6",
        ),
        (
            Change {
                smtp: Some(SmtpChange {
                    from: "not an address".into(),
                    ..smtp(None)
                }),
                ..Change::default()
            },
            "smtp.from",
        ),
        (
            Change {
                smtp: Some(SmtpChange {
                    host: "bad host!".into(),
                    ..smtp(None)
                }),
                ..Change::default()
            },
            "smtp.host",
        ),
    ];
    for (c, field) in bad {
        let e = Settings::check(&c, None).unwrap_err();
        assert!(e.contains(field), "{e} should name {field}");
    }
}

#[test]
fn an_allow_list_without_the_callers_address_is_refused() {
    let c = Change {
        allow_list: Some(vec!["10.0.0.0/8".into()]),
        ..Change::default()
    };
    let e = Settings::check(&c, Some("192.168.1.5".parse().unwrap())).unwrap_err();
    assert!(e.contains("lock you out") && e.contains("192.168.1.5"), "{e}");
    assert!(Settings::check(&c, Some("10.1.2.3".parse().unwrap())).is_ok());
    assert!(Settings::check(&c, Some("::ffff:10.1.2.3".parse().unwrap())).is_ok());
}

#[test]
fn the_password_is_sealed_kept_when_absent_and_removed_when_empty() {
    let s0 = initial();
    let s1 = merge(
        &s0,
        Change {
            smtp: Some(smtp(Some("hunter2"))),
            ..Change::default()
        },
        seal,
    )
    .unwrap();
    assert_eq!(
        s1.smtp.password_sealed.as_deref(),
        Some("sealed(settings.smtp.password:hunter2)")
    );
    let s2 = merge(
        &s1,
        Change {
            smtp: Some(SmtpChange {
                port: 2525,
                ..smtp(None)
            }),
            ..Change::default()
        },
        seal,
    )
    .unwrap();
    assert_eq!(s2.smtp.password_sealed, s1.smtp.password_sealed);
    assert_eq!(s2.smtp.port, 2525);
    let e = merge(
        &s2,
        Change {
            smtp: Some(smtp(Some(""))),
            ..Change::default()
        },
        seal,
    )
    .unwrap_err();
    assert!(e.contains("both a user name and a password"), "{e}");
    let s3 = merge(
        &s2,
        Change {
            smtp: Some(SmtpChange {
                username: String::new(),
                ..smtp(Some(""))
            }),
            ..Change::default()
        },
        seal,
    )
    .unwrap();
    assert_eq!(s3.smtp.password_sealed, None);
}

#[test]
fn redaction_hides_every_secret() {
    let s = merge(
        &initial(),
        Change {
            smtp: Some(smtp(Some("hunter2"))),
            ..Change::default()
        },
        seal,
    )
    .unwrap();
    let text = s.redacted().to_string();
    assert!(!text.contains("hunter2") && !text.contains("sealed"), "{text}");
    assert_eq!(s.redacted()["smtp"]["password_set"], true);
}

#[test]
fn only_changed_sections_are_reported() {
    let s0 = initial();
    let s1 = merge(
        &s0,
        Change {
            deployments: Some(Deployments { concurrency: 8 }),
            polling: Some(s0.polling),
            ..Change::default()
        },
        seal,
    )
    .unwrap();
    assert_eq!(s0.changed_sections(&s1), vec!["deployments"]);
}

#[test]
fn uploaded_needs_a_certificate_and_files_is_not_choosable() {
    let s0 = initial();
    let up = WebTlsChange {
        strategy: TlsStrategy::Uploaded,
        cert_pem: None,
        key_pem: None,
    };
    assert!(merge(
        &s0,
        Change {
            web_tls: Some(up),
            ..Change::default()
        },
        seal
    )
    .is_err());
    let files = WebTlsChange {
        strategy: TlsStrategy::Files,
        cert_pem: None,
        key_pem: None,
    };
    assert!(Settings::check(
        &Change {
            web_tls: Some(files),
            ..Change::default()
        },
        None
    )
    .is_err());
    let half = WebTlsChange {
        strategy: TlsStrategy::Uploaded,
        cert_pem: Some("x".into()),
        key_pem: None,
    };
    assert!(Settings::check(
        &Change {
            web_tls: Some(half),
            ..Change::default()
        },
        None
    )
    .is_err());
}

#[test]
fn an_upload_is_checked_for_key_match_expiry_and_chain() {
    let t0: chrono::DateTime<chrono::Utc> = "2026-06-01T00:00:00Z".parse().unwrap();
    let c = linux_patch_shared::clock::ManualClock::new(t0);
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let names = ["localhost".to_owned()];
    let ca1 = crate::ca::InternalCa::load_or_create(d1.path(), &c).unwrap();
    let ca2 = crate::ca::InternalCa::load_or_create(d2.path(), &c).unwrap();
    let w1 = ca1.ensure_web_cert(d1.path(), &names, &[], &c).unwrap();
    let w2 = ca2.ensure_web_cert(d2.path(), &names, &[], &c).unwrap();
    let (cert1, key1) = (
        std::fs::read_to_string(&w1.cert).unwrap(),
        std::fs::read_to_string(&w1.key).unwrap(),
    );
    let key2 = std::fs::read_to_string(&w2.key).unwrap();
    let ok = upload::check(&cert1, &key1, t0).unwrap();
    assert_eq!(ok.chain_len, 2);
    assert!(ok.subject.contains("localhost"), "{ok:?}");
    let e = upload::check(&cert1, &key2, t0).unwrap_err();
    assert!(e.contains("does not belong"), "{e}");
    let e = upload::check(&cert1, &key1, t0 + chrono::Duration::days(800)).unwrap_err();
    assert!(e.contains("expired"), "{e}");
    let leaf1 = cert1
        .split_inclusive("-----END CERTIFICATE-----")
        .next()
        .unwrap()
        .to_owned();
    let foreign = format!("{leaf1}\n{}", ca2.cert_pem());
    let e = upload::check(&foreign, &key1, t0).unwrap_err();
    assert!(e.contains("not signed by"), "{e}");
    assert!(upload::check("junk", &key1, t0).is_err());
    assert!(upload::check(&cert1, "junk", t0).is_err());
}

#[test]
fn weekly_report_addresses_are_checked_trimmed_and_deduplicated() {
    let change = |to: &[&str]| Change {
        reports: Some(Reports {
            weekly_compliance_to: to.iter().map(|a| (*a).to_owned()).collect(),
        }),
        ..Change::default()
    };
    let e = Settings::check(&change(&["ok@example.org", "nope"]), None).unwrap_err();
    assert!(e.contains("`nope` is not an e-mail address"), "{e}");
    let many: Vec<String> = (0..=MAX_REPORT_ADDRESSES)
        .map(|i| format!("a{i}@example.org"))
        .collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    assert!(Settings::check(&change(&many), None)
        .unwrap_err()
        .contains("at most 50"));
    let c = change(&[" a@example.org ", "", "A@example.org", "b@example.org"]);
    Settings::check(&c, None).unwrap();
    let s = initial();
    assert!(s.reports.weekly_compliance_to.is_empty(), "off by default");
    let next = merge(&s, c, seal).unwrap();
    assert_eq!(
        next.reports.weekly_compliance_to,
        ["a@example.org", "b@example.org"]
    );
    assert_eq!(s.changed_sections(&next), ["reports"]);
    // A document stored before the section existed still parses (the section empty).
    let mut old = serde_json::to_value(&s).unwrap();
    old.as_object_mut().unwrap().remove("reports");
    let back: Settings = serde_json::from_value(old).unwrap();
    assert_eq!(back, s);
}
