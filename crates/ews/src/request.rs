//! EWS requests: the SOAP header (RequestServerVersion, ExchangeImpersonation, ManagementRole)
//! and one typed [`Operation`] per operation, parsed from the bounded reader and written by
//! clients through the same types.

use crate::EwsError;
use crate::soap::{KNOWN_VERSIONS, MAX_REQUEST_BYTES, NS_MESSAGES, NS_SOAP, NS_TYPES};
use crate::types::*;
use crate::writer::Writer;
use crate::xml::{self, Element};

/// Who an `ExchangeImpersonation` header names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectingSid {
    PrimarySmtpAddress(String),
    SmtpAddress(String),
    PrincipalName(String),
    Sid(String),
}

impl ConnectingSid {
    pub fn value(&self) -> &str {
        match self {
            ConnectingSid::PrimarySmtpAddress(v)
            | ConnectingSid::SmtpAddress(v)
            | ConnectingSid::PrincipalName(v)
            | ConnectingSid::Sid(v) => v,
        }
    }

    fn element_name(&self) -> &'static str {
        match self {
            ConnectingSid::PrimarySmtpAddress(_) => "t:PrimarySmtpAddress",
            ConnectingSid::SmtpAddress(_) => "t:SmtpAddress",
            ConnectingSid::PrincipalName(_) => "t:PrincipalName",
            ConnectingSid::Sid(_) => "t:SID",
        }
    }
}

/// The SOAP header of a request.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Header {
    pub server_version: Option<String>,
    pub impersonation: Option<ConnectingSid>,
    /// `ManagementRole/ApplicationRoles/Role` values.
    pub application_roles: Vec<String>,
    pub user_roles: Vec<String>,
    /// `TimeZoneContext/TimeZoneDefinition/@Id`.
    pub time_zone: Option<String>,
}

impl Header {
    fn parse(h: Option<&Element>) -> Result<Header, EwsError> {
        let Some(h) = h else {
            return Ok(Header::default());
        };
        let server_version = h
            .child("RequestServerVersion")
            .and_then(|v| v.attr("Version"))
            .map(str::to_string);
        if let Some(v) = &server_version
            && !KNOWN_VERSIONS.contains(&v.as_str())
        {
            return Err(bad(format!("the RequestServerVersion '{v}' is not valid")));
        }
        let impersonation = h
            .child("ExchangeImpersonation")
            .and_then(|i| i.child("ConnectingSID"))
            .and_then(|c| {
                let pick = |n: &str| c.child_text(n).filter(|v| !v.is_empty());
                pick("PrimarySmtpAddress")
                    .map(ConnectingSid::PrimarySmtpAddress)
                    .or_else(|| pick("SmtpAddress").map(ConnectingSid::SmtpAddress))
                    .or_else(|| pick("PrincipalName").map(ConnectingSid::PrincipalName))
                    .or_else(|| pick("SID").map(ConnectingSid::Sid))
            });
        let roles = |kind: &str| -> Vec<String> {
            h.child("ManagementRole")
                .and_then(|m| m.child(kind))
                .map(|r| {
                    r.children_named("Role")
                        .map(|e| e.text().trim().to_string())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Header {
            server_version,
            impersonation,
            application_roles: roles("ApplicationRoles"),
            user_roles: roles("UserRoles"),
            time_zone: h
                .child("TimeZoneContext")
                .and_then(|t| t.child("TimeZoneDefinition"))
                .and_then(|d| d.attr("Id"))
                .map(str::to_string),
        })
    }

    fn write(&self, w: &mut Writer) {
        w.open("s:Header", &[]);
        if let Some(v) = &self.server_version {
            w.empty("t:RequestServerVersion", &[("Version", v)]);
        }
        if let Some(sid) = &self.impersonation {
            w.open("t:ExchangeImpersonation", &[]);
            w.open("t:ConnectingSID", &[]);
            w.leaf(sid.element_name(), sid.value());
            w.close("t:ConnectingSID");
            w.close("t:ExchangeImpersonation");
        }
        if !self.application_roles.is_empty() || !self.user_roles.is_empty() {
            w.open("t:ManagementRole", &[]);
            for (name, roles) in [
                ("t:UserRoles", &self.user_roles),
                ("t:ApplicationRoles", &self.application_roles),
            ] {
                if roles.is_empty() {
                    continue;
                }
                w.open(name, &[]);
                for r in roles {
                    w.leaf("t:Role", r);
                }
                w.close(name);
            }
            w.close("t:ManagementRole");
        }
        if let Some(tz) = &self.time_zone {
            w.open("t:TimeZoneContext", &[]);
            w.empty("t:TimeZoneDefinition", &[("Id", tz)]);
            w.close("t:TimeZoneContext");
        }
        w.close("s:Header");
    }
}

/// `t:AlternateId` of ConvertId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateId {
    pub format: String,
    pub id: String,
    pub mailbox: String,
}

/// One change of `t:Updates`.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemUpdate {
    Set {
        path: Option<PropertyPath>,
        item: Item,
    },
    Append {
        path: Option<PropertyPath>,
        item: Item,
    },
    Delete {
        path: Option<PropertyPath>,
    },
    /// An element that is not an item change (answered ErrorInvalidRequest).
    Unknown(String),
}

impl ItemUpdate {
    fn parse_all(el: Option<&Element>) -> Vec<ItemUpdate> {
        el.into_iter()
            .flat_map(|u| u.elements())
            .map(|u| {
                let path = PropertyPath::first_in(u);
                let item = || {
                    u.elements()
                        .find(|e| PropertyPath::parse(e).is_none())
                        .map(Item::parse)
                };
                match u.name.as_str() {
                    "SetItemField" => ItemUpdate::Set {
                        path,
                        item: item().unwrap_or_default(),
                    },
                    "AppendToItemField" => ItemUpdate::Append {
                        path,
                        item: item().unwrap_or_default(),
                    },
                    "DeleteItemField" => ItemUpdate::Delete { path },
                    other => ItemUpdate::Unknown(other.to_string()),
                }
            })
            .collect()
    }

    fn write_all(updates: &[ItemUpdate], w: &mut Writer, name: &str) {
        if updates.is_empty() {
            w.empty(name, &[]);
            return;
        }
        w.open(name, &[]);
        for u in updates {
            let (tag, path, item) = match u {
                ItemUpdate::Set { path, item } => ("t:SetItemField", path, Some(item)),
                ItemUpdate::Append { path, item } => ("t:AppendToItemField", path, Some(item)),
                ItemUpdate::Delete { path } => ("t:DeleteItemField", path, None),
                ItemUpdate::Unknown(n) => {
                    w.empty(&format!("t:{n}"), &[]);
                    continue;
                }
            };
            w.open(tag, &[]);
            if let Some(p) = path {
                p.write(w);
            }
            if let Some(i) = item {
                i.write(w);
            }
            w.close(tag);
        }
        w.close(name);
    }
}

/// One change of a folder's `t:Updates`.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderUpdate {
    Set {
        path: Option<PropertyPath>,
        folder: Folder,
    },
    Append {
        path: Option<PropertyPath>,
        folder: Folder,
    },
    Delete {
        path: Option<PropertyPath>,
    },
    Unknown(String),
}

impl FolderUpdate {
    fn parse_all(el: Option<&Element>) -> Vec<FolderUpdate> {
        el.into_iter()
            .flat_map(|u| u.elements())
            .map(|u| {
                let path = PropertyPath::first_in(u);
                let folder = || {
                    u.elements()
                        .find(|e| PropertyPath::parse(e).is_none())
                        .map(Folder::parse)
                        .unwrap_or_default()
                };
                match u.name.as_str() {
                    "SetFolderField" => FolderUpdate::Set {
                        path,
                        folder: folder(),
                    },
                    "AppendToFolderField" => FolderUpdate::Append {
                        path,
                        folder: folder(),
                    },
                    "DeleteFolderField" => FolderUpdate::Delete { path },
                    other => FolderUpdate::Unknown(other.to_string()),
                }
            })
            .collect()
    }

