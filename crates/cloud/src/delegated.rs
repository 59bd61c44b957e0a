//! Delegated (user) tokens: what a public client asks for on behalf of a signed-in user, and
//! the grants that carry the user's consent to the token endpoint: the authorization code
//! (PKCE), the refresh token, the device code and the user's password. Every access token is in
//! Entra's v1 format, whichever endpoint issued it, since that is what Exchange accepts; only
//! Office 365 Exchange Online's SPNs are resources here, and only with admin consent.
//!
//! Codes and refresh tokens are signed by the token service (not stored): their single use is
//! recorded in the shared replay record, so any process redeems them once.

use crate::error::{StsError, sts};
use crate::snapshot::{SignInUser, Snapshot, TenantState};
use crate::sts::Endpoint;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// Lifetimes, seconds.
pub const CODE_LIFETIME: i64 = 600;
pub const REFRESH_LIFETIME: i64 = 90 * 86_400;
pub const CONTEXT_LIFETIME: i64 = 900;
pub const DEVICE_LIFETIME: i64 = 900;
pub const DEVICE_INTERVAL: i64 = 5;
const ACCESS_LIFETIME: i64 = crate::sts::ENTRA_TOKEN_LIFETIME;

const OIDC_SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// What a user is asked to grant, and to whom: carried by sign-in pages, codes, device
/// authorizations and refresh tokens.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Grant {
    /// `code`, `rt` or `ctx` (a sign-in page's request).
    pub typ: String,
    pub tid: String,
    /// The client's appId.
    pub cid: String,
    /// The user's object id (empty in a page context).
    #[serde(default)]
    pub uid: String,
    /// The resource as the client named it (the access token's audience).
    pub res: String,
    /// Granted delegated permissions, space-separated.
    pub scp: String,
    /// 1 or 2: the endpoint version (the shape of the answer, not of the access token). Not
    /// named `ver`: a JWT reader takes that claim for a token version.
    #[serde(rename = "endpoint")]
    pub ver: u8,
    #[serde(default)]
    pub openid: bool,
    #[serde(default)]
    pub offline: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub redirect: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub challenge: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub method: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub nonce: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub state: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub mode: String,
    pub iat: i64,
    pub exp: i64,
    pub jti: String,
}

impl Grant {
    /// Signed by the token service's current key.
    pub fn seal(&self, snap: &Snapshot) -> Result<String, StsError> {
        let key = snap
            .current_key()
            .ok_or_else(|| sts::bad_request("the token service has no signing key"))?;
        let header = s2s::Header {
            typ: Some(format!("hybrid-{}", self.typ)),
            ..s2s::Header::rs256(key.certificate.x5t(), false)
        };
        Ok(s2s::jwt::sign_json(&header, self, &key.key))
    }

    /// A sealed grant of type `typ`, unexpired, signed by one of the token service's keys.
    pub fn open(snap: &Snapshot, text: &str, typ: &str, now: i64) -> Option<Grant> {
        let jwt = s2s::Jwt::decode(text).ok()?;
        if jwt.header.typ.as_deref() != Some(&format!("hybrid-{typ}")) || jwt.alg() != "RS256" {
            return None;
        }
        let x5t = jwt.header.x5t.as_deref()?;
        let key = snap
            .signing_keys
            .iter()
            .find(|k| k.certificate.x5t() == x5t)?;
        key.certificate
            .public_key()
            .ok()?
            .verify_rs256(jwt.signing_input(), &jwt.signature)
            .ok()?;
        let (_, payload, _) = s2s::jwt::split(text).ok()?;
        let g: Grant = s2s::jwt::decode_json(payload, "payload").ok()?;
        (g.typ == typ && now < g.exp).then_some(g)
    }

    /// The replay record's key for this grant's single use.
    pub fn use_key(&self) -> String {
        hex::encode(crypto::sha256(
            format!("{}\n{}\n{}", self.typ, self.tid, self.jti).as_bytes(),
        ))
    }
}

