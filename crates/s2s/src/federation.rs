//! The WS-Federation metadata document of an Entra tenant
//! (`/{tenant}/federationmetadata/2007-06/federationmetadata.xml`): the `entityID` is the v1
//! token issuer (`https://sts.windows.net/{tenant id}/` at Entra), and the signing
//! certificates sit in `KeyDescriptor use="signing"` of the security token service's
//! RoleDescriptor. It is what Exchange's `New-AuthServer -Type AzureAD -AuthMetadataUrl`
//! reads. Only the members a relying party needs are read; DTDs are refused.

use crate::S2sError;
use quick_xml::Reader;
use quick_xml::escape::escape;
use quick_xml::events::Event;

/// The largest document read (the issuer's metadata is a few kilobytes).
pub const MAX_FEDERATION_METADATA_BYTES: usize = 1024 * 1024;
const MAX_DEPTH: usize = 32;

/// What a federation metadata document says about its token service.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FederationMetadata {
    /// The `entityID`: the issuer of the tokens.
    pub entity_id: String,
    /// The signing certificates, base64 DER as written in `X509Certificate`, in document order.
    pub signing_certificates: Vec<String>,
    /// The passive requestor (WS-Federation) endpoint, when the document names one.
    pub passive_endpoint: Option<String>,
}

fn bad(m: impl Into<String>) -> S2sError {
    S2sError::MalformedMetadata(m.into())
}

fn local(name: &str) -> &str {
    name.rsplit(':').next().unwrap_or(name)
}

fn attribute(e: &quick_xml::events::BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.trim().to_string())
        })
}

/// XML's five predefined entities and character references; no other entity exists here.
fn predefined(name: &str) -> Result<char, S2sError> {
    let c = match name {
        "lt" => Some('<'),
        "gt" => Some('>'),
        "amp" => Some('&'),
        "apos" => Some('\''),
        "quot" => Some('"'),
        n if n.starts_with("#x") => u32::from_str_radix(&n[2..], 16)
            .ok()
            .and_then(char::from_u32),
        n if n.starts_with('#') => n[1..].parse().ok().and_then(char::from_u32),
        _ => None,
    };
    c.ok_or_else(|| bad(format!("the entity '&{name};' is not allowed")))
}

impl FederationMetadata {
    /// Reads a document: the root must be `EntityDescriptor` with an `entityID`.
    pub fn parse(bytes: &[u8]) -> Result<Self, S2sError> {
        if bytes.len() > MAX_FEDERATION_METADATA_BYTES {
            return Err(bad("the document is larger than 1 MiB"));
        }
        let text = std::str::from_utf8(bytes).map_err(|_| bad("the document is not UTF-8"))?;
        let mut reader = Reader::from_str(text.trim_start_matches('\u{feff}'));
        let mut out = FederationMetadata::default();
        // Element local names from the root down; whether the current KeyDescriptor signs.
        let mut path: Vec<String> = Vec::new();
        let mut signing = false;
        let mut cert = String::new();
        loop {
            let event = reader
                .read_event()
                .map_err(|e| bad(format!("not well-formed XML: {e}")))?;
            match event {
                Event::Start(e) | Event::Empty(e) if path.is_empty() => {
                    if local(e.name().as_ref()) != "EntityDescriptor" {
                        return Err(bad("the root element is not EntityDescriptor"));
                    }
                    out.entity_id = attribute(&e, "entityID").unwrap_or_default();
                    path.push("EntityDescriptor".into());
                }
                Event::Start(e) => {
                    cert.clear();
                    let name = local(e.name().as_ref()).to_string();
                    if name == "KeyDescriptor" {
                        signing = attribute(&e, "use").is_none_or(|u| u == "signing");
                    }
                    if path.len() >= MAX_DEPTH {
                        return Err(bad(format!("nested deeper than {MAX_DEPTH} elements")));
                    }
                    path.push(name);
                }
                Event::Empty(_) => {}
                Event::End(_) => {
                    let name = path.pop().unwrap_or_default();
                    if name == "X509Certificate"
                        && signing
                        && path.iter().any(|p| p == "KeyDescriptor")
                    {
                        let c: String = cert.split_whitespace().collect();
                        if !c.is_empty() && !out.signing_certificates.contains(&c) {
                            out.signing_certificates.push(c);
                        }
                    }
                    if name == "Address"
                        && path.last().is_some_and(|p| p == "EndpointReference")
                        && path.iter().any(|p| p == "PassiveRequestorEndpoint")
                        && out.passive_endpoint.is_none()
                    {
                        out.passive_endpoint = Some(cert.trim().to_string());
                    }
                    cert.clear();
                }
                Event::Text(t) => cert.push_str(&t.xml10_content()),
                Event::CData(c) => cert.push_str(&c.into_inner()),
                Event::DocType(_) => {
                    return Err(bad("document type declarations (DTDs) are not allowed"));
                }
                Event::GeneralRef(r) => cert.push(predefined(&r)?),
                Event::Eof => break,
                _ => {}
            }
        }
        if out.entity_id.is_empty() {
            return Err(bad("EntityDescriptor has no entityID"));
        }
        if out.signing_certificates.is_empty() {
            return Err(bad("the document names no signing certificate"));
        }
        Ok(out)
    }

