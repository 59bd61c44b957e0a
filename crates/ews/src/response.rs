//! EWS responses: an `m:{Op}Response` with one response message per input, each with its class,
//! code, text and typed payload; and SOAP faults. Servers write them, clients read them, through
//! the same types.

use crate::EwsError;
use crate::soap::{NS_ERRORS, NS_MESSAGES, NS_SOAP, NS_TYPES};
use crate::types::*;
use crate::writer::Writer;
use crate::xml::{self, Element};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseClass {
    Success,
    Warning,
    Error,
}

impl ResponseClass {
    fn name(self) -> &'static str {
        match self {
            ResponseClass::Success => "Success",
            ResponseClass::Warning => "Warning",
            ResponseClass::Error => "Error",
        }
    }

    fn parse(v: &str) -> ResponseClass {
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
    DelegateUser(crate::request::DelegateUser),
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
            code: "NoError".into(),
            text: None,
            payload,
        }
    }

    pub fn error(code: &str, text: impl Into<String>) -> ResponseMessage {
        ResponseMessage {
            class: ResponseClass::Error,
            code: code.into(),
            text: Some(text.into()),
            payload: Payload::None,
        }
    }

    pub fn warning(code: &str, text: impl Into<String>, payload: Payload) -> ResponseMessage {
        ResponseMessage {
            class: ResponseClass::Warning,
            code: code.into(),
            text: Some(text.into()),
            payload,
        }
    }

    pub fn is_error(&self) -> bool {
        self.class == ResponseClass::Error
    }

    fn write(&self, w: &mut Writer, op: &str) {
        let name = format!("m:{op}ResponseMessage");
        w.open(&name, &[("ResponseClass", self.class.name())]);
        self.write_content(w);
        w.close(&name);
    }

    /// What a message holds: text, code, and payload (inside `m:{Op}ResponseMessage`, or
    /// directly inside the response element for the operations answered that way).
    fn write_content(&self, w: &mut Writer) {
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
    fn write_availability(&self, w: &mut Writer) {
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
                            bool_str(r.includes_last_item_in_range),
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
    fn parse_availability(el: &Element) -> ResponseMessage {
        let mut m = match el.child("ResponseMessage") {
            Some(r) => ResponseMessage::parse(r),
            None => ResponseMessage::error("ErrorSchemaValidation", "no m:ResponseMessage"),
        };
        if let Some(o) = el.child("OofSettings") {
            m.payload = Payload::OofSettings(crate::availability::OofSettings::parse(o));
        } else if let Some(v) = el.child("FreeBusyView") {
            m.payload = Payload::FreeBusyView(crate::availability::FreeBusyView::parse(v));
        }
        m
    }

    fn parse(el: &Element) -> ResponseMessage {
        let items = |c: &Element| c.elements().map(Item::parse).collect::<Vec<_>>();
        let mut payload = Payload::None;
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
            if let Ok(c) = UserConfiguration::parse(c) {
                payload = Payload::UserConfiguration(c);
            }
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
        } else if el.child("IncludesLastFolderInRange").is_some() {
            payload = Payload::SyncFolderHierarchy(crate::sync::SyncAnswer::parse(el));
        } else if el.child("IncludesLastItemInRange").is_some() {
            payload = Payload::SyncFolderItems(crate::sync::SyncAnswer::parse(el));
        } else if el.child("MailTipsConfiguration").is_some()
            || el.child("UnifiedMessagingConfiguration").is_some()
        {
            payload = Payload::ServiceConfiguration(ServiceConfiguration::parse(el));
        } else if let Some(t) = el.child("MailTips") {
            payload = Payload::MailTips(MailTips::parse(t));
        } else if let Some(d) = el.child("DelegateUser") {
            payload = Payload::DelegateUser(crate::request::DelegateUser::parse(d));
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
        } else if let Some(r) = el.child("ResolutionSet") {
            payload = Payload::Resolutions(parse_root(
                r,
                r.children_named("Resolution").map(Resolution::parse),
            ));
        }
        ResponseMessage {
            class: ResponseClass::parse(el.attr("ResponseClass").unwrap_or("")),
            code: el.child_text("ResponseCode").unwrap_or_default(),
            text: el.child("MessageText").map(|t| t.text()),
            payload,
        }
    }
}

fn bool_str(b: bool) -> &'static str {
    if b { "true" } else { "false" }
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
                bool_str(r.includes_last_item_in_range),
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

/// The build this server reports in `t:ServerVersionInfo` (Exchange Server 2016/2019-era).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerVersionInfo {
    pub major: u32,
    pub minor: u32,
    pub major_build: u32,
    pub minor_build: u32,
    pub version: String,
}

