//! S2S authentication metadata documents ("json/1"): the ACS tenant document and Exchange's
//! own (`Exchange/1.0`). Member names and the values of `usage`, `type` and `protocol` are
//! matched without regard to case when read, because producers differ (`keyValue` at ACS,
//! `keyvalue` at Exchange); each flavour is written in its producer's casing.

use crate::S2sError;
use crate::ids::{ACS_APP_ID, PrincipalId};
use crypto::Certificate;
use serde_json::{Map, Value, json};

/// Documents larger than this are refused.
pub const MAX_METADATA_BYTES: usize = 1024 * 1024;
/// The `version` that marks a self-issuing authority's document.
pub const EXCHANGE_VERSION: &str = "Exchange/1.0";

/// Whose casing and members to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataFlavor {
    /// Entra ACS: `keyInfo`, `keyValue`.
    Acs,
    /// Exchange: lowercase `keyinfo`, `keyvalue`, version `Exchange/1.0`.
    Exchange,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataKey {
    pub usage: String,
    pub x5t: Option<String>,
    pub key_type: String,
    /// Standard base64 of the DER certificate.
    pub value: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataEndpoint {
    pub location: String,
    pub protocol: String,
    pub usage: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MetadataDocument {
    pub id: Option<String>,
    pub version: Option<String>,
    pub name: Option<String>,
    pub realm: Option<String>,
    pub service_name: Option<String>,
    pub issuer: Option<String>,
    pub allowed_audiences: Vec<String>,
    pub keys: Vec<MetadataKey>,
    pub endpoints: Vec<MetadataEndpoint>,
}

/// Who a document describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MetadataIdentity {
    pub service_name: String,
    pub realm: String,
    /// Set for self-issuing authorities (`Exchange/1.0`).
    pub issuer: Option<String>,
}

fn bad(m: impl Into<String>) -> S2sError {
    S2sError::MalformedMetadata(m.into())
}

/// A member by name without regard to case; two members differing only by case are refused.
fn member<'v>(obj: &'v Map<String, Value>, name: &str) -> Result<Option<&'v Value>, S2sError> {
    let mut found = None;
    for (k, v) in obj {
        if k.eq_ignore_ascii_case(name) {
            if found.is_some() {
                return Err(bad(format!("member '{name}' appears more than once")));
            }
            found = Some(v);
        }
    }
    Ok(found)
}

fn string(obj: &Map<String, Value>, name: &str) -> Result<Option<String>, S2sError> {
    match member(obj, name)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(bad(format!("'{name}' must be a string"))),
    }
}

fn required(obj: &Map<String, Value>, name: &str, within: &str) -> Result<String, S2sError> {
    string(obj, name)?.ok_or_else(|| bad(format!("{within} has no '{name}'")))
}

fn array<'v>(obj: &'v Map<String, Value>, name: &str) -> Result<&'v [Value], S2sError> {
    match member(obj, name)? {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(a)) => Ok(a),
        Some(_) => Err(bad(format!("'{name}' must be an array"))),
    }
}

fn object<'v>(v: &'v Value, what: &str) -> Result<&'v Map<String, Value>, S2sError> {
    v.as_object()
        .ok_or_else(|| bad(format!("{what} must be an object")))
}

