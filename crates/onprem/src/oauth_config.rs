//! OAuth configuration: AuthConfig, AuthServers and PartnerApplications, with Exchange's rules.

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use s2s::metadata::MetadataDocument;
use serde_json::{Value, json};
use store::{DirectoryObject, Store};
use time::OffsetDateTime;

const METADATA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn get_auth_config(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[])?;
    Ok(vec![present(&auth_config(store).await?)])
}

/// A certificate AuthConfig may use: in the store, with its private key, valid now.
async fn usable_certificate(store: &Store, thumbprint: &str) -> Result<String, OnPremError> {
    let obj = crate::certs::by_thumbprint(store, thumbprint).await?;
    let (cert, key) = crate::certs::load(&obj.data)?;
    if key.is_none() {
        return Err(OnPremError::InvalidArgument(format!(
            "The certificate {} has no private key on this server.",
            cert.thumbprint()
        )));
    }
    if !cert.is_valid_at(OffsetDateTime::now_utc()) {
        return Err(OnPremError::InvalidArgument(format!(
            "The certificate {} is not valid now.",
            cert.thumbprint()
        )));
    }
    if cert.public_key().is_err() {
        return Err(OnPremError::InvalidArgument(format!(
            "The certificate {} cannot sign tokens (RSA, 2048 bits or more).",
            cert.thumbprint()
        )));
    }
    Ok(cert.thumbprint().to_string())
}

fn iso(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// Set-AuthConfig, each parameter set: CertificateThumbprint; NewCertificateThumbprint +
/// NewCertificateEffectiveDate; PublishCertificate [+ ClearPreviousCertificate];
/// ClearPreviousCertificate; Realm and/or ServiceName.
pub async fn set_auth_config(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "CertificateThumbprint",
        "SkipImmediateCertificateDeployment",
        "Server",
        "NewCertificateThumbprint",
        "NewCertificateEffectiveDate",
        "PublishCertificate",
        "ClearPreviousCertificate",
        "Realm",
        "ServiceName",
    ])?;
    let sets: [(&str, &[&str]); 4] = [
        (
            "CertificateThumbprint",
            &[
                "CertificateThumbprint",
                "SkipImmediateCertificateDeployment",
                "Server",
            ],
        ),
        (
            "NewCertificateThumbprint",
            &["NewCertificateThumbprint", "NewCertificateEffectiveDate"],
        ),
        (
            "PublishCertificate",
            &["PublishCertificate", "ClearPreviousCertificate"],
        ),
        ("Realm", &["Realm", "ServiceName"]),
    ];
    let used: Vec<&str> = sets
        .iter()
        .filter(|(_, members)| members.iter().any(|m| p.has(m)))
        .map(|(n, _)| *n)
        .collect();
    let only_clear = p.has("ClearPreviousCertificate") && !p.has("PublishCertificate");
    if used.len() != 1 && !(only_clear && used == ["PublishCertificate"]) {
        return Err(OnPremError::InvalidArgument(
            "Parameter set cannot be resolved using the specified named parameters.".into(),
        ));
    }
    let obj = auth_config(store).await?;
    let mut v = obj.data.clone();
    let current = text(&v, "CurrentCertificateThumbprint").to_string();
    match used[0] {
        "CertificateThumbprint" => {
            let t = usable_certificate(store, &p.required("CertificateThumbprint")?).await?;
            if !t.eq_ignore_ascii_case(&current) {
                set(&mut v, "PreviousCertificateThumbprint", json!(current));
                set(&mut v, "CurrentCertificateThumbprint", json!(t));
            }
        }
        "NewCertificateThumbprint" => {
            let t = usable_certificate(store, &p.required("NewCertificateThumbprint")?).await?;
            let when = p.date("NewCertificateEffectiveDate")?.ok_or_else(|| {
                OnPremError::MissingParameter("NewCertificateEffectiveDate".into())
            })?;
            if when < OffsetDateTime::now_utc() - time::Duration::minutes(5) {
                return Err(OnPremError::InvalidArgument(format!(
                    "The effective date {} is in the past.",
                    iso(when)
                )));
            }
            if t.eq_ignore_ascii_case(&current) {
                return Err(OnPremError::InvalidArgument(
                    "The new certificate is the current certificate.".into(),
                ));
            }
            set(&mut v, "NextCertificateThumbprint", json!(t));
            set(&mut v, "NextCertificateEffectiveDate", json!(iso(when)));
        }
        "PublishCertificate" if only_clear => {
            set(&mut v, "PreviousCertificateThumbprint", json!(""));
        }
        "PublishCertificate" => {
            let next = text(&v, "NextCertificateThumbprint").to_string();
            if next.is_empty() {
                return Err(OnPremError::InvalidArgument(
                    "There is no next certificate to publish; set NewCertificateThumbprint first."
                        .into(),
                ));
            }
            let effective = v
                .get("NextCertificateEffectiveDate")
                .and_then(Value::as_str)
                .and_then(|s| {
                    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
                });
            if effective.is_some_and(|e| e > OffsetDateTime::now_utc())
                && p.bool("Force")? != Some(true)
            {
                return Err(OnPremError::InvalidArgument(format!(
                    "The next certificate's effective date ({}) hasn't arrived yet. Use -Force to publish it now.",
                    effective.map(iso).unwrap_or_default()
                )));
            }
            let clear = p.bool("ClearPreviousCertificate")?.unwrap_or(false);
            set(
                &mut v,
                "PreviousCertificateThumbprint",
                json!(if clear { String::new() } else { current }),
            );
            set(&mut v, "CurrentCertificateThumbprint", json!(next));
            set(&mut v, "NextCertificateThumbprint", json!(""));
            set(&mut v, "NextCertificateEffectiveDate", Value::Null);
        }
        _ => {
            if let Some(r) = p.string("Realm")? {
                set(&mut v, "Realm", json!(r));
            }
            if let Some(s) = p.string("ServiceName")? {
                if s.is_empty() {
                    return Err(OnPremError::InvalidArgument(
                        "ServiceName cannot be empty.".into(),
                    ));
                }
                set(&mut v, "ServiceName", json!(s));
            }
        }
    }
    let saved = save(store, &obj, v).await?;
    Ok(vec![present(&saved)])
}

