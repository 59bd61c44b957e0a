//! EWS's property elements and the property bag, both ways: an element becomes a typed value
//! when the mailbox has a type for it (recipients, attendees, dictionaries, categories, flags),
//! and is kept as a record otherwise; a value is written back as the element it came from.
//! Anything that does not fit its type exactly is kept as a record, so nothing a client sends
//! is lost.

use ews::{Element, Node};
use mailbox::model::{
    Address, Attendee, Entry, EntryValue, ItemRef, PatternField, PatternKind, Property,
    PropertyBag, RangeField, RangeKind, Record, RecurrenceValue, Tag, Value, ZoneValue,
};
use mailbox::{Body, StoredProperties};

const MAILBOX: &str = "Mailbox";
const ATTENDEE: &str = "Attendee";
const ENTRY: &str = "Entry";
const KEY: &str = "Key";
const STRING: &str = "String";
const ADDRESS_FIELDS: [&str; 4] = ["Name", "EmailAddress", "RoutingType", "MailboxType"];
const ATTENDEE_FIELDS: [&str; 2] = ["ResponseType", "LastResponseTime"];

/// How a tag's value is read from its element.
enum Shape {
    Mailbox,
    Mailboxes,
    Attendees,
    Entries,
    Strings,
    ItemId,
    Recurrence,
    Zone,
    Scalar,
}

fn shape_of(tag: &Tag) -> Shape {
    match tag {
        Tag::From | Tag::Sender | Tag::Organizer => Shape::Mailbox,
        Tag::ToRecipients | Tag::CcRecipients | Tag::BccRecipients | Tag::ReplyTo => {
            Shape::Mailboxes
        }
        Tag::RequiredAttendees | Tag::OptionalAttendees | Tag::Resources => Shape::Attendees,
        t if t.is_dictionary() => Shape::Entries,
        Tag::Categories => Shape::Strings,
        Tag::AssociatedCalendarItemId | Tag::ItemId => Shape::ItemId,
        Tag::Recurrence => Shape::Recurrence,
        Tag::StartTimeZone | Tag::EndTimeZone => Shape::Zone,
        _ => Shape::Scalar,
    }
}

/// A kept property element as a property of the bag.
pub fn property(el: &Element) -> Property {
    let tag = Tag::from_name(&el.name);
    let typed = match shape_of(&tag) {
        Shape::Mailbox => single(el).map(Value::Mailbox),
        Shape::Mailboxes => all(el, MAILBOX, address).map(Value::Mailboxes),
        Shape::Attendees => all(el, ATTENDEE, attendee).map(Value::Attendees),
        Shape::Entries => all(el, ENTRY, entry).map(Value::Entries),
        Shape::Strings => all(el, STRING, leaf_text).map(Value::Strings),
        Shape::ItemId => item_ref(el).map(Value::ItemId),
        Shape::Recurrence => recurrence(el).map(Value::Recurrence),
        Shape::Zone => zone(el).map(Value::TimeZone),
        Shape::Scalar => scalar(el),
    };
    let value = typed.unwrap_or_else(|| record_or_text(el));
    Property(tag, value)
}

fn is_leaf(el: &Element) -> bool {
    el.elements().next().is_none()
}

pub fn leaf_text(el: &Element) -> Option<String> {
    (is_leaf(el) && el.attrs.is_empty()).then(|| el.text())
}

fn scalar(el: &Element) -> Option<Value> {
    let text = leaf_text(el)?;
    if ews::is_boolean_element(&el.name)
        && let Some(b) = ews::parse_bool(&text)
    {
        return Some(Value::Bool(b));
    }
    Some(Value::Text(text))
}

/// Every child element read by `read`, when each is named `name` and reads.
fn all<T>(el: &Element, name: &str, read: fn(&Element) -> Option<T>) -> Option<Vec<T>> {
    if !el.attrs.is_empty() || has_text(el) {
        return None;
    }
    el.elements()
        .map(|c| if c.name == name { read(c) } else { None })
        .collect()
}

fn has_text(el: &Element) -> bool {
    el.children
        .iter()
        .any(|n| matches!(n, Node::Text(t) if !t.trim().is_empty()))
}

fn single(el: &Element) -> Option<Address> {
    let mut list = all(el, MAILBOX, address)?;
    (list.len() == 1).then(|| list.remove(0))
}

