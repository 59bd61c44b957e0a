//! Property paths: field URIs, indexed fields and extended (MAPI) properties.

use super::*;

/// `t:ExtendedFieldURI`: a MAPI property named by tag, by id in a property set, or by name.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct ExtendedFieldUri {
    pub distinguished_property_set_id: Option<String>,
    pub property_set_id: Option<String>,
    pub property_tag: Option<String>,
    pub property_name: Option<String>,
    pub property_id: Option<String>,
    pub property_type: String,
}

impl ExtendedFieldUri {
    pub fn parse(el: &Element) -> ExtendedFieldUri {
        let a = |n: &str| el.attr(n).map(str::to_string);
        ExtendedFieldUri {
            distinguished_property_set_id: a("DistinguishedPropertySetId"),
            property_set_id: a("PropertySetId"),
            property_tag: a("PropertyTag"),
            property_name: a("PropertyName"),
            property_id: a("PropertyId"),
            property_type: a("PropertyType").unwrap_or_default(),
        }
    }

    pub fn public_string(name: &str, property_type: &str) -> ExtendedFieldUri {
        ExtendedFieldUri {
            distinguished_property_set_id: Some("PublicStrings".into()),
            property_name: Some(name.into()),
            property_type: property_type.into(),
            ..Default::default()
        }
    }

    fn attrs(&self) -> Vec<(&'static str, &str)> {
        let named = [
            (
                "DistinguishedPropertySetId",
                &self.distinguished_property_set_id,
            ),
            ("PropertySetId", &self.property_set_id),
            ("PropertyTag", &self.property_tag),
            ("PropertyName", &self.property_name),
            ("PropertyId", &self.property_id),
        ];
        let mut out: Vec<(&'static str, &str)> = named
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().map(|v| (k, v)))
            .collect();
        if !self.property_type.is_empty() {
            out.push(("PropertyType", self.property_type.as_str()));
        }
        out
    }

    pub fn write(&self, w: &mut Writer) {
        w.empty("t:ExtendedFieldURI", &self.attrs());
    }

    /// The property's identity, whatever the spelling: attribute values in lowercase, the
    /// tag as lowercase hex without leading zeros, the type left out.
    pub fn key(&self) -> String {
        let mut parts: Vec<(&str, String)> = self
            .attrs()
            .into_iter()
            .filter(|(k, _)| *k != "PropertyType")
            .map(|(k, v)| {
                let v = if k == "PropertyTag" {
                    normalize_tag(v)
                } else {
                    v.to_ascii_lowercase()
                };
                (k, v)
            })
            .collect();
        parts.sort();
        parts
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Whether the type holds several values (`StringArray`, `IntegerArray`, …).
    pub fn is_array(&self) -> bool {
        self.property_type.ends_with("Array")
    }

    pub fn is_numeric(&self) -> bool {
        matches!(
            self.property_type.trim_end_matches("Array"),
            "Integer" | "Short" | "Long" | "Double" | "Float" | "Currency" | "ApplicationTime"
        )
    }
}

/// `0x001A`, `0x1a` and `26` name the same tag.
pub fn normalize_tag(v: &str) -> String {
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

/// `t:ExtendedProperty`: its URI and its value (or values, for array types).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExtendedProperty {
    pub uri: ExtendedFieldUri,
    pub values: Vec<String>,
}

impl ExtendedProperty {
    pub fn new(uri: ExtendedFieldUri, value: impl Into<String>) -> ExtendedProperty {
        ExtendedProperty {
            uri,
            values: vec![value.into()],
        }
    }

    pub fn parse(el: &Element) -> Option<ExtendedProperty> {
        let uri = ExtendedFieldUri::parse(el.child("ExtendedFieldURI")?);
        let mut values: Vec<String> = match el.child("Values") {
            Some(vs) => vs.children_named("Value").map(|v| v.text()).collect(),
            None => el.child("Value").map(|v| v.text()).into_iter().collect(),
        };
        if uri.property_type.trim_end_matches("Array") == "Boolean" {
            for v in values.iter_mut() {
                if let Some(b) = parse_bool(v) {
                    *v = bool_text(b).into();
                }
            }
        }
        Some(ExtendedProperty { uri, values })
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:ExtendedProperty", &[]);
        self.uri.write(w);
        if self.uri.is_array() {
            w.open("t:Values", &[]);
            for v in &self.values {
                w.leaf("t:Value", v);
            }
            w.close("t:Values");
        } else {
            w.leaf(
                "t:Value",
                self.values.first().map(String::as_str).unwrap_or(""),
            );
        }
        w.close("t:ExtendedProperty");
    }
}

/// A property a shape, restriction, sort order or item change names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PropertyPath {
    /// `t:FieldURI`, e.g. `item:Subject`.
    Field(String),
    /// `t:IndexedFieldURI`, e.g. `contacts:EmailAddress` with index `EmailAddress1`.
    Indexed {
        uri: String,
        index: String,
    },
    Extended(ExtendedFieldUri),
}

impl PropertyPath {
    pub fn field(uri: &str) -> PropertyPath {
        PropertyPath::Field(uri.into())
    }

    pub fn parse(el: &Element) -> Option<PropertyPath> {
        Some(match el.name.as_str() {
            "FieldURI" => PropertyPath::Field(el.attr("FieldURI").unwrap_or("").to_string()),
            "IndexedFieldURI" => PropertyPath::Indexed {
                uri: el.attr("FieldURI").unwrap_or("").to_string(),
                index: el.attr("FieldIndex").unwrap_or("").to_string(),
            },
            "ExtendedFieldURI" => PropertyPath::Extended(ExtendedFieldUri::parse(el)),
            _ => return None,
        })
    }

    /// The first property path among `el`'s children.
    pub fn first_in(el: &Element) -> Option<PropertyPath> {
        el.elements().find_map(PropertyPath::parse)
    }

    /// The element name the path stands for (`item:Subject` -> `Subject`).
    pub fn element_name(&self) -> Option<&str> {
        match self {
            PropertyPath::Field(u) | PropertyPath::Indexed { uri: u, .. } => {
                Some(u.split_once(':').map(|(_, n)| n).unwrap_or(u))
            }
            PropertyPath::Extended(_) => None,
        }
    }

    pub fn write(&self, w: &mut Writer) {
        match self {
            PropertyPath::Field(u) => w.empty("t:FieldURI", &[("FieldURI", u)]),
            PropertyPath::Indexed { uri, index } => w.empty(
                "t:IndexedFieldURI",
                &[("FieldURI", uri), ("FieldIndex", index)],
            ),
            PropertyPath::Extended(e) => e.write(w),
        }
    }
}