/// What a refusing server said, in a line: an OAuth error's `error_description` (its AADSTS
/// code and first line), else the start of its text.
fn server_said(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let described = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|v| v["error_description"].as_str().map(str::to_string));
    let line = described.unwrap_or_else(|| text.to_string());
    let first = line.lines().next().unwrap_or("").trim();
    first.chars().take(300).collect()
}

/// Fetches a document (bounded in size and time).
async fn fetch_bytes(url: &str, trust_any_certificate: bool) -> Result<Vec<u8>, OnPremError> {
    let fail = |m: String| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' couldn't be read: {m}"
        ))
    };
    let client = reqwest::Client::builder()
        .timeout(METADATA_TIMEOUT)
        .danger_accept_invalid_certs(trust_any_certificate)
        .build()
        .map_err(|e| fail(e.to_string()))?;
    let mut resp = client
        .get(url)
        .send()
        .await
        .map_err(|e| fail(e.to_string()))?;
    if !resp.status().is_success() {
        let status = resp.status().as_u16();
        let said = resp.chunk().await.ok().flatten().map(|b| server_said(&b));
        return Err(fail(match said.filter(|m| !m.is_empty()) {
            Some(m) => format!("HTTP {status}: {m}"),
            None => format!("HTTP {status}"),
        }));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| fail(e.to_string()))? {
        body.extend_from_slice(&chunk);
        if body.len() > s2s::metadata::MAX_METADATA_BYTES {
            return Err(fail("the document is larger than 1 MiB".into()));
        }
    }
    Ok(body)
}

/// Fetches and parses an S2S (ACS or Exchange) metadata document.
pub async fn fetch_metadata(
    url: &str,
    trust_any_certificate: bool,
) -> Result<MetadataDocument, OnPremError> {
    let body = fetch_bytes(url, trust_any_certificate).await?;
    MetadataDocument::parse(&body).map_err(|e| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' couldn't be read: {e}"
        ))
    })
}

