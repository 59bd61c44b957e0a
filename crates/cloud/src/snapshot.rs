//! The directory in memory: everything the token endpoint and request authentication need,
//! rebuilt from the store whenever it changes, so that no token request reads the database.

use crate::model::{
    KIND_ADMIN_CREDENTIAL, KIND_OPERATOR_CREDENTIAL, KIND_SERVICE_PRINCIPAL, KIND_STS_KEY,
    KIND_TENANT, ServicePrincipal, Tenant, parse_graph_time,
};
use crate::stored::{CredentialHash, KeyRing, RingKey};
use crypto::{Certificate, RsaPrivateKey, RsaPublicKey};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::Arc;
use store::Store;

/// Who presented an admin credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    /// The server operator: may create tenants and rotate signing keys.
    Operator,
    /// A tenant administrator.
    TenantAdmin { tenant_id: String },
    /// An application of a tenant, by a Graph token from this token service: it may read its
    /// own service principal.
    Application { tenant_id: String, app_id: String },
}

/// A Verify key of a service principal, ready for RS256.
#[derive(Debug, Clone)]
pub struct VerifyKey {
    pub key_id: String,
    pub x5t: String,
    /// base64url SHA-256 of the certificate (`x5t#S256`).
    pub x5t_s256: String,
    pub thumbprint: String,
    pub key: RsaPublicKey,
    pub start: i64,
    pub end: i64,
}

#[derive(Debug, Clone)]
pub struct PrincipalState {
    pub sp: ServicePrincipal,
    /// The principal's Verify keys and, for an application of the tenant, the application's.
    pub verify_keys: Vec<VerifyKey>,
    /// Application permissions granted to it (app role values), by the resource principal's
    /// object id (lowercase).
    pub roles: HashMap<String, Vec<String>>,
}

impl PrincipalState {
    /// True when `host` (an authority, `host[:port]`) is one of the principal's SPNs, written
    /// as a URL (`https://mail.contoso.com/`), a bare host, or `appId/host`.
    pub fn has_spn_host(&self, host: &str) -> bool {
        self.sp
            .service_principal_names
            .iter()
            .any(|spn| spn_host(spn).is_some_and(|h| h.eq_ignore_ascii_case(host)))
    }
}

/// The authority an SPN names, if it names one.
pub fn spn_host(spn: &str) -> Option<String> {
    let spn = spn.trim();
    if let Some(rest) = spn
        .strip_prefix("https://")
        .or_else(|| spn.strip_prefix("http://"))
    {
        return rest
            .split(['/', '?', '#'])
            .next()
            .filter(|h| !h.is_empty())
            .map(str::to_string);
    }
    let host = match spn.split_once('/') {
        Some((_app, host)) => host.trim_end_matches('/'),
        None => spn,
    };
    let is_app_id = uuid::Uuid::parse_str(host).is_ok();
    (!host.is_empty() && !host.contains('/') && !is_app_id).then(|| host.to_string())
}

#[derive(Debug, Clone)]
pub struct TenantState {
    pub tenant: Tenant,
    /// By lowercase appId.
    pub principals: HashMap<String, PrincipalState>,
    /// Users who may sign in, by lowercase object id.
    pub users: HashMap<String, Arc<SignInUser>>,
    /// Lowercase UPN -> lowercase object id.
    pub upns: HashMap<String, String>,
    /// Admin consent: (client, resource) service principal object ids, lowercase -> scopes.
    pub delegated: HashMap<(String, String), Vec<String>>,
    /// Sign-in settings of clients, by lowercase appId (absent: the defaults).
    pub public_clients: HashMap<String, crate::consent::PublicClient>,
}

/// A user as sign-in needs it.
#[derive(Debug, Clone)]
pub struct SignInUser {
    pub user: crate::users::User,
    pub password_hash: Option<String>,
    /// Unix seconds: sessions and refresh tokens issued before are refused.
    pub sessions_valid_from: i64,
}

impl TenantState {
    pub fn user_by_upn(&self, upn: &str) -> Option<&Arc<SignInUser>> {
        self.upns
            .get(&upn.trim().to_ascii_lowercase())
            .and_then(|id| self.users.get(id))
    }

