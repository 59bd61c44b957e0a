//! Golden vectors: tokens and metadata documents checked into `fixtures/`. The builders must
//! reproduce them byte for byte (RS256 with PKCS#1 v1.5 is deterministic), and the readers must
//! get the expected facts out of them. `HYBRID_REGENERATE_FIXTURES=1` rewrites the files.

use crate::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID};
use crate::jwt::{Jwt, NumericDate};
use crate::metadata::{MetadataDocument, MetadataFlavor};
use crate::token::{
    AcsActor, ClientAssertion, OuterToken, SelfIssuedActor, TokenProfile, UserContext,
};
use crypto::{Certificate, RsaPrivateKey};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/");
const TENANT: &str = "9b8f1a2c-3d4e-4f50-8a6b-7c8d9e0f1a2b";
const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

fn load(name: &str) -> (Certificate, RsaPrivateKey) {
    let cert = std::fs::read(format!("{DIR}{name}-cert.pem")).unwrap();
    let key = std::fs::read(format!("{DIR}{name}-key.pem")).unwrap();
    (
        Certificate::from_pem(&cert).unwrap(),
        RsaPrivateKey::from_pem(&key).unwrap(),
    )
}

/// Compares `actual` with the fixture, or rewrites it when asked to.
fn golden(path: &str, actual: &str) {
    let full = format!("{DIR}{path}");
    if std::env::var_os("HYBRID_REGENERATE_FIXTURES").is_some() {
        std::fs::write(&full, actual).unwrap();
    }
    let expected = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    assert_eq!(
        actual,
        expected.trim_end(),
        "{path} differs from its golden file"
    );
}

fn fixture(path: &str) -> String {
    std::fs::read_to_string(format!("{DIR}{path}"))
        .unwrap()
        .trim_end()
        .to_string()
}

fn acs_actor(acs: &(Certificate, RsaPrivateKey)) -> String {
    let audience = Audience::new(EXCHANGE_APP_ID, "mail.contoso.com", TENANT);
    AcsActor {
        audience: &audience,
        tenant: TENANT,
        client_app_id: SKYPE_APP_ID,
        client_object_id: "5f4e3d2c-0000-4000-8000-000000000004",
        trusted_for_delegation: true,
        issued_at: T0,
        not_before: T0,
        expires: T0 + 86_400,
    }
    .sign(&acs.1, &acs.0)
}

#[test]
fn token_vectors() {
    let acs = load("acs");
    let partner = load("partner");

    let actor = acs_actor(&acs);
    golden("tokens/acs-actor.jwt", &actor);

    let issuer = PrincipalId::new(EXCHANGE_APP_ID, "contoso.com");
    let aud = Audience::new(SKYPE_APP_ID, "lync.contoso.com", "contoso.com");
    let self_issued = SelfIssuedActor {
        issuer: &issuer,
        audience: &aud,
        not_before: T0,
        expires: T0 + 86_400,
    }
    .sign(&partner.1, &partner.0);
    golden("tokens/exchange-self-issued-actor.jwt", &self_issued);

    let user = UserContext {
        nameid: Some("10032001E2CBE43B".into()),
        nii: Some(crate::token::NII_MICROSOFT_ONLINE.into()),
        upn: Some("alice@contoso.com".into()),
        smtp: Some("alice@contoso.com".into()),
        sip: Some("alice@contoso.com".into()),
    };
    let outer = OuterToken {
        actor_token: &actor,
        audience: &Audience::new(EXCHANGE_APP_ID, "mail.contoso.com", TENANT),
        issuer: &PrincipalId::new(SKYPE_APP_ID, TENANT),
        not_before: T0,
        expires: T0 + 28_800,
        user: &user,
    }
    .encode();
    golden("tokens/outer-act-as.jwt", &outer);

    let assertion = ClientAssertion {
        client: &PrincipalId::new(SKYPE_APP_ID, TENANT),
        audience: &Audience::new(ACS_APP_ID, "accounts.accesscontrol.windows.net", TENANT),
        not_before: T0,
        expires: T0 + 600,
        jti: None,
    }
    .sign(&partner.1, &partner.0);
    golden("tokens/client-assertion.jwt", &assertion);
}

#[test]
fn token_vectors_decode_to_the_documented_shapes() {
    let acs = load("acs");
    let actor_text = fixture("tokens/acs-actor.jwt");
    let actor = Jwt::decode(&actor_text).unwrap();
    assert_eq!(actor.header.x5t.as_deref(), Some(acs.0.x5t()));
    assert_eq!(actor.header.kid, actor.header.x5t, "ACS sends kid = x5t");
    assert_eq!(
        actor.claims.iss.as_deref(),
        Some(format!("{ACS_APP_ID}@{TENANT}").as_str())
    );
    assert_eq!(actor.claims.exp, Some(NumericDate::number(T0 + 86_400)));
    acs.0
        .public_key()
        .unwrap()
        .verify_rs256(actor.signing_input(), &actor.signature)
        .unwrap();

    let si_text = fixture("tokens/exchange-self-issued-actor.jwt");
    let si = Jwt::decode(&si_text).unwrap();
    assert_eq!(si.header.kid, None);
    assert_eq!(
        si.claims.nbf,
        Some(NumericDate::string(T0)),
        "Exchange writes numeric strings"
    );
    assert_eq!(si.claims.trustedfordelegation.as_deref(), Some("true"));
    assert_eq!(si.claims.iss, si.claims.nameid);

    let outer_text = fixture("tokens/outer-act-as.jwt");
    let outer = Jwt::decode(&outer_text).unwrap();
    assert!(outer_text.ends_with('.') && !outer.is_signed());
    assert_eq!(TokenProfile::classify(&outer.claims), TokenProfile::ActAs);
    assert_eq!(
        outer.claims.actortoken.as_deref(),
        Some(actor_text.as_str())
    );
}