/// What a document says about an issuer: (service name, realm, issuer, signing certs, token endpoint).
struct Fetched {
    service_name: String,
    realm: String,
    issuer: Option<String>,
    certificates: Vec<String>,
    token_endpoint: Option<String>,
}

async fn fetch(url: &str, trust_any: bool, kind: &str) -> Result<Fetched, OnPremError> {
    if kind == "AzureAD" {
        return fetch_entra(url, trust_any).await;
    }
    let doc = fetch_metadata(url, trust_any).await?;
    let bad = |e: s2s::S2sError| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' is not usable: {e}"
        ))
    };
    let id = doc.identity().map_err(bad)?;
    let certs = doc.signing_certificates().map_err(bad)?;
    Ok(Fetched {
        service_name: id.service_name,
        realm: id.realm,
        issuer: id.issuer,
        certificates: certs.iter().map(|c| c.to_base64()).collect(),
        token_endpoint: doc.issuance_endpoint().map(str::to_string),
    })
}

/// The tenant id (the first GUID path segment) of an Entra issuer or endpoint URL.
fn tenant_of(url: &str) -> Option<String> {
    url.split('/')
        .find(|s| is_guid(s))
        .map(|s| s.to_ascii_lowercase())
}

/// An Entra tenant for an AzureAD AuthServer, from its WS-Federation metadata
/// (`…/federationmetadata/2007-06/federationmetadata.xml`, what the Hybrid Configuration
/// Wizard names) or its OpenID configuration (`…/.well-known/openid-configuration`, whose
/// `jwks_uri` is fetched for the keys). The issuer is the document's `entityID` or `issuer`.
async fn fetch_entra(url: &str, trust_any: bool) -> Result<Fetched, OnPremError> {
    let unusable = |m: String| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' is not usable: {m}"
        ))
    };
    let body = fetch_bytes(url, trust_any).await?;
    let text = String::from_utf8_lossy(&body);
    let (issuer, certificates, token_endpoint) =
        if text.trim_start().starts_with('<') || text.trim_start().starts_with('\u{feff}') {
            let m = s2s::federation::FederationMetadata::parse(&body)
                .map_err(|e| unusable(e.to_string()))?;
            let base = url
                .to_ascii_lowercase()
                .find("/federationmetadata/")
                .map(|i| url[..i].to_string());
            (
                m.entity_id,
                m.signing_certificates,
                base.map(|b| format!("{b}/oauth2/v2.0/token")),
            )
        } else {
            let oidc: Value = serde_json::from_slice(&body)
                .map_err(|e| unusable(format!("not JSON nor federation metadata: {e}")))?;
            let member = |k: &str| oidc[k].as_str().unwrap_or_default().to_string();
            let jwks_uri = member("jwks_uri");
            if jwks_uri.is_empty() || member("issuer").is_empty() {
                return Err(unusable(
                    "an OpenID configuration names 'issuer' and 'jwks_uri'".into(),
                ));
            }
            let keys: Value = serde_json::from_slice(&fetch_bytes(&jwks_uri, trust_any).await?)
                .map_err(|e| unusable(format!("the key set at '{jwks_uri}' is not JSON: {e}")))?;
            let certs = keys["keys"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|k| k["x5c"][0].as_str().map(String::from))
                .collect();
            (
                member("issuer"),
                certs,
                Some(member("token_endpoint")).filter(|e| !e.is_empty()),
            )
        };
    let realm = tenant_of(&issuer)
        .ok_or_else(|| unusable(format!("the issuer '{issuer}' names no tenant id (GUID)")))?;
    for c in &certificates {
        crypto::Certificate::from_base64(c)
            .map_err(|e| unusable(format!("a signing certificate is not readable: {e}")))?;
    }
    if certificates.is_empty() {
        return Err(unusable("the document names no signing certificate".into()));
    }
    Ok(Fetched {
        service_name: issuer,
        realm,
        issuer: None,
        certificates,
        token_endpoint,
    })
}

fn is_guid(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok()
}

