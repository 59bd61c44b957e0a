//! An item's properties in the mailbox's own terms: a bag of tagged, typed values. The mailbox
//! gives meaning to the properties it has a [`Tag`] for (times, recipients, attendees, flags a
//! calendar or a task reads); a property it has no meaning for is kept for the client under the
//! name the client gave it, as a [`Value::Record`] or text, and given back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! tags {
    ($($(#[$doc:meta])* $tag:ident),* $(,)?) => {
        /// A property the mailbox knows by name, or one it keeps for a client ([`Tag::Kept`]).
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum Tag {
            $($(#[$doc])* $tag,)*
            /// A property the mailbox gives no meaning to, under the client's name for it.
            Kept(String),
        }

        impl Tag {
            /// The property's name: how it is indexed (`field:<name>`) and stored.
            pub fn name(&self) -> &str {
                match self {
                    $(Tag::$tag => stringify!($tag),)*
                    Tag::Kept(name) => name,
                }
            }

            /// The tag a name stands for: a known tag whenever there is one, so that a property
            /// has one tag however it reached the mailbox.
            pub fn from_name(name: &str) -> Tag {
                match name {
                    $(stringify!($tag) => Tag::$tag,)*
                    other => Tag::Kept(other.to_string()),
                }
            }
        }
    };
}

tags! {
    // Messages.
    ToRecipients, CcRecipients, BccRecipients, ReplyTo, From, Sender, DateTimeSent,
    Categories, Importance, Sensitivity, ReminderIsSet, HasAttachments, MimeContent, TextBody,
    ConversationId, IsReadReceiptRequested, IsDeliveryReceiptRequested, InReplyTo,
    InternetMessageId, References,
    // Contacts.
    DisplayName, GivenName, MiddleName, Surname, EmailAddresses, PhoneNumbers, ImAddresses,
    PhysicalAddresses,
    // Calendar items and meetings.
    Start, End, OriginalStart, RecurrenceId, IsAllDayEvent, LegacyFreeBusyStatus, Location,
    StartTimeZone, EndTimeZone, Recurrence, UID, CalendarItemType, IsRecurring, Duration,
    MyResponseType, AppointmentState, AppointmentSequenceNumber, IsMeeting, IsCancelled,
    MeetingRequestWasSent, IsOnlineMeeting, AllowNewTimeProposal, IsResponseRequested,
    ConferenceType, FirstOccurrence, LastOccurrence, ModifiedOccurrences, DeletedOccurrences,
    Organizer, RequiredAttendees, OptionalAttendees, Resources, AppointmentReplyTime,
    AssociatedCalendarItemId, MeetingRequestType, ResponseType, ItemId, Occurrence,
    DeletedOccurrence, EndDate,
    // Tasks.
    StartDate, DueDate, CompleteDate, Status, PercentComplete, ChangeCount,
}

impl Tag {
    /// Properties that hold recipients, searched by their names and addresses.
    pub fn is_address_list(&self) -> bool {
        matches!(
            self,
            Tag::ToRecipients | Tag::CcRecipients | Tag::BccRecipients | Tag::From | Tag::Sender
        )
    }

    /// The dictionaries of a contact, whose entries are reached by key.
    pub fn is_dictionary(&self) -> bool {
        matches!(
            self,
            Tag::EmailAddresses | Tag::PhoneNumbers | Tag::ImAddresses | Tag::PhysicalAddresses
        )
    }
}

impl Serialize for Tag {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Tag {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Tag, D::Error> {
        let name = String::deserialize(d)?;
        Ok(Tag::from_name(&name))
    }
}

/// A mailbox as an address list holds it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mailbox_type: Option<String>,
}

impl Address {
    /// A mailbox of this organization, as the transport writes senders.
    pub fn smtp(name: &str, email: &str) -> Address {
        Address {
            name: Some(name.into()),
            email: Some(email.into()),
            routing_type: Some("SMTP".into()),
            mailbox_type: Some(MAILBOX_TYPE_MAILBOX.into()),
        }
    }

    /// The address, when it has a non-empty one.
    pub fn address(&self) -> Option<&str> {
        self.email.as_deref().filter(|a| !a.trim().is_empty())
    }
}

/// The mailbox type of a mailbox of the organization.
const MAILBOX_TYPE_MAILBOX: &str = "Mailbox";

/// An attendee of a meeting: who, and how they answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attendee {
    pub mailbox: Address,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_response_time: Option<String>,
}

/// An item named by id and change key (the calendar item a meeting request goes with, an
/// occurrence).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemRef {
    pub id: String,
    pub change_key: String,
}

/// One entry of a contact's dictionary: a text, or the parts of a structured entry (an
/// address's street, city, …).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: EntryValue,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntryValue {
    Text(String),
    Parts(Vec<(String, String)>),
}

/// A structured value the mailbox gives no meaning to, kept as the client sent it: attributes,
/// a text, and named fields in their order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, Value)>,
}

