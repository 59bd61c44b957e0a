//! The directory's write operations: tenants, service principals, key credentials, SPNs,
//! credentials and STS signing keys, each a versioned object in the store.

use crate::error::CloudError;
use crate::model::*;
use crate::stored::{CredentialHash, DomainOwner, KeyRing, RingKey};
use crypto::{CertificateRequest, secret};
use store::{DirectoryObject, NewObject, Store};
use time::OffsetDateTime;

/// Outlook desktop (Microsoft Office) and Outlook mobile: the public clients HMA serves.
pub const PUBLIC_CLIENTS: &[(&str, &str)] = &[
    ("d3590ed6-52b3-4102-aeff-aad2292ab01c", "Microsoft Office"),
    ("27922004-5251-4030-b22d-91ecd9a37ea4", "Outlook Mobile"),
];

/// What `create_tenant` returns: the tenant and its first admin credential (shown once).
pub struct NewTenant {
    pub tenant: Tenant,
    pub admin_credential: String,
}

pub async fn create_tenant(
    store: &Store,
    domain: &str,
    display_name: Option<&str>,
) -> Result<NewTenant, CloudError> {
    let domain = domain.trim().to_ascii_lowercase();
    if !valid_domain(&domain) {
        return Err(CloudError::BadRequest(format!(
            "'{domain}' is not a domain name"
        )));
    }
    let id = uuid::Uuid::new_v4().to_string();
    let label = domain.split('.').next().unwrap_or(&domain).to_string();
    let tenant = Tenant {
        id: id.clone(),
        display_name: display_name
            .map(str::to_string)
            .unwrap_or_else(|| capitalize(&label)),
        verified_domains: vec![
            VerifiedDomain {
                name: domain.clone(),
                is_default: true,
                is_initial: false,
                capabilities: "Email, OfficeCommunicationsOnline".into(),
                domain_type: "Managed".into(),
            },
            VerifiedDomain {
                name: format!("{label}.onmicrosoft.com"),
                is_default: false,
                is_initial: true,
                capabilities: "Email, OfficeCommunicationsOnline".into(),
                domain_type: "Managed".into(),
            },
        ],
        created_date_time: graph_time(OffsetDateTime::now_utc()),
    };
    let credential = secret::new_credential();
    let mut objects = vec![NewObject::new(KIND_TENANT, "", &id, to_json(&tenant)?)];
    for d in &tenant.verified_domains {
        objects.push(NewObject::new(
            "VerifiedDomain",
            "",
            &d.name,
            to_json(&DomainOwner {
                tenant_id: id.clone(),
            })?,
        ));
    }
    for (app_id, name) in FIRST_PARTY.iter().chain(PUBLIC_CLIENTS) {
        let sp = ServicePrincipal::first_party(app_id, name);
        objects.push(NewObject::new(
            KIND_SERVICE_PRINCIPAL,
            &id,
            app_id,
            to_json(&sp)?,
        ));
    }
    let hash = secret::credential_hash(&credential);
    objects.push(NewObject::new(
        KIND_ADMIN_CREDENTIAL,
        &id,
        &hash[..16],
        to_json(&CredentialHash { hash: hash.clone() })?,
    ));
    store
        .directory()
        .create_all(objects)
        .await
        .map_err(|e| match e {
            store::StoreError::Duplicate { .. } => CloudError::Conflict(format!(
                "the domain '{domain}' is already a verified domain of a tenant"
            )),
            other => other.into(),
        })?;
    Ok(NewTenant {
        tenant,
        admin_credential: credential,
    })
}