pub async fn new_auth_server(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Name",
        "AuthMetadataUrl",
        "Type",
        "Enabled",
        "TrustAnySSLCertificate",
        "DomainName",
        "IsDefaultAuthorizationEndpoint",
        "ApplicationIdentifier",
    ])?;
    let name = p.required("Name")?;
    let dedicated = dedicated_application(p)?;
    if name.chars().count() > 64 {
        return Err(OnPremError::InvalidArgument(
            "Name can be at most 64 characters.".into(),
        ));
    }
    let url = p.required("AuthMetadataUrl")?;
    let kind = p.string("Type")?.unwrap_or_else(|| "MicrosoftACS".into());
    let kind = match kind.to_ascii_lowercase().as_str() {
        "microsoftacs" => "MicrosoftACS",
        "azuread" => "AzureAD",
        "adfs" => "ADFS",
        _ => {
            return Err(OnPremError::InvalidArgument(format!(
                "Type '{kind}' is not MicrosoftACS, AzureAD or ADFS."
            )));
        }
    };
    let f = fetch(
        &url,
        p.bool("TrustAnySSLCertificate")?.unwrap_or(false),
        kind,
    )
    .await?;
    let token_endpoint = f.token_endpoint.clone().ok_or_else(|| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' has no OAuth2 issuance endpoint."
        ))
    })?;
    if matches!(kind, "MicrosoftACS" | "AzureAD") && !is_guid(&f.realm) {
        return Err(OnPremError::InvalidArgument(format!(
            "The realm '{}' from the metadata document is not a tenant id (GUID).",
            f.realm
        )));
    }
    for o in all(store, AUTH_SERVER).await? {
        let d = &o.data;
        if text(d, "IssuerIdentifier").eq_ignore_ascii_case(&f.service_name)
            && text(d, "Type") == kind
            && text(d, "Realm").eq_ignore_ascii_case(&f.realm)
        {
            return Err(OnPremError::AlreadyExists(format!(
                "An auth server with issuer '{}' and realm '{}' already exists: '{}'.",
                f.service_name,
                f.realm,
                text(d, "Name")
            )));
        }
    }
    let v = object(&[
        ("Name", json!(name)),
        ("Identity", json!(name)),
        ("Guid", json!(guid())),
        ("IssuerIdentifier", json!(f.service_name)),
        ("Realm", json!(f.realm)),
        ("TokenIssuingEndpoint", json!(token_endpoint)),
        ("AuthorizationEndpoint", json!("")),
        ("ApplicationIdentifier", json!(dedicated.0)),
        ("DomainName", json!(dedicated.1)),
        ("AuthMetadataUrl", json!(url)),
        ("CertificateStrings", json!(f.certificates)),
        ("Type", json!(kind)),
        ("Enabled", json!(p.bool("Enabled")?.unwrap_or(true))),
        (
            "IsDefaultAuthorizationEndpoint",
            json!(p.bool("IsDefaultAuthorizationEndpoint")?.unwrap_or(false)),
        ),
        (
            "TrustAnySSLCertificate",
            json!(p.bool("TrustAnySSLCertificate")?.unwrap_or(false)),
        ),
        ("MetadataRefreshedAt", json!(now_text())),
        (
            "MetadataFetches",
            json!([OffsetDateTime::now_utc().unix_timestamp()]),
        ),
    ]);
    let obj = store
        .directory()
        .create(new_object(AUTH_SERVER, &name, v))
        .await?;
    Ok(vec![present(&obj)])
}

pub async fn get_auth_server(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    Ok(select(store, AUTH_SERVER, p.string("Identity")?.as_deref())
        .await?
        .iter()
        .map(present)
        .collect())
}

/// Re-reads an AuthServer's or PartnerApplication's metadata document into its object.
pub async fn refresh_metadata(
    store: &Store,
    obj: &DirectoryObject,
) -> Result<DirectoryObject, OnPremError> {
    let v = with_metadata(obj, obj.data.clone()).await?;
    save(store, obj, v).await
}

