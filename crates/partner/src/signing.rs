//! The partner's signing certificate and its rollover: a next certificate is staged, registered
//! by the admin as a Verify key of 00000004-… in the cloud directory, then published; publishing
//! checks, with the partner's own Graph token, that the directory holds the next certificate, so
//! that the switch cannot break the assertions the token service accepts.

use crate::PartnerError;
use crate::kinds::KIND_KEY;
use crypto::CertificateRequest;
use serde_json::Value;
use store::{NewObject, Store};

const SUBJECT: &str = "Skype for Business Online partner (Hybrid)";

/// The partner's signing certificate with its key.
pub type SigningPair = crypto::KeyPair;

pub(crate) fn generate() -> Result<Value, PartnerError> {
    let made = CertificateRequest {
        common_name: SUBJECT.into(),
        ..Default::default()
    }
    .self_signed()
    .map_err(|e| PartnerError::Internal(e.to_string()))?;
    serde_json::to_value(made.to_stored()).map_err(|e| PartnerError::Internal(e.to_string()))
}

pub(crate) fn decode(data: &Value) -> Result<SigningPair, PartnerError> {
    let stored: crypto::StoredKeyPair = serde_json::from_value(data.clone())
        .map_err(|e| PartnerError::Internal(format!("stored signing key: {e}")))?;
    crypto::KeyPair::from_stored(&stored).map_err(|e| PartnerError::Internal(e.to_string()))
}

/// The current signing pair, made on first start.
pub async fn load_current(store: &Store) -> Result<SigningPair, PartnerError> {
    let dir = store.directory();
    if dir.find(KIND_KEY, "", "current").await?.is_none()
        && let Err(e) = dir
            .create(NewObject::new(KIND_KEY, "", "current", generate()?))
            .await
        && !matches!(e, store::StoreError::Duplicate { .. })
    {
        return Err(e.into());
    }
    let obj = dir
        .find(KIND_KEY, "", "current")
        .await?
        .ok_or_else(|| PartnerError::Internal("no signing key".into()))?;
    decode(&obj.data)
}
