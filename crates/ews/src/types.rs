//! The EWS types shared by requests and responses (`t:` elements): ids, shapes, property paths,
//! restrictions, sort orders, paging, items, folders and user configurations. Each type reads
//! itself from a parsed element and writes itself through the [`Writer`].

use crate::EwsError;
use crate::writer::Writer;
use crate::xml::{Element, Node};

pub(crate) fn bad(m: impl Into<String>) -> EwsError {
    EwsError::Malformed(m.into())
}

/// xs:boolean as clients write it (`true`, `false`, `1`, `0`), any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Some(true),
        "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

pub(crate) fn bool_text(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

/// An xs:duration in whole minutes (`-PT60M`, `PT2H30M`, `P0DT1H0M0.0S`): what time zone
/// biases and offsets are written as. Years and months are refused (they have no fixed length).
pub fn duration_minutes(text: &str) -> Option<i32> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t),
    };
    let t = t.strip_prefix('P')?;
    let (days, time) = match t.split_once('T') {
        Some((d, time)) => (d, time),
        None => (t, ""),
    };
    let mut total = 0f64;
    let mut number = String::new();
    for (part, units) in [
        (days, &[('D', 1440.0)][..]),
        (time, &[('H', 60.0), ('M', 1.0), ('S', 1.0 / 60.0)][..]),
    ] {
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let factor = units.iter().find(|(u, _)| *u == c)?.1;
            total += number.parse::<f64>().ok()? * factor;
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
    }
    if total.abs() > 100_000_000.0 {
        return None;
    }
    Some(sign * total.round() as i32)
}

/// Minutes as an xs:duration, in the form Exchange writes (`-PT60M`, `PT0M`).
pub fn minutes_duration(minutes: i32) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    format!("{sign}PT{}M", minutes.unsigned_abs())
}

/// `t:ItemId`, `t:FolderId`, `t:ParentFolderId`: an opaque id and its change key.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ItemId {
    pub id: String,
    pub change_key: Option<String>,
    /// Set when the id came as `t:OccurrenceItemId` or `t:RecurringMasterItemId`: the item
    /// meant is an occurrence of the series `id` names, or the series of the occurrence.
    pub occurrence: Option<OccurrenceRef>,
}

/// How a request names a calendar item through its series.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceRef {
    /// `t:OccurrenceItemId`: the `InstanceIndex`-th (1-based) occurrence of the master `id`.
    Instance(u32),
    /// `t:RecurringMasterItemId`: the master of the occurrence `id`.
    MasterOf,
}

pub type FolderId = ItemId;

impl ItemId {
    pub fn new(id: impl Into<String>, change_key: impl Into<String>) -> ItemId {
        ItemId {
            id: id.into(),
            change_key: Some(change_key.into()),
            occurrence: None,
        }
    }

    pub fn parse(el: &Element) -> ItemId {
        let change_key = el.attr("ChangeKey").map(str::to_string);
        match el.name.as_str() {
            "OccurrenceItemId" => ItemId {
                id: el.attr("RecurringMasterId").unwrap_or("").to_string(),
                change_key,
                occurrence: Some(OccurrenceRef::Instance(
                    el.attr("InstanceIndex")
                        .and_then(|i| i.trim().parse().ok())
                        .unwrap_or(0),
                )),
            },
            "RecurringMasterItemId" => ItemId {
                id: el.attr("OccurrenceId").unwrap_or("").to_string(),
                change_key,
                occurrence: Some(OccurrenceRef::MasterOf),
            },
            _ => ItemId {
                id: el.attr("Id").unwrap_or("").to_string(),
                change_key,
                occurrence: None,
            },
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        let ck = self.change_key.as_deref().unwrap_or("");
        match self.occurrence {
            Some(OccurrenceRef::Instance(i)) => {
                let index = i.to_string();
                w.empty(
                    "t:OccurrenceItemId",
                    &[
                        ("RecurringMasterId", &self.id),
                        ("ChangeKey", ck),
                        ("InstanceIndex", &index),
                    ],
                );
                return;
            }
            Some(OccurrenceRef::MasterOf) => {
                w.empty(
                    "t:RecurringMasterItemId",
                    &[("OccurrenceId", &self.id), ("ChangeKey", ck)],
                );
                return;
            }
            None => {}
        }
        match &self.change_key {
            Some(ck) => w.empty(name, &[("Id", &self.id), ("ChangeKey", ck)]),
            None => w.empty(name, &[("Id", &self.id)]),
        }
    }
}

/// `t:DistinguishedFolderId`, with the mailbox it names when it names one.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DistinguishedFolderId {
    pub id: String,
    pub change_key: Option<String>,
    pub mailbox: Option<String>,
}

