//! The cmdlets this server runs, by name (case-insensitive), as Exchange Management Shell would.

use crate::error::OnPremError;
use crate::objects::*;
use crate::params::Params;
use crate::{certs, oauth_config, rbac, recipients};
use serde_json::{Map, Value};
use store::Store;

/// Every cmdlet, with its parameters, for help and for `hybrid onprem run`.
pub const CMDLETS: &[(&str, &str)] = &[
    ("Get-OrganizationConfig", ""),
    ("Get-AcceptedDomain", "Identity"),
    (
        "New-Mailbox",
        "Name, Alias, DisplayName, UserPrincipalName, PrimarySmtpAddress, SipAddress",
    ),
    ("Get-Mailbox", "Identity"),
    (
        "Set-Mailbox",
        "Identity, HiddenFromAddressListsEnabled, DisplayName, Alias, PrimarySmtpAddress, EmailAddresses",
    ),
    ("Remove-Mailbox", "Identity"),
    (
        "New-MailUser",
        "Name, ExternalEmailAddress, Alias, DisplayName, PrimarySmtpAddress",
    ),
    ("Get-MailUser", "Identity"),
    (
        "Set-MailUser",
        "Identity, HiddenFromAddressListsEnabled, DisplayName, Alias, PrimarySmtpAddress, ExternalEmailAddress",
    ),
    ("Remove-MailUser", "Identity"),
    ("Get-Recipient", "Identity"),
    ("Get-ManagementRole", "Identity"),
    ("New-ManagementRoleAssignment", "Role, User, Name"),
    (
        "Get-ManagementRoleAssignment",
        "Identity, Role, RoleAssignee",
    ),
    ("Remove-ManagementRoleAssignment", "Identity"),
    (
        "New-ExchangeCertificate",
        "SubjectName, FriendlyName, KeySize, DomainName, Services, ValidityDays",
    ),
    ("Get-ExchangeCertificate", "Thumbprint"),
    ("Import-ExchangeCertificate", "FileData, FriendlyName"),
    ("Export-ExchangeCertificate", "Thumbprint, BinaryEncoded"),
    ("Remove-ExchangeCertificate", "Thumbprint"),
    ("Get-AuthConfig", ""),
    (
        "Set-AuthConfig",
        "CertificateThumbprint | NewCertificateThumbprint, NewCertificateEffectiveDate | PublishCertificate, ClearPreviousCertificate | Realm, ServiceName",
    ),
    (
        "New-AuthServer",
        "Name, AuthMetadataUrl, Type, Enabled, TrustAnySSLCertificate, ApplicationIdentifier, DomainName",
    ),
    ("Get-AuthServer", "Identity"),
    (
        "Set-AuthServer",
        "Identity, Enabled, Name, AuthMetadataUrl, RefreshAuthMetadata, ApplicationIdentifier, DomainName",
    ),
    ("Remove-AuthServer", "Identity"),
    (
        "New-PartnerApplication",
        "Name, ApplicationIdentifier, Realm | AuthMetadataUrl; Enabled, LinkedAccount, AcceptSecurityIdentifierInformation",
    ),
    ("Get-PartnerApplication", "Identity"),
    (
        "Set-PartnerApplication",
        "Identity, Enabled, LinkedAccount, AcceptSecurityIdentifierInformation, Name, Realm, AuthMetadataUrl, RefreshAuthMetadata",
    ),
    ("Remove-PartnerApplication", "Identity"),
];

/// The canonical spelling of a cmdlet name, if this server runs it.
pub fn canonical(name: &str) -> Option<&'static str> {
    CMDLETS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| n.eq_ignore_ascii_case(name))
}

/// Runs one cmdlet; returns the objects it outputs.
pub async fn invoke(
    store: &Store,
    cmdlet: &str,
    parameters: Map<String, Value>,
) -> Result<Vec<Value>, OnPremError> {
    let name = canonical(cmdlet).ok_or_else(|| OnPremError::UnknownCmdlet(cmdlet.to_string()))?;
    let p = Params::new(name, parameters);
    match name {
        "Get-OrganizationConfig" => {
            p.allow(&[])?;
            Ok(vec![crate::org::organization(store).await?])
        }
        "Get-AcceptedDomain" => {
            p.allow(&["Identity"])?;
            Ok(
                select(store, ACCEPTED_DOMAIN, p.string("Identity")?.as_deref())
                    .await?
                    .iter()
                    .map(present)
                    .collect(),
            )
        }
        "New-Mailbox" => recipients::new_mailbox(store, &p).await,
        "Get-Mailbox" => recipients::get(store, &p, Some("UserMailbox")).await,
        "Set-Mailbox" => recipients::set_recipient(store, &p, "UserMailbox").await,
        "Remove-Mailbox" => recipients::remove(store, &p, "UserMailbox").await,
        "New-MailUser" => recipients::new_mail_user(store, &p).await,
        "Get-MailUser" => recipients::get(store, &p, Some("MailUser")).await,
        "Set-MailUser" => recipients::set_recipient(store, &p, "MailUser").await,
        "Remove-MailUser" => recipients::remove(store, &p, "MailUser").await,
        "Get-Recipient" => recipients::get(store, &p, None).await,
        "Get-ManagementRole" => rbac::get_role(store, &p).await,
        "New-ManagementRoleAssignment" => rbac::new_assignment(store, &p).await,
        "Get-ManagementRoleAssignment" => rbac::get_assignment(store, &p).await,
        "Remove-ManagementRoleAssignment" => rbac::remove_assignment(store, &p).await,
        "New-ExchangeCertificate" => certs::new_certificate(store, &p).await,
        "Get-ExchangeCertificate" => certs::get_certificate(store, &p).await,
        "Import-ExchangeCertificate" => certs::import_certificate(store, &p).await,
        "Export-ExchangeCertificate" => certs::export_certificate(store, &p).await,
        "Remove-ExchangeCertificate" => certs::remove_certificate(store, &p).await,
        "Get-AuthConfig" => oauth_config::get_auth_config(store, &p).await,
        "Set-AuthConfig" => oauth_config::set_auth_config(store, &p).await,
        "New-AuthServer" => oauth_config::new_auth_server(store, &p).await,
        "Get-AuthServer" => oauth_config::get_auth_server(store, &p).await,
        "Set-AuthServer" => oauth_config::set_auth_server(store, &p).await,
        "Remove-AuthServer" => oauth_config::remove_by_identity(store, &p, AUTH_SERVER).await,
        "New-PartnerApplication" => oauth_config::new_partner_application(store, &p).await,
        "Get-PartnerApplication" => oauth_config::get_partner_application(store, &p).await,
        "Set-PartnerApplication" => oauth_config::set_partner_application(store, &p).await,
        "Remove-PartnerApplication" => {
            oauth_config::remove_by_identity(store, &p, PARTNER_APPLICATION).await
        }
        _ => Err(OnPremError::UnknownCmdlet(cmdlet.to_string())),
    }
}
