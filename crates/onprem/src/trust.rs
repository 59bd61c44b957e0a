//! The trust configuration inbound validation uses, held in memory and rebuilt from the store
//! whenever an AuthServer, PartnerApplication, AuthConfig or accepted domain changes.

use crate::model::{
    AcceptedDomain, AuthConfig, AuthServer, AuthServerType, ManagementRole, Organization,
    PartnerApplication, Recipient, RoleAssignment,
};
use crate::objects::*;
use crypto::Certificate;
use s2s::{
    IssuerKey, IssuerKind, PartnerApplicationTrust, PrincipalId, TrustSnapshot, TrustedIssuer,
};
use store::Store;

/// A recipient as token user resolution and EWS need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserEntry {
    pub guid: String,
    pub name: String,
    pub display_name: String,
    pub recipient_type: String,
    pub sid: String,
    pub upn: String,
    pub primary_smtp: String,
    /// Proxy addresses as stored (`SMTP:a@b`, `SIP:a@b`).
    pub addresses: Vec<String>,
    /// Not shown in address lists (nor found by FindPeople).
    pub hidden: bool,
    /// The user account is disabled: its OAuth user tokens are refused.
    pub disabled: bool,
}

impl UserEntry {
    pub fn has_mailbox(&self) -> bool {
        self.recipient_type == "UserMailbox"
    }

    /// True when `address` is the user's primary SMTP address or one of its proxy addresses
    /// (`sip:` and `smtp:` prefixes optional).
    pub fn has_address(&self, address: &str) -> bool {
        let a = address.trim();
        let bare = a.split_once(':').map(|(_, x)| x).unwrap_or(a);
        self.primary_smtp.eq_ignore_ascii_case(bare)
            || self.addresses.iter().any(|p| {
                p.eq_ignore_ascii_case(a)
                    || p.split_once(':')
                        .is_some_and(|(_, x)| x.eq_ignore_ascii_case(bare))
            })
    }
}

/// What the server trusts, and what it needs to say so in a challenge.
#[derive(Debug, Clone, Default)]
pub struct TrustState {
    pub snapshot: TrustSnapshot,
    /// `trusted_issuers` of the Bearer challenge: `<id>@<realm or *>`.
    pub challenge_issuers: Vec<String>,
    /// The organization's realm: AuthConfig.Realm, else the default accepted domain.
    pub realm: String,
    /// The host of the organization's published EWS URL.
    pub ews_host: String,
    pub users: Vec<UserEntry>,
    /// Partner application name -> the roles its linked account holds; None when the
    /// application has no linked account (or it was deleted).
    pub linked_roles: std::collections::HashMap<String, Option<Vec<RoleGrant>>>,
    /// Built-in role type -> the EWS methods its built-in role allows.
    pub role_methods: std::collections::HashMap<String, Vec<String>>,
    /// The Entra tenants of enabled AzureAD AuthServers, whose application tokens EWS takes.
    pub entra_issuers: Vec<s2s::entra::EntraIssuer>,
    /// User guid -> the roles assigned to the user.
    pub user_roles: std::collections::HashMap<String, Vec<RoleGrant>>,
    /// Set-OrganizationConfig -OAuth2ClientProfileEnabled: users' Entra tokens are taken.
    pub oauth2_client_profile: bool,
    /// Where clients sign in, when exactly one enabled AzureAD AuthServer is the default
    /// authorization endpoint: the challenge's `authorization_uri`.
    pub authorization_uri: Option<String>,
}

/// A management role as RBAC decides with it: its type and its entries (EWS methods).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RoleGrant {
    pub name: String,
    pub role_type: String,
    pub methods: Vec<String>,
}

impl TrustState {
    /// The users the lookup attributes name (OR of sid, upn, smtp, sip).
    pub fn find_users(&self, l: &s2s::UserLookup) -> Vec<&UserEntry> {
        self.users
            .iter()
            .filter(|u| {
                l.sid
                    .as_deref()
                    .is_some_and(|s| u.sid.eq_ignore_ascii_case(s))
                    || l.upn
                        .as_deref()
                        .is_some_and(|x| !u.upn.is_empty() && u.upn.eq_ignore_ascii_case(x))
                    || l.smtp
                        .as_deref()
                        .is_some_and(|x| u.primary_smtp.eq_ignore_ascii_case(x))
                    || l.sip.as_deref().is_some_and(|x| {
                        u.addresses
                            .iter()
                            .any(|p| p.eq_ignore_ascii_case(&format!("sip:{x}")))
                    })
            })
            .collect()
    }