/// A folder as a request names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FolderRef {
    Id(FolderId),
    Distinguished(DistinguishedFolderId),
    /// Any other element where a folder id belongs (answered per message).
    Other(String),
}

impl FolderRef {
    pub fn distinguished(id: &str) -> FolderRef {
        FolderRef::Distinguished(DistinguishedFolderId {
            id: id.into(),
            ..Default::default()
        })
    }

    pub fn parse(el: &Element) -> FolderRef {
        match el.name.as_str() {
            "FolderId" => FolderRef::Id(ItemId::parse(el)),
            "DistinguishedFolderId" => FolderRef::Distinguished(DistinguishedFolderId {
                id: el.attr("Id").unwrap_or("").to_string(),
                change_key: el.attr("ChangeKey").map(str::to_string),
                mailbox: el
                    .child("Mailbox")
                    .and_then(|m| m.child_text("EmailAddress"))
                    .filter(|a| !a.is_empty()),
            }),
            other => FolderRef::Other(other.to_string()),
        }
    }

    /// Every folder id inside `container`.
    pub fn parse_all(container: Option<&Element>) -> Vec<FolderRef> {
        container
            .map(|c| c.elements().map(FolderRef::parse).collect())
            .unwrap_or_default()
    }

    pub fn write(&self, w: &mut Writer) {
        match self {
            FolderRef::Id(id) => id.write(w, "t:FolderId"),
            FolderRef::Distinguished(d) => {
                let mut attrs = vec![("Id", d.id.as_str())];
                if let Some(ck) = &d.change_key {
                    attrs.push(("ChangeKey", ck));
                }
                match &d.mailbox {
                    None => w.empty("t:DistinguishedFolderId", &attrs),
                    Some(m) => {
                        w.open("t:DistinguishedFolderId", &attrs);
                        w.open("t:Mailbox", &[]);
                        w.leaf("t:EmailAddress", m);
                        w.close("t:Mailbox");
                        w.close("t:DistinguishedFolderId");
                    }
                }
            }
            FolderRef::Other(name) => w.empty(&format!("t:{name}"), &[]),
        }
    }
}

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BaseShape {
    #[default]
    IdOnly,
    Default,
    AllProperties,
}

