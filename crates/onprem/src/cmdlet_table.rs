//! The table of cmdlets this server runs and their parameter sets: the one declaration binding,
//! `--help`, `hybrid onprem run`'s checks and -WhatIf are read from.

/// Every cmdlet, with its parameters, for help and for `hybrid onprem run`. A parameter is
/// `Name` (text), `Name:bool`, `Name:switch`, `Name:date`, `Name:int` or `Name:list`, with `!`
/// when it is mandatory; ` | ` separates parameter sets, and what follows `; ` is common to all.
pub const CMDLETS: &[(&str, &str)] = &[
    ("Get-OrganizationConfig", ""),
    ("Set-OrganizationConfig", "OAuth2ClientProfileEnabled:bool"),
    ("Get-AcceptedDomain", "Identity"),
    (
        "New-Mailbox",
        "Name!, Alias, DisplayName, UserPrincipalName, PrimarySmtpAddress, SipAddress, FirstName, LastName, Password, ResetPasswordOnNextLogon:bool, OrganizationalUnit, Archive:switch",
    ),
    ("Get-Mailbox", "Identity, ResultSize, RecipientTypeDetails"),
    (
        "Set-Mailbox",
        "Identity!, HiddenFromAddressListsEnabled:bool, DisplayName, Alias, PrimarySmtpAddress, EmailAddresses:list, Name, AccountDisabled:bool",
    ),
    ("Remove-Mailbox", "Identity!, Permanent:bool"),
    ("Enable-Mailbox", "Identity!, Archive:switch!, ArchiveName"),
    ("Get-MailboxRegionalConfiguration", "Identity!"),
    (
        "Set-MailboxRegionalConfiguration",
        "Identity!, Language, DateFormat, TimeFormat, TimeZone, LocalizeDefaultFolderName:switch",
    ),
    (
        "New-MailUser",
        "Name!, ExternalEmailAddress!, Alias, DisplayName, PrimarySmtpAddress, ApplicationAccount:switch, FirstName, LastName, OrganizationalUnit",
    ),
    ("Get-MailUser", "Identity, ResultSize, RecipientTypeDetails"),
    (
        "Set-MailUser",
        "Identity!, HiddenFromAddressListsEnabled:bool, DisplayName, Alias, PrimarySmtpAddress, ExternalEmailAddress, EmailAddresses:list, Name, AccountDisabled:bool",
    ),
    ("Remove-MailUser", "Identity!, Permanent:bool"),
    (
        "Get-Recipient",
        "Identity, ResultSize, RecipientTypeDetails",
    ),
    ("Get-ManagementRole", "Identity"),
    ("New-ManagementRole", "Name!, Parent!, Description"),
    ("Get-ManagementRoleEntry", "Identity!"),
    ("Add-ManagementRoleEntry", "Identity!"),
    ("Remove-ManagementRoleEntry", "Identity!, Confirm:bool"),
    ("New-ManagementRoleAssignment", "Role!, User!, Name"),
    (
        "Get-ManagementRoleAssignment",
        "Identity, Role, RoleAssignee",
    ),
    ("Remove-ManagementRoleAssignment", "Identity!"),
    (
        "New-ExchangeCertificate",
        "SubjectName, FriendlyName, KeySize:int, DomainName:list, Services, ValidityDays:int, PrivateKeyExportable:bool",
    ),
    ("Get-ExchangeCertificate", "Thumbprint | Identity"),
    (
        "Import-ExchangeCertificate",
        "FileData!, FriendlyName, Password, PrivateKeyExportable:bool",
    ),
    (
        "Export-ExchangeCertificate",
        "Thumbprint!, BinaryEncoded:switch, FileName, Password",
    ),
    ("Remove-ExchangeCertificate", "Thumbprint! | Identity!"),
    ("Get-AuthConfig", ""),
    (
        "Set-AuthConfig",
        "CertificateThumbprint!, SkipImmediateCertificateDeployment:switch, Server | NewCertificateThumbprint!, NewCertificateEffectiveDate:date! | PublishCertificate:switch!, ClearPreviousCertificate:switch, Force:switch | ClearPreviousCertificate:switch! | Realm, ServiceName",
    ),
    (
        "New-AuthServer",
        "Name!, AuthMetadataUrl!, Type, Enabled:bool, TrustAnySSLCertificate:switch, ApplicationIdentifier, DomainName:list, IsDefaultAuthorizationEndpoint:bool",
    ),
    ("Get-AuthServer", "Identity"),
    (
        "Set-AuthServer",
        "Identity!, Enabled:bool, Name, AuthMetadataUrl, RefreshAuthMetadata:switch, TrustAnySSLCertificate:switch, IsDefaultAuthorizationEndpoint:bool, ApplicationIdentifier, DomainName:list",
    ),
    ("Remove-AuthServer", "Identity!"),
    (
        "New-PartnerApplication",
        "ApplicationIdentifier!, Realm | AuthMetadataUrl!, TrustAnySSLCertificate:switch; Name!, Enabled:bool, LinkedAccount, AcceptSecurityIdentifierInformation:bool, AccountType, IssuerIdentifier, ActAsPermissions:list, AppOnlyPermissions:list",
    ),
    ("Get-PartnerApplication", "Identity"),
    (
        "Set-PartnerApplication",
        "Identity!, Enabled:bool, LinkedAccount, AcceptSecurityIdentifierInformation:bool, Name, Realm, ApplicationIdentifier, AuthMetadataUrl, RefreshAuthMetadata:switch, TrustAnySSLCertificate:switch, AccountType, IssuerIdentifier, UseAuthServer:bool",
    ),
    ("Remove-PartnerApplication", "Identity!"),
    ("Test-OAuthConnectivity", "Service!, TargetUri!, Mailbox!"),
    (
        "Get-MailboxFolderStatistics",
        "Identity!, FolderScope, IncludeOldestAndNewestItems:switch, Archive:switch",
    ),
    (
        "Get-RecoverableItems",
        "Identity!, SourceFolder, SubjectContains, FilterItemType, ResultSize",
    ),
    (
        "Get-MailboxFolderItem",
        "Identity!, Folder!, SubjectContains, FilterItemType, ResultSize",
    ),
];

/// One parameter of a cmdlet, as [`CMDLETS`] describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterSpec {
    pub name: String,
    /// text, bool, switch, date, int or list.
    pub kind: String,
    pub mandatory: bool,
}

/// A cmdlet's parameter sets (each with the common parameters), as [`CMDLETS`] writes them.
pub fn parameter_sets(cmdlet: &str) -> Vec<Vec<ParameterSpec>> {
    let spec = CMDLETS
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(cmdlet))
        .map(|(_, s)| *s)
        .unwrap_or("");
    let (sets, common) = spec.split_once("; ").unwrap_or((spec, ""));
    let parse = |list: &str| -> Vec<ParameterSpec> {
        list.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mandatory = p.ends_with('!');
                let p = p.trim_end_matches('!');
                let (name, kind) = p.split_once(':').unwrap_or((p, "text"));
                ParameterSpec {
                    name: name.to_string(),
                    kind: kind.to_string(),
                    mandatory,
                }
            })
            .collect()
    };
    let common = parse(common);
    sets.split(" | ")
        .map(|set| {
            let mut ps = parse(set);
            ps.extend(common.iter().cloned());
            ps
        })
        .collect()
}

/// The canonical spelling of a cmdlet name, if this server runs it.
pub fn canonical(name: &str) -> Option<&'static str> {
    CMDLETS
        .iter()
        .map(|(n, _)| *n)
        .find(|n| n.eq_ignore_ascii_case(name))
}
