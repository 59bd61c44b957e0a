//! The cloud role: a tenant directory (tenants, service principals, key credentials, SPNs),
//! the ACS-style token service (STS) and its metadata documents, and a Graph-like admin API,
//! playing Microsoft Entra ACS for the hybrid trust.

pub mod admin_types;
pub mod apps;
pub mod apptoken;
pub mod consent;
pub mod dates;
pub mod delegated;
pub mod directory;
pub mod entra;
pub mod error;
pub mod graph;
pub mod graph_users;
pub mod lockout;
pub mod metrics;
pub mod model;
pub mod odata;
pub mod policy;
pub mod replay;
pub mod respond;
pub mod server;
pub mod signin;
pub mod snapshot;
pub mod state;
pub mod stored;
pub mod sts;
pub mod token_endpoint;
pub mod user_grants;
pub mod users;

pub use error::{CloudError, StsError};
pub use server::CloudServer;
pub use state::{CloudConfig, CloudState};
