//! Mail between mailboxes of the organization: a sent message is delivered to each recipient's
//! Inbox (From, Sender and DateTimeSent set, Bcc left out of what recipients see, received now,
//! unread) and, when asked, a copy is kept in the sender's Sent Items, all in one transaction.
//! No mail leaves the server.

use crate::MailboxError;
use crate::item;
use crate::props::StoredProperties;
use crate::search::format_time;
use crate::service::Mailbox;
use ews::{Element, Node};
use store::{FolderRow, ItemRow};

/// Who sends.
pub struct Sender {
    pub name: String,
    pub address: String,
}

/// A recipient of the organization: the mailbox, whose rules decide where its copy goes (the
/// Inbox unless a rule says otherwise).
pub struct Recipient {
    pub mailbox: Mailbox,
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

impl Mailbox {
    /// Sends `row`/`props` from this mailbox: a copy into each recipient's Inbox and, with
    /// `sent_copy`, one into that folder of this mailbox. Returns the sent copy, if any.
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
        let mut rows = Vec::new();
        // A sent message: no longer a draft, received now; read by the sender only.
        let sent_message = |mailbox: &str, folder: &str, read: bool, props: &StoredProperties| {
            let mut copy = item::copy_into(row, mailbox, folder);
            copy.is_draft = false;
            copy.is_read = read;
            copy.received_ms = now;
            copy.created_ms = now;
            item::finish_stored(&mut copy, props, now);
            copy
        };
        let addresses = recipient_addresses(props);
        for r in recipients {
            let inbox = r
                .mailbox
                .distinguished("inbox")
                .ok_or(MailboxError::FolderNotFound(Some("inbox".into())))?;
            let mut theirs = delivered.clone();
            let placed = crate::rules::run(
                &r.mailbox,
                &crate::rules::Delivered {
                    sender: &sender.address,
                    sender_name: &sender.name,
                    recipients: &addresses,
                    subject: &row.subject,
                    props: &delivered,
                },
                &mut theirs,
            );
            let folder = placed.folder.as_deref().unwrap_or(&inbox.id);
            for f in std::iter::once(folder).chain(placed.copies.iter().map(String::as_str)) {
                let copy = sent_message(r.mailbox.guid(), f, placed.read, &theirs);
                rows.push((copy, theirs.values()));
            }
        }
        let kept = sent_copy.map(|folder| {
            let copy = sent_message(self.guid(), &folder.id, true, &sent);
            rows.push((copy.clone(), sent.values()));
            (copy, sent.clone())
        });
        self.store_ref().mailboxes().insert_items(&rows).await?;
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
