//! Mail between mailboxes of the organization: a sent message goes to each recipient's Inbox
//! (From, Sender and DateTimeSent set, Bcc and categories left out of what recipients see,
//! received then, unread) through the transport, queued in the same transaction as the copy kept
//! in the sender's Sent Items when asked. No mail leaves the server.

use crate::MailboxError;
use crate::mail_item::MailItem;
use crate::model::{Tag, Value};
use crate::recipients::{Recipient, Sender};
use crate::service::Mailbox;
use store::FolderRow;

impl Mailbox {
    /// Sends `item` from this mailbox: keeps a copy in `sent_copy` when given and queues the
    /// delivery to each recipient, in one write (the transport delivers it). Returns the sent
    /// copy, if any.
    pub async fn send(
        &self,
        item: &MailItem,
        sender: &Sender,
        recipients: &[Recipient],
        sent_copy: Option<&FolderRow>,
    ) -> Result<Option<MailItem>, MailboxError> {
        let (row, props) = (&item.row(), &item.props);
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
            MailItem::of(copy, sent.clone())
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
    ) -> Result<MailItem, MailboxError> {
        let mut blobs = Vec::new();
        let (row, props) = self.compose_with(folder, src, store::now_ms(), &mut blobs)?;
        self.store_ref().mailboxes().put_blobs(&blobs).await?;
        Ok(MailItem::of(row, props))
    }

    /// Removes an item after it was sent (SendItem without SaveItemToFolder).
    pub async fn remove_sent(&self, item: &MailItem) -> Result<(), MailboxError> {
        self.store_ref().mailboxes().delete_item(&item.id).await?;
        Ok(())
    }
}
