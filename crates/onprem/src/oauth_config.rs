//! OAuth configuration: AuthConfig, AuthServers and PartnerApplications, with Exchange's rules.

use crate::error::OnPremError;
use crate::model::{
    AdminObject, AuthConfig, AuthServer, AuthServerType, CmdletObject, PartnerApplication,
    Recipient,
};
use crate::objects::*;
use crate::params::Params;
use s2s::metadata::MetadataDocument;
use store::Store;
use time::OffsetDateTime;

const METADATA_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

pub async fn get_auth_config(store: &Store) -> Result<Vec<CmdletObject>, OnPremError> {
    Ok(vec![auth_config(store).await?.value.into()])
}

/// A certificate AuthConfig may use: in the store, with its private key, valid now.
async fn usable_certificate(store: &Store, thumbprint: &str) -> Result<String, OnPremError> {
    let obj = crate::certs::by_thumbprint(store, thumbprint).await?;
    let (cert, key) = crate::certs::load(&obj.value)?;
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

/// Set-AuthConfig's parameter sets, each named by its first parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthConfigChange {
    Certificate,
    NewCertificate,
    Publish,
    ClearPrevious,
    Identity,
}

impl AuthConfigChange {
    /// The one parameter set the given parameters belong to.
    fn of(p: &Params) -> Result<Self, OnPremError> {
        let sets: [(Self, &[&str]); 4] = [
            (
                Self::Certificate,
                &[
                    "CertificateThumbprint",
                    "SkipImmediateCertificateDeployment",
                    "Server",
                ],
            ),
            (
                Self::NewCertificate,
                &["NewCertificateThumbprint", "NewCertificateEffectiveDate"],
            ),
            (
                Self::Publish,
                &["PublishCertificate", "ClearPreviousCertificate"],
            ),
            (Self::Identity, &["Realm", "ServiceName"]),
        ];
        let used: Vec<Self> = sets
            .iter()
            .filter(|(_, members)| members.iter().any(|m| p.has(m)))
            .map(|(n, _)| *n)
            .collect();
        let only_clear = p.has("ClearPreviousCertificate") && !p.has("PublishCertificate");
        match used[..] {
            [Self::Publish] if only_clear => Ok(Self::ClearPrevious),
            [one] => Ok(one),
            _ => Err(OnPremError::InvalidArgument(
                "Parameter set cannot be resolved using the specified named parameters.".into(),
            )),
        }
    }
}

/// Set-AuthConfig, each parameter set: CertificateThumbprint; NewCertificateThumbprint +
/// NewCertificateEffectiveDate; PublishCertificate [+ ClearPreviousCertificate];
/// ClearPreviousCertificate; Realm and/or ServiceName.
pub async fn set_auth_config(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let change = AuthConfigChange::of(p)?;
    let obj = auth_config(store).await?;
    let mut v = obj.value.clone();
    let current = v.current_certificate_thumbprint.clone();
    match change {
        AuthConfigChange::Certificate => {
            let t = usable_certificate(store, &p.required("CertificateThumbprint")?).await?;
            if !t.eq_ignore_ascii_case(&current) {
                v.previous_certificate_thumbprint = current;
                v.current_certificate_thumbprint = t;
            }
        }
        AuthConfigChange::NewCertificate => {
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
            v.next_certificate_thumbprint = t;
            v.next_certificate_effective_date = Some(iso(when));
        }
        AuthConfigChange::ClearPrevious => v.previous_certificate_thumbprint.clear(),
        AuthConfigChange::Publish => publish_next(&mut v, p)?,
        AuthConfigChange::Identity => {
            if let Some(r) = p.string("Realm")? {
                v.realm = r;
            }
            if let Some(s) = p.string("ServiceName")? {
                if s.is_empty() {
                    return Err(OnPremError::InvalidArgument(
                        "ServiceName cannot be empty.".into(),
                    ));
                }
                v.service_name = s;
            }
        }
    }
    let saved = save(store, &obj, v).await?;
    Ok(vec![saved.value.into()])
}

