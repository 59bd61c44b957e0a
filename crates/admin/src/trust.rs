//! The hybrid trust set up from nothing, as the runbook leaves it: a tenant whose Skype for
//! Business principal holds the partner's key, an organization, and (with `runbook`) steps 1
//! to 3 on premises: the ACS AuthServer, the partner's application account with its roles, and
//! the partner application; then the users' mailboxes, the partner's users and its settings.

use crate::cloud_admin::CloudAdmin;
use crate::error::AdminError;
use crate::onprem_admin::{OnPremAdmin, Parameters};
use crate::partner_admin::PartnerAdmin;
use cloud::admin_types::ServicePrincipalPatch;
use cloud::model::KeyCredential;
use onprem::model::Recipient;
use onprem::model::api::NewOrganizationRequest;
use partner::Settings;
use partner::admin_types::NewUser;
use s2s::ids::{CLOUD_VOICEMAIL_APP_ID, EXCHANGE_APP_ID, SKYPE_APP_ID, TEAMS_SCHEDULER_APP_ID};

/// Which partner service: Skype for Business Online, or the Teams edition (Teams Scheduler and
/// Cloud Voicemail sign with the same key).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Edition {
    #[default]
    SkypeForBusiness,
    Teams,
}

/// Where the organization comes from.
pub enum OrganizationSource<'a> {
    /// Created here with the server operator's credential.
    Create { operator: &'a str, name: &'a str },
    /// Already made; its admin credential.
    Existing { admin: &'a str },
}

/// Where the partner's signing key comes from.
pub enum PartnerKey<'a> {
    /// A running partner server (its operator credential): its certificate is uploaded, its
    /// users and settings made.
    Server { url: &'a str, operator: &'a str },
    /// A certificate (DER in base64) whose key the caller holds and signs with itself.
    Certificate(String),
}

pub struct TrustPlan<'a> {
    pub cloud: &'a str,
    pub cloud_operator: &'a str,
    /// The on-premises server; None sets up the cloud's side alone (a token service bench).
    pub onprem: Option<&'a str>,
    pub organization: OrganizationSource<'a>,
    pub partner: PartnerKey<'a>,
    /// The accepted domain and the tenant's verified domain.
    pub domain: &'a str,
    /// The organization's published EWS URL: its host is the resource's.
    pub ews_url: &'a str,
    /// Mailboxes to make (alias, display name); the partner knows each by the same address.
    pub users: &'a [(&'a str, &'a str)],
    /// Whether the runbook's steps 1 to 3 are configured on premises (else the admin runs them).
    pub runbook: bool,
    pub edition: Edition,
    /// More keys on the Skype for Business principal beside the partner's.
    pub extra_keys: Vec<KeyCredential>,
}

/// The trust as set up: the tenant, and admin clients of the three roles.
pub struct Trust {
    pub tenant_id: String,
    pub tenant_admin: String,
    /// The organization admin's credential (empty without on-premises).
    pub org_admin: String,
    /// The tenant administrator's Graph client.
    pub cloud: CloudAdmin,
    /// The organization admin's client.
    pub onprem: Option<OnPremAdmin>,
    pub partner: Option<PartnerAdmin>,
}

/// The partner's application account, as the runbook's step 3 names it.
pub const APPLICATION_ACCOUNT: &str = "SfBOnline-ApplicationAccount";

impl Trust {
    pub async fn establish(plan: TrustPlan<'_>) -> Result<Trust, AdminError> {
        let tenant = CloudAdmin::new(plan.cloud, plan.cloud_operator)
            .new_tenant(plan.domain, None)
            .await?;
        let cloud = CloudAdmin::new(plan.cloud, &tenant.admin_credential);
        let partner = match &plan.partner {
            PartnerKey::Server { url, operator } => Some(PartnerAdmin::new(url, operator)),
            PartnerKey::Certificate(_) => None,
        };
        let partner_key = match (&plan.partner, &partner) {
            (PartnerKey::Certificate(c), _) => c.clone(),
            (_, Some(p)) => p.signing_certificate().await?.certificate,
            (_, None) => unreachable!("a server plan has a client"),
        };
        upload_partner_key(&cloud, &plan, &partner_key).await?;
        if plan.runbook {
            add_exchange_spn(&cloud, &plan).await?;
        }
        let mut trust = Trust {
            tenant_id: tenant.tenant_id,
            tenant_admin: tenant.admin_credential,
            org_admin: String::new(),
            cloud,
            onprem: None,
            partner,
        };
        if let Some(url) = plan.onprem {
            trust.establish_on_premises(url, &plan).await?;
        }
        Ok(trust)
    }

