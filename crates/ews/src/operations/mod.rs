//! Every EWS operation Hybrid reads and writes, one file each: the request's type, how it is read
//! from the bounded XML tree and how a client writes it. The list below is the one place an
//! operation is named: [`Operation`], its parser and writer, and [`Operation::NAMES`] (which the
//! management roles are built from) come from it. Adding an operation is a new file here and a
//! line in the list, then the server's handler for it.

use crate::EwsError;
use crate::delegate::*;
use crate::soap::NS_MESSAGES;
use crate::types::*;
use crate::writer::Writer;
use crate::xml::Element;

mod add_update_delegate;
mod archive_item;
mod convert_id;
mod create_attachment;
mod create_folder;
mod create_item;
mod delete_attachment;
mod delete_folder;
mod delete_item;
mod delete_user_configuration;
mod empty_folder;
mod expand_dl;
mod export_items;
mod find;
mod find_people;
mod get_attachment;
mod get_delegate;
mod get_events;
mod get_folder;
mod get_inbox_rules;
mod get_item;
mod get_mail_tips;
mod get_persona;
mod get_room_lists;
mod get_rooms;
mod get_searchable_mailboxes;
mod get_server_time_zones;
mod get_service_configuration;
mod get_streaming_events;
mod get_user_availability;
mod get_user_configuration;
mod get_user_oof_settings;
mod mark_all_items_as_read;
mod mark_as_junk;
mod move_copy_folder;
mod move_copy_item;
mod remove_delegate;
mod resolve_names;
mod send_item;
mod set_user_oof_settings;
mod subscribe;
mod sync_folder_hierarchy;
mod sync_folder_items;
mod unsubscribe;
mod update_folder;
mod update_inbox_rules;
mod update_item;
mod update_item_in_recoverable_items;
mod upload_items;
mod user_configuration;

pub use add_update_delegate::*;
pub use archive_item::*;
pub use convert_id::*;
pub use create_attachment::*;
pub use create_folder::*;
pub use create_item::*;
pub use delete_attachment::*;
pub use delete_folder::*;
pub use delete_item::*;
pub use delete_user_configuration::*;
pub use empty_folder::*;
pub use expand_dl::*;
pub use export_items::*;
pub use find::*;
pub use find_people::*;
pub use get_attachment::*;
pub use get_delegate::*;
pub use get_events::*;
pub use get_folder::*;
pub use get_inbox_rules::*;
pub use get_item::*;
pub use get_mail_tips::*;
pub use get_persona::*;
pub use get_room_lists::*;
pub use get_rooms::*;
pub use get_searchable_mailboxes::*;
pub use get_server_time_zones::*;
pub use get_service_configuration::*;
pub use get_streaming_events::*;
pub use get_user_availability::*;
pub use get_user_configuration::*;
pub use get_user_oof_settings::*;
pub use mark_all_items_as_read::*;
pub use mark_as_junk::*;
pub use move_copy_folder::*;
pub use move_copy_item::*;
pub use remove_delegate::*;
pub use resolve_names::*;
pub use send_item::*;
pub use set_user_oof_settings::*;
pub use subscribe::*;
pub use sync_folder_hierarchy::*;
pub use sync_folder_items::*;
pub use unsubscribe::*;
pub use update_folder::*;
pub use update_inbox_rules::*;
pub use update_item::*;
pub use update_item_in_recoverable_items::*;
pub use upload_items::*;

/// What each operation's request type does: read itself from its element and write itself as
/// that element (`element` is its qualified name, `m:GetFolder`).
pub trait OperationBody: Sized {
    /// How the operation's response carries its messages.
    const RESPONSE: ResponseForm = ResponseForm::Messages;

    fn parse(op: &Element) -> Result<Self, EwsError>;
    fn write(&self, w: &mut Writer, element: &str);
}

