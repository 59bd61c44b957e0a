//! EWS's property elements and the property bag, both ways: an element becomes a typed value
//! when the mailbox has a type for it (recipients, attendees, dictionaries, categories, flags),
//! and is kept as a record otherwise; a value is written back as the element it came from.
//! Anything that does not fit its type exactly is kept as a record, so nothing a client sends
//! is lost.

use crate::body::Body;
use crate::mapi::{MapiProperty, PropertyName};
use crate::model::{
    Address, Attendee, Entry, EntryValue, ItemRef, Property, PropertyBag, Record, Tag, Value,
};
use crate::props::StoredProperties;
use ews::{Element, Node};

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
        Shape::Scalar => scalar(el),
    };
    let value = typed.unwrap_or_else(|| record_or_text(el));
    Property(tag, value)
}

fn is_leaf(el: &Element) -> bool {
    el.elements().next().is_none()
}

fn leaf_text(el: &Element) -> Option<String> {
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

fn address(el: &Element) -> Option<Address> {
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

fn address_element(a: &Address) -> Element {
    let parts = [&a.name, &a.email, &a.routing_type, &a.mailbox_type];
    holder(
        MAILBOX,
        ADDRESS_FIELDS
            .iter()
            .zip(parts)
            .filter_map(|(n, v)| v.as_deref().map(|v| leaf(n, v))),
    )
}

fn attendee_element(a: &Attendee) -> Element {
    let mut e = holder(ATTENDEE, [address_element(&a.mailbox)]);
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
        Value::Mailbox(a) => holder(name, [address_element(a)]),
        Value::Mailboxes(list) => holder(name, list.iter().map(address_element)),
        Value::Attendees(list) => holder(name, list.iter().map(attendee_element)),
        Value::Entries(list) => holder(name, list.iter().map(entry_element)),
        Value::ItemId(r) => item_id_element(name, r),
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

/// An extended property as the mailbox keeps it.
pub fn mapi_property(p: &ews::ExtendedProperty) -> MapiProperty {
    MapiProperty {
        uri: mapi_name(&p.uri),
        values: p.values.clone(),
    }
}

pub fn mapi_name(u: &ews::ExtendedFieldUri) -> PropertyName {
    PropertyName {
        distinguished_property_set_id: u.distinguished_property_set_id.clone(),
        property_set_id: u.property_set_id.clone(),
        property_tag: u.property_tag.clone(),
        property_name: u.property_name.clone(),
        property_id: u.property_id.clone(),
        property_type: u.property_type.clone(),
    }
}

pub fn extended_property(p: &MapiProperty) -> ews::ExtendedProperty {
    let u = &p.uri;
    ews::ExtendedProperty {
        uri: ews::ExtendedFieldUri {
            distinguished_property_set_id: u.distinguished_property_set_id.clone(),
            property_set_id: u.property_set_id.clone(),
            property_tag: u.property_tag.clone(),
            property_name: u.property_name.clone(),
            property_id: u.property_id.clone(),
            property_type: u.property_type.clone(),
        },
        values: p.values.clone(),
    }
}

/// The element that holds an indexed property (`EmailAddress` lives in `EmailAddresses`).
pub fn dictionary_of(name: &str) -> &str {
    match name.split(':').next().unwrap_or(name) {
        "EmailAddress" => "EmailAddresses",
        "PhoneNumber" => "PhoneNumbers",
        "ImAddress" => "ImAddresses",
        "PhysicalAddress" => "PhysicalAddresses",
        other => other,
    }
}

/// The value-index key of one entry of a contact's dictionary property:
/// `contacts:EmailAddress` at `EmailAddress1` is `field:EmailAddresses[EmailAddress1]`, and a part
/// of an address, `contacts:PhysicalAddress:Street` at `Home`, is
/// `field:PhysicalAddresses[Home]:Street`.
pub fn indexed_key(uri: &str, index: &str) -> String {
    let name = uri.split_once(':').map(|(_, n)| n).unwrap_or(uri);
    let (dictionary, part) = match name.split_once(':') {
        Some((d, part)) => (d, Some(part)),
        None => (name, None),
    };
    let mut key = format!(
        "{}{}[{index}]",
        crate::FIELD_KEY_PREFIX,
        dictionary_of(dictionary)
    );
    if let Some(part) = part {
        key.push(':');
        key.push_str(part);
    }
    key
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
                out.set_extended(mapi_property(&p));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(xml: &str) -> Element {
        let wrapped = format!(r#"<w xmlns:t="{}">{xml}</w>"#, ews::NS_TYPES);
        let mut el = ews::xml::parse(&wrapped)
            .unwrap()
            .elements()
            .next()
            .unwrap()
            .clone();
        ews::normalize_booleans(&mut el);
        el
    }

    fn round_trip(xml: &str) -> Property {
        let el = parse(xml);
        let p = property(&el);
        let json = serde_json::to_string(&p).unwrap();
        let p: Property = serde_json::from_str(&json).unwrap();
        assert_eq!(element(&p), el, "{xml}");
        p
    }

    #[test]
    fn typed_properties_are_read_and_written_back_unchanged() {
        let to = round_trip(
            "<t:ToRecipients><t:Mailbox><t:Name>A</t:Name><t:EmailAddress>a@x</t:EmailAddress></t:Mailbox><t:Mailbox><t:EmailAddress>b@x</t:EmailAddress></t:Mailbox></t:ToRecipients>",
        );
        assert_eq!(to.1.addresses().len(), 2);
        let from = round_trip(
            "<t:From><t:Mailbox><t:EmailAddress>a@x</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Mailbox></t:From>",
        );
        assert!(matches!(from.1, Value::Mailbox(_)));
        let flag = round_trip("<t:IsAllDayEvent>true</t:IsAllDayEvent>");
        assert_eq!(flag.1, Value::Bool(true));
        let cats =
            round_trip("<t:Categories><t:String>a</t:String><t:String>b</t:String></t:Categories>");
        assert_eq!(cats.1, Value::Strings(vec!["a".into(), "b".into()]));
        let people = round_trip(
            "<t:RequiredAttendees><t:Attendee><t:Mailbox><t:EmailAddress>a@x</t:EmailAddress></t:Mailbox><t:ResponseType>Accept</t:ResponseType></t:Attendee></t:RequiredAttendees>",
        );
        assert!(
            matches!(people.1, Value::Attendees(ref a) if a[0].response.as_deref() == Some("Accept"))
        );
        let book = round_trip(
            r#"<t:PhysicalAddresses><t:Entry Key="Home"><t:Street>Main 1</t:Street></t:Entry></t:PhysicalAddresses>"#,
        );
        assert!(matches!(book.1, Value::Entries(_)));
        round_trip(
            r#"<t:EmailAddresses><t:Entry Key="EmailAddress1">a@x</t:Entry></t:EmailAddresses>"#,
        );
    }

    #[test]
    fn what_does_not_fit_its_type_is_kept_whole() {
        let odd = round_trip(
            "<t:ToRecipients><t:Mailbox><t:EmailAddress>a@x</t:EmailAddress><t:ItemId Id=\"1\"/></t:Mailbox></t:ToRecipients>",
        );
        assert!(matches!(odd.1, Value::Record(_)));
        let zone = round_trip(r#"<t:StartTimeZone Id="W. Europe Standard Time" Name="x"/>"#);
        assert!(
            matches!(zone.1, Value::Record(ref r) if r.attribute("Id") == Some("W. Europe Standard Time"))
        );
        let rec = round_trip(
            "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence>",
        );
        assert_eq!(rec.0, Tag::Recurrence);
        round_trip("<t:Culture>en-US</t:Culture>");
        round_trip("<t:Empty/>");
        round_trip(
            r#"<t:InternetMessageHeaders><t:InternetMessageHeader HeaderName="X-A">v</t:InternetMessageHeader></t:InternetMessageHeaders>"#,
        );
    }

    #[test]
    fn the_first_releases_form_is_carried_forward() {
        let old = serde_json::json!({
            "el": {
                "Body": "<t:Body BodyType=\"HTML\">&lt;p&gt;hi&lt;/p&gt;</t:Body>",
                "Importance": "<t:Importance>High</t:Importance>",
                "ReminderIsSet": "<t:ReminderIsSet>0</t:ReminderIsSet>"
            },
            "ext": {
                "PropertyTag=0x1a": "<t:ExtendedProperty><t:ExtendedFieldURI PropertyTag=\"0x1a\" PropertyType=\"String\"/><t:Value>IPM.Note.Microsoft.Conversation</t:Value></t:ExtendedProperty>"
            },
            "extv": {"PropertyTag=0x1a": "IPM.Note.Microsoft.Conversation"}
        })
        .to_string();
        let p = StoredProperties::decode(&old, 1);
        assert_eq!(p.body.as_ref().unwrap().text, "<p>hi</p>");
        assert_eq!(p.bag.len(), 2);
        assert_eq!(p.get(&Tag::ReminderIsSet), Some(&Value::Bool(false)));
        assert_eq!(
            p.extended[0].values,
            vec!["IPM.Note.Microsoft.Conversation"]
        );
        let again = StoredProperties::decode(&p.encode(), crate::props::PROPS_FORMAT);
        assert_eq!(again, p);
        assert_eq!(p.values()[0].key, "PropertyTag=0x1a");
    }

    #[test]
    fn element_trees_are_read_into_the_bag() {
        let v2 = serde_json::json!({
            "other": [
                {"ns": "", "name": "Importance", "attrs": [], "children": [{"Text": "High"}]},
                {"ns": "", "name": "IsAllDayEvent", "attrs": [], "children": [{"Text": "true"}]}
            ],
            "calendar": {"exceptions": [{"index": 2, "start_ms": 1, "end_ms": 2,
                "other": [{"ns": "", "name": "Location", "attrs": [], "children": [{"Text": "Room"}]}]}]}
        })
        .to_string();
        let p = StoredProperties::decode(&v2, 2);
        assert_eq!(p.get(&Tag::Importance), Some(&Value::Text("High".into())));
        assert_eq!(p.get(&Tag::IsAllDayEvent), Some(&Value::Bool(true)));
        let x = &p.calendar.as_ref().unwrap().exceptions[0];
        assert_eq!(x.bag.text(&Tag::Location).as_deref(), Some("Room"));
    }
}
