//! The mailbox's search on both backends: restrictions, sort orders and paging run in SQL (or a
//! bounded scan) must give exactly what the reference evaluation gives over the same items,
//! counts kept by writes must equal counts recomputed, and a store of the first release's form
//! is carried forward without loss.

use hybrid_tests::TempDir;
use mailbox::{
    Candidate, CmpOp, Containment, Field, ItemQuery, Mailbox, Restriction, SortOrder,
    StoredProperties, reference_order,
};
use store::ItemRow;

/// xorshift64*: reproducible random cases without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len())]
    }
}

const WORDS: &[&str] = &[
    "Lunch",
    "lunch?",
    "Chat with Bob",
    "chat",
    "Ärger",
    "ärger",
    "Report Q4",
    "",
    "über alles",
    "Zeta",
];
const CLASSES: &[&str] = &[
    "IPM.Note",
    "ipm.note",
    "IPM.Note.Microsoft.Conversation",
    "IPM.Note.Microsoft.Missed",
    "IPM.Post",
];

fn ext_uri(kind: &str) -> mailbox::PropertyName {
    match kind {
        "String" => mailbox::PropertyName {
            distinguished_property_set_id: Some("PublicStrings".into()),
            property_name: Some("X-HybridWorkId".into()),
            property_type: "String".into(),
            ..Default::default()
        },
        _ => mailbox::PropertyName {
            property_tag: Some("0x8001".into()),
            property_type: "IntegerArray".into(),
            ..Default::default()
        },
    }
}

fn random_item(
    rng: &mut Rng,
    mailbox: &str,
    folder: &str,
    n: usize,
) -> (ItemRow, StoredProperties) {
    let mut props = StoredProperties::default();
    if rng.below(3) == 0 {
        props.set_extended(mailbox::MapiProperty {
            uri: ext_uri("String"),
            values: vec![rng.pick(WORDS).to_string()],
        });
    }
    if rng.below(3) == 0 {
        let values = (0..1 + rng.below(3))
            .map(|_| (rng.below(7) as i64 - 2).to_string())
            .collect();
        props.set_extended(mailbox::MapiProperty {
            uri: ext_uri("Integer"),
            values,
        });
    }
    if rng.below(3) == 0 {
        let categories = (0..1 + rng.below(2))
            .map(|_| rng.pick(WORDS).to_string())
            .collect();
        props.set(
            mailbox::Tag::Categories,
            mailbox::Value::Strings(categories),
        );
    }
    if rng.below(2) == 0 {
        let level = *rng.pick(&["Low", "Normal", "High", "high"]);
        props.set(
            mailbox::Tag::Importance,
            mailbox::Value::Text(level.to_string()),
        );
    }
    let received = 1_700_000_000_000 + rng.below(50) as i64 * 60_000;
    let row = ItemRow {
        id: format!("item{n:04}-{:x}", rng.next() % 4096),
        mailbox: mailbox.into(),
        folder_id: folder.into(),
        tag: "Message".into(),
        item_class: rng.pick(CLASSES).to_string(),
        subject: rng.pick(WORDS).to_string(),
        props: props.encode(),
        props_format: mailbox::PROPS_FORMAT,
        created_ms: received - rng.below(5) as i64 * 1000,
        received_ms: received,
        modified_ms: received,
        size: rng.below(20) as i64 * 100,
        is_read: rng.below(2) == 0,
        is_draft: rng.below(4) == 0,
        immutable: false,
        version: 1,
    };
    (row, props)
}

fn random_field(rng: &mut Rng) -> Field {
    match rng.below(10) {
        9 => Field::Extended {
            key: mailbox::field_key("Importance"),
            numeric: false,
        },
        8 => Field::Extended {
            key: mailbox::CATEGORIES_KEY.into(),
            numeric: false,
        },
        0 | 1 => Field::Subject,
        2 => Field::ItemClass,
        3 => Field::DateTimeReceived,
        4 => Field::Size,
        5 => Field::IsRead,
        6 => Field::Extended {
            key: ext_uri("String").key(),
            numeric: false,
        },
        _ => Field::Extended {
            key: ext_uri("Integer").key(),
            numeric: true,
        },
    }
}

fn constant(rng: &mut Rng, f: &Field) -> String {
    match f {
        Field::Extended { key, .. } if key.starts_with("field:") => {
            rng.pick(&["low", "Normal", "HIGH", "x"]).to_string()
        }
        Field::Subject => rng.pick(WORDS).to_uppercase(),
        Field::ItemClass => rng.pick(CLASSES).to_string(),
        Field::DateTimeReceived => match rng.below(4) {
            0 => "not a date".into(),
            _ => mailbox::format_time(1_700_000_000_000 + rng.below(50) as i64 * 60_000),
        },
        Field::Size => (rng.below(20) * 100).to_string(),
        Field::IsRead => rng.pick(&["true", "false", "1", "maybe"]).to_string(),
        Field::Extended { numeric: true, .. } => {
            rng.pick(&["0", "1", "-2", "3.0", "x"]).to_string()
        }
        _ => rng.pick(WORDS).to_string(),
    }
}

