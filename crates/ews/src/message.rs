//! One response message: its class, code and text, and the typed payload it carries; written by
//! servers and read by clients through the same types.

use crate::code::ResponseCode;
use crate::operations::{MailTips, ServiceConfiguration};
use crate::types::*;
use crate::writer::Writer;
use crate::xml::Element;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    Success,
    Warning,
    Error,
}

impl ResponseClass {
    pub(crate) fn name(self) -> &'static str {
        match self {
            ResponseClass::Success => "Success",
            ResponseClass::Warning => "Warning",
            ResponseClass::Error => "Error",
        }
    }

    pub(crate) fn parse(v: &str) -> ResponseClass {
        match v {
            "Success" => ResponseClass::Success,
            "Warning" => ResponseClass::Warning,
            _ => ResponseClass::Error,
        }
    }
}

/// `m:RootFolder` of FindItem and FindFolder.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct RootFolder<T> {
    pub indexed_paging_offset: usize,
    pub total_items_in_view: usize,
    pub includes_last_item_in_range: bool,
    pub entries: Vec<T>,
}

/// What a response message carries besides its status.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Payload {
    #[default]
    None,
    Folders(Vec<Folder>),
    Items(Vec<Item>),
    /// UpdateItem's items and `m:ConflictResults/t:Count`.
    UpdatedItems {
        items: Vec<Item>,
        conflicts: u32,
    },
    FoundItems(RootFolder<Item>),
    FoundFolders(RootFolder<Folder>),
    UserConfiguration(UserConfiguration),
    Resolutions(RootFolder<Resolution>),
    /// CreateAttachment's and GetAttachment's `m:Attachments`.
    Attachments(Vec<crate::attachment::Attachment>),
    /// DeleteAttachment's `m:RootItemId`: the item the attachment belonged to, as it is now.
    RootItemId {
        id: String,
        change_key: String,
    },
    /// GetInboxRules' `m:OutlookRuleBlobExists` and `m:InboxRules`.
    InboxRules {
        outlook_rule_blob_exists: bool,
        rules: Vec<crate::rules::Rule>,
    },
    /// A refused UpdateInboxRules' `m:RuleOperationErrors`.
    RuleOperationErrors(Vec<crate::rules::RuleOperationError>),
    /// ExportItems' `m:ItemId` and `m:Data` (the item, opaque to clients, base64).
    Exported {
        item_id: ItemId,
        data: String,
    },
    /// UploadItems' `m:ItemId`.
    ItemId(ItemId),
    SyncFolderHierarchy(crate::sync::SyncAnswer<Folder>),
    SyncFolderItems(crate::sync::SyncAnswer<Item>),
    /// GetServiceConfiguration's configurations.
    ServiceConfiguration(ServiceConfiguration),
    /// GetMailTips' `m:MailTips` for one recipient.
    MailTips(MailTips),
    /// The delegate operations' `m:DelegateUser`.
    DelegateUser(crate::delegate::DelegateUser),
    /// GetRoomLists' `m:RoomLists` (`t:Address` each).
    RoomLists(Vec<crate::types::EmailAddress>),
    /// GetRooms' `m:Rooms` (`t:Room/t:Id` each).
    Rooms(Vec<crate::types::EmailAddress>),
    /// GetUserOofSettings' `t:OofSettings` (with `m:AllowExternalOof`).
    OofSettings(crate::availability::OofSettings),
    /// GetUserAvailability's `m:FreeBusyView` for one mailbox.
    FreeBusyView(crate::availability::FreeBusyView),
    /// GetServerTimeZones' `m:TimeZoneDefinitions`.
    TimeZoneDefinitions(Vec<crate::timezone::TimeZoneDefinition>),
    /// MarkAsJunk's `m:MovedItemId`, when the item was moved.
    MovedItemId(ItemId),
    /// Subscribe's `m:SubscriptionId` and (pull and push) `m:Watermark`.
    Subscribed {
        subscription_id: String,
        watermark: Option<String>,
    },
    /// GetEvents' `m:Notification`.
    Notification(crate::notification::Notification),
    /// One GetStreamingEvents envelope's notifications, failed subscriptions and status.
    StreamingEvents(crate::notification::StreamingEvents),
    /// FindPeople's page of personas.
    People(crate::persona::People),
    /// GetPersona's `m:Persona`.
    Persona(crate::persona::Persona),
    /// ConvertId's converted id.
    AlternateId {
        format: String,
        id: String,
        mailbox: String,
    },
}

