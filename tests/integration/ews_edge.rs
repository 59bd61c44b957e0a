//! The EWS edge of the on-premises server, tested with the XML clients send: property elements
//! read into the mailbox's typed values and written back unchanged, rules both ways, the
//! stored forms before the property bag, and contact dictionaries changed entry by entry.

mod fields {

    use ews::Element;
    use mailbox::model::PatternKind;
    use mailbox::{Property, StoredProperties, Tag, Value};
    use onprem::ews::fields::*;

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
            matches!(zone.1, Value::TimeZone(ref z) if z.id.as_deref() == Some("W. Europe Standard Time"))
        );
        let defined = round_trip(
            r#"<t:EndTimeZone Id="Custom"><t:BaseOffset>-PT1H</t:BaseOffset></t:EndTimeZone>"#,
        );
        assert!(matches!(defined.1, Value::TimeZone(ref z) if z.definition.fields.len() == 1));
        let rec = round_trip(
            "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:DaysOfWeek>Monday</t:DaysOfWeek></t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence>",
        );
        assert!(matches!(rec.1, Value::Recurrence(ref r) if r.pattern == PatternKind::Weekly));
        let task = round_trip(
            "<t:Recurrence><t:WeeklyRegeneration><t:Interval>2</t:Interval></t:WeeklyRegeneration><t:NumberedRecurrence><t:StartDate>2024-01-01</t:StartDate><t:NumberOfOccurrences>3</t:NumberOfOccurrences></t:NumberedRecurrence></t:Recurrence>",
        );
        assert!(matches!(task.1, Value::Recurrence(ref r) if r.pattern.is_regeneration()));
        let odd = round_trip(
            "<t:Recurrence><t:WeeklyRecurrence><t:Interval>1</t:Interval><t:Extra/></t:WeeklyRecurrence><t:NoEndRecurrence><t:StartDate>2024-01-01</t:StartDate></t:NoEndRecurrence></t:Recurrence>",
        );
        assert!(
            matches!(odd.1, Value::Record(_)),
            "kept whole when a part is unknown"
        );
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
        let p = decode_earlier(&old, 1);
        assert_eq!(p.body.as_ref().unwrap().text, "<p>hi</p>");
        assert_eq!(p.bag.len(), 2);
        assert_eq!(p.get(&Tag::ReminderIsSet), Some(&Value::Bool(false)));
        assert_eq!(
            p.extended[0].values,
            vec!["IPM.Note.Microsoft.Conversation"]
        );
        let again = StoredProperties::decode(&p.encode(), mailbox::PROPS_FORMAT);
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
        let p = decode_earlier(&v2, 2);
        assert_eq!(p.get(&Tag::Importance), Some(&Value::Text("High".into())));
        assert_eq!(p.get(&Tag::IsAllDayEvent), Some(&Value::Bool(true)));
        let x = &p.calendar.as_ref().unwrap().exceptions[0];
        assert_eq!(x.bag.text(&Tag::Location).as_deref(), Some("Room"));
    }
}

mod rules {

    use ews::Element;
    use mailbox::{RuleEntry, RulePart, RuleValue, StoredRule};
    use onprem::ews::rules::*;

    fn parse(xml: &str) -> Element {
        let wrapped = format!(
            r#"<t:Actions xmlns:t="{}">{xml}</t:Actions>"#,
            ews::NS_TYPES
        );
        let mut el = ews::xml::parse(&wrapped).unwrap();
        ews::normalize_booleans(&mut el);
        el
    }

    #[test]
    fn rule_parts_are_typed_and_written_back_as_sent() {
        let xml = r#"<t:MoveToFolder><t:DistinguishedFolderId Id="junkemail"/></t:MoveToFolder><t:CopyToFolder><t:FolderId Id="abc" ChangeKey="CK1-x"/></t:CopyToFolder><t:AssignCategories><t:String>Red</t:String></t:AssignCategories><t:ForwardToRecipients><t:Address><t:EmailAddress>a@x</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType></t:Address></t:ForwardToRecipients><t:StopProcessingRules>true</t:StopProcessingRules><t:ServerReplyWithMessage Id="m1" ChangeKey="c"/><t:PinToTop>true</t:PinToTop>"#;
        let el = parse(xml);
        let set = rule_set(&el);
        assert!(matches!(set.0[0].1, RuleValue::Folder(_)));
        assert!(
            matches!(set.0[3].1, RuleValue::Addresses(ref a) if a[0].email.as_deref() == Some("a@x"))
        );
        assert_eq!(set.0[4].1, RuleValue::Flag(true));
        assert!(matches!(
            set.0[6],
            RuleEntry(RulePart::Other(_), RuleValue::Kept(_))
        ));
        let mut back = set_element("Actions", &set);
        back.ns = el.ns.clone();
        assert_eq!(back, el);
    }