/// True for the tenant-independent authorities (`common`, `organizations`): the tenant is then
/// the user's, found from what the request names.
pub fn is_multi_tenant(path_tenant: &str) -> bool {
    path_tenant.eq_ignore_ascii_case("common") || path_tenant.eq_ignore_ascii_case("organizations")
}

/// The tenant a request is for: the one its path names, or for `common` the tenant of the
/// user's domain, else the one tenant whose Office 365 Exchange Online has the resource as an
/// SPN (an on-premises host belongs to one organization).
pub fn resolve_tenant<'s>(
    snap: &'s Snapshot,
    path_tenant: &str,
    user: Option<&str>,
    resource: Option<&str>,
) -> Option<&'s Arc<TenantState>> {
    if !is_multi_tenant(path_tenant) {
        return snap.tenant(path_tenant);
    }
    if let Some(t) = user
        .and_then(|u| u.rsplit_once('@'))
        .and_then(|(_, domain)| snap.tenant(domain))
    {
        return Some(t);
    }
    let wanted = resource?.trim_end_matches('/');
    let mut owners = snap.tenants.values().filter(|t| {
        t.principals
            .get(s2s::ids::EXCHANGE_APP_ID)
            .is_some_and(|p| {
                p.sp.service_principal_names
                    .iter()
                    .any(|n| n.trim_end_matches('/').eq_ignore_ascii_case(wanted))
            })
    });
    match (owners.next(), owners.next()) {
        (Some(one), None) => Some(one),
        _ => None,
    }
}

pub fn new_id() -> String {
    let mut b = [0u8; 24];
    b[..16].copy_from_slice(uuid::Uuid::new_v4().as_bytes());
    b[16..].copy_from_slice(&uuid::Uuid::new_v4().as_bytes()[..8]);
    crypto::base64url(&b)
}

/// What the client asked for: the resource, the permissions and the OpenID scopes.
#[derive(Debug, Clone, PartialEq)]
pub struct Ask {
    pub resource: String,
    /// Permissions named (empty: all consented, as `.default` and v1's `resource` ask).
    pub permissions: Vec<String>,
    pub openid: bool,
    pub offline: bool,
}

/// Reads a v2 `scope` (`https://mail.contoso.com/EWS.AccessAsUser.All offline_access`) or a
/// v1 `resource`.
pub fn ask(
    endpoint: Endpoint,
    scope: Option<&str>,
    resource: Option<&str>,
) -> Result<Ask, StsError> {
    if endpoint != Endpoint::EntraV2 {
        let resource = resource
            .filter(|r| !r.trim().is_empty())
            .ok_or_else(|| sts::missing_parameter("resource"))?;
        let scopes: Vec<&str> = scope.unwrap_or("").split_whitespace().collect();
        return Ok(Ask {
            resource: resource.trim().to_string(),
            permissions: Vec::new(),
            openid: scopes.contains(&"openid"),
            offline: true,
        });
    }
    if resource.is_some() {
        return Err(sts::resource_parameter_on_v2());
    }
    let scope = scope.ok_or_else(|| sts::missing_parameter("scope"))?;
    let mut out = Ask {
        resource: String::new(),
        permissions: Vec::new(),
        openid: false,
        offline: false,
    };
    for s in scope.split_whitespace() {
        match s {
            "openid" => out.openid = true,
            "offline_access" => out.offline = true,
            _ if OIDC_SCOPES.contains(&s) => {}
            _ => {
                let (res, perm) = s
                    .rsplit_once('/')
                    .ok_or_else(|| sts::invalid_user_scope(s))?;
                if res.is_empty() || perm.is_empty() {
                    return Err(sts::invalid_user_scope(s));
                }
                if !out.resource.is_empty() && !out.resource.eq_ignore_ascii_case(res) {
                    return Err(sts::more_than_one_resource(scope));
                }
                out.resource = res.to_string();
                if perm != ".default" {
                    out.permissions.push(perm.to_string());
                }
            }
        }
    }
    if out.resource.is_empty() {
        return Err(sts::invalid_user_scope(scope));
    }
    Ok(out)
}