    fn write_all(updates: &[FolderUpdate], w: &mut Writer) {
        w.open("t:Updates", &[]);
        for u in updates {
            let (tag, path, folder) = match u {
                FolderUpdate::Set { path, folder } => ("t:SetFolderField", path, Some(folder)),
                FolderUpdate::Append { path, folder } => {
                    ("t:AppendToFolderField", path, Some(folder))
                }
                FolderUpdate::Delete { path } => ("t:DeleteFolderField", path, None),
                FolderUpdate::Unknown(n) => {
                    w.empty(&format!("t:{n}"), &[]);
                    continue;
                }
            };
            w.open(tag, &[]);
            if let Some(p) = path {
                p.write(w);
            }
            if let Some(f) = folder {
                f.write(w);
            }
            w.close(tag);
        }
        w.close("t:Updates");
    }
}

/// `t:FolderChange`.
#[derive(Debug, Clone, PartialEq)]
pub struct FolderChange {
    pub folder_id: Option<FolderRef>,
    pub updates: Vec<FolderUpdate>,
}

/// `t:ItemChange`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub item_id: ItemId,
    pub updates: Vec<ItemUpdate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Traversal {
    #[default]
    Shallow,
    Deep,
    Associated,
    SoftDeleted,
}

impl Traversal {
    fn parse(v: Option<&str>) -> Result<Traversal, EwsError> {
        Ok(match v.unwrap_or("Shallow") {
            "Shallow" => Traversal::Shallow,
            "Deep" => Traversal::Deep,
            "Associated" => Traversal::Associated,
            "SoftDeleted" => Traversal::SoftDeleted,
            other => return Err(bad(format!("'{other}' is not a Traversal"))),
        })
    }

    fn name(self) -> &'static str {
        match self {
            Traversal::Shallow => "Shallow",
            Traversal::Deep => "Deep",
            Traversal::Associated => "Associated",
            Traversal::SoftDeleted => "SoftDeleted",
        }
    }
}

/// `m:CalendarView`: calendar items and occurrences that overlap `start`..`end` (xs:dateTime).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarView {
    pub start: String,
    pub end: String,
    pub max_entries: Option<u32>,
}

impl CalendarView {
    fn parse(el: &Element) -> CalendarView {
        CalendarView {
            start: el.attr("StartDate").unwrap_or("").to_string(),
            end: el.attr("EndDate").unwrap_or("").to_string(),
            max_entries: el
                .attr("MaxEntriesReturned")
                .and_then(|m| m.trim().parse().ok()),
        }
    }

    fn write(&self, w: &mut Writer) {
        let max = self.max_entries.map(|m| m.to_string());
        let mut attrs = Vec::new();
        if let Some(m) = &max {
            attrs.push(("MaxEntriesReturned", m.as_str()));
        }
        attrs.push(("StartDate", self.start.as_str()));
        attrs.push(("EndDate", self.end.as_str()));
        w.empty("m:CalendarView", &attrs);
    }
}

/// A search: shape, paging, restriction and sort order over parent folders.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Find {
    pub traversal: Traversal,
    pub shape: Shape,
    pub paging: Option<IndexedPageView>,
    /// FindItem's `m:CalendarView`: the occurrences in a window instead of a page of items.
    pub calendar_view: Option<CalendarView>,
    pub restriction: Option<Restriction>,
    pub sort: Vec<FieldOrder>,
    pub parent_folder_ids: Vec<FolderRef>,
}

/// Every operation this server answers, and [`Operation::Other`] for the rest.
#[derive(Debug, Clone, PartialEq)]
pub enum Operation {
    ConvertId {
        destination_format: String,
        source_ids: Vec<AlternateId>,
    },
    GetFolder {
        shape: Shape,
        folder_ids: Vec<FolderRef>,
    },
    FindFolder(Find),
    FindItem(Find),
    GetItem {
        shape: Shape,
        item_ids: Vec<ItemId>,
    },
    CreateItem {
        message_disposition: Option<String>,
        send_meeting_invitations: Option<String>,
        saved_item_folder_id: Option<FolderRef>,
        items: Vec<Item>,
    },
    UpdateItem {
        conflict_resolution: Option<String>,
        message_disposition: Option<String>,
        changes: Vec<ItemChange>,
    },
    UpdateItemInRecoverableItems {
        item_id: ItemId,
        updates: Vec<ItemUpdate>,
        make_item_immutable: bool,
    },
    DeleteItem {
        delete_type: String,
        item_ids: Vec<ItemId>,
    },
    MoveItem {
        to_folder_id: Option<FolderRef>,
        item_ids: Vec<ItemId>,
    },
    CopyItem {
        to_folder_id: Option<FolderRef>,
        item_ids: Vec<ItemId>,
    },
    GetUserConfiguration {
        name: UserConfigurationName,
        properties: String,
    },
    CreateUserConfiguration(UserConfiguration),
    UpdateUserConfiguration(UserConfiguration),
    DeleteUserConfiguration {
        name: UserConfigurationName,
    },
    ResolveNames {
        return_full_contact_data: bool,
        unresolved_entries: Vec<String>,
    },
    SendItem {
        save_item_to_folder: bool,
        item_ids: Vec<ItemId>,
        saved_item_folder_id: Option<FolderRef>,
    },
    CreateFolder {
        parent_folder_id: Option<FolderRef>,
        folders: Vec<Folder>,
    },
    UpdateFolder {
        changes: Vec<FolderChange>,
    },
    DeleteFolder {
        delete_type: String,
        folder_ids: Vec<FolderRef>,
    },
    EmptyFolder {
        delete_type: String,
        delete_sub_folders: bool,
        folder_ids: Vec<FolderRef>,
    },
    MoveFolder {
        to_folder_id: Option<FolderRef>,
        folder_ids: Vec<FolderRef>,
    },
    CopyFolder {
        to_folder_id: Option<FolderRef>,
        folder_ids: Vec<FolderRef>,
    },
    CreateAttachment {
        parent_item_id: Option<ItemId>,
        attachments: Vec<crate::attachment::Attachment>,
    },
    GetAttachment {
        /// `m:AttachmentShape/t:BodyType` for the items of item attachments.
        body_type: Option<String>,
        include_mime_content: bool,
        attachment_ids: Vec<crate::attachment::AttachmentId>,
    },
    DeleteAttachment {
        attachment_ids: Vec<crate::attachment::AttachmentId>,
    },
    ExportItems {
        item_ids: Vec<ItemId>,
    },
    GetInboxRules {
        mailbox_smtp_address: Option<String>,
    },
    UpdateInboxRules {
        mailbox_smtp_address: Option<String>,
        remove_outlook_rule_blob: bool,
        operations: Vec<crate::rules::RuleOperation>,
    },
    UploadItems {
        items: Vec<UploadItem>,
    },
    SyncFolderHierarchy {
        shape: Shape,
        sync_folder_id: Option<FolderRef>,
        sync_state: Option<String>,
    },
    SyncFolderItems {
        shape: Shape,
        sync_folder_id: Option<FolderRef>,
        sync_state: Option<String>,
        ignore: Vec<ItemId>,
        max_changes_returned: u32,
        sync_scope: Option<String>,
    },
    GetServiceConfiguration {
        /// `m:RequestedConfiguration/m:ConfigurationName`: MailTips,
        /// UnifiedMessagingConfiguration, ProtectionRules, PolicyNudges, SharePointURLs.
        requested: Vec<String>,
    },
    GetMailTips {
        sending_as: EmailAddress,
        recipients: Vec<EmailAddress>,
        mail_tips_requested: String,
    },
    GetDelegate {
        include_permissions: bool,
        mailbox: EmailAddress,
        user_ids: Vec<UserId>,
    },
    AddDelegate {
        mailbox: EmailAddress,
        delegate_users: Vec<DelegateUser>,
        deliver_meeting_requests: Option<String>,
    },
    UpdateDelegate {
        mailbox: EmailAddress,
        delegate_users: Vec<DelegateUser>,
        deliver_meeting_requests: Option<String>,
    },
    RemoveDelegate {
        mailbox: EmailAddress,
        user_ids: Vec<UserId>,
    },
    GetRoomLists,
    GetUserOofSettings {
        mailbox: String,
    },
    SetUserOofSettings {
        mailbox: String,
        settings: crate::availability::OofSettings,
    },
    GetUserAvailability {
        time_zone: crate::availability::LegacyTimeZone,
        mailboxes: Vec<crate::availability::MailboxData>,
        free_busy: Option<crate::availability::FreeBusyViewOptions>,
    },
    GetServerTimeZones {
        /// `@ReturnFullTimeZoneData` (default true): periods and transitions, or ids and names.
        return_full_data: bool,
        /// `m:Ids/t:Id`: the zones asked for; empty for every zone the server knows.
        ids: Vec<String>,
    },
    GetRooms {
        room_list: EmailAddress,
    },
    GetSearchableMailboxes {
        search_filter: Option<String>,
        expand_group_membership: bool,
    },
    ExpandDL {
        mailbox: EmailAddress,
    },
    MarkAsJunk {
        is_junk: bool,
        move_item: bool,
        item_ids: Vec<ItemId>,
    },
    MarkAllItemsAsRead {
        read_flag: bool,
        suppress_read_receipts: bool,
        folder_ids: Vec<FolderRef>,
    },
    /// An operation this server does not run (its local name and namespace).
    Other {
        name: String,
        namespace: String,
    },
}