/// `data` (of `obj`'s kind) with what its metadata document says now; nothing is saved, so a
/// document that cannot be read changes nothing.
async fn with_metadata(obj: &DirectoryObject, data: Value) -> Result<Value, OnPremError> {
    let url = text(&data, "AuthMetadataUrl").to_string();
    if url.is_empty() {
        return Err(OnPremError::InvalidArgument(format!(
            "'{}' has no AuthMetadataUrl to refresh from.",
            obj.name
        )));
    }
    let kind = if obj.kind == AUTH_SERVER {
        text(&data, "Type").to_string()
    } else {
        "MicrosoftACS".to_string()
    };
    let f = fetch(
        &url,
        data.get("TrustAnySSLCertificate")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        &kind,
    )
    .await?;
    let mut v = data;
    set(&mut v, "CertificateStrings", json!(f.certificates));
    // An Entra tenant's issuer follows its authority (a moved or renamed token service).
    if kind == "AzureAD" {
        set(&mut v, "IssuerIdentifier", json!(f.service_name));
        set(&mut v, "Realm", json!(f.realm));
    }
    if obj.kind == AUTH_SERVER
        && let Some(e) = f.token_endpoint
    {
        set(&mut v, "TokenIssuingEndpoint", json!(e));
    }
    set(&mut v, "MetadataRefreshedAt", json!(now_text()));
    // The last three successful fetches decide whether a signature failure may fetch again.
    let mut fetches: Vec<Value> = v
        .get("MetadataFetches")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    fetches.push(json!(OffsetDateTime::now_utc().unix_timestamp()));
    let keep = fetches.len().saturating_sub(3);
    set(&mut v, "MetadataFetches", json!(fetches[keep..]));
    Ok(v)
}

pub async fn set_auth_server(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Identity",
        "Enabled",
        "Name",
        "AuthMetadataUrl",
        "RefreshAuthMetadata",
        "TrustAnySSLCertificate",
        "IsDefaultAuthorizationEndpoint",
        "ApplicationIdentifier",
        "DomainName",
    ])?;
    let mut obj = resolve(store, AUTH_SERVER, &p.required("Identity")?).await?;
    let mut v = obj.data.clone();
    if p.guid("ApplicationIdentifier")?.is_some() || p.strings("DomainName")?.is_some() {
        let (app, domains) = dedicated_application(p)?;
        if !app.is_empty() {
            set(&mut v, "ApplicationIdentifier", json!(app));
        }
        if !domains.is_empty() {
            set(&mut v, "DomainName", json!(domains));
        }
    }
    if let Some(e) = p.bool("Enabled")? {
        set(&mut v, "Enabled", json!(e));
    }
    if let Some(n) = p.string("Name")? {
        set(&mut v, "Name", json!(n));
        set(&mut v, "Identity", json!(n));
    }
    if let Some(d) = p.bool("IsDefaultAuthorizationEndpoint")? {
        set(&mut v, "IsDefaultAuthorizationEndpoint", json!(d));
    }
    if let Some(t) = p.bool("TrustAnySSLCertificate")? {
        set(&mut v, "TrustAnySSLCertificate", json!(t));
    }
    let new_url = p.string("AuthMetadataUrl")?;
    if let Some(u) = &new_url {
        set(&mut v, "AuthMetadataUrl", json!(u));
    }
    // Read first: a document that cannot be read leaves the AuthServer as it was.
    if new_url.is_some() || p.bool("RefreshAuthMetadata")? == Some(true) {
        v = with_metadata(&obj, v).await?;
    }
    obj = save(store, &obj, v).await?;
    Ok(vec![present(&obj)])
}

/// `-ApplicationIdentifier` (the dedicated Exchange hybrid application's appId, a GUID) and
/// `-DomainName` (the tenant's domains it serves), as the 2025 updates added them.
fn dedicated_application(p: &Params) -> Result<(String, Vec<String>), OnPremError> {
    let app = p.guid("ApplicationIdentifier")?.unwrap_or_default();
    if !app.is_empty() && !is_guid(&app) {
        return Err(OnPremError::InvalidArgument(format!(
            "ApplicationIdentifier '{app}' is not an application id (GUID)."
        )));
    }
    let domains: Vec<String> = p
        .strings("DomainName")?
        .unwrap_or_default()
        .iter()
        .map(|d| d.to_ascii_lowercase())
        .collect();
    Ok((app, domains))
}

pub async fn remove_by_identity(
    store: &Store,
    p: &Params,
    kind: &str,
) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    let obj = resolve(store, kind, &p.required("Identity")?).await?;
    store.directory().delete(&obj).await?;
    Ok(Vec::new())
}