/// The permissions the user's token will carry: the consented ones asked for (all consented
/// ones when none is named). The resource must be an SPN (or the appId) of Office 365 Exchange
/// Online in the tenant.
pub fn consented_scopes(tenant: &TenantState, client: &str, ask: &Ask) -> Result<String, StsError> {
    let tid = &tenant.tenant.id;
    let trimmed = ask.resource.trim_end_matches('/');
    let exchange = tenant
        .principals
        .get(s2s::ids::EXCHANGE_APP_ID)
        .ok_or_else(|| sts::resource_not_found(&ask.resource, tid))?;
    let names_exchange = trimmed.eq_ignore_ascii_case(s2s::ids::EXCHANGE_APP_ID)
        || exchange
            .sp
            .service_principal_names
            .iter()
            .any(|s| s.trim_end_matches('/').eq_ignore_ascii_case(trimmed));
    if !names_exchange {
        return Err(sts::resource_not_found(&ask.resource, tid));
    }
    if !exchange.sp.account_enabled {
        return Err(sts::resource_disabled(&exchange.sp.app_id));
    }
    let consented = tenant.consented(client, s2s::ids::EXCHANGE_APP_ID);
    let name = tenant
        .principals
        .get(&client.to_ascii_lowercase())
        .map(|p| p.sp.display_name.clone())
        .unwrap_or_default();
    let granted: Vec<&String> = if ask.permissions.is_empty() {
        consented.iter().collect()
    } else {
        let mut out = Vec::new();
        for p in &ask.permissions {
            match consented.iter().find(|c| c.eq_ignore_ascii_case(p)) {
                Some(c) => out.push(c),
                None => return Err(sts::consent_required(client, &name)),
            }
        }
        out
    };
    if granted.is_empty() {
        return Err(sts::consent_required(client, &name));
    }
    Ok(granted
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" "))
}

/// The user behind a grant, if they may still have tokens: present, enabled, and signed in
/// after their sessions were last revoked.
pub fn live_user<'t>(
    tenant: &'t TenantState,
    uid: &str,
    issued_at: i64,
) -> Result<&'t Arc<SignInUser>, StsError> {
    let user = tenant
        .users
        .get(&uid.to_ascii_lowercase())
        .ok_or_else(sts::user_gone)?;
    if !user.user.account_enabled {
        return Err(sts::user_disabled());
    }
    if issued_at < user.sessions_valid_from {
        return Err(sts::grant_revoked());
    }
    Ok(user)
}

/// The token response for a user: a v1-format access token for the resource, with a refresh
/// token, an id token and client info as the request asked.
pub fn respond(
    snap: &Snapshot,
    public_url: &str,
    tenant: &TenantState,
    user: &SignInUser,
    g: &Grant,
    client_info: bool,
    now: i64,
) -> Result<(crate::sts::TokenResponse, String), StsError> {
    let key = snap
        .current_key()
        .ok_or_else(|| sts::bad_request("the token service has no signing key"))?;
    let tid = tenant.tenant.id.as_str();
    let u = &user.user;
    let audience = g.res.trim_end_matches('/');
    let v1_issuer = format!("{public_url}/{tid}/");
    let expires = now + ACCESS_LIFETIME;
    let uti = new_id();
    let access = s2s::user_token::EntraUserToken {
        issuer: &v1_issuer,
        audience,
        tenant_id: tid,
        client_app_id: &g.cid,
        client_auth: "0",
        scopes: &g.scp,
        user_object_id: &u.id,
        onprem_sid: u.on_premises_security_identifier.as_deref().unwrap_or(""),
        upn: &u.user_principal_name,
        name: &u.display_name,
        method: "pwd",
        issued_at: now,
        expires,
        token_id: &uti,
    }
    .sign(&key.key, &key.certificate);
    let digest = s2s::jwt::token_digest(&access);
    let scope_text = if g.ver == 2 {
        g.scp
            .split(' ')
            .map(|p| format!("{audience}/{p}"))
            .collect::<Vec<_>>()
            .join(" ")
    } else {
        g.scp.clone()
    };
    let mut body =
        crate::sts::TokenResponse::entra(g.ver == 1, access, ACCESS_LIFETIME, now, &g.res);
    body.scope = Some(scope_text);
    if g.offline {
        let rt = Grant {
            typ: "rt".into(),
            uid: u.id.clone(),
            iat: now,
            exp: now + REFRESH_LIFETIME,
            jti: new_id(),
            redirect: String::new(),
            challenge: String::new(),
            method: String::new(),
            nonce: String::new(),
            state: String::new(),
            mode: String::new(),
            ..g.clone()
        };
        body.refresh_token = Some(rt.seal(snap)?);
    }
    if g.openid {
        body.id_token = Some(id_token(snap, public_url, tid, u, g, now)?);
    }
    if client_info {
        let info = ClientInfo {
            uid: &u.id,
            utid: tid,
        };
        let info = serde_json::to_string(&info).expect("client info serializes");
        body.client_info = Some(crypto::base64url(info.as_bytes()));
    }
    Ok((body, digest))
}

