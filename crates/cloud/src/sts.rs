//! The token endpoint: the ACS assertion grant and the RFC 7523 client-assertion form,
//! checked against the in-memory directory, answered with an ACS actor token.

use crate::error::{StsError, sts};
use crate::model::is_first_party;
use crate::replay::ReplayCache;
use crate::snapshot::{PrincipalState, Snapshot, TenantState};
use s2s::ids::{ACS_APP_ID, Audience, PrincipalId, id_eq};
use s2s::jwt::Jwt;
use s2s::token::AcsActor;
use serde::Serialize;
use std::collections::HashMap;

pub const GRANT_JWT_BEARER: &str = "http://oauth.net/grant_type/jwt/1.0/bearer";
pub const GRANT_CLIENT_CREDENTIALS: &str = "client_credentials";
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Token endpoint settings.
#[derive(Debug, Clone, Copy)]
pub struct StsSettings {
    /// Lifetime of issued actor tokens, seconds (ACS: about 24 hours).
    pub token_lifetime: i64,
    pub clock_skew: i64,
    /// The longest client assertion accepted, seconds.
    pub max_assertion_lifetime: i64,
}

impl Default for StsSettings {
    fn default() -> Self {
        StsSettings {
            token_lifetime: 86_400,
            clock_skew: 300,
            max_assertion_lifetime: 3600,
        }
    }
}

/// Which token endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// ACS: `/{tenant}/tokens/OAuth/2`, answered with an ACS actor token.
    Acs,
    /// Entra v1: `/{tenant}/oauth2/token` with `resource`.
    EntraV1,
    /// Entra v2: `/{tenant}/oauth2/v2.0/token` with `scope=<resource>/.default`.
    EntraV2,
}

/// Lifetime of Entra access tokens, seconds (Entra issues 60 to 90 minutes).
pub const ENTRA_TOKEN_LIFETIME: i64 = 3599;

/// The request as the endpoint saw it.
pub struct TokenRequest<'a> {
    pub endpoint: Endpoint,
    /// This service's public URL: the base of Entra issuers (`<url>/<tenant id>/v2.0`).
    pub public_url: &'a str,
    /// The tenant in the path (`/{tenant}/tokens/OAuth/2`), id or domain.
    pub path_tenant: Option<&'a str>,
    pub form: &'a HashMap<String, String>,
    /// Authorities this endpoint answers on (the request's Host, the public URL's).
    pub authorities: &'a [String],
    /// The token endpoint URLs, accepted as an RFC 7523 `aud`.
    pub endpoint_urls: &'a [String],
    pub now: i64,
}

/// A token endpoint's answer: ACS's and Entra v1's write their times as strings and name the
/// resource; Entra v2's write numbers and name the scope.
#[derive(Debug, Serialize)]
pub struct TokenResponse {
    pub token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    pub expires_in: Seconds,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ext_expires_in: Option<Seconds>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_on: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resource: Option<String>,
    pub access_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_info: Option<String>,
}

/// Seconds as a version writes them: v1 (and ACS) as text, v2 as a number.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum Seconds {
    Number(i64),
    Text(String),
}

impl Seconds {
    pub fn written(n: i64, as_text: bool) -> Seconds {
        if as_text {
            Seconds::Text(n.to_string())
        } else {
            Seconds::Number(n)
        }
    }
}

impl TokenResponse {
    /// An answer with the times of `version` (v1 with `expires_on`, `not_before`, `resource`).
    pub fn entra(
        v1: bool,
        access_token: String,
        lifetime: i64,
        now: i64,
        resource: &str,
    ) -> TokenResponse {
        TokenResponse {
            token_type: "Bearer",
            scope: None,
            expires_in: Seconds::written(lifetime, v1),
            ext_expires_in: Some(Seconds::written(lifetime, v1)),
            expires_on: v1.then(|| (now + lifetime).to_string()),
            not_before: v1.then(|| now.to_string()),
            resource: v1.then(|| resource.to_string()),
            access_token,
            refresh_token: None,
            id_token: None,
            client_info: None,
        }
    }
}

/// What was decided, for the handshake log.
#[derive(Debug, Clone)]
pub struct Issued {
    pub response_digest: String,
    pub client: String,
    pub resource: String,
}

