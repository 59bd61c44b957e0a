//! EWS shapes of folders and items, and resolving the folder and item ids a request names.

use super::Caller;
use crate::server::OnPremState;
use ews::Element;
use ews::xml::{escape, write_prefixed};
use serde_json::{Map, Value};
use store::{FolderRow, ItemRow, StoreError};

/// A per-message failure: response code and text.
pub type MessageError = (&'static str, String);

pub fn change_key(version: i64) -> String {
    format!("CK{version}")
}

pub fn iso(ms: i64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp(ms.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    t.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// The folder element's tag for its class.
fn folder_tag(f: &FolderRow) -> &'static str {
    match f.folder_class.as_deref() {
        Some(c) if c.starts_with("IPF.Appointment") => "CalendarFolder",
        Some(c) if c.starts_with("IPF.Contact") => "ContactsFolder",
        Some(c) if c.starts_with("IPF.Task") => "TasksFolder",
        _ => "Folder",
    }
}

/// A folder as GetFolder/FindFolder return it.
pub fn folder_xml(f: &FolderRow, all: &[FolderRow], counts: &[(String, i64, i64)]) -> String {
    let tag = folder_tag(f);
    let (total, unread) = counts
        .iter()
        .find(|(id, _, _)| *id == f.id)
        .map(|(_, t, u)| (*t, *u))
        .unwrap_or((0, 0));
    let children = all
        .iter()
        .filter(|c| c.parent_id.as_deref() == Some(f.id.as_str()))
        .count();
    let mut x = format!(
        r#"<t:{tag}><t:FolderId Id="{}" ChangeKey="{}"/>"#,
        f.id,
        change_key(f.version)
    );
    if let Some(p) = f
        .parent_id
        .as_deref()
        .and_then(|p| all.iter().find(|a| a.id == p))
    {
        x.push_str(&format!(
            r#"<t:ParentFolderId Id="{}" ChangeKey="{}"/>"#,
            p.id,
            change_key(p.version)
        ));
    }
    if let Some(c) = &f.folder_class {
        x.push_str(&format!("<t:FolderClass>{}</t:FolderClass>", escape(c)));
    }
    x.push_str(&format!(
        "<t:DisplayName>{}</t:DisplayName>",
        escape(&f.display_name)
    ));
    x.push_str(&format!(
        "<t:TotalCount>{total}</t:TotalCount><t:ChildFolderCount>{children}</t:ChildFolderCount>"
    ));
    if tag == "Folder" || tag == "TasksFolder" {
        x.push_str(&format!("<t:UnreadCount>{unread}</t:UnreadCount>"));
    }
    x.push_str("<t:EffectiveRights><t:CreateAssociated>true</t:CreateAssociated><t:CreateContents>true</t:CreateContents><t:CreateHierarchy>true</t:CreateHierarchy><t:Delete>true</t:Delete><t:Modify>true</t:Modify><t:Read>true</t:Read><t:ViewPrivateItems>true</t:ViewPrivateItems></t:EffectiveRights>");
    if let Some(d) = &f.distinguished {
        x.push_str(&format!(
            "<t:DistinguishedFolderId>{d}</t:DistinguishedFolderId>"
        ));
    }
    x.push_str(&format!("</t:{tag}>"));
    x
}

/// The mailbox's folders, loaded once per request.
pub struct MailboxView {
    pub folders: Vec<FolderRow>,
}

impl MailboxView {
    pub async fn load(state: &OnPremState, c: &Caller) -> Result<MailboxView, StoreError> {
        Ok(MailboxView {
            folders: state.store.mailboxes().folders(&c.mailbox.guid).await?,
        })
    }

    pub fn distinguished(&self, name: &str) -> Option<&FolderRow> {
        self.folders
            .iter()
            .find(|f| f.distinguished.as_deref() == Some(name))
    }

    /// The folder a `t:FolderId` or `t:DistinguishedFolderId` names, in the caller's mailbox.
    pub fn resolve(
        &self,
        state: &OnPremState,
        c: &Caller,
        el: &Element,
    ) -> Result<&FolderRow, MessageError> {
        match el.name.as_str() {
            "DistinguishedFolderId" => {
                if let Some(addr) = el
                    .child("Mailbox")
                    .and_then(|m| m.child_text("EmailAddress"))
                    .filter(|a| !a.is_empty())
                    && !c.mailbox.has_address(&addr)
                {
                    let trust = state.trust();
                    return match trust.user_by_address(&addr) {
                        Some(u) if u.has_mailbox() => Err((
                            "ErrorAccessDenied",
                            format!(
                                "Access is denied. Check credentials and try again. (mailbox {addr})"
                            ),
                        )),
                        _ => Err((
                            "ErrorNonExistentMailbox",
                            format!("The SMTP address has no mailbox associated with it: {addr}"),
                        )),
                    };
                }
                let id = el.attr("Id").unwrap_or("");
                self.distinguished(id).ok_or_else(|| {
                    (
                        "ErrorFolderNotFound",
                        format!("The specified folder could not be found in the store. ({id})"),
                    )
                })
            }
            "FolderId" => {
                let id = el.attr("Id").unwrap_or("");
                self.folders.iter().find(|f| f.id == id).ok_or_else(|| {
                    (
                        "ErrorFolderNotFound",
                        "The specified folder could not be found in the store.".to_string(),
                    )
                })
            }
            other => Err((
                "ErrorInvalidRequest",
                format!("'{other}' is not a folder id."),
            )),
        }
    }
}

/// Booleans as `true`/`false`, whatever the client wrote.
pub fn normalize_bool(text: &str) -> Option<&'static str> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Some("true"),
        "false" | "0" | "off" => Some("false"),
        _ => None,
    }
}