    /// The organization (made or given), the runbook's steps on premises, the users, and the
    /// partner's settings.
    async fn establish_on_premises(
        &mut self,
        url: &str,
        plan: &TrustPlan<'_>,
    ) -> Result<(), AdminError> {
        self.org_admin = match plan.organization {
            OrganizationSource::Existing { admin } => admin.to_string(),
            OrganizationSource::Create { operator, name } => {
                let req = NewOrganizationRequest {
                    name: name.into(),
                    domain_name: plan.domain.into(),
                    ews_url: plan.ews_url.into(),
                };
                OnPremAdmin::new(url, operator)
                    .new_organization(&req)
                    .await?
                    .admin_credential
            }
        };
        let onprem = OnPremAdmin::new(url, &self.org_admin);
        if plan.runbook {
            configure_runbook(&onprem, plan).await?;
        }
        for (alias, name) in plan.users {
            let p = Parameters::new().with("Name", name).with("Alias", alias);
            onprem.invoke("New-Mailbox", p).await?;
            if let Some(partner) = &self.partner {
                let address = format!("{alias}@{}", plan.domain);
                let user = NewUser {
                    sip: address.clone(),
                    smtp: address,
                    display_name: Some(name.to_string()),
                };
                partner.new_user(&user).await?;
            }
        }
        if let Some(partner) = &self.partner {
            let s = settings(plan, url, &self.tenant_id);
            partner.set_settings(&s).await?;
        }
        self.onprem = Some(onprem);
        Ok(())
    }
}
/// The partner's key on Skype for Business Online's principal (and, in the Teams edition, on
/// Teams Scheduler's and Cloud Voicemail's: one key on all three).
async fn upload_partner_key(
    cloud: &CloudAdmin,
    plan: &TrustPlan<'_>,
    certificate: &str,
) -> Result<(), AdminError> {
    let partner = KeyCredential::verify(certificate, None);
    let mut keys = vec![partner.clone()];
    keys.extend(plan.extra_keys.iter().cloned());
    let patch = |keys: Vec<KeyCredential>| ServicePrincipalPatch {
        key_credentials: Some(keys),
        ..Default::default()
    };
    cloud
        .patch_service_principal(SKYPE_APP_ID, &patch(keys))
        .await?;
    if plan.edition == Edition::Teams {
        for app in [TEAMS_SCHEDULER_APP_ID, CLOUD_VOICEMAIL_APP_ID] {
            cloud
                .patch_service_principal(app, &patch(vec![partner.clone()]))
                .await?;
        }
    }
    Ok(())
}

/// The host of the organization's EWS URL.
fn ews_host(ews_url: &str) -> &str {
    ews_url
        .split("://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap_or(ews_url)
}

/// Exchange's SPN in the tenant: the published EWS host.
async fn add_exchange_spn(cloud: &CloudAdmin, plan: &TrustPlan<'_>) -> Result<(), AdminError> {
    let spn = ServicePrincipalPatch {
        service_principal_names: Some(vec![format!("https://{}/", ews_host(plan.ews_url))]),
        ..Default::default()
    };
    cloud.patch_service_principal(EXCHANGE_APP_ID, &spn).await
}

/// Steps 1 to 3 on premises: the ACS AuthServer, the application account with the
/// application roles, and the partner application linked to it.
async fn configure_runbook(onprem: &OnPremAdmin, plan: &TrustPlan<'_>) -> Result<(), AdminError> {
    let metadata = format!("{}/{}/metadata/json/1", plan.cloud, plan.domain);
    let p = Parameters::new()
        .with("Name", "WindowsAzureACS")
        .with("AuthMetadataUrl", metadata);
    onprem.invoke("New-AuthServer", p).await?;
    let p = Parameters::new().with("Name", APPLICATION_ACCOUNT).with(
        "ExternalEmailAddress",
        format!("{APPLICATION_ACCOUNT}@{}", plan.domain),
    );
    let account: Vec<Recipient> = onprem.run("New-MailUser", p).await?;
    let identity = account
        .first()
        .map(|a| a.identity.clone())
        .unwrap_or_else(|| APPLICATION_ACCOUNT.into());
    for role in ["UserApplication", "ArchiveApplication"] {
        let p = Parameters::new().with("Role", role).with("User", &identity);
        onprem.invoke("New-ManagementRoleAssignment", p).await?;
    }
    let p = Parameters::new()
        .with("Name", "SfBOnline")
        .with("ApplicationIdentifier", SKYPE_APP_ID)
        .with("Enabled", true)
        .with("LinkedAccount", &identity);
    onprem.invoke("New-PartnerApplication", p).await
}

/// The partner's settings: the tenant's token endpoint, on-premises EWS, and Exchange's
/// resource at the published EWS host.
fn settings(plan: &TrustPlan<'_>, onprem: &str, tenant: &str) -> Settings {
    let mut s = Settings::new(
        tenant,
        &format!("{}/{tenant}/tokens/OAuth/2", plan.cloud),
        &format!("{onprem}/EWS/Exchange.asmx"),
        &format!(
            "{EXCHANGE_APP_ID}/{}@{}",
            ews_host(plan.ews_url),
            plan.domain
        ),
    );
    if plan.edition == Edition::Teams {
        s.edition = "teams".into();
    }
    s
}
