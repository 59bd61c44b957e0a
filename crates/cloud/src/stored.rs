//! The directory's own records, as the store keeps them: credential hashes, which tenant owns a
//! domain, and the STS key ring. Never answered on the wire.

use serde::{Deserialize, Serialize};

/// An admin or operator credential, or a user's sign-in password: its hash only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CredentialHash {
    pub hash: String,
}

/// A verified domain's owner.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DomainOwner {
    pub tenant_id: String,
}

/// The token service's signing keys: current, next, and previous while its tokens live.
#[derive(Serialize, Deserialize, Default)]
#[serde(default)]
pub struct KeyRing {
    pub keys: Vec<RingKey>,
}

#[derive(Serialize, Deserialize)]
pub struct RingKey {
    /// current, next or previous.
    pub status: String,
    #[serde(flatten)]
    pub pair: crypto::StoredKeyPair,
}