impl Default for ServerVersionInfo {
    fn default() -> Self {
        ServerVersionInfo {
            major: 15,
            minor: 1,
            major_build: 2507,
            minor_build: 6,
            version: "V2017_07_11".into(),
        }
    }
}

/// A whole response: the operation's name and its messages, in input order.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub operation: String,
    pub server_version: ServerVersionInfo,
    pub messages: Vec<ResponseMessage>,
    /// GetDelegate's `m:DeliverMeetingRequests`.
    pub deliver_meeting_requests: Option<String>,
}

impl Response {
    pub fn new(operation: &str, messages: Vec<ResponseMessage>) -> Response {
        Response {
            operation: operation.into(),
            server_version: ServerVersionInfo::default(),
            messages,
            deliver_meeting_requests: None,
        }
    }

    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open("s:Envelope", &[("xmlns:s", NS_SOAP)]);
        w.open("s:Header", &[]);
        let v = &self.server_version;
        let (a, b, c, d) = (
            v.major.to_string(),
            v.minor.to_string(),
            v.major_build.to_string(),
            v.minor_build.to_string(),
        );
        w.empty(
            "h:ServerVersionInfo",
            &[
                ("xmlns:h", NS_TYPES),
                ("MajorVersion", &a),
                ("MinorVersion", &b),
                ("MajorBuildNumber", &c),
                ("MinorBuildNumber", &d),
                ("Version", &v.version),
            ],
        );
        w.close("s:Header");
        w.open("s:Body", &[("xmlns:m", NS_MESSAGES), ("xmlns:t", NS_TYPES)]);
        let name = format!("m:{}Response", self.operation);
        match self.messages.first() {
            Some(m) if is_oof(&self.operation) => {
                w.open(&name, &[]);
                m.write_availability(&mut w);
            }
            _ if self.operation == "GetUserAvailability" => {
                w.open(&name, &[]);
                w.open("m:FreeBusyResponseArray", &[]);
                for m in &self.messages {
                    w.open("m:FreeBusyResponse", &[]);
                    m.write_availability(&mut w);
                    w.close("m:FreeBusyResponse");
                }
                w.close("m:FreeBusyResponseArray");
            }
            Some(m) if is_single_message(&self.operation) => {
                w.open(&name, &[("ResponseClass", m.class.name())]);
                m.write_content(&mut w);
            }
            _ => match wrapped_message_name(&self.operation) {
                Some(inner) => {
                    w.open(&name, &[("ResponseClass", "Success")]);
                    w.leaf("m:ResponseCode", "NoError");
                    if !self.messages.is_empty() {
                        w.open("m:ResponseMessages", &[]);
                        for m in &self.messages {
                            let el = format!("m:{inner}");
                            w.open(&el, &[("ResponseClass", m.class.name())]);
                            m.write_content(&mut w);
                            w.close(&el);
                        }
                        w.close("m:ResponseMessages");
                    }
                    w.opt_leaf(
                        "m:DeliverMeetingRequests",
                        self.deliver_meeting_requests.as_deref(),
                    );
                }
                None => {
                    w.open(&name, &[]);
                    w.open("m:ResponseMessages", &[]);
                    for m in &self.messages {
                        m.write(&mut w, &self.operation);
                    }
                    w.close("m:ResponseMessages");
                }
            },
        }
        w.close(&name);
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }

    /// Reads a response envelope; a SOAP fault comes back as `Err(Ok(fault))`.
    pub fn parse(text: &str) -> Result<Response, Result<Fault, EwsError>> {
        let root = xml::parse(text).map_err(Err)?;
        let body = root
            .child("Body")
            .ok_or_else(|| Err(bad("the response has no SOAP Body")))?;
        if let Some(f) = body.child("Fault") {
            return Err(Ok(Fault::from_element(f)));
        }
        let resp = body
            .elements()
            .next()
            .ok_or_else(|| Err(bad("the response Body is empty")))?;
        let operation = resp
            .name
            .strip_suffix("Response")
            .ok_or_else(|| Err(bad(format!("'{}' is not an EWS response", resp.name))))?
            .to_string();
        let v = root
            .child("Header")
            .and_then(|h| h.child("ServerVersionInfo"));
        let num = |n: &str| {
            v.and_then(|v| v.attr(n))
                .and_then(|x| x.parse().ok())
                .unwrap_or(0)
        };
        Ok(Response {
            server_version: ServerVersionInfo {
                major: num("MajorVersion"),
                minor: num("MinorVersion"),
                major_build: num("MajorBuildNumber"),
                minor_build: num("MinorBuildNumber"),
                version: v.and_then(|v| v.attr("Version")).unwrap_or("").to_string(),
            },
            deliver_meeting_requests: resp.child_text("DeliverMeetingRequests"),
            messages: if is_oof(&operation) {
                vec![ResponseMessage::parse_availability(resp)]
            } else if operation == "GetUserAvailability" {
                resp.child("FreeBusyResponseArray")
                    .into_iter()
                    .flat_map(|a| a.children_named("FreeBusyResponse"))
                    .map(ResponseMessage::parse_availability)
                    .collect()
            } else if is_single_message(&operation) {
                vec![ResponseMessage::parse(resp)]
            } else {
                resp.child("ResponseMessages")
                    .into_iter()
                    .flat_map(|m| m.elements())
                    .map(ResponseMessage::parse)
                    .collect()
            },
            operation,
        })
    }
}