/// Elements whose text is an xs:boolean.
pub fn is_boolean_element(name: &str) -> bool {
    name.starts_with("Is")
        || name == "ReminderIsSet"
        || name.ends_with("Requested")
        || name == "HasAttachments"
}

/// Normalises the booleans of an element and its descendants (and ExtendedProperty values of
/// PropertyType Boolean).
pub fn normalize(el: &mut Element) {
    let boolean_ext = el.name == "ExtendedProperty"
        && el
            .child("ExtendedFieldURI")
            .and_then(|u| u.attr("PropertyType"))
            == Some("Boolean");
    let self_bool = is_boolean_element(&el.name) || (boolean_ext && el.name == "Value");
    if self_bool && el.elements().next().is_none() {
        let t = el.text();
        if let Some(b) = normalize_bool(&t) {
            el.children = vec![ews::Node::Text(b.to_string())];
        }
    }
    for child in el.children.iter_mut() {
        if let ews::Node::Element(c) = child {
            if boolean_ext && c.name == "Value" {
                if let Some(b) = normalize_bool(&c.text()) {
                    c.children = vec![ews::Node::Text(b.to_string())];
                }
            } else {
                normalize(c);
            }
        }
    }
}

/// The key an extended property is stored under: its ExtendedFieldURI attributes, normalised
/// (PropertyTag in lowercase hex without leading zeros).
pub fn extended_key(uri: &Element) -> String {
    let mut attrs: Vec<(String, String)> = uri
        .attrs
        .iter()
        .filter(|(k, _)| k != "PropertyType")
        .map(|(k, v)| {
            let v = if k == "PropertyTag" {
                normalize_tag(v)
            } else {
                v.to_ascii_lowercase()
            };
            (k.clone(), v)
        })
        .collect();
    attrs.sort();
    attrs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(";")
}

pub fn normalize_tag(v: &str) -> String {
    let t = v.trim().to_ascii_lowercase();
    let hex = t.strip_prefix("0x").unwrap_or(&t);
    match u32::from_str_radix(hex, 16) {
        Ok(n) => format!("0x{n:x}"),
        Err(_) => t,
    }
}

/// An item's stored properties: element fragments by name, extended-property fragments by
/// key, and extended-property value texts by key (for restrictions).
#[derive(Debug, Default)]
pub struct Props {
    pub el: Map<String, Value>,
    pub ext: Map<String, Value>,
    pub extv: Map<String, Value>,
}