pub fn partner_application_object(
    name: &str,
    application_id: &str,
    realm: &str,
    use_auth_server: bool,
    enabled: bool,
    accept_sid: bool,
    linked: Option<(&str, &str)>,
) -> Value {
    object(&[
        ("Name", json!(name)),
        ("Identity", json!(name)),
        ("Guid", json!(guid())),
        ("ApplicationIdentifier", json!(application_id)),
        ("Realm", json!(realm)),
        ("UseAuthServer", json!(use_auth_server)),
        ("Enabled", json!(enabled)),
        ("AcceptSecurityIdentifierInformation", json!(accept_sid)),
        ("AccountType", json!("OrganizationalAccount")),
        ("LinkedAccount", json!(linked.map(|l| l.0).unwrap_or(""))),
        (
            "LinkedAccountGuid",
            json!(linked.map(|l| l.1).unwrap_or("")),
        ),
        ("AuthMetadataUrl", json!("")),
        ("IssuerIdentifier", json!("")),
        ("CertificateStrings", json!([])),
    ])
}

async fn linked_account(store: &Store, identity: &str) -> Result<(String, String), OnPremError> {
    let user = crate::objects::resolve_recipient(store, identity).await?;
    Ok((
        text(&user.data, "Identity").to_string(),
        text(&user.data, "Guid").to_string(),
    ))
}

async fn check_unique_app(
    store: &Store,
    app: &str,
    realm: &str,
    except: Option<&str>,
) -> Result<(), OnPremError> {
    for o in all(store, PARTNER_APPLICATION).await? {
        if Some(o.id.as_str()) == except {
            continue;
        }
        if text(&o.data, "ApplicationIdentifier").eq_ignore_ascii_case(app)
            && text(&o.data, "Realm").eq_ignore_ascii_case(realm)
        {
            return Err(OnPremError::AlreadyExists(format!(
                "A partner application with ApplicationIdentifier '{app}' and Realm '{realm}' already exists: '{}'.",
                text(&o.data, "Name")
            )));
        }
    }
    Ok(())
}

/// New-PartnerApplication: ACSTrustApplication (-ApplicationIdentifier [-Realm]: trusted through
/// the AuthServer) or AuthMetadataUrl (a self-issuing partner described by its document).
pub async fn new_partner_application(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Name",
        "ApplicationIdentifier",
        "Realm",
        "AuthMetadataUrl",
        "TrustAnySSLCertificate",
        "Enabled",
        "LinkedAccount",
        "AcceptSecurityIdentifierInformation",
        "AccountType",
        "IssuerIdentifier",
        "ActAsPermissions",
        "AppOnlyPermissions",
    ])?;
    let name = p.required("Name")?;
    let enabled = p.bool("Enabled")?.unwrap_or(true);
    let accept_sid = p
        .bool("AcceptSecurityIdentifierInformation")?
        .unwrap_or(false);
    let linked = match p.string("LinkedAccount")? {
        Some(l) => Some(linked_account(store, &l).await?),
        None => None,
    };
    let linked_ref = linked.as_ref().map(|(a, b)| (a.as_str(), b.as_str()));
    let v = match (p.guid("ApplicationIdentifier")?, p.string("AuthMetadataUrl")?) {
        (Some(_), Some(_)) => return Err(OnPremError::InvalidArgument("Parameter set cannot be resolved using the specified named parameters: give ApplicationIdentifier or AuthMetadataUrl, not both.".into())),
        (None, None) => return Err(OnPremError::MissingParameter("ApplicationIdentifier or AuthMetadataUrl".into())),
        (Some(app), None) => {
            let realm = p.string("Realm")?.unwrap_or_default();
            check_unique_app(store, &app, &realm, None).await?;
            partner_application_object(&name, &app, &realm, true, enabled, accept_sid, linked_ref)
        }
        (None, Some(url)) => {
            let trust_any = p.bool("TrustAnySSLCertificate")?.unwrap_or(false);
            let f = fetch(&url, trust_any, "MicrosoftACS").await?;
            let realm = p.string("Realm")?.unwrap_or(f.realm.clone());
            if s2s::ids::is_realm_empty(Some(&realm)) {
                return Err(OnPremError::InvalidArgument("A partner application that does not use the auth server needs a realm, and its metadata document gives none.".into()));
            }
            check_unique_app(store, &f.service_name, &realm, None).await?;
            let mut v = partner_application_object(&name, &f.service_name, &realm, false, enabled, accept_sid, linked_ref);
            set(&mut v, "AuthMetadataUrl", json!(url));
            set(&mut v, "IssuerIdentifier", json!(f.issuer.clone().unwrap_or_default()));
            set(&mut v, "CertificateStrings", json!(f.certificates));
            set(&mut v, "TrustAnySSLCertificate", json!(trust_any));
            set(&mut v, "MetadataRefreshedAt", json!(now_text()));
            set(&mut v, "MetadataFetches", json!([OffsetDateTime::now_utc().unix_timestamp()]));
            v
        }
    };
    let obj = store
        .directory()
        .create(new_object(PARTNER_APPLICATION, &name, v))
        .await?;
    Ok(vec![present(&obj)])
}