/// The automatic-reply operations: one `m:ResponseMessage`, the settings beside it.
pub fn is_oof(operation: &str) -> bool {
    matches!(operation, "GetUserOofSettings" | "SetUserOofSettings")
}

/// Operations whose answer is one message written in the response element itself
/// (`m:GetRoomListsResponse ResponseClass="Success"`), not in `m:ResponseMessages`.
pub fn is_single_message(operation: &str) -> bool {
    matches!(
        operation,
        "GetRoomLists"
            | "GetRooms"
            | "GetSearchableMailboxes"
            | "GetInboxRules"
            | "UpdateInboxRules"
            | "FindPeople"
            | "GetPersona"
    )
}

/// `m:MailTips`: what a sender should know about one recipient before sending.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailTips {
    pub recipient: EmailAddress,
    /// The recipient's automatic reply, when one is on (`t:OutOfOffice/t:ReplyBody/t:Message`).
    pub out_of_office: Option<String>,
    pub mailbox_full: bool,
    pub max_message_size: i64,
    pub total_member_count: i64,
    pub external_member_count: i64,
    pub delivery_restricted: bool,
    pub is_moderated: bool,
    pub invalid_recipient: bool,
}

impl MailTips {
    fn parse(el: &Element) -> MailTips {
        let num = |n: &str| {
            el.child_text(n)
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0)
        };
        let flag = |n: &str| {
            el.child_text(n)
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false)
        };
        MailTips {
            recipient: el
                .child("RecipientAddress")
                .map(EmailAddress::parse)
                .unwrap_or_default(),
            out_of_office: el
                .child("OutOfOffice")
                .and_then(|o| o.child("ReplyBody"))
                .and_then(|r| r.child_text("Message"))
                .filter(|m| !m.is_empty()),
            mailbox_full: flag("MailboxFull"),
            max_message_size: num("MaxMessageSize"),
            total_member_count: num("TotalMemberCount"),
            external_member_count: num("ExternalMemberCount"),
            delivery_restricted: flag("DeliveryRestricted"),
            is_moderated: flag("IsModerated"),
            invalid_recipient: flag("InvalidRecipient"),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.open("m:MailTips", &[]);
        self.recipient.write(w, "t:RecipientAddress");
        w.open("t:OutOfOffice", &[]);
        w.open("t:ReplyBody", &[]);
        match &self.out_of_office {
            Some(m) => w.leaf("t:Message", m),
            None => w.empty("t:Message", &[]),
        }
        w.close("t:ReplyBody");
        w.close("t:OutOfOffice");
        w.leaf("t:MailboxFull", bool_str(self.mailbox_full));
        w.leaf("t:MaxMessageSize", &self.max_message_size.to_string());
        w.leaf("t:TotalMemberCount", &self.total_member_count.to_string());
        w.leaf(
            "t:ExternalMemberCount",
            &self.external_member_count.to_string(),
        );
        w.leaf("t:DeliveryRestricted", bool_str(self.delivery_restricted));
        w.leaf("t:IsModerated", bool_str(self.is_moderated));
        w.leaf("t:InvalidRecipient", bool_str(self.invalid_recipient));
        w.close("m:MailTips");
    }
}

/// `m:MailTipsConfiguration`: what the organization's mail tips are.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailTipsConfiguration {
    pub enabled: bool,
    pub max_recipients_per_request: i64,
    pub max_message_size: i64,
    pub large_audience_threshold: i64,
    pub show_external_recipient_count: bool,
    pub internal_domains: Vec<String>,
}

/// `m:UnifiedMessagingConfiguration`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UnifiedMessagingConfiguration {
    pub um_enabled: bool,
    pub play_on_phone_dial_string: String,
    pub play_on_phone_enabled: bool,
}

/// GetServiceConfiguration's answer: the configurations asked for that the server keeps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServiceConfiguration {
    pub mail_tips: Option<MailTipsConfiguration>,
    pub unified_messaging: Option<UnifiedMessagingConfiguration>,
}

