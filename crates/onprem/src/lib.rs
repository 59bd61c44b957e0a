//! The on-premises role: an Exchange-style organization (accepted domains, recipients, RBAC,
//! certificates, AuthConfig, AuthServers, partner applications), run through the cmdlets of
//! the runbook, with its S2S trust configuration held in memory for inbound validation.

mod admin_api;
pub mod certs;
pub mod cmdlet_help;
pub mod cmdlet_table;
pub mod cmdlets;
pub mod connectivity;
mod connectivity_acs;
pub mod error;
pub mod event_hub;
pub mod ews;
pub mod folder_cmdlets;
pub mod handshake;
mod jobs;
pub mod mailbox_settings;
pub mod metrics;
pub mod model;
pub mod oauth_config;
pub mod objects;
pub mod org;
pub mod outbound;
pub mod params;
pub mod rbac;
pub mod recipients;
pub mod refresh;
pub mod safety;
pub mod server;
pub mod state;
mod token_request;
mod transport;
pub mod trust;
pub mod ui;
mod work;

pub use error::OnPremError;
pub use server::{OnPremServer, ensure_operator_credential};
pub use state::{OnPremConfig, OnPremState};