#[test]
fn microsoft_shaped_token_decodes() {
    // The shape of a real ACS actor token from Entra (extra claims rh, xms_spcu, numbers for
    // dates), wrapped in an outer token as roadtx builds it. Signature bytes are placeholders.
    let text = fixture("tokens/microsoft-outer-sample.jwt");
    let outer = Jwt::decode(&text).unwrap();
    assert_eq!(TokenProfile::classify(&outer.claims), TokenProfile::ActAs);
    let actor = Jwt::decode(outer.claims.actortoken.as_deref().unwrap()).unwrap();
    assert_eq!(actor.alg(), "RS256");
    assert_eq!(
        actor.claims.identityprovider.as_deref(),
        actor.claims.iss.as_deref()
    );
    assert_eq!(actor.claims.trustedfordelegation.as_deref(), Some("true"));
}

#[test]
fn metadata_vectors() {
    let acs = load("acs");
    let partner = load("partner");
    let issuance = format!("https://accounts.accesscontrol.windows.net/{TENANT}/tokens/OAuth/2");
    let acs_doc = MetadataDocument::acs(TENANT, &issuance, &[&acs.0]);
    golden(
        "metadata/acs-tenant.json",
        &acs_doc.to_json(MetadataFlavor::Acs),
    );
    let ex_doc = MetadataDocument::exchange(
        "_7f5b1a3c-0000-4000-8000-000000000001",
        EXCHANGE_APP_ID,
        "contoso.com",
        "https://mail.contoso.com/autodiscover/metadata/json/1",
        &[&partner.0],
    );
    golden(
        "metadata/exchange.json",
        &ex_doc.to_json(MetadataFlavor::Exchange),
    );

    // Reading them back, in any casing.
    let read = MetadataDocument::parse(fixture("metadata/acs-tenant.json").as_bytes()).unwrap();
    assert_eq!(read, acs_doc);
    let id = read.identity().unwrap();
    assert_eq!(
        (id.service_name.as_str(), id.realm.as_str(), id.issuer),
        (ACS_APP_ID, TENANT, None)
    );
    assert_eq!(read.issuance_endpoint(), Some(issuance.as_str()));
    assert_eq!(read.signing_certificates().unwrap(), vec![acs.0.clone()]);

    let read = MetadataDocument::parse(fixture("metadata/exchange.json").as_bytes()).unwrap();
    let id = read.identity().unwrap();
    assert_eq!(
        id.issuer.as_deref(),
        Some("00000002-0000-0ff1-ce00-000000000000@contoso.com")
    );
    assert_eq!(read.issuance_endpoint(), None);

    // SharePoint's casing: keyValue, type x509certificate, usage Signing.
    let sp =
        MetadataDocument::parse(fixture("metadata/sharepoint-casing.json").as_bytes()).unwrap();
    assert_eq!(sp.signing_certificates().unwrap().len(), 1);
    assert_eq!(
        sp.identity().unwrap().service_name,
        "00000003-0000-0ff1-ce00-000000000000"
    );
}

#[test]
fn metadata_refusals() {
    let acs = load("acs");
    let other = load("other");
    let no_key = r#"{"issuer":"00000001-0000-0000-c000-000000000000@t","keys":[],"endpoints":[]}"#;
    assert!(
        MetadataDocument::parse(no_key.as_bytes())
            .unwrap()
            .signing_certificates()
            .is_err()
    );
    let wrong_x5t = format!(
        r#"{{"issuer":"a@b","keys":[{{"usage":"signing","keyinfo":{{"x5t":"{}"}},"keyvalue":{{"type":"x509Certificate","value":"{}"}}}}]}}"#,
        other.0.x5t(),
        acs.0.to_base64()
    );
    assert!(
        MetadataDocument::parse(wrong_x5t.as_bytes())
            .unwrap()
            .signing_certificates()
            .is_err()
    );
    for bad in [
        "[]",
        "{",
        r#"{"keys":{}}"#,
        r#"{"keys":[{"usage":"signing"}]}"#,
        r#"{"issuer":5}"#,
        r#"{"keyS":[],"KEYS":[]}"#,
        r#"{"endpoints":[{"location":"x"}]}"#,
    ] {
        assert!(MetadataDocument::parse(bad.as_bytes()).is_err(), "{bad}");
    }
    let huge = format!(r#"{{"name":"{}"}}"#, "x".repeat(1024 * 1024));
    assert!(MetadataDocument::parse(huge.as_bytes()).is_err());
    let anonymous = MetadataDocument::parse(br#"{"keys":[]}"#).unwrap();
    assert!(anonymous.identity().is_err());
    let bad_cert =
        r#"{"keys":[{"usage":"signing","keyValue":{"type":"x509Certificate","value":"AAAA"}}]}"#;
    assert!(
        MetadataDocument::parse(bad_cert.as_bytes())
            .unwrap()
            .signing_certificates()
            .is_err()
    );
}