impl ServiceConfiguration {
    fn parse(el: &Element) -> ServiceConfiguration {
        let flag = |e: &Element, n: &str| {
            e.child_text(n)
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false)
        };
        let num = |e: &Element, n: &str| e.child_text(n).and_then(|t| t.parse().ok()).unwrap_or(0);
        ServiceConfiguration {
            mail_tips: el
                .child("MailTipsConfiguration")
                .map(|m| MailTipsConfiguration {
                    enabled: flag(m, "MailTipsEnabled"),
                    max_recipients_per_request: num(m, "MaxRecipientsPerGetMailTipsRequest"),
                    max_message_size: num(m, "MaxMessageSize"),
                    large_audience_threshold: num(m, "LargeAudienceThreshold"),
                    show_external_recipient_count: flag(m, "ShowExternalRecipientCount"),
                    internal_domains: m
                        .child("InternalDomains")
                        .into_iter()
                        .flat_map(|d| d.children_named("Domain"))
                        .filter_map(|d| d.attr("Name").map(str::to_string))
                        .collect(),
                }),
            unified_messaging: el.child("UnifiedMessagingConfiguration").map(|u| {
                UnifiedMessagingConfiguration {
                    um_enabled: flag(u, "UmEnabled"),
                    play_on_phone_dial_string: u
                        .child_text("PlayOnPhoneDialString")
                        .unwrap_or_default(),
                    play_on_phone_enabled: flag(u, "PlayOnPhoneEnabled"),
                }
            }),
        }
    }

    fn write(&self, w: &mut Writer) {
        if let Some(m) = &self.mail_tips {
            w.open("m:MailTipsConfiguration", &[]);
            w.leaf("t:MailTipsEnabled", bool_str(m.enabled));
            w.leaf(
                "t:MaxRecipientsPerGetMailTipsRequest",
                &m.max_recipients_per_request.to_string(),
            );
            w.leaf("t:MaxMessageSize", &m.max_message_size.to_string());
            w.leaf(
                "t:LargeAudienceThreshold",
                &m.large_audience_threshold.to_string(),
            );
            w.leaf(
                "t:ShowExternalRecipientCount",
                bool_str(m.show_external_recipient_count),
            );
            w.open("t:InternalDomains", &[]);
            for d in &m.internal_domains {
                w.empty("t:Domain", &[("Name", d), ("IncludeSubdomains", "false")]);
            }
            w.close("t:InternalDomains");
            w.close("m:MailTipsConfiguration");
        }
        if let Some(u) = &self.unified_messaging {
            w.open("m:UnifiedMessagingConfiguration", &[]);
            w.leaf("t:UmEnabled", bool_str(u.um_enabled));
            w.leaf("t:PlayOnPhoneDialString", &u.play_on_phone_dial_string);
            w.leaf("t:PlayOnPhoneEnabled", bool_str(u.play_on_phone_enabled));
            w.close("m:UnifiedMessagingConfiguration");
        }
    }
}

/// Operations answered with a class and code of their own around messages of a type named
/// for the operation (`m:GetMailTipsResponse` holding `m:MailTipsResponseMessageType`).
pub fn wrapped_message_name(operation: &str) -> Option<&'static str> {
    match operation {
        "GetMailTips" => Some("MailTipsResponseMessageType"),
        "GetServiceConfiguration" => Some("ServiceConfigurationResponseMessageType"),
        "GetDelegate" | "AddDelegate" | "UpdateDelegate" | "RemoveDelegate" => {
            Some("DelegateUserResponseMessageType")
        }
        _ => None,
    }
}

/// A SOAP fault (sent with HTTP 500), as Exchange shapes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub code: String,
    pub message: String,
}

impl Fault {
    pub fn new(code: &str, message: impl Into<String>) -> Fault {
        Fault {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open("s:Envelope", &[("xmlns:s", NS_SOAP)]);
        w.open("s:Body", &[]);
        w.open("s:Fault", &[]);
        w.leaf_with(
            "faultcode",
            &[("xmlns:a", NS_TYPES)],
            &format!("a:{}", self.code),
        );
        w.leaf_with("faultstring", &[("xml:lang", "en-US")], &self.message);
        w.open("detail", &[]);
        w.leaf_with("e:ResponseCode", &[("xmlns:e", NS_ERRORS)], &self.code);
        w.leaf_with("e:Message", &[("xmlns:e", NS_ERRORS)], &self.message);
        w.close("detail");
        w.close("s:Fault");
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }

    fn from_element(f: &Element) -> Fault {
        let detail_code = f.child("detail").and_then(|d| d.child_text("ResponseCode"));
        let code = detail_code.unwrap_or_else(|| {
            let c = f.child_text("faultcode").unwrap_or_default();
            c.rsplit(':').next().unwrap_or("").to_string()
        });
        Fault {
            code,
            message: f.child_text("faultstring").unwrap_or_default(),
        }
    }
}
