//! The cmdlets this server runs, by name (case-insensitive), as Exchange Management Shell would.

use crate::error::OnPremError;
use crate::model::{AuthServer, CmdletObject, PartnerApplication, RecipientType};
use crate::params::Params;
use crate::{
    certs, folder_cmdlets, mailbox_settings, oauth_config, objects, org, rbac, recipients, safety,
};
use serde_json::{Map, Value};
use store::Store;

pub use crate::cmdlet_table::{CMDLETS, ParameterSpec, canonical, parameter_sets};

/// What a cmdlet call did.
#[derive(Debug)]
pub enum Outcome {
    /// It ran; the objects it outputs.
    Ran(Vec<CmdletObject>),
    /// It was called with -WhatIf: what it would have done, and nothing changed.
    WhatIf(String),
}

/// Calls one cmdlet as the shell would: its parameters checked against its parameter sets
/// (the table), -WhatIf answered without a change (after checking that the object named
/// exists), a high-impact change refused unless confirmed (`safety`), anything else run.
pub async fn call(
    store: &Store,
    cmdlet: &str,
    parameters: Map<String, Value>,
) -> Result<Outcome, OnPremError> {
    let name = canonical(cmdlet).ok_or_else(|| OnPremError::UnknownCmdlet(cmdlet.to_string()))?;
    let p = Params::new(name, parameters);
    safety::check_parameters(name, &p)?;
    if safety::changes(name) {
        if p.bool("WhatIf")? == Some(true) {
            return Ok(Outcome::WhatIf(what_if(store, name, &p).await?));
        }
        safety::require_confirmation(name, &p)?;
    }
    invoke(store, name, p).await.map(Outcome::Ran)
}

/// What -WhatIf says: the object the call names, found as the Get- cmdlet finds it.
async fn what_if(store: &Store, name: &str, p: &Params) -> Result<String, OnPremError> {
    let mut target = safety::target(name, p);
    if let Some((get, by)) = safety::lookup(name, p) {
        let found = invoke(store, &get, Params::new(&get, by)).await?;
        if let Some(id) = found.first().and_then(identity_of) {
            target = id;
        }
    }
    Ok(safety::what_if(name, &target))
}

/// The identity a cmdlet object shows, for -WhatIf's target.
fn identity_of(o: &CmdletObject) -> Option<String> {
    let id = match o {
        CmdletObject::Recipient(r) => &r.identity,
        CmdletObject::ManagementRole(r) => &r.identity,
        CmdletObject::RoleAssignment(a) => &a.identity,
        CmdletObject::AuthServer(a) => &a.identity,
        CmdletObject::PartnerApplication(a) => &a.identity,
        CmdletObject::Certificate(c) => &c.thumbprint,
        _ => return None,
    };
    Some(id.clone()).filter(|i| !i.is_empty())
}

