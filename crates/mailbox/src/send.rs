//! Mail between mailboxes of the organization: a sent message goes to each recipient's Inbox
//! (From, Sender and DateTimeSent set, Bcc and categories left out of what recipients see,
//! received then, unread) through the transport, queued in the same transaction as the copy kept
//! in the sender's Sent Items when asked. No mail leaves the server.

use crate::MailboxError;
use crate::model::{Tag, Value};
use crate::props::StoredProperties;
use crate::recipients::{Recipient, Sender};
use crate::service::Mailbox;
use store::{FolderRow, ItemRow};

impl Mailbox {
    /// Sends `row`/`props` from this mailbox: keeps a copy in `sent_copy` when given and queues
    /// the delivery to each recipient, in one write (the transport delivers it). Returns the
    /// sent copy, if any, and the delivery's job id.
    pub async fn send(
        &self,
        row: &ItemRow,
        props: &StoredProperties,
        sender: &Sender,
        recipients: &[Recipient],
        sent_copy: Option<&FolderRow>,
    ) -> Result<Option<(ItemRow, StoredProperties)>, MailboxError> {
        let now = store::now_ms();
        let mut sent = props.clone();
        sent.set(Tag::From, Value::Mailbox(sender.address()));
        sent.set(Tag::Sender, Value::Mailbox(sender.address()));
        sent.set(Tag::DateTimeSent, Value::Time(now));
        // Recipients see neither the Bcc line nor the sender's categories (categories are the
        // owner's own filing, as in Exchange).
        let mut delivered = sent.clone();
        delivered
            .bag
            .retain(|t| *t != Tag::BccRecipients && *t != Tag::Categories);
        let (items, forwards) =
            crate::transport::deliveries(row, &delivered, sender, recipients, now)?;
        let outgoing = crate::transport::Outgoing {
            items,
            forwards,
            ..Default::default()
        };
        let mut rows = Vec::new();
        let kept = sent_copy.map(|folder| {
            let copy = crate::transport::received(row, self.guid(), &folder.id, true, &sent, now);
            rows.push((copy.clone(), sent.values()));
            (copy, sent.clone())
        });
        self.store_ref()
            .mailboxes()
            .insert_items_queued(&rows, &[outgoing.job()])
            .await?;
        Ok(kept)
    }

    /// Builds, without storing, the item a client sends (for CreateItem with SendOnly or
    /// SendAndSaveCopy).
    pub async fn compose(
        &self,
        folder: &FolderRow,
        src: &crate::draft::ItemDraft,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let mut blobs = Vec::new();
        let made = self.compose_with(folder, src, store::now_ms(), &mut blobs)?;
        self.store_ref().mailboxes().put_blobs(&blobs).await?;
        Ok(made)
    }

    /// Removes an item after it was sent (SendItem without SaveItemToFolder).
    pub async fn remove_sent(&self, row: &ItemRow) -> Result<(), MailboxError> {
        self.store_ref().mailboxes().delete_item(&row.id).await?;
        Ok(())
    }
}