    pub fn user_by_address(&self, address: &str) -> Option<&UserEntry> {
        self.users.iter().find(|u| {
            u.has_address(address) || (!u.upn.is_empty() && u.upn.eq_ignore_ascii_case(address))
        })
    }
}

/// An AzureAD AuthServer's authorization endpoint: its metadata host's
/// `/common/oauth2/authorize`, as Exchange derives it.
fn authorization_endpoint(metadata_url: &str) -> Option<String> {
    let (scheme, rest) = metadata_url.trim().split_once("://")?;
    let authority = rest
        .split(['/', '?', '#'])
        .next()
        .filter(|a| !a.is_empty())?;
    if !scheme.eq_ignore_ascii_case("https") && !scheme.eq_ignore_ascii_case("http") {
        return None;
    }
    Some(format!(
        "{}://{}/common/oauth2/authorize",
        scheme.to_ascii_lowercase(),
        authority.to_ascii_lowercase()
    ))
}

fn keys(certificates: &[String], owner: &str) -> Vec<IssuerKey> {
    let mut out = Vec::new();
    for c in certificates {
        match Certificate::from_base64(c).and_then(|c| IssuerKey::from_certificate(&c)) {
            Ok(k) => out.push(k),
            Err(e) => tracing::warn!("a certificate of '{owner}' is not usable: {e}"),
        }
    }
    out
}

fn empty_realm(r: &str) -> Option<String> {
    if s2s::ids::is_realm_empty(Some(r)) {
        None
    } else {
        Some(r.to_string())
    }
}

async fn values<T: crate::model::AdminObject>(store: &Store) -> Result<Vec<T>, crate::OnPremError> {
    Ok(all::<T>(store)
        .await?
        .into_iter()
        .map(|o| o.value)
        .collect())
}

