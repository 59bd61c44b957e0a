//! The organization: its bootstrap (what Exchange Setup creates) and its accepted domains.

use crate::error::OnPremError;
use crate::objects::*;
use crypto::{AUTH_CERTIFICATE_SUBJECT, CertificateRequest, secret};
use serde_json::{Value, json};
use store::{NewObject, Store};

pub struct NewOrganization {
    pub name: String,
    pub domain: String,
    pub ews_url: String,
}

fn valid_domain(d: &str) -> bool {
    d.contains('.')
        && d.split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
}

/// Creates the organization with what Exchange Setup makes: the accepted domain, the auth
/// certificate, AuthConfig, the built-in roles, the "Exchange Online" partner application
/// (disabled) and its application account, and an org admin credential (returned once).
pub async fn create(store: &Store, req: &NewOrganization) -> Result<(Value, String), OnPremError> {
    if !all(store, ORGANIZATION).await?.is_empty() {
        return Err(OnPremError::AlreadyExists(
            "This server already has an organization.".into(),
        ));
    }
    let domain = req.domain.trim().to_ascii_lowercase();
    if !valid_domain(&domain) {
        return Err(OnPremError::InvalidArgument(format!(
            "'{domain}' is not a domain name."
        )));
    }
    let ews = req.ews_url.trim();
    let ews_host = ews
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .filter(|h| !h.is_empty());
    if ews_host.is_none() || !ews.to_ascii_lowercase().starts_with("http") {
        return Err(OnPremError::InvalidArgument(format!(
            "'{ews}' is not an EWS URL such as https://mail.contoso.com/EWS/Exchange.asmx."
        )));
    }
    let now = now_text();
    let org = object(&[
        ("Name", json!(req.name)),
        ("Guid", json!(guid())),
        ("DefaultDomain", json!(domain)),
        ("EwsUrl", json!(ews)),
        ("DomainSid", json!(domain_sid())),
        ("OAuth2ClientProfileEnabled", json!(false)),
        ("WhenCreated", json!(now)),
    ]);
    let mut objects = vec![
        new_object(ORGANIZATION, &req.name, org.clone()),
        new_object(
            ACCEPTED_DOMAIN,
            &domain,
            object(&[
                ("Name", json!(domain)),
                ("DomainName", json!(domain)),
                ("DomainType", json!("Authoritative")),
                ("Default", json!(true)),
                ("Guid", json!(guid())),
            ]),
        ),
    ];
    let made = CertificateRequest::default()
        .self_signed()
        .map_err(|e| OnPremError::Internal(e.to_string()))?;
    let cert = crate::certs::certificate_object(
        &made.certificate,
        Some(&made.key),
        AUTH_CERTIFICATE_SUBJECT,
        "SMTP",
    );
    objects.push(new_object(CERTIFICATE, made.certificate.thumbprint(), cert));
    objects.push(new_object(
        AUTH_CONFIG,
        "Auth Configuration",
        object(&[
            ("Name", json!("Auth Configuration")),
            ("ServiceName", json!(s2s::ids::EXCHANGE_APP_ID)),
            ("Realm", json!("")),
            (
                "CurrentCertificateThumbprint",
                json!(made.certificate.thumbprint()),
            ),
            ("PreviousCertificateThumbprint", json!("")),
            ("NextCertificateThumbprint", json!("")),
            ("NextCertificateEffectiveDate", Value::Null),
        ]),
    ));
    for (name, role_type, methods) in crate::rbac::BUILT_IN_ROLES {
        objects.push(new_object(
            MANAGEMENT_ROLE,
            name,
            object(&[
                ("Name", json!(name)),
                ("RoleType", json!(role_type)),
                ("IsEndUserRole", json!(false)),
                ("EwsMethods", json!(methods())),
                ("Guid", json!(guid())),
            ]),
        ));
    }
    // What Setup creates for Exchange Online: a disabled partner application whose linked
    // account holds the application roles.
    let exo_account = crate::recipients::mail_user_object(
        &org,
        "Exchange Online-ApplicationAccount",
        &format!("Exchange_Online-ApplicationAccount@{domain}"),
        None,
        true,
    );
    let exo_identity = text(&exo_account, "Identity").to_string();
    let exo_guid = text(&exo_account, "Guid").to_string();
    objects.push(new_object(
        RECIPIENT,
        "Exchange Online-ApplicationAccount",
        exo_account,
    ));
    for role in [
        "UserApplication",
        "ArchiveApplication",
        "LegalHoldApplication",
        "Mailbox Search",
    ] {
        let name = format!("{role}-Exchange Online-ApplicationAccount");
        objects.push(new_object(
            ROLE_ASSIGNMENT,
            &name,
            crate::rbac::assignment_object(
                &name,
                role,
                &exo_identity,
                &exo_guid,
                "Exchange Online-ApplicationAccount",
            ),
        ));
    }
    objects.push(new_object(
        PARTNER_APPLICATION,
        "Exchange Online",
        crate::oauth_config::partner_application_object(
            "Exchange Online",
            s2s::ids::EXCHANGE_APP_ID,
            "",
            true,
            false,
            false,
            Some((&exo_identity, &exo_guid)),
        ),
    ));
    let credential = secret::new_credential();
    let hash = secret::credential_hash(&credential);
    objects.push(NewObject::new(
        ADMIN_CREDENTIAL,
        "",
        &hash[..16],
        json!({ "hash": hash }),
    ));
    store.directory().create_all(objects).await?;
    Ok((org, credential))
}

/// A domain SID, `S-1-5-21-` and three random sub-authorities (from a random UUID).
fn domain_sid() -> String {
    let id = uuid::Uuid::new_v4();
    let b = id.as_bytes();
    let n = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) & 0x7fff_ffff;
    format!("S-1-5-21-{}-{}-{}", n(0), n(4), n(8))
}

pub fn get_accepted_domain(domains: Vec<store::DirectoryObject>) -> Vec<Value> {
    domains.iter().map(present).collect()
}

/// Set-OrganizationConfig -OAuth2ClientProfileEnabled: whether EWS and Autodiscover take
/// users' OAuth tokens from the default authorization endpoint (Hybrid Modern Authentication).
pub async fn set_organization_config(
    store: &Store,
    p: &crate::params::Params,
) -> Result<Vec<Value>, OnPremError> {
    p.allow(&["OAuth2ClientProfileEnabled"])?;
    let obj = all(store, ORGANIZATION)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| OnPremError::NotFound("the organization".into()))?;
    let mut v = obj.data.clone();
    if let Some(on) = p.bool("OAuth2ClientProfileEnabled")? {
        set(&mut v, "OAuth2ClientProfileEnabled", json!(on));
    }
    let saved = save(store, &obj, v).await?;
    Ok(vec![saved.data])
}
