use super::*;
use cloud::model::{KeyCredential, ServicePrincipal};
use onprem::model::{AuthServerType, PartnerApplication};
use serde_json::json;

/// An object from its wire form, as the servers answer it.
fn of<T: serde::de::DeserializeOwned>(v: serde_json::Value) -> T {
    serde_json::from_value(v).unwrap()
}

fn principal(keys: Vec<KeyCredential>, names: &[&str]) -> ServicePrincipal {
    ServicePrincipal {
        key_credentials: keys,
        service_principal_names: names.iter().map(|n| n.to_string()).collect(),
        ..ServicePrincipal::first_party("00000000-0000-0000-0000-000000000000", "principal")
    }
}

const THUMB: &str = "31829B78D78A7C14B2D7FEEC509FA513DBDD05D0";
const TENANT: &str = "a84d8988-d776-47d9-9cd5-32c8781d5c95";

fn key(thumb: &str, start: &str, end: &str) -> KeyCredential {
    of(
        json!({ "customKeyIdentifier": thumb, "keyId": "k1", "startDateTime": start, "endDateTime": end }),
    )
}

const HYBRID_APP: &str = "6c4ae1d4-3a3c-4f21-9a3e-2b1f3c4d5e6f";

/// A trust as the runbook leaves it, in the dedicated mode: the auth certificate on the
/// tenant's Exchange hybrid application (with admin consent), none on 00000002-….
pub(crate) fn healthy() -> Facts {
    let k = key(THUMB, "2026-11-26T08:37:27Z", "2031-11-26T08:37:27Z");
    Facts {
        teams: None,
        at: OffsetDateTime::parse("2027-01-01T00:00:00Z", &Rfc3339).unwrap(),
        within: Duration::days(30),
        cloud_url: "http://127.0.0.1:8441".into(),
        tenant_id: TENANT.into(),
        tenant_domains: vec!["contoso.com".into()],
        org: of(json!({ "EwsUrl": "https://mail.contoso.com/EWS/Exchange.asmx" })),
        auth_config: of(json!({ "CurrentCertificateThumbprint": THUMB, "Realm": "" })),
        certificates: vec![of(json!({
            "Thumbprint": THUMB, "NotBefore": "2026-11-26T08:37:27Z", "NotAfter": "2031-11-26T08:37:27Z"
        }))],
        auth_servers: vec![
            of(json!({
                "Name": "WindowsAzureACS", "IssuerIdentifier": ACS_APP_ID, "Realm": TENANT, "Enabled": true,
                "CertificateStrings": [], "Type": "MicrosoftACS"
            })),
            of(json!({
                "Name": format!("EvoSts - {TENANT}"), "Realm": TENANT, "Enabled": true, "Type": "AzureAD",
                "CertificateStrings": [], "ApplicationIdentifier": HYBRID_APP
            })),
        ],
        partner_applications: vec![of(json!({
            "Name": "SfBOnline", "ApplicationIdentifier": SKYPE_APP_ID, "Enabled": true, "UseAuthServer": true,
            "LinkedAccount": "contoso.com/Users/SfBOnline-ApplicationAccount"
        }))],
        mail_users: vec![of(json!({ "Name": "SfBOnline-ApplicationAccount", "Identity": "contoso.com/Users/SfBOnline-ApplicationAccount" }))],
        role_assignments: ["UserApplication", "ArchiveApplication"]
            .iter()
            .map(|r| of(json!({ "Role": r, "User": "contoso.com/Users/SfBOnline-ApplicationAccount", "Enabled": true })))
            .collect(),
        exchange_sp: principal(vec![], &["https://mail.contoso.com/"]),
        skype_sp: principal(vec![k.clone()], &[]),
        hybrid_app: Some(HybridAppFacts {
            app_id: HYBRID_APP.into(),
            found: true,
            key_credentials: vec![k],
            consent: true,
            ..Default::default()
        }),
        partner_signing_thumbprint: None,
        metadata: vec![MetadataFetch {
            auth_server: "WindowsAzureACS".into(),
            url: "http://127.0.0.1:8441/contoso.com/metadata/json/1".into(),
            document: Ok((TENANT.into(), vec![])),
        }],
        clocks: vec![("cloud".into(), Ok(0))],
        urls: vec![("cloud".into(), "https://127.0.0.1:8441".into())],
        hma: None,
    }
}