fn valid_domain(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn capitalize(s: &str) -> String {
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<serde_json::Value, CloudError> {
    serde_json::to_value(v).map_err(|e| CloudError::Internal(e.to_string()))
}

/// A service principal by object id or appId, with its stored object (for its version).
pub async fn find_service_principal(
    store: &Store,
    tenant_id: &str,
    id_or_app_id: &str,
) -> Result<(DirectoryObject, ServicePrincipal), CloudError> {
    let dir = store.directory();
    if let Some(obj) = dir
        .find(KIND_SERVICE_PRINCIPAL, tenant_id, id_or_app_id)
        .await?
    {
        let sp = from_json(&obj)?;
        return Ok((obj, sp));
    }
    for obj in dir.list(KIND_SERVICE_PRINCIPAL, Some(tenant_id)).await? {
        let sp: ServicePrincipal = from_json(&obj)?;
        if sp.id.eq_ignore_ascii_case(id_or_app_id) {
            return Ok((obj, sp));
        }
    }
    Err(CloudError::NotFound(id_or_app_id.to_string()))
}

pub async fn list_service_principals(
    store: &Store,
    tenant_id: &str,
) -> Result<Vec<ServicePrincipal>, CloudError> {
    let objs = store
        .directory()
        .list(KIND_SERVICE_PRINCIPAL, Some(tenant_id))
        .await?;
    objs.iter().map(from_json).collect()
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    obj: &DirectoryObject,
) -> Result<T, CloudError> {
    serde_json::from_value(obj.data.clone())
        .map_err(|e| CloudError::Internal(format!("corrupt {}: {e}", obj.kind)))
}

/// Stores a changed service principal if nobody changed it since `obj` was read.
pub async fn save_service_principal(
    store: &Store,
    obj: &DirectoryObject,
    sp: &ServicePrincipal,
) -> Result<(), CloudError> {
    store
        .directory()
        .update(obj, &obj.name, to_json(sp)?)
        .await?;
    Ok(())
}

/// Every tenant holds every first-party service principal this release knows: a tenant made by
/// an earlier release gets the ones added since (the Teams services), as Entra provisions them.
pub async fn ensure_first_party_principals(store: &Store) -> Result<(), CloudError> {
    let dir = store.directory();
    for tenant in dir.list(KIND_TENANT, None).await? {
        let id = tenant.name.clone();
        let mut missing = Vec::new();
        for (app_id, name) in FIRST_PARTY.iter().chain(PUBLIC_CLIENTS) {
            if dir
                .find(KIND_SERVICE_PRINCIPAL, &id, app_id)
                .await?
                .is_none()
            {
                let sp = ServicePrincipal::first_party(app_id, name);
                missing.push(NewObject::new(
                    KIND_SERVICE_PRINCIPAL,
                    &id,
                    app_id,
                    to_json(&sp)?,
                ));
            }
        }
        // Another process of the service may be adding them at the same time: that is fine.
        if !missing.is_empty()
            && let Err(e) = dir.create_all(missing).await
        {
            tracing::warn!(tenant = %id, "first-party service principals not added now: {e}");
        }
    }
    Ok(())
}

/// The operator credential, created on first start. Returns it when it was just made.
pub async fn ensure_operator_credential(store: &Store) -> Result<Option<String>, CloudError> {
    if !store
        .directory()
        .list(KIND_OPERATOR_CREDENTIAL, None)
        .await?
        .is_empty()
    {
        return Ok(None);
    }
    let credential = secret::new_credential();
    let hash = secret::credential_hash(&credential);
    store
        .directory()
        .create(NewObject::new(
            KIND_OPERATOR_CREDENTIAL,
            "",
            "operator",
            to_json(&CredentialHash { hash })?,
        ))
        .await?;
    Ok(Some(credential))
}

/// Creates the STS key ring (a current and a next signing key) when there is none.
pub async fn ensure_signing_keys(store: &Store) -> Result<(), CloudError> {
    if store
        .directory()
        .find(KIND_STS_KEY, "", STS_KEY_RING)
        .await?
        .is_some()
    {
        return Ok(());
    }
    let ring = to_json(&KeyRing {
        keys: vec![new_signing_key("current")?, new_signing_key("next")?],
    })?;
    match store
        .directory()
        .create(NewObject::new(KIND_STS_KEY, "", STS_KEY_RING, ring))
        .await
    {
        // Another process made one at the same moment: theirs is as good.
        Err(store::StoreError::Duplicate { .. }) => Ok(()),
        other => other.map(|_| ()).map_err(Into::into),
    }
}

fn new_signing_key(status: &str) -> Result<RingKey, CloudError> {
    let made = CertificateRequest {
        common_name: "accounts.accesscontrol.windows.net".into(),
        validity: time::Duration::days(2 * 365),
        ..Default::default()
    }
    .self_signed()
    .map_err(|e| CloudError::Internal(e.to_string()))?;
    Ok(RingKey {
        status: status.into(),
        pair: made.to_stored(),
    })
}

/// Rotates the STS signing keys with overlap, in one write: next becomes current, current
/// becomes previous (still published, so tokens it signed stay verifiable), the old previous
/// is dropped, and a new next is made and published before it is ever used.
pub async fn rotate_signing_keys(store: &Store) -> Result<(), CloudError> {
    let dir = store.directory();
    let ring = dir
        .find(KIND_STS_KEY, "", STS_KEY_RING)
        .await?
        .ok_or_else(|| CloudError::NotFound(STS_KEY_RING.into()))?;
    let old: KeyRing = serde_json::from_value(ring.data.clone())
        .map_err(|e| CloudError::Internal(format!("the STS key ring: {e}")))?;
    let mut keys = Vec::new();
    for mut k in old.keys {
        k.status = match k.status.as_str() {
            "next" => "current".into(),
            "current" => "previous".into(),
            _ => continue,
        };
        keys.push(k);
    }
    keys.push(new_signing_key("next")?);
    dir.update(&ring, &ring.name, to_json(&KeyRing { keys })?)
        .await?;
    Ok(())
}