/// One `m:{Op}ResponseMessage`.
#[derive(Debug, Clone, PartialEq)]
pub struct ResponseMessage {
    pub class: ResponseClass,
    pub code: String,
    pub text: Option<String>,
    pub payload: Payload,
}

impl ResponseMessage {
    pub fn success(payload: Payload) -> ResponseMessage {
        ResponseMessage {
            class: ResponseClass::Success,
            code: ResponseCode::NoError.as_str().into(),
            text: None,
            payload,
        }
    }

    pub fn error(code: ResponseCode, text: impl Into<String>) -> ResponseMessage {
        ResponseMessage {
            class: ResponseClass::Error,
            code: code.as_str().into(),
            text: Some(text.into()),
            payload: Payload::None,
        }
    }

    pub fn warning(
        code: ResponseCode,
        text: impl Into<String>,
        payload: Payload,
    ) -> ResponseMessage {
        ResponseMessage {
            class: ResponseClass::Warning,
            code: code.as_str().into(),
            text: Some(text.into()),
            payload,
        }
    }

    pub fn is_error(&self) -> bool {
        self.class == ResponseClass::Error
    }

    pub(crate) fn write(&self, w: &mut Writer, op: &str) {
        let name = format!("m:{op}ResponseMessage");
        w.open(&name, &[("ResponseClass", self.class.name())]);
        self.write_content(w);
        w.close(&name);
    }

    /// What a message holds: text, code, and payload (inside `m:{Op}ResponseMessage`, or
    /// directly inside the response element for the operations answered that way).
    pub(crate) fn write_content(&self, w: &mut Writer) {
        self.write_status(w);
        self.write_payload(w);
    }

    fn write_status(&self, w: &mut Writer) {
        if let Some(t) = &self.text {
            w.leaf("m:MessageText", t);
        }
        w.leaf("m:ResponseCode", &self.code);
        if self.class != ResponseClass::Success {
            w.leaf("m:DescriptiveLinkKey", "0");
        }
    }

    /// The availability service's form: the status in an `m:ResponseMessage`, the payload
    /// beside it.
    pub(crate) fn write_availability(&self, w: &mut Writer) {
        w.open("m:ResponseMessage", &[("ResponseClass", self.class.name())]);
        self.write_status(w);
        w.close("m:ResponseMessage");
        self.write_payload(w);
    }

