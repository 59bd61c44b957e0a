//! The pipeline's acceptance and rejection table. Every rejection asserts its catalogue code.

use super::*;
use crate::ids::{EXCHANGE_APP_ID, SKYPE_APP_ID};
use crate::jwt::{self, Claims, Header, NumericDate};
use crate::token::{AcsActor, OuterToken, SelfIssuedActor};
use crypto::{RsaPrivateKey, base64url};
use serde_json::{Value, json};

const TENANT: &str = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
const HOST: &str = "mail.contoso.com";
const NOW: i64 = 1_800_000_000;
const SELF_ISSUER_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

struct Party {
    cert: Certificate,
    key: RsaPrivateKey,
}

fn party(name: &str) -> Party {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
    let cert = std::fs::read(format!("{dir}{name}-cert.pem")).unwrap();
    let key = std::fs::read(format!("{dir}{name}-key.pem")).unwrap();
    Party {
        cert: Certificate::from_pem(&cert).unwrap(),
        key: RsaPrivateKey::from_pem(&key).unwrap(),
    }
}

struct World {
    acs: Party,
    partner: Party,
    other: Party,
    trust: TrustSnapshot,
}

fn app(
    name: &str,
    id: &str,
    realm: Option<&str>,
    use_auth_server: bool,
) -> PartnerApplicationTrust {
    PartnerApplicationTrust {
        name: name.into(),
        application_identifier: id.into(),
        realm: realm.map(String::from),
        use_auth_server,
        enabled: true,
        accept_security_identifier_information: false,
    }
}

fn world() -> World {
    let (acs, partner, other) = (party("acs"), party("partner"), party("other"));
    let trust = TrustSnapshot {
        service_name: EXCHANGE_APP_ID.into(),
        issuers: vec![
            TrustedIssuer {
                kind: IssuerKind::Acs,
                id: crate::ids::ACS_APP_ID.into(),
                realm: Some(TENANT.into()),
                keys: vec![IssuerKey::from_certificate(&acs.cert).unwrap()],
            },
            TrustedIssuer {
                kind: IssuerKind::PartnerApplication {
                    name: "SelfIssuer".into(),
                },
                id: SELF_ISSUER_ID.into(),
                realm: Some("contoso.com".into()),
                keys: vec![IssuerKey::from_certificate(&partner.cert).unwrap()],
            },
        ],
        partner_applications: vec![
            app("SfBOnline", SKYPE_APP_ID, None, true),
            app("SelfIssuer", SELF_ISSUER_ID, Some("contoso.com"), false),
        ],
        local_realms: vec!["contoso.com".into(), TENANT.into()],
    };
    World {
        acs,
        partner,
        other,
        trust,
    }
}

fn aud(realm: &str) -> String {
    format!("{EXCHANGE_APP_ID}/{HOST}@{realm}")
}

/// The claims of a good ACS actor token for Skype for Business.
fn acs_claims() -> Value {
    let audience = Audience::parse(&aud(TENANT)).unwrap();
    let c = AcsActor {
        audience: &audience,
        tenant: TENANT,
        client_app_id: SKYPE_APP_ID,
        client_object_id: "5f4e3d2c-0000-4000-8000-000000000004",
        trusted_for_delegation: true,
        issued_at: NOW - 60,
        not_before: NOW - 60,
        expires: NOW + 86_400,
    }
    .claims();
    serde_json::to_value(c).unwrap()
}

fn outer_claims(actor: &str) -> Value {
    json!({
        "actortoken": actor, "aud": aud(TENANT), "iss": format!("{SKYPE_APP_ID}@{TENANT}"),
        "nbf": NOW - 60, "exp": NOW + 3600, "nii": "urn:federation:MicrosoftOnline",
        "nameid": "10032001E2CBE43B", "upn": "alice@contoso.com", "smtp": "alice@contoso.com",
        "sip": "alice@contoso.com",
    })
}

fn seg(v: &Value) -> String {
    base64url(v.to_string().as_bytes())
}

fn sign_raw(header: &Value, claims: &Value, key: &RsaPrivateKey) -> String {
    let input = format!("{}.{}", seg(header), seg(claims));
    let sig = key.sign_rs256(input.as_bytes());
    format!("{input}.{}", base64url(&sig))
}