/// What names an assertion for replay: its tenant, its client and its `jti`. Two texts of the
/// same assertion (however encoded) and two assertions with the same `jti` are one use.
pub fn assertion_identity(tenant_id: &str, client_app_id: &str, jti: &str) -> [u8; 32] {
    let mut text = String::with_capacity(tenant_id.len() + client_app_id.len() + jti.len() + 2);
    text.push_str(&tenant_id.to_ascii_lowercase());
    text.push('\n');
    text.push_str(&client_app_id.to_ascii_lowercase());
    text.push('\n');
    text.push_str(jti);
    crypto::sha256(text.as_bytes())
}

/// Parses an `application/x-www-form-urlencoded` body; a repeated parameter is refused.
pub fn parse_form(body: &[u8]) -> Result<HashMap<String, String>, StsError> {
    let mut out = HashMap::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        if out.insert(k.to_string(), v.into_owned()).is_some() {
            return Err(sts::bad_request(&format!(
                "the parameter '{k}' appears more than once"
            )));
        }
    }
    Ok(out)
}

fn param<'f>(form: &'f HashMap<String, String>, name: &str) -> Result<&'f str, StsError> {
    form.get(name)
        .map(String::as_str)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| sts::missing_parameter(name))
}

/// The resource asked for: ACS and Entra v1 name it in `resource`, Entra v2 as the one scope
/// `<resource>/.default` (the client credentials grant asks for all granted permissions).
fn requested_resource<'f>(req: &'f TokenRequest) -> Result<&'f str, StsError> {
    if req.endpoint != Endpoint::EntraV2 {
        return param(req.form, "resource");
    }
    if req.form.contains_key("resource") {
        return Err(sts::resource_parameter_on_v2());
    }
    let scope = param(req.form, "scope")?.trim();
    match scope.strip_suffix("/.default") {
        Some(r) if !r.is_empty() && !scope.contains(' ') => Ok(r),
        _ => Err(sts::invalid_scope(scope)),
    }
}

/// A token request that passed every check: what remains is to sign its token. Admitting and
/// signing are apart so that the use of the assertion can be recorded (a durable write) while
/// the token is signed (the request's CPU), instead of one after the other.
pub struct Admitted<'s> {
    tenant: &'s TenantState,
    client: &'s PrincipalState,
    key: &'s crate::snapshot::SigningKey,
    resource: Resource<'s>,
    /// The client assertion's identity (tenant, client and `jti`, digested) and until when it
    /// could be accepted (Unix seconds): what the replay record keeps.
    pub assertion_id: [u8; 32],
    pub assertion_forget_after: i64,
}

/// What the token is for: an ACS audience, or an Entra resource's principal and the audience
/// its token names.
enum Resource<'s> {
    Acs(Audience),
    Entra {
        target: &'s PrincipalState,
        audience: String,
    },
}