impl MetadataDocument {
    /// Reads a document from JSON bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, S2sError> {
        if bytes.len() > MAX_METADATA_BYTES {
            return Err(bad(format!(
                "{} bytes; the limit is {MAX_METADATA_BYTES}",
                bytes.len()
            )));
        }
        let root: Value =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not JSON: {e}")))?;
        let root = object(&root, "the document")?;
        let mut doc = MetadataDocument {
            id: string(root, "id")?,
            version: string(root, "version")?,
            name: string(root, "name")?,
            realm: string(root, "realm")?,
            service_name: string(root, "serviceName")?,
            issuer: string(root, "issuer")?,
            ..Default::default()
        };
        for a in array(root, "allowedAudiences")? {
            doc.allowed_audiences.push(
                a.as_str()
                    .ok_or_else(|| bad("allowedAudiences must be strings"))?
                    .into(),
            );
        }
        for k in array(root, "keys")? {
            let k = object(k, "a key")?;
            let info = member(k, "keyInfo")?
                .map(|v| object(v, "keyInfo"))
                .transpose()?;
            let value = object(
                member(k, "keyValue")?.ok_or_else(|| bad("a key has no keyValue"))?,
                "keyValue",
            )?;
            doc.keys.push(MetadataKey {
                usage: required(k, "usage", "a key")?,
                x5t: info.map(|i| string(i, "x5t")).transpose()?.flatten(),
                key_type: required(value, "type", "keyValue")?,
                value: required(value, "value", "keyValue")?,
            });
        }
        for e in array(root, "endpoints")? {
            let e = object(e, "an endpoint")?;
            doc.endpoints.push(MetadataEndpoint {
                location: required(e, "location", "an endpoint")?,
                protocol: required(e, "protocol", "an endpoint")?,
                usage: required(e, "usage", "an endpoint")?,
            });
        }
        Ok(doc)
    }

    /// serviceName, realm and issuer, derived as Exchange does: from `serviceName`/`issuer`/
    /// `realm` for `Exchange/1.0`; else from `issuer` split at its first `@`; else from the
    /// `serviceName` and `realm` members.
    pub fn identity(&self) -> Result<MetadataIdentity, S2sError> {
        let is_exchange = self
            .version
            .as_deref()
            .is_some_and(|v| v.eq_ignore_ascii_case(EXCHANGE_VERSION));
        if is_exchange {
            let issuer = self
                .issuer
                .clone()
                .ok_or_else(|| bad("an Exchange/1.0 document needs 'issuer'"))?;
            let service_name = self
                .service_name
                .clone()
                .ok_or_else(|| bad("no 'serviceName'"))?;
            let realm = match &self.realm {
                Some(r) => r.clone(),
                None => PrincipalId::parse_nameid(&issuer)
                    .map(|p| p.realm)
                    .ok_or_else(|| bad("no realm"))?,
            };
            return Ok(MetadataIdentity {
                service_name,
                realm,
                issuer: Some(issuer),
            });
        }
        if let Some(p) = self.issuer.as_deref().and_then(PrincipalId::parse_nameid) {
            return Ok(MetadataIdentity {
                service_name: p.app_id,
                realm: p.realm,
                issuer: None,
            });
        }
        match (&self.service_name, &self.realm) {
            (Some(s), Some(r)) => Ok(MetadataIdentity {
                service_name: s.clone(),
                realm: r.clone(),
                issuer: None,
            }),
            _ => Err(bad(
                "neither 'issuer' nor 'serviceName' and 'realm' identify the service",
            )),
        }
    }

    /// The X.509 signing certificates. A document without one is refused, and so is a key whose
    /// `x5t` is not its certificate's.
    pub fn signing_certificates(&self) -> Result<Vec<Certificate>, S2sError> {
        let mut out = Vec::new();
        for k in &self.keys {
            if !k.usage.eq_ignore_ascii_case("signing")
                || !k.key_type.eq_ignore_ascii_case("x509Certificate")
            {
                continue;
            }
            let cert = Certificate::from_base64(&k.value)?;
            if let Some(x5t) = &k.x5t
                && x5t != cert.x5t()
            {
                return Err(bad(format!(
                    "key x5t '{x5t}' is not its certificate's ('{}')",
                    cert.x5t()
                )));
            }
            out.push(cert);
        }
        if out.is_empty() {
            return Err(bad("the document has no signing key"));
        }
        Ok(out)
    }

    /// The OAuth2 issuance endpoint (the token endpoint), if listed.
    pub fn issuance_endpoint(&self) -> Option<&str> {
        self.endpoints
            .iter()
            .find(|e| {
                e.protocol.eq_ignore_ascii_case("OAuth2")
                    && e.usage.eq_ignore_ascii_case("issuance")
            })
            .map(|e| e.location.as_str())
    }

    /// The document an ACS tenant publishes.
    pub fn acs(tenant: &str, issuance_url: &str, certificates: &[&Certificate]) -> Self {
        let issuer = PrincipalId::new(ACS_APP_ID, tenant).to_string();
        MetadataDocument {
            id: None,
            version: Some("1.0".into()),
            name: Some("Microsoft Azure ACS Tenant".into()),
            realm: Some(tenant.to_ascii_lowercase()),
            service_name: Some(ACS_APP_ID.into()),
            issuer: Some(issuer.clone()),
            allowed_audiences: vec![issuer],
            keys: certificates.iter().map(|c| signing_key(c)).collect(),
            endpoints: vec![MetadataEndpoint {
                location: issuance_url.into(),
                protocol: "OAuth2".into(),
                usage: "issuance".into(),
            }],
        }
    }

    /// The document a self-issuing Exchange-style server publishes about itself.
    pub fn exchange(
        id: &str,
        service_name: &str,
        realm: &str,
        location: &str,
        certificates: &[&Certificate],
    ) -> Self {
        let issuer = PrincipalId::new(service_name, realm).to_string();
        MetadataDocument {
            id: Some(id.into()),
            version: Some(EXCHANGE_VERSION.into()),
            name: Some("Exchange".into()),
            realm: Some(realm.to_ascii_lowercase()),
            service_name: Some(service_name.to_ascii_lowercase()),
            issuer: Some(issuer.clone()),
            allowed_audiences: vec![issuer],
            keys: certificates.iter().map(|c| signing_key(c)).collect(),
            endpoints: vec![MetadataEndpoint {
                location: location.into(),
                protocol: "OAuth2".into(),
                usage: "metadata".into(),
            }],
        }
    }

    /// The document as JSON, in `flavor`'s member casing.
    pub fn to_json(&self, flavor: MetadataFlavor) -> String {
        let (info, value) = match flavor {
            MetadataFlavor::Acs => ("keyInfo", "keyValue"),
            MetadataFlavor::Exchange => ("keyinfo", "keyvalue"),
        };
        let mut root = Map::new();
        let mut put = |k: &str, v: &Option<String>| {
            if let Some(v) = v {
                root.insert(k.into(), Value::String(v.clone()));
            }
        };
        put("id", &self.id);
        put("version", &self.version);
        put("name", &self.name);
        put("realm", &self.realm);
        put("serviceName", &self.service_name);
        put("issuer", &self.issuer);
        root.insert("allowedAudiences".into(), json!(self.allowed_audiences));
        let keys: Vec<Value> = self
            .keys
            .iter()
            .map(|k| {
                let mut m = Map::new();
                m.insert("usage".into(), json!(k.usage));
                if let Some(x5t) = &k.x5t {
                    m.insert(info.into(), json!({ "x5t": x5t }));
                }
                m.insert(
                    value.into(),
                    json!({ "type": k.key_type, "value": k.value }),
                );
                Value::Object(m)
            })
            .collect();
        root.insert("keys".into(), Value::Array(keys));
        let endpoints: Vec<Value> = self
            .endpoints
            .iter()
            .map(|e| json!({ "location": e.location, "protocol": e.protocol, "usage": e.usage }))
            .collect();
        root.insert("endpoints".into(), Value::Array(endpoints));
        Value::Object(root).to_string()
    }
}

fn signing_key(cert: &Certificate) -> MetadataKey {
    MetadataKey {
        usage: "signing".into(),
        x5t: Some(cert.x5t().into()),
        key_type: "x509Certificate".into(),
        value: cert.to_base64(),
    }
}
