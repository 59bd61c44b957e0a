//! The partner role: a Skype for Business Online-style service that uses the S2S trust to reach
//! on-premises mailboxes: chat archiving into Recoverable Items\Purges, conversation history,
//! and voicemail greetings; with its own signing key, an STS client with a token cache, an EWS
//! client, and a durable outbound queue.

pub mod admin_types;
mod api;
pub mod autodiscover;
mod config_cache;
pub mod connectivity;
mod error;
pub mod ewsclient;
pub mod kinds;
pub mod mailbox_presence;
pub mod metrics;
pub mod peer_trust;
pub mod presence;
pub mod server;
pub mod signing;
mod signing_api;
pub mod state;
pub mod tokens;
pub mod work;

pub use error::PartnerError;
pub use server::{PartnerServer, ensure_operator_credential};
pub use state::{PartnerState, Settings};