/// -PublishCertificate: the next certificate becomes the current one (once its date has come,
/// or with -Force), the current one the previous (unless -ClearPreviousCertificate).
fn publish_next(v: &mut AuthConfig, p: &Params) -> Result<(), OnPremError> {
    if v.next_certificate_thumbprint.is_empty() {
        return Err(OnPremError::InvalidArgument(
            "There is no next certificate to publish; set NewCertificateThumbprint first.".into(),
        ));
    }
    let effective = v.next_certificate_effective_date.as_deref().and_then(|s| {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()
    });
    if effective.is_some_and(|e| e > OffsetDateTime::now_utc()) && p.bool("Force")? != Some(true) {
        return Err(OnPremError::InvalidArgument(format!(
            "The next certificate's effective date ({}) hasn't arrived yet. Use -Force to publish it now.",
            effective.map(iso).unwrap_or_default()
        )));
    }
    let clear = p.bool("ClearPreviousCertificate")?.unwrap_or(false);
    let current = std::mem::take(&mut v.current_certificate_thumbprint);
    v.previous_certificate_thumbprint = if clear { String::new() } else { current };
    v.current_certificate_thumbprint = std::mem::take(&mut v.next_certificate_thumbprint);
    v.next_certificate_effective_date = None;
    Ok(())
}