fn item_ids(container: Option<&Element>) -> Vec<ItemId> {
    container
        .map(|c| c.elements().map(ItemId::parse).collect())
        .unwrap_or_default()
}

fn attachment_ids(op: &Element) -> Vec<crate::attachment::AttachmentId> {
    op.child("AttachmentIds")
        .map(|c| {
            c.elements()
                .map(crate::attachment::AttachmentId::parse)
                .collect()
        })
        .unwrap_or_default()
}

fn first_folder(op: &Element, container: &str) -> Option<FolderRef> {
    op.child(container)
        .and_then(|c| c.elements().next())
        .map(FolderRef::parse)
}

fn user_configuration_name(el: &Element) -> Result<UserConfigurationName, EwsError> {
    el.child("UserConfigurationName")
        .map(UserConfigurationName::parse)
        .ok_or_else(|| bad("UserConfigurationName is missing"))
}

/// The `t:Mailbox/t:Address` the automatic-reply requests must name.
fn required_mailbox(op: &Element) -> Result<String, EwsError> {
    let address = crate::availability::mailbox_address(op);
    if address.is_empty() {
        return Err(bad(format!("{} needs t:Mailbox/t:Address", op.name)));
    }
    Ok(address)
}

fn find(op: &Element, view: &str) -> Result<Find, EwsError> {
    let shape_name = if view == "IndexedPageItemView" {
        "ItemShape"
    } else {
        "FolderShape"
    };
    Ok(Find {
        traversal: Traversal::parse(op.attr("Traversal"))?,
        shape: Shape::parse(op.child(shape_name))?,
        paging: op.child(view).map(IndexedPageView::parse).transpose()?,
        calendar_view: op.child("CalendarView").map(CalendarView::parse),
        restriction: op
            .child("Restriction")
            .and_then(|r| r.elements().next())
            .map(Restriction::parse),
        sort: FieldOrder::parse_all(op.child("SortOrder")),
        parent_folder_ids: FolderRef::parse_all(op.child("ParentFolderIds")),
    })
}

impl Operation {
    /// The operation's element name (and so its response's: `{name}Response`).
    pub fn name(&self) -> &str {
        match self {
            Operation::ConvertId { .. } => "ConvertId",
            Operation::GetFolder { .. } => "GetFolder",
            Operation::FindFolder(_) => "FindFolder",
            Operation::FindItem(_) => "FindItem",
            Operation::GetItem { .. } => "GetItem",
            Operation::CreateItem { .. } => "CreateItem",
            Operation::UpdateItem { .. } => "UpdateItem",
            Operation::UpdateItemInRecoverableItems { .. } => "UpdateItemInRecoverableItems",
            Operation::DeleteItem { .. } => "DeleteItem",
            Operation::MoveItem { .. } => "MoveItem",
            Operation::CopyItem { .. } => "CopyItem",
            Operation::GetUserConfiguration { .. } => "GetUserConfiguration",
            Operation::CreateUserConfiguration(_) => "CreateUserConfiguration",
            Operation::UpdateUserConfiguration(_) => "UpdateUserConfiguration",
            Operation::DeleteUserConfiguration { .. } => "DeleteUserConfiguration",
            Operation::ResolveNames { .. } => "ResolveNames",
            Operation::SendItem { .. } => "SendItem",
            Operation::CreateFolder { .. } => "CreateFolder",
            Operation::UpdateFolder { .. } => "UpdateFolder",
            Operation::DeleteFolder { .. } => "DeleteFolder",
            Operation::EmptyFolder { .. } => "EmptyFolder",
            Operation::MoveFolder { .. } => "MoveFolder",
            Operation::CopyFolder { .. } => "CopyFolder",
            Operation::CreateAttachment { .. } => "CreateAttachment",
            Operation::GetAttachment { .. } => "GetAttachment",
            Operation::DeleteAttachment { .. } => "DeleteAttachment",
            Operation::ExportItems { .. } => "ExportItems",
            Operation::GetInboxRules { .. } => "GetInboxRules",
            Operation::UpdateInboxRules { .. } => "UpdateInboxRules",
            Operation::UploadItems { .. } => "UploadItems",
            Operation::SyncFolderHierarchy { .. } => "SyncFolderHierarchy",
            Operation::SyncFolderItems { .. } => "SyncFolderItems",
            Operation::GetServiceConfiguration { .. } => "GetServiceConfiguration",
            Operation::GetMailTips { .. } => "GetMailTips",
            Operation::GetDelegate { .. } => "GetDelegate",
            Operation::AddDelegate { .. } => "AddDelegate",
            Operation::UpdateDelegate { .. } => "UpdateDelegate",
            Operation::RemoveDelegate { .. } => "RemoveDelegate",
            Operation::GetRoomLists => "GetRoomLists",
            Operation::GetServerTimeZones { .. } => "GetServerTimeZones",
            Operation::GetUserOofSettings { .. } => "GetUserOofSettings",
            Operation::SetUserOofSettings { .. } => "SetUserOofSettings",
            Operation::GetUserAvailability { .. } => "GetUserAvailability",
            Operation::GetRooms { .. } => "GetRooms",
            Operation::GetSearchableMailboxes { .. } => "GetSearchableMailboxes",
            Operation::ExpandDL { .. } => "ExpandDL",
            Operation::MarkAsJunk { .. } => "MarkAsJunk",
            Operation::MarkAllItemsAsRead { .. } => "MarkAllItemsAsRead",
            Operation::Other { name, .. } => name,
        }
    }