pub fn address(el: &Element) -> Option<Address> {
    if !el.attrs.is_empty() || has_text(el) {
        return None;
    }
    let mut a = Address::default();
    for c in el.elements() {
        let text = Some(leaf_text(c)?);
        let slot = match c.name.as_str() {
            n if n == ADDRESS_FIELDS[0] => &mut a.name,
            n if n == ADDRESS_FIELDS[1] => &mut a.email,
            n if n == ADDRESS_FIELDS[2] => &mut a.routing_type,
            n if n == ADDRESS_FIELDS[3] => &mut a.mailbox_type,
            _ => return None,
        };
        if slot.is_some() {
            return None;
        }
        *slot = text;
    }
    Some(a)
}

fn attendee(el: &Element) -> Option<Attendee> {
    if !el.attrs.is_empty() || has_text(el) {
        return None;
    }
    let mut a = Attendee::default();
    let mut mailbox = None;
    for c in el.elements() {
        match c.name.as_str() {
            MAILBOX if mailbox.is_none() => mailbox = Some(address(c)?),
            n if n == ATTENDEE_FIELDS[0] && a.response.is_none() => {
                a.response = Some(leaf_text(c)?)
            }
            n if n == ATTENDEE_FIELDS[1] && a.last_response_time.is_none() => {
                a.last_response_time = Some(leaf_text(c)?)
            }
            _ => return None,
        }
    }
    a.mailbox = mailbox?;
    Some(a)
}

fn entry(el: &Element) -> Option<Entry> {
    let [(k, key)] = el.attrs.as_slice() else {
        return None;
    };
    if k != KEY {
        return None;
    }
    let value = if is_leaf(el) {
        EntryValue::Text(el.text())
    } else if has_text(el) {
        return None;
    } else {
        EntryValue::Parts(
            el.elements()
                .map(|p| Some((p.name.clone(), leaf_text(p)?)))
                .collect::<Option<_>>()?,
        )
    };
    Some(Entry {
        key: key.clone(),
        value,
    })
}

const ID: &str = "Id";
const CHANGE_KEY: &str = "ChangeKey";

fn item_ref(el: &Element) -> Option<ItemRef> {
    let [(i, id), (c, change_key)] = el.attrs.as_slice() else {
        return None;
    };
    (i == ID && c == CHANGE_KEY && el.children.is_empty()).then(|| ItemRef {
        id: id.clone(),
        change_key: change_key.clone(),
    })
}

/// An item id element (`t:ItemId`, `t:AssociatedCalendarItemId`).
pub fn item_id_element(name: &str, r: &ItemRef) -> Element {
    let mut e = Element::new("", name);
    e.attrs = vec![
        (ID.into(), r.id.clone()),
        (CHANGE_KEY.into(), r.change_key.clone()),
    ];
    e
}

const PATTERNS: [(&str, PatternKind); 10] = [
    ("DailyRecurrence", PatternKind::Daily),
    ("WeeklyRecurrence", PatternKind::Weekly),
    ("AbsoluteMonthlyRecurrence", PatternKind::AbsoluteMonthly),
    ("RelativeMonthlyRecurrence", PatternKind::RelativeMonthly),
    ("AbsoluteYearlyRecurrence", PatternKind::AbsoluteYearly),
    ("RelativeYearlyRecurrence", PatternKind::RelativeYearly),
    ("DailyRegeneration", PatternKind::DailyRegeneration),
    ("WeeklyRegeneration", PatternKind::WeeklyRegeneration),
    ("MonthlyRegeneration", PatternKind::MonthlyRegeneration),
    ("YearlyRegeneration", PatternKind::YearlyRegeneration),
];
const PATTERN_FIELDS: [(&str, PatternField); 6] = [
    ("Interval", PatternField::Interval),
    ("DaysOfWeek", PatternField::DaysOfWeek),
    ("FirstDayOfWeek", PatternField::FirstDayOfWeek),
    ("DayOfMonth", PatternField::DayOfMonth),
    ("DayOfWeekIndex", PatternField::DayOfWeekIndex),
    ("Month", PatternField::Month),
];
const RANGES: [(&str, RangeKind); 3] = [
    ("NoEndRecurrence", RangeKind::NoEnd),
    ("EndDateRecurrence", RangeKind::EndDate),
    ("NumberedRecurrence", RangeKind::Numbered),
];
const RANGE_FIELDS: [(&str, RangeField); 3] = [
    ("StartDate", RangeField::StartDate),
    ("EndDate", RangeField::EndDate),
    ("NumberOfOccurrences", RangeField::NumberOfOccurrences),
];

fn by_name<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

