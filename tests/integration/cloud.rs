//! The cloud role through real HTTP: the Graph-like API, metadata, and the token endpoint with
//! every refusal; the issued token checked by the on-premises validation pipeline.

use crypto::{Certificate, CertificateRequest, KeyPair, RsaPrivateKey};
use hybrid_tests::{CloudUnderTest, TempDir};
use reqwest::{Client, StatusCode};
use s2s::ids::{
    AAD_GRAPH_APP_ID, ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID,
};
use s2s::metadata::MetadataDocument;
use s2s::token::ClientAssertion;
use serde_json::{Value, json};
use time::{Duration, OffsetDateTime};

const JWT_BEARER: &str = "http://oauth.net/grant_type/jwt/1.0/bearer";
const EWS_HOST: &str = "mail.contoso.com";

struct World {
    cloud: CloudUnderTest,
    http: Client,
    tenant: String,
    admin: String,
    partner: KeyPair,
    _dir: TempDir,
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn cert_b64(c: &Certificate) -> String {
    c.to_base64()
}

impl World {
    /// A cloud with tenant contoso.com, the partner's key on 00000004 and the EWS host an SPN of 00000002.
    async fn new() -> World {
        let dir = TempDir::new("cloud");
        let url = format!("sqlite://{}", dir.path("cloud.db"));
        World::on(&url, dir).await
    }

    async fn on(store_url: &str, dir: TempDir) -> World {
        let cloud = CloudUnderTest::start(store_url).await;
        let http = Client::new();
        let r = http
            .post(format!("{}/admin/tenants", cloud.url))
            .bearer_auth(&cloud.operator)
            .json(&json!({"domain": "contoso.com"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let t: Value = r.json().await.unwrap();
        let partner = CertificateRequest {
            common_name: "SfB partner".into(),
            ..Default::default()
        }
        .self_signed()
        .unwrap();
        let w = World {
            tenant: t["tenantId"].as_str().unwrap().to_string(),
            admin: t["adminCredential"].as_str().unwrap().to_string(),
            cloud,
            http,
            partner,
            _dir: dir,
        };
        let status = w.patch(SKYPE_APP_ID, json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert_b64(&w.partner.certificate)}]})).await.0;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let status = w
            .patch(
                EXCHANGE_APP_ID,
                json!({"servicePrincipalNames": [format!("https://{EWS_HOST}/")]}),
            )
            .await
            .0;
        assert_eq!(status, StatusCode::NO_CONTENT);
        w
    }

    fn sp_url(&self, app: &str) -> String {
        format!("{}/v1.0/servicePrincipals(appId='{app}')", self.cloud.url)
    }

    async fn get(&self, url: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(url)
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    async fn patch(&self, app: &str, body: Value) -> (StatusCode, Value) {
        let r = self
            .http
            .patch(self.sp_url(app))
            .bearer_auth(&self.admin)
            .json(&body)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap_or(Value::Null))
    }

    fn authority(&self) -> String {
        self.cloud.url.trim_start_matches("http://").to_string()
    }

    fn assertion_with(
        &self,
        key: &RsaPrivateKey,
        cert: &Certificate,
        client: &str,
        nbf: i64,
        exp: i64,
    ) -> String {
        ClientAssertion {
            client: &PrincipalId::new(client, &self.tenant),
            audience: &Audience::new(ACS_APP_ID, &self.authority(), &self.tenant),
            not_before: nbf,
            expires: exp,
            jti: Some(&uuid::Uuid::new_v4().to_string()),
        }
        .sign(key, cert)
    }

    fn assertion(&self) -> String {
        self.assertion_with(
            &self.partner.key,
            &self.partner.certificate,
            SKYPE_APP_ID,
            now(),
            now() + 600,
        )
    }

    fn resource(&self) -> String {
        format!("{EXCHANGE_APP_ID}/{EWS_HOST}@contoso.com")
    }

    async fn token(&self, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let r = self
            .http
            .post(format!("{}/{}/tokens/OAuth/2", self.cloud.url, self.tenant))
            .form(form)
            .send()
            .await
            .unwrap();
        (r.status(), r.json().await.unwrap())
    }
}

