//! Items, their bodies, and effective rights.

use super::*;

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

    pub(crate) fn parse(el: &Element) -> EffectiveRights {
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

    pub(crate) fn write(&self, w: &mut Writer) {
        w.open("t:EffectiveRights", &[]);
        for (n, v) in self.fields() {
            w.leaf(&format!("t:{n}"), bool_text(v));
        }
        w.close("t:EffectiveRights");
    }
}