impl BaseShape {
    fn parse(t: &str) -> Result<BaseShape, EwsError> {
        Ok(match t {
            "IdOnly" => BaseShape::IdOnly,
            "Default" => BaseShape::Default,
            "AllProperties" => BaseShape::AllProperties,
            other => return Err(bad(format!("'{other}' is not a BaseShape"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            BaseShape::IdOnly => "IdOnly",
            BaseShape::Default => "Default",
            BaseShape::AllProperties => "AllProperties",
        }
    }
}

/// `m:ItemShape` / `m:FolderShape`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Shape {
    pub base: BaseShape,
    pub include_mime_content: bool,
    pub body_type: Option<String>,
    pub additional: Vec<PropertyPath>,
}

impl Shape {
    pub fn id_only() -> Shape {
        Shape::default()
    }

    pub fn with(fields: &[&str]) -> Shape {
        Shape {
            additional: fields.iter().map(|f| PropertyPath::field(f)).collect(),
            ..Shape::default()
        }
    }

    pub fn parse(el: Option<&Element>) -> Result<Shape, EwsError> {
        let Some(el) = el else {
            return Ok(Shape::default());
        };
        Ok(Shape {
            base: BaseShape::parse(&el.child_text("BaseShape").unwrap_or_default())?,
            include_mime_content: el
                .child_text("IncludeMimeContent")
                .and_then(|t| parse_bool(&t))
                .unwrap_or(false),
            body_type: el.child_text("BodyType"),
            additional: el
                .child("AdditionalProperties")
                .map(|a| a.elements().filter_map(PropertyPath::parse).collect())
                .unwrap_or_default(),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:BaseShape", self.base.name());
        if self.include_mime_content {
            w.leaf("t:IncludeMimeContent", "true");
        }
        w.opt_leaf("t:BodyType", self.body_type.as_deref());
        if !self.additional.is_empty() {
            w.open("t:AdditionalProperties", &[]);
            for p in &self.additional {
                p.write(w);
            }
            w.close("t:AdditionalProperties");
        }
        w.close(name);
    }
}

/// `m:IndexedPageItemView` / `m:IndexedPageFolderView`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexedPageView {
    pub max_entries: Option<u32>,
    pub offset: u32,
    /// `Beginning` (false) or `End` (true).
    pub from_end: bool,
}

impl IndexedPageView {
    pub fn new(max_entries: u32, offset: u32) -> IndexedPageView {
        IndexedPageView {
            max_entries: Some(max_entries),
            offset,
            from_end: false,
        }
    }

    pub fn parse(el: &Element) -> Result<IndexedPageView, EwsError> {
        let num = |n: &str| -> Result<Option<u32>, EwsError> {
            el.attr(n)
                .map(|v| {
                    v.trim()
                        .parse::<u32>()
                        .map_err(|_| bad(format!("{n} '{v}' is not a non-negative integer")))
                })
                .transpose()
        };
        Ok(IndexedPageView {
            max_entries: num("MaxEntriesReturned")?,
            offset: num("Offset")?.unwrap_or(0),
            from_end: el.attr("BasePoint") == Some("End"),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        let max = self.max_entries.map(|m| m.to_string());
        let offset = self.offset.to_string();
        let mut attrs = Vec::new();
        if let Some(m) = &max {
            attrs.push(("MaxEntriesReturned", m.as_str()));
        }
        attrs.push(("Offset", offset.as_str()));
        attrs.push(("BasePoint", if self.from_end { "End" } else { "Beginning" }));
        w.empty(name, &attrs);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ComparisonOp {
    IsEqualTo,
    IsNotEqualTo,
    IsGreaterThan,
    IsGreaterThanOrEqualTo,
    IsLessThan,
    IsLessThanOrEqualTo,
}

impl ComparisonOp {
    const ALL: [ComparisonOp; 6] = [
        ComparisonOp::IsEqualTo,
        ComparisonOp::IsNotEqualTo,
        ComparisonOp::IsGreaterThan,
        ComparisonOp::IsGreaterThanOrEqualTo,
        ComparisonOp::IsLessThan,
        ComparisonOp::IsLessThanOrEqualTo,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ComparisonOp::IsEqualTo => "IsEqualTo",
            ComparisonOp::IsNotEqualTo => "IsNotEqualTo",
            ComparisonOp::IsGreaterThan => "IsGreaterThan",
            ComparisonOp::IsGreaterThanOrEqualTo => "IsGreaterThanOrEqualTo",
            ComparisonOp::IsLessThan => "IsLessThan",
            ComparisonOp::IsLessThanOrEqualTo => "IsLessThanOrEqualTo",
        }
    }

    fn from_name(n: &str) -> Option<ComparisonOp> {
        ComparisonOp::ALL.into_iter().find(|o| o.name() == n)
    }
}

/// A restriction as the wire has it. Forms this server cannot evaluate still parse
/// ([`Restriction::Unsupported`]), so that the answer is a per-message error, as Exchange's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Restriction {
    Compare {
        op: ComparisonOp,
        path: Option<PropertyPath>,
        /// The constant's value; None when the right side is another property.
        constant: Option<String>,
    },
    Contains {
        path: Option<PropertyPath>,
        mode: String,
        comparison: String,
        constant: Option<String>,
    },
    Exists(Option<PropertyPath>),
    And(Vec<Restriction>),
    Or(Vec<Restriction>),
    Not(Option<Box<Restriction>>),
    Unsupported(String),
}

impl Restriction {
    pub fn parse(el: &Element) -> Restriction {
        let path = PropertyPath::first_in(el);
        let constant = el
            .child("FieldURIOrConstant")
            .and_then(|f| f.child("Constant"))
            .or_else(|| el.child("Constant"))
            .and_then(|c| c.attr("Value"))
            .map(str::to_string);
        if let Some(op) = ComparisonOp::from_name(&el.name) {
            return Restriction::Compare { op, path, constant };
        }
        match el.name.as_str() {
            "Contains" => Restriction::Contains {
                path,
                mode: el.attr("ContainmentMode").unwrap_or("Substring").into(),
                comparison: el.attr("ContainmentComparison").unwrap_or("Exact").into(),
                constant,
            },
            "Exists" => Restriction::Exists(path),
            "And" => Restriction::And(el.elements().map(Restriction::parse).collect()),
            "Or" => Restriction::Or(el.elements().map(Restriction::parse).collect()),
            "Not" => Restriction::Not(
                el.elements()
                    .next()
                    .map(|e| Box::new(Restriction::parse(e))),
            ),
            other => Restriction::Unsupported(other.to_string()),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        let constant = |w: &mut Writer, c: &Option<String>| {
            if let Some(c) = c {
                w.empty("t:Constant", &[("Value", c)]);
            }
        };
        match self {
            Restriction::Compare {
                op,
                path,
                constant: c,
            } => {
                let name = format!("t:{}", op.name());
                w.open(&name, &[]);
                if let Some(p) = path {
                    p.write(w);
                }
                w.open("t:FieldURIOrConstant", &[]);
                constant(w, c);
                w.close("t:FieldURIOrConstant");
                w.close(&name);
            }
            Restriction::Contains {
                path,
                mode,
                comparison,
                constant: c,
            } => {
                w.open(
                    "t:Contains",
                    &[
                        ("ContainmentMode", mode),
                        ("ContainmentComparison", comparison),
                    ],
                );
                if let Some(p) = path {
                    p.write(w);
                }
                constant(w, c);
                w.close("t:Contains");
            }
            Restriction::Exists(path) => {
                w.open("t:Exists", &[]);
                if let Some(p) = path {
                    p.write(w);
                }
                w.close("t:Exists");
            }
            Restriction::And(all) | Restriction::Or(all) => {
                let name = if matches!(self, Restriction::And(_)) {
                    "t:And"
                } else {
                    "t:Or"
                };
                w.open(name, &[]);
                for r in all {
                    r.write(w);
                }
                w.close(name);
            }
            Restriction::Not(inner) => {
                w.open("t:Not", &[]);
                if let Some(r) = inner {
                    r.write(w);
                }
                w.close("t:Not");
            }
            Restriction::Unsupported(name) => w.empty(&format!("t:{name}"), &[]),
        }
    }
}

/// `t:FieldOrder`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldOrder {
    pub path: Option<PropertyPath>,
    pub descending: bool,
}

impl FieldOrder {
    pub fn parse_all(el: Option<&Element>) -> Vec<FieldOrder> {
        el.into_iter()
            .flat_map(|s| s.children_named("FieldOrder"))
            .map(|fo| FieldOrder {
                path: PropertyPath::first_in(fo),
                descending: fo.attr("Order") == Some("Descending"),
            })
            .collect()
    }

    pub fn write(&self, w: &mut Writer) {
        w.open(
            "t:FieldOrder",
            &[(
                "Order",
                if self.descending {
                    "Descending"
                } else {
                    "Ascending"
                },
            )],
        );
        if let Some(p) = &self.path {
            p.write(w);
        }
        w.close("t:FieldOrder");
    }
}

/// `t:Body`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Body {
    pub body_type: String,
    pub text: String,
}

/// An item (`t:Message`, `t:Item`, `t:CalendarItem`, …). The properties this server gives
/// meaning to are fields; every other property element is kept as it was sent, in order.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The element name: Message, Item, CalendarItem, Contact, Task, PostItem, …
    pub kind: String,
    /// `t:MimeContent`, base64 (the item as an RFC 5322 message).
    pub mime_content: Option<String>,
    pub item_id: Option<ItemId>,
    pub parent_folder_id: Option<FolderId>,
    pub item_class: Option<String>,
    pub subject: Option<String>,
    pub body: Option<Body>,
    /// `t:Attachments`, when the item carries or is shown with them.
    pub attachments: Option<Vec<crate::attachment::Attachment>>,
    pub date_time_received: Option<String>,
    pub size: Option<i64>,
    pub date_time_created: Option<String>,
    pub last_modified_time: Option<String>,
    pub is_read: Option<bool>,
    pub is_draft: Option<bool>,
    pub other: Vec<Element>,
    pub extended: Vec<ExtendedProperty>,
}

/// Elements whose text is an xs:boolean, normalised to `true`/`false` when kept.
pub fn is_boolean_element(name: &str) -> bool {
    name.starts_with("Is")
        || name == "ReminderIsSet"
        || name.ends_with("Requested")
        || name.starts_with("Allow")
        || name == "MeetingRequestWasSent"
        || name == "HasAttachments"
}

/// Normalises the xs:boolean texts of a kept property and its descendants, and drops their
/// namespace (every one is written back in the types namespace).
pub fn normalize_booleans(el: &mut Element) {
    el.ns.clear();
    if is_boolean_element(&el.name) && el.elements().next().is_none() {
        if let Some(b) = parse_bool(&el.text()) {
            el.children = vec![Node::Text(bool_text(b).into())];
        }
        return;
    }
    for child in el.children.iter_mut() {
        if let Node::Element(c) = child {
            normalize_booleans(c);
        }
    }
}

impl Item {
    pub fn new(kind: &str) -> Item {
        Item {
            kind: kind.into(),
            ..Default::default()
        }
    }

    pub fn parse(el: &Element) -> Item {
        let mut item = Item::new(&el.name);
        for c in el.elements() {
            match c.name.as_str() {
                "MimeContent" => item.mime_content = Some(c.text().split_whitespace().collect()),
                "ItemId" => item.item_id = Some(ItemId::parse(c)),
                "ParentFolderId" => item.parent_folder_id = Some(ItemId::parse(c)),
                "ItemClass" => item.item_class = Some(c.text().trim().to_string()),
                "Subject" => item.subject = Some(c.text()),
                "Body" => {
                    let text = if c.elements().next().is_some() {
                        c.inner_markup()
                    } else {
                        c.text()
                    };
                    item.body = Some(Body {
                        body_type: c.attr("BodyType").unwrap_or("Text").into(),
                        text,
                    })
                }
                "Attachments" => {
                    item.attachments = Some(crate::attachment::Attachment::parse_all(Some(c)))
                }
                "DateTimeReceived" => item.date_time_received = Some(c.text().trim().into()),
                "Size" => item.size = c.text().trim().parse().ok(),
                "DateTimeCreated" => item.date_time_created = Some(c.text().trim().into()),
                "LastModifiedTime" => item.last_modified_time = Some(c.text().trim().into()),
                "IsRead" => item.is_read = parse_bool(&c.text()),
                "IsDraft" => item.is_draft = parse_bool(&c.text()),
                "ExtendedProperty" => item.extended.extend(ExtendedProperty::parse(c)),
                _ => {
                    let mut kept = c.clone();
                    normalize_booleans(&mut kept);
                    item.other.push(kept);
                }
            }
        }
        item
    }

    pub fn write(&self, w: &mut Writer) {
        let name = format!("t:{}", self.kind);
        w.open(&name, &[]);
        if let Some(m) = &self.mime_content {
            w.leaf_with("t:MimeContent", &[("CharacterSet", "UTF-8")], m);
        }
        if let Some(id) = &self.item_id {
            id.write(w, "t:ItemId");
        }
        if let Some(id) = &self.parent_folder_id {
            id.write(w, "t:ParentFolderId");
        }
        w.opt_leaf("t:ItemClass", self.item_class.as_deref());
        w.opt_leaf("t:Subject", self.subject.as_deref());
        if let Some(b) = &self.body {
            w.leaf_with("t:Body", &[("BodyType", &b.body_type)], &b.text);
        }
        if let Some(a) = &self.attachments {
            crate::attachment::write_attachments(w, "t:Attachments", a);
        }
        for e in &self.other {
            w.element(e, "t");
        }
        w.opt_leaf("t:DateTimeReceived", self.date_time_received.as_deref());
        if let Some(s) = self.size {
            w.leaf("t:Size", &s.to_string());
        }
        w.opt_leaf("t:DateTimeCreated", self.date_time_created.as_deref());
        w.opt_leaf("t:LastModifiedTime", self.last_modified_time.as_deref());
        w.bool_leaf("t:IsRead", self.is_read);
        w.bool_leaf("t:IsDraft", self.is_draft);
        for e in &self.extended {
            e.write(w);
        }
        w.close(&name);
    }

    /// The first extended property with this identity.
    pub fn extended_value(&self, uri: &ExtendedFieldUri) -> Option<&str> {
        let key = uri.key();
        self.extended
            .iter()
            .find(|e| e.uri.key() == key)
            .and_then(|e| e.values.first())
            .map(String::as_str)
    }
}

/// `t:EffectiveRights`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EffectiveRights {
    pub create_associated: bool,
    pub create_contents: bool,
    pub create_hierarchy: bool,
    pub delete: bool,
    pub modify: bool,
    pub read: bool,
    pub view_private_items: bool,
}

impl EffectiveRights {
    pub const OWNER: EffectiveRights = EffectiveRights {
        create_associated: true,
        create_contents: true,
        create_hierarchy: true,
        delete: true,
        modify: true,
        read: true,
        view_private_items: true,
    };

    fn fields(&self) -> [(&'static str, bool); 7] {
        [
            ("CreateAssociated", self.create_associated),
            ("CreateContents", self.create_contents),
            ("CreateHierarchy", self.create_hierarchy),
            ("Delete", self.delete),
            ("Modify", self.modify),
            ("Read", self.read),
            ("ViewPrivateItems", self.view_private_items),
        ]
    }

    fn parse(el: &Element) -> EffectiveRights {
        let b = |n: &str| {
            el.child_text(n)
                .and_then(|t| parse_bool(&t))
                .unwrap_or(false)
        };
        EffectiveRights {
            create_associated: b("CreateAssociated"),
            create_contents: b("CreateContents"),
            create_hierarchy: b("CreateHierarchy"),
            delete: b("Delete"),
            modify: b("Modify"),
            read: b("Read"),
            view_private_items: b("ViewPrivateItems"),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.open("t:EffectiveRights", &[]);
        for (n, v) in self.fields() {
            w.leaf(&format!("t:{n}"), bool_text(v));
        }
        w.close("t:EffectiveRights");
    }
}

/// A folder (`t:Folder`, `t:CalendarFolder`, `t:ContactsFolder`, `t:TasksFolder`, …).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folder {
    pub kind: String,
    pub folder_id: Option<FolderId>,
    pub parent_folder_id: Option<FolderId>,
    pub folder_class: Option<String>,
    pub display_name: Option<String>,
    pub total_count: Option<i64>,
    pub child_folder_count: Option<i64>,
    pub extended: Vec<ExtendedProperty>,
    pub effective_rights: Option<EffectiveRights>,
    pub unread_count: Option<i64>,
    pub distinguished_folder_id: Option<String>,
    /// `t:PermissionSet`, kept as the client set it.
    pub permission_set: Option<Element>,
}

impl Folder {
    pub fn parse(el: &Element) -> Folder {
        let num = |n: &str| el.child_text(n).and_then(|t| t.parse().ok());
        Folder {
            kind: el.name.clone(),
            folder_id: el.child("FolderId").map(ItemId::parse),
            parent_folder_id: el.child("ParentFolderId").map(ItemId::parse),
            folder_class: el.child_text("FolderClass"),
            display_name: el.child("DisplayName").map(|d| d.text()),
            total_count: num("TotalCount"),
            child_folder_count: num("ChildFolderCount"),
            extended: el
                .children_named("ExtendedProperty")
                .filter_map(ExtendedProperty::parse)
                .collect(),
            effective_rights: el.child("EffectiveRights").map(EffectiveRights::parse),
            unread_count: num("UnreadCount"),
            distinguished_folder_id: el.child_text("DistinguishedFolderId"),
            permission_set: el.child("PermissionSet").map(|p| {
                let mut p = p.clone();
                normalize_booleans(&mut p);
                p
            }),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        let name = format!("t:{}", self.kind);
        w.open(&name, &[]);
        if let Some(id) = &self.folder_id {
            id.write(w, "t:FolderId");
        }
        if let Some(id) = &self.parent_folder_id {
            id.write(w, "t:ParentFolderId");
        }
        w.opt_leaf("t:FolderClass", self.folder_class.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        let num = |w: &mut Writer, n: &str, v: Option<i64>| {
            if let Some(v) = v {
                w.leaf(n, &v.to_string());
            }
        };
        num(w, "t:TotalCount", self.total_count);
        num(w, "t:ChildFolderCount", self.child_folder_count);
        for e in &self.extended {
            e.write(w);
        }
        if let Some(r) = &self.effective_rights {
            r.write(w);
        }
        w.opt_leaf(
            "t:DistinguishedFolderId",
            self.distinguished_folder_id.as_deref(),
        );
        if let Some(p) = &self.permission_set {
            w.element(p, "t");
        }
        num(w, "t:UnreadCount", self.unread_count);
        w.close(&name);
    }
}

/// `t:UserConfigurationName`: a name in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfigurationName {
    pub name: String,
    pub folder: Option<FolderRef>,
}

impl UserConfigurationName {
    pub fn new(name: &str, folder: FolderRef) -> UserConfigurationName {
        UserConfigurationName {
            name: name.into(),
            folder: Some(folder),
        }
    }

    pub fn parse(el: &Element) -> UserConfigurationName {
        UserConfigurationName {
            name: el.attr("Name").unwrap_or("").to_string(),
            folder: el.elements().next().map(FolderRef::parse),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[("Name", &self.name)]);
        if let Some(f) = &self.folder {
            f.write(w);
        }
        w.close(name);
    }
}

/// A typed dictionary key or value: `t:Type` and its `t:Value`s.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DictionaryObject {
    pub value_type: String,
    pub values: Vec<String>,
}

impl DictionaryObject {
    fn parse(el: &Element) -> DictionaryObject {
        let value_type = el.child_text("Type").unwrap_or_default();
        let values = el
            .children_named("Value")
            .map(|v| {
                let t = v.text();
                match (value_type.as_str(), parse_bool(&t)) {
                    ("Boolean", Some(b)) => bool_text(b).to_string(),
                    _ => t,
                }
            })
            .collect();
        DictionaryObject { value_type, values }
    }

    fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:Type", &self.value_type);
        for v in &self.values {
            w.leaf("t:Value", v);
        }
        w.close(name);
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct DictionaryEntry {
    pub key: DictionaryObject,
    pub value: Option<DictionaryObject>,
}

/// `t:UserConfiguration` / `m:UserConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserConfiguration {
    pub name: UserConfigurationName,
    pub item_id: Option<ItemId>,
    pub dictionary: Option<Vec<DictionaryEntry>>,
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
}

impl UserConfiguration {
    pub fn parse(el: &Element) -> Result<UserConfiguration, EwsError> {
        let name = el
            .child("UserConfigurationName")
            .map(UserConfigurationName::parse)
            .ok_or_else(|| bad("the user configuration has no UserConfigurationName"))?;
        let dictionary = el.child("Dictionary").map(|d| {
            d.children_named("DictionaryEntry")
                .map(|e| DictionaryEntry {
                    key: e
                        .child("DictionaryKey")
                        .map(DictionaryObject::parse)
                        .unwrap_or(DictionaryObject {
                            value_type: String::new(),
                            values: Vec::new(),
                        }),
                    value: e.child("DictionaryValue").map(DictionaryObject::parse),
                })
                .collect()
        });
        Ok(UserConfiguration {
            name,
            item_id: el.child("ItemId").map(ItemId::parse),
            dictionary,
            xml_data: el.child_text("XmlData"),
            binary_data: el.child_text("BinaryData"),
        })
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        self.name.write(w, "t:UserConfigurationName");
        if let Some(id) = &self.item_id {
            id.write(w, "t:ItemId");
        }
        if let Some(d) = &self.dictionary {
            w.open("t:Dictionary", &[]);
            for e in d {
                w.open("t:DictionaryEntry", &[]);
                e.key.write(w, "t:DictionaryKey");
                if let Some(v) = &e.value {
                    v.write(w, "t:DictionaryValue");
                }
                w.close("t:DictionaryEntry");
            }
            w.close("t:Dictionary");
        }
        w.opt_leaf("t:XmlData", self.xml_data.as_deref());
        w.opt_leaf("t:BinaryData", self.binary_data.as_deref());
        w.close(name);
    }
}

/// `t:Mailbox` of a resolution.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EmailAddress {
    pub name: Option<String>,
    pub email_address: String,
    pub routing_type: String,
    pub mailbox_type: String,
}

impl EmailAddress {
    /// From a `t:Mailbox`-shaped element (`t:Address`, `t:Id`, …).
    pub fn parse(el: &Element) -> EmailAddress {
        EmailAddress {
            name: el.child_text("Name"),
            email_address: el.child_text("EmailAddress").unwrap_or_default(),
            routing_type: el.child_text("RoutingType").unwrap_or_default(),
            mailbox_type: el.child_text("MailboxType").unwrap_or_default(),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.opt_leaf("t:Name", self.name.as_deref());
        w.leaf("t:EmailAddress", &self.email_address);
        if !self.routing_type.is_empty() {
            w.leaf("t:RoutingType", &self.routing_type);
        }
        if !self.mailbox_type.is_empty() {
            w.leaf("t:MailboxType", &self.mailbox_type);
        }
        w.close(name);
    }
}

/// `t:Resolution`: a mailbox, and its contact data when asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolution {
    pub mailbox: EmailAddress,
    pub contact: Option<Contact>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub display_name: String,
    /// `(Key, value)` of `t:EmailAddresses/t:Entry`.
    pub email_addresses: Vec<(String, String)>,
}

impl Resolution {
    pub fn parse(el: &Element) -> Resolution {
        let m = el.child("Mailbox");
        let t = |n: &str| m.and_then(|m| m.child_text(n)).unwrap_or_default();
        Resolution {
            mailbox: EmailAddress {
                name: m.and_then(|m| m.child_text("Name")),
                email_address: t("EmailAddress"),
                routing_type: t("RoutingType"),
                mailbox_type: t("MailboxType"),
            },
            contact: el.child("Contact").map(|c| Contact {
                display_name: c.child_text("DisplayName").unwrap_or_default(),
                email_addresses: c
                    .child("EmailAddresses")
                    .into_iter()
                    .flat_map(|e| e.children_named("Entry"))
                    .map(|e| (e.attr("Key").unwrap_or("").to_string(), e.text()))
                    .collect(),
            }),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:Resolution", &[]);
        w.open("t:Mailbox", &[]);
        w.opt_leaf("t:Name", self.mailbox.name.as_deref());
        w.leaf("t:EmailAddress", &self.mailbox.email_address);
        w.leaf("t:RoutingType", &self.mailbox.routing_type);
        w.leaf("t:MailboxType", &self.mailbox.mailbox_type);
        w.close("t:Mailbox");
        if let Some(c) = &self.contact {
            w.open("t:Contact", &[]);
            w.leaf("t:DisplayName", &c.display_name);
            w.open("t:EmailAddresses", &[]);
            for (k, v) in &c.email_addresses {
                w.leaf_with("t:Entry", &[("Key", k)], v);
            }
            w.close("t:EmailAddresses");
            w.close("t:Contact");
        }
        w.close("t:Resolution");
    }
}