fn by_value<T: PartialEq>(table: &[(&'static str, T)], v: &T) -> &'static str {
    table
        .iter()
        .find(|(_, x)| x == v)
        .map(|(n, _)| *n)
        .unwrap_or_default()
}

/// The leaf children of `el` by a table of names, in their order.
fn leaves<T: Copy>(el: &Element, table: &[(&str, T)]) -> Option<Vec<(T, String)>> {
    if !el.attrs.is_empty() || has_text(el) {
        return None;
    }
    el.elements()
        .map(|c| Some((by_name(table, &c.name)?, leaf_text(c)?)))
        .collect()
}

fn recurrence(el: &Element) -> Option<RecurrenceValue> {
    if !el.attrs.is_empty() || has_text(el) {
        return None;
    }
    let mut parts = el.elements();
    let (pattern, range) = (parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    Some(RecurrenceValue {
        pattern: by_name(&PATTERNS, &pattern.name)?,
        pattern_fields: leaves(pattern, &PATTERN_FIELDS)?,
        range: by_name(&RANGES, &range.name)?,
        range_fields: leaves(range, &RANGE_FIELDS)?,
    })
}

fn recurrence_element(name: &str, r: &RecurrenceValue) -> Element {
    let part = |kind: &str, fields: Vec<Element>| holder(kind, fields);
    let pattern = part(
        by_value(&PATTERNS, &r.pattern),
        r.pattern_fields
            .iter()
            .map(|(f, v)| leaf(by_value(&PATTERN_FIELDS, f), v))
            .collect(),
    );
    let range = part(
        by_value(&RANGES, &r.range),
        r.range_fields
            .iter()
            .map(|(f, v)| leaf(by_value(&RANGE_FIELDS, f), v))
            .collect(),
    );
    holder(name, [pattern, range])
}

const ZONE_ID: &str = "Id";
const ZONE_NAME: &str = "Name";

fn zone(el: &Element) -> Option<ZoneValue> {
    let mut definition = record(el);
    let mut take = |n: &str| {
        let i = definition.attributes.iter().position(|(k, _)| k == n)?;
        Some(definition.attributes.remove(i).1)
    };
    let (id, name) = (take(ZONE_ID), take(ZONE_NAME));
    Some(ZoneValue {
        id,
        name,
        definition,
    })
}

fn zone_element(name: &str, z: &ZoneValue) -> Element {
    let mut e = record_element(name, &z.definition);
    let named = [(ZONE_ID, &z.id), (ZONE_NAME, &z.name)];
    let mut attrs: Vec<(String, String)> = named
        .into_iter()
        .filter_map(|(k, v)| Some((k.to_string(), v.clone()?)))
        .collect();
    attrs.append(&mut e.attrs);
    e.attrs = attrs;
    e
}

fn record_or_text(el: &Element) -> Value {
    match leaf_text(el) {
        Some(t) => Value::Text(t),
        None => Value::Record(record(el)),
    }
}

/// Any element as a record: its attributes, its text, its children by name.
pub fn record(el: &Element) -> Record {
    let leaf = is_leaf(el);
    let text = el.text();
    Record {
        attributes: el.attrs.clone(),
        text: (leaf && !el.children.is_empty() || !leaf && !text.trim().is_empty()).then_some(text),
        fields: el
            .elements()
            .map(|c| (c.name.clone(), record_or_text(c)))
            .collect(),
    }
}

/// A property as the element it is written as.
pub fn element(p: &Property) -> Element {
    value_element(p.0.name(), &p.1)
}

fn leaf(name: &str, text: &str) -> Element {
    let mut e = Element::new("", name);
    if !text.is_empty() {
        e.children.push(Node::Text(text.into()));
    }
    e
}

fn holder(name: &str, children: impl IntoIterator<Item = Element>) -> Element {
    let mut e = Element::new("", name);
    e.children = children.into_iter().map(Node::Element).collect();
    e
}

/// An address as the element `name` (`t:Mailbox`, or a rule's `t:Address`).
pub fn address_element(name: &str, a: &Address) -> Element {
    let parts = [&a.name, &a.email, &a.routing_type, &a.mailbox_type];
    holder(
        name,
        ADDRESS_FIELDS
            .iter()
            .zip(parts)
            .filter_map(|(n, v)| v.as_deref().map(|v| leaf(n, v))),
    )
}

fn attendee_element(a: &Attendee) -> Element {
    let mut e = holder(ATTENDEE, [address_element(MAILBOX, &a.mailbox)]);
    for (n, v) in ATTENDEE_FIELDS
        .iter()
        .zip([&a.response, &a.last_response_time])
    {
        if let Some(v) = v {
            e.children.push(Node::Element(leaf(n, v)));
        }
    }
    e
}

fn entry_element(x: &Entry) -> Element {
    let mut e = match &x.value {
        EntryValue::Text(t) => leaf(ENTRY, t),
        EntryValue::Parts(parts) => holder(ENTRY, parts.iter().map(|(n, v)| leaf(n, v))),
    };
    e.attrs.push((KEY.into(), x.key.clone()));
    e
}

/// A value under a name as its element.
pub fn value_element(name: &str, value: &Value) -> Element {
    match value {
        Value::Text(_) | Value::Bool(_) | Value::Time(_) => leaf(name, &value.text()),
        Value::Strings(list) => holder(name, list.iter().map(|s| leaf(STRING, s))),
        Value::Mailbox(a) => holder(name, [address_element(MAILBOX, a)]),
        Value::Mailboxes(list) => holder(name, list.iter().map(|a| address_element(MAILBOX, a))),
        Value::Attendees(list) => holder(name, list.iter().map(attendee_element)),
        Value::Entries(list) => holder(name, list.iter().map(entry_element)),
        Value::ItemId(r) => item_id_element(name, r),
        Value::Recurrence(r) => recurrence_element(name, r),
        Value::TimeZone(z) => zone_element(name, z),
        Value::Record(r) => record_element(name, r),
    }
}

fn record_element(name: &str, r: &Record) -> Element {
    let mut e = Element::new("", name);
    e.attrs = r.attributes.clone();
    if let Some(t) = &r.text {
        e.children.push(Node::Text(t.clone()));
    }
    for (n, v) in &r.fields {
        e.children.push(Node::Element(value_element(n, v)));
    }
    e
}

/// Reads properties stored in a form before the property bag: 1, XML fragments by element
/// name; 2, EWS element trees.
pub fn decode_earlier(props: &str, format: i64) -> StoredProperties {
    match format {
        2 => decode_trees(props),
        _ => decode_fragments(props),
    }
}

/// Properties stored as EWS element trees (`props_format` 2): each tree becomes a property,
/// in the item, in each changed occurrence, and in each attached item.
pub fn decode_trees(props: &str) -> StoredProperties {
    let mut v: serde_json::Value = serde_json::from_str(props).unwrap_or_default();
    trees_to_bag(&mut v);
    serde_json::from_value(v).unwrap_or_default()
}

fn trees_to_bag(v: &mut serde_json::Value) {
    let Some(obj) = v.as_object_mut() else {
        return;
    };
    if let Some(trees) = obj.remove("other") {
        let elements: Vec<Element> = serde_json::from_value(trees).unwrap_or_default();
        let bag: PropertyBag = elements.iter().map(property).collect();
        obj.insert("bag".into(), serde_json::to_value(bag).unwrap_or_default());
    }
    if let Some(list) = obj
        .get_mut("calendar")
        .and_then(|c| c.get_mut("exceptions"))
        .and_then(|x| x.as_array_mut())
    {
        list.iter_mut().for_each(trees_to_bag);
    }
    if let Some(list) = obj.get_mut("attachments").and_then(|a| a.as_array_mut()) {
        for a in list {
            if let Some(item) = a.pointer_mut("/content/Item/props") {
                trees_to_bag(item);
            }
        }
    }
}

/// Parses fragments written with the `t:` prefix and no namespace declaration.
fn fragments(xml: &str) -> Vec<Element> {
    let wrapped = format!(r#"<w xmlns:t="{}">{xml}</w>"#, ews::NS_TYPES);
    ews::xml::parse(&wrapped)
        .map(|w| w.elements().cloned().collect())
        .unwrap_or_default()
}

/// The first release kept `{"el": {name: fragment}, "ext": {key: fragment}, "extv": …}`
/// (`props_format` 1).
pub fn decode_fragments(props: &str) -> StoredProperties {
    let v: serde_json::Value = serde_json::from_str(props).unwrap_or_default();
    let texts = |k: &str| -> Vec<String> {
        v.get(k)
            .and_then(|m| m.as_object())
            .map(|m| {
                m.values()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut out = StoredProperties::default();
    for frag in texts("el") {
        for mut el in fragments(&frag) {
            ews::normalize_booleans(&mut el);
            if el.name == "Body" {
                out.body = Some(Body {
                    body_type: el.attr("BodyType").unwrap_or("Text").to_string(),
                    text: el.text(),
                });
            } else {
                let Property(tag, value) = property(&el);
                out.bag.set(tag, value);
            }
        }
    }
    for frag in texts("ext") {
        for el in fragments(&frag) {
            if let Some(p) = ews::ExtendedProperty::parse(&el) {
                out.set_extended(super::mapi::to_mailbox(&p));
            }
        }
    }
    out
}
