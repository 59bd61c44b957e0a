//! The organization: its bootstrap (what Exchange Setup creates) and its accepted domains.

use crate::error::OnPremError;
use crate::model::{AcceptedDomain, AuthConfig, CmdletObject, ManagementRole, Organization};
use crate::objects::*;
use crypto::{AUTH_CERTIFICATE_SUBJECT, CertificateRequest, secret};
use store::Store;

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
pub async fn create(
    store: &Store,
    req: &NewOrganization,
) -> Result<(Organization, String), OnPremError> {
    if !all::<Organization>(store).await?.is_empty() {
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
    let org = Organization {
        name: req.name.clone(),
        guid: guid(),
        default_domain: domain.clone(),
        ews_url: ews.to_string(),
        domain_sid: domain_sid(),
        oauth2_client_profile_enabled: false,
        when_created: now_text(),
    };
    let mut objects = vec![
        new_object(&org)?,
        new_object(&AcceptedDomain {
            name: domain.clone(),
            domain_name: domain.clone(),
            domain_type: "Authoritative".into(),
            default: true,
            guid: guid(),
        })?,
    ];
    let made = CertificateRequest::default()
        .self_signed()
        .map_err(|e| OnPremError::Internal(e.to_string()))?;
    objects.push(new_object(&crate::certs::certificate_object(
        &made.certificate,
        Some(&made.key),
        AUTH_CERTIFICATE_SUBJECT,
        "SMTP",
    ))?);
    objects.push(new_object(&AuthConfig {
        name: "Auth Configuration".into(),
        service_name: s2s::ids::EXCHANGE_APP_ID.into(),
        current_certificate_thumbprint: made.certificate.thumbprint().into(),
        ..Default::default()
    })?);
    for role in crate::rbac::BUILT_IN_ROLES {
        objects.push(new_object::<ManagementRole>(&crate::rbac::built_in_role(
            role,
        ))?);
    }
    // What Setup creates for Exchange Online: a disabled partner application whose linked
    // account holds the application roles.
    let exo_account = crate::recipients::mail_user(
        &org,
        "Exchange Online-ApplicationAccount",
        &format!("Exchange_Online-ApplicationAccount@{domain}"),
        None,
        true,
    );
    objects.push(new_object(&exo_account)?);
    for role in [
        "UserApplication",
        "ArchiveApplication",
        "LegalHoldApplication",
        "Mailbox Search",
    ] {
        let name = format!("{role}-Exchange Online-ApplicationAccount");
        objects.push(new_object(&crate::rbac::assignment(
            &name,
            role,
            &exo_account,
        ))?);
    }
    let mut exo = crate::oauth_config::partner_application(
        "Exchange Online",
        s2s::ids::EXCHANGE_APP_ID,
        "",
        Some(&exo_account),
    );
    exo.enabled = false;
    objects.push(new_object(&exo)?);
    let credential = secret::new_credential();
    let hash = secret::credential_hash(&credential);
    objects.push(StoredCredential::object(ADMIN_CREDENTIAL, &hash)?);
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

/// Set-OrganizationConfig -OAuth2ClientProfileEnabled: whether EWS and Autodiscover take
/// users' OAuth tokens from the default authorization endpoint (Hybrid Modern Authentication).
pub async fn set_organization_config(
    store: &Store,
    p: &crate::params::Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let obj = organization_object(store).await?;
    let mut v = obj.value.clone();
    if let Some(on) = p.bool("OAuth2ClientProfileEnabled")? {
        v.oauth2_client_profile_enabled = on;
    }
    Ok(vec![save(store, &obj, v).await?.value.into()])
}

/// What Get-OrganizationConfig shows.
pub async fn get_organization_config(store: &Store) -> Result<Vec<CmdletObject>, OnPremError> {
    Ok(vec![organization(store).await?.into()])
}

/// Get-AcceptedDomain [-Identity].
pub async fn get_accepted_domain(
    store: &Store,
    identity: Option<&str>,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let found = get::<AcceptedDomain>(store, identity).await?;
    Ok(found.into_iter().map(CmdletObject::from).collect())
}
