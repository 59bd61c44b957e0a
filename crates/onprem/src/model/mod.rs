//! The organization's admin objects as types: what the store holds, what the cmdlets answer
//! and what an admin client reads, one type each, with the cmdlets' PascalCase property names.
//! A member whose name starts with `_` (a certificate's DER and key) is stored but never
//! presented.

pub mod api;
mod auth;
mod certificate;
mod folders;
mod organization;
mod rbac;
mod recipient;
pub mod report;

pub use auth::{AuthConfig, AuthServer, AuthServerType, PartnerApplication, ValidationResult};
pub use certificate::{CertificateStatus, ExchangeCertificate, ExportedCertificate};
pub use folders::{FolderItem, FolderStatistics, RegionalConfiguration};
pub use organization::{AcceptedDomain, Organization};
pub use rbac::{ManagementRole, RoleAssignment, RoleEntry};
pub use recipient::{Recipient, RecipientType, RegionalSettings};

use serde::Serialize;
use serde::de::DeserializeOwned;

/// An object of the organization's directory: its kind in the store, how it is named and how a
/// cmdlet shows it.
pub trait AdminObject: Serialize + DeserializeOwned + Default + Clone {
    /// The store's kind for objects of this type.
    const KIND: &'static str;

    /// The name the store keeps it under (unique within the kind).
    fn name(&self) -> &str;

    /// Whether `identity` names this object, as the cmdlets' -Identity resolves.
    fn is_named(&self, identity: &str) -> bool;

    /// The object as a cmdlet outputs it.
    fn presented(&self) -> Self {
        self.clone()
    }
}

/// True when `identity` is one of `names` (ignoring case; empty names never match).
pub(crate) fn any_named(identity: &str, names: &[&str]) -> bool {
    let id = identity.trim();
    names
        .iter()
        .any(|n| !n.is_empty() && n.eq_ignore_ascii_case(id))
}

/// What one cmdlet call outputs, each object as its type serializes.
#[derive(Debug, Clone, Serialize)]
#[serde(untagged)]
pub enum CmdletObject {
    Organization(Organization),
    AcceptedDomain(AcceptedDomain),
    Recipient(Box<Recipient>),
    RegionalConfiguration(RegionalConfiguration),
    ManagementRole(ManagementRole),
    RoleEntry(RoleEntry),
    RoleAssignment(RoleAssignment),
    Certificate(ExchangeCertificate),
    ExportedCertificate(ExportedCertificate),
    AuthConfig(AuthConfig),
    AuthServer(AuthServer),
    PartnerApplication(PartnerApplication),
    FolderStatistics(FolderStatistics),
    FolderItem(FolderItem),
    ValidationResult(ValidationResult),
}

macro_rules! cmdlet_object_from {
    ($($t:ident => $v:ident),* $(,)?) => {$(
        impl From<$t> for CmdletObject {
            fn from(o: $t) -> Self {
                CmdletObject::$v(o)
            }
        }
    )*};
}

cmdlet_object_from!(
    Organization => Organization,
    AcceptedDomain => AcceptedDomain,
    RegionalConfiguration => RegionalConfiguration,
    ManagementRole => ManagementRole,
    RoleEntry => RoleEntry,
    RoleAssignment => RoleAssignment,
    ExchangeCertificate => Certificate,
    ExportedCertificate => ExportedCertificate,
    AuthConfig => AuthConfig,
    AuthServer => AuthServer,
    PartnerApplication => PartnerApplication,
    FolderStatistics => FolderStatistics,
    FolderItem => FolderItem,
    ValidationResult => ValidationResult,
);

impl From<Recipient> for CmdletObject {
    fn from(r: Recipient) -> Self {
        CmdletObject::Recipient(Box::new(r))
    }
}

/// Times as the cmdlets show them: RFC 3339, to the second, in UTC.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    t.replace_nanosecond(0)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

/// Unix seconds stored as numbers (the first releases) or as RFC 3339 text, written as text.
pub(crate) mod unix_times {
    use serde::de::{Deserializer, Error};
    use serde::{Deserialize, Serializer};
    use time::OffsetDateTime;
    use time::format_description::well_known::Rfc3339;

    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Seconds(i64),
        Text(String),
    }

    pub fn serialize<S: Serializer>(times: &[i64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(times.iter().map(|t| {
            OffsetDateTime::from_unix_timestamp(*t)
                .map(super::rfc3339)
                .unwrap_or_default()
        }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<i64>, D::Error> {
        Vec::<Stored>::deserialize(d)?
            .into_iter()
            .map(|t| match t {
                Stored::Seconds(s) => Ok(s),
                Stored::Text(text) => OffsetDateTime::parse(&text, &Rfc3339)
                    .map(|t| t.unix_timestamp())
                    .map_err(|_| D::Error::custom(format!("'{text}' is not an RFC 3339 time"))),
            })
            .collect()
    }
}

#[cfg(test)]
mod tests;