fn rs256(cert: &Certificate) -> Value {
    json!({"typ": "JWT", "alg": "RS256", "x5t": cert.x5t(), "kid": cert.x5t()})
}

fn none() -> Value {
    json!({"alg": "none", "typ": "JWT"})
}

fn unsigned_raw(claims: &Value) -> String {
    format!("{}.{}.", seg(&none()), seg(claims))
}

impl World {
    fn acs_actor(&self, edit: impl FnOnce(&mut Value)) -> String {
        let mut c = acs_claims();
        edit(&mut c);
        sign_raw(&rs256(&self.acs.cert), &c, &self.acs.key)
    }

    fn act_as(&self, actor: &str, edit: impl FnOnce(&mut Value)) -> String {
        let mut c = outer_claims(actor);
        edit(&mut c);
        unsigned_raw(&c)
    }

    fn self_issued(&self, edit: impl FnOnce(&mut Value)) -> String {
        let issuer = PrincipalId::new(SELF_ISSUER_ID, "contoso.com");
        let audience = Audience::parse(&aud("contoso.com")).unwrap();
        let claims = SelfIssuedActor {
            issuer: &issuer,
            audience: &audience,
            not_before: NOW - 60,
            expires: NOW + 3600,
        }
        .claims();
        let mut c = serde_json::to_value(claims).unwrap();
        edit(&mut c);
        sign_raw(
            &json!({"typ":"JWT","alg":"RS256","x5t": self.partner.cert.x5t()}),
            &c,
            &self.partner.key,
        )
    }

    fn check(&self, token: &str) -> Result<ValidatedToken, OAuthError> {
        Validator::default().validate(
            token,
            &RequestContext {
                published_host: None,
                host: HOST,
                now: NOW,
            },
            &self.trust,
        )
    }
}

fn set(c: &mut Value, k: &str, v: Value) {
    c[k] = v;
}

fn del(c: &mut Value, k: &str) {
    c.as_object_mut().unwrap().remove(k);
}

#[test]
fn accepts_acs_act_as_with_user() {
    let w = world();
    let actor = w.acs_actor(|_| {});
    let v = w.check(&w.act_as(&actor, |_| {})).unwrap();
    assert_eq!(v.profile, TokenProfile::ActAs);
    assert_eq!(v.partner_application, "SfBOnline");
    assert_eq!(v.application_id, SKYPE_APP_ID);
    assert_eq!(
        v.issuer,
        format!("00000001-0000-0000-c000-000000000000@{TENANT}")
    );
    assert_eq!(v.issuer_kind, IssuerKind::Acs);
    assert_eq!(v.realm, TENANT);
    assert_eq!(
        v.expires,
        NOW + 3600,
        "the earlier of actor and outer expiry"
    );
    assert_eq!(v.signing_thumbprint, w.acs.cert.thumbprint());
    assert!(v.actor_digest.starts_with("sha256:"));
    let lookup = v.user_lookup.unwrap();
    assert_eq!(lookup.upn.as_deref(), Some("alice@contoso.com"));
    assert_eq!(lookup.sid, None);
}

#[test]
fn accepts_app_only_and_self_issued() {
    let w = world();
    let app_only = w
        .check(&w.acs_actor(|c| set(c, "trustedfordelegation", json!("false"))))
        .unwrap();
    assert_eq!(app_only.profile, TokenProfile::AppOnly);
    assert!(app_only.user.is_none());
    let actor = w.self_issued(|_| {});
    let v = w
        .check(&w.act_as(&actor, |c| {
            set(c, "iss", json!(format!("{SELF_ISSUER_ID}@contoso.com")));
            set(c, "aud", json!(aud("contoso.com")));
        }))
        .unwrap();
    assert_eq!(
        v.issuer_kind,
        IssuerKind::PartnerApplication {
            name: "SelfIssuer".into()
        }
    );
    assert_eq!(w.check(&actor).unwrap().profile, TokenProfile::AppOnly);
}