/// Every check of a client-credential request, in order: grant, assertion, tenant, client,
/// audience, signature, lifetime, `jti`, the client's state, this process's replay front and
/// the resource. Nothing is signed or recorded.
pub fn admit<'s>(
    snap: &'s Snapshot,
    replay: &ReplayCache,
    settings: &StsSettings,
    req: &TokenRequest,
) -> Result<Admitted<'s>, StsError> {
    let assertion = match param(req.form, "grant_type")? {
        GRANT_JWT_BEARER if req.endpoint == Endpoint::Acs => param(req.form, "assertion")?,
        GRANT_CLIENT_CREDENTIALS => {
            let t = param(req.form, "client_assertion_type")?;
            if t != CLIENT_ASSERTION_TYPE {
                return Err(sts::bad_request(&format!(
                    "client_assertion_type must be {CLIENT_ASSERTION_TYPE}"
                )));
            }
            param(req.form, "client_assertion")?
        }
        other => return Err(sts::unsupported_grant(other)),
    };
    let resource_text = requested_resource(req)?;
    let jwt = Jwt::decode(assertion).map_err(|e| sts::malformed_assertion(&e.to_string()))?;
    if !matches!(jwt.alg(), "RS256" | "PS256") || !jwt.is_signed() {
        return Err(sts::malformed_assertion(
            "the assertion must be signed with RS256 or PS256",
        ));
    }
    let c = &jwt.claims;
    let iss = c
        .iss
        .as_deref()
        .ok_or_else(|| sts::malformed_assertion("no 'iss'"))?;
    let (client_app, iss_realm) = match PrincipalId::parse_nameid(iss) {
        Some(p) => (p.app_id, Some(p.realm)),
        None => (iss.to_string(), None),
    };
    let tenant_key = req
        .path_tenant
        .or(iss_realm.as_deref())
        .ok_or_else(|| sts::tenant_not_found(""))?;
    let tenant = snap
        .tenant(tenant_key)
        .ok_or_else(|| sts::tenant_not_found(tenant_key))?;
    let tid = tenant.tenant.id.as_str();
    if let Some(r) = &iss_realm
        && !same_tenant(snap, tenant, r)
    {
        return Err(sts::malformed_assertion(&format!(
            "the issuer's realm '{r}' is not the tenant {tid}"
        )));
    }
    if let Some(client_id) = req.form.get("client_id")
        && !id_eq(client_id.split('@').next().unwrap_or_default(), &client_app)
    {
        return Err(sts::client_id_mismatch(client_id, &client_app));
    }
    let client = tenant
        .principals
        .get(&client_app.to_ascii_lowercase())
        .ok_or_else(|| sts::client_not_found(&client_app, tid))?;
    check_audience(snap, tenant, c.aud.as_deref(), req)?;
    let thumbprint = verify(&jwt, client, req.now)?;
    let exp = check_times(c, settings, req.now)?;
    let jti = c
        .jti
        .as_deref()
        .filter(|j| !j.is_empty())
        .ok_or_else(|| sts::malformed_assertion("the assertion has no 'jti' to identify it"))?;
    if !client.sp.account_enabled {
        return Err(sts::client_disabled(
            &client.sp.app_id,
            &client.sp.display_name,
        ));
    }
    let assertion_id = assertion_identity(tid, &client.sp.app_id, jti);
    // Only looked up here: the use is recorded by the caller once the request is admitted
    // (in the shared record first), so a refusal before that point leaves no record.
    if replay.is_used(&assertion_id, req.now) {
        return Err(sts::replayed());
    }
    let key = snap
        .current_key()
        .ok_or_else(|| sts::bad_request("the token service has no signing key"))?;
    let resource = match req.endpoint {
        Endpoint::Acs => Resource::Acs(resolve_resource(
            snap,
            tenant,
            resource_text,
            req.authorities,
        )?),
        Endpoint::EntraV1 | Endpoint::EntraV2 => {
            let (target, audience) =
                resolve_entra_resource(tenant, resource_text, entra_version(req.endpoint))?;
            Resource::Entra { target, audience }
        }
    };
    tracing::debug!(client = %client.sp.app_id, key = %thumbprint, "assertion accepted");
    Ok(Admitted {
        tenant,
        client,
        key,
        resource,
        assertion_id,
        assertion_forget_after: exp.saturating_add(settings.clock_skew),
    })
}

fn entra_version(endpoint: Endpoint) -> s2s::entra::EntraVersion {
    match endpoint {
        Endpoint::EntraV2 => s2s::entra::EntraVersion::V2,
        _ => s2s::entra::EntraVersion::V1,
    }
}

impl Admitted<'_> {
    /// The assertion identity as the store's replay record keys it (hex).
    pub fn assertion_key(&self) -> String {
        hex::encode(self.assertion_id)
    }

    /// Signs the token: the answer's body and what was decided.
    pub fn sign(&self, settings: &StsSettings, req: &TokenRequest) -> (TokenResponse, Issued) {
        let (tenant, client, key) = (self.tenant, self.client, self.key);
        let tid = tenant.tenant.id.as_str();
        let mut issued = Issued {
            response_digest: String::new(),
            client: PrincipalId::new(&client.sp.app_id, tid).to_string(),
            resource: String::new(),
        };
        let resource = match &self.resource {
            Resource::Entra { target, audience } => {
                let (body, digest) = entra_token(tenant, client, target, audience, req, key);
                issued.response_digest = digest;
                issued.resource = audience.clone();
                return (body, issued);
            }
            Resource::Acs(resource) => resource,
        };
        let expires = req.now + settings.token_lifetime;
        let token = AcsActor {
            audience: resource,
            tenant: tid,
            client_app_id: &client.sp.app_id,
            client_object_id: &client.sp.id,
            trusted_for_delegation: is_first_party(&client.sp.app_id),
            issued_at: req.now,
            not_before: req.now,
            expires,
        }
        .sign(&key.key, &key.certificate);
        issued.response_digest = s2s::jwt::token_digest(&token);
        issued.resource = resource.to_string();
        let body = TokenResponse {
            token_type: "Bearer",
            scope: None,
            expires_in: Seconds::Text(settings.token_lifetime.to_string()),
            ext_expires_in: None,
            expires_on: Some(expires.to_string()),
            not_before: Some(req.now.to_string()),
            resource: Some(resource.to_string()),
            access_token: token,
            refresh_token: None,
            id_token: None,
            client_info: None,
        };
        (body, issued)
    }
}

