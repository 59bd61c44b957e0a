//! What an EWS request asks of the mailbox, in the mailbox's terms: an item to make, the
//! changes to one, the item or folder it names, attachments to add, an answer to a meeting, a
//! reply or forward.

use super::field_uris::{self, Column, Target};
use super::fields;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ews::{Attachment, AttachmentContent, FolderRef, Item, ItemId, ItemUpdate, PropertyPath};
use mailbox::{
    Answer, Body, ConflictResolution, DeleteKind, FolderTarget, ItemChange, ItemDraft, ItemKind,
    ItemTarget, MailboxError, NewAttachment, NewContent, OccurrenceRef, PropertyRef, Response,
    ResponseKind,
};

/// An item a client sends, as a draft for the mailbox.
pub fn draft(item: &Item) -> Result<ItemDraft, MailboxError> {
    let mime = item
        .mime_content
        .as_deref()
        .map(|m| {
            STANDARD.decode(m).map_err(|_| {
                MailboxError::InvalidRequest("MimeContent is not valid base64.".into())
            })
        })
        .transpose()?;
    let attachments = item
        .attachments
        .as_ref()
        .map(|list| list.iter().map(attachment).collect::<Result<Vec<_>, _>>())
        .transpose()?;
    Ok(ItemDraft {
        kind: Some(ItemKind::from_name(&item.kind)),
        class: item.item_class.clone(),
        subject: item.subject.clone(),
        body: item.body.as_ref().map(body),
        is_read: item.is_read,
        is_draft: item.is_draft,
        props: item.other.iter().map(fields::property).collect(),
        extended: item.extended.iter().map(super::mapi::to_mailbox).collect(),
        attachments,
        mime,
    })
}

fn body(b: &ews::Body) -> Body {
    Body {
        body_type: b.body_type.clone(),
        text: b.text.clone(),
    }
}

/// An attachment a client adds (CreateItem's `t:Attachments`, CreateAttachment).
pub fn attachment(a: &Attachment) -> Result<NewAttachment, MailboxError> {
    let content = match &a.content {
        AttachmentContent::File {
            content,
            is_contact_photo,
        } => NewContent::File {
            bytes: STANDARD
                .decode(content.as_deref().unwrap_or_default())
                .map_err(|_| {
                    MailboxError::InvalidRequest(
                        "The content of a file attachment is not valid base64.".into(),
                    )
                })?,
            is_contact_photo: is_contact_photo.unwrap_or(false),
        },
        AttachmentContent::Item(Some(item)) => NewContent::Item(Box::new(draft(item)?)),
        AttachmentContent::Item(None) => {
            return Err(MailboxError::InvalidRequest(
                "An item attachment must hold an item.".into(),
            ));
        }
    };
    Ok(NewAttachment {
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        content_id: a.content_id.clone(),
        content_location: a.content_location.clone(),
        is_inline: a.is_inline.unwrap_or(false),
        content,
    })
}

/// UpdateItem's changes as the mailbox applies them.
pub fn changes(updates: &[ItemUpdate]) -> Result<Vec<ItemChange>, MailboxError> {
    updates
        .iter()
        .filter_map(|u| change(u).transpose())
        .collect()
}

/// A change, or none when it changes nothing (deleting one of the row's own columns).
fn change(u: &ItemUpdate) -> Result<Option<ItemChange>, MailboxError> {
    Ok(match u {
        ItemUpdate::Set { item, .. } => Some(ItemChange::Set(draft(item)?)),
        ItemUpdate::Append { item, .. } => Some(ItemChange::Append(draft(item)?)),
        ItemUpdate::Delete { path: Some(path) } => deleted(path).map(ItemChange::Delete),
        ItemUpdate::Delete { path: None } => {
            return Err(MailboxError::InvalidPropertySet(
                "A DeleteItemField names no property.".into(),
            ));
        }
        ItemUpdate::Unknown(other) => {
            return Err(MailboxError::InvalidRequest(format!(
                "'{other}' is not an item change."
            )));
        }
    })
}

