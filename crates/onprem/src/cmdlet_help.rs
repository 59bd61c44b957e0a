//! What `hybrid onprem <cmdlet> --help` says of each cmdlet (a synopsis and an example in
//! Exchange Management Shell form) and of each parameter, as Get-Help would. A test keeps it
//! complete: every cmdlet of [`crate::cmdlets::CMDLETS`] and every parameter it takes.

/// (cmdlet, synopsis, example): the example as a line of `hybrid onprem run`, or as a
/// command line where the shell form reads a file.
pub const SYNOPSES: &[(&str, &str, &str)] = &[
    (
        "Get-OrganizationConfig",
        "The organization's name, domains and published EWS URL.",
        "Get-OrganizationConfig",
    ),
    (
        "Set-OrganizationConfig",
        "Organization-wide switches: -OAuth2ClientProfileEnabled lets EWS and Autodiscover take users' Entra tokens (Hybrid Modern Authentication).",
        "Set-OrganizationConfig -OAuth2ClientProfileEnabled $true",
    ),
    (
        "Get-AcceptedDomain",
        "The domains the organization accepts mail for.",
        "Get-AcceptedDomain",
    ),
    (
        "New-Mailbox",
        "Creates a user with a mailbox (its default folders made with it).",
        "New-Mailbox -Name 'Carol Diaz' -Alias carol",
    ),
    (
        "Get-Mailbox",
        "Mailbox users, or the one -Identity names.",
        "Get-Mailbox alice | fl Name,PrimarySmtpAddress,SipAddress",
    ),
    (
        "Set-Mailbox",
        "Changes a mailbox user's properties.",
        "Set-Mailbox -Identity alice -HiddenFromAddressListsEnabled $true",
    ),
    (
        "Remove-Mailbox",
        "Removes a mailbox user and the mailbox (asks first; -Confirm:$false does not).",
        "Remove-Mailbox -Identity carol -WhatIf",
    ),
    (
        "Enable-Mailbox",
        "Gives a mailbox an archive mailbox (ArchiveItem's destination).",
        "Enable-Mailbox -Identity alice -Archive",
    ),
    (
        "Get-MailboxRegionalConfiguration",
        "A mailbox's language, date and time formats and time zone.",
        "Get-MailboxRegionalConfiguration -Identity alice",
    ),
    (
        "Set-MailboxRegionalConfiguration",
        "Sets a mailbox's language and formats; -LocalizeDefaultFolderName renames its default folders into the language.",
        "Set-MailboxRegionalConfiguration -Identity alice -Language da-DK -LocalizeDefaultFolderName",
    ),
    (
        "New-MailUser",
        "Creates a mail user: runbook step 2's application account.",
        "New-MailUser -Name SfBOnline-ApplicationAccount -ExternalEmailAddress SfBOnline-ApplicationAccount@contoso.com",
    ),
    (
        "Get-MailUser",
        "Mail users (application accounts among them).",
        "Get-MailUser SfBOnline-ApplicationAccount",
    ),
    (
        "Set-MailUser",
        "Changes a mail user's properties.",
        "Set-MailUser -Identity SfBOnline-ApplicationAccount -HiddenFromAddressListsEnabled $true",
    ),
    (
        "Remove-MailUser",
        "Removes a mail user (asks first).",
        "Remove-MailUser -Identity SfBOnline-ApplicationAccount -WhatIf",
    ),
    (
        "Get-Recipient",
        "Every recipient: mailboxes and mail users.",
        "Get-Recipient | ft Name,RecipientType",
    ),
    (
        "Get-ManagementRole",
        "The management roles (UserApplication, ArchiveApplication, …) and their EWS methods.",
        "Get-ManagementRole UserApplication",
    ),
    (
        "New-ManagementRole",
        "A role made from a parent role, to be cut down with Remove-ManagementRoleEntry.",
        "New-ManagementRole -Name TeamsSchedulerRole -Parent UserApplication",
    ),
    (
        "Get-ManagementRoleEntry",
        "A role's entries (its EWS methods): Role\\Method, wildcards allowed.",
        "Get-ManagementRoleEntry 'TeamsSchedulerRole\\*'",
    ),
    (
        "Add-ManagementRoleEntry",
        "Gives a custom role back an entry its parent has.",
        "Add-ManagementRoleEntry 'TeamsSchedulerRole\\GetDelegate'",
    ),
    (
        "Remove-ManagementRoleEntry",
        "Takes an entry from a custom role (asks first).",
        "Remove-ManagementRoleEntry 'TeamsSchedulerRole\\GetItem' -Confirm:$false",
    ),
    (
        "New-ManagementRoleAssignment",
        "Assigns a role to a user: runbook step 2's UserApplication and ArchiveApplication.",
        "New-ManagementRoleAssignment -Role UserApplication -User SfBOnline-ApplicationAccount",
    ),
    (
        "Get-ManagementRoleAssignment",
        "Role assignments, by name, role or assignee.",
        "Get-ManagementRoleAssignment -RoleAssignee SfBOnline-ApplicationAccount",
    ),
    (
        "Remove-ManagementRoleAssignment",
        "Removes a role assignment (asks first).",
        "Remove-ManagementRoleAssignment ArchiveApplication-SfBOnline-ApplicationAccount -WhatIf",
    ),
    (
        "New-ExchangeCertificate",
        "Creates a self-signed certificate with its private key on this server (the auth certificate's form).",
        "New-ExchangeCertificate -SubjectName 'CN=Microsoft Exchange Server Auth Certificate' -Services SMTP -ValidityDays 1825",
    ),
    (
        "Get-ExchangeCertificate",
        "This server's certificates: thumbprint, subject, dates, services.",
        "Get-ExchangeCertificate | fl Thumbprint,Subject,NotAfter,Services",
    ),
    (
        "Import-ExchangeCertificate",
        "Imports a certificate (DER, PEM or a password-protected PFX) from FileData.",
        "hybrid onprem import-exchange-certificate --file-name auth.pfx --password secret",
    ),
    (
        "Export-ExchangeCertificate",
        "A certificate's public part (DER), runbook step 4's file.",
        "Export-ExchangeCertificate -Thumbprint 0123456789ABCDEF0123456789ABCDEF01234567 -BinaryEncoded",
    ),
    (
        "Remove-ExchangeCertificate",
        "Removes a certificate; refused for the current or next auth certificate (asks first).",
        "Remove-ExchangeCertificate -Thumbprint 0123456789ABCDEF0123456789ABCDEF01234567 -WhatIf",
    ),
    (
        "Get-AuthConfig",
        "The organization's OAuth configuration: realm, current, next and previous auth certificates.",
        "Get-AuthConfig | fl CurrentCertificateThumbprint,NextCertificateThumbprint",
    ),
    (
        "Set-AuthConfig",
        "Changes the OAuth configuration: the realm, or the certificates (stage a next one, publish it, clear the previous).",
        "Set-AuthConfig -NewCertificateThumbprint 0123456789ABCDEF0123456789ABCDEF01234567 -NewCertificateEffectiveDate 2027-01-01",
    ),
    (
        "New-AuthServer",
        "Trusts a token service from its metadata document: runbook step 1 (ACS), or Entra (-Type AzureAD).",
        "New-AuthServer -Name WindowsAzureACS -AuthMetadataUrl https://accounts.accesscontrol.windows.net/contoso.com/metadata/json/1",
    ),
    (
        "Get-AuthServer",
        "The trusted token services: issuer, realm, token endpoint, signing certificates.",
        "Get-AuthServer | fl Name,IssuerIdentifier,Realm,Enabled",
    ),
    (
        "Set-AuthServer",
        "Changes an AuthServer; disabling it asks first (tokens it issued are refused at once).",
        "Set-AuthServer -Identity WindowsAzureACS -RefreshAuthMetadata",
    ),
    (
        "Remove-AuthServer",
        "Removes an AuthServer (asks first).",
        "Remove-AuthServer -Identity WindowsAzureACS -WhatIf",
    ),
    (
        "New-PartnerApplication",
        "Trusts a partner's application id: runbook step 3's SfBOnline, linked to the application account.",
        "New-PartnerApplication -Name SfBOnline -ApplicationIdentifier 00000004-0000-0ff1-ce00-000000000000 -Enabled $true -LinkedAccount SfBOnline-ApplicationAccount",
    ),
    (
        "Get-PartnerApplication",
        "The partner applications: id, realm, linked account, enabled.",
        "Get-PartnerApplication | ?{ $_.ApplicationIdentifier -eq '00000002-0000-0ff1-ce00-000000000000' -and $_.Realm -eq '' }",
    ),
    (
        "Set-PartnerApplication",
        "Changes a partner application; disabling it asks first (its calls are refused at once).",
        "Set-PartnerApplication -Identity 'Exchange Online' -Enabled $true",
    ),
    (
        "Remove-PartnerApplication",
        "Removes a partner application (asks first).",
        "Remove-PartnerApplication -Identity SfBOnline -WhatIf",
    ),
    (
        "Test-OAuthConnectivity",
        "Gets this organization's own application token from the cloud and calls EWS with it, explaining each step.",
        "Test-OAuthConnectivity -Service EWS -TargetUri https://mail.contoso.com/EWS/Exchange.asmx -Mailbox alice@contoso.com",
    ),
    (
        "Get-MailboxFolderStatistics",
        "Each folder of a mailbox: path, type, item count and size.",
        "Get-MailboxFolderStatistics alice -FolderScope ConversationHistory",
    ),
    (
        "Get-RecoverableItems",
        "What a mailbox's Recoverable Items hold: Deletions (the default) or Purges (-SourceFolder PurgedItems).",
        "Get-RecoverableItems -Identity alice -SourceFolder PurgedItems",
    ),
    (
        "Get-MailboxFolderItem",
        "One folder's items, newest first, with a body preview (read only).",
        "Get-MailboxFolderItem -Identity alice -Folder ConversationHistory -ResultSize 10",
    ),
];