/// What a refusing server said, in a line: an OAuth error's `error_description` (its AADSTS
/// code and first line), else the start of its text.
fn server_said(body: &[u8]) -> String {
    #[derive(serde::Deserialize)]
    struct OAuthError {
        error_description: String,
    }
    let text = String::from_utf8_lossy(&body[..body.len().min(4096)]);
    let line = serde_json::from_str::<OAuthError>(&text)
        .map(|e| e.error_description)
        .unwrap_or_else(|_| text.to_string());
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
pub struct Fetched {
    service_name: String,
    realm: String,
    issuer: Option<String>,
    certificates: Vec<String>,
    token_endpoint: Option<String>,
}

async fn fetch(url: &str, trust_any: bool, kind: AuthServerType) -> Result<Fetched, OnPremError> {
    if kind == AuthServerType::AzureAD {
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
            let oidc: s2s::entra::OpenIdConfiguration = serde_json::from_slice(&body)
                .map_err(|e| unusable(format!("not JSON nor federation metadata: {e}")))?;
            if oidc.jwks_uri.is_empty() || oidc.issuer.is_empty() {
                return Err(unusable(
                    "an OpenID configuration names 'issuer' and 'jwks_uri'".into(),
                ));
            }
            let keys: s2s::entra::KeySet = serde_json::from_slice(
                &fetch_bytes(&oidc.jwks_uri, trust_any).await?,
            )
            .map_err(|e| {
                unusable(format!(
                    "the key set at '{}' is not JSON: {e}",
                    oidc.jwks_uri
                ))
            })?;
            let certs = keys
                .keys
                .into_iter()
                .filter_map(|k| k.x5c.into_iter().next())
                .collect();
            (
                oidc.issuer,
                certs,
                Some(oidc.token_endpoint).filter(|e| !e.is_empty()),
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

pub async fn new_auth_server(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let name = p.required("Name")?;
    let (application_identifier, domain_name) = dedicated_application(p)?;
    if name.chars().count() > 64 {
        return Err(OnPremError::InvalidArgument(
            "Name can be at most 64 characters.".into(),
        ));
    }
    let url = p.required("AuthMetadataUrl")?;
    let kind = match p.string("Type")? {
        None => AuthServerType::MicrosoftACS,
        Some(t) => AuthServerType::parse(&t).ok_or_else(|| {
            OnPremError::InvalidArgument(format!(
                "Type '{t}' is not MicrosoftACS, AzureAD or ADFS."
            ))
        })?,
    };
    let trust_any_ssl_certificate = p.bool("TrustAnySSLCertificate")?.unwrap_or(false);
    let f = fetch(&url, trust_any_ssl_certificate, kind).await?;
    let token_endpoint = f.token_endpoint.clone().ok_or_else(|| {
        OnPremError::Metadata(format!(
            "The metadata document at '{url}' has no OAuth2 issuance endpoint."
        ))
    })?;
    if kind != AuthServerType::ADFS && !is_guid(&f.realm) {
        return Err(OnPremError::InvalidArgument(format!(
            "The realm '{}' from the metadata document is not a tenant id (GUID).",
            f.realm
        )));
    }
    for o in all::<AuthServer>(store).await? {
        let d = &o.value;
        if d.issuer_identifier.eq_ignore_ascii_case(&f.service_name)
            && d.kind == kind
            && d.realm.eq_ignore_ascii_case(&f.realm)
        {
            return Err(OnPremError::AlreadyExists(format!(
                "An auth server with issuer '{}' and realm '{}' already exists: '{}'.",
                f.service_name, f.realm, d.name
            )));
        }
    }
    let server = AuthServer {
        identity: name.clone(),
        name,
        guid: guid(),
        issuer_identifier: f.service_name,
        realm: f.realm,
        token_issuing_endpoint: token_endpoint,
        authorization_endpoint: String::new(),
        application_identifier,
        domain_name,
        auth_metadata_url: url,
        certificate_strings: f.certificates,
        kind,
        enabled: p.bool("Enabled")?.unwrap_or(true),
        is_default_authorization_endpoint: p
            .bool("IsDefaultAuthorizationEndpoint")?
            .unwrap_or(false),
        trust_any_ssl_certificate,
        metadata_refreshed_at: now_text(),
        metadata_fetches: vec![OffsetDateTime::now_utc().unix_timestamp()],
    };
    Ok(vec![create(store, server).await?.value.into()])
}

/// An object whose trust comes from a metadata document: where it is, and what to keep of it.
pub trait FromMetadata: AdminObject {
    fn metadata_url(&self) -> &str;
    fn trust_any_certificate(&self) -> bool;
    fn kind(&self) -> AuthServerType;
    fn fetches(&mut self) -> &mut Vec<i64>;
    /// Takes what a document says now.
    fn take(&mut self, f: Fetched);
}

impl FromMetadata for AuthServer {
    fn metadata_url(&self) -> &str {
        &self.auth_metadata_url
    }
    fn trust_any_certificate(&self) -> bool {
        self.trust_any_ssl_certificate
    }
    fn kind(&self) -> AuthServerType {
        self.kind
    }
    fn fetches(&mut self) -> &mut Vec<i64> {
        &mut self.metadata_fetches
    }
    fn take(&mut self, f: Fetched) {
        // An Entra tenant's issuer follows its authority (a moved or renamed token service).
        if self.kind == AuthServerType::AzureAD {
            self.issuer_identifier = f.service_name;
            self.realm = f.realm;
        }
        if let Some(e) = f.token_endpoint {
            self.token_issuing_endpoint = e;
        }
        self.certificate_strings = f.certificates;
        self.metadata_refreshed_at = now_text();
    }
}

impl FromMetadata for PartnerApplication {
    fn metadata_url(&self) -> &str {
        &self.auth_metadata_url
    }
    fn trust_any_certificate(&self) -> bool {
        self.trust_any_ssl_certificate
    }
    fn kind(&self) -> AuthServerType {
        AuthServerType::MicrosoftACS
    }
    fn fetches(&mut self) -> &mut Vec<i64> {
        &mut self.metadata_fetches
    }
    fn take(&mut self, f: Fetched) {
        self.certificate_strings = f.certificates;
        self.metadata_refreshed_at = now_text();
    }
}

/// Re-reads an AuthServer's or PartnerApplication's metadata document into its object.
pub async fn refresh_metadata<T: FromMetadata>(
    store: &Store,
    obj: &Stored<T>,
) -> Result<Stored<T>, OnPremError> {
    let v = with_metadata(obj.value.clone()).await?;
    save(store, obj, v).await
}

/// `v` with what its metadata document says now; nothing is saved, so a document that cannot
/// be read changes nothing.
async fn with_metadata<T: FromMetadata>(mut v: T) -> Result<T, OnPremError> {
    if v.metadata_url().is_empty() {
        return Err(OnPremError::InvalidArgument(format!(
            "'{}' has no AuthMetadataUrl to refresh from.",
            v.name()
        )));
    }
    let f = fetch(v.metadata_url(), v.trust_any_certificate(), v.kind()).await?;
    v.take(f);
    // The last three successful fetches decide whether a signature failure may fetch again.
    let fetches = v.fetches();
    fetches.push(OffsetDateTime::now_utc().unix_timestamp());
    let keep = fetches.len().saturating_sub(3);
    fetches.drain(..keep);
    Ok(v)
}

pub async fn set_auth_server(store: &Store, p: &Params) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = resolve::<AuthServer>(store, &p.required("Identity")?).await?;
    let mut v = obj.value.clone();
    if p.guid("ApplicationIdentifier")?.is_some() || p.strings("DomainName")?.is_some() {
        let (app, domains) = dedicated_application(p)?;
        if !app.is_empty() {
            v.application_identifier = app;
        }
        if !domains.is_empty() {
            v.domain_name = domains;
        }
    }
    if let Some(e) = p.bool("Enabled")? {
        v.enabled = e;
    }
    if let Some(n) = p.string("Name")? {
        v.identity = n.clone();
        v.name = n;
    }
    if let Some(d) = p.bool("IsDefaultAuthorizationEndpoint")? {
        v.is_default_authorization_endpoint = d;
    }
    if let Some(t) = p.bool("TrustAnySSLCertificate")? {
        v.trust_any_ssl_certificate = t;
    }
    let new_url = p.string("AuthMetadataUrl")?;
    if let Some(u) = &new_url {
        v.auth_metadata_url = u.clone();
    }
    // Read first: a document that cannot be read leaves the AuthServer as it was.
    if new_url.is_some() || p.bool("RefreshAuthMetadata")? == Some(true) {
        v = with_metadata(v).await?;
    }
    Ok(vec![save(store, &obj, v).await?.value.into()])
}

/// `-ApplicationIdentifier` (the dedicated Exchange hybrid application's appId, a GUID) and
/// `-DomainName` (the tenant's domains it serves), as the 2025 updates added them.
fn dedicated_application(p: &Params) -> Result<(String, Vec<String>), OnPremError> {
    let app = p.guid("ApplicationIdentifier")?.unwrap_or_default();
    let domains: Vec<String> = p
        .strings("DomainName")?
        .unwrap_or_default()
        .iter()
        .map(|d| d.to_ascii_lowercase())
        .collect();
    Ok((app, domains))
}

pub async fn remove_by_identity<T: AdminObject>(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = resolve::<T>(store, &p.required("Identity")?).await?;
    delete(store, &obj).await?;
    Ok(Vec::new())
}

/// A partner application trusted through the AuthServer (or, once its document is read, by
/// its own metadata), linked to the account its tokens act through.
pub fn partner_application(
    name: &str,
    application_identifier: &str,
    realm: &str,
    linked: Option<&Recipient>,
) -> PartnerApplication {
    PartnerApplication {
        name: name.into(),
        identity: name.into(),
        guid: guid(),
        application_identifier: application_identifier.into(),
        realm: realm.into(),
        use_auth_server: true,
        enabled: true,
        account_type: "OrganizationalAccount".into(),
        linked_account: linked.map(|l| l.identity.clone()).unwrap_or_default(),
        linked_account_guid: linked.map(|l| l.guid.clone()).unwrap_or_default(),
        ..Default::default()
    }
}

async fn check_unique_app(
    store: &Store,
    app: &str,
    realm: &str,
    except: Option<&str>,
) -> Result<(), OnPremError> {
    for o in all::<PartnerApplication>(store).await? {
        if Some(o.row.id.as_str()) == except {
            continue;
        }
        if o.value.application_identifier.eq_ignore_ascii_case(app)
            && o.value.realm.eq_ignore_ascii_case(realm)
        {
            return Err(OnPremError::AlreadyExists(format!(
                "A partner application with ApplicationIdentifier '{app}' and Realm '{realm}' already exists: '{}'.",
                o.value.name
            )));
        }
    }
    Ok(())
}

async fn linked_account(store: &Store, p: &Params) -> Result<Option<Recipient>, OnPremError> {
    match p.string("LinkedAccount")? {
        Some(l) if !l.is_empty() => Ok(Some(resolve_recipient(store, &l).await?.value)),
        Some(_) => Ok(Some(Recipient::default())),
        None => Ok(None),
    }
}

/// New-PartnerApplication: ACSTrustApplication (-ApplicationIdentifier [-Realm]: trusted through
/// the AuthServer) or AuthMetadataUrl (a self-issuing partner described by its document).
pub async fn new_partner_application(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let name = p.required("Name")?;
    let linked = linked_account(store, p).await?;
    let mut v = match (p.guid("ApplicationIdentifier")?, p.string("AuthMetadataUrl")?) {
        (Some(_), Some(_)) => return Err(OnPremError::InvalidArgument("Parameter set cannot be resolved using the specified named parameters: give ApplicationIdentifier or AuthMetadataUrl, not both.".into())),
        (None, None) => return Err(OnPremError::MissingParameter("ApplicationIdentifier or AuthMetadataUrl".into())),
        (Some(app), None) => {
            let realm = p.string("Realm")?.unwrap_or_default();
            check_unique_app(store, &app, &realm, None).await?;
            partner_application(&name, &app, &realm, linked.as_ref())
        }
        (None, Some(url)) => {
            let trust_any = p.bool("TrustAnySSLCertificate")?.unwrap_or(false);
            let f = fetch(&url, trust_any, AuthServerType::MicrosoftACS).await?;
            let realm = p.string("Realm")?.unwrap_or(f.realm.clone());
            if s2s::ids::is_realm_empty(Some(&realm)) {
                return Err(OnPremError::InvalidArgument("A partner application that does not use the auth server needs a realm, and its metadata document gives none.".into()));
            }
            check_unique_app(store, &f.service_name, &realm, None).await?;
            let mut v = partner_application(&name, &f.service_name, &realm, linked.as_ref());
            v.use_auth_server = false;
            v.auth_metadata_url = url;
            v.issuer_identifier = f.issuer.clone().unwrap_or_default();
            v.trust_any_ssl_certificate = trust_any;
            v.metadata_fetches = vec![OffsetDateTime::now_utc().unix_timestamp()];
            v.take(f);
            v
        }
    };
    v.enabled = p.bool("Enabled")?.unwrap_or(true);
    v.accept_security_identifier_information = p
        .bool("AcceptSecurityIdentifierInformation")?
        .unwrap_or(false);
    Ok(vec![create(store, v).await?.value.into()])
}

pub async fn set_partner_application(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = resolve::<PartnerApplication>(store, &p.required("Identity")?).await?;
    let mut v = obj.value.clone();
    if let Some(e) = p.bool("Enabled")? {
        v.enabled = e;
    }
    if let Some(a) = p.bool("AcceptSecurityIdentifierInformation")? {
        v.accept_security_identifier_information = a;
    }
    if let Some(linked) = linked_account(store, p).await? {
        v.linked_account = linked.identity;
        v.linked_account_guid = linked.guid;
    }
    if let Some(n) = p.string("Name")? {
        v.identity = n.clone();
        v.name = n;
    }
    if let Some(u) = p.bool("UseAuthServer")? {
        v.use_auth_server = u;
    }
    if let Some(r) = p.string("Realm")? {
        v.realm = r;
    }
    if let Some(a) = p.string("ApplicationIdentifier")? {
        v.application_identifier = a;
    }
    if !v.use_auth_server && s2s::ids::is_realm_empty(Some(&v.realm)) {
        return Err(OnPremError::InvalidArgument(
            "A partner application that does not use the auth server needs a realm.".into(),
        ));
    }
    check_unique_app(
        store,
        &v.application_identifier,
        &v.realm,
        Some(&obj.row.id),
    )
    .await?;
    let new_url = p.string("AuthMetadataUrl")?;
    if let Some(u) = &new_url {
        v.auth_metadata_url = u.clone();
    }
    // Read first: a document that cannot be read leaves the application as it was.
    if new_url.is_some() || p.bool("RefreshAuthMetadata")? == Some(true) {
        v = with_metadata(v).await?;
    }
    Ok(vec![save(store, &obj, v).await?.value.into()])
}