    pub fn parse(op: &Element) -> Result<Operation, EwsError> {
        if op.ns != NS_MESSAGES {
            return Ok(Operation::Other {
                name: op.name.clone(),
                namespace: op.ns.clone(),
            });
        }
        let attr = |n: &str| op.attr(n).map(str::to_string);
        Ok(match op.name.as_str() {
            "ConvertId" => Operation::ConvertId {
                destination_format: attr("DestinationFormat").unwrap_or_default(),
                source_ids: op
                    .child("SourceIds")
                    .into_iter()
                    .flat_map(|s| s.elements())
                    .map(|a| AlternateId {
                        format: a.attr("Format").unwrap_or("").into(),
                        id: a.attr("Id").unwrap_or("").into(),
                        mailbox: a.attr("Mailbox").unwrap_or("").into(),
                    })
                    .collect(),
            },
            "GetFolder" => Operation::GetFolder {
                shape: Shape::parse(op.child("FolderShape"))?,
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            "FindFolder" => Operation::FindFolder(find(op, "IndexedPageFolderView")?),
            "FindItem" => Operation::FindItem(find(op, "IndexedPageItemView")?),
            "GetItem" => Operation::GetItem {
                shape: Shape::parse(op.child("ItemShape"))?,
                item_ids: item_ids(op.child("ItemIds")),
            },
            "CreateItem" => Operation::CreateItem {
                message_disposition: attr("MessageDisposition"),
                send_meeting_invitations: attr("SendMeetingInvitations"),
                saved_item_folder_id: first_folder(op, "SavedItemFolderId"),
                items: op
                    .child("Items")
                    .map(|i| i.elements().map(Item::parse).collect())
                    .unwrap_or_default(),
            },
            "UpdateItem" => Operation::UpdateItem {
                conflict_resolution: attr("ConflictResolution"),
                message_disposition: attr("MessageDisposition"),
                changes: op
                    .child("ItemChanges")
                    .into_iter()
                    .flat_map(|c| c.children_named("ItemChange"))
                    .map(|ch| ItemChange {
                        item_id: ch
                            .elements()
                            .find(|e| {
                                matches!(
                                    e.name.as_str(),
                                    "ItemId" | "OccurrenceItemId" | "RecurringMasterItemId"
                                )
                            })
                            .map(ItemId::parse)
                            .unwrap_or_default(),
                        updates: ItemUpdate::parse_all(ch.child("Updates")),
                    })
                    .collect(),
            },
            "UpdateItemInRecoverableItems" => Operation::UpdateItemInRecoverableItems {
                item_id: op.child("ItemId").map(ItemId::parse).unwrap_or_default(),
                updates: ItemUpdate::parse_all(op.child("Updates")),
                make_item_immutable: op
                    .child_text("MakeItemImmutable")
                    .and_then(|t| parse_bool(&t))
                    .unwrap_or(false),
            },
            "DeleteItem" => Operation::DeleteItem {
                delete_type: attr("DeleteType").unwrap_or_else(|| "HardDelete".into()),
                item_ids: item_ids(op.child("ItemIds")),
            },
            "MoveItem" => Operation::MoveItem {
                to_folder_id: first_folder(op, "ToFolderId"),
                item_ids: item_ids(op.child("ItemIds")),
            },
            "CopyItem" => Operation::CopyItem {
                to_folder_id: first_folder(op, "ToFolderId"),
                item_ids: item_ids(op.child("ItemIds")),
            },
            "GetUserConfiguration" => Operation::GetUserConfiguration {
                name: user_configuration_name(op)?,
                properties: op
                    .child_text("UserConfigurationProperties")
                    .unwrap_or_else(|| "All".into()),
            },
            "CreateUserConfiguration" | "UpdateUserConfiguration" => {
                let cfg = UserConfiguration::parse(
                    op.child("UserConfiguration")
                        .ok_or_else(|| bad("UserConfiguration is missing"))?,
                )?;
                if op.name == "CreateUserConfiguration" {
                    Operation::CreateUserConfiguration(cfg)
                } else {
                    Operation::UpdateUserConfiguration(cfg)
                }
            }
            "DeleteUserConfiguration" => Operation::DeleteUserConfiguration {
                name: user_configuration_name(op)?,
            },
            "ResolveNames" => Operation::ResolveNames {
                return_full_contact_data: op
                    .attr("ReturnFullContactData")
                    .and_then(parse_bool)
                    .unwrap_or(false),
                unresolved_entries: op
                    .children_named("UnresolvedEntry")
                    .map(|e| e.text())
                    .collect(),
            },
            "SendItem" => Operation::SendItem {
                save_item_to_folder: op
                    .attr("SaveItemToFolder")
                    .and_then(parse_bool)
                    .unwrap_or(true),
                item_ids: item_ids(op.child("ItemIds")),
                saved_item_folder_id: first_folder(op, "SavedItemFolderId"),
            },
            "CreateFolder" => Operation::CreateFolder {
                parent_folder_id: first_folder(op, "ParentFolderId"),
                folders: op
                    .child("Folders")
                    .map(|f| f.elements().map(Folder::parse).collect())
                    .unwrap_or_default(),
            },
            "UpdateFolder" => Operation::UpdateFolder {
                changes: op
                    .child("FolderChanges")
                    .into_iter()
                    .flat_map(|c| c.children_named("FolderChange"))
                    .map(|ch| FolderChange {
                        folder_id: ch
                            .elements()
                            .find(|e| e.name != "Updates")
                            .map(FolderRef::parse),
                        updates: FolderUpdate::parse_all(ch.child("Updates")),
                    })
                    .collect(),
            },
            "DeleteFolder" => Operation::DeleteFolder {
                delete_type: attr("DeleteType").unwrap_or_else(|| "HardDelete".into()),
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            "EmptyFolder" => Operation::EmptyFolder {
                delete_type: attr("DeleteType").unwrap_or_else(|| "HardDelete".into()),
                delete_sub_folders: op
                    .attr("DeleteSubFolders")
                    .and_then(parse_bool)
                    .unwrap_or(false),
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            "MoveFolder" => Operation::MoveFolder {
                to_folder_id: first_folder(op, "ToFolderId"),
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            "CopyFolder" => Operation::CopyFolder {
                to_folder_id: first_folder(op, "ToFolderId"),
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            "CreateAttachment" => Operation::CreateAttachment {
                parent_item_id: op.child("ParentItemId").map(ItemId::parse),
                attachments: crate::attachment::Attachment::parse_all(op.child("Attachments")),
            },
            "GetAttachment" => {
                let shape = op.child("AttachmentShape");
                Operation::GetAttachment {
                    body_type: shape.and_then(|s| s.child_text("BodyType")),
                    include_mime_content: shape
                        .and_then(|s| s.child_text("IncludeMimeContent"))
                        .as_deref()
                        .and_then(parse_bool)
                        .unwrap_or(false),
                    attachment_ids: attachment_ids(op),
                }
            }
            "DeleteAttachment" => Operation::DeleteAttachment {
                attachment_ids: attachment_ids(op),
            },
            "GetInboxRules" => Operation::GetInboxRules {
                mailbox_smtp_address: op.child_text("MailboxSmtpAddress"),
            },
            "UpdateInboxRules" => Operation::UpdateInboxRules {
                mailbox_smtp_address: op.child_text("MailboxSmtpAddress"),
                remove_outlook_rule_blob: op
                    .child_text("RemoveOutlookRuleBlob")
                    .as_deref()
                    .and_then(parse_bool)
                    .unwrap_or(false),
                operations: crate::rules::RuleOperation::parse_all(op.child("Operations")),
            },
            "ExportItems" => Operation::ExportItems {
                item_ids: item_ids(op.child("ItemIds")),
            },
            "UploadItems" => Operation::UploadItems {
                items: op
                    .child("Items")
                    .into_iter()
                    .flat_map(|i| i.children_named("Item"))
                    .map(UploadItem::parse)
                    .collect(),
            },
            "SyncFolderHierarchy" => Operation::SyncFolderHierarchy {
                shape: Shape::parse(op.child("FolderShape"))?,
                sync_folder_id: first_folder(op, "SyncFolderId"),
                sync_state: op.child_text("SyncState").filter(|s| !s.trim().is_empty()),
            },
            "SyncFolderItems" => Operation::SyncFolderItems {
                shape: Shape::parse(op.child("ItemShape"))?,
                sync_folder_id: first_folder(op, "SyncFolderId"),
                sync_state: op.child_text("SyncState").filter(|s| !s.trim().is_empty()),
                ignore: item_ids(op.child("Ignore")),
                max_changes_returned: op
                    .child_text("MaxChangesReturned")
                    .and_then(|m| m.trim().parse().ok())
                    .unwrap_or(100),
                sync_scope: op.child_text("SyncScope"),
            },
            "GetServiceConfiguration" => Operation::GetServiceConfiguration {
                requested: op
                    .child("RequestedConfiguration")
                    .map(|r| {
                        r.children_named("ConfigurationName")
                            .map(|c| c.text().trim().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            "GetMailTips" => Operation::GetMailTips {
                sending_as: op
                    .child("SendingAs")
                    .map(EmailAddress::parse)
                    .unwrap_or_default(),
                recipients: op
                    .child("Recipients")
                    .map(|r| r.elements().map(EmailAddress::parse).collect())
                    .unwrap_or_default(),
                mail_tips_requested: op.child_text("MailTipsRequested").unwrap_or_default(),
            },
            "GetDelegate" => Operation::GetDelegate {
                include_permissions: op
                    .attr("IncludePermissions")
                    .and_then(parse_bool)
                    .unwrap_or(false),
                mailbox: delegate_mailbox(op),
                user_ids: delegate_user_ids(op),
            },
            "AddDelegate" | "UpdateDelegate" => {
                let mailbox = delegate_mailbox(op);
                let delegate_users = op
                    .child("DelegateUsers")
                    .map(|d| {
                        d.children_named("DelegateUser")
                            .map(DelegateUser::parse)
                            .collect()
                    })
                    .unwrap_or_default();
                let deliver_meeting_requests = op.child_text("DeliverMeetingRequests");
                if op.name == "AddDelegate" {
                    Operation::AddDelegate {
                        mailbox,
                        delegate_users,
                        deliver_meeting_requests,
                    }
                } else {
                    Operation::UpdateDelegate {
                        mailbox,
                        delegate_users,
                        deliver_meeting_requests,
                    }
                }
            }
            "RemoveDelegate" => Operation::RemoveDelegate {
                mailbox: delegate_mailbox(op),
                user_ids: delegate_user_ids(op),
            },
            "GetRoomLists" => Operation::GetRoomLists,
            "GetUserOofSettingsRequest" => Operation::GetUserOofSettings {
                mailbox: required_mailbox(op)?,
            },
            "SetUserOofSettingsRequest" => Operation::SetUserOofSettings {
                mailbox: required_mailbox(op)?,
                settings: op
                    .child("UserOofSettings")
                    .map(crate::availability::OofSettings::parse)
                    .ok_or_else(|| bad("SetUserOofSettingsRequest needs t:UserOofSettings"))?,
            },
            "GetUserAvailabilityRequest" => Operation::GetUserAvailability {
                time_zone: op
                    .child("TimeZone")
                    .map(crate::availability::LegacyTimeZone::parse)
                    .unwrap_or_default(),
                mailboxes: op
                    .child("MailboxDataArray")
                    .into_iter()
                    .flat_map(|a| a.children_named("MailboxData"))
                    .map(crate::availability::MailboxData::parse)
                    .collect(),
                free_busy: op
                    .child("FreeBusyViewOptions")
                    .map(crate::availability::FreeBusyViewOptions::parse),
            },
            "GetServerTimeZones" => Operation::GetServerTimeZones {
                return_full_data: op
                    .attr("ReturnFullTimeZoneData")
                    .and_then(parse_bool)
                    .unwrap_or(true),
                ids: op
                    .child("Ids")
                    .map(|i| {
                        i.children_named("Id")
                            .map(|id| id.text().trim().to_string())
                            .collect()
                    })
                    .unwrap_or_default(),
            },
            "GetRooms" => Operation::GetRooms {
                room_list: op
                    .child("RoomList")
                    .map(EmailAddress::parse)
                    .unwrap_or_default(),
            },
            "GetSearchableMailboxes" => Operation::GetSearchableMailboxes {
                search_filter: op.child_text("SearchFilter"),
                expand_group_membership: op
                    .child_text("ExpandGroupMembership")
                    .as_deref()
                    .and_then(parse_bool)
                    .unwrap_or(false),
            },
            "ExpandDL" => Operation::ExpandDL {
                mailbox: op
                    .child("Mailbox")
                    .map(EmailAddress::parse)
                    .unwrap_or_default(),
            },
            "MarkAsJunk" => Operation::MarkAsJunk {
                is_junk: op.attr("IsJunk").and_then(parse_bool).unwrap_or(true),
                move_item: op.attr("MoveItem").and_then(parse_bool).unwrap_or(false),
                item_ids: item_ids(op.child("ItemIds")),
            },
            "MarkAllItemsAsRead" => Operation::MarkAllItemsAsRead {
                read_flag: op
                    .child_text("ReadFlag")
                    .as_deref()
                    .and_then(parse_bool)
                    .unwrap_or(true),
                suppress_read_receipts: op
                    .child_text("SuppressReadReceipts")
                    .as_deref()
                    .and_then(parse_bool)
                    .unwrap_or(false),
                folder_ids: FolderRef::parse_all(op.child("FolderIds")),
            },
            other => Operation::Other {
                name: other.to_string(),
                namespace: op.ns.clone(),
            },
        })
    }

    fn write(&self, w: &mut Writer) {
        let name = match self {
            // The availability service's requests keep their own element names.
            Operation::GetUserOofSettings { .. }
            | Operation::SetUserOofSettings { .. }
            | Operation::GetUserAvailability { .. } => format!("m:{}Request", self.name()),
            _ => format!("m:{}", self.name()),
        };
        let ids = |w: &mut Writer, container: &str, ids: &[ItemId]| {
            w.open(container, &[]);
            for id in ids {
                id.write(w, "t:ItemId");
            }
            w.close(container);
        };
        let folders = |w: &mut Writer, container: &str, ids: &[FolderRef]| {
            w.open(container, &[]);
            for f in ids {
                f.write(w);
            }
            w.close(container);
        };
        match self {
            Operation::ConvertId {
                destination_format,
                source_ids,
            } => {
                w.open(&name, &[("DestinationFormat", destination_format)]);
                w.open("m:SourceIds", &[]);
                for a in source_ids {
                    w.empty(
                        "t:AlternateId",
                        &[
                            ("Format", &a.format),
                            ("Id", &a.id),
                            ("Mailbox", &a.mailbox),
                        ],
                    );
                }
                w.close("m:SourceIds");
                w.close(&name);
            }
            Operation::GetFolder { shape, folder_ids } => {
                w.open(&name, &[]);
                shape.write(w, "m:FolderShape");
                folders(w, "m:FolderIds", folder_ids);
                w.close(&name);
            }
            Operation::FindFolder(f) | Operation::FindItem(f) => {
                let item = matches!(self, Operation::FindItem(_));
                w.open(&name, &[("Traversal", f.traversal.name())]);
                f.shape
                    .write(w, if item { "m:ItemShape" } else { "m:FolderShape" });
                if let Some(p) = &f.paging {
                    p.write(
                        w,
                        if item {
                            "m:IndexedPageItemView"
                        } else {
                            "m:IndexedPageFolderView"
                        },
                    );
                }
                if let Some(v) = &f.calendar_view {
                    v.write(w);
                }
                if let Some(r) = &f.restriction {
                    w.open("m:Restriction", &[]);
                    r.write(w);
                    w.close("m:Restriction");
                }
                if !f.sort.is_empty() {
                    w.open("m:SortOrder", &[]);
                    for o in &f.sort {
                        o.write(w);
                    }
                    w.close("m:SortOrder");
                }
                folders(w, "m:ParentFolderIds", &f.parent_folder_ids);
                w.close(&name);
            }
            Operation::GetItem { shape, item_ids } => {
                w.open(&name, &[]);
                shape.write(w, "m:ItemShape");
                ids(w, "m:ItemIds", item_ids);
                w.close(&name);
            }
            Operation::CreateItem {
                message_disposition,
                send_meeting_invitations,
                saved_item_folder_id,
                items,
            } => {
                let mut attrs = Vec::new();
                if let Some(d) = message_disposition {
                    attrs.push(("MessageDisposition", d.as_str()));
                }
                if let Some(s) = send_meeting_invitations {
                    attrs.push(("SendMeetingInvitations", s.as_str()));
                }
                w.open(&name, &attrs);
                if let Some(f) = saved_item_folder_id {
                    folders(w, "m:SavedItemFolderId", std::slice::from_ref(f));
                }
                w.open("m:Items", &[]);
                for i in items {
                    i.write(w);
                }
                w.close("m:Items");
                w.close(&name);
            }
            Operation::UpdateItem {
                conflict_resolution,
                message_disposition,
                changes,
            } => {
                let mut attrs = Vec::new();
                if let Some(c) = conflict_resolution {
                    attrs.push(("ConflictResolution", c.as_str()));
                }
                if let Some(d) = message_disposition {
                    attrs.push(("MessageDisposition", d.as_str()));
                }
                w.open(&name, &attrs);
                w.open("m:ItemChanges", &[]);
                for c in changes {
                    w.open("t:ItemChange", &[]);
                    c.item_id.write(w, "t:ItemId");
                    ItemUpdate::write_all(&c.updates, w, "t:Updates");
                    w.close("t:ItemChange");
                }
                w.close("m:ItemChanges");
                w.close(&name);
            }
            Operation::UpdateItemInRecoverableItems {
                item_id,
                updates,
                make_item_immutable,
            } => {
                w.open(&name, &[]);
                item_id.write(w, "m:ItemId");
                ItemUpdate::write_all(updates, w, "m:Updates");
                if *make_item_immutable {
                    w.leaf("m:MakeItemImmutable", "true");
                }
                w.close(&name);
            }
            Operation::DeleteItem {
                delete_type,
                item_ids,
            } => {
                w.open(&name, &[("DeleteType", delete_type)]);
                ids(w, "m:ItemIds", item_ids);
                w.close(&name);
            }
            Operation::MoveItem {
                to_folder_id,
                item_ids,
            }
            | Operation::CopyItem {
                to_folder_id,
                item_ids,
            } => {
                w.open(&name, &[]);
                if let Some(f) = to_folder_id {
                    folders(w, "m:ToFolderId", std::slice::from_ref(f));
                }
                ids(w, "m:ItemIds", item_ids);
                w.close(&name);
            }
            Operation::GetUserConfiguration {
                name: cfg,
                properties,
            } => {
                w.open(&name, &[]);
                cfg.write(w, "m:UserConfigurationName");
                w.leaf("m:UserConfigurationProperties", properties);
                w.close(&name);
            }
            Operation::CreateUserConfiguration(cfg) | Operation::UpdateUserConfiguration(cfg) => {
                w.open(&name, &[]);
                cfg.write(w, "m:UserConfiguration");
                w.close(&name);
            }
            Operation::DeleteUserConfiguration { name: cfg } => {
                w.open(&name, &[]);
                cfg.write(w, "m:UserConfigurationName");
                w.close(&name);
            }
            Operation::ResolveNames {
                return_full_contact_data,
                unresolved_entries,
            } => {
                w.open(
                    &name,
                    &[(
                        "ReturnFullContactData",
                        if *return_full_contact_data {
                            "true"
                        } else {
                            "false"
                        },
                    )],
                );
                for e in unresolved_entries {
                    w.leaf("m:UnresolvedEntry", e);
                }
                w.close(&name);
            }
            Operation::SendItem {
                save_item_to_folder,
                item_ids,
                saved_item_folder_id,
            } => {
                w.open(
                    &name,
                    &[(
                        "SaveItemToFolder",
                        if *save_item_to_folder {
                            "true"
                        } else {
                            "false"
                        },
                    )],
                );
                ids(w, "m:ItemIds", item_ids);
                if let Some(f) = saved_item_folder_id {
                    folders(w, "m:SavedItemFolderId", std::slice::from_ref(f));
                }
                w.close(&name);
            }
            Operation::CreateFolder {
                parent_folder_id,
                folders: list,
            } => {
                w.open(&name, &[]);
                if let Some(p) = parent_folder_id {
                    folders(w, "m:ParentFolderId", std::slice::from_ref(p));
                }
                w.open("m:Folders", &[]);
                list.iter().for_each(|f| f.write(w));
                w.close("m:Folders");
                w.close(&name);
            }
            Operation::UpdateFolder { changes } => {
                w.open(&name, &[]);
                w.open("m:FolderChanges", &[]);
                for c in changes {
                    w.open("t:FolderChange", &[]);
                    if let Some(f) = &c.folder_id {
                        f.write(w);
                    }
                    FolderUpdate::write_all(&c.updates, w);
                    w.close("t:FolderChange");
                }
                w.close("m:FolderChanges");
                w.close(&name);
            }
            Operation::DeleteFolder {
                delete_type,
                folder_ids,
            } => {
                w.open(&name, &[("DeleteType", delete_type)]);
                folders(w, "m:FolderIds", folder_ids);
                w.close(&name);
            }
            Operation::EmptyFolder {
                delete_type,
                delete_sub_folders,
                folder_ids,
            } => {
                w.open(
                    &name,
                    &[
                        ("DeleteType", delete_type),
                        (
                            "DeleteSubFolders",
                            if *delete_sub_folders { "true" } else { "false" },
                        ),
                    ],
                );
                folders(w, "m:FolderIds", folder_ids);
                w.close(&name);
            }
            Operation::MoveFolder {
                to_folder_id,
                folder_ids,
            }
            | Operation::CopyFolder {
                to_folder_id,
                folder_ids,
            } => {
                w.open(&name, &[]);
                if let Some(f) = to_folder_id {
                    folders(w, "m:ToFolderId", std::slice::from_ref(f));
                }
                folders(w, "m:FolderIds", folder_ids);
                w.close(&name);
            }
            Operation::CreateAttachment {
                parent_item_id,
                attachments,
            } => {
                w.open(&name, &[]);
                if let Some(id) = parent_item_id {
                    id.write(w, "m:ParentItemId");
                }
                crate::attachment::write_attachments(w, "m:Attachments", attachments);
                w.close(&name);
            }
            Operation::GetAttachment {
                body_type,
                include_mime_content,
                attachment_ids,
            } => {
                w.open(&name, &[]);
                if body_type.is_some() || *include_mime_content {
                    w.open("m:AttachmentShape", &[]);
                    if *include_mime_content {
                        w.leaf("t:IncludeMimeContent", "true");
                    }
                    w.opt_leaf("t:BodyType", body_type.as_deref());
                    w.close("m:AttachmentShape");
                }
                write_attachment_ids(w, attachment_ids);
                w.close(&name);
            }
            Operation::DeleteAttachment { attachment_ids } => {
                w.open(&name, &[]);
                write_attachment_ids(w, attachment_ids);
                w.close(&name);
            }
            Operation::GetInboxRules {
                mailbox_smtp_address,
            } => {
                w.open(&name, &[]);
                w.opt_leaf("m:MailboxSmtpAddress", mailbox_smtp_address.as_deref());
                w.close(&name);
            }
            Operation::UpdateInboxRules {
                mailbox_smtp_address,
                remove_outlook_rule_blob,
                operations,
            } => {
                w.open(&name, &[]);
                w.opt_leaf("m:MailboxSmtpAddress", mailbox_smtp_address.as_deref());
                w.leaf(
                    "m:RemoveOutlookRuleBlob",
                    bool_text(*remove_outlook_rule_blob),
                );
                w.open("m:Operations", &[]);
                operations.iter().for_each(|o| o.write(w));
                w.close("m:Operations");
                w.close(&name);
            }
            Operation::ExportItems { item_ids } => {
                w.open(&name, &[]);
                ids(w, "m:ItemIds", item_ids);
                w.close(&name);
            }
            Operation::UploadItems { items } => {
                w.open(&name, &[]);
                w.open("m:Items", &[]);
                items.iter().for_each(|i| i.write(w));
                w.close("m:Items");
                w.close(&name);
            }
            Operation::SyncFolderHierarchy {
                shape,
                sync_folder_id,
                sync_state,
            } => {
                w.open(&name, &[]);
                shape.write(w, "m:FolderShape");
                if let Some(f) = sync_folder_id {
                    folders(w, "m:SyncFolderId", std::slice::from_ref(f));
                }
                w.opt_leaf("m:SyncState", sync_state.as_deref());
                w.close(&name);
            }
            Operation::SyncFolderItems {
                shape,
                sync_folder_id,
                sync_state,
                ignore,
                max_changes_returned,
                sync_scope,
            } => {
                w.open(&name, &[]);
                shape.write(w, "m:ItemShape");
                if let Some(f) = sync_folder_id {
                    folders(w, "m:SyncFolderId", std::slice::from_ref(f));
                }
                w.opt_leaf("m:SyncState", sync_state.as_deref());
                if !ignore.is_empty() {
                    ids(w, "m:Ignore", ignore);
                }
                w.leaf("m:MaxChangesReturned", &max_changes_returned.to_string());
                w.opt_leaf("m:SyncScope", sync_scope.as_deref());
                w.close(&name);
            }
            Operation::GetServiceConfiguration { requested } => {
                w.open(&name, &[]);
                w.open("m:RequestedConfiguration", &[]);
                requested
                    .iter()
                    .for_each(|c| w.leaf("m:ConfigurationName", c));
                w.close("m:RequestedConfiguration");
                w.close(&name);
            }
            Operation::GetMailTips {
                sending_as,
                recipients,
                mail_tips_requested,
            } => {
                w.open(&name, &[]);
                sending_as.write(w, "m:SendingAs");
                w.open("m:Recipients", &[]);
                recipients.iter().for_each(|r| r.write(w, "t:Mailbox"));
                w.close("m:Recipients");
                w.leaf("m:MailTipsRequested", mail_tips_requested);
                w.close(&name);
            }
            Operation::GetDelegate {
                include_permissions,
                mailbox,
                user_ids,
            } => {
                w.open(
                    &name,
                    &[("IncludePermissions", bool_text(*include_permissions))],
                );
                mailbox.write(w, "m:Mailbox");
                if !user_ids.is_empty() {
                    w.open("m:UserIds", &[]);
                    user_ids.iter().for_each(|u| u.write(w));
                    w.close("m:UserIds");
                }
                w.close(&name);
            }
            Operation::AddDelegate {
                mailbox,
                delegate_users,
                deliver_meeting_requests,
            }
            | Operation::UpdateDelegate {
                mailbox,
                delegate_users,
                deliver_meeting_requests,
            } => {
                w.open(&name, &[]);
                mailbox.write(w, "m:Mailbox");
                if !delegate_users.is_empty() {
                    w.open("m:DelegateUsers", &[]);
                    delegate_users
                        .iter()
                        .for_each(|d| d.write(w, "t:DelegateUser"));
                    w.close("m:DelegateUsers");
                }
                w.opt_leaf(
                    "m:DeliverMeetingRequests",
                    deliver_meeting_requests.as_deref(),
                );
                w.close(&name);
            }
            Operation::RemoveDelegate { mailbox, user_ids } => {
                w.open(&name, &[]);
                mailbox.write(w, "m:Mailbox");
                w.open("m:UserIds", &[]);
                user_ids.iter().for_each(|u| u.write(w));
                w.close("m:UserIds");
                w.close(&name);
            }
            Operation::GetRoomLists => w.empty(&name, &[]),
            Operation::GetUserOofSettings { mailbox } => {
                w.open(&name, &[]);
                crate::availability::write_mailbox(w, mailbox);
                w.close(&name);
            }
            Operation::SetUserOofSettings { mailbox, settings } => {
                w.open(&name, &[]);
                crate::availability::write_mailbox(w, mailbox);
                settings.write(w, "t:UserOofSettings");
                w.close(&name);
            }
            Operation::GetUserAvailability {
                time_zone,
                mailboxes,
                free_busy,
            } => {
                w.open(&name, &[]);
                time_zone.write(w, "t:TimeZone");
                w.open("m:MailboxDataArray", &[]);
                mailboxes.iter().for_each(|m| m.write(w));
                w.close("m:MailboxDataArray");
                if let Some(f) = free_busy {
                    f.write(w);
                }
                w.close(&name);
            }
            Operation::GetServerTimeZones {
                return_full_data,
                ids,
            } => {
                w.open(
                    &name,
                    &[("ReturnFullTimeZoneData", bool_text(*return_full_data))],
                );
                if !ids.is_empty() {
                    w.open("m:Ids", &[]);
                    ids.iter().for_each(|id| w.leaf("t:Id", id));
                    w.close("m:Ids");
                }
                w.close(&name);
            }
            Operation::GetRooms { room_list } => {
                w.open(&name, &[]);
                room_list.write(w, "m:RoomList");
                w.close(&name);
            }
            Operation::GetSearchableMailboxes {
                search_filter,
                expand_group_membership,
            } => {
                w.open(&name, &[]);
                w.opt_leaf("m:SearchFilter", search_filter.as_deref());
                w.leaf(
                    "m:ExpandGroupMembership",
                    bool_text(*expand_group_membership),
                );
                w.close(&name);
            }
            Operation::ExpandDL { mailbox } => {
                w.open(&name, &[]);
                mailbox.write(w, "m:Mailbox");
                w.close(&name);
            }
            Operation::MarkAsJunk {
                is_junk,
                move_item,
                item_ids,
            } => {
                w.open(
                    &name,
                    &[
                        ("IsJunk", bool_text(*is_junk)),
                        ("MoveItem", bool_text(*move_item)),
                    ],
                );
                ids(w, "m:ItemIds", item_ids);
                w.close(&name);
            }
            Operation::MarkAllItemsAsRead {
                read_flag,
                suppress_read_receipts,
                folder_ids,
            } => {
                w.open(&name, &[]);
                w.leaf("m:ReadFlag", bool_text(*read_flag));
                w.leaf("m:SuppressReadReceipts", bool_text(*suppress_read_receipts));
                folders(w, "m:FolderIds", folder_ids);
                w.close(&name);
            }
            Operation::Other { .. } => w.empty(&name, &[]),
        }
    }
}

/// `t:UserId` of the delegate operations: a SID, an SMTP address, or a distinguished user.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UserId {
    pub sid: Option<String>,
    pub primary_smtp_address: Option<String>,
    pub display_name: Option<String>,
    pub distinguished_user: Option<String>,
}

impl UserId {
    pub fn parse(el: &Element) -> UserId {
        UserId {
            sid: el.child_text("SID"),
            primary_smtp_address: el.child_text("PrimarySmtpAddress"),
            display_name: el.child_text("DisplayName"),
            distinguished_user: el.child_text("DistinguishedUser"),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:UserId", &[]);
        w.opt_leaf("t:SID", self.sid.as_deref());
        w.opt_leaf("t:PrimarySmtpAddress", self.primary_smtp_address.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        w.opt_leaf("t:DistinguishedUser", self.distinguished_user.as_deref());
        w.close("t:UserId");
    }
}

/// The delegate operations' `m:Mailbox`.
fn delegate_mailbox(op: &Element) -> EmailAddress {
    op.child("Mailbox")
        .map(EmailAddress::parse)
        .unwrap_or_default()
}

/// The delegate operations' `m:UserIds`.
fn delegate_user_ids(op: &Element) -> Vec<UserId> {
    op.child("UserIds")
        .map(|u| u.children_named("UserId").map(UserId::parse).collect())
        .unwrap_or_default()
}

/// `t:DelegatePermissions`: a permission level (None, Editor, Reviewer, Author, Custom) for
/// each of the owner's default folders, when given.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegatePermissions {
    pub calendar: Option<String>,
    pub tasks: Option<String>,
    pub inbox: Option<String>,
    pub contacts: Option<String>,
    pub notes: Option<String>,
    pub journal: Option<String>,
}

const DELEGATE_FOLDERS: [&str; 6] = ["Calendar", "Tasks", "Inbox", "Contacts", "Notes", "Journal"];

impl DelegatePermissions {
    fn slots(&mut self) -> [&mut Option<String>; 6] {
        [
            &mut self.calendar,
            &mut self.tasks,
            &mut self.inbox,
            &mut self.contacts,
            &mut self.notes,
            &mut self.journal,
        ]
    }

    /// (folder, level) of the levels given.
    pub fn levels(&self) -> Vec<(&'static str, &str)> {
        let given = [
            &self.calendar,
            &self.tasks,
            &self.inbox,
            &self.contacts,
            &self.notes,
            &self.journal,
        ];
        DELEGATE_FOLDERS
            .iter()
            .zip(given)
            .filter_map(|(f, l)| l.as_deref().map(|l| (*f, l)))
            .collect()
    }

    pub fn parse(el: &Element) -> DelegatePermissions {
        let mut p = DelegatePermissions::default();
        for (folder, slot) in DELEGATE_FOLDERS.iter().zip(p.slots()) {
            *slot = el.child_text(&format!("{folder}FolderPermissionLevel"));
        }
        p
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:DelegatePermissions", &[]);
        for (folder, level) in self.levels() {
            w.leaf(&format!("t:{folder}FolderPermissionLevel"), level);
        }
        w.close("t:DelegatePermissions");
    }
}

/// `t:DelegateUser`: who, with which folder permissions, and the two meeting options.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DelegateUser {
    pub user_id: UserId,
    pub permissions: Option<DelegatePermissions>,
    pub receive_copies_of_meeting_messages: Option<bool>,
    pub view_private_items: Option<bool>,
}

impl DelegateUser {
    pub fn parse(el: &Element) -> DelegateUser {
        DelegateUser {
            user_id: el.child("UserId").map(UserId::parse).unwrap_or_default(),
            permissions: el
                .child("DelegatePermissions")
                .map(DelegatePermissions::parse),
            receive_copies_of_meeting_messages: el
                .child_text("ReceiveCopiesOfMeetingMessages")
                .and_then(|t| crate::types::parse_bool(&t)),
            view_private_items: el
                .child_text("ViewPrivateItems")
                .and_then(|t| crate::types::parse_bool(&t)),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        self.user_id.write(w);
        if let Some(p) = &self.permissions {
            p.write(w);
        }
        let b = |v: bool| if v { "true" } else { "false" };
        w.opt_leaf(
            "t:ReceiveCopiesOfMeetingMessages",
            self.receive_copies_of_meeting_messages.map(b),
        );
        w.opt_leaf("t:ViewPrivateItems", self.view_private_items.map(b));
        w.close(name);
    }
}

/// One `t:Item` of UploadItems: where it goes, how, and the data ExportItems gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadItem {
    /// `CreateNew`, `Update` or `UpdateOrCreate`.
    pub create_action: String,
    pub is_associated: bool,
    pub parent_folder_id: Option<FolderId>,
    pub item_id: Option<ItemId>,
    pub data: String,
}

impl UploadItem {
    fn parse(el: &Element) -> UploadItem {
        UploadItem {
            create_action: el.attr("CreateAction").unwrap_or("CreateNew").to_string(),
            is_associated: el
                .attr("IsAssociated")
                .and_then(parse_bool)
                .unwrap_or(false),
            parent_folder_id: el.child("ParentFolderId").map(ItemId::parse),
            item_id: el.child("ItemId").map(ItemId::parse),
            data: el
                .child_text("Data")
                .map(|d| d.split_whitespace().collect())
                .unwrap_or_default(),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.open(
            "t:Item",
            &[
                ("CreateAction", &self.create_action),
                ("IsAssociated", bool_text(self.is_associated)),
            ],
        );
        if let Some(p) = &self.parent_folder_id {
            p.write(w, "t:ParentFolderId");
        }
        if let Some(i) = &self.item_id {
            i.write(w, "t:ItemId");
        }
        w.leaf("t:Data", &self.data);
        w.close("t:Item");
    }
}

fn write_attachment_ids(w: &mut Writer, ids: &[crate::attachment::AttachmentId]) {
    w.open("m:AttachmentIds", &[]);
    ids.iter().for_each(|id| id.write(w, "t:AttachmentId"));
    w.close("m:AttachmentIds");
}

/// A whole request: header and operation.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub header: Header,
    pub operation: Operation,
}

impl Request {
    /// A request with the server version Hybrid's own clients send.
    pub fn new(operation: Operation) -> Request {
        Request {
            header: Header {
                server_version: Some("Exchange2016".into()),
                ..Header::default()
            },
            operation,
        }
    }

    /// Parses a request body: bounded, UTF-8 (a BOM is allowed), a SOAP 1.1 envelope.
    pub fn parse(body: &[u8]) -> Result<Request, EwsError> {
        if body.len() > MAX_REQUEST_BYTES {
            return Err(EwsError::TooLarge(body.len(), MAX_REQUEST_BYTES));
        }
        let text = std::str::from_utf8(body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body))
            .map_err(|_| bad("the request is not UTF-8"))?;
        let root = xml::parse(text)?;
        if root.ns != NS_SOAP || root.name != "Envelope" {
            return Err(bad("the root element is not a SOAP 1.1 Envelope"));
        }
        // One Header at most, one Body, one operation in it: a message that carries two could
        // be read as either, so it is read as neither.
        if root.children_named("Header").count() > 1 || root.children_named("Body").count() != 1 {
            return Err(bad(
                "the envelope must have one Body and at most one Header",
            ));
        }
        let body = root
            .child("Body")
            .ok_or_else(|| bad("the envelope has no Body"))?;
        let mut ops = body.elements();
        let op = ops.next().ok_or_else(|| bad("the Body is empty"))?;
        if ops.next().is_some() {
            return Err(bad("the Body carries more than one operation"));
        }
        Ok(Request {
            header: Header::parse(root.child("Header"))?,
            operation: Operation::parse(op)?,
        })
    }

    /// The request as a client sends it.
    pub fn to_xml(&self) -> String {
        let mut w = Writer::document();
        w.open(
            "s:Envelope",
            &[
                ("xmlns:s", NS_SOAP),
                ("xmlns:m", NS_MESSAGES),
                ("xmlns:t", NS_TYPES),
            ],
        );
        self.header.write(&mut w);
        w.open("s:Body", &[]);
        self.operation.write(&mut w);
        w.close("s:Body");
        w.close("s:Envelope");
        w.finish()
    }
}
