//! The kinds of object the partner keeps in its directory store.

pub const KIND_SETTINGS: &str = "PartnerSettings";
pub const KIND_USER: &str = "PartnerUser";
pub const KIND_KEY: &str = "SigningKey";
pub const KIND_OPERATOR: &str = "OperatorCredential";
pub const KIND_WORK: &str = "Work";