fn codes(f: &Facts) -> Vec<&'static str> {
    diagnose(f)
        .into_iter()
        .flat_map(|c| c.findings)
        .map(|f| f.code)
        .collect()
}

#[test]
fn a_healthy_trust_has_no_findings() {
    assert_eq!(codes(&healthy()), Vec::<&str>::new());
}

#[test]
fn a_certificate_near_its_end_is_a_warning_and_past_it_an_error() {
    let mut f = healthy();
    f.at = OffsetDateTime::parse("2031-11-01T00:00:00Z", &Rfc3339).unwrap();
    let report = diagnose(&f);
    let soon = report.iter().flat_map(|c| &c.findings).next().unwrap();
    assert_eq!(
        (soon.code, soon.severity),
        ("AuthCertificateExpiresSoon", Severity::Warning)
    );
    f.at = OffsetDateTime::parse("2031-11-26T08:37:27Z", &Rfc3339).unwrap();
    let c = codes(&f);
    assert!(
        c.contains(&"AuthCertificateExpired") && c.contains(&"UploadedKeyExpired"),
        "{c:?}"
    );
}

#[test]
fn key_dates_other_than_the_certificates_are_step_6s_finding() {
    let mut f = healthy();
    f.skype_sp.key_credentials = vec![key(THUMB, "2026-12-01T00:00:00Z", "2031-11-26T08:37:27Z")];
    assert_eq!(codes(&f), vec!["KeyDatesMismatch"]);
}

#[test]
fn a_staged_certificate_not_uploaded_is_flagged_before_it_is_published() {
    let mut f = healthy();
    f.auth_config.next_certificate_thumbprint = "AAAA".into();
    assert_eq!(
        codes(&f),
        vec!["NextCertificateNotUploaded", "NextCertificateNotUploaded"]
    );
}

#[test]
fn spn_forms_with_and_without_scheme_are_accepted() {
    let mut f = healthy();
    f.exchange_sp.service_principal_names = vec!["mail.contoso.com".into()];
    assert!(codes(&f).is_empty());
    f.exchange_sp.service_principal_names = vec!["https://autodiscover.contoso.com/".into()];
    assert_eq!(codes(&f), vec!["SpnMissing"]);
}

#[test]
fn metadata_unreachable_clock_skew_and_realms() {
    let mut f = healthy();
    f.metadata[0].document = Err("connection refused".into());
    f.clocks = vec![("onprem".into(), Ok(-301)), ("partner".into(), Ok(299))];
    f.auth_servers[0].realm = "contoso.onmicrosoft.com".into();
    f.auth_config.realm = "contoso.com".into();
    assert_eq!(
        codes(&f),
        vec!["RealmMismatch", "MetadataUnreachable", "ClockSkew"]
    );
}

#[test]
fn an_auth_server_whose_certificates_differ_from_its_metadata_is_stale() {
    let mut f = healthy();
    f.metadata[0].document = Ok((TENANT.into(), vec!["BEEF".into()]));
    assert_eq!(codes(&f), vec!["MetadataStale"]);
}

#[test]
fn the_linked_account_needs_both_roles_and_the_app_must_exist() {
    let mut f = healthy();
    f.role_assignments.remove(0);
    assert_eq!(codes(&f), vec!["LinkedAccountMissingRole"]);
    f.partner_applications.clear();
    // Step 2 is checked before step 3, by the runbook's account name.
    assert_eq!(
        codes(&f),
        vec!["LinkedAccountMissingRole", "PartnerApplicationMissing"]
    );
    f.mail_users.clear();
    let report = diagnose(&f);
    let missing = report
        .iter()
        .flat_map(|c| &c.findings)
        .find(|x| x.code == "ApplicationAccountMissing")
        .unwrap();
    assert!(
        missing.fix[0]
            .starts_with("hybrid onprem new-mail-user --name SfBOnline-ApplicationAccount")
    );
    assert_eq!(
        codes(&f),
        vec!["ApplicationAccountMissing", "PartnerApplicationMissing"]
    );
}

/// The seed runbook's shared mode: the certificate on 00000002-…, no application named.
fn shared() -> Facts {
    let mut f = healthy();
    f.exchange_sp.key_credentials =
        vec![key(THUMB, "2026-11-26T08:37:27Z", "2031-11-26T08:37:27Z")];
    f.auth_servers[0].application_identifier = String::new();
    f.hybrid_app = None;
    f
}