/// Runs one cmdlet (its canonical name, its parameters checked); returns the objects it
/// outputs.
async fn invoke(store: &Store, name: &str, p: Params) -> Result<Vec<CmdletObject>, OnPremError> {
    use RecipientType::{MailUser, UserMailbox};
    let identity = p.string("Identity")?;
    let identity = identity.as_deref();
    match name {
        "Get-OrganizationConfig" => org::get_organization_config(store).await,
        "Set-OrganizationConfig" => org::set_organization_config(store, &p).await,
        "Get-AcceptedDomain" => org::get_accepted_domain(store, identity).await,
        "Get-MailboxFolderStatistics" => {
            folder_cmdlets::get_mailbox_folder_statistics(store, &p).await
        }
        "Get-RecoverableItems" => folder_cmdlets::get_recoverable_items(store, &p).await,
        "Get-MailboxFolderItem" => folder_cmdlets::get_mailbox_folder_item(store, &p).await,
        "New-Mailbox" => recipients::new_mailbox(store, &p).await,
        "Get-Mailbox" => recipients::get(store, &p, Some(UserMailbox)).await,
        "Set-Mailbox" => recipients::set_recipient(store, &p, UserMailbox).await,
        "Remove-Mailbox" => recipients::remove(store, &p, UserMailbox).await,
        "Enable-Mailbox" => mailbox_settings::enable_mailbox(store, &p).await,
        "Get-MailboxRegionalConfiguration" => mailbox_settings::get_regional(store, &p).await,
        "Set-MailboxRegionalConfiguration" => mailbox_settings::set_regional(store, &p).await,
        "New-MailUser" => recipients::new_mail_user(store, &p).await,
        "Get-MailUser" => recipients::get(store, &p, Some(MailUser)).await,
        "Set-MailUser" => recipients::set_recipient(store, &p, MailUser).await,
        "Remove-MailUser" => recipients::remove(store, &p, MailUser).await,
        "Get-Recipient" => recipients::get(store, &p, None).await,
        "Get-ManagementRole" => rbac::get_role(store, &p).await,
        "New-ManagementRole" => rbac::new_role(store, &p).await,
        "Get-ManagementRoleEntry" => rbac::get_role_entry(store, &p).await,
        "Add-ManagementRoleEntry" => rbac::add_role_entry(store, &p).await,
        "Remove-ManagementRoleEntry" => rbac::remove_role_entry(store, &p).await,
        "New-ManagementRoleAssignment" => rbac::new_assignment(store, &p).await,
        "Get-ManagementRoleAssignment" => rbac::get_assignment(store, &p).await,
        "Remove-ManagementRoleAssignment" => rbac::remove_assignment(store, &p).await,
        "New-ExchangeCertificate" => certs::new_certificate(store, &p).await,
        "Get-ExchangeCertificate" => certs::get_certificate(store, &p).await,
        "Import-ExchangeCertificate" => certs::import_certificate(store, &p).await,
        "Export-ExchangeCertificate" => certs::export_certificate(store, &p).await,
        "Remove-ExchangeCertificate" => certs::remove_certificate(store, &p).await,
        "Get-AuthConfig" => oauth_config::get_auth_config(store).await,
        "Set-AuthConfig" => oauth_config::set_auth_config(store, &p).await,
        "New-AuthServer" => oauth_config::new_auth_server(store, &p).await,
        "Get-AuthServer" => listed::<AuthServer>(store, identity).await,
        "Set-AuthServer" => oauth_config::set_auth_server(store, &p).await,
        "Remove-AuthServer" => oauth_config::remove_by_identity::<AuthServer>(store, &p).await,
        "New-PartnerApplication" => oauth_config::new_partner_application(store, &p).await,
        "Get-PartnerApplication" => listed::<PartnerApplication>(store, identity).await,
        "Set-PartnerApplication" => oauth_config::set_partner_application(store, &p).await,
        "Remove-PartnerApplication" => {
            oauth_config::remove_by_identity::<PartnerApplication>(store, &p).await
        }
        _ => Err(OnPremError::UnknownCmdlet(name.to_string())),
    }
}

/// A Get- cmdlet of one kind: the objects `identity` names, or all.
async fn listed<T>(store: &Store, identity: Option<&str>) -> Result<Vec<CmdletObject>, OnPremError>
where
    T: crate::model::AdminObject + Into<CmdletObject>,
{
    let found = objects::get::<T>(store, identity).await?;
    Ok(found.into_iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_sets_carry_types_mandatory_marks_and_common_parameters() {
        let sets = parameter_sets("New-Nothing");
        assert!(
            sets.len() == 1 && sets[0].is_empty(),
            "unknown cmdlets have none"
        );
        let sets = parameter_sets("New-PartnerApplication");
        assert_eq!(sets.len(), 2);
        let find = |set: &[ParameterSpec], n: &str| set.iter().find(|p| p.name == n).cloned();
        let app = find(&sets[0], "ApplicationIdentifier").unwrap();
        assert!(app.mandatory && app.kind == "text");
        assert!(find(&sets[1], "ApplicationIdentifier").is_none());
        for set in &sets {
            let name = find(set, "Name").unwrap();
            assert!(name.mandatory, "common to both sets");
            assert_eq!(find(set, "Enabled").unwrap().kind, "bool");
        }
        let publish = parameter_sets("Set-AuthConfig");
        assert_eq!(publish.len(), 5);
        let date = find(&publish[1], "NewCertificateEffectiveDate").unwrap();
        assert!(date.mandatory && date.kind == "date");
        // Every cmdlet's spec reads back to names the table spells.
        for (name, spec) in CMDLETS {
            let count: usize = parameter_sets(name).iter().map(Vec::len).sum();
            assert!(spec.is_empty() == (count == 0), "{name}");
        }
    }
}
