//! ExportItems and UploadItems: an item as one opaque, self-contained blob (base64 JSON of its
//! row fields, its property bag and the contents of its file attachments) and back, for
//! backup and migration tools. Clients never look inside; this server checks everything it
//! reads back (version, digests, sizes) like any other input.

use crate::MailboxError;
use crate::attachments::digest;
use crate::item;
use crate::mail_item::MailItem;
use crate::props::{AttachedItem, MAX_ATTACHMENT_BYTES, blob_digests};
use crate::service::Mailbox;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use store::{FolderRow, ItemRow};

const FORMAT: u32 = 1;

#[derive(Serialize, Deserialize)]
struct Exported {
    format: u32,
    item: AttachedItem,
    received_ms: i64,
    /// Digest and base64 content of each file attachment.
    blobs: Vec<(String, String)>,
}

fn bad_data(why: &str) -> MailboxError {
    MailboxError::InvalidRequest(format!("The uploaded item data is not valid: {why}."))
}

impl Mailbox {
    /// ExportItems: one item as the data UploadItems takes back.
    pub async fn export_item(&self, id: &str) -> Result<(MailItem, String), MailboxError> {
        let (row, props) = self.item_row(id).await?;
        let mut digests = Vec::new();
        blob_digests(&props.attachments, &mut digests);
        digests.sort();
        digests.dedup();
        let mut blobs = Vec::with_capacity(digests.len());
        for d in digests {
            let content = self
                .store_ref()
                .mailboxes()
                .blob(&d)
                .await?
                .unwrap_or_default();
            blobs.push((d, STANDARD.encode(content)));
        }
        let exported = Exported {
            format: FORMAT,
            item: AttachedItem {
                tag: row.tag.clone(),
                item_class: row.item_class.clone(),
                subject: row.subject.clone(),
                is_read: row.is_read,
                is_draft: row.is_draft,
                created_ms: row.created_ms,
                props: props.clone(),
            },
            received_ms: row.received_ms,
            blobs,
        };
        let json = serde_json::to_vec(&exported)
            .map_err(|e| MailboxError::InvalidRequest(e.to_string()))?;
        Ok((MailItem::of(row, props), STANDARD.encode(json)))
    }

    /// UploadItems: a new item in `folder` from exported data, or (`replace`) new contents for
    /// an item of this mailbox, which keeps its id.
    pub async fn upload_item(
        &self,
        folder: &FolderRow,
        data: &str,
        replace: Option<&str>,
    ) -> Result<MailItem, MailboxError> {
        let bytes = STANDARD.decode(data).map_err(|_| bad_data("not base64"))?;
        let e: Exported = serde_json::from_slice(&bytes).map_err(|_| bad_data("unreadable"))?;
        if e.format != FORMAT {
            return Err(bad_data("an unknown format"));
        }
        let mut blobs = Vec::with_capacity(e.blobs.len());
        for (d, content) in &e.blobs {
            let content = STANDARD
                .decode(content)
                .map_err(|_| bad_data("an attachment is not base64"))?;
            if content.len() > MAX_ATTACHMENT_BYTES {
                return Err(MailboxError::AttachmentSizeLimitExceeded(content.len()));
            }
            if digest(&content) != *d {
                return Err(bad_data("an attachment does not match its digest"));
            }
            blobs.push((d.clone(), content));
        }
        let mut referenced = Vec::new();
        blob_digests(&e.item.props.attachments, &mut referenced);
        if referenced
            .iter()
            .any(|r| !blobs.iter().any(|(d, _)| d == r))
        {
            return Err(bad_data("an attachment's content is missing"));
        }
        self.store_ref().mailboxes().put_blobs(&blobs).await?;
        let now = store::now_ms();
        let i = e.item;
        match replace {
            Some(id) => {
                let (mut row, _) = self.item_row(id).await?;
                if row.immutable {
                    return Err(MailboxError::Immutable("changed"));
                }
                row.tag = i.tag;
                row.item_class = i.item_class;
                row.subject = i.subject;
                row.is_read = i.is_read;
                row.is_draft = i.is_draft;
                item::finish_stored(&mut row, &i.props, now);
                self.save(&mut row, Some(&i.props)).await?;
                Ok(MailItem::of(row, i.props))
            }
            None => {
                let mut row = ItemRow {
                    id: uuid::Uuid::new_v4().simple().to_string(),
                    mailbox: self.guid().to_string(),
                    folder_id: folder.id.clone(),
                    tag: i.tag,
                    item_class: i.item_class,
                    subject: i.subject,
                    props: String::new(),
                    props_format: crate::props::PROPS_FORMAT,
                    created_ms: now,
                    received_ms: e.received_ms,
                    modified_ms: now,
                    size: 0,
                    is_read: i.is_read,
                    is_draft: i.is_draft,
                    immutable: false,
                    version: 1,
                };
                item::finish_stored(&mut row, &i.props, now);
                self.store_ref()
                    .mailboxes()
                    .insert_items(&[(row.clone(), i.props.values())])
                    .await?;
                Ok(MailItem::of(row, i.props))
            }
        }
    }
}