#[test]
fn the_shared_mode_is_a_cve_2025_53786_exposure_with_its_fix() {
    let report = diagnose(&shared());
    let found: Vec<&Finding> = report.iter().flat_map(|c| &c.findings).collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(
        (found[0].code, found[0].severity),
        ("SharedServicePrincipalExposure", Severity::Warning)
    );
    assert!(found[0].message.contains("CVE-2025-53786"));
    assert_eq!(
        found[0].fix[1],
        "hybrid cloud configure-hybrid-application --mode full --certificate OAuthConfig/OAuthCert.cer"
    );
    assert_eq!(found[0].fix.len(), 2);
    // Without the certificate on 00000002-… the shared mode is step 1's error, as before.
    let mut f = shared();
    f.exchange_sp.key_credentials.clear();
    assert_eq!(codes(&f), vec!["UploadedKeyNotCurrent"]);
}

#[test]
fn the_dedicated_application_needs_to_exist_consent_and_the_certificate() {
    let mut f = healthy();
    f.hybrid_app = Some(HybridAppFacts {
        app_id: HYBRID_APP.into(),
        ..Default::default()
    });
    assert_eq!(codes(&f), vec!["HybridApplicationNotFound"]);
    let mut f = healthy();
    f.hybrid_app.as_mut().unwrap().consent = false;
    f.hybrid_app.as_mut().unwrap().key_credentials.clear();
    assert_eq!(
        codes(&f),
        vec![
            "HybridApplicationWithoutConsent",
            "HybridApplicationCertificateMissing"
        ]
    );
    // Left on 00000002-… as well: the exposure stays until the shared keys are reset.
    let mut f = healthy();
    f.exchange_sp.key_credentials =
        vec![key(THUMB, "2026-11-26T08:37:27Z", "2031-11-26T08:37:27Z")];
    let report = diagnose(&f);
    let found: Vec<&Finding> = report.iter().flat_map(|c| &c.findings).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].code, "SharedServicePrincipalExposure");
    assert_eq!(
        found[0].fix,
        vec!["hybrid cloud configure-hybrid-application --mode reset-first-party-keys"]
    );
}

#[test]
fn a_disabled_exchange_online_partner_application_stops_free_busy() {
    let mut f = healthy();
    f.partner_applications.push(PartnerApplication {
        name: "Exchange Online".into(),
        application_identifier: EXCHANGE_APP_ID.into(),
        enabled: false,
        ..Default::default()
    });
    let report = diagnose(&f);
    let found: Vec<&Finding> = report.iter().flat_map(|c| &c.findings).collect();
    assert_eq!(found.len(), 1);
    assert_eq!(
        (found[0].code, found[0].severity, &found[0].breaks[..]),
        (
            "ExchangeOnlinePartnerApplicationDisabled",
            Severity::Error,
            &[Flow::FreeBusy][..]
        )
    );
    assert_eq!(
        found[0].fix,
        vec!["hybrid onprem set-partner-application --identity \"Exchange Online\" --enabled true"]
    );
    f.partner_applications[1].enabled = true;
    assert!(codes(&f).is_empty());
}

#[test]
fn the_dedicated_mode_needs_its_entra_auth_server_naming_the_application() {
    let mut f = healthy();
    f.auth_servers.retain(|a| a.kind != AuthServerType::AzureAD);
    f.auth_servers[0].application_identifier = HYBRID_APP.into();
    assert_eq!(codes(&f), vec!["EntraAuthServerMissing"]);
    let fix = &diagnose(&f)
        .into_iter()
        .flat_map(|c| c.findings)
        .find(|x| x.code == "EntraAuthServerMissing")
        .unwrap()
        .fix;
    assert!(
        fix[0].contains("new-auth-server --name \"EvoSts - ") && fix[0].contains("--type AzureAD")
    );
    assert!(fix[0].contains("/federationmetadata/2007-06/federationmetadata.xml"));
    assert!(fix[1].contains(&format!("--application-identifier {HYBRID_APP}")));
    let mut f = healthy();
    f.auth_servers[1].enabled = false;
    assert_eq!(codes(&f), vec!["EntraAuthServerDisabled"]);
    let mut f = healthy();
    f.auth_servers[1].application_identifier = String::new();
    assert_eq!(codes(&f), vec!["EntraAuthServerWithoutApplication"]);
}