impl Record {
    pub fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn field(&self, name: &str) -> Option<&Value> {
        self.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// A field's text, trimmed.
    pub fn text_of(&self, name: &str) -> Option<String> {
        self.field(name).map(|v| v.text().trim().to_string())
    }
}

/// A property's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Value {
    Text(String),
    Bool(bool),
    /// An instant, in milliseconds since 1970 (UTC).
    Time(i64),
    Strings(Vec<String>),
    Mailbox(Address),
    Mailboxes(Vec<Address>),
    Attendees(Vec<Attendee>),
    Entries(Vec<Entry>),
    ItemId(ItemRef),
    Record(Record),
}

impl Value {
    /// The value as one text: a text, a flag (`true`/`false`), an instant as the mailbox
    /// writes it; empty for structured values.
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Time(ms) => crate::search::format_time(*ms),
            Value::Record(r) => r.text.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    /// A single value (text, flag, instant) as text; None for a structured one.
    pub fn scalar(&self) -> Option<String> {
        match self {
            Value::Text(_) | Value::Bool(_) | Value::Time(_) => Some(self.text()),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            Value::Text(t) => match t.trim() {
                "true" | "1" => Some(true),
                "false" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        }
    }

    pub fn as_time(&self) -> Option<i64> {
        match self {
            Value::Time(ms) => Some(*ms),
            Value::Text(t) => crate::search::parse_time_ms(t),
            _ => None,
        }
    }

    /// The mailboxes of an address property (one for From or Sender, a list for recipients).
    pub fn addresses(&self) -> &[Address] {
        match self {
            Value::Mailbox(a) => std::slice::from_ref(a),
            Value::Mailboxes(list) => list,
            _ => &[],
        }
    }
}

/// One property: its tag and its value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Property(pub Tag, pub Value);

/// An item's properties, one per tag, in the order they were first set.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PropertyBag(Vec<Property>);

impl PropertyBag {
    pub fn get(&self, tag: &Tag) -> Option<&Value> {
        self.0.iter().find(|p| p.0 == *tag).map(|p| &p.1)
    }

    pub fn get_mut(&mut self, tag: &Tag) -> Option<&mut Value> {
        self.0.iter_mut().find(|p| p.0 == *tag).map(|p| &mut p.1)
    }

    pub fn has(&self, tag: &Tag) -> bool {
        self.get(tag).is_some()
    }

    /// Sets a property, in place of the value it had.
    pub fn set(&mut self, tag: Tag, value: Value) {
        match self.get_mut(&tag) {
            Some(slot) => *slot = value,
            None => self.0.push(Property(tag, value)),
        }
    }

    pub fn remove(&mut self, tag: &Tag) {
        self.0.retain(|p| p.0 != *tag);
    }

    pub fn retain(&mut self, keep: impl Fn(&Tag) -> bool) {
        self.0.retain(|p| keep(&p.0));
    }

    pub fn iter(&self) -> impl Iterator<Item = &Property> {
        self.0.iter()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// A property's text (see [`Value::text`]).
    pub fn text(&self, tag: &Tag) -> Option<String> {
        self.get(tag).map(Value::text)
    }

    /// A flag, false when unset or not a flag.
    pub fn flag(&self, tag: &Tag) -> bool {
        self.get(tag).and_then(Value::as_bool).unwrap_or(false)
    }

    pub fn time(&self, tag: &Tag) -> Option<i64> {
        self.get(tag).and_then(Value::as_time)
    }

    pub fn addresses(&self, tag: &Tag) -> &[Address] {
        self.get(tag).map(Value::addresses).unwrap_or(&[])
    }

    pub fn attendees(&self, tag: &Tag) -> &[Attendee] {
        match self.get(tag) {
            Some(Value::Attendees(list)) => list,
            _ => &[],
        }
    }

    pub fn record(&self, tag: &Tag) -> Option<&Record> {
        match self.get(tag) {
            Some(Value::Record(r)) => Some(r),
            _ => None,
        }
    }
}

impl FromIterator<Property> for PropertyBag {
    fn from_iter<I: IntoIterator<Item = Property>>(iter: I) -> PropertyBag {
        let mut bag = PropertyBag::default();
        for Property(tag, value) in iter {
            bag.set(tag, value);
        }
        bag
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_property_has_one_tag_whatever_its_origin() {
        assert_eq!(Tag::from_name(Tag::Start.name()), Tag::Start);
        assert_eq!(Tag::from_name("Culture"), Tag::Kept("Culture".into()));
        let json = serde_json::to_string(&Property(Tag::Start, Value::Time(0))).unwrap();
        let back: Property = serde_json::from_str(&json).unwrap();
        assert_eq!(back.0, Tag::Start);
        let kept: Tag = serde_json::from_str("\"Start\"").unwrap();
        assert_eq!(
            kept,
            Tag::Start,
            "a kept name that became a tag reads as the tag"
        );
    }

    #[test]
    fn setting_keeps_one_value_per_tag_in_first_order() {
        let mut bag = PropertyBag::default();
        bag.set(Tag::Importance, Value::Text("Low".into()));
        bag.set(Tag::Start, Value::Time(5));
        bag.set(Tag::Importance, Value::Text("High".into()));
        assert_eq!(bag.len(), 2);
        assert_eq!(bag.iter().next().unwrap().1, Value::Text("High".into()));
        assert_eq!(bag.time(&Tag::Start), Some(5));
        assert!(!bag.flag(&Tag::IsAllDayEvent));
    }
}
