//! EWS behind S2S OAuth through real HTTP: the challenge, every inbound error code a client can
//! provoke, RBAC by the linked account, the archiving flow in Recoverable Items\Purges, and XML
//! hardening. Tokens come from the running cloud role (ACS) or from a self-issuing partner
//! registered by its metadata document.

use crypto::{CertificateRequest, KeyPair};
use hybrid_tests::{CloudUnderTest, OnPremUnderTest, TempDir};
use reqwest::StatusCode;
use s2s::ids::{ACS_APP_ID, Audience, EXCHANGE_APP_ID, PrincipalId, SKYPE_APP_ID};
use s2s::token::{ClientAssertion, OuterToken, SelfIssuedActor, UserContext};
use serde_json::{Value, json};

const SHAREPOINT: &str = "00000003-0000-0ff1-ce00-000000000000";
const PARTNER_ID: &str = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";

struct World {
    cloud: CloudUnderTest,
    onprem: OnPremUnderTest,
    tenant: String,
    /// The tenant administrator's credential (Graph).
    admin: String,
    partner: KeyPair,
    /// A self-issuing partner application's key, published by `_metadata`.
    selfissuer: KeyPair,
    _metadata: tokio::task::JoinHandle<()>,
    _dir: TempDir,
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

impl World {
    async fn new() -> World {
        let dir = TempDir::new("ews");
        let cloud = CloudUnderTest::start(&format!("sqlite://{}", dir.path("cloud.db"))).await;
        let partner = CertificateRequest {
            common_name: "SfB".into(),
            ..Default::default()
        }
        .self_signed()
        .unwrap();
        let onprem = OnPremUnderTest::start(&format!("sqlite://{}", dir.path("onprem.db"))).await;
        let trust = admin::Trust::establish(admin::TrustPlan {
            cloud: &cloud.url,
            cloud_operator: &cloud.operator,
            onprem: Some(&onprem.url),
            organization: admin::OrganizationSource::Existing {
                admin: &onprem.admin,
            },
            partner: admin::PartnerKey::Certificate(partner.certificate.to_base64()),
            domain: "contoso.com",
            ews_url: "https://mail.contoso.com/EWS/Exchange.asmx",
            users: &[],
            runbook: true,
            edition: admin::Edition::SkypeForBusiness,
            extra_keys: Vec::new(),
        })
        .await
        .expect("the trust is set up");
        let (tenant, admin) = (trust.tenant_id.clone(), trust.tenant_admin.clone());
        // SharePoint signs with the same key here, and Exchange has a second SPN.
        let key = cloud::model::KeyCredential::verify(&partner.certificate.to_base64(), None);
        for (app, patch) in [
            (
                SHAREPOINT,
                cloud::admin_types::ServicePrincipalPatch {
                    key_credentials: Some(vec![key]),
                    ..Default::default()
                },
            ),
            (
                EXCHANGE_APP_ID,
                cloud::admin_types::ServicePrincipalPatch {
                    service_principal_names: Some(vec![
                        "https://mail.contoso.com/".into(),
                        "https://other.contoso.com/".into(),
                    ]),
                    ..Default::default()
                },
            ),
        ] {
            trust
                .cloud
                .patch_service_principal(app, &patch)
                .await
                .unwrap();
        }
        let id = "contoso.com/Users/SfBOnline-ApplicationAccount".to_string();
        onprem
            .ok(
                "New-Mailbox",
                json!({"Name": "Alice Smith", "Alias": "alice"}),
            )
            .await;
        onprem.ok("New-Mailbox", json!({"Name": "Bob Jones", "Alias": "bob", "UserPrincipalName": "robert@contoso.com"})).await;
        // A self-issuing partner, registered by its metadata document (served here).
        let selfissuer = CertificateRequest {
            common_name: "self-issuer".into(),
            ..Default::default()
        }
        .self_signed()
        .unwrap();
        let doc = s2s::MetadataDocument::exchange(
            "_p",
            PARTNER_ID,
            "fabrikam.com",
            "http://x/",
            &[&selfissuer.certificate],
        )
        .to_json(s2s::metadata::MetadataFlavor::Exchange);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let doc_url = format!("http://{}/metadata/json/1", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/metadata/json/1",
            axum::routing::get(move || async move { doc }),
        );
        let metadata = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        onprem
            .ok(
                "New-PartnerApplication",
                json!({"Name": "Fabrikam", "AuthMetadataUrl": doc_url, "LinkedAccount": id}),
            )
            .await;
        World {
            cloud,
            onprem,
            tenant,
            admin,
            partner,
            selfissuer,
            _metadata: metadata,
            _dir: dir,
        }
    }

    /// An ACS actor token for `client` at `host`, from the cloud's token endpoint.
    async fn actor(&self, client: &str, host: &str) -> Result<String, Value> {
        let authority = self.cloud.url.trim_start_matches("http://");
        let a = ClientAssertion {
            client: &PrincipalId::new(client, &self.tenant),
            audience: &Audience::new(ACS_APP_ID, authority, &self.tenant),
            not_before: now(),
            expires: now() + 600,
            jti: Some(&uuid::Uuid::new_v4().to_string()),
        }
        .sign(&self.partner.key, &self.partner.certificate);
        let resource = format!("{EXCHANGE_APP_ID}/{host}@contoso.com");
        let r = reqwest::Client::new()
            .post(format!("{}/{}/tokens/OAuth/2", self.cloud.url, self.tenant))
            .form(&[
                ("grant_type", "http://oauth.net/grant_type/jwt/1.0/bearer"),
                ("assertion", &a),
                ("resource", &resource),
            ])
            .send()
            .await
            .unwrap();
        let v: Value = r.json().await.unwrap();
        v["access_token"].as_str().map(String::from).ok_or(v)
    }

    /// The outer token for `user` around an actor of `client`.
    async fn act_as(&self, client: &str, user: UserContext) -> String {
        let actor = self.actor(client, "mail.contoso.com").await.unwrap();
        outer(&actor, &PrincipalId::new(client, &self.tenant), &user)
    }

    async fn alice(&self) -> String {
        self.act_as(SKYPE_APP_ID, smtp("alice@contoso.com")).await
    }

    async fn ews(
        &self,
        token: Option<&str>,
        op: &str,
        header: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, String) {
        let body = format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2016"/>{header}</s:Header><s:Body>{op}</s:Body></s:Envelope>"#
        );
        raw(
            &format!("{}/EWS/Exchange.asmx", self.onprem.url),
            token,
            body,
        )
        .await
    }
}