/// The resource of an Entra request: an application id, or one of a principal's service
/// principal names (an application ID URI such as `https://mail.contoso.com`). Its
/// principal and the audience the token names (v2: the application id; v1: as asked).
fn resolve_entra_resource<'t>(
    tenant: &'t TenantState,
    text: &str,
    version: s2s::entra::EntraVersion,
) -> Result<(&'t PrincipalState, String), StsError> {
    let tid = tenant.tenant.id.as_str();
    let trimmed = text.trim_end_matches('/');
    let target = tenant
        .principals
        .get(&trimmed.to_ascii_lowercase())
        .or_else(|| {
            tenant.principals.values().find(|p| {
                p.sp.service_principal_names
                    .iter()
                    .any(|s| s.trim_end_matches('/').eq_ignore_ascii_case(trimmed))
            })
        })
        .ok_or_else(|| sts::resource_not_found(text, tid))?;
    if !target.sp.account_enabled {
        return Err(sts::resource_disabled(&target.sp.app_id));
    }
    let audience = match version {
        s2s::entra::EntraVersion::V2 => target.sp.app_id.clone(),
        s2s::entra::EntraVersion::V1 => trimmed.to_string(),
    };
    Ok((target, audience))
}

/// An Entra access token for the client: the response body and its digest.
fn entra_token(
    tenant: &TenantState,
    client: &PrincipalState,
    target: &PrincipalState,
    audience: &str,
    req: &TokenRequest,
    key: &crate::snapshot::SigningKey,
) -> (TokenResponse, String) {
    use s2s::entra::{EntraAppToken, EntraVersion};
    let version = entra_version(req.endpoint);
    let tid = tenant.tenant.id.as_str();
    let issuer = match version {
        EntraVersion::V2 => format!("{}/{tid}/v2.0", req.public_url),
        EntraVersion::V1 => format!("{}/{tid}/", req.public_url),
    };
    // The application permissions an administrator granted the client on the target.
    let roles = client
        .roles
        .get(&target.sp.id.to_ascii_lowercase())
        .cloned()
        .unwrap_or_default();
    let expires = req.now + ENTRA_TOKEN_LIFETIME;
    let token_id = crypto::base64url(&uuid::Uuid::new_v4().into_bytes()[..16]);
    let token = EntraAppToken {
        version,
        issuer: &issuer,
        audience,
        tenant_id: tid,
        client_app_id: &client.sp.app_id,
        client_object_id: &client.sp.id,
        roles: &roles,
        client_auth: "2",
        issued_at: req.now,
        expires,
        token_id: &token_id,
    }
    .sign(&key.key, &key.certificate);
    let digest = s2s::jwt::token_digest(&token);
    let v1 = version == EntraVersion::V1;
    let body = TokenResponse::entra(v1, token, ENTRA_TOKEN_LIFETIME, req.now, audience);
    (body, digest)
}

fn same_tenant(snap: &Snapshot, tenant: &TenantState, realm: &str) -> bool {
    snap.tenant(realm)
        .is_some_and(|t| id_eq(&t.tenant.id, &tenant.tenant.id))
}

/// `00000001-…/<authority>@<tenant>` at one of this endpoint's authorities, or (RFC 7523)
/// the token endpoint URL itself.
fn check_audience(
    snap: &Snapshot,
    tenant: &TenantState,
    aud: Option<&str>,
    req: &TokenRequest,
) -> Result<(), StsError> {
    let expected = format!(
        "{ACS_APP_ID}/{}@{}",
        req.authorities.first().map(String::as_str).unwrap_or(""),
        tenant.tenant.id
    );
    let aud = aud.ok_or_else(|| sts::bad_audience("", &expected))?;
    if req.endpoint_urls.iter().any(|u| u == aud) {
        return Ok(());
    }
    let ok = Audience::parse(aud).is_some_and(|a| {
        id_eq(&a.app_id, ACS_APP_ID)
            && req.authorities.iter().any(|h| id_eq(h, &a.host))
            && same_tenant(snap, tenant, &a.realm)
    });
    if ok {
        Ok(())
    } else {
        Err(sts::bad_audience(aud, &expected))
    }
}