impl Props {
    pub fn of(item: &ItemRow) -> Props {
        let v: Value = serde_json::from_str(&item.props).unwrap_or(Value::Null);
        let map = |k: &str| {
            v.get(k)
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default()
        };
        Props {
            el: map("el"),
            ext: map("ext"),
            extv: map("extv"),
        }
    }

    pub fn to_json(&self) -> String {
        serde_json::json!({ "el": self.el, "ext": self.ext, "extv": self.extv }).to_string()
    }
}

pub fn fragment(el: &Element) -> String {
    let mut s = String::new();
    write_prefixed(el, "t", &mut s);
    s
}

/// What to return of an item.
pub enum Shape {
    IdOnly,
    All,
    /// IdOnly plus these element names and these extended-property keys.
    Some(Vec<String>, Vec<String>),
}

impl Shape {
    /// From an ItemShape element.
    pub fn parse(shape: Option<&Element>) -> Shape {
        let Some(shape) = shape else {
            return Shape::IdOnly;
        };
        let base = shape.child_text("BaseShape").unwrap_or_default();
        if base == "AllProperties" || base == "Default" {
            return Shape::All;
        }
        let mut names = Vec::new();
        let mut ext = Vec::new();
        for p in shape
            .child("AdditionalProperties")
            .into_iter()
            .flat_map(|a| a.elements())
        {
            match p.name.as_str() {
                "FieldURI" => {
                    if let Some(u) = p.attr("FieldURI") {
                        names.push(u.split(':').nth(1).unwrap_or(u).to_string());
                    }
                }
                "ExtendedFieldURI" => ext.push(extended_key(p)),
                _ => {}
            }
        }
        if names.is_empty() && ext.is_empty() {
            Shape::IdOnly
        } else {
            Shape::Some(names, ext)
        }
    }

    fn wants(&self, name: &str) -> bool {
        match self {
            Shape::IdOnly => false,
            Shape::All => true,
            Shape::Some(n, _) => n.iter().any(|x| x == name),
        }
    }

    fn wants_ext(&self, key: &str) -> bool {
        match self {
            Shape::IdOnly => false,
            Shape::All => true,
            Shape::Some(_, e) => e.iter().any(|x| x == key),
        }
    }
}

/// An item as GetItem/FindItem/CreateItem return it.
pub fn item_xml(
    item: &ItemRow,
    folder: Option<&FolderRow>,
    shape: &Shape,
    with_body: bool,
) -> String {
    let tag = &item.tag;
    let mut x = format!(
        r#"<t:{tag}><t:ItemId Id="{}" ChangeKey="{}"/>"#,
        item.id,
        change_key(item.version)
    );
    if shape.wants("ParentFolderId")
        && let Some(f) = folder
    {
        x.push_str(&format!(
            r#"<t:ParentFolderId Id="{}" ChangeKey="{}"/>"#,
            f.id,
            change_key(f.version)
        ));
    }
    if shape.wants("ItemClass") {
        x.push_str(&format!(
            "<t:ItemClass>{}</t:ItemClass>",
            escape(&item.item_class)
        ));
    }
    if shape.wants("Subject") {
        x.push_str(&format!("<t:Subject>{}</t:Subject>", escape(&item.subject)));
    }
    let Props { el, ext, .. } = Props::of(item);
    for (name, frag) in &el {
        if (name == "Body" || name == "MimeContent") && !with_body {
            continue;
        }
        if shape.wants(name)
            && let Some(f) = frag.as_str()
        {
            x.push_str(f);
        }
    }
    let computed = [
        ("DateTimeReceived", iso(item.received_ms)),
        ("Size", item.size.to_string()),
        ("DateTimeCreated", iso(item.created_ms)),
        ("LastModifiedTime", iso(item.modified_ms)),
        ("IsRead", item.is_read.to_string()),
        ("IsDraft", item.is_draft.to_string()),
    ];
    for (name, value) in computed {
        if shape.wants(name) {
            x.push_str(&format!("<t:{name}>{value}</t:{name}>"));
        }
    }
    for (key, frag) in &ext {
        if shape.wants_ext(key)
            && let Some(f) = frag.as_str()
        {
            x.push_str(f);
        }
    }
    x.push_str(&format!("</t:{tag}>"));
    x
}
