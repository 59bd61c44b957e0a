//! Attachments: file attachments (their bytes stored once by digest, see `store::blobs`) and
//! item attachments (the attached item kept whole in its parent's property bag, with its own
//! attachments), their ids and their size limit.

use crate::MailboxError;
use crate::draft::{ItemTarget, NewAttachment, NewContent};
use crate::item;
use crate::model::ItemRef;
use crate::props::StoredProperties;
use serde::{Deserialize, Serialize};
use store::ItemRow;

/// The largest attachment accepted (bytes of content, before base64); a larger one is refused
/// with ErrorAttachmentSizeLimitExceeded. Requests are bounded at 8 MiB of XML anyway.
pub const MAX_ATTACHMENT_BYTES: usize = 5 * 1024 * 1024;

/// How deep item attachments may nest (an item attached to an item attached to …).
pub const MAX_NESTING: usize = 8;

/// An attachment's id on the wire: its item's id followed by the local id of each attachment on
/// the path to it (8 hex digits each), so that an attachment of an attached item has an id too.
const LOCAL_ID_LEN: usize = 8;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredAttachment {
    pub local_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_location: Option<String>,
    #[serde(default)]
    pub is_inline: bool,
    pub modified_ms: i64,
    pub size: i64,
    pub content: StoredContent,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StoredContent {
    /// A file: the SHA-256 digest (hex) of its bytes.
    File {
        blob: String,
        #[serde(default)]
        is_contact_photo: bool,
    },
    Item(Box<AttachedItem>),
}

/// An attached item: what an item row holds, and its property bag.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AttachedItem {
    pub tag: String,
    pub item_class: String,
    pub subject: String,
    pub is_read: bool,
    pub is_draft: bool,
    pub created_ms: i64,
    pub props: StoredProperties,
}

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

/// The digests of every file attachment, nested ones too (the item's references to blobs).
pub fn blob_digests(attachments: &[StoredAttachment], out: &mut Vec<String>) {
    for a in attachments {
        match &a.content {
            StoredContent::File { blob, .. } => out.push(blob.clone()),
            StoredContent::Item(i) => blob_digests(&i.props.attachments, out),
        }
    }
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

/// Whether an item has attachments as HasAttachments says it: any that is not inline.
pub fn has_attachments(attachments: &[StoredAttachment]) -> bool {
    attachments.iter().any(|a| !a.is_inline)
}

impl crate::Mailbox {
    /// CreateAttachment: adds attachments to an item of this mailbox (all or none); returns
    /// them with ids and the item's new change key.
    pub async fn create_attachments(
        &self,
        parent: &ItemTarget,
        attachments: &[NewAttachment],
    ) -> Result<(Vec<StoredAttachment>, ItemRow), MailboxError> {
        let (mut row, mut props) = self.item(&parent.id).await?;
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        let now = store::now_ms();
        let new = from_new(attachments, now, 0)?;
        self.store_ref().mailboxes().put_blobs(&new.blobs).await?;
        let added: Vec<StoredAttachment> = new.attachments;
        props.attachments.extend(added.iter().cloned());
        item::finish_stored(&mut row, &props, now);
        self.save(&mut row, Some(&props)).await?;
        Ok((added, row))
    }

    /// GetAttachment: the whole attachment (a file's content, or the attached item).
    pub async fn attachment(
        &self,
        id: &str,
    ) -> Result<(StoredAttachment, Option<Vec<u8>>), MailboxError> {
        let (item_id, path) = parse_wire_id(id).ok_or(MailboxError::InvalidIdMalformed)?;
        let (_, props) = self.item(item_id).await.map_err(not_found_as_attachment)?;
        let a = find(&props.attachments, &path).ok_or(MailboxError::InvalidAttachmentId)?;
        let content = match &a.content {
            StoredContent::File { blob, .. } => Some(
                self.store_ref()
                    .mailboxes()
                    .blob(blob)
                    .await?
                    .ok_or(MailboxError::InvalidAttachmentId)?,
            ),
            StoredContent::Item(_) => None,
        };
        Ok((a.clone(), content))
    }

    /// DeleteAttachment: removes an attachment of an item of this mailbox; returns the item's
    /// id and new change key. Attachments of attached items cannot be removed on their own.
    pub async fn delete_attachment(&self, id: &str) -> Result<ItemRef, MailboxError> {
        let (item_id, path) = parse_wire_id(id).ok_or(MailboxError::InvalidIdMalformed)?;
        let (mut row, mut props) = self.item(item_id).await.map_err(not_found_as_attachment)?;
        let [local] = path.as_slice() else {
            return Err(MailboxError::InvalidOperation(
                "An attachment of an attached item cannot be deleted on its own.".into(),
            ));
        };
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        let before = props.attachments.len();
        props.attachments.retain(|a| a.local_id != *local);
        if props.attachments.len() == before {
            return Err(MailboxError::InvalidAttachmentId);
        }
        item::finish_stored(&mut row, &props, store::now_ms());
        self.save(&mut row, Some(&props)).await?;
        Ok(ItemRef {
            change_key: item::change_key(&row.id, row.version),
            id: row.id,
        })
    }
}

/// An attachment whose item is gone is an attachment id that names nothing.
fn not_found_as_attachment(e: MailboxError) -> MailboxError {
    match e {
        MailboxError::ItemNotFound => MailboxError::InvalidAttachmentId,
        other => other,
    }
}