fn aadsts(v: &Value) -> u64 {
    v["error_codes"][0].as_u64().unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_api_service_principals_and_key_credentials() {
    let w = World::new().await;
    // Authentication and roles.
    let r = w
        .http
        .get(format!("{}/v1.0/servicePrincipals", w.cloud.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["code"],
        "InvalidAuthenticationToken"
    );
    let r = w
        .http
        .get(format!("{}/v1.0/servicePrincipals", w.cloud.url))
        .bearer_auth("hyb_wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = w
        .http
        .get(format!("{}/v1.0/servicePrincipals", w.cloud.url))
        .bearer_auth(&w.cloud.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = w
        .http
        .post(format!("{}/admin/tenants", w.cloud.url))
        .bearer_auth(&w.admin)
        .json(&json!({"domain": "x.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = w
        .http
        .post(format!("{}/admin/tenants", w.cloud.url))
        .bearer_auth(&w.cloud.operator)
        .json(&json!({"domain": "CONTOSO.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "a verified domain belongs to one tenant"
    );

    // The first-party principals, by appId and by object id.
    let (s, list) = w
        .get(&format!("{}/v1.0/servicePrincipals", w.cloud.url))
        .await;
    assert_eq!(s, StatusCode::OK);
    let apps: Vec<&str> = list["value"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["appId"].as_str().unwrap())
        .collect();
    for app in [
        ACS_APP_ID,
        EXCHANGE_APP_ID,
        "00000003-0000-0ff1-ce00-000000000000",
        SKYPE_APP_ID,
    ] {
        assert!(apps.contains(&app), "{app}");
    }
    let (_, sfb) = w.get(&w.sp_url(SKYPE_APP_ID)).await;
    assert_eq!(sfb["displayName"], "Skype for Business Online");
    assert!(
        sfb["keyCredentials"][0]["key"].is_null(),
        "key values only with $select"
    );
    let (s, by_id) = w
        .get(&format!(
            "{}/v1.0/servicePrincipals/{}",
            w.cloud.url,
            sfb["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(
        (s, by_id["appId"].as_str()),
        (StatusCode::OK, Some(SKYPE_APP_ID))
    );
    let (s, e) = w
        .get(&format!("{}/v1.0/servicePrincipals/nope", w.cloud.url))
        .await;
    assert_eq!(
        (s, e["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("Request_ResourceNotFound"))
    );

    // keyCredential exactly as Graph: thumbprint, the certificate's dates, type and usage.
    let (_, keys) = w
        .get(&format!(
            "{}?$select=keyCredentials",
            w.sp_url(SKYPE_APP_ID)
        ))
        .await;
    let k = &keys["keyCredentials"][0];
    let c = &w.partner.certificate;
    assert_eq!(k["customKeyIdentifier"], c.thumbprint());
    assert_eq!(k["type"], "AsymmetricX509Cert");
    assert_eq!(k["usage"], "Verify");
    assert_eq!(k["key"], cert_b64(c));
    assert_eq!(k["startDateTime"], cloud::model::graph_time(c.not_before()));
    assert_eq!(k["endDateTime"], cloud::model::graph_time(c.not_after()));
    assert!(
        keys.get("displayName").is_none(),
        "$select keeps only what was asked"
    );

    // Refusals of PATCH.
    let outside = (c.not_after() + Duration::days(1))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    for (body, why) in [
        (
            json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert_b64(c), "endDateTime": outside}]}),
            "dates outside the certificate",
        ),
        (
            json!({"keyCredentials": [{"type": "Symmetric", "usage": "Verify", "key": "AAAA"}]}),
            "symmetric keys",
        ),
        (
            json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Sign", "key": cert_b64(c)}]}),
            "Sign usage",
        ),
        (
            json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": "bm90IGEgY2VydA=="}]}),
            "not a certificate",
        ),
        (json!({"displayName": "renamed"}), "read-only property"),
        (
            json!({"servicePrincipalNames": "not-a-list"}),
            "bad SPN list",
        ),
    ] {
        let (s, e) = w.patch(SKYPE_APP_ID, body).await;
        assert_eq!(
            (s, e["error"]["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("Request_BadRequest")),
            "{why}: {e}"
        );
    }
    let r = w
        .http
        .patch(w.sp_url(SKYPE_APP_ID))
        .bearer_auth(&w.admin)
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let (_, after) = w
        .get(&format!(
            "{}?$select=keyCredentials",
            w.sp_url(SKYPE_APP_ID)
        ))
        .await;
    assert_eq!(
        after["keyCredentials"].as_array().unwrap().len(),
        1,
        "refused PATCHes change nothing"
    );

    // SPNs: replaced as a list; the appId stays.
    let (_, ex) = w.get(&w.sp_url(EXCHANGE_APP_ID)).await;
    assert_eq!(
        ex["servicePrincipalNames"],
        json!([EXCHANGE_APP_ID, "https://mail.contoso.com/"])
    );
}

/// A Graph proof of possession signed by `key`.
fn proof(
    sp_object_id: &str,
    key: &RsaPrivateKey,
    cert: &Certificate,
    aud: &str,
    lifetime: i64,
) -> String {
    let claims = s2s::Claims {
        aud: Some(aud.into()),
        iss: Some(sp_object_id.into()),
        nbf: Some(s2s::NumericDate::number(now())),
        exp: Some(s2s::NumericDate::number(now() + lifetime)),
        ..Default::default()
    };
    s2s::jwt::sign(&s2s::Header::rs256(cert.x5t(), false), &claims, key)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_key_and_remove_key_need_proof_of_possession() {
    let w = World::new().await;
    let (_, sfb) = w.get(&w.sp_url(SKYPE_APP_ID)).await;
    let id = sfb["id"].as_str().unwrap();
    let newer = CertificateRequest {
        common_name: "next partner key".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    let graph = s2s::ids::AAD_GRAPH_APP_ID;
    let body = |proof: String| json!({"keyCredential": {"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert_b64(&newer.certificate)}, "passwordCredential": null, "proof": proof});
    let add = |b: Value| {
        w.http
            .post(format!("{}/addKey", w.sp_url(SKYPE_APP_ID)))
            .bearer_auth(&w.admin)
            .json(&b)
            .send()
    };
    let (pk, pc) = (&w.partner.key, &w.partner.certificate);
    // Dates at the 64-bit edges, and a padded signature, written by hand.
    let raw_proof = |nbf: Value, exp: Value| {
        let claims = json!({"aud": graph, "iss": id, "nbf": nbf, "exp": exp});
        s2s::jwt::sign_json(&s2s::Header::rs256(pc.x5t(), false), &claims, pk)
    };
    for (p, why) in [
        (
            proof(id, &newer.key, &newer.certificate, graph, 600),
            "signed by a key the principal does not have",
        ),
        (proof(id, pk, pc, SKYPE_APP_ID, 600), "wrong audience"),
        (proof("someone-else", pk, pc, graph, 600), "wrong issuer"),
        (proof(id, pk, pc, graph, 3600), "longer than 10 minutes"),
        ("garbage".into(), "not a JWT"),
        (
            raw_proof(json!(i64::MIN), json!(now() + 60)),
            "nbf at the smallest 64-bit value",
        ),
        (
            raw_proof(json!(now()), json!(i64::MAX)),
            "exp at the largest 64-bit value",
        ),
        (raw_proof(json!(0), json!(now() + 60)), "nbf in 1970"),
        (
            format!("{}=", proof(id, pk, pc, graph, 600)),
            "padded signature",
        ),
    ] {
        let r = add(body(p)).await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{why}");
    }
    let r = add(body(proof(id, pk, pc, graph, 600))).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["customKeyIdentifier"], newer.certificate.thumbprint());
    assert!(added["key"].is_null());
    // The new key now proves possession too, and can remove the old one.
    let old_key_id = {
        let (_, k) = w
            .get(&format!(
                "{}?$select=keyCredentials",
                w.sp_url(SKYPE_APP_ID)
            ))
            .await;
        assert_eq!(k["keyCredentials"].as_array().unwrap().len(), 2);
        k["keyCredentials"][0]["keyId"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let r = w
        .http
        .post(format!("{}/removeKey", w.sp_url(SKYPE_APP_ID)))
        .bearer_auth(&w.admin)
        .json(&json!({"keyId": old_key_id, "proof": proof(id, &newer.key, &newer.certificate, graph, 600)}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // A principal without keys cannot use addKey.
    let (_, ex) = w.get(&w.sp_url(EXCHANGE_APP_ID)).await;
    let r = w
        .http
        .post(format!("{}/addKey", w.sp_url(EXCHANGE_APP_ID)))
        .bearer_auth(&w.admin)
        .json(&body(proof(ex["id"].as_str().unwrap(), pk, pc, graph, 600)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains("PATCH keyCredentials"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_documents() {
    let w = World::new().await;
    for path in [
        format!("/{}/metadata/json/1", w.tenant),
        "/contoso.com/metadata/json/1".to_string(),
        format!("/metadata/json/1?realm={}", w.tenant),
    ] {
        let r = w
            .http
            .get(format!("{}{path}", w.cloud.url))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let text = r.text().await.unwrap();
        assert!(text.contains("\"keyValue\""), "ACS casing");
        let doc = MetadataDocument::parse(text.as_bytes()).unwrap();
        let id = doc.identity().unwrap();
        assert_eq!(
            (id.service_name.as_str(), id.realm.as_str()),
            (ACS_APP_ID, w.tenant.as_str())
        );
        assert_eq!(
            doc.issuance_endpoint(),
            Some(format!("{}/{}/tokens/OAuth/2", w.cloud.url, w.tenant).as_str())
        );
        assert_eq!(
            doc.signing_certificates().unwrap().len(),
            2,
            "current and next"
        );
    }
    let r = w
        .http
        .get(format!("{}/fabrikam.com/metadata/json/1", w.cloud.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(aadsts(&r.json().await.unwrap()), 90002);
}

/// The on-premises pipeline, trusting this cloud as its AuthServer from the metadata document.
async fn on_prem_validates(w: &World, token: &str) -> Result<s2s::ValidatedToken, s2s::OAuthError> {
    let text = w
        .http
        .get(format!("{}/{}/metadata/json/1", w.cloud.url, w.tenant))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let doc = MetadataDocument::parse(text.as_bytes()).unwrap();
    let keys = doc
        .signing_certificates()
        .unwrap()
        .iter()
        .map(|c| s2s::IssuerKey::from_certificate(c).unwrap())
        .collect();
    let trust = s2s::TrustSnapshot {
        service_name: EXCHANGE_APP_ID.into(),
        issuers: vec![s2s::TrustedIssuer {
            kind: s2s::IssuerKind::Acs,
            id: ACS_APP_ID.into(),
            realm: Some(w.tenant.clone()),
            keys,
        }],
        partner_applications: vec![s2s::PartnerApplicationTrust {
            name: "SfBOnline".into(),
            application_identifier: SKYPE_APP_ID.into(),
            realm: None,
            use_auth_server: true,
            enabled: true,
            accept_security_identifier_information: false,
        }],
        local_realms: vec!["contoso.com".into(), w.tenant.clone()],
    };
    s2s::Validator::default().validate(
        token,
        &s2s::RequestContext {
            published_host: None,
            host: EWS_HOST,
            now: now(),
        },
        &trust,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_issues_acs_actor_tokens_that_on_prem_accepts() {
    let w = World::new().await;
    let (a, r) = (w.assertion(), w.resource());
    let (s, t) = w
        .token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &a),
            ("resource", &r),
        ])
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], "86400", "expires_in is a string");
    assert!(t["not_before"].is_string() && t["expires_on"].is_string());
    assert_eq!(
        t["resource"],
        format!("{EXCHANGE_APP_ID}/{EWS_HOST}@{}", w.tenant)
    );
    let token = t["access_token"].as_str().unwrap();
    let jwt = s2s::Jwt::decode(token).unwrap();
    assert_eq!(jwt.header.kid, jwt.header.x5t);
    assert_eq!(
        jwt.claims.iss.as_deref(),
        Some(format!("{ACS_APP_ID}@{}", w.tenant).as_str())
    );
    assert_eq!(
        jwt.claims.nameid.as_deref(),
        Some(format!("{SKYPE_APP_ID}@{}", w.tenant).as_str())
    );
    assert_eq!(
        jwt.claims.trustedfordelegation.as_deref(),
        Some("true"),
        "first-party"
    );
    let v = on_prem_validates(&w, token).await.unwrap();
    assert_eq!(v.partner_application, "SfBOnline");

    // The RFC 7523 form, with aud = the token endpoint URL.
    let endpoint = format!("{}/{}/tokens/OAuth/2", w.cloud.url, w.tenant);
    let claims = s2s::Claims {
        aud: Some(endpoint),
        iss: Some(SKYPE_APP_ID.into()),
        nbf: Some(s2s::NumericDate::number(now())),
        exp: Some(s2s::NumericDate::number(now() + 300)),
        jti: Some(uuid::Uuid::new_v4().to_string()),
        ..Default::default()
    };
    let rfc = s2s::jwt::sign(
        &s2s::Header::rs256(w.partner.certificate.x5t(), false),
        &claims,
        &w.partner.key,
    );
    let (s, t) = w
        .token(&[
            ("grant_type", "client_credentials"),
            ("client_id", SKYPE_APP_ID),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &rfc),
            ("resource", &r),
        ])
        .await;
    assert_eq!(s, StatusCode::OK, "{t}");
}

/// (why, form, the AADSTS code it must get)
type RefusalCase = (&'static str, Vec<(&'static str, String)>, u64);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_endpoint_refusals_one_code_per_cause() {
    let w = World::new().await;
    let r = w.resource();
    let other = CertificateRequest::default().self_signed().unwrap();
    let (pk, pc) = (&w.partner.key, &w.partner.certificate);
    let t = now();
    let cases: Vec<RefusalCase> = vec![
        (
            "no grant_type",
            vec![("assertion", w.assertion()), ("resource", r.clone())],
            900144,
        ),
        (
            "unsupported grant",
            vec![("grant_type", "password".into()), ("resource", r.clone())],
            70003,
        ),
        (
            "no resource",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", w.assertion()),
            ],
            900144,
        ),
        (
            "malformed assertion",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", "abc".into()),
                ("resource", r.clone()),
            ],
            50027,
        ),
        (
            "unknown client principal",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(pk, pc, "11111111-2222-3333-4444-555555555555", t, t + 600),
                ),
                ("resource", r.clone()),
            ],
            700016,
        ),
        (
            "key not registered",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(&other.key, &other.certificate, SKYPE_APP_ID, t, t + 600),
                ),
                ("resource", r.clone()),
            ],
            700027,
        ),
        (
            "bad signature",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(&other.key, pc, SKYPE_APP_ID, t, t + 600),
                ),
                ("resource", r.clone()),
            ],
            50012,
        ),
        (
            "expired",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(pk, pc, SKYPE_APP_ID, t - 3000, t - 2000),
                ),
                ("resource", r.clone()),
            ],
            700024,
        ),
        (
            "not yet valid",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(pk, pc, SKYPE_APP_ID, t + 1000, t + 1500),
                ),
                ("resource", r.clone()),
            ],
            700024,
        ),
        (
            "over an hour",
            vec![
                ("grant_type", JWT_BEARER.into()),
                (
                    "assertion",
                    w.assertion_with(pk, pc, SKYPE_APP_ID, t, t + 7200),
                ),
                ("resource", r.clone()),
            ],
            700024,
        ),
        (
            "unknown resource principal",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", w.assertion()),
                (
                    "resource",
                    format!("00000009-0000-0ff1-ce00-000000000000/{EWS_HOST}@contoso.com"),
                ),
            ],
            500011,
        ),
        (
            "resource in another tenant",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", w.assertion()),
                (
                    "resource",
                    format!("{EXCHANGE_APP_ID}/{EWS_HOST}@fabrikam.com"),
                ),
            ],
            500011,
        ),
        (
            "host not an SPN",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", w.assertion()),
                (
                    "resource",
                    format!("{EXCHANGE_APP_ID}/evil.example.com@contoso.com"),
                ),
            ],
            500012,
        ),
        (
            "client_id differs",
            vec![
                ("grant_type", JWT_BEARER.into()),
                ("assertion", w.assertion()),
                ("client_id", "00000003-0000-0ff1-ce00-000000000000".into()),
                ("resource", r.clone()),
            ],
            700021,
        ),
    ];
    for (why, form, code) in cases {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (s, e) = w.token(&form).await;
        assert!(s.is_client_error(), "{why}: {s}");
        assert_eq!(aadsts(&e), code, "{why}: {e}");
        assert!(
            e["error_description"]
                .as_str()
                .unwrap()
                .starts_with(&format!("AADSTS{code}: ")),
            "{why}"
        );
    }
    // Wrong audience: ACS at another authority.
    let bad_aud = ClientAssertion {
        client: &PrincipalId::new(SKYPE_APP_ID, &w.tenant),
        audience: &Audience::new(ACS_APP_ID, "accounts.accesscontrol.windows.net", &w.tenant),
        not_before: t,
        expires: t + 600,
        jti: None,
    }
    .sign(pk, pc);
    let (_, e) = w
        .token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &bad_aud),
            ("resource", &r),
        ])
        .await;
    assert_eq!(aadsts(&e), 50013);
    // Unknown tenant in the path.
    let resp = w
        .http
        .post(format!("{}/fabrikam.com/tokens/OAuth/2", w.cloud.url))
        .form(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &w.assertion()),
            ("resource", &r),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(aadsts(&resp.json().await.unwrap()), 90002);
    // Replay: the same assertion twice.
    let a = w.assertion();
    assert_eq!(
        w.token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &a),
            ("resource", &r)
        ])
        .await
        .0,
        StatusCode::OK
    );
    let (s, e) = w
        .token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &a),
            ("resource", &r),
        ])
        .await;
    assert_eq!((s, aadsts(&e)), (StatusCode::UNAUTHORIZED, 700029));
    // A repeated parameter.
    let body = format!("grant_type={JWT_BEARER}&grant_type={JWT_BEARER}");
    let resp = w
        .http
        .post(format!("{}/{}/tokens/OAuth/2", w.cloud.url, w.tenant))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(aadsts(&resp.json().await.unwrap()), 90014);
    // An oversized body is refused before parsing.
    let resp = w
        .http
        .post(format!("{}/{}/tokens/OAuth/2", w.cloud.url, w.tenant))
        .body("a".repeat(200_000))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A key outside its startDateTime/endDateTime window does not verify.
    let future = CertificateRequest {
        not_before: OffsetDateTime::now_utc().replace_nanosecond(0).unwrap() + Duration::days(10),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    let (s, _) = w.patch(SKYPE_APP_ID, json!({"keyCredentials": [{"type":"AsymmetricX509Cert","usage":"Verify","key": cert_b64(&future.certificate)}]})).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (_, e) = w
        .token(&[
            ("grant_type", JWT_BEARER),
            (
                "assertion",
                &w.assertion_with(&future.key, &future.certificate, SKYPE_APP_ID, t, t + 600),
            ),
            ("resource", &r),
        ])
        .await;
    assert_eq!(aadsts(&e), 700027, "a key not valid yet is no key");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_keys_rotate_with_overlap() {
    let w = World::new().await;
    let r = w.resource();
    let before = w
        .token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &w.assertion()),
            ("resource", &r),
        ])
        .await
        .1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let resp = w
        .http
        .post(format!("{}/admin/signing-keys/rotate", w.cloud.url))
        .bearer_auth(&w.cloud.operator)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let after = w
        .token(&[
            ("grant_type", JWT_BEARER),
            ("assertion", &w.assertion()),
            ("resource", &r),
        ])
        .await
        .1["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let x5t = |t: &str| s2s::Jwt::decode(t).unwrap().header.x5t.unwrap();
    assert_ne!(x5t(&before), x5t(&after), "the next key became current");
    on_prem_validates(&w, &before)
        .await
        .expect("tokens signed before the rotation still verify");
    on_prem_validates(&w, &after)
        .await
        .expect("tokens signed after the rotation verify");
    let text = w
        .http
        .get(format!("{}/{}/metadata/json/1", w.cloud.url, w.tenant))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        MetadataDocument::parse(text.as_bytes())
            .unwrap()
            .signing_certificates()
            .unwrap()
            .len(),
        3,
        "current, next, previous"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_on_the_same_store_learns_new_keys_without_reading_per_request() {
    let mut urls = vec![None];
    if let Some(admin) = hybrid_tests::postgres_admin_url() {
        urls.push(Some(hybrid_tests::fresh_postgres_database(&admin).await));
    }
    for url in urls {
        let w = match url {
            Some(u) => World::on(&u, TempDir::new("cloud-pg")).await,
            None => World::new().await,
        };
        second_process_learns(&w).await;
    }
}

async fn second_process_learns(w: &World) {
    let second = CloudUnderTest::start(&w.cloud.store.url().to_string()).await;
    let newer = CertificateRequest::default().self_signed().unwrap();
    let (_, k) = w
        .get(&format!(
            "{}?$select=keyCredentials",
            w.sp_url(SKYPE_APP_ID)
        ))
        .await;
    let mut keys = k["keyCredentials"].as_array().unwrap().clone();
    keys.push(
        json!({"type":"AsymmetricX509Cert","usage":"Verify","key": cert_b64(&newer.certificate)}),
    );
    let started = std::time::Instant::now();
    assert_eq!(
        w.patch(SKYPE_APP_ID, json!({"keyCredentials": keys}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let r = w.resource();
    loop {
        let t = now();
        let a = ClientAssertion {
            client: &PrincipalId::new(SKYPE_APP_ID, &w.tenant),
            audience: &Audience::new(
                ACS_APP_ID,
                second.url.trim_start_matches("http://"),
                &w.tenant,
            ),
            not_before: t,
            expires: t + 600,
            jti: Some(&uuid::Uuid::new_v4().to_string()),
        }
        .sign(&newer.key, &newer.certificate);
        let resp = w
            .http
            .post(format!("{}/{}/tokens/OAuth/2", second.url, w.tenant))
            .form(&[
                ("grant_type", JWT_BEARER),
                ("assertion", a.as_str()),
                ("resource", r.as_str()),
            ])
            .send()
            .await
            .unwrap();
        let status = resp.status();
        if status == StatusCode::OK {
            break;
        }
        let body: Value = resp.json().await.unwrap();
        assert_eq!(aadsts(&body), 700027, "only the key is unknown: {body}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "the second server did not learn the key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    eprintln!(
        "{}: second process accepted the new key after {:?}",
        w.cloud.store.url(),
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_application_token_reads_its_own_service_principal_and_nothing_else() {
    let w = World::new().await;
    let graph = format!("{AAD_GRAPH_APP_ID}/{}@{}", w.authority(), w.tenant);
    let assertion = w.assertion();
    let (status, body) = w
        .token(&[
            ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
            ("assertion", &assertion),
            ("resource", &graph),
        ])
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let token = body["access_token"].as_str().unwrap().to_string();
    let get = |url: String, bearer: String| {
        let http = w.http.clone();
        async move {
            let r = http.get(url).bearer_auth(bearer).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap_or(Value::Null))
        }
    };

    // Its own principal, with the key values: the certificates it is to trust.
    let (status, sp) = get(
        format!("{}?$select=keyCredentials", w.sp_url(SKYPE_APP_ID)),
        token.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{sp}");
    let key = sp["keyCredentials"][0]["key"].as_str().unwrap();
    assert_eq!(key, cert_b64(&w.partner.certificate));

    // Another principal, the list, a change: refused.
    let (status, err) = get(w.sp_url(EXCHANGE_APP_ID), token.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(err["error"]["code"], "Authorization_RequestDenied");
    let (status, _) = get(
        format!("{}/v1.0/servicePrincipals", w.cloud.url),
        token.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = w
        .http
        .patch(w.sp_url(SKYPE_APP_ID))
        .bearer_auth(&token)
        .json(&json!({"servicePrincipalNames": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A token for another resource, or a tampered one, is no Graph token.
    let assertion = w.assertion();
    let (_, other) = w
        .token(&[
            ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
            ("assertion", &assertion),
            ("resource", &w.resource()),
        ])
        .await;
    let ews_token = other["access_token"].as_str().unwrap().to_string();
    let (status, _) = get(w.sp_url(SKYPE_APP_ID), ews_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let mut tampered = token.clone().into_bytes();
    let at = tampered.len() - 20; // inside the signature, clear of the padding bits
    tampered[at] = if tampered[at] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    let (status, _) = get(w.sp_url(SKYPE_APP_ID), tampered).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

/// A token request to `server`, a process serving the world's public address (several
/// processes behind one address).
async fn token_at(w: &World, server: &str, assertion: &str) -> (StatusCode, Value) {
    let r = w.resource();
    let resp = w
        .http
        .post(format!("{server}/{}/tokens/OAuth/2", w.tenant))
        .form(&[
            ("grant_type", JWT_BEARER),
            ("assertion", assertion),
            ("resource", r.as_str()),
        ])
        .send()
        .await
        .unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_assertion_is_used_once_across_processes_and_restarts() {
    let mut urls = vec![None];
    if let Some(admin) = hybrid_tests::postgres_admin_url() {
        urls.push(Some(hybrid_tests::fresh_postgres_database(&admin).await));
    }
    for url in urls {
        let w = match url {
            Some(u) => World::on(&u, TempDir::new("replay-pg")).await,
            None => World::new().await,
        };
        let store = w.cloud.store.url().to_string();
        let second = CloudUnderTest::start_as(&store, &w.cloud.url).await;
        for (first, other) in [(&w.cloud.url, &second.url), (&second.url, &w.cloud.url)] {
            let a = w.assertion();
            assert_eq!(token_at(&w, first, &a).await.0, StatusCode::OK, "{store}");
            let (s, e) = token_at(&w, other, &a).await;
            assert_eq!(
                (s, aadsts(&e)),
                (StatusCode::UNAUTHORIZED, 700029),
                "{store}: {e}"
            );
        }
        // A process started afresh (nothing in memory) still knows what was used.
        let a = w.assertion();
        assert_eq!(token_at(&w, &second.url, &a).await.0, StatusCode::OK);
        drop(second);
        let restarted = CloudUnderTest::start_as(&store, &w.cloud.url).await;
        let (s, e) = token_at(&w, &restarted.url, &a).await;
        assert_eq!(
            (s, aadsts(&e)),
            (StatusCode::UNAUTHORIZED, 700029),
            "{store}: {e}"
        );
        assert!(w.cloud.store.used_assertions().count().await.unwrap() >= 3);
        // Pruning keeps what can still be accepted.
        assert_eq!(
            w.cloud.store.used_assertions().prune(now()).await.unwrap(),
            0
        );
    }
}

/// A client assertion as MSAL writes one: `aud` the v2 token endpoint, `iss` = `sub` = the
/// client id, a `jti`, signed `alg` (RS256 or PS256) with the key named by `header`.
fn msal_assertion(w: &World, alg: &str, header: Value, kp: &KeyPair, endpoint: &str) -> String {
    let _ = &w.tenant;
    hybrid_tests::entra_client_assertion(SKYPE_APP_ID, alg, header, kp, endpoint)
}

async fn v2_token(w: &World, form: &[(&str, &str)]) -> (StatusCode, Value) {
    let r = w
        .http
        .post(format!("{}/{}/oauth2/v2.0/token", w.cloud.url, w.tenant))
        .form(form)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_v2_discovery_keys_and_client_credentials_with_a_certificate() {
    use base64::Engine;
    let w = World::new().await;
    let base = &w.cloud.url;
    // OpenID discovery, by tenant domain and by id.
    let (s, oidc) = w
        .get(&format!(
            "{base}/contoso.com/v2.0/.well-known/openid-configuration"
        ))
        .await;
    assert_eq!(s, StatusCode::OK, "{oidc}");
    let endpoint = format!("{base}/{}/oauth2/v2.0/token", w.tenant);
    assert_eq!(oidc["token_endpoint"], endpoint.as_str());
    assert_eq!(oidc["issuer"], format!("{base}/{}/v2.0", w.tenant));
    let (s, v1) = w
        .get(&format!(
            "{base}/{}/.well-known/openid-configuration",
            w.tenant
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        v1["token_endpoint"],
        format!("{base}/{}/oauth2/token", w.tenant)
    );
    let (s, _) = w
        .get(&format!(
            "{base}/nowhere.example/v2.0/.well-known/openid-configuration"
        ))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // The JWKS carries the published signing certificate with x5c, x5t, kid, n and e.
    let (s, jwks) = w.get(oidc["jwks_uri"].as_str().unwrap()).await;
    assert_eq!(s, StatusCode::OK);
    let key = &jwks["keys"][0];
    let cert = Certificate::from_base64(key["x5c"][0].as_str().unwrap()).unwrap();
    assert_eq!(key["x5t"], cert.x5t());
    assert_eq!(key["kid"], cert.x5t());
    let (n, e) = cert.public_key().unwrap().modulus_and_exponent();
    assert_eq!(key["n"], crypto::base64url(n));
    assert_eq!(crypto::base64url(e), "AQAB");
    assert_eq!(key["e"], "AQAB");
    // Instance discovery names this host as valid.
    let (s, inst) = w
        .get(&format!("{base}/common/discovery/instance?api-version=1.1&authorization_endpoint={base}/common/oauth2/authorize"))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(inst["metadata"][0]["aliases"][0], w.authority());
    assert_eq!(
        inst["tenant_discovery_endpoint"],
        format!("{base}/common/v2.0/.well-known/openid-configuration")
    );
    let (s, bad) = w
        .get(&format!("{base}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://elsewhere.example/common/oauth2/authorize"))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    assert_eq!(bad["error"], "invalid_instance");

    // The key named each way MSAL and others name it, RS256 and PS256.
    let c = &w.partner.certificate;
    let padded = base64::engine::general_purpose::URL_SAFE
        .encode(crypto::base64url_decode(c.x5t()).unwrap());
    assert!(padded.ends_with('='), "a SHA-1 x5t pads to 28 characters");
    let s256 = crypto::base64url(&crypto::sha256(c.der()));
    let scope = format!("{EXCHANGE_APP_ID}/.default");
    for (alg, header) in [
        ("RS256", json!({"x5t": c.x5t()})),
        ("RS256", json!({"x5t": padded})),
        ("PS256", json!({"x5t#S256": s256})),
        ("PS256", json!({"kid": c.thumbprint()})),
    ] {
        let a = msal_assertion(&w, alg, header.clone(), &w.partner, &endpoint);
        let (s, t) = v2_token(
            &w,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", SKYPE_APP_ID),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &a),
                ("scope", &scope),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{alg} {header}: {t}");
        assert_eq!(t["token_type"], "Bearer");
        assert!(t["expires_in"].is_number(), "v2 answers numbers: {t}");
        let token = t["access_token"].as_str().unwrap();
        let jwt = s2s::Jwt::decode(token).unwrap();
        cert.public_key()
            .unwrap()
            .verify_rs256(jwt.signing_input(), &jwt.signature)
            .expect("signed by the key the JWKS publishes");
        let claims: Value = serde_json::from_slice(
            &crypto::base64url_decode(token.split('.').nth(1).unwrap()).unwrap(),
        )
        .unwrap();
        assert_eq!(claims["ver"], "2.0");
        assert_eq!(claims["aud"], EXCHANGE_APP_ID);
        assert_eq!(claims["azp"], SKYPE_APP_ID);
        assert_eq!(claims["azpacr"], "2");
        assert_eq!(claims["tid"], w.tenant.as_str());
        assert_eq!(claims["iss"], oidc["issuer"]);
        assert_eq!(claims["idtyp"], "app");
        assert!(claims["oid"].is_string() && claims["oid"] == claims["sub"]);
    }
    // A certificate not registered on the client is still no key.
    let stranger = CertificateRequest {
        common_name: "not registered".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    for header in [
        json!({"x5t": stranger.certificate.x5t()}),
        json!({"x5t#S256": crypto::base64url(&crypto::sha256(stranger.certificate.der()))}),
    ] {
        let a = msal_assertion(&w, "RS256", header, &stranger, &endpoint);
        let (s, e) = v2_token(
            &w,
            &[
                ("grant_type", "client_credentials"),
                (
                    "client_assertion_type",
                    "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                ),
                ("client_assertion", &a),
                ("scope", &scope),
            ],
        )
        .await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{e}");
        assert_eq!(aadsts(&e), 700027, "{e}");
    }
    // v2 takes a scope ending /.default, not `resource`.
    let a = msal_assertion(&w, "RS256", json!({"x5t": c.x5t()}), &w.partner, &endpoint);
    let form = |extra: (&'static str, String)| {
        vec![
            ("grant_type", "client_credentials".to_string()),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".to_string(),
            ),
            ("client_assertion", a.clone()),
            extra,
        ]
    };
    let post = |f: Vec<(&'static str, String)>| {
        let w = &w;
        async move {
            let r = w.http.post(endpoint_of(w)).form(&f).send().await.unwrap();
            (r.status(), r.json::<Value>().await.unwrap())
        }
    };
    let (s, e) = post(form(("scope", EXCHANGE_APP_ID.to_string()))).await;
    assert_eq!((s, aadsts(&e)), (StatusCode::BAD_REQUEST, 1002012), "{e}");
    let (s, e) = post(form(("resource", EXCHANGE_APP_ID.to_string()))).await;
    assert_eq!((s, aadsts(&e)), (StatusCode::BAD_REQUEST, 901002), "{e}");
    // The v1 endpoint: `resource`, string times, appid.
    let v1_endpoint = format!("{base}/{}/oauth2/token", w.tenant);
    let a = msal_assertion(
        &w,
        "RS256",
        json!({"x5t": c.x5t()}),
        &w.partner,
        &v1_endpoint,
    );
    let r = w
        .http
        .post(&v1_endpoint)
        .form(&[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &a),
            ("resource", &format!("https://{EWS_HOST}")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let t: Value = r.json().await.unwrap();
    assert_eq!(t["resource"], format!("https://{EWS_HOST}"));
    let claims: Value = serde_json::from_slice(
        &crypto::base64url_decode(
            t["access_token"]
                .as_str()
                .unwrap()
                .split('.')
                .nth(1)
                .unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["ver"], "1.0");
    assert_eq!(claims["appid"], SKYPE_APP_ID);
    assert_eq!(claims["aud"], format!("https://{EWS_HOST}"));
}

fn endpoint_of(w: &World) -> String {
    format!("{}/{}/oauth2/v2.0/token", w.cloud.url, w.tenant)
}

/// A POST of the Graph-like API as the tenant administrator.
async fn graph_post(w: &World, path: &str, body: Value) -> (StatusCode, Value) {
    let r = w
        .http
        .post(format!("{}/v1.0/{path}", w.cloud.url))
        .bearer_auth(&w.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_registration_with_admin_consent_gets_tokens_with_its_roles() {
    let w = World::new().await;
    let hybrid_app = CertificateRequest {
        common_name: "Exchange hybrid application".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    // The application, its certificate among its key credentials, asking for full_access_as_app.
    let (s, app) = graph_post(&w, "applications", json!({
        "displayName": "ExchangeServerApp-contoso",
        "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": cert_b64(&hybrid_app.certificate)}],
        "requiredResourceAccess": [{"resourceAppId": EXCHANGE_APP_ID, "resourceAccess": [{"id": cloud::apps::FULL_ACCESS_AS_APP_ID, "type": "Role"}]}],
    }))
    .await;
    assert_eq!(s, StatusCode::CREATED, "{app}");
    let app_id = app["appId"].as_str().unwrap().to_string();
    assert!(
        app["keyCredentials"][0]["key"].is_null(),
        "key values are not returned"
    );
    assert_eq!(
        app["keyCredentials"][0]["customKeyIdentifier"],
        hybrid_app.certificate.thumbprint()
    );
    // A permission Exchange does not define is refused.
    let (s, _) = graph_post(&w, "applications", json!({
        "displayName": "x", "requiredResourceAccess": [{"resourceAppId": EXCHANGE_APP_ID, "resourceAccess": [{"id": "00000000-0000-0000-0000-000000000001", "type": "Role"}]}],
    }))
    .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    // Its service principal; a second is refused.
    let (s, sp) = graph_post(&w, "servicePrincipals", json!({"appId": app_id})).await;
    assert_eq!(s, StatusCode::CREATED, "{sp}");
    let sp_id = sp["id"].as_str().unwrap().to_string();
    assert_eq!(sp["appOwnerOrganizationId"], w.tenant.as_str());
    let (s, _) = graph_post(&w, "servicePrincipals", json!({"appId": app_id})).await;
    assert_eq!(s, StatusCode::CONFLICT);

    let endpoint = format!("{}/{}/oauth2/v2.0/token", w.cloud.url, w.tenant);
    // The application's own key signs for it; before consent the token has no roles.
    let before = app_token_claims(&w, &app_id, &hybrid_app, &endpoint).await;
    assert_eq!(before["azp"], app_id.as_str());
    assert_eq!(before["oid"], sp_id.as_str());
    assert!(before.get("roles").is_none(), "{before}");
    // Admin consent: full_access_as_app on Office 365 Exchange Online.
    let (_, exchange) = w.get(&w.sp_url(EXCHANGE_APP_ID)).await;
    let exchange_id = exchange["id"].as_str().unwrap();
    let (s, grant) = graph_post(&w, &format!("servicePrincipals/{sp_id}/appRoleAssignments"), json!({
        "principalId": sp_id, "resourceId": exchange_id, "appRoleId": cloud::apps::FULL_ACCESS_AS_APP_ID,
    }))
    .await;
    assert_eq!(s, StatusCode::CREATED, "{grant}");
    assert_eq!(grant["resourceDisplayName"], "Office 365 Exchange Online");
    let (s, _) = graph_post(&w, &format!("servicePrincipals/{sp_id}/appRoleAssignments"), json!({
        "principalId": sp_id, "resourceId": exchange_id, "appRoleId": cloud::apps::FULL_ACCESS_AS_APP_ID,
    }))
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "granted once");
    let (s, _) = graph_post(&w, &format!("servicePrincipals/{sp_id}/appRoleAssignments"), json!({
        "principalId": sp_id, "resourceId": exchange_id, "appRoleId": "00000000-0000-0000-0000-000000000001",
    }))
    .await;
    assert_eq!(
        s,
        StatusCode::BAD_REQUEST,
        "a role Exchange does not define"
    );
    let (s, list) = w
        .get(&format!(
            "{}/v1.0/servicePrincipals/{sp_id}/appRoleAssignments",
            w.cloud.url
        ))
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list["value"].as_array().unwrap().len(), 1);
    let after = app_token_claims(&w, &app_id, &hybrid_app, &endpoint).await;
    assert_eq!(after["roles"], json!(["full_access_as_app"]), "{after}");
    // Another certificate does not sign for the application.
    let stranger = CertificateRequest {
        common_name: "stranger".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    let a = hybrid_tests::entra_client_assertion(
        &app_id,
        "RS256",
        json!({"x5t": stranger.certificate.x5t()}),
        &stranger,
        &endpoint,
    );
    let (s, e) = v2_token(
        &w,
        &[
            ("grant_type", "client_credentials"),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &a),
            ("scope", &format!("{EXCHANGE_APP_ID}/.default")),
        ],
    )
    .await;
    assert_eq!((s, aadsts(&e)), (StatusCode::UNAUTHORIZED, 700027), "{e}");
}

/// The claims of a v2 token for Exchange that `app_id` gets with `kp`'s PS256 assertion.
async fn app_token_claims(w: &World, app_id: &str, kp: &KeyPair, endpoint: &str) -> Value {
    let a = hybrid_tests::entra_client_assertion(
        app_id,
        "PS256",
        json!({"x5t#S256": crypto::base64url(&crypto::sha256(kp.certificate.der()))}),
        kp,
        endpoint,
    );
    let (s, t) = v2_token(
        w,
        &[
            ("grant_type", "client_credentials"),
            ("client_id", app_id),
            (
                "client_assertion_type",
                "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ),
            ("client_assertion", &a),
            ("scope", &format!("{EXCHANGE_APP_ID}/.default")),
        ],
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{t}");
    let payload = t["access_token"]
        .as_str()
        .unwrap()
        .split('.')
        .nth(1)
        .unwrap()
        .to_string();
    serde_json::from_slice::<Value>(&crypto::base64url_decode(&payload).unwrap()).unwrap()
}

/// Signs `claims` as the partner (00000004) would, with the header ACS clients write.
fn partner_signed(w: &World, claims: &Value) -> String {
    let header = s2s::Header::rs256(w.partner.certificate.x5t(), false);
    s2s::jwt::sign_json(&header, claims, &w.partner.key)
}

/// The claims of a good ACS client assertion of the partner, to be varied.
fn assertion_claims(w: &World) -> Value {
    json!({
        "aud": Audience::new(ACS_APP_ID, &w.authority(), &w.tenant).to_string(),
        "iss": PrincipalId::new(SKYPE_APP_ID, &w.tenant).to_string(),
        "nbf": now(), "exp": now() + 600,
        "jti": uuid::Uuid::new_v4().to_string(),
    })
}

async fn acs_token(w: &World, assertion: &str, host: Option<&str>) -> (StatusCode, Value) {
    let r = w.resource();
    let mut req = w
        .http
        .post(format!("{}/{}/tokens/OAuth/2", w.cloud.url, w.tenant))
        .form(&[
            ("grant_type", JWT_BEARER),
            ("assertion", assertion),
            ("resource", r.as_str()),
        ]);
    if let Some(h) = host {
        req = req.header(reqwest::header::HOST, h);
    }
    let resp = req.send().await.unwrap();
    (resp.status(), resp.json().await.unwrap_or(Value::Null))
}

/// What an attacker tries at the token endpoint, each refused with its own code: encodings
/// that are not canonical, a replay by identity, no `jti`, lifetimes past the ceiling and at
/// the 64-bit edges, an audience taken from the Host header.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_endpoint_refuses_what_an_attacker_varies() {
    let w = World::new().await;
    let good = w.assertion();
    let (h, p, sig) = s2s::jwt::split(&good).unwrap();
    let noncanonical = [
        format!("{h}.{p}.{sig}="),
        format!("{h}=.{p}.{sig}"),
        format!("{h}.{p}==.{sig}"),
        format!("{h}.{}.{sig}", p.replace('-', "+").replace('_', "/")),
    ];
    for t in &noncanonical {
        if t == &good {
            continue;
        }
        let (s, e) = acs_token(&w, t, None).await;
        assert_eq!(
            (s, aadsts(&e)),
            (StatusCode::BAD_REQUEST, 50027),
            "{t}: {e}"
        );
        assert_eq!(e["error"], "invalid_request");
    }
    // None of those refusals used the assertion up: it is good once, then a replay, also when
    // re-encoded, and also when signed again with the same jti.
    assert_eq!(acs_token(&w, &good, None).await.0, StatusCode::OK);
    for again in [good.clone(), format!("{good}=")] {
        let (s, e) = acs_token(&w, &again, None).await;
        assert_ne!(s, StatusCode::OK, "{e}");
    }
    let claims: Value = s2s::jwt::decode_json(p, "payload").unwrap();
    let mut same_jti = claims.clone();
    same_jti["nbf"] = json!(now() - 1);
    let (s, e) = acs_token(&w, &partner_signed(&w, &same_jti), None).await;
    assert_eq!((s, aadsts(&e)), (StatusCode::UNAUTHORIZED, 700029), "{e}");

    let mut no_jti = assertion_claims(&w);
    no_jti.as_object_mut().unwrap().remove("jti");
    let (s, e) = acs_token(&w, &partner_signed(&w, &no_jti), None).await;
    assert_eq!((s, aadsts(&e)), (StatusCode::BAD_REQUEST, 50027), "{e}");
    assert!(e["error_description"].as_str().unwrap().contains("jti"));

    let t = now();
    for (why, nbf, exp, code) in [
        ("ten years", json!(t), json!(t + 10 * 365 * 86_400), 700024),
        ("nbf at zero", json!(0), json!(t + 60), 700024),
        ("exp at i64::MAX", json!(t), json!(i64::MAX), 50027),
        ("nbf at i64::MIN", json!(i64::MIN), json!(t + 60), 50027),
        ("exp past u64", json!(t), json!(u64::MAX), 50027),
        (
            "exp a huge string",
            json!(t),
            json!("99999999999999999999"),
            50027,
        ),
    ] {
        let mut c = assertion_claims(&w);
        c["nbf"] = nbf;
        c["exp"] = exp;
        let (s, e) = acs_token(&w, &partner_signed(&w, &c), None).await;
        assert_eq!(aadsts(&e), code, "{why}: {e}");
        assert_ne!(s, StatusCode::OK);
    }

    // The audience names another host; the request says it is that host.
    let mut c = assertion_claims(&w);
    c["aud"] = json!(Audience::new(ACS_APP_ID, "sts.attacker.example", &w.tenant).to_string());
    let (s, e) = acs_token(&w, &partner_signed(&w, &c), Some("sts.attacker.example")).await;
    assert_eq!((s, aadsts(&e)), (StatusCode::UNAUTHORIZED, 50013), "{e}");
    // A Host header naming this service changes nothing either.
    let (s, _) = acs_token(&w, &w.assertion(), Some("sts.attacker.example")).await;
    assert_eq!(s, StatusCode::OK);
}

/// Makes the store refuse to record used assertions (a failing statement, as when the
/// database is unavailable), or lets it again.
async fn replay_record_fails(store_url: &str, fail: bool) {
    if store_url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(store_url).await.unwrap();
        let sql: &[&str] = if fail {
            &[
                "CREATE OR REPLACE FUNCTION hybrid_test_refuse() RETURNS trigger AS $$ BEGIN RAISE EXCEPTION 'unavailable'; END $$ LANGUAGE plpgsql",
                "CREATE TRIGGER hybrid_test_refuse BEFORE INSERT ON used_assertions FOR EACH ROW EXECUTE FUNCTION hybrid_test_refuse()",
            ]
        } else {
            &["DROP TRIGGER hybrid_test_refuse ON used_assertions"]
        };
        for q in sql {
            sqlx::query(*q).execute(&pool).await.unwrap();
        }
    } else {
        let path = store_url.trim_start_matches("sqlite://");
        let pool = sqlx::SqlitePool::connect(&format!("sqlite://{path}"))
            .await
            .unwrap();
        let q = if fail {
            "CREATE TRIGGER hybrid_test_refuse BEFORE INSERT ON used_assertions BEGIN SELECT RAISE(ABORT, 'unavailable'); END"
        } else {
            "DROP TRIGGER hybrid_test_refuse"
        };
        sqlx::query(q).execute(&pool).await.unwrap();
    }
}

/// A refusal while the replay record is unavailable (90033) records nothing: the same
/// assertion succeeds when the client retries after recovery, and only once. A disabled client
/// or resource principal gets no token, from this process or another on the same store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_record_leaves_no_use_and_disabled_principals_get_nothing() {
    let mut urls = vec![None];
    if let Some(admin) = hybrid_tests::postgres_admin_url() {
        urls.push(Some(hybrid_tests::fresh_postgres_database(&admin).await));
    }
    for url in urls {
        let w = match url {
            Some(u) => World::on(&u, TempDir::new("record-pg")).await,
            None => World::new().await,
        };
        let store = w.cloud.store.url().to_string();
        let a = w.assertion();
        replay_record_fails(&store, true).await;
        let (s, e) = acs_token(&w, &a, None).await;
        assert_eq!(
            (s, aadsts(&e), e["error"].as_str()),
            (
                StatusCode::SERVICE_UNAVAILABLE,
                90033,
                Some("temporarily_unavailable")
            ),
            "{store}: {e}"
        );
        replay_record_fails(&store, false).await;
        let (s, e) = acs_token(&w, &a, None).await;
        assert_eq!(s, StatusCode::OK, "{store}: the retry after recovery: {e}");
        let (s, e) = acs_token(&w, &a, None).await;
        assert_eq!(aadsts(&e), 700029, "{store}: {s} {e}");

        let second = CloudUnderTest::start_as(&store, &w.cloud.url).await;
        for (app, disabled_code) in [(SKYPE_APP_ID, 7000112), (EXCHANGE_APP_ID, 500014)] {
            let status = w.patch(app, json!({"accountEnabled": false})).await.0;
            assert_eq!(status, StatusCode::NO_CONTENT);
            // The second process learns it from the change feed, within a second.
            tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
            for server in [&w.cloud.url, &second.url] {
                let (s, e) = token_at(&w, server, &w.assertion()).await;
                assert_eq!(
                    (s, aadsts(&e)),
                    (StatusCode::BAD_REQUEST, disabled_code),
                    "{store} {server}: {e}"
                );
            }
            let status = w.patch(app, json!({"accountEnabled": true})).await.0;
            assert_eq!(status, StatusCode::NO_CONTENT);
        }
        tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
        assert_eq!(
            token_at(&w, &second.url, &w.assertion()).await.0,
            StatusCode::OK
        );
    }
}

/// Directory synchronization on both backends: people added, changed, disabled (their sessions
/// ended) and removed; a user made in the cloud is left alone; a request with one bad entry
/// writes nothing; and a password is kept as a salted hash, never in the user's Graph shape.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn directory_synchronization_keeps_the_tenants_users_in_step() {
    let mut urls = vec![None];
    if let Some(admin) = hybrid_tests::postgres_admin_url() {
        urls.push(Some(hybrid_tests::fresh_postgres_database(&admin).await));
    }
    for url in urls {
        let w = match url {
            Some(u) => World::on(&u, TempDir::new("cloud-sync-pg")).await,
            None => World::new().await,
        };
        let person = |id: &str, upn: &str, sid: &str, enabled: bool| {
            json!({"onPremisesImmutableId": id, "onPremisesSecurityIdentifier": sid,
                   "userPrincipalName": upn, "mail": upn, "displayName": upn, "accountEnabled": enabled})
        };
        let sync = |users: Vec<Value>| {
            let w = &w;
            async move {
                let r = w
                    .http
                    .post(format!("{}/admin/directory-sync", w.cloud.url))
                    .bearer_auth(&w.admin)
                    .json(&json!({ "users": users }))
                    .send()
                    .await
                    .unwrap();
                (r.status(), r.json::<Value>().await.unwrap())
            }
        };
        let users = || async {
            let v: Value = w
                .http
                .get(format!("{}/v1.0/users", w.cloud.url))
                .bearer_auth(&w.admin)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            v["value"].as_array().unwrap().clone()
        };
        let alice = person("AAEC", "alice@contoso.com", "S-1-5-21-1-2-3-1001", true);
        let bob = person("AAED", "bob@contoso.com", "S-1-5-21-1-2-3-1002", true);
        let (s, r) = sync(vec![alice.clone(), bob.clone()]).await;
        assert_eq!(s, StatusCode::OK, "{r}");
        assert_eq!(r["added"], json!(["alice@contoso.com", "bob@contoso.com"]));
        // One bad entry: refused, nothing written.
        let bad = person("AAEE", "carol@contoso.com", "not-a-sid", true);
        let (s, _) = sync(vec![alice.clone(), bob.clone(), bad]).await;
        assert_eq!(s, StatusCode::BAD_REQUEST);
        assert_eq!(users().await.len(), 2);
        let r = w
            .http
            .post(format!(
                "{}/admin/users/alice@contoso.com/password",
                w.cloud.url
            ))
            .bearer_auth(&w.admin)
            .json(&json!({"password": "Correct-Horse-7"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let stored = w
            .cloud
            .store
            .directory()
            .list(cloud::users::KIND_USER_PASSWORD, Some(&w.tenant))
            .await
            .unwrap();
        let hash = stored[0].data["hash"].as_str().unwrap().to_string();
        assert!(hash.starts_with("pbkdf2-sha256$600000$") && !hash.contains("Correct-Horse-7"));
        assert!(
            !users()
                .await
                .iter()
                .any(|u| u.to_string().contains("pbkdf2"))
        );
        // Renamed, disabled, removed.
        let renamed = person(
            "AAEC",
            "alice.smith@contoso.com",
            "S-1-5-21-1-2-3-1001",
            false,
        );
        let (_, r) = sync(vec![renamed]).await;
        assert_eq!(r["disabled"], json!(["alice.smith@contoso.com"]));
        assert_eq!(r["removed"], json!(["bob@contoso.com"]));
        let now = users().await;
        assert_eq!(now.len(), 1);
        assert_eq!(now[0]["accountEnabled"], false);
        assert_eq!(now[0]["userPrincipalName"], "alice.smith@contoso.com");
        let (_, r) = sync(vec![person(
            "AAEC",
            "alice.smith@contoso.com",
            "S-1-5-21-1-2-3-1001",
            false,
        )])
        .await;
        assert_eq!(r["unchanged"], 1, "{r}");
    }
}
