//! Who mail is from and to: the sender, the organization's recipients (with the mailbox whose
//! rules place their copy), and the addresses and names of a message's recipient lists.

use crate::model::{Address, Tag, Value};
use crate::props::StoredProperties;
use crate::service::Mailbox;

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