    /// The sign-in settings of a client that is a service principal of the tenant.
    pub fn public_client(&self, app_id: &str) -> Option<crate::consent::PublicClient> {
        let key = app_id.to_ascii_lowercase();
        self.principals.get(&key)?;
        Some(
            self.public_clients
                .get(&key)
                .cloned()
                .unwrap_or_else(|| crate::consent::PublicClient::new(&key)),
        )
    }

    /// The delegated permissions every user has consented the client to on the resource.
    pub fn consented(&self, client_app: &str, resource_app: &str) -> &[String] {
        let id = |app: &str| {
            self.principals
                .get(&app.to_ascii_lowercase())
                .map(|p| p.sp.id.to_ascii_lowercase())
        };
        match (id(client_app), id(resource_app)) {
            (Some(c), Some(r)) => self
                .delegated
                .get(&(c, r))
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// An STS signing key, with its role in rotation.
#[derive(Debug)]
pub struct SigningKey {
    pub certificate: Certificate,
    pub key: RsaPrivateKey,
    /// "current", "next" or "previous".
    pub status: String,
}

#[derive(Debug, Default)]
pub struct Snapshot {
    /// By lowercase tenant id.
    pub tenants: HashMap<String, Arc<TenantState>>,
    /// Lowercase verified domain -> tenant id.
    pub domains: HashMap<String, String>,
    /// Credential hash -> caller.
    pub credentials: HashMap<String, Caller>,
    pub signing_keys: Vec<Arc<SigningKey>>,
}

impl Snapshot {
    /// A tenant by id or verified domain.
    pub fn tenant(&self, id_or_domain: &str) -> Option<&Arc<TenantState>> {
        let k = id_or_domain.to_ascii_lowercase();
        self.tenants
            .get(&k)
            .or_else(|| self.domains.get(&k).and_then(|id| self.tenants.get(id)))
    }

    pub fn current_key(&self) -> Option<&Arc<SigningKey>> {
        self.signing_keys.iter().find(|k| k.status == "current")
    }

    /// Current, next and previous signing certificates, for metadata.
    pub fn published_certificates(&self) -> Vec<&Certificate> {
        let order = ["current", "next", "previous"];
        let mut keys: Vec<&Arc<SigningKey>> = self.signing_keys.iter().collect();
        keys.sort_by_key(|k| order.iter().position(|s| *s == k.status).unwrap_or(9));
        keys.into_iter().map(|k| &k.certificate).collect()
    }

    /// Reads everything from the store.
    pub async fn load(store: &Store) -> Result<Snapshot, store::StoreError> {
        let dir = store.directory();
        let mut snap = Snapshot::default();
        for obj in dir.list(KIND_TENANT, None).await? {
            let tenant: Tenant = decode(&obj.data)?;
            for d in &tenant.verified_domains {
                snap.domains
                    .insert(d.name.to_ascii_lowercase(), tenant.id.to_ascii_lowercase());
            }
            let state = TenantState {
                tenant,
                principals: HashMap::new(),
                users: HashMap::new(),
                upns: HashMap::new(),
                delegated: HashMap::new(),
                public_clients: HashMap::new(),
            };
            snap.tenants
                .insert(obj.name.to_ascii_lowercase(), Arc::new(state));
        }
        let mut applications: HashMap<(String, String), Vec<crate::model::KeyCredential>> =
            HashMap::new();
        for obj in dir.list(crate::apps::KIND_APPLICATION, None).await? {
            let app: crate::apps::Application = decode(&obj.data)?;
            applications.insert(
                (
                    obj.parent.to_ascii_lowercase(),
                    app.app_id.to_ascii_lowercase(),
                ),
                app.key_credentials,
            );
        }
        for obj in dir.list(KIND_SERVICE_PRINCIPAL, None).await? {
            let sp: ServicePrincipal = decode(&obj.data)?;
            let tenant_key = obj.parent.to_ascii_lowercase();
            let Some(tenant) = snap.tenants.get_mut(&tenant_key) else {
                continue;
            };
            let mut keys = verify_keys(&sp.key_credentials);
            if let Some(app_keys) = applications.get(&(tenant_key, sp.app_id.to_ascii_lowercase()))
            {
                keys.extend(verify_keys(app_keys));
            }
            let state = PrincipalState {
                verify_keys: keys,
                roles: HashMap::new(),
                sp,
            };
            Arc::get_mut(tenant)
                .expect("tenants are not shared while loading")
                .principals
                .insert(state.sp.app_id.to_ascii_lowercase(), state);
        }
        for obj in dir
            .list(crate::apps::KIND_APP_ROLE_ASSIGNMENT, None)
            .await?
        {
            let a: crate::apps::AppRoleAssignment = decode(&obj.data)?;
            let Some(tenant) = snap.tenants.get_mut(&obj.parent.to_ascii_lowercase()) else {
                continue;
            };
            let tenant = Arc::get_mut(tenant).expect("tenants are not shared while loading");
            let Some(value) = tenant
                .principals
                .values()
                .find(|p| p.sp.id.eq_ignore_ascii_case(&a.resource_id))
                .and_then(|r| {
                    crate::apps::first_party_app_roles(&r.sp.app_id)
                        .into_iter()
                        .find(|role| role.id.eq_ignore_ascii_case(&a.app_role_id))
                })
                .map(|role| role.value)
            else {
                continue;
            };
            if let Some(p) = tenant
                .principals
                .values_mut()
                .find(|p| p.sp.id.eq_ignore_ascii_case(&a.principal_id))
            {
                p.roles
                    .entry(a.resource_id.to_ascii_lowercase())
                    .or_default()
                    .push(value);
            }
        }
        load_sign_in(store, &mut snap).await?;
        for obj in dir.list(KIND_ADMIN_CREDENTIAL, None).await? {
            if let Ok(CredentialHash { hash }) = decode(&obj.data) {
                snap.credentials.insert(
                    hash,
                    Caller::TenantAdmin {
                        tenant_id: obj.parent.clone(),
                    },
                );
            }
        }
        for obj in dir.list(KIND_OPERATOR_CREDENTIAL, None).await? {
            if let Ok(CredentialHash { hash }) = decode(&obj.data) {
                snap.credentials.insert(hash, Caller::Operator);
            }
        }
        for obj in dir.list(KIND_STS_KEY, None).await? {
            let ring: KeyRing = decode(&obj.data)?;
            for k in ring.keys {
                snap.signing_keys.push(Arc::new(signing_key(k)?));
            }
        }
        Ok(snap)
    }
}

/// Users, their passwords, consents and public client settings.
async fn load_sign_in(store: &Store, snap: &mut Snapshot) -> Result<(), store::StoreError> {
    let dir = store.directory();
    let mut passwords: HashMap<(String, String), String> = HashMap::new();
    for obj in dir.list(crate::users::KIND_USER_PASSWORD, None).await? {
        if let Ok(CredentialHash { hash }) = decode(&obj.data) {
            let key = (
                obj.parent.to_ascii_lowercase(),
                obj.name.to_ascii_lowercase(),
            );
            passwords.insert(key, hash);
        }
    }
    for obj in dir.list(crate::users::KIND_USER, None).await? {
        let user: crate::users::User = decode(&obj.data)?;
        let Some(tenant) = snap.tenants.get_mut(&obj.parent.to_ascii_lowercase()) else {
            continue;
        };
        let tenant = Arc::get_mut(tenant).expect("tenants are not shared while loading");
        let id = user.id.to_ascii_lowercase();
        let sessions_valid_from = parse_graph_time(&user.sign_in_sessions_valid_from_date_time, "")
            .map(|t| t.unix_timestamp())
            .unwrap_or(0);
        let password_hash = passwords.remove(&(obj.parent.to_ascii_lowercase(), id.clone()));
        tenant
            .upns
            .insert(user.user_principal_name.to_ascii_lowercase(), id.clone());
        tenant.users.insert(
            id,
            Arc::new(SignInUser {
                user,
                password_hash,
                sessions_valid_from,
            }),
        );
    }
    for obj in dir
        .list(crate::consent::KIND_PERMISSION_GRANT, None)
        .await?
    {
        let g: crate::consent::PermissionGrant = decode(&obj.data)?;
        if let Some(tenant) = snap.tenants.get_mut(&obj.parent.to_ascii_lowercase()) {
            let tenant = Arc::get_mut(tenant).expect("tenants are not shared while loading");
            let scopes = g.scope.split_whitespace().map(str::to_string).collect();
            tenant.delegated.insert(
                (
                    g.client_id.to_ascii_lowercase(),
                    g.resource_id.to_ascii_lowercase(),
                ),
                scopes,
            );
        }
    }
    for obj in dir.list(crate::consent::KIND_PUBLIC_CLIENT, None).await? {
        let pc: crate::consent::PublicClient = decode(&obj.data)?;
        if let Some(tenant) = snap.tenants.get_mut(&obj.parent.to_ascii_lowercase()) {
            let tenant = Arc::get_mut(tenant).expect("tenants are not shared while loading");
            tenant
                .public_clients
                .insert(pc.app_id.to_ascii_lowercase(), pc);
        }
    }
    Ok(())
}

fn decode<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, store::StoreError> {
    serde_json::from_value(v.clone()).map_err(|e| store::StoreError::Corrupt(e.to_string()))
}

fn signing_key(k: RingKey) -> Result<SigningKey, store::StoreError> {
    let corrupt = |m: String| store::StoreError::Corrupt(format!("STS signing key: {m}"));
    let pair = crypto::KeyPair::from_stored(&k.pair).map_err(|e| corrupt(e.to_string()))?;
    Ok(SigningKey {
        certificate: pair.certificate,
        key: pair.key,
        status: k.status,
    })
}

pub fn base64_decode(text: &str) -> Option<zeroize::Zeroizing<Vec<u8>>> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .ok()
        .map(zeroize::Zeroizing::new)
}

/// The principal's Verify keys that parse; dates as Unix seconds.
fn verify_keys(credentials: &[crate::model::KeyCredential]) -> Vec<VerifyKey> {
    let mut out = Vec::new();
    for kc in credentials {
        if kc.usage.as_deref() != Some("Verify")
            || kc.key_type.as_deref() != Some("AsymmetricX509Cert")
        {
            continue;
        }
        let Some(cert) = kc
            .key
            .as_deref()
            .and_then(|k| Certificate::from_base64(k).ok())
        else {
            continue;
        };
        let Ok(key) = cert.public_key() else { continue };
        let when =
            |s: &Option<String>, field| s.as_deref().and_then(|s| parse_graph_time(s, field).ok());
        let start = when(&kc.start_date_time, "startDateTime").unwrap_or(cert.not_before());
        let end = when(&kc.end_date_time, "endDateTime").unwrap_or(cert.not_after());
        out.push(VerifyKey {
            key_id: kc.key_id.clone().unwrap_or_default(),
            x5t: cert.x5t().to_string(),
            x5t_s256: crypto::base64url(&crypto::sha256(cert.der())),
            thumbprint: cert.thumbprint().to_string(),
            key: key.clone(),
            start: start.unix_timestamp(),
            end: end.unix_timestamp(),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::spn_host;

    #[test]
    fn spn_forms() {
        assert_eq!(
            spn_host("https://mail.contoso.com/").as_deref(),
            Some("mail.contoso.com")
        );
        assert_eq!(
            spn_host("https://mail.contoso.com:8443/ews").as_deref(),
            Some("mail.contoso.com:8443")
        );
        assert_eq!(
            spn_host("mail.contoso.com").as_deref(),
            Some("mail.contoso.com")
        );
        assert_eq!(
            spn_host("00000002-0000-0ff1-ce00-000000000000/mail.contoso.com").as_deref(),
            Some("mail.contoso.com")
        );
        assert_eq!(spn_host("00000002-0000-0ff1-ce00-000000000000"), None);
        assert_eq!(spn_host("https:///"), None);
        assert_eq!(
            spn_host("localhost:8443").as_deref(),
            Some("localhost:8443")
        );
    }
}
