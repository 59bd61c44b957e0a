//! MAPI properties, as the store knows them: a property named by tag, by id in a property set,
//! or by name, with its type and value (or values). Clients reach them as EWS extended
//! properties; the mailbox keeps them as given and indexes them by identity.

use serde::{Deserialize, Serialize};

/// How a property is named. Kept with the same members since the first release, so every
/// stored folder and item reads as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PropertyName {
    pub distinguished_property_set_id: Option<String>,
    pub property_set_id: Option<String>,
    pub property_tag: Option<String>,
    pub property_name: Option<String>,
    pub property_id: Option<String>,
    pub property_type: String,
}

impl PropertyName {
    /// The property's identity, whatever the spelling: each part lowercase, the tag as
    /// lowercase hex without leading zeros, the type left out. The value index is keyed by it,
    /// so its form is fixed.
    pub fn key(&self) -> String {
        let parts = [
            (
                "DistinguishedPropertySetId",
                &self.distinguished_property_set_id,
            ),
            ("PropertyId", &self.property_id),
            ("PropertyName", &self.property_name),
            ("PropertySetId", &self.property_set_id),
            ("PropertyTag", &self.property_tag),
        ];
        parts
            .iter()
            .filter_map(|(k, v)| {
                let v = v.as_deref()?;
                let v = if *k == "PropertyTag" {
                    normalize_tag(v)
                } else {
                    v.to_ascii_lowercase()
                };
                Some(format!("{k}={v}"))
            })
            .collect::<Vec<_>>()
            .join(";")
    }
}

/// `0x001A`, `0x1a` and `26` name the same tag.
fn normalize_tag(v: &str) -> String {
    let t = v.trim().to_ascii_lowercase();
    let parsed = match t.strip_prefix("0x") {
        Some(hex) => u32::from_str_radix(hex, 16).ok(),
        None => t.parse::<u32>().ok(),
    };
    match parsed {
        Some(n) => format!("0x{n:x}"),
        None => t,
    }
}

/// A property and its value (several for the array types).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MapiProperty {
    pub uri: PropertyName,
    pub values: Vec<String>,
}

/// Sets `p` in `list`, replacing the property of the same identity.
pub fn set_property(list: &mut Vec<MapiProperty>, p: MapiProperty) {
    let key = p.uri.key();
    match list.iter_mut().find(|e| e.uri.key() == key) {
        Some(e) => *e = p,
        None => list.push(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_ignores_spelling_and_type() {
        let a = PropertyName {
            property_tag: Some("0x001A".into()),
            property_type: "String".into(),
            ..Default::default()
        };
        let b = PropertyName {
            property_tag: Some("26".into()),
            ..Default::default()
        };
        assert_eq!(a.key(), "PropertyTag=0x1a");
        assert_eq!(a.key(), b.key());
        let named = PropertyName {
            distinguished_property_set_id: Some("PublicStrings".into()),
            property_name: Some("X-Hybrid".into()),
            property_type: "String".into(),
            ..Default::default()
        };
        assert_eq!(
            named.key(),
            "DistinguishedPropertySetId=publicstrings;PropertyName=x-hybrid"
        );
    }
}