    fn write_payload(&self, w: &mut Writer) {
        match &self.payload {
            Payload::None => {}
            Payload::Folders(f) => {
                w.open("m:Folders", &[]);
                f.iter().for_each(|f| f.write(w));
                w.close("m:Folders");
            }
            Payload::Items(items) => write_items(w, "m:Items", items),
            Payload::UpdatedItems { items, conflicts } => {
                write_items(w, "m:Items", items);
                w.open("m:ConflictResults", &[]);
                w.leaf("t:Count", &conflicts.to_string());
                w.close("m:ConflictResults");
            }
            Payload::FoundItems(r) => write_root(w, "m:RootFolder", r, |w, items| {
                write_items(w, "t:Items", items)
            }),
            Payload::FoundFolders(r) => write_root(w, "m:RootFolder", r, |w, folders| {
                w.open("t:Folders", &[]);
                folders.iter().for_each(|f| f.write(w));
                w.close("t:Folders");
            }),
            Payload::UserConfiguration(c) => c.write(w, "m:UserConfiguration"),
            Payload::AlternateId {
                format,
                id,
                mailbox,
            } => w.empty(
                "m:AlternateId",
                &[
                    ("xmlns:xsi", "http://www.w3.org/2001/XMLSchema-instance"),
                    ("xsi:type", "t:AlternateIdType"),
                    ("Format", format),
                    ("Id", id),
                    ("Mailbox", mailbox),
                ],
            ),
            Payload::Attachments(a) => crate::attachment::write_attachments(w, "m:Attachments", a),
            Payload::InboxRules {
                outlook_rule_blob_exists,
                rules,
            } => crate::rules::write_rules(w, *outlook_rule_blob_exists, rules),
            Payload::RuleOperationErrors(errors) => {
                w.open("m:RuleOperationErrors", &[]);
                errors.iter().for_each(|e| e.write(w));
                w.close("m:RuleOperationErrors");
            }
            Payload::Exported { item_id, data } => {
                item_id.write(w, "m:ItemId");
                w.leaf("m:Data", data);
            }
            Payload::ItemId(id) => id.write(w, "m:ItemId"),
            Payload::MailTips(t) => t.write(w),
            Payload::DelegateUser(d) => d.write(w, "m:DelegateUser"),
            Payload::ServiceConfiguration(c) => c.write(w),
            Payload::SyncFolderHierarchy(a) => a.write(w),
            Payload::SyncFolderItems(a) => a.write(w),
            Payload::RoomLists(lists) => {
                w.open("m:RoomLists", &[]);
                lists.iter().for_each(|a| a.write(w, "t:Address"));
                w.close("m:RoomLists");
            }
            Payload::Rooms(rooms) => {
                w.open("m:Rooms", &[]);
                for r in rooms {
                    w.open("t:Room", &[]);
                    r.write(w, "t:Id");
                    w.close("t:Room");
                }
                w.close("m:Rooms");
            }
            Payload::OofSettings(o) => {
                o.write(w, "t:OofSettings");
                w.leaf("m:AllowExternalOof", "All");
            }
            Payload::FreeBusyView(v) => v.write(w),
            Payload::TimeZoneDefinitions(zones) => {
                w.open("m:TimeZoneDefinitions", &[]);
                zones
                    .iter()
                    .for_each(|z| z.write(w, "t:TimeZoneDefinition"));
                w.close("m:TimeZoneDefinitions");
            }
            Payload::MovedItemId(id) => id.write(w, "m:MovedItemId"),
            Payload::Subscribed {
                subscription_id,
                watermark,
            } => {
                w.leaf("m:SubscriptionId", subscription_id);
                w.opt_leaf("m:Watermark", watermark.as_deref());
            }
            Payload::Notification(n) => n.write(w),
            Payload::People(p) => p.write(w),
            Payload::Persona(p) => p.write(w, "m:Persona"),
            Payload::StreamingEvents(s) => s.write(w),
            Payload::RootItemId { id, change_key } => w.empty(
                "m:RootItemId",
                &[("RootItemId", id), ("RootItemChangeKey", change_key)],
            ),
            Payload::Resolutions(r) => {
                let total = r.total_items_in_view.to_string();
                w.open(
                    "m:ResolutionSet",
                    &[
                        ("TotalItemsInView", &total),
                        (
                            "IncludesLastItemInRange",
                            bool_text(r.includes_last_item_in_range),
                        ),
                    ],
                );
                r.entries.iter().for_each(|e| e.write(w));
                w.close("m:ResolutionSet");
            }
        }
    }

    /// Reads the availability service's form: the status from `m:ResponseMessage`, the
    /// payload from beside it.
    pub(crate) fn parse_availability(el: &Element) -> ResponseMessage {
        let mut m = match el.child("ResponseMessage") {
            Some(r) => ResponseMessage::parse(r),
            None => {
                ResponseMessage::error(ResponseCode::ErrorSchemaValidation, "no m:ResponseMessage")
            }
        };
        if let Some(o) = el.child("OofSettings") {
            m.payload = Payload::OofSettings(crate::availability::OofSettings::parse(o));
        } else if let Some(v) = el.child("FreeBusyView") {
            m.payload = Payload::FreeBusyView(crate::availability::FreeBusyView::parse(v));
        }
        m
    }