#[test]
fn accepts_within_clock_skew_and_any_case() {
    let w = world();
    let late = w.acs_actor(|c| set(c, "exp", json!(NOW - 299)));
    assert!(w.check(&late).is_ok());
    let early = w.acs_actor(|c| set(c, "nbf", json!((NOW + 299).to_string())));
    assert!(w.check(&early).is_ok());
    let shouting = w.acs_actor(|c| {
        set(c, "aud", json!(aud(TENANT).to_uppercase()));
        set(
            c,
            "iss",
            json!(format!(
                "00000001-0000-0000-C000-000000000000@{}",
                TENANT.to_uppercase()
            )),
        );
        set(
            c,
            "nameid",
            json!(format!("{}@{TENANT}", SKYPE_APP_ID.to_uppercase())),
        );
    });
    assert!(w.check(&shouting).is_ok());
}

#[test]
fn builders_and_validator_agree() {
    let w = world();
    let audience = Audience::parse(&aud(TENANT)).unwrap();
    let actor = AcsActor {
        audience: &audience,
        tenant: TENANT,
        client_app_id: SKYPE_APP_ID,
        client_object_id: "x",
        trusted_for_delegation: true,
        issued_at: NOW,
        not_before: NOW,
        expires: NOW + 60,
    }
    .sign(&w.acs.key, &w.acs.cert);
    let issuer = PrincipalId::new(SKYPE_APP_ID, TENANT);
    let user = UserContext {
        smtp: Some("alice@contoso.com".into()),
        ..Default::default()
    };
    let outer = OuterToken {
        actor_token: &actor,
        audience: &audience,
        issuer: &issuer,
        not_before: NOW,
        expires: NOW + 30,
        user: &user,
    }
    .encode();
    assert_eq!(w.check(&outer).unwrap().expires, NOW + 30);
}