/// Reads the trust configuration from the store.
pub async fn load(store: &Store) -> Result<TrustState, crate::OnPremError> {
    let mut state = TrustState::default();
    let config: Option<AuthConfig> = values::<AuthConfig>(store).await?.into_iter().next();
    let domains = values::<AcceptedDomain>(store).await?;
    let default_domain = domains
        .iter()
        .find(|d| d.default)
        .map(|d| d.domain_name.clone())
        .unwrap_or_default();
    let mut default_endpoints = Vec::new();
    let snap = &mut state.snapshot;
    if let Some(c) = &config {
        snap.service_name = c.service_name.clone();
        state.realm = if c.realm.is_empty() {
            default_domain.clone()
        } else {
            c.realm.clone()
        };
        if !c.realm.is_empty() {
            snap.local_realms.push(c.realm.clone());
        }
    }
    snap.local_realms
        .extend(domains.iter().map(|d| d.domain_name.clone()));
    for a in values::<AuthServer>(store).await? {
        if !a.enabled {
            continue;
        }
        if !a.realm.is_empty() {
            snap.local_realms.push(a.realm.clone());
        }
        let keys = keys(&a.certificate_strings, &a.name);
        if keys.is_empty() {
            tracing::warn!(
                "auth server '{}' has no usable signing certificate and is not trusted",
                a.name
            );
            continue;
        }
        if a.kind == AuthServerType::AzureAD {
            if a.is_default_authorization_endpoint {
                default_endpoints.push(authorization_endpoint(&a.auth_metadata_url));
            }
            state.entra_issuers.push(s2s::entra::EntraIssuer {
                name: a.name.clone(),
                tenant_id: a.realm.clone(),
                issuers: s2s::entra::EntraIssuer::issuer_forms(&a.issuer_identifier, &a.realm),
                keys,
            });
            continue;
        }
        let realm = if a.realm.is_empty() {
            "*"
        } else {
            a.realm.as_str()
        };
        state
            .challenge_issuers
            .push(format!("{}@{realm}", a.issuer_identifier));
        snap.issuers.push(TrustedIssuer {
            kind: IssuerKind::Acs,
            id: a.issuer_identifier.clone(),
            realm: empty_realm(&a.realm),
            keys,
        });
    }
    let partners = values::<PartnerApplication>(store).await?;
    for d in &partners {
        let app = PartnerApplicationTrust {
            name: d.name.clone(),
            application_identifier: d.application_identifier.clone(),
            realm: empty_realm(&d.realm),
            use_auth_server: d.use_auth_server,
            enabled: d.enabled,
            accept_security_identifier_information: d.accept_security_identifier_information,
        };
        if app.enabled && !app.use_auth_server {
            let id = PrincipalId::parse_issuer(&d.issuer_identifier)
                .map(|i| i.app_id)
                .unwrap_or_else(|| app.application_identifier.clone());
            let keys = keys(&d.certificate_strings, &app.name);
            if keys.is_empty() {
                tracing::warn!(
                    "partner application '{}' has no usable signing certificate and is not trusted",
                    app.name
                );
            } else {
                let realm = app.realm.clone().unwrap_or_default();
                if !realm.eq_ignore_ascii_case(s2s::ids::SELF_ISSUING_REALM) {
                    state.challenge_issuers.push(format!("{id}@{realm}"));
                }
                snap.issuers.push(TrustedIssuer {
                    kind: IssuerKind::PartnerApplication {
                        name: app.name.clone(),
                    },
                    id,
                    realm: app.realm.clone(),
                    keys,
                });
            }
        }
        if app.enabled {
            snap.partner_applications.push(app);
        }
    }
    load_users_and_roles(store, &partners, &mut state).await?;
    match default_endpoints.as_slice() {
        [one] => state.authorization_uri = one.clone(),
        [] => {}
        _ => tracing::warn!(
            "more than one AzureAD AuthServer is the default authorization endpoint: the challenge names none"
        ),
    }
    if let Some(org) = values::<Organization>(store).await?.first() {
        state.oauth2_client_profile = org.oauth2_client_profile_enabled;
        state.ews_host = org
            .ews_url
            .split("://")
            .nth(1)
            .and_then(|r| r.split('/').next())
            .unwrap_or("")
            .to_ascii_lowercase();
    }
    Ok(state)
}

async fn load_users_and_roles(
    store: &Store,
    partners: &[PartnerApplication],
    state: &mut TrustState,
) -> Result<(), crate::OnPremError> {
    for r in values::<Recipient>(store).await? {
        state.users.push(UserEntry {
            guid: r.guid,
            name: r.name,
            display_name: r.display_name,
            recipient_type: r.recipient_type.as_str().to_string(),
            sid: r.sid,
            upn: r.user_principal_name,
            primary_smtp: r.primary_smtp_address,
            addresses: r.email_addresses,
            hidden: r.hidden_from_address_lists_enabled,
            disabled: r.account_disabled,
        });
    }
    let mut roles = std::collections::HashMap::new();
    for r in values::<ManagementRole>(store).await? {
        // Built-in roles cannot be changed: their entries are this release's (a store made by
        // an earlier one included); a custom role's are what its entries say.
        let grant = RoleGrant {
            methods: crate::rbac::role_methods(&r),
            name: r.name.clone(),
            role_type: r.role_type.clone(),
        };
        if crate::rbac::BUILT_IN_ROLES
            .iter()
            .any(|(n, _, _)| *n == r.name)
        {
            state
                .role_methods
                .insert(r.role_type.clone(), grant.methods.clone());
        }
        roles.insert(r.name.to_ascii_lowercase(), grant);
    }
    for a in values::<RoleAssignment>(store).await? {
        if !a.enabled {
            continue;
        }
        if let Some(g) = roles.get(&a.role.to_ascii_lowercase()) {
            state
                .user_roles
                .entry(a.user_guid)
                .or_default()
                .push(g.clone());
        }
    }
    for p in partners {
        let linked = p.linked_account_guid.as_str();
        let roles = if linked.is_empty() || !state.users.iter().any(|u| u.guid == linked) {
            None
        } else {
            Some(state.user_roles.get(linked).cloned().unwrap_or_default())
        };
        state.linked_roles.insert(p.name.clone(), roles);
    }
    Ok(())
}
