//! The on-premises role's cmdlets through the real admin API: the runbook's steps and every
//! refusal, certificate rollover, AuthServers from a running cloud, partner applications, and
//! the in-memory trust configuration following changes from any process.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use crypto::CertificateRequest;
use hybrid_tests::{CloudUnderTest, OnPremUnderTest, TempDir};
use serde_json::{Value, json};

const SKYPE: &str = "00000004-0000-0ff1-ce00-000000000000";
const NOT_FOUND: &str = "ManagementObjectNotFoundException";
const EXISTS: &str = "ADObjectAlreadyExistsException";
const BAD_ARG: &str = "ArgumentException";

async fn onprem(dir: &TempDir) -> OnPremUnderTest {
    OnPremUnderTest::start(&format!("sqlite://{}", dir.path("onprem.db"))).await
}

fn s(v: &Value, m: &str) -> String {
    v[m].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organization_bootstrap_is_what_setup_creates() {
    let dir = TempDir::new("onprem-org");
    let o = onprem(&dir).await;
    let cfg = o.ok("Get-AuthConfig", json!({})).await;
    assert_eq!(
        s(&cfg, "ServiceName"),
        "00000002-0000-0ff1-ce00-000000000000"
    );
    assert_eq!(s(&cfg, "Name"), "Auth Configuration");
    let cert = o
        .ok(
            "Get-ExchangeCertificate",
            json!({"Thumbprint": s(&cfg, "CurrentCertificateThumbprint")}),
        )
        .await;
    assert_eq!(
        s(&cert, "Subject"),
        "CN=Microsoft Exchange Server Auth Certificate"
    );
    assert_eq!(cert["HasPrivateKey"], json!(true));
    assert_eq!(cert["KeySize"], json!(2048));
    assert!(
        cert.get("_Key").is_none() && cert.get("_Der").is_none(),
        "private members never leave the server"
    );
    let ua = o
        .ok("Get-ManagementRole", json!({"Identity": "UserApplication"}))
        .await;
    assert!(
        ua["EwsMethods"]
            .as_array()
            .unwrap()
            .contains(&json!("CreateItem"))
    );
    let aa = o
        .ok(
            "Get-ManagementRole",
            json!({"Identity": "ArchiveApplication"}),
        )
        .await;
    assert_eq!(aa["EwsMethods"], json!(["UpdateItemInRecoverableItems"]));
    for role in ["ApplicationImpersonation", "Mail Recipients"] {
        o.ok("Get-ManagementRole", json!({"Identity": role})).await;
    }
    let exo = o
        .ok(
            "Get-PartnerApplication",
            json!({"Identity": "Exchange Online"}),
        )
        .await;
    assert_eq!(
        (exo["Enabled"].clone(), exo["UseAuthServer"].clone()),
        (json!(false), json!(true))
    );
    assert_eq!(
        s(&o.ok("Get-AcceptedDomain", json!({})).await, "DomainName"),
        "contoso.com"
    );
    // A second organization, the wrong credential, an unknown cmdlet.
    let http = reqwest::Client::new();
    let r = http.post(format!("{}/admin/organization", o.url)).bearer_auth(&o.operator).json(&json!({"Name": "X", "DomainName": "x.com", "EwsUrl": "https://x.com/EWS/Exchange.asmx"})).send().await.unwrap();
    assert_eq!(r.status(), 409);
    let r = http
        .post(format!("{}/admin/cmdlet", o.url))
        .bearer_auth(&o.operator)
        .json(&json!({"Cmdlet": "Get-AuthConfig"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    let r = http
        .post(format!("{}/admin/cmdlet", o.url))
        .json(&json!({"Cmdlet": "Get-AuthConfig"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    o.refused("Format-C", json!({}), "CommandNotFoundException")
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn runbook_steps_2_and_3_and_recipient_refusals() {
    let dir = TempDir::new("onprem-recipients");
    let o = onprem(&dir).await;
    let dc = "dc01.contoso.com";
    let user = o.ok("New-MailUser", json!({"Name": "SfBOnline-ApplicationAccount", "ExternalEmailAddress": "SfBOnline-ApplicationAccount@contoso.com", "DomainController": dc})).await;
    assert_eq!(s(&user, "RecipientType"), "MailUser");
    assert_eq!(
        s(&user, "PrimarySmtpAddress"),
        "SfBOnline-ApplicationAccount@contoso.com"
    );
    assert_eq!(
        s(&user, "ExternalEmailAddress"),
        "SMTP:SfBOnline-ApplicationAccount@contoso.com"
    );
    assert!(s(&user, "Sid").starts_with("S-1-5-21-"));
    let id = s(&user, "Identity");
    assert_eq!(id, "contoso.com/Users/SfBOnline-ApplicationAccount");
    let hidden = o.ok("Set-MailUser", json!({"Identity": id, "HiddenFromAddressListsEnabled": "$True", "DomainController": dc})).await;
    assert_eq!(hidden["HiddenFromAddressListsEnabled"], json!(true));
    let ua = o
        .ok(
            "New-ManagementRoleAssignment",
            json!({"Role": "UserApplication", "User": id, "DomainController": dc}),
        )
        .await;
    assert_eq!(
        s(&ua, "Name"),
        "UserApplication-SfBOnline-ApplicationAccount"
    );
    assert_eq!(s(&ua, "RoleAssigneeType"), "User");
    let aa = o
        .ok(
            "New-ManagementRoleAssignment",
            json!({"Role": "ArchiveApplication", "User": id}),
        )
        .await;
    assert_eq!(
        s(&aa, "Name"),
        "ArchiveApplication-SfBOnline-ApplicationAccount"
    );
    let app = o.ok("New-PartnerApplication", json!({"Name": "SfBOnline", "ApplicationIdentifier": SKYPE, "Enabled": true, "LinkedAccount": id})).await;
    assert_eq!(
        (app["UseAuthServer"].clone(), s(&app, "LinkedAccount")),
        (json!(true), id.clone())
    );
    // The trust configuration has it at once.
    let trust = o.server.state.trust();
    assert!(
        trust
            .snapshot
            .partner_applications
            .iter()
            .any(|a| a.name == "SfBOnline" && a.use_auth_server)
    );

    // Refusals.
    o.refused("New-MailUser", json!({"Name": "sfbonline-applicationaccount", "ExternalEmailAddress": "other@contoso.com"}), EXISTS).await;
    o.refused(
        "New-MailUser",
        json!({"Name": "x", "ExternalEmailAddress": "not-an-address"}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "New-MailUser",
        json!({"Name": "x"}),
        "ParameterBindingValidationException",
    )
    .await;
    o.refused(
        "New-MailUser",
        json!({"Name": "x", "ExternalEmailAddress": "x@contoso.com", "Colour": "blue"}),
        "ParameterBindingException",
    )
    .await;
    o.refused(
        "New-MailUser",
        json!({"Name": "x".repeat(65), "ExternalEmailAddress": "y@contoso.com"}),
        BAD_ARG,
    )
    .await;
    o.refused("Set-MailUser", json!({"Identity": "nobody"}), NOT_FOUND)
        .await;
    o.refused(
        "Set-MailUser",
        json!({"Identity": id, "HiddenFromAddressListsEnabled": "maybe"}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "New-ManagementRoleAssignment",
        json!({"Role": "UserApplication", "User": id}),
        EXISTS,
    )
    .await;
    o.refused(
        "New-ManagementRoleAssignment",
        json!({"Role": "NoSuchRole", "User": id}),
        NOT_FOUND,
    )
    .await;
    o.refused(
        "New-PartnerApplication",
        json!({"Name": "SfB2", "ApplicationIdentifier": SKYPE}),
        EXISTS,
    )
    .await;
    o.refused(
        "New-PartnerApplication",
        json!({"Name": "SfB3", "ApplicationIdentifier": SKYPE, "AuthMetadataUrl": "http://x/"}),
        BAD_ARG,
    )
    .await;
    o.refused("New-PartnerApplication", json!({"Name": "SfB4", "ApplicationIdentifier": "00000003-0000-0ff1-ce00-000000000000", "LinkedAccount": "nobody"}), NOT_FOUND).await;

    // Mailboxes: identities by name, alias, SMTP, SIP, GUID, UPN.
    let alice = o
        .ok(
            "New-Mailbox",
            json!({"Name": "Alice Smith", "Alias": "alice"}),
        )
        .await;
    assert_eq!(s(&alice, "UserPrincipalName"), "alice@contoso.com");
    assert_eq!(
        alice["EmailAddresses"],
        json!(["SMTP:alice@contoso.com", "SIP:alice@contoso.com"])
    );
    for id in [
        "Alice Smith",
        "alice",
        "alice@contoso.com",
        "sip:alice@contoso.com",
        &s(&alice, "Guid"),
    ] {
        assert_eq!(
            s(&o.ok("Get-Mailbox", json!({"Identity": id})).await, "Guid"),
            s(&alice, "Guid"),
            "{id}"
        );
    }
    o.refused(
        "New-Mailbox",
        json!({"Name": "Alice Two", "Alias": "alice"}),
        EXISTS,
    )
    .await;
    o.ok("New-Mailbox", json!({"Name": "Alice Jones", "Alias": "ajones", "PrimarySmtpAddress": "alice.jones@contoso.com"})).await;
    o.refused("Get-Mailbox", json!({"Identity": "Alice*Nope"}), NOT_FOUND)
        .await;
    o.refused("Get-MailUser", json!({"Identity": "alice"}), NOT_FOUND)
        .await;
    assert_eq!(
        o.cmd("Get-Recipient", json!({})).await.unwrap().len(),
        4,
        "two mail users (one from Setup), two mailboxes"
    );
    o.ok(
        "New-ManagementRoleAssignment",
        json!({"Role": "ApplicationImpersonation", "User": "alice"}),
    )
    .await;
    let listed = o
        .cmd("Get-ManagementRoleAssignment", json!({"RoleAssignee": id}))
        .await
        .unwrap();
    assert_eq!(listed.len(), 2);
    o.ok(
        "Remove-ManagementRoleAssignment",
        json!({"Identity": "ArchiveApplication-SfBOnline-ApplicationAccount", "Confirm": false}),
    )
    .await;
    assert_eq!(
        o.cmd("Get-ManagementRoleAssignment", json!({"RoleAssignee": id}))
            .await
            .unwrap()
            .len(),
        1
    );
    let renamed = o.ok("Set-Mailbox", json!({"Identity": "ajones", "DisplayName": "A. Jones", "HiddenFromAddressListsEnabled": true})).await;
    assert_eq!(
        (
            s(&renamed, "DisplayName"),
            renamed["HiddenFromAddressListsEnabled"].clone()
        ),
        ("A. Jones".to_string(), json!(true))
    );
    o.refused(
        "Set-Mailbox",
        json!({"Identity": "ajones", "ExternalEmailAddress": "x@y.com"}),
        "ParameterBindingException",
    )
    .await;
    o.refused(
        "Set-Mailbox",
        json!({"Identity": "ajones", "PrimarySmtpAddress": "nope"}),
        BAD_ARG,
    )
    .await;
    assert_eq!(
        s(
            &o.ok("Get-OrganizationConfig", json!({})).await,
            "DefaultDomain"
        ),
        "contoso.com"
    );
    o.ok(
        "New-MailUser",
        json!({"Name": "Temp", "ExternalEmailAddress": "temp@fabrikam.com"}),
    )
    .await;
    o.refused(
        "Remove-Mailbox",
        json!({"Identity": "Temp", "Confirm": false}),
        NOT_FOUND,
    )
    .await;
    o.ok(
        "Remove-MailUser",
        json!({"Identity": "temp@fabrikam.com", "Confirm": false}),
    )
    .await;
    o.refused("Get-Recipient", json!({"Identity": "Temp"}), NOT_FOUND)
        .await;
    o.cmd(
        "Remove-Mailbox",
        json!({"Identity": "ajones", "Confirm": false}),
    )
    .await
    .unwrap();
    o.refused("Get-Mailbox", json!({"Identity": "ajones"}), NOT_FOUND)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_import_export_and_refusals() {
    let dir = TempDir::new("onprem-certs");
    let o = onprem(&dir).await;
    let made = o.ok("New-ExchangeCertificate", json!({"SubjectName": "CN=mail.contoso.com", "FriendlyName": "EWS", "DomainName": "mail.contoso.com", "KeySize": "3072"})).await;
    assert_eq!(
        (made["KeySize"].clone(), made["HasPrivateKey"].clone()),
        (json!(3072), json!(true))
    );
    o.refused(
        "New-ExchangeCertificate",
        json!({"KeySize": "1024"}),
        BAD_ARG,
    )
    .await;
    let external = CertificateRequest {
        common_name: "imported".into(),
        ..Default::default()
    }
    .self_signed()
    .unwrap();
    let pem = format!(
        "{}{}",
        external.certificate.to_pem(),
        &*external.key.to_pkcs8_pem()
    );
    let imported = o
        .ok(
            "Import-ExchangeCertificate",
            json!({"FileData": STANDARD.encode(pem)}),
        )
        .await;
    assert_eq!(
        (
            s(&imported, "Thumbprint"),
            imported["HasPrivateKey"].clone()
        ),
        (external.certificate.thumbprint().to_string(), json!(true))
    );
    o.refused(
        "Import-ExchangeCertificate",
        json!({"FileData": STANDARD.encode(external.certificate.der())}),
        EXISTS,
    )
    .await;
    let der_only = CertificateRequest::default().self_signed().unwrap();
    let no_key = o
        .ok(
            "Import-ExchangeCertificate",
            json!({"FileData": STANDARD.encode(der_only.certificate.der())}),
        )
        .await;
    assert_eq!(no_key["HasPrivateKey"], json!(false));
    let mismatched = format!(
        "{}{}",
        CertificateRequest::default()
            .self_signed()
            .unwrap()
            .certificate
            .to_pem(),
        &*external.key.to_pkcs8_pem()
    );
    o.refused(
        "Import-ExchangeCertificate",
        json!({"FileData": STANDARD.encode(mismatched)}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Import-ExchangeCertificate",
        json!({"FileData": "not base64!"}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Import-ExchangeCertificate",
        json!({"FileData": STANDARD.encode("junk")}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Import-ExchangeCertificate",
        json!({"FileData": STANDARD.encode("x"), "Password": "p"}),
        BAD_ARG,
    )
    .await;
    let exported = o
        .ok(
            "Export-ExchangeCertificate",
            json!({"Thumbprint": external.certificate.thumbprint(), "BinaryEncoded": true}),
        )
        .await;
    assert_eq!(
        STANDARD.decode(s(&exported, "FileData")).unwrap(),
        external.certificate.der(),
        "DER, certificate only"
    );
    o.refused(
        "Export-ExchangeCertificate",
        json!({"Thumbprint": external.certificate.thumbprint(), "Password": "p"}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Export-ExchangeCertificate",
        json!({"Thumbprint": "00"}),
        NOT_FOUND,
    )
    .await;
    let cfg = o.ok("Get-AuthConfig", json!({})).await;
    o.refused(
        "Remove-ExchangeCertificate",
        json!({"Thumbprint": s(&cfg, "CurrentCertificateThumbprint"), "Confirm": false}),
        BAD_ARG,
    )
    .await;
    o.ok(
        "Remove-ExchangeCertificate",
        json!({"Thumbprint": der_only.certificate.thumbprint(), "Confirm": false}),
    )
    .await;
}

async fn metadata_thumbprints(o: &OnPremUnderTest) -> Vec<String> {
    let text = reqwest::get(format!("{}/autodiscover/metadata/json/1", o.url))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("\"keyvalue\""), "Exchange's lowercase casing");
    let doc = s2s::MetadataDocument::parse(text.as_bytes()).unwrap();
    assert_eq!(doc.version.as_deref(), Some("Exchange/1.0"));
    assert_eq!(
        doc.identity().unwrap().issuer.as_deref(),
        Some("00000002-0000-0ff1-ce00-000000000000@contoso.com")
    );
    doc.signing_certificates()
        .unwrap()
        .iter()
        .map(|c| c.thumbprint().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_certificate_rollover() {
    let dir = TempDir::new("onprem-rollover");
    let o = onprem(&dir).await;
    let old = s(
        &o.ok("Get-AuthConfig", json!({})).await,
        "CurrentCertificateThumbprint",
    );
    assert_eq!(metadata_thumbprints(&o).await, vec![old.clone()]);
    let next = s(
        &o.ok(
            "New-ExchangeCertificate",
            json!({"SubjectName": "CN=Microsoft Exchange Server Auth Certificate"}),
        )
        .await,
        "Thumbprint",
    );
    let soon = (time::OffsetDateTime::now_utc() + time::Duration::days(2))
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap();
    let past = "2020-01-01T00:00:00Z";
    o.refused(
        "Set-AuthConfig",
        json!({"NewCertificateThumbprint": next, "NewCertificateEffectiveDate": past}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Set-AuthConfig",
        json!({"NewCertificateThumbprint": old, "NewCertificateEffectiveDate": soon}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Set-AuthConfig",
        json!({"NewCertificateThumbprint": "ABCDEF", "NewCertificateEffectiveDate": soon}),
        NOT_FOUND,
    )
    .await;
    o.refused(
        "Set-AuthConfig",
        json!({"NewCertificateThumbprint": next, "Realm": "x"}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "Set-AuthConfig",
        json!({"PublishCertificate": true}),
        BAD_ARG,
    )
    .await;
    let staged = o
        .ok(
            "Set-AuthConfig",
            json!({"NewCertificateThumbprint": next, "NewCertificateEffectiveDate": soon}),
        )
        .await;
    assert_eq!(s(&staged, "NextCertificateThumbprint"), next);
    assert_eq!(
        metadata_thumbprints(&o).await,
        vec![old.clone()],
        "the next certificate is not published"
    );
    o.refused(
        "Set-AuthConfig",
        json!({"PublishCertificate": true}),
        BAD_ARG,
    )
    .await;
    let published = o
        .ok(
            "Set-AuthConfig",
            json!({"PublishCertificate": true, "Force": true}),
        )
        .await;
    assert_eq!(
        (
            s(&published, "CurrentCertificateThumbprint"),
            s(&published, "PreviousCertificateThumbprint")
        ),
        (next.clone(), old.clone())
    );
    assert_eq!(s(&published, "NextCertificateThumbprint"), "");
    assert_eq!(
        metadata_thumbprints(&o).await,
        vec![next.clone(), old.clone()],
        "the previous certificate stays published"
    );
    o.ok("Set-AuthConfig", json!({"ClearPreviousCertificate": true}))
        .await;
    assert_eq!(metadata_thumbprints(&o).await, vec![next.clone()]);
    // A certificate without its private key cannot become current.
    let bare = CertificateRequest::default().self_signed().unwrap();
    o.ok(
        "Import-ExchangeCertificate",
        json!({"FileData": STANDARD.encode(bare.certificate.der())}),
    )
    .await;
    o.refused(
        "Set-AuthConfig",
        json!({"CertificateThumbprint": bare.certificate.thumbprint()}),
        BAD_ARG,
    )
    .await;
    o.ok("Set-AuthConfig", json!({"CertificateThumbprint": old}))
        .await;
    let cfg = o.ok("Get-AuthConfig", json!({})).await;
    assert_eq!(
        (
            s(&cfg, "CurrentCertificateThumbprint"),
            s(&cfg, "PreviousCertificateThumbprint")
        ),
        (old, next)
    );
    let realm = o
        .ok("Set-AuthConfig", json!({"Realm": "contoso.com"}))
        .await;
    assert_eq!(s(&realm, "Realm"), "contoso.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_servers_from_the_running_cloud_and_partner_applications_by_metadata() {
    let dir = TempDir::new("onprem-authserver");
    let cloud = CloudUnderTest::start(&format!("sqlite://{}", dir.path("cloud.db"))).await;
    let t: Value = reqwest::Client::new()
        .post(format!("{}/admin/tenants", cloud.url))
        .bearer_auth(&cloud.operator)
        .json(&json!({"domain": "contoso.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let tenant = s(&t, "tenantId");
    let o = onprem(&dir).await;
    // A tenant the cloud does not know: the refusal carries what the cloud said.
    let m = o
        .refused(
            "New-AuthServer",
            json!({"Name": "Nowhere", "AuthMetadataUrl": format!("{}/fabrikam.example/metadata/json/1", cloud.url)}),
            "AuthMetadataException",
        )
        .await;
    assert!(
        m.contains("HTTP 400: AADSTS90002: Tenant 'fabrikam.example' not found"),
        "{m}"
    );
    let url = format!("{}/contoso.com/metadata/json/1", cloud.url);
    let acs = o
        .ok(
            "New-AuthServer",
            json!({"Name": "WindowsAzureACS", "AuthMetadataUrl": url}),
        )
        .await;
    assert_eq!(
        s(&acs, "IssuerIdentifier"),
        "00000001-0000-0000-c000-000000000000"
    );
    assert_eq!(s(&acs, "Realm"), tenant);
    assert_eq!(
        s(&acs, "TokenIssuingEndpoint"),
        format!("{}/{tenant}/tokens/OAuth/2", cloud.url)
    );
    assert_eq!(acs["CertificateStrings"].as_array().unwrap().len(), 2);
    assert_eq!(s(&acs, "Type"), "MicrosoftACS");
    // Times are shown as times, not Unix seconds.
    let fetched = acs["MetadataFetches"][0].as_str().unwrap();
    assert!(
        time::OffsetDateTime::parse(fetched, &time::format_description::well_known::Rfc3339)
            .is_ok(),
        "{fetched}"
    );
    let trust = o.server.state.trust();
    assert!(
        trust
            .challenge_issuers
            .contains(&format!("00000001-0000-0000-c000-000000000000@{tenant}"))
    );
    assert!(trust.snapshot.local_realms.iter().any(|r| r == &tenant));
    o.refused(
        "New-AuthServer",
        json!({"Name": "Again", "AuthMetadataUrl": url}),
        EXISTS,
    )
    .await;
    o.refused(
        "New-AuthServer",
        json!({"Name": "Down", "AuthMetadataUrl": "http://127.0.0.1:1/metadata/json/1"}),
        "AuthMetadataException",
    )
    .await;
    o.refused(
        "New-AuthServer",
        json!({"Name": "NotJson", "AuthMetadataUrl": format!("{}/health", cloud.url)}),
        "AuthMetadataException",
    )
    .await;
    o.refused("New-AuthServer", json!({"Name": "NoTenant", "AuthMetadataUrl": format!("{}/fabrikam.com/metadata/json/1", cloud.url)}), "AuthMetadataException").await;
    o.refused(
        "New-AuthServer",
        json!({"Name": "Odd", "AuthMetadataUrl": url, "Type": "Facebook"}),
        BAD_ARG,
    )
    .await;
    // The dedicated Exchange hybrid application is named on the auth server (2025 updates).
    let app = "6c4ae1d4-3a3c-4f21-9a3e-2b1f3c4d5e6f";
    let named = o
        .ok(
            "Set-AuthServer",
            json!({"Identity": "WindowsAzureACS", "ApplicationIdentifier": app, "DomainName": ["Contoso.com", "contoso.onmicrosoft.com"]}),
        )
        .await;
    assert_eq!(s(&named, "ApplicationIdentifier"), app);
    assert_eq!(
        named["DomainName"],
        json!(["contoso.com", "contoso.onmicrosoft.com"])
    );
    o.refused(
        "Set-AuthServer",
        json!({"Identity": "WindowsAzureACS", "ApplicationIdentifier": "ExchangeServerApp"}),
        BAD_ARG,
    )
    .await;
    // The cloud rotates its keys; a refresh brings the new one.
    reqwest::Client::new()
        .post(format!("{}/admin/signing-keys/rotate", cloud.url))
        .bearer_auth(&cloud.operator)
        .send()
        .await
        .unwrap();
    let refreshed = o
        .ok(
            "Set-AuthServer",
            json!({"Identity": "WindowsAzureACS", "RefreshAuthMetadata": true}),
        )
        .await;
    assert_eq!(refreshed["CertificateStrings"].as_array().unwrap().len(), 3);
    // A metadata URL that cannot be read is refused and changes nothing.
    o.refused(
        "Set-AuthServer",
        json!({"Identity": "WindowsAzureACS", "AuthMetadataUrl": "http://127.0.0.1:9/contoso.com/metadata/json/1", "Enabled": false, "Confirm": false}),
        "AuthMetadataException",
    )
    .await;
    let kept = o
        .ok("Get-AuthServer", json!({"Identity": "WindowsAzureACS"}))
        .await;
    assert_eq!(
        s(&kept, "AuthMetadataUrl"),
        s(&refreshed, "AuthMetadataUrl")
    );
    assert_eq!(kept["Enabled"], json!(true));
    let disabled = o
        .ok(
            "Set-AuthServer",
            json!({"Identity": "WindowsAzureACS", "Enabled": false, "Confirm": false}),
        )
        .await;
    assert_eq!(disabled["Enabled"], json!(false));
    assert!(
        o.server.state.trust().snapshot.issuers.is_empty(),
        "a disabled AuthServer is not trusted"
    );

    // A self-issuing partner described by an Exchange/1.0 document (another organization's).
    let dir2 = TempDir::new("onprem-partner");
    let other = OnPremUnderTest::start(&format!("sqlite://{}", dir2.path("other.db"))).await;
    other
        .ok("Set-AuthConfig", json!({"Realm": "fabrikam.com"}))
        .await;
    let doc_url = format!("{}/autodiscover/metadata/json/1", other.url);
    let p = o
        .ok(
            "New-PartnerApplication",
            json!({"Name": "Fabrikam", "AuthMetadataUrl": doc_url}),
        )
        .await;
    assert_eq!(
        (p["UseAuthServer"].clone(), s(&p, "Realm")),
        (json!(false), "fabrikam.com".to_string())
    );
    assert_eq!(
        s(&p, "ApplicationIdentifier"),
        "00000002-0000-0ff1-ce00-000000000000"
    );
    assert_eq!(
        s(&p, "IssuerIdentifier"),
        "00000002-0000-0ff1-ce00-000000000000@fabrikam.com"
    );
    let trust = o.server.state.trust();
    assert!(trust.snapshot.issuers.iter().any(
        |i| matches!(&i.kind, s2s::IssuerKind::PartnerApplication { name } if name == "Fabrikam")
            && i.realm.as_deref() == Some("fabrikam.com")
    ));
    assert!(
        trust
            .challenge_issuers
            .contains(&"00000002-0000-0ff1-ce00-000000000000@fabrikam.com".to_string())
    );
    o.refused(
        "Set-PartnerApplication",
        json!({"Identity": "Fabrikam", "Realm": ""}),
        BAD_ARG,
    )
    .await;
    o.refused(
        "New-PartnerApplication",
        json!({"Name": "Fabrikam2", "AuthMetadataUrl": doc_url}),
        EXISTS,
    )
    .await;
    o.ok(
        "Remove-PartnerApplication",
        json!({"Identity": "Fabrikam", "Confirm": false}),
    )
    .await;
    o.ok(
        "Remove-AuthServer",
        json!({"Identity": "WindowsAzureACS", "Confirm": false}),
    )
    .await;
    o.refused(
        "Get-AuthServer",
        json!({"Identity": "WindowsAzureACS"}),
        NOT_FOUND,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_changes_reach_other_processes_within_a_second() {
    let dir = TempDir::new("onprem-trust");
    let mut urls = vec![format!("sqlite://{}", dir.path("shared.db"))];
    if let Some(admin) = hybrid_tests::postgres_admin_url() {
        urls.push(hybrid_tests::fresh_postgres_database(&admin).await);
    }
    for url in urls {
        let a = OnPremUnderTest::start(&url).await;
        let b = OnPremUnderTest::start(&url).await; // the same organization, another process
        a.ok(
            "New-PartnerApplication",
            json!({"Name": "SfBOnline", "ApplicationIdentifier": SKYPE}),
        )
        .await;
        let started = std::time::Instant::now();
        loop {
            if b.server
                .state
                .trust()
                .snapshot
                .partner_applications
                .iter()
                .any(|p| p.name == "SfBOnline")
            {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "{url}: not seen within a second"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        eprintln!(
            "{}: the other process trusted the new partner application after {:?}",
            a.store.url(),
            started.elapsed()
        );
        a.ok(
            "Set-PartnerApplication",
            json!({"Identity": "SfBOnline", "Enabled": false, "Confirm": false}),
        )
        .await;
        let started = std::time::Instant::now();
        while b
            .server
            .state
            .trust()
            .snapshot
            .partner_applications
            .iter()
            .any(|p| p.name == "SfBOnline")
        {
            assert!(
                started.elapsed() < std::time::Duration::from_secs(1),
                "{url}: disabling not seen within a second"
            );
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_is_fetched_again_periodically_and_after_a_signature_failure() {
    let dir = TempDir::new("onprem-refresh");
    let cloud = CloudUnderTest::start(&format!("sqlite://{}", dir.path("cloud.db"))).await;
    reqwest::Client::new()
        .post(format!("{}/admin/tenants", cloud.url))
        .bearer_auth(&cloud.operator)
        .json(&json!({"domain": "contoso.com"}))
        .send()
        .await
        .unwrap();
    let policy = onprem::refresh::RefreshPolicy {
        period: std::time::Duration::from_secs(1),
        check_every: std::time::Duration::from_millis(200),
    };
    let o =
        OnPremUnderTest::start_with(&format!("sqlite://{}", dir.path("onprem.db")), policy).await;
    let url = format!("{}/contoso.com/metadata/json/1", cloud.url);
    o.ok(
        "New-AuthServer",
        json!({"Name": "WindowsAzureACS", "AuthMetadataUrl": url}),
    )
    .await;
    reqwest::Client::new()
        .post(format!("{}/admin/signing-keys/rotate", cloud.url))
        .bearer_auth(&cloud.operator)
        .send()
        .await
        .unwrap();
    let started = std::time::Instant::now();
    loop {
        let keys = o
            .server
            .state
            .trust()
            .snapshot
            .issuers
            .first()
            .map(|i| i.keys.len())
            .unwrap_or(0);
        if keys == 3 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(5),
            "the periodic refresh did not bring the new key"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // After signature failures: at most three fetches in a day.
    let dir2 = TempDir::new("onprem-refresh-2");
    let o2 = onprem(&dir2).await;
    o2.ok(
        "New-AuthServer",
        json!({"Name": "WindowsAzureACS", "AuthMetadataUrl": url}),
    )
    .await; // fetch 1
    let state = &o2.server.state;
    assert!(
        onprem::refresh::after_signature_failure(state, "00000001-0000-0000-c000-000000000000")
            .await
    ); // 2
    assert!(
        onprem::refresh::after_signature_failure(state, "00000001-0000-0000-c000-000000000000")
            .await
    ); // 3
    assert!(
        !onprem::refresh::after_signature_failure(state, "00000001-0000-0000-c000-000000000000")
            .await,
        "a fourth fetch today is refused"
    );
    assert!(!onprem::refresh::after_signature_failure(state, "unknown-issuer").await);
}

/// The admin plane takes changes only from a Bearer credential and never from another site,
/// and bounds what a cmdlet may be given.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_changes_need_a_bearer_credential_from_this_site_and_bounded_input() {
    let dir = hybrid_tests::TempDir::new("admin-plane");
    let o = OnPremUnderTest::start(&format!("sqlite://{}", dir.path("onprem.db"))).await;
    o.ok(
        "New-Mailbox",
        serde_json::json!({"Name": "Alice", "Alias": "alice"}),
    )
    .await;
    let http = reqwest::Client::new();
    let remove = serde_json::json!({"Cmdlet": "Remove-Mailbox", "Parameters": {"Identity": "alice", "Confirm": false}});
    let post = |auth: String, extra: &[(&str, &str)]| {
        let mut r = http
            .post(format!("{}/admin/cmdlet", o.url))
            .header("authorization", auth)
            .json(&remove);
        for (k, v) in extra {
            r = r.header(*k, *v);
        }
        async move {
            let r = r.send().await.unwrap();
            let s = r.status();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("admin:{}", o.admin)
        )
    );
    let bearer = format!("Bearer {}", o.admin);
    for (why, auth, extra, status, code) in [
        ("HTTP Basic", basic.clone(), vec![], 401, "Unauthorized"),
        (
            "from another site",
            bearer.clone(),
            vec![("sec-fetch-site", "cross-site")],
            403,
            "AccessDenied",
        ),
        (
            "from a sibling site",
            bearer.clone(),
            vec![("sec-fetch-site", "same-site")],
            403,
            "AccessDenied",
        ),
        (
            "with a foreign Origin",
            bearer.clone(),
            vec![("origin", "https://attacker.example")],
            403,
            "AccessDenied",
        ),
    ] {
        let (s, e) = post(auth, &extra).await;
        assert_eq!(s.as_u16(), status, "{why}: {e}");
        assert_eq!(e["error"]["code"], code, "{why}: {e}");
    }
    // Reading with Basic (the web view) still works; the mailbox is still there.
    let r = http
        .get(format!("{}/admin/handshakes", o.url))
        .header("authorization", basic)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    o.ok("Get-Mailbox", serde_json::json!({"Identity": "alice"}))
        .await;

    // Too large a value, too many parameters, too large a request: refused, nothing stored.
    let big = "x".repeat(1_000_000);
    let m = o
        .refused(
            "Set-Mailbox",
            serde_json::json!({"Identity": "alice", "DisplayName": big}),
            "ArgumentException",
        )
        .await;
    assert!(m.contains("1000000 bytes") || m.contains("at most"), "{m}");
    let m = o
        .refused(
            "Set-Mailbox",
            serde_json::json!({"Identity": "alice", "DisplayName": "y".repeat(70_000)}),
            "ArgumentException",
        )
        .await;
    assert!(m.contains("'DisplayName'"), "{m}");
    let many: serde_json::Map<String, serde_json::Value> = (0..100)
        .map(|i| (format!("P{i}"), serde_json::json!("v")))
        .collect();
    o.refused(
        "Get-Mailbox",
        serde_json::Value::Object(many),
        "ArgumentException",
    )
    .await;
    let got = o
        .ok("Get-Mailbox", serde_json::json!({"Identity": "alice"}))
        .await;
    assert_eq!(got["DisplayName"], "Alice");
    // The same change with the Bearer credential and no cross-site marks goes through.
    let (s, e) = post(bearer, &[("sec-fetch-site", "same-origin")]).await;
    assert_eq!(s.as_u16(), 200, "{e}");
}