    #[test]
    fn rules_stored_as_element_trees_read_in_the_mailboxs_terms() {
        let el = parse(
            r#"<t:MarkImportance>High</t:MarkImportance><t:MoveToFolder><t:DistinguishedFolderId Id="junkemail"/></t:MoveToFolder>"#,
        );
        let tree = serde_json::to_value(&el).unwrap();
        let set = earlier_rule_set(&tree);
        assert_eq!(
            set[0],
            RuleEntry(RulePart::MarkImportance, RuleValue::Text("High".into()))
        );
        assert!(matches!(
            &set[1].1,
            RuleValue::Folder(f) if f.target == mailbox::FolderTarget::Distinguished("junkemail".into())
        ));
        // The mailbox reads a stored rule of that form through the reader the edge gives it.
        onprem::ews::read_earlier_forms();
        let stored = serde_json::json!({
            "id": "r1", "display_name": "x", "priority": 1, "is_enabled": true, "actions": tree
        });
        let rule: StoredRule = serde_json::from_value(stored).unwrap();
        assert_eq!(rule.actions.unwrap().0, set);
    }
}

mod item_view {

    use ews::{PropertyPath, Shape};
    use mailbox::StoredProperties;
    use mailbox::{MailItem, Tag};
    use onprem::ews::item_view::*;
    use store::FolderRow;
    use store::ItemRow;

    fn mail_item(row: ItemRow, props: StoredProperties) -> MailItem {
        MailItem::of(row, props)
    }
    use mailbox::{EntryValue, Value};

    fn contact(xml: &str) -> ews::Item {
        let wrapped = format!(
            r#"<t:Contact xmlns:t="{}">{xml}</t:Contact>"#,
            ews::NS_TYPES
        );
        ews::Item::parse(&ews::xml::parse(&wrapped).unwrap())
    }

    fn made(xml: &str) -> (ItemRow, StoredProperties) {
        let draft = onprem::ews::drafts::draft(&contact(xml)).unwrap();
        mailbox::new_item("m", &contacts_folder(), &draft, 1)
    }

    fn apply(row: &mut ItemRow, props: &mut StoredProperties, updates: &[ews::ItemUpdate]) {
        let changes = onprem::ews::drafts::changes(updates).unwrap();
        mailbox::apply_updates(row, props, &changes, 2).unwrap();
    }

    fn contacts_folder() -> FolderRow {
        FolderRow {
            id: "f".into(),
            mailbox: "m".into(),
            parent_id: None,
            distinguished: None,
            display_name: "Contacts".into(),
            folder_class: None,
            props: "{}".into(),
            version: 1,
        }
    }

    #[test]
    fn dictionary_entries_change_one_at_a_time() {
        let (mut row, mut props) = made(
            r#"<t:EmailAddresses><t:Entry Key="EmailAddress1">a@x</t:Entry><t:Entry Key="EmailAddress2">b@x</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:Street>Main 1</t:Street><t:City>Oslo</t:City></t:Entry></t:PhysicalAddresses>"#,
        );
        let set = ews::ItemUpdate::Set {
            path: None,
            item: contact(
                r#"<t:EmailAddresses><t:Entry Key="EmailAddress2">c@x</t:Entry></t:EmailAddresses><t:PhysicalAddresses><t:Entry Key="Home"><t:City>Bergen</t:City></t:Entry></t:PhysicalAddresses>"#,
            ),
        };
        let delete = ews::ItemUpdate::Delete {
            path: Some(PropertyPath::Indexed {
                uri: "contacts:EmailAddress".into(),
                index: "EmailAddress1".into(),
            }),
        };
        apply(&mut row, &mut props, &[set, delete]);
        let shape = Shape {
            additional: vec![
                PropertyPath::Indexed {
                    uri: "contacts:EmailAddress".into(),
                    index: "EmailAddress2".into(),
                },
                PropertyPath::Indexed {
                    uri: "contacts:PhysicalAddress:City".into(),
                    index: "Home".into(),
                },
            ],
            ..Shape::default()
        };
        let shown = to_ews(&mail_item(row, props), None, &shape, true);
        let mut w = ews::writer::Writer::new();
        shown.write(&mut w);
        let xml = w.finish();
        assert!(
            xml.contains(
                r#"<t:EmailAddresses><t:Entry Key="EmailAddress2">c@x</t:Entry></t:EmailAddresses>"#
            ),
            "{xml}"
        );
        assert!(
            xml.contains("<t:Street>Main 1</t:Street><t:City>Bergen</t:City>"),
            "{xml}"
        );
    }

    #[test]
    fn deleting_a_part_of_an_address_keeps_the_rest_of_it() {
        let (mut row, mut props) = made(
            r#"<t:PhysicalAddresses><t:Entry Key="Home"><t:Street>ABC</t:Street></t:Entry><t:Entry Key="Business"><t:Street>DEF</t:Street><t:State>X</t:State></t:Entry></t:PhysicalAddresses>"#,
        );
        let delete = |part: &str, index: &str| ews::ItemUpdate::Delete {
            path: Some(PropertyPath::Indexed {
                uri: format!("contacts:PhysicalAddress:{part}"),
                index: index.into(),
            }),
        };
        let updates = [delete("State", "Business"), delete("Street", "Home")];
        apply(&mut row, &mut props, &updates);
        let Some(Value::Entries(addresses)) = props.get(&Tag::PhysicalAddresses) else {
            panic!("{props:?}");
        };
        assert_eq!(addresses.len(), 1, "the emptied Home entry is gone");
        assert_eq!(addresses[0].key, "Business");
        let EntryValue::Parts(parts) = &addresses[0].value else {
            panic!("{addresses:?}");
        };
        assert!(
            parts.iter().any(|(n, _)| n == "Street") && !parts.iter().any(|(n, _)| n == "State")
        );
    }
}