pub async fn get_partner_application(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["Identity"])?;
    Ok(
        select(store, PARTNER_APPLICATION, p.string("Identity")?.as_deref())
            .await?
            .iter()
            .map(present)
            .collect(),
    )
}

pub async fn set_partner_application(store: &Store, p: &Params) -> Result<Vec<Value>, OnPremError> {
    p.allow(&[
        "Identity",
        "Enabled",
        "LinkedAccount",
        "AcceptSecurityIdentifierInformation",
        "Name",
        "Realm",
        "ApplicationIdentifier",
        "AuthMetadataUrl",
        "RefreshAuthMetadata",
        "TrustAnySSLCertificate",
        "AccountType",
        "IssuerIdentifier",
        "UseAuthServer",
    ])?;
    let mut obj = resolve(store, PARTNER_APPLICATION, &p.required("Identity")?).await?;
    let mut v = obj.data.clone();
    if let Some(e) = p.bool("Enabled")? {
        set(&mut v, "Enabled", json!(e));
    }
    if let Some(a) = p.bool("AcceptSecurityIdentifierInformation")? {
        set(&mut v, "AcceptSecurityIdentifierInformation", json!(a));
    }
    if let Some(l) = p.string("LinkedAccount")? {
        let (identity, guid) = if l.is_empty() {
            (String::new(), String::new())
        } else {
            linked_account(store, &l).await?
        };
        set(&mut v, "LinkedAccount", json!(identity));
        set(&mut v, "LinkedAccountGuid", json!(guid));
    }
    if let Some(n) = p.string("Name")? {
        set(&mut v, "Name", json!(n));
        set(&mut v, "Identity", json!(n));
    }
    let use_auth_server = match p.bool("UseAuthServer")? {
        Some(u) => u,
        None => v
            .get("UseAuthServer")
            .and_then(Value::as_bool)
            .unwrap_or(true),
    };
    set(&mut v, "UseAuthServer", json!(use_auth_server));
    let realm = p
        .string("Realm")?
        .unwrap_or_else(|| text(&v, "Realm").to_string());
    let app = p
        .string("ApplicationIdentifier")?
        .unwrap_or_else(|| text(&v, "ApplicationIdentifier").to_string());
    if !use_auth_server && s2s::ids::is_realm_empty(Some(&realm)) {
        return Err(OnPremError::InvalidArgument(
            "A partner application that does not use the auth server needs a realm.".into(),
        ));
    }
    check_unique_app(store, &app, &realm, Some(&obj.id)).await?;
    set(&mut v, "Realm", json!(realm));
    set(&mut v, "ApplicationIdentifier", json!(app));
    let new_url = p.string("AuthMetadataUrl")?;
    if let Some(u) = &new_url {
        set(&mut v, "AuthMetadataUrl", json!(u));
    }
    // Read first: a document that cannot be read leaves the AuthServer as it was.
    if new_url.is_some() || p.bool("RefreshAuthMetadata")? == Some(true) {
        v = with_metadata(&obj, v).await?;
    }
    obj = save(store, &obj, v).await?;
    Ok(vec![present(&obj)])
}
