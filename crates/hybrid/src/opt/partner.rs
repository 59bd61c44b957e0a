//! The clap definitions of `hybrid partner …`: arguments only; the commands are in
//! `partner_cmd`.

use clap::{Args, Subcommand};
use std::path::PathBuf;

#[derive(Args)]
pub struct PartnerArgs {
    /// The partner server's URL. Default: the one `hybrid serve partner` recorded under DIR/partner/.
    #[arg(long, global = true)]
    pub server: Option<String>,
    /// A credential file instead of DIR/partner/operator.credential.
    #[arg(long, global = true)]
    pub credential_file: Option<PathBuf>,
    #[command(subcommand)]
    pub command: PartnerCommand,
}

#[derive(Subcommand)]
pub enum QueueAction {
    /// Put a dead-lettered job back in the queue, due now, its attempts counted afresh.
    Retry { id: String },
}

#[derive(Subcommand)]
pub enum PartnerCommand {
    /// Where to get tokens and reach on-premises EWS.
    Configure {
        /// The tenant (realm) id.
        #[arg(long)]
        tenant: String,
        /// The token endpoint (the tenant metadata's OAuth2 issuance endpoint).
        #[arg(long)]
        token_endpoint: String,
        /// The on-premises EWS URL the partner connects to.
        #[arg(long, required_unless_present = "autodiscover_url")]
        ews_url: Option<String>,
        /// Find each user's EWS URL by Autodiscover here instead
        /// (https://<host>/autodiscover/autodiscover.svc).
        #[arg(long, conflicts_with = "ews_url")]
        autodiscover_url: Option<String>,
        /// The Autodiscover setting to take: ExternalEwsUrl or InternalEwsUrl.
        #[arg(long, default_value = "ExternalEwsUrl")]
        ews_url_setting: String,
        /// The resource to ask tokens for: 00000002-0000-0ff1-ce00-000000000000/<EWS host>@<realm>.
        #[arg(long)]
        resource: String,
        /// sfb (every call as 00000004-…) or teams (greetings as Cloud Voicemail, the
        /// calendar's delegate reads as Teams Scheduler, the rest as 00000004-…).
        #[arg(long, default_value = "sfb")]
        edition: String,
    },
    /// Write the partner's signing certificate (DER), to register it on 00000004-… in the cloud.
    ExportSigningCert {
        #[arg(long)]
        path: PathBuf,
    },
    /// Signing-certificate rollover, step 1: stage a next certificate and write it (DER) to
    /// PATH, to register on 00000004-… (hybrid cloud add-service-principal-key).
    NewSigningCert {
        #[arg(long)]
        path: PathBuf,
    },
    /// Step 2: make the staged certificate current. Refused (NextCertificateNotRegistered)
    /// until the directory holds it, unless --force.
    PublishSigningCert {
        #[arg(long)]
        force: bool,
    },
    /// Provision a user (SIP and SMTP addresses).
    NewUser {
        #[arg(long)]
        sip: String,
        #[arg(long)]
        smtp: String,
        #[arg(long)]
        display_name: Option<String>,
    },
    /// List users.
    GetUser,
    /// Hold an IM conversation: it is archived to each participant's Recoverable Items\Purges
    /// and, from a mobile client (or when missed), written to Conversation History.
    HoldConversation {
        /// A participant (SIP or SMTP address); repeat for each.
        #[arg(long = "participant", required = true)]
        participants: Vec<String>,
        /// A message as `sender: text`; repeat in order.
        #[arg(long = "message")]
        messages: Vec<String>,
        #[arg(long)]
        subject: Option<String>,
        /// Nobody answered: conversation history (IPM.Note.Microsoft.Missed) only.
        #[arg(long)]
        missed: bool,
        /// Held on a mobile client: also written to Conversation History.
        #[arg(long)]
        mobile: bool,
    },
    /// Set a user's presence (Available, Busy, DoNotDisturb, Away, Offline), as on-premises
    /// Exchange will read it.
    SetPresence {
        #[arg(long)]
        user: String,
        #[arg(long)]
        availability: String,
    },
    /// A user's presence as the service shows it: "Out of office" while the user's automatic
    /// replies are on, "In a meeting" during a busy calendar item (both read from on-premises
    /// EWS under the S2S trust), else what was set.
    GetPresence {
        #[arg(long)]
        user: String,
    },
    /// A user's delegates as the calendar reads them from on-premises EWS (GetDelegate; as the
    /// Teams Scheduler application in the Teams edition).
    GetDelegates {
        #[arg(long)]
        user: String,
    },
    /// The work queue: counts, then the pending, leased and dead-lettered jobs; `queue retry
    /// ID` puts a dead-lettered job back.
    Queue {
        #[command(subcommand)]
        action: Option<QueueAction>,
    },
    /// The state of queued work: one id, several, or the comma-separated list
    /// hold-conversation prints.
    GetWork {
        #[arg(long, value_delimiter = ',', required = true)]
        id: Vec<String>,
    },
    /// Set (or replace) a user's voicemail greeting from a WAV file.
    SetGreeting {
        #[arg(long)]
        user: String,
        #[arg(long)]
        file: PathBuf,
        /// External (the voicemail greeting, default) or Oof (the away greeting).
        #[arg(long, default_value = "External")]
        kind: String,
    },
    /// Read a user's voicemail greeting into a WAV file.
    GetGreeting {
        #[arg(long)]
        user: String,
        #[arg(long)]
        out: PathBuf,
        #[arg(long, default_value = "External")]
        kind: String,
    },
    /// Delete a user's voicemail greeting.
    RemoveGreeting {
        #[arg(long)]
        user: String,
        #[arg(long, default_value = "External")]
        kind: String,
    },
}