/// (parameter, or Cmdlet.Parameter where a cmdlet gives it its own meaning, description).
pub const PARAMETERS: &[(&str, &str)] = &[
    ("Archive", "Give the mailbox an archive mailbox."),
    (
        "Get-MailboxFolderStatistics.Archive",
        "The archive mailbox's folders instead of the primary mailbox's.",
    ),
    (
        "ArchiveName",
        "The archive's name (In-Place Archive - <display name> by default).",
    ),
    (
        "DateFormat",
        "The mailbox's date format, as a .NET format string (d.M.yyyy).",
    ),
    (
        "Language",
        "The mailbox's language, a culture name (da-DK).",
    ),
    (
        "LocalizeDefaultFolderName",
        "Rename the default folders (Inbox, Calendar, ...) into the mailbox's language.",
    ),
    (
        "TimeFormat",
        "The mailbox's time format, as a .NET format string (HH:mm).",
    ),
    (
        "TimeZone",
        "The mailbox's time zone, a Windows time zone name (Romance Standard Time).",
    ),
    (
        "AcceptSecurityIdentifierInformation",
        "Whether the partner's tokens may name users by security identifier.",
    ),
    (
        "AccountType",
        "OrganizationalAccount (the default) or ConsumerAccount.",
    ),
    (
        "ActAsPermissions",
        "The permissions the application has when it acts as a user.",
    ),
    (
        "Alias",
        "The alias: the left part of the primary SMTP address by default.",
    ),
    (
        "AppOnlyPermissions",
        "The permissions the application has without a user.",
    ),
    (
        "ApplicationAccount",
        "Make it an application account (what a partner application links).",
    ),
    (
        "ApplicationIdentifier",
        "The application id, a GUID (00000004-0000-0ff1-ce00-000000000000 for Skype for Business Online).",
    ),
    (
        "New-AuthServer.ApplicationIdentifier",
        "The dedicated Exchange hybrid application's id (a GUID): on premises gets its tokens as it.",
    ),
    (
        "Set-AuthServer.ApplicationIdentifier",
        "The dedicated Exchange hybrid application's id (a GUID): on premises gets its tokens as it.",
    ),
    (
        "AuthMetadataUrl",
        "The token service's metadata document (ACS JSON or Entra federation metadata), read now.",
    ),
    (
        "BinaryEncoded",
        "Write DER (the default here; accepted for the runbook's form).",
    ),
    (
        "CertificateThumbprint",
        "Make this certificate current at once.",
    ),
    (
        "ClearPreviousCertificate",
        "Forget the previous auth certificate.",
    ),
    (
        "Confirm",
        "$false runs a high-impact change without asking.",
    ),
    ("Description", "Free text kept with the role."),
    ("DisplayName", "The name shown in address lists."),
    ("DomainName", "The domains it serves (a list)."),
    (
        "Set-AuthServer.DomainName",
        "The tenant's domains this AuthServer answers for (a list).",
    ),
    (
        "New-AuthServer.DomainName",
        "The tenant's domains this AuthServer answers for (a list).",
    ),
    (
        "EmailAddresses",
        "Every address of the recipient (a list; SMTP: marks the primary).",
    ),
    ("Enabled", "$true or $false: whether it is trusted."),
    ("ExternalEmailAddress", "Where mail to the mail user goes."),
    (
        "FileData",
        "The certificate's bytes (on the command line: --file-name PATH).",
    ),
    (
        "FilterItemType",
        "Only items whose class starts with this (e.g. IPM.Note.Microsoft.Conversation).",
    ),
    ("FirstName", "The user's given name."),
    (
        "Folder",
        "A FolderScope value (ConversationHistory, Inbox, …), PurgedItems, or a path as Get-MailboxFolderStatistics prints it (/Recoverable Items/Purges).",
    ),
    (
        "FolderScope",
        "All (the default), Inbox, SentItems, DeletedItems, Drafts, Outbox, JunkEmail, Calendar, Contacts, Tasks, Notes, ConversationHistory or RecoverableItems.",
    ),
    ("Force", "Do it without the checks that would refuse it."),
    (
        "OAuth2ClientProfileEnabled",
        "$true: users' OAuth tokens from the default authorization endpoint (an AzureAD AuthServer with IsDefaultAuthorizationEndpoint) are taken.",
    ),
    (
        "AccountDisabled",
        "$true disables the user account: its OAuth user tokens are refused and the next directory synchronization disables the cloud user.",
    ),
    ("FriendlyName", "A name for the certificate."),
    (
        "HiddenFromAddressListsEnabled",
        "$true hides the recipient from address lists (runbook step 2).",
    ),
    (
        "Identity",
        "Which object: its name, alias, address or GUID.",
    ),
    (
        "Get-MailboxFolderStatistics.Identity",
        "The mailbox: name, alias or address.",
    ),
    (
        "Get-RecoverableItems.Identity",
        "The mailbox: name, alias or address.",
    ),
    (
        "Get-MailboxFolderItem.Identity",
        "The mailbox: name, alias or address.",
    ),
    (
        "IncludeOldestAndNewestItems",
        "Also the received dates of each folder's oldest and newest item.",
    ),
    (
        "IsDefaultAuthorizationEndpoint",
        "Whether on-premises clients are sent to this token service (Hybrid Modern Authentication).",
    ),
    (
        "IssuerIdentifier",
        "The issuer id the tokens name (ACS: 00000001-0000-0000-c000-000000000000).",
    ),
    ("KeySize", "The RSA key size in bits (2048 by default)."),
    ("LastName", "The user's family name."),
    (
        "LinkedAccount",
        "The application account whose roles decide what the partner may call (runbook step 3).",
    ),
    ("Mailbox", "The mailbox to act as (SMTP address)."),
    ("Name", "The name."),
    (
        "NewCertificateEffectiveDate",
        "When the staged certificate becomes current (at least 48 hours ahead, as Exchange requires).",
    ),
    (
        "NewCertificateThumbprint",
        "Stage this certificate as the next auth certificate.",
    ),
    (
        "OrganizationalUnit",
        "Accepted for the runbook's form; the directory here is flat.",
    ),
    ("Parent", "The role it is made from."),
    ("Password", "The password (for a PFX: the file's)."),
    ("PrimarySmtpAddress", "The primary SMTP address."),
    (
        "PrivateKeyExportable",
        "Whether the private key may be exported.",
    ),
    (
        "PublishCertificate",
        "Make the staged next certificate current now.",
    ),
    ("Realm", "The realm: the tenant id or a verified domain."),
    (
        "RefreshAuthMetadata",
        "Read the metadata document again now.",
    ),
    (
        "ResetPasswordOnNextLogon",
        "Accepted for the runbook's form.",
    ),
    (
        "ResultSize",
        "How many items at most (a number, or Unlimited; 1000 by default).",
    ),
    (
        "RecipientTypeDetails",
        "Accepted for the shell's form; the recipient type is the cmdlet's (Get-Mailbox, Get-MailUser).",
    ),
    (
        "Permanent",
        "Accepted for the shell's form: a removed recipient is gone at once here.",
    ),
    (
        "FileName",
        "Accepted for the shell's form: the file's bytes are answered as FileData.",
    ),
    (
        "Export-ExchangeCertificate.Password",
        "Refused: exports carry the certificate only, the key stays on this server.",
    ),
    (
        "Get-ExchangeCertificate.Identity",
        "The certificate's thumbprint, as -Thumbprint.",
    ),
    (
        "Remove-ExchangeCertificate.Identity",
        "The certificate's thumbprint, as -Thumbprint.",
    ),
    ("Role", "The management role."),
    ("RoleAssignee", "The user or group the role is assigned to."),
    (
        "Server",
        "Accepted for the runbook's form; one server here.",
    ),
    ("Service", "EWS (the service tested)."),
    (
        "ServiceName",
        "The organization's application id in its tokens (Exchange's 00000002-0000-0ff1-ce00-000000000000).",
    ),
    (
        "Services",
        "What the certificate is for (SMTP for the auth certificate).",
    ),
    (
        "SipAddress",
        "The user's SIP address (the partner names users by it).",
    ),
    (
        "SkipImmediateCertificateDeployment",
        "Accepted for the runbook's form.",
    ),
    (
        "SourceFolder",
        "RecoverableItems (Deletions, the default), PurgedItems (Purges) or DeletedItems.",
    ),
    (
        "SubjectContains",
        "Only items whose subject contains this text.",
    ),
    (
        "SubjectName",
        "The certificate's subject, e.g. CN=Microsoft Exchange Server Auth Certificate.",
    ),
    ("TargetUri", "The EWS URL to call, or any URL on its host."),
    ("Thumbprint", "The certificate's SHA-1 thumbprint."),
    (
        "TrustAnySSLCertificate",
        "Accept the metadata server's TLS certificate without checking it.",
    ),
    (
        "Type",
        "AzureAD for an Entra AuthServer (the dedicated mode, Hybrid Modern Authentication); ACS otherwise.",
    ),
    (
        "UseAuthServer",
        "Whether the application's tokens come from the AuthServer (else it is trusted by its own Realm).",
    ),
    ("User", "The user the role is assigned to."),
    ("UserPrincipalName", "The user's sign-in name."),
    (
        "ValidityDays",
        "How long the certificate is valid (1825 days, five years, by default).",
    ),
];

