//! The clap definitions of `hybrid cloud …`: arguments only; the commands are in `cloud_cmd`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct CloudArgs {
    /// The cloud server's URL. Default: the one `hybrid serve cloud` recorded under DIR/cloud/.
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// The tenant to act on (id or verified domain), when more than one is known here.
    #[arg(long, global = true)]
    pub tenant: Option<String>,
    /// A credential file to use instead of the one kept under DIR/cloud/.
    #[arg(long, global = true)]
    pub credential_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: CloudCommand,
}

#[derive(Args)]
pub struct AddKeyArgs {
    #[arg(long)]
    pub service_principal_id: String,
    #[arg(long, default_value = "AsymmetricX509Cert")]
    pub r#type: String,
    #[arg(long, default_value = "Verify")]
    pub usage: String,
    /// The certificate (DER .cer or PEM), e.g. OAuthCert.cer from step 4.
    #[arg(long)]
    pub key_file: PathBuf,
    /// ISO 8601; default the certificate's NotBefore. Must lie inside its validity.
    #[arg(long)]
    pub start_date: Option<String>,
    /// ISO 8601; default the certificate's NotAfter. Must lie inside its validity.
    #[arg(long)]
    pub end_date: Option<String>,
}

#[derive(Subcommand)]
pub enum CloudCommand {
    /// Create a tenant: its realm (tenant id), verified domains, the first-party service
    /// principals, and a tenant administrator credential (shown once, kept under DIR/cloud/).
    /// Needs the server operator credential.
    NewTenant(NewTenantOpt),
    /// Sign in to a tenant with an administrator credential, as Connect-MgGraph does, and keep
    /// the credential under DIR/cloud/ for later verbs.
    Connect,
    /// Show service principals (all, or one by appId or object id), as Get-MgServicePrincipal.
    GetServicePrincipal(GetServicePrincipalOpt),
    /// Add a certificate as a key credential of a service principal (runbook step 5:
    /// asymmetric, usage Verify), as Add-MgServicePrincipalKey / New-MsolServicePrincipalCredential.
    AddServicePrincipalKey(AddKeyArgs),
    /// Remove a key credential by its keyId.
    RemoveServicePrincipalKey(RemoveServicePrincipalKeyOpt),
    /// Replace a service principal's SPNs, as Set-MsolServicePrincipal -ServicePrincipalNames.
    SetServicePrincipalNames(SetServicePrincipalNamesOpt),
    /// Rotate the token service's signing keys (next becomes current; current stays published).
    /// Needs the server operator credential.
    RotateSigningKey,
    /// The dedicated Exchange hybrid application (CVE-2025-53786), as CSS-Exchange's
    /// ConfigureExchangeHybridApplication does in the tenant: `full` creates the application
    /// with admin consent to full_access_as_app, uploads the auth certificate(s) to it and
    /// removes them from Office 365 Exchange Online; `update-certificate` uploads them only;
    /// `reset-first-party-keys` clears Office 365 Exchange Online's key credentials.
    ConfigureHybridApplication(crate::hybrid_app::HybridAppArgs),
    /// Replace a service principal's key credentials as the Teams edition of the runbook does
    /// with Update-MgServicePrincipal -KeyCredentials: its unexpired keys kept, expired ones
    /// dropped, each certificate added once (by thumbprint).
    UpdateServicePrincipalKeys(UpdateServicePrincipalKeysOpt),
    /// Show the tenant's default app management policy, as Get-MgPolicyDefaultAppManagementPolicy.
    GetAppManagementPolicy,
    /// Synchronize the on-premises organization's mailboxes and mail users to the tenant's
    /// users, as Entra Connect does (added, changed, disabled, removed); with --interval, again
    /// every so many seconds until stopped.
    Sync(crate::hma::SyncArgs),
    /// Show the tenant's users (all, or one by UPN or object id), as Get-MgUser.
    GetUser(GetUserOpt),
    /// Set a user's cloud sign-in password (kept as a slow salted hash). Read from standard
    /// input when --password is not given.
    SetUserPassword(SetUserPasswordOpt),
    /// End a user's sessions and refresh tokens, as Revoke-MgUserSignInSession.
    RevokeSignInSessions(RevokeSignInSessionsOpt),
    /// Admin consent: a client may act for every user with these delegated permissions of
    /// Office 365 Exchange Online, as New-MgOauth2PermissionGrant -ConsentType AllPrincipals.
    GrantDelegatedPermission(GrantDelegatedPermissionOpt),
    /// Withdraw a client's admin consent on a resource, as Remove-MgOauth2PermissionGrant: its
    /// users' next sign-in or refresh for it is refused (AADSTS65001).
    RevokeDelegatedPermission(RevokeDelegatedPermissionOpt),
    /// Which sign-in flows a public client may use: authorization code (on by default),
    /// device code and password (off by default), and its redirect URIs.
    SetPublicClient(SetPublicClientOpt),
    /// Set the tenant's default app management policy's certificate lifetime limit for
    /// applications, as Update-MgPolicyDefaultAppManagementPolicy with an asymmetricKeyLifetime
    /// restriction.
    SetAppManagementPolicy(SetAppManagementPolicyOpt),
}

