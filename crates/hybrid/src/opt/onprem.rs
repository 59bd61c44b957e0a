//! The clap definitions of `hybrid onprem …`: arguments only; the commands are in `onprem_cmd`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

/// Listed under `hybrid onprem --help`; a test keeps it in step with the server's cmdlets.
pub const CMDLET_HELP: &str = "Cmdlets (kebab-case verbs; parameters as --kebab-case VALUE, booleans as true|false, switches bare):
  get-organization-config, set-organization-config, get-accepted-domain
  new-mailbox, get-mailbox, set-mailbox, remove-mailbox, enable-mailbox (--archive)
  get-mailbox-regional-configuration, set-mailbox-regional-configuration
  new-mail-user, get-mail-user, set-mail-user, remove-mail-user, get-recipient
  get-management-role, new-management-role, get-management-role-entry, add-management-role-entry, remove-management-role-entry,
  new-management-role-assignment, get-management-role-assignment, remove-management-role-assignment
  new-exchange-certificate, get-exchange-certificate, import-exchange-certificate (--file-name PATH),
  export-exchange-certificate (--file-name PATH), remove-exchange-certificate
  get-auth-config, set-auth-config
  new-auth-server, get-auth-server, set-auth-server, remove-auth-server
  new-partner-application, get-partner-application, set-partner-application, remove-partner-application
  test-oauth-connectivity (this organization's application token from the cloud, then EWS under it)
  get-mailbox-folder-statistics, get-recoverable-items, get-mailbox-folder-item (read-only views of a mailbox)
`hybrid onprem <cmdlet> --help` describes each parameter and gives an example.
--domain-controller is accepted by every cmdlet and has no effect: this server is its own directory.
Example: hybrid onprem new-partner-application --name SfBOnline --application-identifier 00000004-0000-0ff1-ce00-000000000000 --enabled true --linked-account SfBOnline-ApplicationAccount";

#[derive(Args)]
#[command(after_help = CMDLET_HELP)]
pub struct OnPremArgs {
    /// The on-premises server's URL. Default: the one `hybrid serve onprem` recorded under DIR/onprem/.
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// A credential file to use instead of the one kept under DIR/onprem/.
    #[arg(long, global = true)]
    pub credential_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: OnPremCommand,
}

#[derive(Subcommand)]
pub enum OnPremCommand {
    /// Create the organization as Exchange Setup does: accepted domain, the auth certificate,
    /// AuthConfig, built-in roles, and an org admin credential kept under DIR/onprem/.
    /// Needs the server operator credential.
    NewOrganization(NewOrganizationOpt),
    /// Runbook step 4: export the current auth certificate ((Get-AuthConfig).CurrentCertificateThumbprint)
    /// as a DER file, no private key, creating its folder if needed.
    ExportAuthCert(ExportAuthCertOpt),
    /// A user's presence, asked of the partner service (Skype for Business Online's role) with
    /// an actor token this organization signs with its current auth certificate: the path
    /// runbook step 5 opens.
    GetUserPresence(GetUserPresenceOpt),
    /// Run Exchange Management Shell lines from FILE or `-` (stdin), as the runbook writes them.
    /// Stops at the first line that fails, naming its line number.
    Run(RunOpt),
    #[command(external_subcommand)]
    Cmdlet(Vec<String>),
}

#[derive(Args)]
pub struct NewOrganizationOpt {
    #[arg(long)]
    pub name: String,
    /// The primary accepted domain, e.g. contoso.com.
    #[arg(long)]
    pub domain: String,
    /// The published EWS URL, e.g. https://mail.contoso.com/EWS/Exchange.asmx.
    #[arg(long)]
    pub ews_url: String,
}

#[derive(Args)]
pub struct ExportAuthCertOpt {
    #[arg(long, default_value = "OAuthConfig/OAuthCert.cer")]
    pub path: PathBuf,
}

#[derive(Args)]
pub struct GetUserPresenceOpt {
    /// The user's SMTP or SIP address.
    #[arg(long)]
    pub identity: String,
    /// The partner service's URL. Default: the one recorded under DIR/partner/.
    #[arg(long)]
    pub partner_url: Option<String>,
}

#[derive(Args)]
pub struct RunOpt {
    pub file: String,
}