/// A cmdlet's synopsis and example.
pub fn synopsis(cmdlet: &str) -> Option<(&'static str, &'static str)> {
    SYNOPSES
        .iter()
        .find(|(c, _, _)| c.eq_ignore_ascii_case(cmdlet))
        .map(|(_, s, e)| (*s, *e))
}

/// What a parameter of `cmdlet` means: the cmdlet's own sense first.
pub fn parameter(cmdlet: &str, name: &str) -> Option<&'static str> {
    let own = format!("{cmdlet}.{name}");
    let find = |key: &str| {
        PARAMETERS
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, d)| *d)
    };
    find(&own).or_else(|| find(name))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cmdlets::{CMDLETS, parameter_sets};

    #[test]
    fn every_cmdlet_and_parameter_is_described_with_an_example() {
        for (cmdlet, _) in CMDLETS {
            let (text, example) = synopsis(cmdlet).unwrap_or_else(|| panic!("{cmdlet}"));
            assert!(
                !text.is_empty()
                    && (example.starts_with(cmdlet) || example.starts_with("hybrid onprem ")),
                "{cmdlet}"
            );
            for set in parameter_sets(cmdlet) {
                for p in set {
                    assert!(parameter(cmdlet, &p.name).is_some(), "{cmdlet} -{}", p.name);
                }
            }
        }
        assert_eq!(SYNOPSES.len(), CMDLETS.len());
    }
}
