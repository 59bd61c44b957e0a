//! The trust configuration inbound validation uses, held in memory and rebuilt from the store
//! whenever an AuthServer, PartnerApplication, AuthConfig or accepted domain changes.

use crate::objects::*;
use crypto::Certificate;
use s2s::{
    IssuerKey, IssuerKind, PartnerApplicationTrust, PrincipalId, TrustSnapshot, TrustedIssuer,
};
use serde_json::Value;
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
    /// Partner application name -> the RoleTypes its linked account holds; None when the
    /// application has no linked account (or it was deleted).
    pub linked_roles: std::collections::HashMap<String, Option<Vec<String>>>,
    /// RoleType -> the EWS methods it grants.
    pub role_methods: std::collections::HashMap<String, Vec<String>>,
    /// User guid -> the RoleTypes assigned to the user.
    pub user_roles: std::collections::HashMap<String, Vec<String>>,
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

fn flag(v: &Value, m: &str) -> bool {
    v.get(m).and_then(Value::as_bool).unwrap_or(false)
}

fn keys(v: &Value, owner: &str) -> Vec<IssuerKey> {
    let mut out = Vec::new();
    for c in v
        .get("CertificateStrings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
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

/// Reads the trust configuration from the store.
pub async fn load(store: &Store) -> Result<TrustState, crate::OnPremError> {
    let mut state = TrustState::default();
    let config = all(store, AUTH_CONFIG).await?.into_iter().next();
    let domains = all(store, ACCEPTED_DOMAIN).await?;
    let default_domain = domains
        .iter()
        .find(|d| flag(&d.data, "Default"))
        .map(|d| text(&d.data, "DomainName").to_string())
        .unwrap_or_default();
    let snap = &mut state.snapshot;
    if let Some(c) = &config {
        snap.service_name = text(&c.data, "ServiceName").to_string();
        let realm = text(&c.data, "Realm");
        state.realm = if realm.is_empty() {
            default_domain.clone()
        } else {
            realm.to_string()
        };
        if !realm.is_empty() {
            snap.local_realms.push(realm.to_string());
        }
    }
    snap.local_realms.extend(
        domains
            .iter()
            .map(|d| text(&d.data, "DomainName").to_string()),
    );
    for a in all(store, AUTH_SERVER).await? {
        let d = &a.data;
        if !flag(d, "Enabled") {
            continue;
        }
        let realm = text(d, "Realm");
        if !realm.is_empty() {
            snap.local_realms.push(realm.to_string());
        }
        let keys = keys(d, &a.name);
        if keys.is_empty() {
            tracing::warn!(
                "auth server '{}' has no usable signing certificate and is not trusted",
                a.name
            );
            continue;
        }
        let id = text(d, "IssuerIdentifier").to_string();
        state.challenge_issuers.push(format!(
            "{id}@{}",
            if realm.is_empty() { "*" } else { realm }
        ));
        snap.issuers.push(TrustedIssuer {
            kind: IssuerKind::Acs,
            id,
            realm: empty_realm(realm),
            keys,
        });
    }
    for p in all(store, PARTNER_APPLICATION).await? {
        let d = &p.data;
        let app = PartnerApplicationTrust {
            name: text(d, "Name").to_string(),
            application_identifier: text(d, "ApplicationIdentifier").to_string(),
            realm: empty_realm(text(d, "Realm")),
            use_auth_server: flag(d, "UseAuthServer"),
            enabled: flag(d, "Enabled"),
            accept_security_identifier_information: flag(d, "AcceptSecurityIdentifierInformation"),
        };
        if app.enabled && !app.use_auth_server {
            let issuer = text(d, "IssuerIdentifier");
            let id = PrincipalId::parse_issuer(issuer)
                .map(|i| i.app_id)
                .unwrap_or_else(|| app.application_identifier.clone());
            let keys = keys(d, &app.name);
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
    load_users_and_roles(store, &mut state).await?;
    if let Some(org) = all(store, ORGANIZATION).await?.into_iter().next() {
        let url = text(&org.data, "EwsUrl");
        state.ews_host = url
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
    state: &mut TrustState,
) -> Result<(), crate::OnPremError> {
    for r in all(store, RECIPIENT).await? {
        let d = &r.data;
        state.users.push(UserEntry {
            guid: text(d, "Guid").into(),
            name: text(d, "Name").into(),
            display_name: text(d, "DisplayName").into(),
            recipient_type: text(d, "RecipientType").into(),
            sid: text(d, "Sid").into(),
            upn: text(d, "UserPrincipalName").into(),
            primary_smtp: text(d, "PrimarySmtpAddress").into(),
            addresses: d
                .get("EmailAddresses")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect(),
        });
    }
    let mut role_type = std::collections::HashMap::new();
    for r in all(store, MANAGEMENT_ROLE).await? {
        let rt = text(&r.data, "RoleType").to_string();
        role_type.insert(text(&r.data, "Name").to_string(), rt.clone());
        let methods = r
            .data
            .get("EwsMethods")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .map(String::from)
            .collect();
        state.role_methods.insert(rt, methods);
    }
    for a in all(store, ROLE_ASSIGNMENT).await? {
        if !flag(&a.data, "Enabled") {
            continue;
        }
        if let Some(rt) = role_type.get(text(&a.data, "Role")) {
            state
                .user_roles
                .entry(text(&a.data, "UserGuid").to_string())
                .or_default()
                .push(rt.clone());
        }
    }
    for p in all(store, PARTNER_APPLICATION).await? {
        let linked = text(&p.data, "LinkedAccountGuid");
        let roles = if linked.is_empty() || !state.users.iter().any(|u| u.guid == linked) {
            None
        } else {
            Some(state.user_roles.get(linked).cloned().unwrap_or_default())
        };
        state
            .linked_roles
            .insert(text(&p.data, "Name").to_string(), roles);
    }
    Ok(())
}