    /// Writes the document as Entra serves it (unsigned: the relying parties of this
    /// implementation fetch it over TLS from the issuer itself).
    pub fn to_xml(&self) -> String {
        let mut keys = String::new();
        for c in &self.signing_certificates {
            keys.push_str(&format!(
                "<KeyDescriptor use=\"signing\"><KeyInfo xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><X509Data><X509Certificate>{}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>",
                escape(c.as_str())
            ));
        }
        let passive = self
            .passive_endpoint
            .as_deref()
            .map(|e| {
                format!(
                    "<fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa=\"http://www.w3.org/2005/08/addressing\"><wsa:Address>{}</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>",
                    escape(e)
                )
            })
            .unwrap_or_default();
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><EntityDescriptor ID=\"_{id}\" entityID=\"{entity}\" xmlns=\"urn:oasis:names:tc:SAML:2.0:metadata\"><RoleDescriptor xsi:type=\"fed:SecurityTokenServiceType\" protocolSupportEnumeration=\"http://docs.oasis-open.org/wsfed/federation/200706\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:fed=\"http://docs.oasis-open.org/wsfed/federation/200706\">{keys}{passive}</RoleDescriptor></EntityDescriptor>",
            id = hex::encode(&crypto::sha256(self.entity_id.as_bytes())[..16]),
            entity = escape(self.entity_id.as_str()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRA_SHAPED: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor ID="_a" entityID="https://sts.windows.net/7a1b2c3d-0000-4000-8000-000000000001/" xmlns="urn:oasis:names:tc:SAML:2.0:metadata">
  <Signature xmlns="http://www.w3.org/2000/09/xmldsig#"><KeyInfo><X509Data><X509Certificate>U0lHTkVS</X509Certificate></X509Data></KeyInfo></Signature>
  <RoleDescriptor xsi:type="fed:SecurityTokenServiceType" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:fed="http://docs.oasis-open.org/wsfed/federation/200706">
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>
      QUFB
      QkJC</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <KeyDescriptor use="signing"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>Q0ND</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <KeyDescriptor use="encryption"><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>RU5D</X509Certificate></X509Data></KeyInfo></KeyDescriptor>
    <fed:PassiveRequestorEndpoint><wsa:EndpointReference xmlns:wsa="http://www.w3.org/2005/08/addressing"><wsa:Address>https://login.microsoftonline.com/7a1b2c3d-0000-4000-8000-000000000001/wsfed</wsa:Address></wsa:EndpointReference></fed:PassiveRequestorEndpoint>
  </RoleDescriptor>
</EntityDescriptor>"#;

    #[test]
    fn reads_the_issuer_and_only_the_signing_keys() {
        let m = FederationMetadata::parse(ENTRA_SHAPED.as_bytes()).unwrap();
        assert_eq!(
            m.entity_id,
            "https://sts.windows.net/7a1b2c3d-0000-4000-8000-000000000001/"
        );
        // The document's own XML signature key and the encryption key are not token keys.
        assert_eq!(m.signing_certificates, vec!["QUFBQkJC", "Q0ND"]);
        assert_eq!(
            m.passive_endpoint.as_deref(),
            Some("https://login.microsoftonline.com/7a1b2c3d-0000-4000-8000-000000000001/wsfed")
        );
    }

    #[test]
    fn round_trips_what_it_writes() {
        let m = FederationMetadata {
            entity_id: "https://login.example/t/".into(),
            signing_certificates: vec!["QUFB".into(), "QkJC".into()],
            passive_endpoint: Some("https://login.example/t/wsfed?a=1&b=2".into()),
        };
        assert_eq!(FederationMetadata::parse(m.to_xml().as_bytes()).unwrap(), m);
    }

    #[test]
    fn refuses_dtds_other_roots_and_documents_without_keys() {
        let dtd = "<!DOCTYPE x [<!ENTITY e \"boom\">]><EntityDescriptor entityID=\"a\"/>";
        assert!(FederationMetadata::parse(dtd.as_bytes()).is_err());
        assert!(FederationMetadata::parse(b"<Other entityID=\"a\"/>").is_err());
        assert!(FederationMetadata::parse(b"<EntityDescriptor entityID=\"a\"/>").is_err());
        assert!(FederationMetadata::parse(b"<EntityDescriptor><x>").is_err());
        assert!(FederationMetadata::parse(&[0xff, 0xfe]).is_err());
    }
}