/// One rejection case: a name, the token, the code it must get.
struct Case(&'static str, String, E);

fn rejection_cases(w: &World) -> Vec<Case> {
    let good = w.acs_actor(|_| {});
    let hs256 = {
        // HS256 "keyed" with the issuer's public certificate bytes: the classic confusion attack.
        let mut c = acs_claims();
        set(&mut c, "nbf", json!(NOW - 1));
        let header = json!({"typ":"JWT","alg":"HS256","x5t": w.acs.cert.x5t()});
        let input = format!("{}.{}", seg(&header), seg(&c));
        let tag = aws_lc_rs::hmac::sign(
            &aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, w.acs.cert.der()),
            input.as_bytes(),
        );
        format!("{input}.{}", base64url(tag.as_ref()))
    };
    let mut cases = vec![
        Case(
            "wrong signature",
            sign_raw(&rs256(&w.acs.cert), &acs_claims(), &w.other.key),
            E::InvalidSignature,
        ),
        Case(
            "x5t of an unknown certificate",
            sign_raw(&rs256(&w.other.cert), &acs_claims(), &w.other.key),
            E::NoCertificateFound,
        ),
        Case(
            "x5t of another issuer's certificate",
            sign_raw(&rs256(&w.partner.cert), &acs_claims(), &w.partner.key),
            E::NoCertificateFound,
        ),
        Case(
            "no x5t and a foreign key",
            sign_raw(&json!({"alg":"RS256"}), &acs_claims(), &w.other.key),
            E::InvalidSignature,
        ),
        Case(
            "alg none on the actor",
            w.act_as(&unsigned_raw(&acs_claims()), |_| {}),
            E::ActorTokenMustBeSigned,
        ),
        Case(
            "app-only alg none",
            unsigned_raw(&acs_claims()),
            E::ActorTokenMustBeSigned,
        ),
        Case(
            "RS256 header with an empty signature",
            format!("{}.{}.", seg(&rs256(&w.acs.cert)), seg(&acs_claims())),
            E::ActorTokenMustBeSigned,
        ),
        Case(
            "HS256 keyed with the public key",
            hs256,
            E::InvalidSignature,
        ),
        Case(
            "RS384 alg",
            sign_raw(
                &json!({"alg":"RS384","x5t": w.acs.cert.x5t()}),
                &acs_claims(),
                &w.acs.key,
            ),
            E::InvalidSignature,
        ),
        Case(
            "signed outer token",
            sign_raw(&rs256(&w.acs.cert), &outer_claims(&good), &w.acs.key),
            E::OuterTokenAlsoSigned,
        ),
        Case(
            "outer alg none with a signature",
            format!("{}.{}.c2ln", seg(&none()), seg(&outer_claims(&good))),
            E::OuterTokenAlsoSigned,
        ),
        Case(
            "outer alg RS256 unsigned",
            format!(
                "{}.{}.",
                seg(&rs256(&w.acs.cert)),
                seg(&outer_claims(&good))
            ),
            E::OuterTokenAlsoSigned,
        ),
        Case(
            "actor expired beyond skew",
            w.acs_actor(|c| set(c, "exp", json!(NOW - 301))),
            E::TokenExpired,
        ),
        Case(
            "actor not yet valid beyond skew",
            w.acs_actor(|c| set(c, "nbf", json!(NOW + 301))),
            E::TokenExpired,
        ),
        Case(
            "actor exp as string, expired",
            w.acs_actor(|c| set(c, "exp", json!((NOW - 400).to_string()))),
            E::TokenExpired,
        ),
        Case(
            "actor without exp",
            w.acs_actor(|c| del(c, "exp")),
            E::NoClaimFound,
        ),
        Case(
            "outer expired",
            w.act_as(&good, |c| set(c, "exp", json!(NOW - 301))),
            E::TokenExpired,
        ),
        Case(
            "outer not yet valid",
            w.act_as(&good, |c| set(c, "nbf", json!(NOW + 301))),
            E::TokenExpired,
        ),
        Case(
            "outer without exp",
            w.act_as(&good, |c| del(c, "exp")),
            E::NoClaimFound,
        ),
        Case(
            "audience of another app id",
            w.acs_actor(|c| set(c, "aud", json!(format!("{SKYPE_APP_ID}/{HOST}@{TENANT}")))),
            E::InvalidAudience,
        ),
        Case(
            "audience without a host",
            w.acs_actor(|c| set(c, "aud", json!(format!("{EXCHANGE_APP_ID}@{TENANT}")))),
            E::InvalidAudience,
        ),
        Case(
            "no audience",
            w.acs_actor(|c| del(c, "aud")),
            E::NoClaimFound,
        ),
        Case(
            "wrong host",
            w.acs_actor(|c| {
                set(
                    c,
                    "aud",
                    json!(format!("{EXCHANGE_APP_ID}/evil.example.com@{TENANT}")),
                )
            }),
            E::UnexpectedHostNameInAudience,
        ),
        Case(
            "empty realm",
            w.acs_actor(|c| set(c, "aud", json!(format!("{EXCHANGE_APP_ID}/{HOST}@")))),
            E::EmptyRealmFromAudience,
        ),
        Case(
            "star realm",
            w.acs_actor(|c| set(c, "aud", json!(format!("{EXCHANGE_APP_ID}/{HOST}@*")))),
            E::EmptyRealmFromAudience,
        ),
        Case(
            "unknown issuer",
            w.acs_actor(|c| set(c, "iss", json!(format!("{SKYPE_APP_ID}@{TENANT}")))),
            E::NoConfiguredIssuerMatched,
        ),
        Case(
            "ACS issuer in another realm",
            w.acs_actor(|c| {
                set(
                    c,
                    "iss",
                    json!("00000001-0000-0000-c000-000000000000@fabrikam.com"),
                )
            }),
            E::NoConfiguredIssuerMatched,
        ),
        Case(
            "missing issuer",
            w.acs_actor(|c| del(c, "iss")),
            E::MissingIssuer,
        ),
        Case(
            "issuer without a realm",
            w.acs_actor(|c| set(c, "iss", json!("00000001-0000-0000-c000-000000000000"))),
            E::InvalidIssuerFormat,
        ),
        Case(
            "foreign ACS issuer and audience realm",
            w.acs_actor(|c| {
                set(c, "aud", json!(aud("fabrikam.com")));
                set(
                    c,
                    "iss",
                    json!("00000001-0000-0000-c000-000000000000@fabrikam.com"),
                );
            }),
            E::NoConfiguredIssuerMatched,
        ),
        Case(
            "audience realm differs from the ACS issuer realm",
            w.acs_actor(|c| set(c, "aud", json!(aud("contoso.com")))),
            E::MismatchedRealmBetweenAudienceAndIssuer,
        ),
        Case(
            "no nameid",
            w.acs_actor(|c| del(c, "nameid")),
            E::NoClaimFound,
        ),
        Case(
            "nameid without a realm",
            w.acs_actor(|c| set(c, "nameid", json!(SKYPE_APP_ID))),
            E::InvalidNameIdFormat,
        ),
        Case(
            "nameid of an unknown partner application",
            w.acs_actor(|c| {
                set(
                    c,
                    "nameid",
                    json!(format!("00000003-0000-0ff1-ce00-000000000000@{TENANT}")),
                )
            }),
            E::NoMatchingPartnerAppFound,
        ),
        Case(
            "nameid realm differs from the ACS issuer realm",
            w.acs_actor(|c| set(c, "nameid", json!(format!("{SKYPE_APP_ID}@fabrikam.com")))),
            E::NoMatchingPartnerAppFound,
        ),
        Case(
            "self-issued nameid of another app",
            w.self_issued(|c| set(c, "nameid", json!(format!("{SKYPE_APP_ID}@contoso.com")))),
            E::UnexpectedAppIdInNameId,
        ),
        Case(
            "self-issued nameid in another realm",
            w.self_issued(|c| set(c, "nameid", json!(format!("{SELF_ISSUER_ID}@fabrikam.com")))),
            E::UnexpectedRealmInNameId,
        ),
        Case(
            "outer issuer is not the actor's nameid app",
            w.act_as(&good, |c| {
                set(
                    c,
                    "iss",
                    json!(format!("00000003-0000-0ff1-ce00-000000000000@{TENANT}")),
                )
            }),
            E::InvalidOuterTokenIssuerIdValue,
        ),
        Case(
            "outer issuer unparseable",
            w.act_as(&good, |c| set(c, "iss", json!("no-realm"))),
            E::InvalidOuterTokenIssuerFormat,
        ),
        Case(
            "outer issuer missing",
            w.act_as(&good, |c| del(c, "iss")),
            E::InvalidOuterTokenIssuerFormat,
        ),
        Case(
            "outer audience differs from the actor's",
            w.act_as(&good, |c| {
                set(
                    c,
                    "aud",
                    json!(format!("{EXCHANGE_APP_ID}/other.contoso.com@{TENANT}")),
                )
            }),
            E::InvalidAudience,
        ),
        Case(
            "outer audience missing",
            w.act_as(&good, |c| del(c, "aud")),
            E::InvalidAudience,
        ),
        Case(
            "outer issuer realm of no organization",
            w.act_as(&good, |c| {
                set(c, "iss", json!(format!("{SKYPE_APP_ID}@fabrikam.com")))
            }),
            E::InvalidRealmFromOuterTokenIssuer,
        ),
        Case(
            "trustedfordelegation false with a user",
            w.act_as(
                &w.acs_actor(|c| set(c, "trustedfordelegation", json!("false"))),
                |_| {},
            ),
            E::ActorNotTrustedForDelegation,
        ),
        Case(
            "trustedfordelegation missing with a user",
            w.act_as(&w.acs_actor(|c| del(c, "trustedfordelegation")), |_| {}),
            E::ActorNotTrustedForDelegation,
        ),
        Case(
            "no user claims",
            w.act_as(&good, |c| {
                for k in ["nameid", "upn", "smtp", "sip"] {
                    del(c, k);
                }
            }),
            E::NoUserClaimsFound,
        ),
        Case("bad base64", "eyJ!!!.eyJ.".into(), E::UnableToReadToken),
        Case(
            "bad JSON",
            format!("{}.{}.", base64url(b"{\"alg\":"), base64url(b"{}")),
            E::UnableToReadToken,
        ),
        Case(
            "claims not an object",
            format!("{}.{}.", seg(&none()), base64url(b"[1,2]")),
            E::UnableToReadToken,
        ),
        Case(
            "oversized token",
            format!("{}.{}.", seg(&none()), "A".repeat(70_000)),
            E::UnableToReadToken,
        ),
        Case(
            "two segments",
            "eyJhbGciOiJub25lIn0.e30".into(),
            E::UnableToReadToken,
        ),
        Case(
            "actortoken not a JWT",
            w.act_as("not-a-jwt", |_| {}),
            E::UnableToReadToken,
        ),
        Case(
            "actortoken not a string",
            w.act_as(&good, |c| set(c, "actortoken", json!(42))),
            E::UnableToReadToken,
        ),
        Case(
            "ver 1.0 (AAD v1)",
            w.acs_actor(|c| set(c, "ver", json!("1.0"))),
            E::TokenProfileNotApplicable,
        ),
        Case(
            "ver 2.0 (Entra v2)",
            w.acs_actor(|c| set(c, "ver", json!("2.0"))),
            E::TokenProfileNotApplicable,
        ),
        Case(
            "ver unknown",
            w.acs_actor(|c| set(c, "ver", json!("3.0"))),
            E::TokenProfileNotApplicable,
        ),
        Case(
            "callback token",
            w.acs_actor(|c| set(c, "appctx", json!("{}"))),
            E::TokenProfileNotApplicable,
        ),
        Case(
            "actor wraps another actor",
            w.act_as(
                &w.acs_actor(|c| set(c, "actortoken", json!(good.clone()))),
                |_| {},
            ),
            E::TokenProfileNotApplicable,
        ),
        Case(
            "duplicate claim",
            format!(
                "{}.{}.",
                seg(&none()),
                base64url(b"{\"iss\":\"a\",\"iss\":\"b\"}")
            ),
            E::UnableToReadToken,
        ),
    ];
    cases.push(Case(
        "self-issued signed by the ACS key",
        {
            let c = json!({"aud": aud("contoso.com"), "iss": format!("{SELF_ISSUER_ID}@contoso.com"),
                           "nameid": format!("{SELF_ISSUER_ID}@contoso.com"), "exp": NOW + 60});
            sign_raw(&json!({"alg":"RS256","x5t": w.partner.cert.x5t()}), &c, &w.acs.key)
        },
        E::InvalidSignature,
    ));
    cases
}