/// The stored handshake events once `enough` says so, or whatever is there after 3 seconds
/// (events are stored in batches, off the request path).
async fn handshake_events(w: &World, enough: impl Fn(&[Value]) -> bool) -> Vec<Value> {
    let started = std::time::Instant::now();
    loop {
        let v: Value = reqwest::Client::new()
            .get(format!("{}/admin/handshakes?after=0", w.onprem.url))
            .bearer_auth(&w.onprem.admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let events = v["Events"].as_array().cloned().unwrap_or_default();
        if enough(&events) || started.elapsed() > std::time::Duration::from_secs(3) {
            return events;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn raw(
    url: &str,
    token: Option<&str>,
    body: String,
) -> (StatusCode, reqwest::header::HeaderMap, String) {
    let mut req = reqwest::Client::new()
        .post(url)
        .header("content-type", "text/xml; charset=utf-8")
        .body(body);
    if let Some(t) = token {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let r = req.send().await.unwrap();
    let (s, h) = (r.status(), r.headers().clone());
    (s, h, r.text().await.unwrap())
}

fn smtp(a: &str) -> UserContext {
    UserContext {
        smtp: Some(a.into()),
        ..Default::default()
    }
}

fn outer(actor: &str, issuer: &PrincipalId, user: &UserContext) -> String {
    let jwt = s2s::Jwt::decode(actor).unwrap();
    let aud = Audience::parse(jwt.claims.aud.as_deref().unwrap()).unwrap();
    OuterToken {
        actor_token: actor,
        audience: &aud,
        issuer,
        not_before: now(),
        expires: now() + 3600,
        user,
    }
    .encode()
}

/// Each (why, token, code): GetFolder with the token is refused 401 with the code's
/// `x-ms-diagnostics` and an `invalid_token` challenge.
async fn refused_each(w: &World, cases: Vec<(&str, String, s2s::ErrorCode)>) {
    for (why, token, code) in cases {
        let (s, h, _) = w.ews(Some(&token), GET_INBOX, "").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{why}");
        let (category, reason) = diagnostics(&h);
        assert_eq!(category, code.category(), "{why}: {reason}");
        assert!(
            reason.starts_with(&code.template()[..20.min(code.template().len())]),
            "{why}: {reason}"
        );
        assert!(
            header(&h, "www-authenticate").ends_with("error=\"invalid_token\""),
            "{why}"
        );
    }
}

const GET_INBOX: &str = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;

fn header(h: &reqwest::header::HeaderMap, name: &str) -> String {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string()
}

/// The x-ms-diagnostics of a rejected request: (category, reason).
fn diagnostics(h: &reqwest::header::HeaderMap) -> (u32, String) {
    let d = s2s::Diagnostics::parse(&header(h, "x-ms-diagnostics"))
        .unwrap_or_else(|e| panic!("{e}: {h:?}"));
    (d.category, d.reason)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn challenge_and_inbound_error_codes() {
    let w = World::new().await;
    // No token, or an empty Bearer: the challenge, without an error.
    for token in [None, Some("")] {
        let (s, h, _) = w.ews(token, GET_INBOX, "").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let c = s2s::BearerChallenge::parse(&header(&h, "www-authenticate")).unwrap();
        assert_eq!(c.client_id.as_deref(), Some(EXCHANGE_APP_ID));
        assert!(
            c.trusted_issuers
                .contains(&format!("{ACS_APP_ID}@{}", w.tenant)),
            "{c:?}"
        );
        assert!(
            c.trusted_issuers
                .contains(&format!("{PARTNER_ID}@fabrikam.com"))
        );
        assert_eq!(c.error, None);
        assert!(h.get("connection").is_none_or(|v| v != "close"));
    }
    // A good token works.
    let (s, _, body) = w.ews(Some(&w.alice().await), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(body.contains("ResponseClass=\"Success\"") && body.contains("ServerVersionInfo"));

    let other_host = outer(
        &w.actor(SKYPE_APP_ID, "other.contoso.com").await.unwrap(),
        &PrincipalId::new(SKYPE_APP_ID, &w.tenant),
        &smtp("alice@contoso.com"),
    );
    let sharepoint = w.act_as(SHAREPOINT, smtp("alice@contoso.com")).await;
    let nobody = w.act_as(SKYPE_APP_ID, smtp("nobody@contoso.com")).await;
    let ambiguous = w
        .act_as(
            SKYPE_APP_ID,
            UserContext {
                smtp: Some("alice@contoso.com".into()),
                upn: Some("robert@contoso.com".into()),
                nii: Some("urn:federation:MicrosoftOnline".into()),
                ..Default::default()
            },
        )
        .await;
    let forged = {
        let mut parts: Vec<String> = w
            .actor(SKYPE_APP_ID, "mail.contoso.com")
            .await
            .unwrap()
            .split('.')
            .map(String::from)
            .collect();
        parts[2] = crypto::base64url(&w.selfissuer.key.sign_rs256(b"not the signing input"));
        outer(
            &parts.join("."),
            &PrincipalId::new(SKYPE_APP_ID, &w.tenant),
            &smtp("alice@contoso.com"),
        )
    };
    let self_issued = |exp: i64, host: &str| {
        let issuer = PrincipalId::new(PARTNER_ID, "fabrikam.com");
        let aud = Audience::new(EXCHANGE_APP_ID, host, "contoso.com");
        let actor = SelfIssuedActor {
            issuer: &issuer,
            audience: &aud,
            not_before: exp - 3600,
            expires: exp,
        }
        .sign(&w.selfissuer.key, &w.selfissuer.certificate);
        OuterToken {
            actor_token: &actor,
            audience: &aud,
            issuer: &issuer,
            not_before: now(),
            expires: now() + 600,
            user: &smtp("alice@contoso.com"),
        }
        .encode()
    };
    let unknown_issuer = {
        let stranger = CertificateRequest::default().self_signed().unwrap();
        let issuer = PrincipalId::new("cccccccc-0000-0000-0000-000000000000", "fabrikam.com");
        let aud = Audience::new(EXCHANGE_APP_ID, "mail.contoso.com", "contoso.com");
        SelfIssuedActor {
            issuer: &issuer,
            audience: &aud,
            not_before: now(),
            expires: now() + 600,
        }
        .sign(&stranger.key, &stranger.certificate)
    };
    let cases: Vec<(&str, String, s2s::ErrorCode)> = vec![
        (
            "garbage",
            "not.a.token".into(),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "host not this server",
            other_host,
            s2s::ErrorCode::UnexpectedHostNameInAudience,
        ),
        (
            "forged actor signature",
            forged,
            s2s::ErrorCode::InvalidSignature,
        ),
        (
            "expired self-issued token",
            self_issued(now() - 4000, "mail.contoso.com"),
            s2s::ErrorCode::TokenExpired,
        ),
        (
            "unknown issuer",
            unknown_issuer,
            s2s::ErrorCode::NoConfiguredIssuerMatched,
        ),
        (
            "no partner application for SharePoint",
            sharepoint,
            s2s::ErrorCode::NoMatchingPartnerAppFound,
        ),
        (
            "user not found",
            nobody,
            s2s::ErrorCode::NoUserFoundWithGivenClaims,
        ),
        (
            "user ambiguous",
            ambiguous,
            s2s::ErrorCode::MoreThan1UserFoundWithGivenClaims,
        ),
    ];
    refused_each(&w, cases).await;
    // The self-issuing partner's good token is accepted.
    let (s, _, body) = w
        .ews(
            Some(&self_issued(now() + 600, "mail.contoso.com")),
            GET_INBOX,
            "",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rbac_by_the_linked_account() {
    let w = World::new().await;
    let archive_header = "<t:ManagementRole><t:ApplicationRoles><t:Role>ArchiveApplication</t:Role></t:ApplicationRoles></t:ManagementRole>";
    // An app-only token (the actor alone) cannot act for a user.
    let app_only = w.actor(SKYPE_APP_ID, "mail.contoso.com").await.unwrap();
    let (s, _, body) = w.ews(Some(&app_only), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.starts_with("<?xml") && body.contains("ErrorAccessDenied"),
        "{body}"
    );
    // UserApplication methods only: ArchiveApplication does not grant GetFolder.
    let (_, _, body) = w
        .ews(Some(&w.alice().await), GET_INBOX, archive_header)
        .await;
    assert!(body.contains("ErrorAccessDenied"), "{body}");
    // Without UserApplication, nothing; without ArchiveApplication, no UpdateItemInRecoverableItems.
    w.onprem
        .ok(
            "Remove-ManagementRoleAssignment",
            json!({"Identity": "UserApplication-SfBOnline-ApplicationAccount", "Confirm": false}),
        )
        .await;
    let (_, _, body) = w.ews(Some(&w.alice().await), GET_INBOX, "").await;
    assert!(
        body.contains("ErrorAccessDenied") && body.contains("no UserApplication role"),
        "{body}"
    );
    w.onprem
        .ok(
            "New-ManagementRoleAssignment",
            json!({"Role": "UserApplication", "User": "SfBOnline-ApplicationAccount"}),
        )
        .await;
    w.onprem
        .ok(
            "Remove-ManagementRoleAssignment",
            json!({"Identity": "ArchiveApplication-SfBOnline-ApplicationAccount", "Confirm": false}),
        )
        .await;
    let update = r#"<m:UpdateItemInRecoverableItems><m:ItemId Id="x"/><m:Updates/><m:MakeItemImmutable>true</m:MakeItemImmutable></m:UpdateItemInRecoverableItems>"#;
    let (_, _, body) = w.ews(Some(&w.alice().await), update, archive_header).await;
    assert!(
        body.contains("ErrorAccessDenied") && body.contains("no ArchiveApplication role"),
        "{body}"
    );
    // A partner application without a linked account: 403.
    w.onprem
        .ok(
            "Set-PartnerApplication",
            json!({"Identity": "SfBOnline", "LinkedAccount": ""}),
        )
        .await;
    let (s, _, _) = w.ews(Some(&w.alice().await), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}

/// A token accepted once is remembered, but never past a change of the trust: the same token,
/// presented again after its partner application is disabled, is refused (7001), and accepted
/// again once it is enabled.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remembered_decision_does_not_outlive_a_trust_change() {
    let w = World::new().await;
    let alice = w.alice().await;
    for _ in 0..3 {
        let (s, _, body) = w.ews(Some(&alice), GET_INBOX, "").await;
        assert_eq!(s, StatusCode::OK, "{body}");
    }
    let set =
        |enabled: bool| json!({"Identity": "SfBOnline", "Enabled": enabled, "Confirm": false});
    w.onprem.ok("Set-PartnerApplication", set(false)).await;
    let mut refused = None;
    for _ in 0..60 {
        let (s, h, _) = w.ews(Some(&alice), GET_INBOX, "").await;
        if s == StatusCode::UNAUTHORIZED {
            refused = Some(diagnostics(&h).0);
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        refused,
        Some(2000006),
        "the same token, once its application is disabled"
    );
    w.onprem.ok("Set-PartnerApplication", set(true)).await;
    let mut accepted = false;
    for _ in 0..60 {
        if w.ews(Some(&alice), GET_INBOX, "").await.0 == StatusCode::OK {
            accepted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(accepted);
}

fn item_id(body: &str) -> String {
    let i = body.find("<t:ItemId Id=\"").expect("an ItemId") + 14;
    body[i..i + body[i..].find('"').unwrap()].to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_a_chat_into_purges() {
    let w = World::new().await;
    let token = w.alice().await;
    let archive = "<t:ManagementRole><t:ApplicationRoles><t:Role>ArchiveApplication</t:Role></t:ApplicationRoles></t:ManagementRole>";
    let create = r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="recoverableitemspurges"/></m:SavedItemFolderId><m:Items><t:Message><t:ItemClass>IPM.Note.Microsoft.Conversation</t:ItemClass><t:Subject>IM with Bob</t:Subject><t:Body BodyType="HTML">&lt;p&gt;hi&lt;/p&gt;</t:Body></t:Message></m:Items></m:CreateItem>"#;
    let (s, _, body) = w.ews(Some(&token), create, "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let id = item_id(&body);
    let finalize = format!(
        r#"<m:UpdateItemInRecoverableItems><m:ItemId Id="{id}"/><m:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>IM with Bob (archived)</t:Subject></t:Message></t:SetItemField></m:Updates><m:MakeItemImmutable>true</m:MakeItemImmutable></m:UpdateItemInRecoverableItems>"#
    );
    let (_, _, body) = w.ews(Some(&token), &finalize, archive).await;
    assert!(
        body.contains("UpdateItemInRecoverableItemsResponseMessage ResponseClass=\"Success\""),
        "{body}"
    );
    // Immutable now: not a draft, cannot be changed, moved or deleted.
    let (_, _, body) = w.ews(Some(&token), &finalize, archive).await;
    assert!(body.contains("ErrorInvalidOperation"), "{body}");
    let update = format!(
        r#"<m:UpdateItem ConflictResolution="AutoResolve" MessageDisposition="SaveOnly"><m:ItemChanges><t:ItemChange><t:ItemId Id="{id}"/><t:Updates><t:SetItemField><t:FieldURI FieldURI="item:Subject"/><t:Message><t:Subject>x</t:Subject></t:Message></t:SetItemField></t:Updates></t:ItemChange></m:ItemChanges></m:UpdateItem>"#
    );
    let (_, _, body) = w.ews(Some(&token), &update, "").await;
    assert!(body.contains("immutable"), "{body}");
    let delete = format!(
        r#"<m:DeleteItem DeleteType="HardDelete"><m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:DeleteItem>"#
    );
    let (_, _, body) = w.ews(Some(&token), &delete, "").await;
    assert!(body.contains("immutable"), "{body}");
    let get = format!(
        r#"<m:GetItem><m:ItemShape><t:BaseShape>AllProperties</t:BaseShape></m:ItemShape><m:ItemIds><t:ItemId Id="{id}"/></m:ItemIds></m:GetItem>"#
    );
    let (_, _, body) = w.ews(Some(&token), &get, "").await;
    assert!(
        body.contains("<t:Subject>IM with Bob (archived)</t:Subject>")
            && body.contains("<t:IsDraft>false</t:IsDraft>"),
        "{body}"
    );
    assert!(body.contains("<t:ItemClass>IPM.Note.Microsoft.Conversation</t:ItemClass>"));
    // Only items in Purges qualify.
    let in_inbox = create.replace("recoverableitemspurges", "inbox");
    let (_, _, body) = w.ews(Some(&token), &in_inbox, "").await;
    let other = item_id(&body);
    let (_, _, body) = w
        .ews(Some(&token), &finalize.replace(&id, &other), archive)
        .await;
    assert!(
        body.contains("ErrorInvalidOperation") && body.contains("Purges"),
        "{body}"
    );
    // Bob cannot see Alice's item.
    let bob = w.act_as(SKYPE_APP_ID, smtp("bob@contoso.com")).await;
    let (_, _, body) = w.ews(Some(&bob), &get, "").await;
    assert!(body.contains("ErrorItemNotFound"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn xml_hardening_and_unknown_operations() {
    let w = World::new().await;
    let token = w.alice().await;
    let url = format!("{}/ews/exchange.asmx", w.onprem.url);
    for (why, body) in [
        ("a DTD", r#"<?xml version="1.0"?><!DOCTYPE s [<!ENTITY x "y">]><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body/></s:Envelope>"#.to_string()),
        ("deep nesting", format!(r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Body>{}{}</s:Body></s:Envelope>"#, "<a>".repeat(100), "</a>".repeat(100))),
        ("not XML", "hello".to_string()),
        ("not SOAP", "<x/>".to_string()),
    ] {
        let (s, _, text) = raw(&url, Some(&token), body).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{why}");
        assert!(text.starts_with("<?xml") && text.contains("ErrorSchemaValidation"), "{why}: {text}");
    }
    let (s, _, text) = w.ews(Some(&token), "<m:GetUserPhoto/>", "").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(text.contains("ErrorInvalidOperation"), "{text}");
    // What is not an EWS operation at all is an invalid request, as Exchange answers it.
    let (s, _, text) = w.ews(Some(&token), "<m:NotAnOperation/>", "").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(text.contains("ErrorInvalidRequest"), "{text}");
    // A subscription that names no kind of subscription is not one.
    let (s, _, text) = w.ews(Some(&token), "<m:Subscribe/>", "").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(text.contains("ErrorSchemaValidation"), "{text}");
    // An automatic-reply request must name its mailbox (a schema error, as in Exchange).
    let (s, _, text) = w
        .ews(Some(&token), "<m:GetUserOofSettingsRequest/>", "")
        .await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(text.contains("ErrorSchemaValidation"), "{text}");
    let (s, _, _) = raw(&url, Some(&token), "x".repeat(9 * 1024 * 1024)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autodiscover_soap_and_pox() {
    let w = World::new().await;
    let token = w.alice().await;
    let soap = |who: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:a="http://schemas.microsoft.com/exchange/2010/Autodiscover"><s:Header><a:RequestedServerVersion>Exchange2016</a:RequestedServerVersion></s:Header><s:Body><a:GetUserSettingsRequestMessage><a:Request><a:Users><a:User><a:Mailbox>{who}</a:Mailbox></a:User></a:Users><a:RequestedSettings><a:Setting>AutoDiscoverSMTPAddress</a:Setting><a:Setting>ExternalEwsUrl</a:Setting><a:Setting>InternalEwsUrl</a:Setting><a:Setting>MadeUpSetting</a:Setting></a:RequestedSettings></a:Request></a:GetUserSettingsRequestMessage></s:Body></s:Envelope>"#
        )
    };
    let url = format!("{}/autodiscover/autodiscover.svc", w.onprem.url);
    let (s, _, body) = raw(&url, Some(&token), soap("alice@contoso.com")).await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let doc = ews::xml::parse(&body).unwrap();
    let user = doc
        .child("Body")
        .unwrap()
        .child("GetUserSettingsResponseMessage")
        .unwrap()
        .child("Response")
        .unwrap()
        .child("UserResponses")
        .unwrap()
        .child("UserResponse")
        .unwrap();
    assert_eq!(user.child_text("ErrorCode").as_deref(), Some("NoError"));
    let settings: Vec<(String, String)> = user
        .child("UserSettings")
        .unwrap()
        .children_named("UserSetting")
        .map(|s| {
            (
                s.child_text("Name").unwrap(),
                s.child_text("Value").unwrap(),
            )
        })
        .collect();
    assert!(
        settings.contains(&(
            "ExternalEwsUrl".into(),
            "https://mail.contoso.com/EWS/Exchange.asmx".into()
        )),
        "{settings:?}"
    );
    assert!(settings.contains(&(
        "InternalEwsUrl".into(),
        format!("{}/EWS/Exchange.asmx", w.onprem.url)
    )));
    assert!(settings.contains(&("AutoDiscoverSMTPAddress".into(), "alice@contoso.com".into())));
    assert!(
        !settings.iter().any(|(n, _)| n == "MadeUpSetting"),
        "only known settings are returned"
    );
    let (_, _, body) = raw(&url, Some(&token), soap("nobody@contoso.com")).await;
    assert!(
        body.contains("<ErrorCode>InvalidUser</ErrorCode>"),
        "{body}"
    );
    let (s, _, _) = raw(&url, None, soap("alice@contoso.com")).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);

    let pox = |who: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>{who}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>"#
        )
    };
    let url = format!("{}/Autodiscover/Autodiscover.xml", w.onprem.url);
    let (s, _, body) = raw(&url, Some(&token), pox("alice@contoso.com")).await;
    assert_eq!(s, StatusCode::OK);
    let doc = ews::xml::parse(&body).unwrap();
    let account = doc.child("Response").unwrap().child("Account").unwrap();
    let expr = account
        .children_named("Protocol")
        .find(|p| p.child_text("Type").as_deref() == Some("EXPR"))
        .unwrap();
    assert_eq!(
        expr.child_text("EwsUrl").as_deref(),
        Some("https://mail.contoso.com/EWS/Exchange.asmx")
    );
    let (_, _, body) = raw(&url, Some(&token), pox("nobody@contoso.com")).await;
    assert!(body.contains("The email address can't be found."), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_a_handshake_event() {
    let w = World::new().await;
    let token = w.alice().await;
    w.ews(Some(&token), GET_INBOX, "").await;
    w.ews(None, GET_INBOX, "").await;
    w.ews(
        Some(&w.act_as(SKYPE_APP_ID, smtp("nobody@contoso.com")).await),
        GET_INBOX,
        "",
    )
    .await;
    let events = handshake_events(&w, |e| e.len() >= 3).await;
    let outcomes: Vec<&str> = events
        .iter()
        .map(|e| e["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(
        outcomes,
        ["accepted", "challenged", "rejected"],
        "{events:?}"
    );
    let ok = &events[0];
    assert_eq!(ok["issuer"], format!("{ACS_APP_ID}@{}", w.tenant));
    assert_eq!(ok["nameid"], format!("{SKYPE_APP_ID}@{}", w.tenant));
    assert_eq!(ok["user"], "alice@contoso.com");
    assert_eq!(ok["tokenKind"], "S2SAppActAs");
    assert!(ok["digest"].as_str().unwrap().starts_with("sha256:"));
    assert_eq!(events[2]["errorCode"], 6001);
    let text = serde_json::to_string(&events).unwrap();
    assert!(!text.contains(&token[..40]), "no token in the log");
}

/// One typed request; its response messages.
async fn call(w: &World, token: &str, op: ews::Operation) -> Vec<ews::ResponseMessage> {
    let (status, _, body) = raw(
        &format!("{}/EWS/Exchange.asmx", w.onprem.url),
        Some(token),
        ews::Request::new(op).to_xml(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    ews::Response::parse(&body).unwrap().messages
}

fn folders_of(m: &ews::ResponseMessage) -> Vec<ews::Folder> {
    match &m.payload {
        ews::Payload::Folders(f) => f.clone(),
        ews::Payload::FoundFolders(r) => r.entries.clone(),
        other => panic!("no folders in {other:?} ({m:?})"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn folders_are_created_copied_moved_and_deleted_with_exchanges_rules() {
    let w = World::new().await;
    let t = w.alice().await;
    let d = ews::FolderRef::distinguished;
    let id_of =
        |m: &ews::ResponseMessage| ews::FolderRef::Id(folders_of(m)[0].folder_id.clone().unwrap());
    let size = ews::ExtendedFieldUri {
        property_tag: Some("0x6670".into()),
        property_type: "Integer".into(),
        ..Default::default()
    };
    let mut folder = ews::Folder {
        kind: "Folder".into(),
        display_name: Some("Work".into()),
        folder_class: Some("IPF.Note".into()),
        extended: vec![ews::ExtendedProperty::new(size.clone(), "7")],
        ..Default::default()
    };
    let made = call(
        &w,
        &t,
        ews::Operation::CreateFolder(ews::CreateFolder {
            parent_folder_id: Some(d("inbox")),
            folders: vec![folder.clone()],
        }),
    )
    .await;
    let work = id_of(&made[0]);
    folder.display_name = Some("Sub".into());
    let sub = id_of(
        &call(
            &w,
            &t,
            ews::Operation::CreateFolder(ews::CreateFolder {
                parent_folder_id: Some(work.clone()),
                folders: vec![folder.clone()],
            }),
        )
        .await[0],
    );
    // The name is taken under the same parent, whatever its case.
    folder.display_name = Some("WORK".into());
    let again = call(
        &w,
        &t,
        ews::Operation::CreateFolder(ews::CreateFolder {
            parent_folder_id: Some(d("inbox")),
            folders: vec![folder.clone()],
        }),
    )
    .await;
    assert_eq!(again[0].code, "ErrorFolderExists");
    // Its extended property reads back as written.
    let all = ews::Shape {
        base: ews::BaseShape::AllProperties,
        ..Default::default()
    };
    let got = call(
        &w,
        &t,
        ews::Operation::GetFolder(ews::GetFolder {
            shape: all.clone(),
            folder_ids: vec![work.clone()],
        }),
    )
    .await;
    let f = &folders_of(&got[0])[0];
    assert_eq!(
        (f.display_name.as_deref(), f.child_folder_count),
        (Some("Work"), Some(1))
    );
    assert_eq!(f.extended[0].values, vec!["7"]);
    // Distinguished folders are neither deleted nor moved; a folder never goes below itself.
    let del = call(
        &w,
        &t,
        ews::Operation::DeleteFolder(ews::DeleteFolder {
            delete_type: "HardDelete".into(),
            folder_ids: vec![d("inbox")],
        }),
    )
    .await;
    assert_eq!(del[0].code, "ErrorDeleteDistinguishedFolder");
    let mv = call(
        &w,
        &t,
        ews::Operation::MoveFolder(ews::MoveFolder {
            to_folder_id: Some(d("drafts")),
            folder_ids: vec![d("inbox")],
        }),
    )
    .await;
    assert_eq!(mv[0].code, "ErrorMoveDistinguishedFolder");
    let mv = call(
        &w,
        &t,
        ews::Operation::MoveFolder(ews::MoveFolder {
            to_folder_id: Some(sub.clone()),
            folder_ids: vec![work.clone()],
        }),
    )
    .await;
    assert_eq!(mv[0].code, "ErrorMoveCopyFailed");
    // A copy takes the subfolders and items with it.
    let mut item = ews::Item::new("Message");
    item.subject = Some("in sub".into());
    let created = call(
        &w,
        &t,
        ews::Operation::CreateItem(ews::CreateItem {
            message_disposition: Some("SaveOnly".into()),
            send_meeting_invitations: None,
            saved_item_folder_id: Some(sub.clone()),
            items: vec![item],
        }),
    )
    .await;
    assert!(!created[0].is_error(), "{created:?}");
    let copied = call(
        &w,
        &t,
        ews::Operation::CopyFolder(ews::CopyFolder {
            to_folder_id: Some(d("msgfolderroot")),
            folder_ids: vec![work.clone()],
        }),
    )
    .await;
    let copy = id_of(&copied[0]);
    assert_ne!(copy, work);
    let deep = ews::Find {
        traversal: ews::Traversal::Deep,
        shape: all.clone(),
        restriction: Some(ews::Restriction::Compare {
            op: ews::ComparisonOp::IsEqualTo,
            path: Some(ews::PropertyPath::field("folder:DisplayName")),
            constant: Some("sub".into()),
        }),
        parent_folder_ids: vec![copy.clone()],
        ..Default::default()
    };
    let found = call(&w, &t, ews::Operation::FindFolder(deep)).await;
    let copied_sub = folders_of(&found[0]);
    assert_eq!(copied_sub.len(), 1);
    assert_eq!(copied_sub[0].total_count, Some(1));
    // Soft delete moves it into Recoverable Items\Deletions; hard delete removes the copy.
    let soft = call(
        &w,
        &t,
        ews::Operation::DeleteFolder(ews::DeleteFolder {
            delete_type: "SoftDelete".into(),
            folder_ids: vec![work.clone()],
        }),
    )
    .await;
    assert!(!soft[0].is_error(), "{soft:?}");
    let shallow = ews::Find {
        shape: all.clone(),
        parent_folder_ids: vec![d("recoverableitemsdeletions")],
        ..Default::default()
    };
    let deletions = call(&w, &t, ews::Operation::FindFolder(shallow)).await;
    assert_eq!(
        folders_of(&deletions[0])[0].display_name.as_deref(),
        Some("Work")
    );
    let hard = call(
        &w,
        &t,
        ews::Operation::DeleteFolder(ews::DeleteFolder {
            delete_type: "HardDelete".into(),
            folder_ids: vec![copy.clone()],
        }),
    )
    .await;
    assert!(!hard[0].is_error(), "{hard:?}");
    let gone = call(
        &w,
        &t,
        ews::Operation::GetFolder(ews::GetFolder {
            shape: all,
            folder_ids: vec![copy],
        }),
    )
    .await;
    assert_eq!(gone[0].code, "ErrorFolderNotFound");
}

fn created_id(m: &ews::ResponseMessage) -> ews::ItemId {
    match &m.payload {
        ews::Payload::Items(items) => items[0].item_id.clone().unwrap(),
        other => panic!("no item in {other:?} ({m:?})"),
    }
}

fn file(name: &str, bytes: &[u8]) -> ews::Attachment {
    use base64::Engine;
    ews::Attachment {
        attachment_id: None,
        name: Some(name.into()),
        content_type: Some("application/octet-stream".into()),
        content_id: None,
        content_location: None,
        size: None,
        last_modified_time: None,
        is_inline: None,
        content: ews::AttachmentContent::File {
            content: Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
            is_contact_photo: None,
        },
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attachments_are_bounded_shared_by_copies_and_collected_when_unreferenced() {
    let w = World::new().await;
    let t = w.alice().await;
    let mut msg = ews::Item::new("Message");
    msg.subject = Some("with a file".into());
    msg.attachments = Some(vec![file("a.bin", &[7u8; 1000])]);
    let made = call(
        &w,
        &t,
        ews::Operation::CreateItem(ews::CreateItem {
            message_disposition: Some("SaveOnly".into()),
            send_meeting_invitations: None,
            saved_item_folder_id: Some(ews::FolderRef::distinguished("drafts")),
            items: vec![msg],
        }),
    )
    .await;
    let id = created_id(&made[0]);
    // A copy refers to the same stored content: still one blob.
    let copied = call(
        &w,
        &t,
        ews::Operation::CopyItem(ews::CopyItem {
            to_folder_id: Some(ews::FolderRef::distinguished("inbox")),
            item_ids: vec![id.clone()],
        }),
    )
    .await;
    assert!(!copied[0].is_error(), "{copied:?}");
    let repo = w.onprem.store.mailboxes();
    let digest = hex_sha256(&[7u8; 1000]);
    assert_eq!(repo.blob(&digest).await.unwrap().unwrap().len(), 1000);
    // Over the limit: refused with Exchange's code, nothing stored.
    let big = vec![1u8; mailbox::MAX_ATTACHMENT_BYTES + 1];
    let refused = call(
        &w,
        &t,
        ews::Operation::CreateAttachment(ews::CreateAttachment {
            parent_item_id: Some(id.clone()),
            attachments: vec![file("big.bin", &big)],
        }),
    )
    .await;
    assert_eq!(refused[0].code, "ErrorAttachmentSizeLimitExceeded");
    assert!(repo.blob(&hex_sha256(&big)).await.unwrap().is_none());
    // While either item refers to it, collection keeps it; once both are gone it goes.
    assert_eq!(repo.collect_blobs(i64::MAX).await.unwrap(), 0);
    for m in [&made[0], &copied[0]] {
        let gone = call(
            &w,
            &t,
            ews::Operation::DeleteItem(ews::DeleteItem {
                delete_type: "HardDelete".into(),
                send_meeting_cancellations: None,
                item_ids: vec![created_id(m)],
            }),
        )
        .await;
        assert!(!gone[0].is_error(), "{gone:?}");
    }
    assert_eq!(repo.collect_blobs(i64::MAX).await.unwrap(), 1);
    assert!(repo.blob(&digest).await.unwrap().is_none());
}

fn hex_sha256(bytes: &[u8]) -> String {
    mailbox::attachment_digest(bytes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mark_all_items_as_read_keeps_the_counts() {
    let w = World::new().await;
    let t = w.alice().await;
    let items: Vec<ews::Item> = (0..3)
        .map(|i| {
            let mut m = ews::Item::new("Message");
            m.subject = Some(format!("unread {i}"));
            m.is_read = Some(false);
            m
        })
        .collect();
    call(
        &w,
        &t,
        ews::Operation::CreateItem(ews::CreateItem {
            message_disposition: Some("SaveOnly".into()),
            send_meeting_invitations: None,
            saved_item_folder_id: Some(ews::FolderRef::distinguished("drafts")),
            items,
        }),
    )
    .await;
    let unread = |shape| {
        ews::Operation::GetFolder(ews::GetFolder {
            shape,
            folder_ids: vec![ews::FolderRef::distinguished("drafts")],
        })
    };
    let all = ews::Shape {
        base: ews::BaseShape::AllProperties,
        ..Default::default()
    };
    let before = call(&w, &t, unread(all.clone())).await;
    assert_eq!(folders_of(&before[0])[0].unread_count, Some(3));
    let done = call(
        &w,
        &t,
        ews::Operation::MarkAllItemsAsRead(ews::MarkAllItemsAsRead {
            read_flag: true,
            suppress_read_receipts: true,
            folder_ids: vec![ews::FolderRef::distinguished("drafts")],
        }),
    )
    .await;
    assert!(!done[0].is_error(), "{done:?}");
    let after = call(&w, &t, unread(all)).await;
    assert_eq!(folders_of(&after[0])[0].unread_count, Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_configuration_states_mail_tips_and_unified_messaging() {
    let w = World::new().await;
    let t = w.alice().await;
    let asked = |names: &[&str]| {
        ews::Operation::GetServiceConfiguration(ews::GetServiceConfiguration {
            requested: names.iter().map(|n| n.to_string()).collect(),
        })
    };
    let got = call(
        &w,
        &t,
        asked(&["MailTips", "UnifiedMessagingConfiguration"]),
    )
    .await;
    let ews::Payload::ServiceConfiguration(c) = &got[0].payload else {
        panic!("{got:?}");
    };
    let tips = c.mail_tips.as_ref().unwrap();
    assert!(tips.enabled && tips.internal_domains.contains(&"contoso.com".to_string()));
    assert!(c.unified_messaging.as_ref().unwrap().um_enabled);
    let only = call(&w, &t, asked(&["UnifiedMessagingConfiguration"])).await;
    let ews::Payload::ServiceConfiguration(c) = &only[0].payload else {
        panic!("{only:?}");
    };
    assert!(c.mail_tips.is_none());
    // An organization without protection rules: an empty set, and the internal domains.
    let rules = call(&w, &t, asked(&["ProtectionRules"])).await;
    let ews::Payload::ServiceConfiguration(c) = &rules[0].payload else {
        panic!("{rules:?}");
    };
    let p = c.protection_rules.as_ref().unwrap();
    assert!(p.refresh_interval > 0 && p.internal_domains.contains(&"contoso.com".to_string()));
    let refused = call(&w, &t, asked(&["PolicyNudges"])).await;
    assert_eq!(refused[0].code, "ErrorInvalidOperation");
}

/// Graph POST as the tenant administrator.
async fn graph(w: &World, path: &str, body: Value) -> Value {
    let r = reqwest::Client::new()
        .post(format!("{}/v1.0/{path}", w.cloud.url))
        .bearer_auth(&w.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{path}: {}", r.status());
    r.json().await.unwrap()
}

/// An application registered in the tenant with its own certificate and (when `consent`)
/// admin consent to Office 365 Exchange Online's full_access_as_app.
async fn entra_application(w: &World, consent: bool) -> (String, KeyPair) {
    let kp = CertificateRequest {
        common_name: "entra-client".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    let app = graph(w, "applications", json!({
        "displayName": "EWS reader",
        "keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": kp.certificate.to_base64()}],
        "requiredResourceAccess": [{"resourceAppId": EXCHANGE_APP_ID, "resourceAccess": [{"id": cloud::apps::FULL_ACCESS_AS_APP_ID, "type": "Role"}]}],
    }))
    .await;
    let app_id = app["appId"].as_str().unwrap().to_string();
    let sp = graph(w, "servicePrincipals", json!({"appId": app_id})).await;
    if consent {
        let exchange: Value = reqwest::Client::new()
            .get(format!(
                "{}/v1.0/servicePrincipals(appId='{EXCHANGE_APP_ID}')",
                w.cloud.url
            ))
            .bearer_auth(&w.admin)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let sp_id = sp["id"].as_str().unwrap();
        graph(w, &format!("servicePrincipals/{sp_id}/appRoleAssignments"), json!({
            "principalId": sp_id, "resourceId": exchange["id"], "appRoleId": cloud::apps::FULL_ACCESS_AS_APP_ID,
        }))
        .await;
    }
    (app_id, kp)
}

/// A token from the Entra endpoints: v2 with `scope` or v1 with `resource`.
async fn entra_token(w: &World, app_id: &str, kp: &KeyPair, v2: bool, target: &str) -> String {
    let path = if v2 {
        "oauth2/v2.0/token"
    } else {
        "oauth2/token"
    };
    let endpoint = format!("{}/{}/{path}", w.cloud.url, w.tenant);
    let x5t = kp.certificate.x5t().to_string();
    let assertion =
        hybrid_tests::entra_client_assertion(app_id, "RS256", json!({"x5t": x5t}), kp, &endpoint);
    let mut form = vec![
        ("grant_type", "client_credentials".to_string()),
        ("client_id", app_id.to_string()),
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer".into(),
        ),
        ("client_assertion", assertion),
    ];
    form.push(if v2 {
        ("scope", format!("{target}/.default"))
    } else {
        ("resource", target.to_string())
    });
    let v: Value = reqwest::Client::new()
        .post(&endpoint)
        .form(&form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("{v}"))
        .to_string()
}

const AS_ALICE: &str = r#"<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>alice@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entra_application_tokens_open_mailboxes_through_an_azuread_auth_server() {
    let w = World::new().await;
    let (app_id, kp) = entra_application(&w, true).await;
    let v2 = entra_token(&w, &app_id, &kp, true, EXCHANGE_APP_ID).await;
    // Before an AzureAD AuthServer trusts the tenant, an Entra token is not an S2S token.
    let (s, h, _) = w.ews(Some(&v2), GET_INBOX, AS_ALICE).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        diagnostics(&h)
            .1
            .contains("token profile is not applicable"),
        "{h:?}"
    );
    // The Hybrid Configuration Wizard's EvoSts AuthServer, from the tenant's federation metadata.
    let url = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml",
        w.cloud.url, w.tenant
    );
    let server = w
        .onprem
        .ok(
            "New-AuthServer",
            json!({"Name": format!("EvoSts - {}", w.tenant), "Type": "AzureAD", "AuthMetadataUrl": url}),
        )
        .await;
    assert_eq!(server["Type"], "AzureAD");
    assert_eq!(server["Realm"], w.tenant.as_str());
    assert_eq!(
        server["IssuerIdentifier"],
        format!("{}/{}/", w.cloud.url, w.tenant)
    );
    assert_eq!(
        server["TokenIssuingEndpoint"],
        format!("{}/{}/oauth2/v2.0/token", w.cloud.url, w.tenant)
    );
    // v2 (aud = Exchange's appId) and v1 (aud = the EWS host's URL) both open alice's inbox.
    let v1 = entra_token(&w, &app_id, &kp, false, "https://mail.contoso.com/").await;
    for token in [&v2, &v1] {
        let (s, _, body) = w.ews(Some(token), GET_INBOX, AS_ALICE).await;
        assert_eq!(s, StatusCode::OK, "{body}");
        assert!(body.contains(r#"ResponseClass="Success""#), "{body}");
    }
    // Without ExchangeImpersonation: Exchange Online's refusal for an application token.
    let (s, _, body) = w.ews(Some(&v2), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR);
    assert!(
        body.contains("ErrorInvalidExchangeImpersonationHeaderData"),
        "{body}"
    );
    assert!(
        body.contains(
            "ExchangeImpersonation SOAP header must be present for this type of OAuth token."
        ),
        "{body}"
    );
    let nobody = r#"<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>nobody@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"#;
    let (_, _, body) = w.ews(Some(&v2), GET_INBOX, nobody).await;
    assert!(body.contains("ErrorNonExistentMailbox"), "{body}");
    // An application without admin consent is authenticated but may not open mailboxes.
    let (plain_id, plain_kp) = entra_application(&w, false).await;
    let plain = entra_token(&w, &plain_id, &plain_kp, true, EXCHANGE_APP_ID).await;
    let (_, _, body) = w.ews(Some(&plain), GET_INBOX, AS_ALICE).await;
    assert!(
        body.contains("ErrorAccessDenied") && body.contains("full_access_as_app"),
        "{body}"
    );
    // A token for another resource is refused with InvalidAudience.
    let skype = entra_token(&w, &app_id, &kp, true, SKYPE_APP_ID).await;
    let (s, h, _) = w.ews(Some(&skype), GET_INBOX, AS_ALICE).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        diagnostics(&h)
            .1
            .contains("audience claim value is invalid"),
        "{h:?}"
    );
    // Every decision is a handshake event with the client application.
    let entra = |e: &Value| e["outcome"] == "accepted" && e["tokenKind"] == "AadV2";
    let events = handshake_events(&w, |es| es.iter().any(entra)).await;
    let accepted = events
        .iter()
        .find(|e| entra(e))
        .expect("an accepted Entra token");
    assert_eq!(accepted["nameid"], format!("{app_id}@{}", w.tenant));
    // Disabled, the AuthServer trusts nothing any more.
    w.onprem
        .ok(
            "Set-AuthServer",
            json!({"Identity": format!("EvoSts - {}", w.tenant), "Enabled": false, "Confirm": false}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (s, _, _) = w.ews(Some(&v2), GET_INBOX, AS_ALICE).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

/// Requests of many kinds, each as small as EWS takes it: (name, body).
const MANY: &[(&str, &str)] = &[
    ("GetFolder", GET_INBOX),
    (
        "FindItem",
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="inbox"/></m:ParentFolderIds></m:FindItem>"#,
    ),
    (
        "FindFolder",
        r#"<m:FindFolder Traversal="Shallow"><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:ParentFolderIds><t:DistinguishedFolderId Id="msgfolderroot"/></m:ParentFolderIds></m:FindFolder>"#,
    ),
    (
        "CreateItem",
        r#"<m:CreateItem MessageDisposition="SaveOnly"><m:SavedItemFolderId><t:DistinguishedFolderId Id="drafts"/></m:SavedItemFolderId><m:Items><t:Message><t:Subject>x</t:Subject></t:Message></m:Items></m:CreateItem>"#,
    ),
    (
        "GetUserOofSettings",
        r#"<m:GetUserOofSettingsRequest><t:Mailbox><t:Address>alice@contoso.com</t:Address></t:Mailbox></m:GetUserOofSettingsRequest>"#,
    ),
    (
        "GetUserConfiguration",
        r#"<m:GetUserConfiguration><m:UserConfigurationName Name="Um.CustomGreetings.External"><t:DistinguishedFolderId Id="root"/></m:UserConfigurationName><m:UserConfigurationProperties>BinaryData</m:UserConfigurationProperties></m:GetUserConfiguration>"#,
    ),
    (
        "GetUserConfiguration (not voicemail)",
        r#"<m:GetUserConfiguration><m:UserConfigurationName Name="OWA.UserOptions"><t:DistinguishedFolderId Id="root"/></m:UserConfigurationName><m:UserConfigurationProperties>All</m:UserConfigurationProperties></m:GetUserConfiguration>"#,
    ),
    (
        "ResolveNames",
        r#"<m:ResolveNames ReturnFullContactData="false"><m:UnresolvedEntry>bob</m:UnresolvedEntry></m:ResolveNames>"#,
    ),
    (
        "GetServerTimeZones",
        r#"<m:GetServerTimeZones ReturnFullTimeZoneData="false"/>"#,
    ),
    (
        "SyncFolderHierarchy",
        r#"<m:SyncFolderHierarchy><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape></m:SyncFolderHierarchy>"#,
    ),
    (
        "GetMailTips",
        r#"<m:GetMailTips><m:SendingAs><t:EmailAddress>alice@contoso.com</t:EmailAddress></m:SendingAs><m:Recipients><t:Mailbox><t:EmailAddress>bob@contoso.com</t:EmailAddress></t:Mailbox></m:Recipients><m:MailTipsRequested>OutOfOfficeMessage</m:MailTipsRequested></m:GetMailTips>"#,
    ),
    ("GetRoomLists", r#"<m:GetRoomLists/>"#),
    (
        "GetFolder voicemail",
        r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="voicemail"/></m:FolderIds></m:GetFolder>"#,
    ),
    (
        "FindItem voicemail",
        r#"<m:FindItem Traversal="Shallow"><m:ItemShape><t:BaseShape>IdOnly</t:BaseShape></m:ItemShape><m:ParentFolderIds><t:DistinguishedFolderId Id="voicemail"/></m:ParentFolderIds></m:FindItem>"#,
    ),
    (
        "GetDelegate",
        r#"<m:GetDelegate IncludePermissions="true"><m:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></m:Mailbox></m:GetDelegate>"#,
    ),
];

fn refused_access(body: &str) -> bool {
    body.contains("ErrorAccessDenied")
}

/// The Teams edition's partner applications: TeamsScheduler's account holds TeamsSchedulerRole,
/// made from UserApplication with every entry but GetDelegate removed, so GetDelegate is
/// answered and every other method refused; CloudVoicemail has no linked account and may use
/// the voicemail operations (Um.* configurations, GetUserOofSettings, the Voice Mail folder),
/// acting as a user or app-only with ExchangeImpersonation, and nothing else.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_teams_editions_applications_get_what_their_roles_allow_and_nothing_else() {
    use s2s::ids::{CLOUD_VOICEMAIL_APP_ID, TEAMS_SCHEDULER_APP_ID};
    let w = World::new().await;
    // The partner signs for both Teams services (one key registered on both, as the text does).
    for app in [TEAMS_SCHEDULER_APP_ID, CLOUD_VOICEMAIL_APP_ID] {
        let r = reqwest::Client::new()
            .patch(format!("{}/v1.0/servicePrincipals(appId='{app}')", w.cloud.url))
            .bearer_auth(&w.admin)
            .json(&json!({"keyCredentials": [{"type": "AsymmetricX509Cert", "usage": "Verify", "key": w.partner.certificate.to_base64()}]}))
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success(), "{app}: {}", r.status());
    }
    let acct = w.onprem.ok("New-MailUser", json!({"Name": "TeamsScheduler", "ApplicationAccount": true, "ExternalEmailAddress": "TeamsScheduler-ApplicationAccount@contoso.com"})).await;
    assert_eq!(acct["IsApplicationAccount"], json!(true));
    let role = w
        .onprem
        .ok(
            "New-ManagementRole",
            json!({"Name": "TeamsSchedulerRole", "Parent": "UserApplication"}),
        )
        .await;
    assert_eq!(role["RoleType"], "UserApplication");
    let entries = w
        .onprem
        .cmd(
            "Get-ManagementRoleEntry",
            json!({"Identity": "TeamsSchedulerRole\\*"}),
        )
        .await
        .unwrap();
    assert!(
        entries.len() > 20,
        "the parent's entries: {}",
        entries.len()
    );
    for e in &entries {
        if e["Name"] != "GetDelegate" {
            w.onprem
                .ok(
                    "Remove-ManagementRoleEntry",
                    json!({"Identity": e["Identity"], "Confirm": false}),
                )
                .await;
        }
    }
    let left = w
        .onprem
        .cmd(
            "Get-ManagementRoleEntry",
            json!({"Identity": "TeamsSchedulerRole\\*"}),
        )
        .await
        .unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["Identity"], "TeamsSchedulerRole\\GetDelegate");
    // Built-in roles keep their entries; an entry must come from the parent.
    w.onprem
        .refused(
            "Remove-ManagementRoleEntry",
            json!({"Identity": "UserApplication\\GetFolder", "Confirm": false}),
            "ArgumentException",
        )
        .await;
    w.onprem
        .refused(
            "Add-ManagementRoleEntry",
            json!({"Identity": "TeamsSchedulerRole\\UpdateItemInRecoverableItems"}),
            "ArgumentException",
        )
        .await;
    let id = acct["Identity"].as_str().unwrap().to_string();
    w.onprem
        .ok(
            "New-ManagementRoleAssignment",
            json!({"Role": "TeamsSchedulerRole", "User": id}),
        )
        .await;
    w.onprem.ok("New-PartnerApplication", json!({"Name": "TeamsScheduler", "ApplicationIdentifier": TEAMS_SCHEDULER_APP_ID, "Enabled": true, "LinkedAccount": id})).await;
    w.onprem.ok("New-PartnerApplication", json!({"Name": "CloudVoicemail", "ApplicationIdentifier": CLOUD_VOICEMAIL_APP_ID, "Enabled": true})).await;

    let scheduler = w
        .act_as(TEAMS_SCHEDULER_APP_ID, smtp("alice@contoso.com"))
        .await;
    let mut refused = 0;
    for (name, op) in MANY {
        let (s, _, body) = w.ews(Some(&scheduler), op, "").await;
        if *name == "GetDelegate" {
            assert_eq!(s, StatusCode::OK, "{body}");
            assert!(body.contains("NoError"), "{body}");
        } else {
            assert!(refused_access(&body), "TeamsScheduler {name}: {body}");
            refused += 1;
        }
    }
    assert!(refused >= 10);
    // The same call with the issuer written with a leading slash, as the Teams services' are too.
    let actor = w
        .actor(TEAMS_SCHEDULER_APP_ID, "mail.contoso.com")
        .await
        .unwrap();
    let aud = s2s::Jwt::decode(&actor).unwrap().claims.aud.unwrap();
    let slashed = s2s::jwt::unsigned(&s2s::Claims {
        aud: Some(aud),
        iss: Some(format!("/{TEAMS_SCHEDULER_APP_ID}@{}", w.tenant)),
        nbf: Some(s2s::NumericDate::number(now())),
        exp: Some(s2s::NumericDate::number(now() + 600)),
        actortoken: Some(actor),
        smtp: Some("alice@contoso.com".into()),
        ..Default::default()
    });
    let get_delegate = MANY.iter().find(|(n, _)| *n == "GetDelegate").unwrap().1;
    let (s, _, body) = w.ews(Some(&slashed), get_delegate, "").await;
    assert!(s == StatusCode::OK && body.contains("NoError"), "{body}");

    // Cloud Voicemail, acting as alice and app-only impersonating her.
    let voicemail = w
        .act_as(CLOUD_VOICEMAIL_APP_ID, smtp("alice@contoso.com"))
        .await;
    let app_only = w
        .actor(CLOUD_VOICEMAIL_APP_ID, "mail.contoso.com")
        .await
        .unwrap();
    let allowed = [
        "GetUserOofSettings",
        "GetUserConfiguration",
        "GetFolder voicemail",
        "FindItem voicemail",
    ];
    for (token, header) in [(voicemail.as_str(), ""), (app_only.as_str(), AS_ALICE)] {
        for (name, op) in MANY {
            let (_, _, body) = w.ews(Some(token), op, header).await;
            if allowed.contains(name) {
                assert!(!refused_access(&body), "CloudVoicemail {name}: {body}");
            } else {
                assert!(refused_access(&body), "CloudVoicemail {name}: {body}");
            }
        }
    }
    // App-only without a mailbox to work on.
    let (_, _, body) = w.ews(Some(&app_only), MANY[4].1, "").await;
    assert!(
        body.contains("ErrorInvalidExchangeImpersonationHeaderData"),
        "{body}"
    );
}

/// Autodiscover v2 JSON, anonymous: the EWS URL of a mailbox of the organization by either
/// form; 404 for an address that has no mailbox here, 400 for a protocol it does not serve.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn autodiscover_v2_json_answers_mailboxes_and_404s_the_rest() {
    let w = World::new().await;
    let get = |path: String| async move {
        let r = reqwest::Client::new().get(path).send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        (status, v)
    };
    let base = &w.onprem.url;
    let (s, v) = get(format!(
        "{base}/autodiscover/autodiscover.json?Email=alice%40contoso.com&Protocol=EWS"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        v,
        json!({"Protocol": "EWS", "Url": "https://mail.contoso.com/EWS/Exchange.asmx"})
    );
    let (s, v) = get(format!(
        "{base}/Autodiscover/Autodiscover.json/v1.0/bob@contoso.com?Protocol=EWS"
    ))
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["Url"], "https://mail.contoso.com/EWS/Exchange.asmx");
    let (s, v) = get(format!(
        "{base}/autodiscover/autodiscover.json/v1.0/alice@contoso.com?Protocol=AutodiscoverV1"
    ))
    .await;
    assert_eq!(
        (s, v["Url"].as_str()),
        (
            StatusCode::OK,
            Some("https://mail.contoso.com/autodiscover/autodiscover.xml")
        )
    );
    for who in [
        "nobody@contoso.com",
        "SfBOnline-ApplicationAccount@contoso.com",
        "",
    ] {
        let (s, v) = get(format!(
            "{base}/autodiscover/autodiscover.json?Email={who}&Protocol=EWS"
        ))
        .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{who}: {v}");
        assert_eq!(v["ErrorCode"], "InvalidUser");
    }
    let (s, v) = get(format!(
        "{base}/autodiscover/autodiscover.json?Email=alice@contoso.com&Protocol=ActiveSync"
    ))
    .await;
    assert_eq!(
        (s, v["ErrorCode"].as_str()),
        (StatusCode::BAD_REQUEST, Some("ProtocolNotSupported"))
    );
}

/// The delegate operations on the caller's own mailbox, with Exchange's response codes: a
/// delegate added with folder permissions, refused twice, read back, changed, removed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delegates_are_added_read_updated_and_removed() {
    let w = World::new().await;
    let alice = w.alice().await;
    let mailbox = "<m:Mailbox><t:EmailAddress>alice@contoso.com</t:EmailAddress></m:Mailbox>";
    let add = |who: &str, level: &str| {
        format!(
            r#"<m:AddDelegate>{mailbox}<m:DelegateUsers><t:DelegateUser><t:UserId><t:PrimarySmtpAddress>{who}</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>{level}</t:CalendarFolderPermissionLevel></t:DelegatePermissions><t:ReceiveCopiesOfMeetingMessages>true</t:ReceiveCopiesOfMeetingMessages><t:ViewPrivateItems>false</t:ViewPrivateItems></t:DelegateUser></m:DelegateUsers><m:DeliverMeetingRequests>DelegatesAndMe</m:DeliverMeetingRequests></m:AddDelegate>"#
        )
    };
    let get = format!(r#"<m:GetDelegate IncludePermissions="true">{mailbox}</m:GetDelegate>"#);
    let (s, _, body) = w
        .ews(Some(&alice), &add("bob@contoso.com", "Editor"), "")
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    assert!(
        body.contains("NoError") && body.contains("<t:CalendarFolderPermissionLevel>Editor<"),
        "{body}"
    );
    assert!(
        body.contains("<t:PrimarySmtpAddress>bob@contoso.com<") && body.contains("<t:SID>S-1-5-"),
        "{body}"
    );
    for (who, code) in [
        ("bob@contoso.com", "ErrorDelegateAlreadyExists"),
        ("alice@contoso.com", "ErrorDelegateCannotAddOwner"),
        ("nobody@contoso.com", "ErrorDelegateNoUser"),
    ] {
        let (_, _, body) = w.ews(Some(&alice), &add(who, "Editor"), "").await;
        assert!(body.contains(code), "{who}: {body}");
    }
    let (_, _, body) = w
        .ews(Some(&alice), &add("robert@contoso.com", "Owner"), "")
        .await;
    assert!(
        body.contains("ErrorInvalidValueForProperty")
            || body.contains("ErrorDelegateAlreadyExists"),
        "{body}"
    );
    let (_, _, body) = w.ews(Some(&alice), &get, "").await;
    assert!(
        body.contains("<t:CalendarFolderPermissionLevel>Editor<"),
        "{body}"
    );
    assert!(
        body.contains("<m:DeliverMeetingRequests>DelegatesAndMe<"),
        "{body}"
    );
    let update = format!(
        r#"<m:UpdateDelegate>{mailbox}<m:DelegateUsers><t:DelegateUser><t:UserId><t:PrimarySmtpAddress>bob@contoso.com</t:PrimarySmtpAddress></t:UserId><t:DelegatePermissions><t:CalendarFolderPermissionLevel>Reviewer</t:CalendarFolderPermissionLevel></t:DelegatePermissions></t:DelegateUser></m:DelegateUsers></m:UpdateDelegate>"#
    );
    let (_, _, body) = w.ews(Some(&alice), &update, "").await;
    assert!(
        body.contains("NoError") && body.contains(">Reviewer<"),
        "{body}"
    );
    // Another mailbox's delegates are its owner's.
    let bobs = r#"<m:GetDelegate IncludePermissions="false"><m:Mailbox><t:EmailAddress>bob@contoso.com</t:EmailAddress></m:Mailbox></m:GetDelegate>"#;
    let (_, _, body) = w.ews(Some(&alice), bobs, "").await;
    assert!(body.contains("ErrorAccessDenied"), "{body}");
    let remove = format!(
        r#"<m:RemoveDelegate>{mailbox}<m:UserIds><t:UserId><t:PrimarySmtpAddress>bob@contoso.com</t:PrimarySmtpAddress></t:UserId></m:UserIds></m:RemoveDelegate>"#
    );
    let (_, _, body) = w.ews(Some(&alice), &remove, "").await;
    assert!(body.contains("NoError"), "{body}");
    let (_, _, body) = w.ews(Some(&alice), &remove, "").await;
    assert!(body.contains("ErrorNotDelegate"), "{body}");
    let (_, _, body) = w.ews(Some(&alice), &get, "").await;
    assert!(!body.contains("<m:DelegateUser>"), "{body}");
}

/// Tokens an attacker re-encodes or makes long-lived: padded or non-canonical segments in the
/// actor or the outer token are unreadable (2022); an actor token past its kind's ceiling, or
/// with dates at the 64-bit edges, is refused (3001 and 2022), and nothing runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_not_canonical_or_too_long_lived_are_refused_at_ews() {
    let w = World::new().await;
    let good = w.alice().await;
    let (s, _, body) = w.ews(Some(&good), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
    let actor = w.actor(SKYPE_APP_ID, "mail.contoso.com").await.unwrap();
    let acs = PrincipalId::new(SKYPE_APP_ID, &w.tenant);
    let (ah, ap, asig) = s2s::jwt::split(&actor).unwrap();
    let (oh, op, _) = s2s::jwt::split(&good).unwrap();
    let issuer = PrincipalId::new(PARTNER_ID, "fabrikam.com");
    let aud = Audience::new(EXCHANGE_APP_ID, "mail.contoso.com", "contoso.com");
    let acs_aud = Audience::new(EXCHANGE_APP_ID, "mail.contoso.com", &w.tenant);
    let alice = smtp("alice@contoso.com");
    // An outer token around actor text that need not decode.
    let wrap = |actor: String| {
        OuterToken {
            actor_token: &actor,
            audience: &acs_aud,
            issuer: &acs,
            not_before: now(),
            expires: now() + 3600,
            user: &alice,
        }
        .encode()
    };
    let self_issued = |nbf: Value, exp: Value| {
        let claims = json!({
            "aud": aud.to_string(), "iss": issuer.to_string(), "nameid": issuer.to_string(),
            "trustedfordelegation": "true", "nbf": nbf, "exp": exp,
        });
        let header = s2s::Header::rs256(w.selfissuer.certificate.x5t(), false);
        s2s::jwt::sign_json(&header, &claims, &w.selfissuer.key)
    };
    let t = now();
    let cases: Vec<(&str, String, s2s::ErrorCode)> = vec![
        (
            "outer token with a padded payload",
            format!("{oh}.{op}=."),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "actor signature padded",
            wrap(format!("{ah}.{ap}.{asig}=")),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "actor header with stray bits",
            wrap(format!("{ah}A.{ap}.{asig}")),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "app-only token padded",
            format!("{}=", self_issued(json!(t), json!(t + 600))),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "actor token valid for ten years",
            self_issued(json!(t), json!(t + 10 * 365 * 86_400)),
            s2s::ErrorCode::TokenExpired,
        ),
        (
            "actor token from 1970",
            self_issued(json!(0), json!(t + 600)),
            s2s::ErrorCode::TokenExpired,
        ),
        (
            "exp at the largest 64-bit value",
            self_issued(json!(t), json!(i64::MAX)),
            s2s::ErrorCode::UnableToReadToken,
        ),
        (
            "nbf at the smallest 64-bit value",
            self_issued(json!(i64::MIN), json!(i64::MAX)),
            s2s::ErrorCode::UnableToReadToken,
        ),
    ];
    refused_each(&w, cases).await;
    // The same self-issued actor within its ceiling is accepted, acting for alice.
    let actor = self_issued(json!(t), json!(t + 24 * 3600));
    let within = OuterToken {
        actor_token: &actor,
        audience: &aud,
        issuer: &issuer,
        not_before: t,
        expires: t + 8 * 3600,
        user: &alice,
    }
    .encode();
    let (s, _, body) = w.ews(Some(&within), GET_INBOX, "").await;
    assert_eq!(s, StatusCode::OK, "{body}");
}

/// A SOAP request that says one thing and does another runs nothing: a SOAPAction naming
/// another operation than the body's, and a body with two operations, are refused with a
/// fault, and the folder they would have deleted is still there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soap_that_says_one_thing_and_does_another_runs_nothing() {
    let w = World::new().await;
    let t = w.alice().await;
    let made = call(
        &w,
        &t,
        ews::Operation::CreateFolder(ews::CreateFolder {
            parent_folder_id: Some(ews::FolderRef::distinguished("inbox")),
            folders: vec![ews::Folder {
                kind: "Folder".into(),
                display_name: Some("Keep".into()),
                ..Default::default()
            }],
        }),
    )
    .await;
    let id = folders_of(&made[0])[0].folder_id.clone().unwrap().id;
    let get = format!(
        r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:FolderId Id="{id}"/></m:FolderIds></m:GetFolder>"#
    );
    let delete = format!(
        r#"<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:FolderId Id="{id}"/></m:FolderIds></m:DeleteFolder>"#
    );
    let envelope = |body: &str| {
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?><s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/" xmlns:m="http://schemas.microsoft.com/exchange/services/2006/messages" xmlns:t="http://schemas.microsoft.com/exchange/services/2006/types"><s:Header><t:RequestServerVersion Version="Exchange2016"/></s:Header><s:Body>{body}</s:Body></s:Envelope>"#
        )
    };
    let url = format!("{}/EWS/Exchange.asmx", w.onprem.url);
    let send = |action: Option<&str>, body: String| {
        let mut req = reqwest::Client::new()
            .post(&url)
            .header("content-type", "text/xml; charset=utf-8")
            .header("authorization", format!("Bearer {t}"))
            .body(body);
        if let Some(a) = action {
            req = req.header("SOAPAction", a);
        }
        async move {
            let r = req.send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let m = "http://schemas.microsoft.com/exchange/services/2006/messages";
    let still_there = || send(None, envelope(&get));
    for (why, action, body, code) in [
        (
            "SOAPAction GetFolder, body DeleteFolder",
            Some(format!("\"{m}/GetFolder\"")),
            envelope(&delete),
            "ErrorInvalidRequest",
        ),
        (
            "two operations",
            None,
            envelope(&format!("{get}{delete}")),
            "ErrorSchemaValidation",
        ),
        (
            "two operations, the first named",
            Some(format!("\"{m}/GetFolder\"")),
            envelope(&format!("{get}{delete}")),
            "ErrorSchemaValidation",
        ),
    ] {
        let (s, body) = send(action.as_deref(), body).await;
        assert_eq!(s, StatusCode::INTERNAL_SERVER_ERROR, "{why}: {body}");
        assert!(
            body.contains(&format!("a:{code}</faultcode>")),
            "{why}: {body}"
        );
        let (s, body) = still_there().await;
        assert!(
            s == StatusCode::OK && body.contains("ResponseClass=\"Success\""),
            "{why}: the folder must be there: {body}"
        );
    }
    // The SOAPAction that names the body's operation, or none, is fine.
    let (s, body) = send(Some(&format!("\"{m}/GetFolder\"")), envelope(&get)).await;
    assert!(
        s == StatusCode::OK && body.contains("ResponseClass=\"Success\""),
        "{body}"
    );
    let (s, body) = send(Some("\"\""), envelope(&delete)).await;
    assert!(
        s == StatusCode::OK && body.contains("ResponseClass=\"Success\""),
        "{body}"
    );
    let (_, body) = still_there().await;
    assert!(
        body.contains("ErrorItemNotFound") || body.contains("ResponseClass=\"Error\""),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_people_in_the_directory_leaves_hidden_recipients_out() {
    let w = World::new().await;
    let t = w.alice().await;
    let directory = |query: Option<&str>| {
        ews::Operation::FindPeople(ews::FindPeople {
            parent_folder_id: Some(ews::FolderRef::distinguished("directory")),
            query_string: query.map(str::to_string),
            ..Default::default()
        })
    };
    let names = |m: &[ews::ResponseMessage]| match &m[0].payload {
        ews::Payload::People(p) => p
            .personas
            .iter()
            .filter_map(|p| p.display_name.clone())
            .collect::<Vec<_>>(),
        other => panic!("{other:?}"),
    };
    let all = names(&call(&w, &t, directory(None)).await);
    assert!(all.contains(&"Bob Jones".to_string()), "{all:?}");
    assert!(
        all.contains(&"SfBOnline-ApplicationAccount".to_string()),
        "{all:?}"
    );
    w.onprem
        .ok(
            "Set-MailUser",
            json!({"Identity": "SfBOnline-ApplicationAccount", "HiddenFromAddressListsEnabled": true}),
        )
        .await;
    let mut hidden = Vec::new();
    for _ in 0..100 {
        hidden = names(&call(&w, &t, directory(None)).await);
        if !hidden.iter().any(|n| n.starts_with("SfBOnline")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(
        !hidden.iter().any(|n| n.starts_with("SfBOnline")),
        "{hidden:?}"
    );
    assert_eq!(
        names(&call(&w, &t, directory(Some("bob"))).await),
        ["Bob Jones"]
    );
    // A persona found there is read back by its id.
    let bob = match &call(&w, &t, directory(Some("bob"))).await[0].payload {
        ews::Payload::People(p) => p.personas[0].id.clone(),
        other => panic!("{other:?}"),
    };
    let got = call(
        &w,
        &t,
        ews::Operation::GetPersona(ews::GetPersona { persona_id: bob }),
    )
    .await;
    let ews::Payload::Persona(p) = &got[0].payload else {
        panic!("{got:?}");
    };
    assert_eq!(
        p.email_address.as_ref().unwrap().email_address,
        "bob@contoso.com"
    );
}

/// A user token as the cloud's token service would sign it, with claims the test chooses.
fn user_token(w: &World, claims: Value) -> String {
    let snap = w.cloud.server.state.snapshot();
    let key = snap.current_key().expect("a signing key");
    s2s::jwt::sign_json(
        &s2s::Header::rs256(key.certificate.x5t(), true),
        &claims,
        &key.key,
    )
}

/// Hybrid Modern Authentication at EWS: users' own v1 tokens from the tenant of the default
/// AzureAD AuthServer, checked in Exchange's order with its codes, including the cases no real
/// client produces (another `tid` under a trusted issuer, a v2 token, a token without or with a
/// malformed SID), signed here with the token service's own key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hma_user_tokens_in_exchanges_order() {
    let w = World::new().await;
    let evosts = format!("EvoSts - {}", w.tenant);
    let url = format!(
        "{}/{}/federationmetadata/2007-06/federationmetadata.xml",
        w.cloud.url, w.tenant
    );
    w.onprem
        .ok(
            "New-AuthServer",
            json!({"Name": evosts, "Type": "AzureAD", "AuthMetadataUrl": url, "IsDefaultAuthorizationEndpoint": true}),
        )
        .await;
    let alice = w
        .onprem
        .ok("Get-Mailbox", json!({"Identity": "alice"}))
        .await;
    let sid = alice["Sid"].as_str().unwrap().to_string();
    let now = now();
    let aud = w.onprem.url.clone();
    let good = json!({
        "aud": aud, "iss": format!("{}/{}/", w.cloud.url, w.tenant), "iat": now, "nbf": now,
        "exp": now + 3600, "appid": "d3590ed6-52b3-4102-aeff-aad2292ab01c", "appidacr": "0",
        "scp": "EWS.AccessAsUser.All", "oid": "0b0b0b0b-0000-4000-8000-000000000001",
        "onprem_sid": sid, "upn": "alice@contoso.com", "tid": w.tenant, "ver": "1.0",
    });
    let with = |k: &str, v: Value| {
        let mut c = good.clone();
        c[k] = v;
        user_token(&w, c)
    };
    // Off until the organization turns it on; an empty Bearer naming a user says so.
    let (s, h, _) = w
        .ews(Some(&user_token(&w, good.clone())), GET_INBOX, "")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(
        diagnostics(&h).1.contains("OAuth2ClientProfileEnabled"),
        "{h:?}"
    );
    let probe = reqwest::Client::new()
        .post(format!("{}/EWS/Exchange.asmx", w.onprem.url))
        .header("authorization", "Bearer")
        .header("x-user-identity", "alice@contoso.com")
        .send()
        .await
        .unwrap();
    assert_eq!(
        header(probe.headers(), "x-ms-diagnostics"),
        r#"4001001;reason="FlightingNotEnabled";error_category="oauth_not_available""#
    );
    let challenge = header(probe.headers(), "www-authenticate");
    assert!(
        challenge.contains(&format!(
            "authorization_uri=\"{}/common/oauth2/authorize\"",
            w.cloud.url
        )),
        "{challenge}"
    );
    w.onprem
        .ok(
            "Set-OrganizationConfig",
            json!({"OAuth2ClientProfileEnabled": true}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (s, _, body) = w
        .ews(Some(&user_token(&w, good.clone())), GET_INBOX, "")
        .await;
    assert_eq!(s, StatusCode::OK, "{body}");
    // The user acts as himself: impersonating bob is refused.
    let as_bob = r#"<t:ExchangeImpersonation><t:ConnectingSID><t:SmtpAddress>bob@contoso.com</t:SmtpAddress></t:ConnectingSID></t:ExchangeImpersonation>"#;
    let (_, _, body) = w
        .ews(Some(&user_token(&w, good.clone())), GET_INBOX, as_bob)
        .await;
    assert!(body.contains("ErrorImpersonateUserDenied"), "{body}");
    let mut v2 = good.clone();
    v2["ver"] = json!("2.0");
    v2["iss"] = json!(format!("{}/{}/v2.0", w.cloud.url, w.tenant));
    let cases = [
        (
            with("aud", json!("https://mail.contoso.com")),
            2_000_003,
            "hostname component of the audience",
        ),
        (
            with("tid", json!("00000000-0000-4000-8000-00000000000f")),
            2_000_004,
            "does not exist",
        ),
        (
            user_token(&w, v2),
            2_000_001,
            "token profile is not applicable",
        ),
        (
            with("scp", json!("openid Files.Read")),
            2_000_001,
            "claim 'scp'",
        ),
        (
            with("onprem_sid", Value::Null),
            2_000_001,
            "No applicable user context claims",
        ),
        (
            with("onprem_sid", json!("alice")),
            2_000_005,
            "is not a security identifier",
        ),
        (
            with("onprem_sid", json!("S-1-5-21-1-2-3-999999")),
            2_000_005,
            "does not exist",
        ),
        (with("exp", json!(now - 600)), 2_000_002, "expired"),
    ];
    for (token, category, reason) in cases {
        let (s, h, _) = w.ews(Some(&token), GET_INBOX, "").await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
        let (c, r) = diagnostics(&h);
        assert!(
            c == category && r.contains(reason),
            "{category} {reason}: {c} {r}"
        );
        assert!(header(&h, "www-authenticate").contains("error=\"invalid_token\""));
    }
    // A disabled account's tokens are refused.
    w.onprem
        .ok(
            "Set-Mailbox",
            json!({"Identity": "alice", "AccountDisabled": true}),
        )
        .await;
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let (s, h, _) = w
        .ews(Some(&user_token(&w, good.clone())), GET_INBOX, "")
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(diagnostics(&h).1.contains("disabled"), "{h:?}");
}