/// How a response carries its messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseForm {
    /// `m:ResponseMessages` with an `m:{Op}ResponseMessage` per input (most operations).
    Messages,
    /// One message written in the response element itself
    /// (`m:GetRoomListsResponse ResponseClass="Success"`).
    Single,
    /// The availability service's automatic replies: one `m:ResponseMessage`, the settings beside it.
    Availability,
    /// GetUserAvailability's `m:FreeBusyResponseArray`, a `m:FreeBusyResponse` per mailbox.
    FreeBusy,
    /// A class and code of the operation's own around messages of the type named
    /// (`m:GetMailTipsResponse` holding `m:MailTipsResponseMessageType`).
    Wrapped(&'static str),
    /// One message as the body's element itself, under a name of its own
    /// (`m:GetPersonaResponseMessage`).
    Named(&'static str),
}

macro_rules! operations {
    ($($variant:ident($element:literal) => $body:ident,)*) => {
        /// Every operation this server answers, and [`Operation::Other`] for the rest.
        #[derive(Clone, PartialEq)]
        pub enum Operation {
            $($variant($body),)*
            /// An operation this server does not run (its local name and namespace).
            Other { name: String, namespace: String },
        }

        impl Operation {
            /// The names of the operations this server runs, in the list's order.
            pub const NAMES: &[&str] = &[$(stringify!($variant),)*];

            /// The operation's name (and so its response's: `{name}Response`).
            pub fn name(&self) -> &str {
                match self {
                    $(Operation::$variant(_) => stringify!($variant),)*
                    Operation::Other { name, .. } => name,
                }
            }

            /// Reads the operation an element of the messages namespace names; any other is
            /// [`Operation::Other`], answered by the server as Exchange answers an unknown one.
            pub fn parse(op: &Element) -> Result<Operation, EwsError> {
                if op.ns != NS_MESSAGES {
                    return Ok(Operation::Other {
                        name: op.name.clone(),
                        namespace: op.ns.clone(),
                    });
                }
                Ok(match op.name.as_str() {
                    $($element => Operation::$variant(<$body as OperationBody>::parse(op)?),)*
                    other => Operation::Other {
                        name: other.to_string(),
                        namespace: op.ns.clone(),
                    },
                })
            }

            pub(crate) fn write(&self, w: &mut Writer) {
                match self {
                    $(Operation::$variant(b) => OperationBody::write(b, w, concat!("m:", $element)),)*
                    Operation::Other { name, .. } => w.empty(&format!("m:{name}"), &[]),
                }
            }
        }

        impl ResponseForm {
            /// The form of the response to the operation of that name.
            pub fn of(operation: &str) -> ResponseForm {
                match operation {
                    $(stringify!($variant) => <$body as OperationBody>::RESPONSE,)*
                    _ => ResponseForm::Messages,
                }
            }
        }

        /// An operation whose type bears its name prints as that type; the two that share a
        /// type (Find, UserConfiguration) print with their operation's name around it.
        impl std::fmt::Debug for Operation {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $(Operation::$variant(b) if stringify!($variant) == stringify!($body) => b.fmt(f),
                    Operation::$variant(b) => f.debug_tuple(stringify!($variant)).field(b).finish(),)*
                    Operation::Other { name, namespace } => f
                        .debug_struct("Other")
                        .field("name", name)
                        .field("namespace", namespace)
                        .finish(),
                }
            }
        }
    };
}