/// Whether the assertion's header names `k`: by `x5t#S256`, else `x5t` (base64url SHA-1,
/// with or without `=` padding, as MSAL writes it), else `kid` (either thumbprint or the key
/// credential's id). An assertion that names no key may be signed by any valid one.
fn names_key(h: &s2s::jwt::Header, k: &crate::snapshot::VerifyKey) -> bool {
    let unpadded = |s: &str| s.trim_end_matches('=').to_string();
    if let Some(s256) = &h.x5t_s256 {
        return unpadded(s256) == k.x5t_s256;
    }
    if let Some(x5t) = &h.x5t {
        return unpadded(x5t) == k.x5t || k.thumbprint.eq_ignore_ascii_case(x5t);
    }
    match &h.kid {
        Some(kid) => {
            unpadded(kid) == k.x5t
                || k.thumbprint.eq_ignore_ascii_case(kid)
                || id_eq(kid, &k.key_id)
        }
        None => true,
    }
}

/// The signature, against a Verify key of the client valid now. Returns its thumbprint.
fn verify(jwt: &Jwt<'_>, client: &PrincipalState, now: i64) -> Result<String, StsError> {
    let named = jwt
        .header
        .x5t_s256
        .as_deref()
        .or(jwt.header.x5t.as_deref())
        .or(jwt.header.kid.as_deref());
    let valid: Vec<_> = client
        .verify_keys
        .iter()
        .filter(|k| k.start <= now && now <= k.end)
        .filter(|k| names_key(&jwt.header, k))
        .collect();
    if valid.is_empty() {
        return Err(sts::no_matching_key(
            &client.sp.app_id,
            named.unwrap_or("(none)"),
        ));
    }
    valid
        .iter()
        .find(|k| {
            let input = jwt.signing_input();
            match jwt.alg() {
                "PS256" => k.key.verify_ps256(input, &jwt.signature),
                _ => k.key.verify_rs256(input, &jwt.signature),
            }
            .is_ok()
        })
        .map(|k| k.thumbprint.clone())
        .ok_or_else(|| sts::bad_signature(&client.sp.app_id))
}

/// Not expired, not early, not too long-lived (the setting, never over the client-assertion
/// ceiling). Returns `exp`.
fn check_times(c: &s2s::Claims, s: &StsSettings, now: i64) -> Result<i64, StsError> {
    use s2s::lifetime::{Times, TokenKind};
    let max = s
        .max_assertion_lifetime
        .min(TokenKind::ClientAssertion.max_lifetime());
    Times {
        nbf: c.nbf,
        iat: c.iat,
        exp: c.exp,
    }
    .check(now, s.clock_skew, max)
    .map_err(|e| sts::time_range(&e.to_string()))
}

/// `app/host@realm`: the resource principal must exist in the tenant and the host must be one
/// of its SPNs. The issued audience carries the tenant id as realm.
fn resolve_resource(
    snap: &Snapshot,
    tenant: &TenantState,
    text: &str,
    authorities: &[String],
) -> Result<Audience, StsError> {
    let tid = tenant.tenant.id.as_str();
    let a = Audience::parse(text).ok_or_else(|| sts::resource_not_found(text, tid))?;
    if !same_tenant(snap, tenant, &a.realm) {
        return Err(sts::resource_not_found(text, tid));
    }
    // The directory API (Graph) is served by this server: a token for it names this endpoint's
    // host, and lets an application read its own service principal.
    if id_eq(&a.app_id, s2s::ids::AAD_GRAPH_APP_ID) && authorities.iter().any(|h| id_eq(h, &a.host))
    {
        return Ok(Audience::new(&a.app_id, &a.host, tid));
    }
    let target = tenant
        .principals
        .get(&a.app_id.to_ascii_lowercase())
        .ok_or_else(|| sts::resource_not_found(&a.app_id, tid))?;
    if !target.sp.account_enabled {
        return Err(sts::resource_disabled(&target.sp.app_id));
    }
    if !target.has_spn_host(&a.host) {
        return Err(sts::host_not_spn(&a.host, &target.sp.app_id));
    }
    Ok(Audience::new(&a.app_id, &a.host, tid))
}
