//! Mail between mailboxes of the organization: a sent message goes to each recipient's Inbox
//! (From, Sender and DateTimeSent set, Bcc and categories left out of what recipients see,
//! received then, unread) through the transport, queued in the same transaction as the copy kept
//! in the sender's Sent Items when asked. No mail leaves the server.

use crate::MailboxError;
use crate::model::{Address, Tag, Value};
use crate::props::StoredProperties;
use crate::service::Mailbox;
use store::{FolderRow, ItemRow};

/// Who sends.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Sender {
    pub name: String,
    pub address: String,
}

impl Sender {
    pub fn new(name: &str, address: &str) -> Sender {
        Sender {
            name: name.into(),
            address: address.into(),
        }
    }
}

/// A recipient of the organization: the mailbox, whose rules decide where its copy goes (the
/// Inbox unless a rule says otherwise), and its name and address (what it sends on is from
/// them).
pub struct Recipient {
    pub mailbox: Mailbox,
    pub name: String,
    pub address: String,
}

impl Recipient {
    pub fn sender(&self) -> Sender {
        Sender::new(&self.name, &self.address)
    }
}

impl Sender {
    /// The sender as an address property holds it.
    pub fn address(&self) -> Address {
        Address::smtp(&self.name, &self.address)
    }
}

const RECIPIENT_LISTS: [Tag; 3] = [Tag::ToRecipients, Tag::CcRecipients, Tag::BccRecipients];

/// The addresses a message is sent to (To, Cc and Bcc).
pub fn recipient_addresses(props: &StoredProperties) -> Vec<String> {
    RECIPIENT_LISTS
        .iter()
        .flat_map(|t| props.bag.addresses(t))
        .filter_map(|a| a.email.as_deref().map(str::trim))
        .filter(|a| !a.is_empty())
        .map(str::to_string)
        .collect()
}

/// Gives each recipient of the organization its display name, as resolving recipients on send
/// does (`name_of` knows the directory); recipients already named keep theirs.
pub fn name_recipients(props: &mut StoredProperties, name_of: &dyn Fn(&str) -> Option<String>) {
    for tag in &RECIPIENT_LISTS {
        let Some(Value::Mailboxes(list)) = props.bag.get_mut(tag) else {
            continue;
        };
        for a in list.iter_mut().filter(|a| a.name.is_none()) {
            a.name = a.email.as_deref().and_then(|e| name_of(e.trim()));
        }
    }
}

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
