//! Attachments: file attachments (their bytes stored once by digest, see `store::blobs`) and
//! item attachments (the attached item kept whole in its parent's property bag, with its own
//! attachments), their ids and their size limit.

use crate::MailboxError;
use crate::draft::{NewAttachment, NewContent};
use crate::item;
use crate::props::{AttachedItem, MAX_ATTACHMENT_BYTES, StoredAttachment, StoredContent};

/// How deep item attachments may nest (an item attached to an item attached to …).
pub const MAX_NESTING: usize = 8;

/// An attachment's id on the wire: its item's id followed by the local id of each attachment on
/// the path to it (8 hex digits each), so that an attachment of an attached item has an id too.
const LOCAL_ID_LEN: usize = 8;

/// The attachments a write adds, and the file contents to store before the write.
#[derive(Default)]
pub struct NewAttachments {
    pub attachments: Vec<StoredAttachment>,
    pub blobs: Vec<(String, Vec<u8>)>,
}

fn local_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()[..LOCAL_ID_LEN].to_string()
}

pub fn digest(content: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(
        &aws_lc_rs::digest::SHA256,
        content,
    ))
}

/// Makes stored attachments of what a client sends (CreateItem's attachments,
/// CreateAttachment), checking each one.
pub fn from_new(
    attachments: &[NewAttachment],
    now: i64,
    depth: usize,
) -> Result<NewAttachments, MailboxError> {
    let mut out = NewAttachments::default();
    for a in attachments {
        let stored = stored(a, now, depth, &mut out.blobs)?;
        out.attachments.push(stored);
    }
    Ok(out)
}

fn stored(
    a: &NewAttachment,
    now: i64,
    depth: usize,
    blobs: &mut Vec<(String, Vec<u8>)>,
) -> Result<StoredAttachment, MailboxError> {
    if depth >= MAX_NESTING {
        return Err(MailboxError::InvalidRequest(format!(
            "Item attachments nest at most {MAX_NESTING} deep."
        )));
    }
    let (content, size) = match &a.content {
        NewContent::File {
            bytes,
            is_contact_photo,
        } => {
            if bytes.len() > MAX_ATTACHMENT_BYTES {
                return Err(MailboxError::AttachmentSizeLimitExceeded(bytes.len()));
            }
            let blob = digest(bytes);
            let size = bytes.len() as i64;
            blobs.push((blob.clone(), bytes.clone()));
            (
                StoredContent::File {
                    blob,
                    is_contact_photo: *is_contact_photo,
                },
                size,
            )
        }
        NewContent::Item(src) => {
            let (row, mut props) = item::new_detached(src, now);
            if let Some(nested) = &src.attachments {
                props.attachments = nested
                    .iter()
                    .map(|a| stored(a, now, depth + 1, blobs))
                    .collect::<Result<_, _>>()?;
            }
            let size = row.size;
            (
                StoredContent::Item(Box::new(AttachedItem {
                    tag: row.tag,
                    item_class: row.item_class,
                    subject: row.subject,
                    is_read: row.is_read,
                    is_draft: row.is_draft,
                    created_ms: row.created_ms,
                    props,
                })),
                size,
            )
        }
    };
    Ok(StoredAttachment {
        local_id: local_id(),
        name: a.name.clone(),
        content_type: a.content_type.clone(),
        content_id: a.content_id.clone(),
        content_location: a.content_location.clone(),
        is_inline: a.is_inline,
        modified_ms: now,
        size,
        content,
    })
}

/// An attachment's wire id from its item's id and the path of local ids.
pub fn wire_id(item_id: &str, path: &[&str]) -> String {
    let mut id = item_id.to_string();
    path.iter().for_each(|p| id.push_str(p));
    id
}

/// Splits a wire id into its item's id and the path of local ids; None if it is not one of
/// this server's attachment ids.
pub fn parse_wire_id(id: &str) -> Option<(&str, Vec<&str>)> {
    if id.len() <= 32
        || !(id.len() - 32).is_multiple_of(LOCAL_ID_LEN)
        || !id.bytes().all(|b| b.is_ascii_hexdigit())
    {
        return None;
    }
    let (item, rest) = id.split_at(32);
    let path = (0..rest.len() / LOCAL_ID_LEN)
        .map(|i| &rest[i * LOCAL_ID_LEN..(i + 1) * LOCAL_ID_LEN])
        .collect();
    Some((item, path))
}

/// Finds the attachment a path names.
pub fn find<'a>(
    attachments: &'a [StoredAttachment],
    path: &[&str],
) -> Option<&'a StoredAttachment> {
    let (first, rest) = path.split_first()?;
    let a = attachments.iter().find(|a| a.local_id == *first)?;
    if rest.is_empty() {
        return Some(a);
    }
    match &a.content {
        StoredContent::Item(i) => find(&i.props.attachments, rest),
        StoredContent::File { .. } => None,
    }
}

/// An attachment whose item is gone is an attachment id that names nothing.
pub(crate) fn not_found_as_attachment(e: MailboxError) -> MailboxError {
    match e {
        MailboxError::ItemNotFound => MailboxError::InvalidAttachmentId,
        other => other,
    }
}