/// The property a DeleteItemField names; none for one of the row's own columns other than
/// the subject and body, which are not the client's to delete.
fn deleted(path: &PropertyPath) -> Option<PropertyRef> {
    if let PropertyPath::Extended(e) = path {
        return Some(PropertyRef::Extended(super::mapi::name_to_mailbox(e)));
    }
    Some(match field_uris::target(path) {
        Target::Column(Column::Subject) => PropertyRef::Subject,
        Target::Column(Column::Body) => PropertyRef::Body,
        Target::Column(_) | Target::Extended(_) => return None,
        Target::Prop(tag) => PropertyRef::Prop(tag),
        Target::Entry {
            dictionary,
            key,
            part,
        } => PropertyRef::Entry {
            dictionary,
            key,
            part,
        },
    })
}

/// The item an id names.
pub fn target(id: &ItemId) -> ItemTarget {
    ItemTarget {
        id: id.id.clone(),
        change_key: id.change_key.clone(),
        occurrence: id.occurrence.map(|o| match o {
            ews::OccurrenceRef::Instance(i) => OccurrenceRef::Instance(i),
            ews::OccurrenceRef::MasterOf => OccurrenceRef::MasterOf,
        }),
    }
}

/// The folder a folder id names.
pub fn folder(r: &FolderRef) -> FolderTarget {
    match r {
        FolderRef::Id(id) => FolderTarget::Id(id.id.clone()),
        FolderRef::Distinguished(d) => FolderTarget::Distinguished(d.id.clone()),
        FolderRef::Other(name) => FolderTarget::Other(name.clone()),
    }
}

pub fn conflict_resolution(v: Option<&str>) -> ConflictResolution {
    match v {
        Some("NeverOverwrite") => ConflictResolution::NeverOverwrite,
        Some("AlwaysOverwrite") => ConflictResolution::AlwaysOverwrite,
        _ => ConflictResolution::AutoResolve,
    }
}

pub fn delete_kind(v: &str) -> DeleteKind {
    match v {
        "SoftDelete" => DeleteKind::Soft,
        "MoveToDeletedItems" => DeleteKind::MoveToDeletedItems,
        _ => DeleteKind::Hard,
    }
}

/// The answer a meeting response item (`t:AcceptItem`, …) gives, if it is one.
pub fn answer(kind: &str) -> Option<Answer> {
    match kind {
        "AcceptItem" => Some(Answer::Accept),
        "TentativelyAcceptItem" => Some(Answer::Tentative),
        "DeclineItem" => Some(Answer::Decline),
        _ => None,
    }
}

/// A reply or forward (`t:ReplyToItem`, `t:ReplyAllToItem`, `t:ForwardItem`), if the item is one.
pub fn response(item: &Item) -> Option<Result<Response, MailboxError>> {
    let kind = match item.kind.as_str() {
        "ReplyToItem" => ResponseKind::Reply,
        "ReplyAllToItem" => ResponseKind::ReplyAll,
        "ForwardItem" => ResponseKind::Forward,
        _ => return None,
    };
    let reference = item
        .other
        .iter()
        .find(|o| o.name == "ReferenceItemId")
        .and_then(|r| r.attr("Id"))
        .map(str::to_string);
    let new_body = item
        .other
        .iter()
        .find(|o| o.name == "NewBodyContent")
        .map(|b| Body {
            body_type: b.attr("BodyType").unwrap_or("Text").to_string(),
            text: b.text(),
        });
    Some(match reference {
        None => Err(MailboxError::InvalidRequest(format!(
            "{} names no ReferenceItemId.",
            item.kind
        ))),
        Some(reference) => draft(item).map(|draft| Response {
            kind,
            reference,
            draft,
            new_body,
        }),
    })
}