    /// The payloads of items, folders, configurations, ids and rules.
    fn parse_item_payload(el: &Element) -> Option<Payload> {
        let items = |c: &Element| c.elements().map(Item::parse).collect::<Vec<_>>();
        let payload;
        if let Some(f) = el.child("Folders") {
            payload = Payload::Folders(f.elements().map(Folder::parse).collect());
        } else if let Some(i) = el.child("Items") {
            payload = match el.child("ConflictResults") {
                Some(c) => Payload::UpdatedItems {
                    items: items(i),
                    conflicts: c
                        .child_text("Count")
                        .and_then(|n| n.parse().ok())
                        .unwrap_or(0),
                },
                None => Payload::Items(items(i)),
            };
        } else if let Some(r) = el.child("RootFolder") {
            payload = match r.child("Folders") {
                Some(f) => Payload::FoundFolders(parse_root(r, f.elements().map(Folder::parse))),
                None => Payload::FoundItems(parse_root(
                    r,
                    r.child("Items")
                        .into_iter()
                        .flat_map(|i| i.elements().map(Item::parse)),
                )),
            };
        } else if let Some(c) = el.child("UserConfiguration") {
            payload = match UserConfiguration::parse(c) {
                Ok(c) => Payload::UserConfiguration(c),
                Err(_) => Payload::None,
            };
        } else if let Some(a) = el.child("AlternateId") {
            let attr = |n: &str| a.attr(n).unwrap_or("").to_string();
            payload = Payload::AlternateId {
                format: attr("Format"),
                id: attr("Id"),
                mailbox: attr("Mailbox"),
            };
        } else if let Some(b) = el.child("OutlookRuleBlobExists") {
            payload = Payload::InboxRules {
                outlook_rule_blob_exists: parse_bool(&b.text()).unwrap_or(false),
                rules: el
                    .child("InboxRules")
                    .into_iter()
                    .flat_map(|r| r.children_named("Rule"))
                    .map(crate::rules::Rule::parse)
                    .collect(),
            };
        } else if let Some(e) = el.child("RuleOperationErrors") {
            payload = Payload::RuleOperationErrors(
                e.children_named("RuleOperationError")
                    .map(crate::rules::RuleOperationError::parse)
                    .collect(),
            );
        } else if let Some(i) = el.child("ItemId") {
            payload = match el.child_text("Data") {
                Some(data) => Payload::Exported {
                    item_id: ItemId::parse(i),
                    data,
                },
                None => Payload::ItemId(ItemId::parse(i)),
            };
        } else {
            return None;
        }
        Some(payload)
    }