fn random_restriction(rng: &mut Rng, depth: usize) -> Restriction {
    let ops = [
        CmpOp::Eq,
        CmpOp::Ne,
        CmpOp::Gt,
        CmpOp::Ge,
        CmpOp::Lt,
        CmpOp::Le,
    ];
    let modes = [
        Containment::FullString,
        Containment::Prefixed,
        Containment::Substring,
        Containment::PrefixOnWords,
        Containment::ExactPhrase,
    ];
    match rng.below(if depth == 0 { 3 } else { 6 }) {
        0 => {
            let f = random_field(rng);
            let c = constant(rng, &f);
            Restriction::Compare(f, *rng.pick(&ops), c)
        }
        1 => {
            let field = random_field(rng);
            let word = rng.pick(WORDS).to_string();
            let cut = word
                .char_indices()
                .nth(rng.below(4))
                .map(|(i, _)| i)
                .unwrap_or(word.len());
            Restriction::Contains {
                field,
                mode: *rng.pick(&modes),
                ignore_case: rng.below(2) == 0,
                value: word[..cut].to_string(),
            }
        }
        2 => Restriction::Exists(random_field(rng)),
        3 => Restriction::And(
            (0..1 + rng.below(3))
                .map(|_| random_restriction(rng, depth - 1))
                .collect(),
        ),
        4 => Restriction::Or(
            (0..1 + rng.below(3))
                .map(|_| random_restriction(rng, depth - 1))
                .collect(),
        ),
        _ => Restriction::Not(Box::new(random_restriction(rng, depth - 1))),
    }
}

