//! The trust configuration inbound validation uses, held in memory and rebuilt from the store
//! whenever an AuthServer, PartnerApplication, AuthConfig or accepted domain changes.

use crate::objects::*;
use crypto::Certificate;
use s2s::{
    IssuerKey, IssuerKind, PartnerApplicationTrust, PrincipalId, TrustSnapshot, TrustedIssuer,
};
use serde_json::Value;
use store::Store;

/// What the server trusts, and what it needs to say so in a challenge.
#[derive(Debug, Clone, Default)]
pub struct TrustState {
    pub snapshot: TrustSnapshot,
    /// `trusted_issuers` of the Bearer challenge: `<id>@<realm or *>`.
    pub challenge_issuers: Vec<String>,
    /// The organization's realm: AuthConfig.Realm, else the default accepted domain.
    pub realm: String,
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
    Ok(state)
}