    /// The payloads of sync, service configuration, directory, time zones, attachments,
    /// people and notifications.
    fn parse_other_payload(el: &Element) -> Option<Payload> {
        let payload;
        if el.child("IncludesLastFolderInRange").is_some() {
            payload = Payload::SyncFolderHierarchy(crate::sync::SyncAnswer::parse(el));
        } else if el.child("IncludesLastItemInRange").is_some() {
            payload = Payload::SyncFolderItems(crate::sync::SyncAnswer::parse(el));
        } else if el.child("MailTipsConfiguration").is_some()
            || el.child("UnifiedMessagingConfiguration").is_some()
            || el.child("ProtectionRulesConfiguration").is_some()
        {
            payload = Payload::ServiceConfiguration(ServiceConfiguration::parse(el));
        } else if let Some(t) = el.child("MailTips") {
            payload = Payload::MailTips(MailTips::parse(t));
        } else if let Some(d) = el.child("DelegateUser") {
            payload = Payload::DelegateUser(crate::delegate::DelegateUser::parse(d));
        } else if let Some(r) = el.child("RoomLists") {
            payload = Payload::RoomLists(
                r.children_named("Address")
                    .map(crate::types::EmailAddress::parse)
                    .collect(),
            );
        } else if let Some(r) = el.child("Rooms") {
            payload = Payload::Rooms(
                r.children_named("Room")
                    .filter_map(|room| room.child("Id"))
                    .map(crate::types::EmailAddress::parse)
                    .collect(),
            );
        } else if let Some(z) = el.child("TimeZoneDefinitions") {
            payload = Payload::TimeZoneDefinitions(
                z.children_named("TimeZoneDefinition")
                    .map(crate::timezone::TimeZoneDefinition::parse)
                    .collect(),
            );
        } else if let Some(m) = el.child("MovedItemId") {
            payload = Payload::MovedItemId(ItemId::parse(m));
        } else if let Some(a) = el.child("Attachments") {
            payload = Payload::Attachments(crate::attachment::Attachment::parse_all(Some(a)));
        } else if let Some(r) = el.child("RootItemId") {
            payload = Payload::RootItemId {
                id: r.attr("RootItemId").unwrap_or("").into(),
                change_key: r.attr("RootItemChangeKey").unwrap_or("").into(),
            };
        } else if el.child("TotalNumberOfPeopleInView").is_some() {
            payload = Payload::People(crate::persona::People::parse(el));
        } else if let Some(p) = el.child("Persona") {
            payload = Payload::Persona(crate::persona::Persona::parse(p));
        } else if let Some(id) = el.child_text("SubscriptionId") {
            payload = Payload::Subscribed {
                subscription_id: id,
                watermark: el.child_text("Watermark"),
            };
        } else if let Some(n) = el.child("Notification") {
            payload = Payload::Notification(crate::notification::Notification::parse(n));
        } else if el.child("Notifications").is_some()
            || el.child("ConnectionStatus").is_some()
            || el.child("ErrorSubscriptionIds").is_some()
        {
            payload = Payload::StreamingEvents(crate::notification::StreamingEvents::parse(el));
        } else if let Some(r) = el.child("ResolutionSet") {
            payload = Payload::Resolutions(parse_root(
                r,
                r.children_named("Resolution").map(Resolution::parse),
            ));
        } else {
            return None;
        }
        Some(payload)
    }

    pub(crate) fn parse(el: &Element) -> ResponseMessage {
        let payload = Self::parse_item_payload(el)
            .or_else(|| Self::parse_other_payload(el))
            .unwrap_or(Payload::None);
        ResponseMessage {
            class: ResponseClass::parse(el.attr("ResponseClass").unwrap_or("")),
            code: el.child_text("ResponseCode").unwrap_or_default(),
            text: el.child("MessageText").map(|t| t.text()),
            payload,
        }
    }
}

fn write_items(w: &mut Writer, name: &str, items: &[Item]) {
    if items.is_empty() {
        w.empty(name, &[]);
        return;
    }
    w.open(name, &[]);
    items.iter().for_each(|i| i.write(w));
    w.close(name);
}

fn write_root<T>(
    w: &mut Writer,
    name: &str,
    r: &RootFolder<T>,
    entries: impl FnOnce(&mut Writer, &[T]),
) {
    let offset = r.indexed_paging_offset.to_string();
    let total = r.total_items_in_view.to_string();
    w.open(
        name,
        &[
            ("IndexedPagingOffset", &offset),
            ("TotalItemsInView", &total),
            (
                "IncludesLastItemInRange",
                bool_text(r.includes_last_item_in_range),
            ),
        ],
    );
    entries(w, &r.entries);
    w.close(name);
}

fn parse_root<T>(r: &Element, entries: impl Iterator<Item = T>) -> RootFolder<T> {
    let num = |n: &str| r.attr(n).and_then(|v| v.parse().ok()).unwrap_or(0);
    RootFolder {
        indexed_paging_offset: num("IndexedPagingOffset"),
        total_items_in_view: num("TotalItemsInView"),
        includes_last_item_in_range: r.attr("IncludesLastItemInRange").and_then(parse_bool)
            == Some(true),
        entries: entries.collect(),
    }
}