fn random_order(rng: &mut Rng) -> Vec<SortOrder> {
    let fields = [
        Field::Subject,
        Field::ItemClass,
        Field::DateTimeReceived,
        Field::Size,
        Field::IsRead,
    ];
    (0..rng.below(3))
        .map(|_| SortOrder {
            field: rng.pick(&fields).clone(),
            descending: rng.below(2) == 0,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn search_agrees_with_the_reference_on_both_backends() {
    let dir = TempDir::new("mailbox-search");
    for store in hybrid_tests::store_backends(&dir, "mailbox.db").await {
        let label = store.url().to_string();
        let guid = "mbx-search";
        mailbox::provision(&store, guid).await.unwrap();
        let mbox = Mailbox::open(&store, guid).await.unwrap();
        let inbox = mbox.distinguished("inbox").unwrap().clone();
        let other = mbox.distinguished("sentitems").unwrap().clone();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let mut items: Vec<(ItemRow, StoredProperties)> = (0..320)
            .map(|n| random_item(&mut rng, guid, &inbox.id, n))
            .collect();
        let rows: Vec<_> = items.iter().map(|(r, p)| (r.clone(), p.values())).collect();
        store.mailboxes().insert_items(&rows).await.unwrap();
        // Writes that the kept counts must follow: deletes, moves out, class and read changes.
        for k in 0..40 {
            let i = rng.below(items.len());
            let (mut row, props) = items[i].clone();
            match k % 4 {
                0 => {
                    assert!(store.mailboxes().delete_item(&row.id).await.unwrap());
                    items.remove(i);
                    continue;
                }
                1 => row.folder_id = other.id.clone(),
                2 => row.item_class = rng.pick(CLASSES).to_string(),
                _ => row.is_read = !row.is_read,
            }
            (row.version, row.id) = store
                .mailboxes()
                .update_item(&row, Some(&props.values()))
                .await
                .unwrap();
            if row.folder_id == inbox.id {
                items[i] = (row, props);
            } else {
                items.remove(i);
            }
        }
        let counts = mbox.counts().await.unwrap();
        let kept = counts.iter().find(|c| c.folder_id == inbox.id).unwrap();
        let unread = items.iter().filter(|(r, _)| !r.is_read).count() as i64;
        let size: i64 = items.iter().map(|(r, _)| r.size).sum();
        assert_eq!(
            (kept.total, kept.unread, kept.size),
            (items.len() as i64, unread, size),
            "{label}: kept counts"
        );
        let mut scanned = 0;
        for case in 0..250 {
            let restriction = (case % 10 != 0).then(|| random_restriction(&mut rng, 3));
            let order = random_order(&mut rng);
            let (offset, max) = (rng.below(items.len() + 20), 1 + rng.below(60));
            let mut expected: Vec<&ItemRow> = items
                .iter()
                .filter(|(r, p)| {
                    restriction
                        .as_ref()
                        .is_none_or(|x| x.matches(&Candidate { row: r, props: p }))
                })
                .map(|(r, _)| r)
                .collect();
            expected.sort_by(|a, b| reference_order(a, b, &order));
            let total = expected.len();
            let want: Vec<&str> = expected
                .iter()
                .skip(offset)
                .take(max)
                .map(|r| r.id.as_str())
                .collect();
            if restriction
                .as_ref()
                .is_some_and(|r| r.to_filter().is_none())
            {
                scanned += 1;
            }
            let query = ItemQuery {
                restriction: restriction.clone(),
                order: order.clone(),
                offset,
                max,
            };
            let page = mbox.find_items(&inbox, &query).await.unwrap();
            let got: Vec<&str> = page.items.iter().map(|i| i.id.as_str()).collect();
            assert_eq!(
                got, want,
                "{label} case {case}: {restriction:?} {order:?} offset {offset} max {max}"
            );
            assert_eq!(
                page.total, total,
                "{label} case {case}: total of {restriction:?}"
            );
            assert_eq!(
                page.includes_last,
                offset.min(total) + got.len() >= total,
                "{label} case {case}"
            );
        }
        assert!(
            scanned > 5,
            "{label}: the scan path ran only {scanned} times"
        );
        drop(store);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_store_of_the_first_form_is_carried_forward() {
    let dir = TempDir::new("mailbox-legacy");
    for store in hybrid_tests::store_backends(&dir, "mailbox.db").await {
        let label = store.url().to_string();
        let guid = "mbx-legacy";
        mailbox::provision(&store, guid).await.unwrap();
        let purges = Mailbox::open(&store, guid)
            .await
            .unwrap()
            .distinguished("recoverableitemspurges")
            .unwrap()
            .id
            .clone();
        let old = serde_json::json!({
            "el": {"Body": "<t:Body BodyType=\"HTML\">&lt;p&gt;bob: Lunch?&lt;/p&gt;</t:Body>", "Importance": "<t:Importance>High</t:Importance>"},
            "ext": {"DistinguishedPropertySetId=publicstrings;PropertyName=x-hybridworkid": "<t:ExtendedProperty><t:ExtendedFieldURI DistinguishedPropertySetId=\"PublicStrings\" PropertyName=\"X-HybridWorkId\" PropertyType=\"String\"/><t:Value>w-7</t:Value></t:ExtendedProperty>"},
            "extv": {"DistinguishedPropertySetId=publicstrings;PropertyName=x-hybridworkid": "w-7"}
        }).to_string();
        // The second form kept EWS element trees.
        let trees = serde_json::json!({
            "other": [
                {"ns": "", "name": "ToRecipients", "attrs": [], "children": [{"Element":
                    {"ns": "", "name": "Mailbox", "attrs": [], "children": [{"Element":
                        {"ns": "", "name": "EmailAddress", "attrs": [], "children": [{"Text": "alice@contoso.com"}]}}]}}]},
                {"ns": "", "name": "Importance", "attrs": [], "children": [{"Text": "Low"}]}
            ]
        })
        .to_string();
        let sql = "INSERT INTO mailbox_items (id, mailbox, folder_id, tag, item_class, subject, props, created_ms, received_ms, modified_ms, size, is_read, is_draft, immutable, version, props_format) VALUES ($1, $2, $3, 'Message', 'IPM.Note.Microsoft.Conversation', 'Lunch?', $4, 1, 1, 1, 10, 0, 0, 1, 3, $5)";
        for (id, props, format) in [
            ("0000000000000000000000000000ab01", &old, 1i64),
            ("0000000000000000000000000000ab02", &trees, 2),
        ] {
            match store.pool() {
                store::Pool::Sqlite(p) => {
                    sqlx::query(sql)
                        .bind(id)
                        .bind(guid)
                        .bind(&purges)
                        .bind(props)
                        .bind(format)
                        .execute(p)
                        .await
                        .unwrap();
                }
                store::Pool::Postgres(p) => {
                    sqlx::query(sql)
                        .bind(id)
                        .bind(guid)
                        .bind(&purges)
                        .bind(props)
                        .bind(format)
                        .execute(p)
                        .await
                        .unwrap();
                }
            }
        }
        assert_eq!(
            onprem::ews::upgrade_stored_items(&store).await.unwrap(),
            2,
            "{label}"
        );
        assert_eq!(
            onprem::ews::upgrade_stored_items(&store).await.unwrap(),
            0,
            "{label}: once"
        );
        let mbox = Mailbox::open(&store, guid).await.unwrap();
        let item = mbox.item("0000000000000000000000000000ab01").await.unwrap();
        let row = store
            .mailboxes()
            .item("0000000000000000000000000000ab01")
            .await
            .unwrap()
            .unwrap();
        assert!(
            item.immutable && row.props_format == mailbox::PROPS_FORMAT && item.version == 3,
            "{label}: the form changes, the version (and change key) does not"
        );
        let second = mbox
            .item("0000000000000000000000000000ab02")
            .await
            .unwrap()
            .props;
        assert_eq!(
            second.sender_addresses().len()
                + second.bag.addresses(&mailbox::Tag::ToRecipients).len(),
            1,
            "{label}"
        );
        assert_eq!(
            second.bag.text(&mailbox::Tag::Importance).as_deref(),
            Some("Low")
        );
        let shape = ews::Shape {
            base: ews::BaseShape::AllProperties,
            ..Default::default()
        };
        let item = onprem::ews::item_view::view(&mbox, &item, &shape, true);
        assert_eq!(item.body.unwrap().text, "<p>bob: Lunch?</p>");
        assert_eq!(item.other[0].text(), "High");
        assert_eq!(item.extended[0].values, vec!["w-7"]);
        // The value index knows it now, and the counts include it.
        let query = ItemQuery {
            restriction: Some(Restriction::Compare(
                Field::Extended {
                    key: ews::ExtendedFieldUri::public_string("X-HybridWorkId", "String").key(),
                    numeric: false,
                },
                CmpOp::Eq,
                "W-7".into(),
            )),
            max: 10,
            ..Default::default()
        };
        let folder = mbox
            .distinguished("recoverableitemspurges")
            .unwrap()
            .clone();
        let page = mbox.find_items(&folder, &query).await.unwrap();
        assert_eq!((page.items.len(), page.total), (1, 1), "{label}");
        let folder_total = |c: &store::FolderCounts| c.folder_id == folder.id && c.total == 2;
        let counts = mbox.counts().await.unwrap();
        assert!(
            counts
                .iter()
                .any(|c| folder_total(c) && c.unread == 2 && c.size > 0),
            "{label}: {counts:?}"
        );
        drop(store);
    }
}

/// A user configuration whose dictionary the first release kept as a `t:Dictionary` fragment is
/// carried forward once, at the on-premises server's start, and then reads in the mailbox's
/// own form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_configuration_of_the_first_form_is_carried_forward() {
    let dir = TempDir::new("configuration-legacy");
    for store in hybrid_tests::store_backends(&dir, "mailbox.db").await {
        let label = store.url().to_string();
        let guid = "mbx-legacy-cfg";
        mailbox::provision(&store, guid).await.unwrap();
        let root = Mailbox::open(&store, guid)
            .await
            .unwrap()
            .distinguished("root")
            .unwrap()
            .clone();
        let fragment = concat!(
            "<t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type>",
            "<t:Value>Greeting</t:Value></t:DictionaryKey><t:DictionaryValue>",
            "<t:Type>Boolean</t:Type><t:Value>true</t:Value></t:DictionaryValue>",
            "</t:DictionaryEntry></t:Dictionary>"
        );
        store
            .mailboxes()
            .create_user_configuration(&store::UserConfigurationRow {
                id: "0000000000000000000000000000cf01".into(),
                mailbox: guid.into(),
                folder_id: root.id.clone(),
                name: "Um.CustomGreetings.External".into(),
                dictionary: Some(fragment.into()),
                xml_data: None,
                binary_data: None,
                version: 1,
            })
            .await
            .unwrap();
        assert_eq!(
            onprem::ews::upgrade_stored_configurations(&store)
                .await
                .unwrap(),
            1,
            "{label}"
        );
        assert_eq!(
            onprem::ews::upgrade_stored_configurations(&store)
                .await
                .unwrap(),
            0,
            "{label}: once"
        );
        let mbox = Mailbox::open(&store, guid).await.unwrap();
        let all = mailbox::ConfigurationParts {
            id: true,
            dictionary: true,
            xml_data: true,
            binary_data: true,
        };
        let c = mbox
            .get_configuration(&root, "Um.CustomGreetings.External", all)
            .await
            .unwrap();
        let d = c.parts.dictionary.expect("the dictionary reads");
        assert_eq!(d[0].key.values, vec!["Greeting"], "{label}");
        assert_eq!(d[0].value.as_ref().unwrap().value_type, "Boolean");
        assert_eq!(c.version, 2, "{label}: rewritten once");
        drop(store);
    }
}
