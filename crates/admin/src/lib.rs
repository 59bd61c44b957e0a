//! The admin client of Hybrid's three roles: one HTTP client, typed calls per role answering
//! the servers' own types (`onprem::model`, `cloud::model`, `partner::admin_types`), and
//! [`Trust::establish`], the one set-up of the hybrid trust that `hybrid up`, the integration
//! tests and the benchmarks share.

mod client;
mod cloud_admin;
mod error;
mod onprem_admin;
mod partner_admin;
mod trust;

pub use client::AdminClient;
pub use cloud_admin::CloudAdmin;
pub use error::AdminError;
pub use onprem_admin::{OnPremAdmin, Parameters};
pub use partner_admin::PartnerAdmin;
pub use trust::{Edition, OrganizationSource, PartnerKey, Trust, TrustPlan};
