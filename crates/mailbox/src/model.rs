//! An item's properties in the mailbox's own terms: a bag of tagged, typed values. The mailbox
//! gives meaning to the properties it has a [`Tag`] for (times, recipients, attendees, flags a
//! calendar or a task reads); a property it has no meaning for is kept for the client under the
//! name the client gave it, as a [`Value::Record`] or text, and given back unchanged.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An enum of names the mailbox knows, each spelled as its variant, and one variant for any
/// other name; stored and indexed by name.
macro_rules! named {
    ($(#[$edoc:meta])* $name:ident, $other:ident, [$($v:ident),* $(,)?]) => {
        $(#[$edoc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($v,)*
            /// A name the mailbox gives no meaning to, kept as it came.
            $other(String),
        }

        impl $name {
            pub fn name(&self) -> &str {
                match self {
                    $($name::$v => stringify!($v),)*
                    $name::$other(name) => name,
                }
            }

            /// The variant a name stands for: a known one whenever there is one.
            pub fn from_name(name: &str) -> $name {
                match name {
                    $(stringify!($v) => $name::$v,)*
                    other => $name::$other(other.to_string()),
                }
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<$name, D::Error> {
                let name = String::deserialize(d)?;
                Ok($name::from_name(&name))
            }
        }
    };
}

named! {
    /// What an item is (its row's kind).
    ItemKind, Other, [
        Item, Message, CalendarItem, Contact, DistributionList, Task, PostItem, MeetingRequest,
        MeetingResponse, MeetingCancellation, MeetingMessage,
    ]
}

impl ItemKind {
    /// The message class an item of this kind has unless it says otherwise.
    pub fn default_class(&self) -> &'static str {
        match self {
            ItemKind::Message => "IPM.Note",
            ItemKind::CalendarItem => "IPM.Appointment",
            ItemKind::Contact => "IPM.Contact",
            ItemKind::Task => "IPM.Task",
            ItemKind::PostItem => "IPM.Post",
            ItemKind::MeetingRequest => "IPM.Schedule.Meeting.Request",
            _ => "IPM",
        }
    }
}

named! {
    /// A property the mailbox knows by name, or one it keeps for a client ([`Tag::Kept`]).
    Tag, Kept, [

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
    ]
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

named! {
    /// A condition, exception or action of an inbox rule.
    RulePart, Other, [
        ContainsSenderStrings, ContainsSubjectStrings, ContainsBodyStrings,
        ContainsSubjectOrBodyStrings, ContainsRecipientStrings, FromAddresses, SentToAddresses,
        HasAttachments, Importance, Categories, MoveToFolder, CopyToFolder, Delete,
        PermanentDelete, MarkAsRead, MarkImportance, AssignCategories, StopProcessingRules,
        ForwardToRecipients, ForwardAsAttachmentToRecipients, RedirectToRecipients,
        ServerReplyWithMessage, SendSMSAlertToRecipients,
    ]
}

/// A folder as a request names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum FolderTarget {
    Id(String),
    /// A distinguished folder by its well-known name (`inbox`, `calendar`, …).
    Distinguished(String),
    /// Anything else where a folder id belongs, by what it was called.
    Other(String),
}

/// A folder named by a rule, with the change key it was named with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FolderRef {
    pub target: FolderTarget,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change_key: Option<String>,
}

/// How a series repeats (the `Recurrence`s) or, for a task, regenerates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatternKind {
    Daily,
    Weekly,
    AbsoluteMonthly,
    RelativeMonthly,
    AbsoluteYearly,
    RelativeYearly,
    DailyRegeneration,
    WeeklyRegeneration,
    MonthlyRegeneration,
    YearlyRegeneration,
}

impl PatternKind {
    /// A task's next occurrence counts from the day it was completed.
    pub fn is_regeneration(self) -> bool {
        matches!(
            self,
            PatternKind::DailyRegeneration
                | PatternKind::WeeklyRegeneration
                | PatternKind::MonthlyRegeneration
                | PatternKind::YearlyRegeneration
        )
    }
}

/// A part of a pattern.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PatternField {
    Interval,
    DaysOfWeek,
    FirstDayOfWeek,
    DayOfMonth,
    DayOfWeekIndex,
    Month,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeKind {
    NoEnd,
    EndDate,
    Numbered,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RangeField {
    StartDate,
    EndDate,
    NumberOfOccurrences,
}

/// A recurrence as a client gives it: a pattern and a range, each part's text as given and in
/// the order given, so that it reads back unchanged (the calendar reads it into
/// a `Recurrence` to expand a series).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecurrenceValue {
    pub pattern: PatternKind,
    pub pattern_fields: Vec<(PatternField, String)>,
    pub range: RangeKind,
    pub range_fields: Vec<(RangeField, String)>,
}

impl RecurrenceValue {
    pub fn pattern_field(&self, f: PatternField) -> Option<&str> {
        self.pattern_fields
            .iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.as_str())
    }

    pub fn range_field(&self, f: RangeField) -> Option<&str> {
        self.range_fields
            .iter()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v.as_str())
    }

    pub fn range_field_mut(&mut self, f: RangeField) -> Option<&mut String> {
        self.range_fields
            .iter_mut()
            .find(|(k, _)| *k == f)
            .map(|(_, v)| v)
    }
}

/// A time zone as an item names it: by id and name, with whatever definition came with it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZoneValue {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default)]
    pub definition: Record,
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
    Recurrence(RecurrenceValue),
    TimeZone(ZoneValue),
    Record(Record),
}

impl Value {
    /// The value as one text: a text, a flag (`true`/`false`), an instant as the mailbox
    /// writes it; empty for structured values.
    pub fn text(&self) -> String {
        match self {
            Value::Text(t) => t.clone(),
            Value::Bool(b) => if *b { "true" } else { "false" }.into(),
            Value::Time(ms) => crate::instants::format_time(*ms),
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
            Value::Text(t) => crate::instants::parse_time_ms(t),
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

    pub fn recurrence(&self) -> Option<&RecurrenceValue> {
        match self.get(&Tag::Recurrence) {
            Some(Value::Recurrence(r)) => Some(r),
            _ => None,
        }
    }

    pub fn zone(&self, tag: &Tag) -> Option<&ZoneValue> {
        match self.get(tag) {
            Some(Value::TimeZone(z)) => Some(z),
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
        assert_eq!(Tag::from_name("X-Custom"), Tag::Kept("X-Custom".into()));
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
