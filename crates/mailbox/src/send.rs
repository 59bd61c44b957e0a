//! Mail between mailboxes of the organization: a sent message goes to each recipient's Inbox
//! (From, Sender and DateTimeSent set, Bcc and categories left out of what recipients see,
//! received then, unread) through the transport, queued in the same transaction as the copy kept
//! in the sender's Sent Items when asked. No mail leaves the server.

use crate::MailboxError;
use crate::props::StoredProperties;
use crate::search::format_time;
use crate::service::Mailbox;
use ews::{Element, Node};
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

pub(crate) fn leaf(name: &str, text: &str) -> Element {
    let mut e = Element::new("", name);
    e.children.push(Node::Text(text.into()));
    e
}

pub(crate) fn mailbox_element(name: &str, s: &Sender) -> Element {
    let mut m = Element::new("", "Mailbox");
    for (n, v) in [
        ("Name", s.name.as_str()),
        ("EmailAddress", s.address.as_str()),
        ("RoutingType", "SMTP"),
        ("MailboxType", "Mailbox"),
    ] {
        m.children.push(Node::Element(leaf(n, v)));
    }
    let mut holder = Element::new("", name);
    holder.children.push(Node::Element(m));
    holder
}

/// The addresses a message is sent to (To, Cc and Bcc).
pub fn recipient_addresses(props: &StoredProperties) -> Vec<String> {
    props
        .other
        .iter()
        .filter(|o| {
            matches!(
                o.name.as_str(),
                "ToRecipients" | "CcRecipients" | "BccRecipients"
            )
        })
        .flat_map(|r| r.children_named("Mailbox"))
        .filter_map(|m| m.child_text("EmailAddress"))
        .filter(|a| !a.is_empty())
        .collect()
}

/// Gives each recipient of the organization its display name, as resolving recipients on send
/// does (`name_of` knows the directory); recipients already named keep theirs.
pub fn name_recipients(props: &mut StoredProperties, name_of: &dyn Fn(&str) -> Option<String>) {
    for list in props.other.iter_mut().filter(|o| {
        matches!(
            o.name.as_str(),
            "ToRecipients" | "CcRecipients" | "BccRecipients"
        )
    }) {
        for node in list.children.iter_mut() {
            let Node::Element(m) = node else { continue };
            if m.name != "Mailbox" || m.child("Name").is_some() {
                continue;
            }
            let Some(name) = m.child_text("EmailAddress").and_then(|a| name_of(&a)) else {
                continue;
            };
            m.children.insert(0, Node::Element(leaf("Name", &name)));
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
        sent.set_other(mailbox_element("From", sender));
        sent.set_other(mailbox_element("Sender", sender));
        sent.set_other(leaf("DateTimeSent", &format_time(now)));
        // Recipients see neither the Bcc line nor the sender's categories (categories are the
        // owner's own filing, as in Exchange).
        let mut delivered = sent.clone();
        delivered
            .other
            .retain(|o| o.name != "BccRecipients" && o.name != "Categories");
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
        src: &ews::Item,
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