/// MSAL's `client_info`: who signed in, in which tenant.
#[derive(Serialize)]
struct ClientInfo<'a> {
    uid: &'a str,
    utid: &'a str,
}

#[derive(Serialize)]
struct IdClaims<'a> {
    aud: &'a str,
    iss: String,
    iat: i64,
    nbf: i64,
    exp: i64,
    name: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    nonce: &'a str,
    oid: &'a str,
    preferred_username: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    upn: Option<&'a str>,
    sub: String,
    tid: &'a str,
    ver: &'a str,
}

fn id_token(
    snap: &Snapshot,
    public_url: &str,
    tid: &str,
    u: &crate::users::User,
    g: &Grant,
    now: i64,
) -> Result<String, StsError> {
    let key = snap
        .current_key()
        .ok_or_else(|| sts::bad_request("the token service has no signing key"))?;
    let v2 = g.ver == 2;
    let sub_input = format!("{}\n{}", u.id, g.cid);
    let claims = IdClaims {
        aud: &g.cid,
        iss: if v2 {
            format!("{public_url}/{tid}/v2.0")
        } else {
            format!("{public_url}/{tid}/")
        },
        iat: now,
        nbf: now,
        exp: now + ACCESS_LIFETIME,
        name: &u.display_name,
        nonce: &g.nonce,
        oid: &u.id,
        preferred_username: &u.user_principal_name,
        upn: (!v2).then_some(u.user_principal_name.as_str()),
        sub: crypto::base64url(&crypto::sha256(sub_input.as_bytes())[..24]),
        tid,
        ver: if v2 { "2.0" } else { "1.0" },
    };
    Ok(s2s::jwt::sign_json(
        &s2s::Header::rs256(key.certificate.x5t(), true),
        &claims,
        &key.key,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_scopes_name_one_resource() {
        let a = ask(
            Endpoint::EntraV2,
            Some("https://mail.contoso.com/EWS.AccessAsUser.All openid offline_access profile"),
            None,
        )
        .unwrap();
        assert_eq!(a.resource, "https://mail.contoso.com");
        assert_eq!(a.permissions, ["EWS.AccessAsUser.All"]);
        assert!(a.openid && a.offline);
        let d = ask(
            Endpoint::EntraV2,
            Some("https://mail.contoso.com/.default"),
            None,
        )
        .unwrap();
        assert!(d.permissions.is_empty() && !d.offline);
        let two = ask(
            Endpoint::EntraV2,
            Some(
                "https://mail.contoso.com/EWS.AccessAsUser.All https://graph.microsoft.com/Mail.Read",
            ),
            None,
        );
        assert_eq!(two.unwrap_err().code, 28000);
        assert_eq!(
            ask(Endpoint::EntraV2, Some("openid"), None)
                .unwrap_err()
                .code,
            70011
        );
        let v1 = ask(Endpoint::EntraV1, None, Some("https://mail.contoso.com")).unwrap();
        assert!(v1.permissions.is_empty() && v1.offline);
        assert_eq!(ask(Endpoint::EntraV1, None, None).unwrap_err().code, 900144);
    }
}