#[derive(Args)]
pub struct NewTenantOpt {
    /// The tenant's primary verified domain, e.g. contoso.com.
    #[arg(long)]
    pub domain: String,
    #[arg(long)]
    pub display_name: Option<String>,
}

#[derive(Args)]
pub struct GetServicePrincipalOpt {
    #[arg(long)]
    pub service_principal_id: Option<String>,
    /// `KeyCredentials` lists the keys with their start and end dates (runbook step 6).
    #[arg(long)]
    pub property: Option<String>,
}

#[derive(Args)]
pub struct RemoveServicePrincipalKeyOpt {
    #[arg(long)]
    pub service_principal_id: String,
    #[arg(long)]
    pub key_id: String,
}

#[derive(Args)]
pub struct SetServicePrincipalNamesOpt {
    #[arg(long)]
    pub service_principal_id: String,
    /// Comma-separated, e.g. https://mail.contoso.com/,https://autodiscover.contoso.com/
    #[arg(long, value_delimiter = ',')]
    pub service_principal_names: Vec<String>,
}

#[derive(Args)]
pub struct UpdateServicePrincipalKeysOpt {
    #[arg(long)]
    pub service_principal_id: String,
    /// A certificate file (DER or PEM), e.g. OAuthConfig/OAuthCert.cer; repeatable.
    #[arg(long = "certificate", required = true)]
    pub certificates: Vec<PathBuf>,
}

#[derive(Args)]
pub struct GetUserOpt {
    #[arg(long)]
    pub user: Option<String>,
}

#[derive(Args)]
pub struct SetUserPasswordOpt {
    #[arg(long)]
    pub user: String,
    #[arg(long)]
    pub password: Option<String>,
}

#[derive(Args)]
pub struct RevokeSignInSessionsOpt {
    #[arg(long)]
    pub user: String,
}

#[derive(Args)]
pub struct GrantDelegatedPermissionOpt {
    /// The client's appId, e.g. Outlook's d3590ed6-52b3-4102-aeff-aad2292ab01c.
    #[arg(long)]
    pub client_id: String,
    #[arg(long, default_value = s2s::ids::EXCHANGE_APP_ID)]
    pub resource_id: String,
    /// Space- or comma-separated, e.g. EWS.AccessAsUser.All.
    #[arg(long)]
    pub scope: String,
}

#[derive(Args)]
pub struct RevokeDelegatedPermissionOpt {
    #[arg(long)]
    pub client_id: String,
    #[arg(long, default_value = s2s::ids::EXCHANGE_APP_ID)]
    pub resource_id: String,
}

#[derive(Args)]
pub struct SetPublicClientOpt {
    #[arg(long)]
    pub app_id: String,
    #[arg(long)]
    pub allow_authorization_code: Option<bool>,
    #[arg(long)]
    pub allow_device_code: Option<bool>,
    #[arg(long)]
    pub allow_password: Option<bool>,
    /// Comma-separated https redirect URIs (loopback ones are always accepted).
    #[arg(long, value_delimiter = ',')]
    pub redirect_uris: Option<Vec<String>>,
}

#[derive(Args)]
pub struct SetAppManagementPolicyOpt {
    /// Whether the policy is enforced: true or false.
    #[arg(long, action = clap::ArgAction::Set, default_value_t = true)]
    pub is_enabled: bool,
    /// The longest a certificate key credential may be valid, an ISO 8601 duration (P365D).
    #[arg(long)]
    pub asymmetric_key_lifetime: Option<String>,
    /// Restrict only applications created after this time (RFC 3339); default: all of them.
    #[arg(long)]
    pub restrict_for_apps_created_after: Option<String>,
}