operations! {
    ConvertId("ConvertId") => ConvertId,
    GetFolder("GetFolder") => GetFolder,
    FindFolder("FindFolder") => Find,
    FindItem("FindItem") => Find,
    GetItem("GetItem") => GetItem,
    CreateItem("CreateItem") => CreateItem,
    UpdateItem("UpdateItem") => UpdateItem,
    UpdateItemInRecoverableItems("UpdateItemInRecoverableItems") => UpdateItemInRecoverableItems,
    DeleteItem("DeleteItem") => DeleteItem,
    MoveItem("MoveItem") => MoveItem,
    CopyItem("CopyItem") => CopyItem,
    GetUserConfiguration("GetUserConfiguration") => GetUserConfiguration,
    CreateUserConfiguration("CreateUserConfiguration") => UserConfiguration,
    UpdateUserConfiguration("UpdateUserConfiguration") => UserConfiguration,
    DeleteUserConfiguration("DeleteUserConfiguration") => DeleteUserConfiguration,
    ResolveNames("ResolveNames") => ResolveNames,
    SendItem("SendItem") => SendItem,
    CreateFolder("CreateFolder") => CreateFolder,
    UpdateFolder("UpdateFolder") => UpdateFolder,
    DeleteFolder("DeleteFolder") => DeleteFolder,
    EmptyFolder("EmptyFolder") => EmptyFolder,
    MoveFolder("MoveFolder") => MoveFolder,
    CopyFolder("CopyFolder") => CopyFolder,
    CreateAttachment("CreateAttachment") => CreateAttachment,
    GetAttachment("GetAttachment") => GetAttachment,
    DeleteAttachment("DeleteAttachment") => DeleteAttachment,
    ExportItems("ExportItems") => ExportItems,
    GetInboxRules("GetInboxRules") => GetInboxRules,
    UpdateInboxRules("UpdateInboxRules") => UpdateInboxRules,
    UploadItems("UploadItems") => UploadItems,
    SyncFolderHierarchy("SyncFolderHierarchy") => SyncFolderHierarchy,
    SyncFolderItems("SyncFolderItems") => SyncFolderItems,
    GetServiceConfiguration("GetServiceConfiguration") => GetServiceConfiguration,
    GetMailTips("GetMailTips") => GetMailTips,
    GetDelegate("GetDelegate") => GetDelegate,
    AddDelegate("AddDelegate") => AddDelegate,
    UpdateDelegate("UpdateDelegate") => UpdateDelegate,
    RemoveDelegate("RemoveDelegate") => RemoveDelegate,
    GetRoomLists("GetRoomLists") => GetRoomLists,
    GetUserOofSettings("GetUserOofSettingsRequest") => GetUserOofSettings,
    SetUserOofSettings("SetUserOofSettingsRequest") => SetUserOofSettings,
    GetUserAvailability("GetUserAvailabilityRequest") => GetUserAvailability,
    GetServerTimeZones("GetServerTimeZones") => GetServerTimeZones,
    GetRooms("GetRooms") => GetRooms,
    GetSearchableMailboxes("GetSearchableMailboxes") => GetSearchableMailboxes,
    ExpandDL("ExpandDL") => ExpandDL,
    MarkAsJunk("MarkAsJunk") => MarkAsJunk,
    MarkAllItemsAsRead("MarkAllItemsAsRead") => MarkAllItemsAsRead,
    Subscribe("Subscribe") => Subscribe,
    GetEvents("GetEvents") => GetEvents,
    GetStreamingEvents("GetStreamingEvents") => GetStreamingEvents,
    Unsubscribe("Unsubscribe") => Unsubscribe,
    FindPeople("FindPeople") => FindPeople,
    GetPersona("GetPersona") => GetPersona,
    ArchiveItem("ArchiveItem") => ArchiveItem,
}

fn attr(op: &Element, name: &str) -> Option<String> {
    op.attr(name).map(str::to_string)
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

/// A search's `m:Restriction` (its one condition).
fn restriction_in(op: &Element) -> Option<Restriction> {
    op.child("Restriction")
        .and_then(|r| r.elements().next())
        .map(Restriction::parse)
}

/// A search's `m:Restriction` and `m:SortOrder`, each when there is one.
fn write_restriction_and_sort(w: &mut Writer, r: Option<&Restriction>, sort: &[FieldOrder]) {
    if let Some(r) = r {
        w.open("m:Restriction", &[]);
        r.write(w);
        w.close("m:Restriction");
    }
    if !sort.is_empty() {
        w.open("m:SortOrder", &[]);
        sort.iter().for_each(|o| o.write(w));
        w.close("m:SortOrder");
    }
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

fn write_attachment_ids(w: &mut Writer, ids: &[crate::attachment::AttachmentId]) {
    w.open("m:AttachmentIds", &[]);
    ids.iter().for_each(|id| id.write(w, "t:AttachmentId"));
    w.close("m:AttachmentIds");
}

/// The AddDelegate and UpdateDelegate requests' `m:DelegateUsers`.
fn delegate_users(op: &Element) -> Vec<DelegateUser> {
    op.child("DelegateUsers")
        .map(|d| {
            d.children_named("DelegateUser")
                .map(DelegateUser::parse)
                .collect()
        })
        .unwrap_or_default()
}

fn write_item_ids(w: &mut Writer, container: &str, ids: &[ItemId]) {
    w.open(container, &[]);
    for id in ids {
        id.write(w, "t:ItemId");
    }
    w.close(container);
}

fn write_folder_refs(w: &mut Writer, container: &str, ids: &[FolderRef]) {
    w.open(container, &[]);
    for f in ids {
        f.write(w);
    }
    w.close(container);
}