#[test]
fn rejection_table() {
    let w = world();
    let cases = rejection_cases(&w);
    assert!(cases.len() >= 30, "the table keeps at least 30 cases");
    let mut failures = Vec::new();
    for Case(name, token, want) in &cases {
        match w.check(token) {
            Err(e) if e.code == *want => {}
            other => failures.push(format!("{name}: want {want:?}, got {other:?}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn organization_and_partner_application_state() {
    // An ACS AuthServer with an empty realm trusts any realm whose audience matches; the
    // organization lookup then decides.
    let mut w = world();
    w.trust.issuers[0].realm = None;
    let foreign = w.acs_actor(|c| {
        set(c, "aud", json!(aud("fabrikam.com")));
        set(
            c,
            "iss",
            json!("00000001-0000-0000-c000-000000000000@fabrikam.com"),
        );
        set(c, "nameid", json!(format!("{SKYPE_APP_ID}@fabrikam.com")));
    });
    assert_eq!(
        w.check(&foreign).unwrap_err().code,
        E::OrganizationIdNotFoundFromRealm
    );
    // A disabled partner application is unknown.
    let mut w = world();
    w.trust.partner_applications[0].enabled = false;
    assert_eq!(
        w.check(&w.acs_actor(|_| {})).unwrap_err().code,
        E::NoMatchingPartnerAppFound
    );
    // A partner application bound to another realm does not match.
    let mut w = world();
    w.trust.partner_applications[0].realm = Some("fabrikam.com".into());
    assert_eq!(
        w.check(&w.acs_actor(|_| {})).unwrap_err().code,
        E::NoMatchingPartnerAppFound
    );
    // With AcceptSecurityIdentifierInformation and nii=activedirectory the SID is used.
    let mut w = world();
    w.trust.partner_applications[0].accept_security_identifier_information = true;
    let actor = w.acs_actor(|_| {});
    let t = w.act_as(&actor, |c| {
        set(c, "nii", json!(crate::token::NII_ACTIVE_DIRECTORY));
        set(c, "nameid", json!("S-1-5-21-1-2-3-1104"));
    });
    assert_eq!(
        w.check(&t).unwrap().user_lookup.unwrap().sid.as_deref(),
        Some("S-1-5-21-1-2-3-1104")
    );
}

#[test]
fn signature_failures_hint_a_metadata_refresh() {
    let w = world();
    let e = w
        .check(&sign_raw(
            &rs256(&w.other.cert),
            &acs_claims(),
            &w.other.key,
        ))
        .unwrap_err();
    assert!(e.refresh_metadata);
    assert!(
        e.message.contains(w.other.cert.x5t()) && e.message.contains(HOST),
        "{}",
        e.message
    );
    let e = w
        .check(&w.acs_actor(|c| set(c, "exp", json!(NOW - 1000))))
        .unwrap_err();
    assert!(!e.refresh_metadata);
}

#[test]
fn numeric_date_forms_build_as_given() {
    let c = Claims {
        exp: Some(NumericDate::string(5)),
        ..Default::default()
    };
    assert!(jwt::unsigned(&c).contains(&base64url(br#"{"exp":"5"}"#)));
    let _ = Header::default();
}

#[test]
fn actor_cache_skips_the_signature_only_for_the_same_bytes() {
    let w = world();
    let cache = ActorCache::new(10);
    let req = RequestContext {
        host: HOST,
        published_host: None,
        now: NOW,
    };
    let actor = w.acs_actor(|_| {});
    let token = w.act_as(&actor, |_| {});
    let first = Validator::default()
        .validate_with_cache(&token, &req, &w.trust, Some(&cache))
        .unwrap();
    assert_eq!(cache.len(), 1);
    // With the issuer's keys gone, only the cached actor still passes: the cache really skips
    // the signature, which is why servers clear it when their trust configuration changes.
    let mut keyless = w.trust.clone();
    keyless.issuers[0].keys.clear();
    let again = Validator::default()
        .validate_with_cache(&token, &req, &keyless, Some(&cache))
        .unwrap();
    assert_eq!(again.actor_digest, first.actor_digest);
    let other = w.act_as(&w.acs_actor(|c| set(c, "nbf", json!(NOW - 61))), |_| {});
    assert!(
        Validator::default()
            .validate_with_cache(&other, &req, &keyless, Some(&cache))
            .is_err()
    );
    // Other checks still run on a cached actor: the host, the lifetime.
    let elsewhere = RequestContext {
        host: "evil.example.com",
        published_host: None,
        now: NOW,
    };
    assert_eq!(
        Validator::default()
            .validate_with_cache(&token, &elsewhere, &keyless, Some(&cache))
            .unwrap_err()
            .code,
        E::UnexpectedHostNameInAudience
    );
    // Reached at its own address, the server is also its organization's published host: the
    // audience may name that one, and no other.
    let direct = RequestContext {
        host: "127.0.0.1:8443",
        published_host: Some(HOST),
        now: NOW,
    };
    assert!(
        Validator::default()
            .validate_with_cache(&token, &direct, &w.trust, Some(&cache))
            .is_ok()
    );
    let direct_elsewhere = RequestContext {
        host: "127.0.0.1:8443",
        published_host: Some("evil.example.com"),
        now: NOW,
    };
    assert_eq!(
        Validator::default()
            .validate_with_cache(&token, &direct_elsewhere, &w.trust, Some(&cache))
            .unwrap_err()
            .code,
        E::UnexpectedHostNameInAudience
    );
    let later = RequestContext {
        host: HOST,
        published_host: None,
        now: NOW + 100_000,
    };
    assert_eq!(
        Validator::default()
            .validate_with_cache(&token, &later, &w.trust, Some(&cache))
            .unwrap_err()
            .code,
        E::TokenExpired
    );
    cache.clear();
    assert!(
        Validator::default()
            .validate_with_cache(&token, &req, &keyless, Some(&cache))
            .is_err()
    );
}

#[test]
fn a_validated_token_is_keyed_by_its_hash_and_host() {
    let sha = crate::jwt::token_sha256("a.b.c");
    let key = ValidatedCache::<()>::key("a.b.c", "mail.contoso.com");
    assert_eq!(key, ValidatedCache::<()>::key_of(&sha, "mail.contoso.com"));
    assert_ne!(key, ValidatedCache::<()>::key("a.b.c", "other.contoso.com"));
    assert_ne!(key, ValidatedCache::<()>::key("a.b.d", "mail.contoso.com"));
    assert_eq!(
        crate::jwt::digest_of(&sha),
        crate::jwt::token_digest("a.b.c")
    );
}
