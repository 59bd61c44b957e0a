//! Golden fixtures. `fixtures/requests/NAME.xml` is what a client sends (exchangelib, the EWS
//! Managed API, Outlook, Hybrid's partner) and `NAME.parsed` the expected parse; every request
//! also survives a write and a second parse unchanged. `fixtures/responses/NAME.xml` holds the
//! exact bytes the writer must produce for a response value built here, and reads back to
//! that value. `HYBRID_REGENERATE_FIXTURES=1` rewrites the expected files.

use crate::autodiscover::*;
use crate::request::*;
use crate::response::*;
use crate::types::*;
use std::path::{Path, PathBuf};

fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(kind)
}

fn regenerate() -> bool {
    std::env::var_os("HYBRID_REGENERATE_FIXTURES").is_some()
}

fn check(path: &Path, actual: &str, failures: &mut Vec<String>) {
    if regenerate() {
        std::fs::write(path, actual).unwrap();
        return;
    }
    match std::fs::read_to_string(path) {
        Ok(expected) if expected == actual => {}
        Ok(_) => failures.push(format!("{} differs", path.display())),
        Err(_) => failures.push(format!("{} is missing", path.display())),
    }
}

fn parsed_text(name: &str, bytes: &[u8]) -> String {
    if name.starts_with("autodiscover_pox") {
        let r = PoxRequest::parse(bytes).expect(name);
        assert_eq!(
            PoxRequest::parse(r.to_xml().as_bytes()).unwrap(),
            r,
            "{name}"
        );
        return format!("{r:#?}\n");
    }
    if name.starts_with("autodiscover_") {
        let r = GetUserSettingsRequest::parse(bytes)
            .expect(name)
            .expect(name);
        let again = GetUserSettingsRequest::parse(r.to_xml().as_bytes()).unwrap();
        assert_eq!(again, Some(r.clone()), "{name}");
        return format!("{r:#?}\n");
    }
    let r = Request::parse(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    let again =
        Request::parse(r.to_xml().as_bytes()).unwrap_or_else(|e| panic!("{name} rewritten: {e}"));
    assert_eq!(again, r, "{name}: write then parse changes the request");
    format!("{r:#?}\n")
}

#[test]
fn request_fixtures_parse_as_expected() {
    let mut failures = Vec::new();
    let mut count = 0;
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir("requests"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    names.sort();
    for path in names {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let bytes = std::fs::read(&path).unwrap();
        check(
            &path.with_extension("parsed"),
            &parsed_text(&name, &bytes),
            &mut failures,
        );
        count += 1;
    }
    assert!(count >= 20, "only {count} request fixtures");
    assert!(failures.is_empty(), "{failures:#?}");
}

fn mailbox_item() -> Item {
    Item {
        kind: "Message".into(),
        mime_content: None,
        item_id: Some(ItemId::new("a1b2", "CK2")),
        parent_folder_id: Some(ItemId::new("f00d", "CK1")),
        item_class: Some("IPM.Note.Microsoft.Conversation".into()),
        subject: Some("Lunch? <today> & \"soon\"".into()),
        body: Some(Body {
            body_type: "HTML".into(),
            text: "<p>bob: Lunch?</p>".into(),
        }),
        attachments: Some(vec![crate::attachment::Attachment {
            attachment_id: Some(crate::attachment::AttachmentId::new(
                "a1b2000000000000000000000000000000000001",
            )),
            name: Some("notes.txt".into()),
            content_type: Some("text/plain".into()),
            content_id: None,
            content_location: None,
            size: Some(5),
            last_modified_time: Some("2026-11-25T06:32:37Z".into()),
            is_inline: Some(false),
            content: crate::attachment::AttachmentContent::File {
                content: None,
                is_contact_photo: Some(false),
            },
        }]),
        date_time_received: Some("2026-11-25T06:32:37Z".into()),
        size: Some(321),
        date_time_created: Some("2026-11-25T06:32:37Z".into()),
        last_modified_time: Some("2026-11-25T06:40:00Z".into()),
        is_read: Some(true),
        is_draft: Some(false),
        other: vec![crate::xml::parse(r#"<Importance>Normal</Importance>"#).unwrap()],
        extended: vec![
            ExtendedProperty::new(
                ExtendedFieldUri::public_string("X-HybridWorkId", "String"),
                "w-42",
            ),
            ExtendedProperty {
                uri: ExtendedFieldUri {
                    property_tag: Some("0x8001".into()),
                    property_type: "IntegerArray".into(),
                    ..Default::default()
                },
                values: vec!["1".into(), "2".into()],
            },
        ],
    }
}

fn folder(kind: &str, id: &str, distinguished: Option<&str>) -> Folder {
    Folder {
        kind: kind.into(),
        folder_id: Some(ItemId::new(id, "CK1")),
        parent_folder_id: Some(ItemId::new("root0", "CK1")),
        folder_class: Some("IPF.Note".into()),
        display_name: Some("Inbox".into()),
        total_count: Some(1_000_000),
        child_folder_count: Some(0),
        extended: Vec::new(),
        effective_rights: Some(EffectiveRights::OWNER),
        unread_count: Some(12),
        distinguished_folder_id: distinguished.map(str::to_string),
        permission_set: None,
    }
}

fn samples() -> Vec<(&'static str, Response)> {
    let not_found = ResponseMessage::error(
        "ErrorFolderNotFound",
        "The specified folder could not be found in the store.",
    );
    let ids_only = |id: &str| Item {
        kind: "Message".into(),
        item_id: Some(ItemId::new(id, "CK1")),
        ..Default::default()
    };
    let file = crate::attachment::Attachment {
        attachment_id: Some(crate::attachment::AttachmentId::new(
            "a1b2000000000000000000000000000000000001",
        )),
        name: Some("hello.txt".into()),
        content_type: Some("text/plain".into()),
        content_id: None,
        content_location: None,
        size: Some(5),
        last_modified_time: Some("2026-11-25T06:32:37Z".into()),
        is_inline: Some(false),
        content: crate::attachment::AttachmentContent::File {
            content: Some("aGVsbG8=".into()),
            is_contact_photo: Some(false),
        },
    };
    let created = crate::attachment::Attachment {
        attachment_id: Some(crate::attachment::AttachmentId {
            id: "a1b2000000000000000000000000000000000001".into(),
            root_item_id: Some("a1b2".into()),
            root_item_change_key: Some("CK4".into()),
        }),
        name: None,
        content_type: None,
        content_id: None,
        content_location: None,
        size: None,
        last_modified_time: None,
        is_inline: None,
        content: crate::attachment::AttachmentContent::Item(None),
    };
    vec![
        (
            "getattachment_file",
            Response::new(
                "GetAttachment",
                vec![ResponseMessage::success(Payload::Attachments(vec![file]))],
            ),
        ),
        (
            "createattachment_item",
            Response::new(
                "CreateAttachment",
                vec![ResponseMessage::success(Payload::Attachments(vec![
                    created,
                ]))],
            ),
        ),
        (
            "deleteattachment_root",
            Response::new(
                "DeleteAttachment",
                vec![ResponseMessage::success(Payload::RootItemId {
                    id: "a1b2".into(),
                    change_key: "CK5".into(),
                })],
            ),
        ),
        (
            "getattachment_invalid_id",
            Response::new(
                "GetAttachment",
                vec![ResponseMessage::error(
                    "ErrorInvalidAttachmentId",
                    "The attachment id is not valid or the attachment does not exist.",
                )],
            ),
        ),
        (
            "markasjunk_moved",
            Response::new(
                "MarkAsJunk",
                vec![ResponseMessage::success(Payload::MovedItemId(ItemId::new(
                    "a1b2", "CK2",
                )))],
            ),
        ),
        (
            "getinboxrules_one",
            Response::new(
                "GetInboxRules",
                vec![ResponseMessage::success(Payload::InboxRules {
                    outlook_rule_blob_exists: false,
                    rules: vec![crate::rules::Rule {
                        rule_id: Some("0123456789abcdef0123456789abcdef".into()),
                        display_name: Some("From the boss".into()),
                        priority: Some(1),
                        is_enabled: Some(true),
                        is_not_supported: Some(false),
                        is_in_error: Some(false),
                        conditions: None,
                        exceptions: None,
                        actions: Some(
                            crate::xml::parse(
                                r#"<Actions><MarkAsRead>true</MarkAsRead></Actions>"#,
                            )
                            .unwrap(),
                        ),
                    }],
                })],
            ),
        ),
        (
            "updateinboxrules_refused",
            Response::new(
                "UpdateInboxRules",
                vec![ResponseMessage {
                    class: ResponseClass::Error,
                    code: "ErrorInboxRulesValidationError".into(),
                    text: Some(
                        "A validation error occurred while executing the rule operation.".into(),
                    ),
                    payload: Payload::RuleOperationErrors(vec![crate::rules::RuleOperationError {
                        operation_index: 0,
                        errors: vec![crate::rules::RuleValidationError {
                            field_uri: "Action:SendSMSAlertToRecipients".into(),
                            error_code: "UnsupportedRule".into(),
                            error_message: "The operation on this unsupported rule is not allowed."
                                .into(),
                            field_value: String::new(),
                        }],
                    }]),
                }],
            ),
        ),
        (
            "exportitems_data",
            Response::new(
                "ExportItems",
                vec![ResponseMessage::success(Payload::Exported {
                    item_id: ItemId::new("a1b2", "CK1"),
                    data: "eyJmb3JtYXQiOjF9".into(),
                })],
            ),
        ),
        (
            "uploaditems_created",
            Response::new(
                "UploadItems",
                vec![ResponseMessage::success(Payload::ItemId(ItemId::new(
                    "c3d4", "CK1",
                )))],
            ),
        ),
        (
            "syncfolderitems_changes",
            Response::new(
                "SyncFolderItems",
                vec![ResponseMessage::success(Payload::SyncFolderItems(
                    crate::sync::SyncAnswer {
                        sync_state: "eyJmb2xkZXIiOiJmMDBkIiwic2VxIjo0M30".into(),
                        includes_last: true,
                        changes: vec![
                            crate::sync::SyncChange::Create(ids_only("a1b2")),
                            crate::sync::SyncChange::ReadFlagChange {
                                item_id: ItemId::new("c3d4", "CK2"),
                                is_read: true,
                            },
                            crate::sync::SyncChange::Delete(ItemId::new("e5f6", "CK3")),
                        ],
                    },
                ))],
            ),
        ),
        (
            "getserviceconfiguration_both",
            Response::new(
                "GetServiceConfiguration",
                vec![ResponseMessage::success(Payload::ServiceConfiguration(
                    ServiceConfiguration {
                        mail_tips: Some(MailTipsConfiguration {
                            enabled: true,
                            max_recipients_per_request: 50,
                            max_message_size: 8_388_608,
                            large_audience_threshold: 25,
                            show_external_recipient_count: true,
                            internal_domains: vec!["contoso.com".into()],
                        }),
                        unified_messaging: Some(UnifiedMessagingConfiguration {
                            um_enabled: true,
                            play_on_phone_dial_string: String::new(),
                            play_on_phone_enabled: true,
                        }),
                    },
                ))],
            ),
        ),
        ("getmailtips_one", {
            let mut r = Response::new(
                "GetMailTips",
                vec![ResponseMessage::success(Payload::MailTips(MailTips {
                    recipient: EmailAddress {
                        name: None,
                        email_address: "bob@contoso.com".into(),
                        routing_type: "SMTP".into(),
                        mailbox_type: String::new(),
                    },
                    max_message_size: 8_388_608,
                    total_member_count: 1,
                    ..Default::default()
                }))],
            );
            r.deliver_meeting_requests = None;
            r
        }),
        ("getdelegate_not_a_delegate", {
            let mut r = Response::new(
                "GetDelegate",
                vec![ResponseMessage::error(
                    "ErrorNotDelegate",
                    "The user is not a delegate of this mailbox.",
                )],
            );
            r.deliver_meeting_requests = Some("DelegatesAndSendInformationToMe".into());
            r
        }),
        (
            "getroomlists_empty",
            Response::new(
                "GetRoomLists",
                vec![ResponseMessage::success(Payload::RoomLists(Vec::new()))],
            ),
        ),
        (
            "getuseroofsettings_scheduled",
            Response::new(
                "GetUserOofSettings",
                vec![ResponseMessage::success(Payload::OofSettings(
                    crate::availability::OofSettings {
                        state: "Scheduled".into(),
                        external_audience: "Known".into(),
                        start: Some("2030-01-01T00:00:00Z".into()),
                        end: Some("2030-01-02T00:00:00Z".into()),
                        internal_reply: "In the pub".into(),
                        external_reply: "At dinner".into(),
                    },
                ))],
            ),
        ),
        (
            "setuseroofsettings_refused",
            Response::new(
                "SetUserOofSettings",
                vec![ResponseMessage::error(
                    "ErrorInvalidScheduledOofDuration",
                    "The scheduled automatic-reply window must start before it ends, and end in the future.",
                )],
            ),
        ),
        (
            "getuseravailability_two_mailboxes",
            Response::new(
                "GetUserAvailability",
                vec![
                    ResponseMessage::success(Payload::FreeBusyView(
                        crate::availability::FreeBusyView {
                            view_type: "FreeBusyMerged".into(),
                            merged: Some("0022".into()),
                            events: vec![crate::availability::CalendarEvent {
                                start: "2030-01-01T09:00:00".into(),
                                end: "2030-01-01T10:00:00".into(),
                                busy_type: "Busy".into(),
                                details: None,
                            }],
                            working_hours: Some((
                                crate::availability::LegacyTimeZone {
                                    bias: -60,
                                    standard: crate::availability::LegacyChange {
                                        bias: 0,
                                        time: "03:00:00".into(),
                                        day_order: 5,
                                        month: 10,
                                        day_of_week: "Sunday".into(),
                                    },
                                    daylight: crate::availability::LegacyChange {
                                        bias: -60,
                                        time: "02:00:00".into(),
                                        day_order: 5,
                                        month: 3,
                                        day_of_week: "Sunday".into(),
                                    },
                                },
                                vec![crate::availability::WorkingPeriod {
                                    days: "Monday Tuesday Wednesday Thursday Friday".into(),
                                    start_minutes: 480,
                                    end_minutes: 1020,
                                }],
                            )),
                        },
                    )),
                    ResponseMessage::error(
                        "ErrorMailRecipientNotFound",
                        "No mailbox of this organization has the address nobody@contoso.com.",
                    ),
                ],
            ),
        ),
        (
            "getservertimezones_full",
            Response::new(
                "GetServerTimeZones",
                vec![ResponseMessage::success(Payload::TimeZoneDefinitions(
                    vec![
                        crate::timezone::TimeZoneDefinition {
                            id: "W. Europe Standard Time".into(),
                            name: Some("(UTC+01:00) Berlin".into()),
                            periods: vec![
                                crate::timezone::Period {
                                    id: "std".into(),
                                    name: "Standard".into(),
                                    bias_minutes: -60,
                                },
                                crate::timezone::Period {
                                    id: "dlt".into(),
                                    name: "Daylight".into(),
                                    bias_minutes: -120,
                                },
                            ],
                            groups: vec![crate::timezone::TransitionsGroup {
                                id: "0".into(),
                                transitions: vec![rule("std", 180, 10), rule("dlt", 120, 3)],
                            }],
                            transitions: vec![crate::timezone::Transition::Immediate(
                                crate::timezone::TransitionTarget {
                                    kind: "Group".into(),
                                    id: "0".into(),
                                },
                            )],
                        },
                        crate::timezone::TimeZoneDefinition {
                            id: "UTC".into(),
                            name: Some("(UTC) Coordinated Universal Time".into()),
                            ..Default::default()
                        },
                    ],
                ))],
            ),
        ),
        (
            "getrooms_no_results",
            Response::new(
                "GetRooms",
                vec![ResponseMessage::error(
                    "ErrorNameResolutionNoResults",
                    "No results were found.",
                )],
            ),
        ),
        (
            "convertid_probe",
            Response::new(
                "ConvertId",
                vec![ResponseMessage::error(
                    "ErrorInvalidSmtpAddress",
                    "The SMTP address format is invalid.",
                )],
            ),
        ),
        (
            "convertid_converted",
            Response::new(
                "ConvertId",
                vec![ResponseMessage::success(Payload::AlternateId {
                    format: "HexEntryId".into(),
                    id: "61316232".into(),
                    mailbox: "alice@contoso.com".into(),
                })],
            ),
        ),
        (
            "getfolder_mixed",
            Response::new(
                "GetFolder",
                vec![
                    ResponseMessage::success(Payload::Folders(vec![folder(
                        "Folder",
                        "inbox0",
                        Some("inbox"),
                    )])),
                    not_found.clone(),
                ],
            ),
        ),
        (
            "findfolder_deep",
            Response::new(
                "FindFolder",
                vec![ResponseMessage::success(Payload::FoundFolders(
                    RootFolder {
                        indexed_paging_offset: 2,
                        total_items_in_view: 2,
                        includes_last_item_in_range: true,
                        entries: vec![
                            folder("CalendarFolder", "cal0", Some("calendar")),
                            folder("Folder", "x1", None),
                        ],
                    },
                ))],
            ),
        ),
        (
            "finditem_page",
            Response::new(
                "FindItem",
                vec![ResponseMessage::success(Payload::FoundItems(RootFolder {
                    indexed_paging_offset: 13,
                    total_items_in_view: 250,
                    includes_last_item_in_range: false,
                    entries: vec![ids_only("i1"), ids_only("i2")],
                }))],
            ),
        ),
        (
            "finditem_empty",
            Response::new(
                "FindItem",
                vec![ResponseMessage::success(Payload::FoundItems(RootFolder {
                    indexed_paging_offset: 0,
                    total_items_in_view: 0,
                    includes_last_item_in_range: true,
                    entries: vec![],
                }))],
            ),
        ),
        (
            "getitem_all_properties",
            Response::new(
                "GetItem",
                vec![
                    ResponseMessage::success(Payload::Items(vec![mailbox_item()])),
                    ResponseMessage::error(
                        "ErrorItemNotFound",
                        "The specified object was not found in the store.",
                    ),
                ],
            ),
        ),
        (
            "createitem_ids",
            Response::new(
                "CreateItem",
                vec![
                    ResponseMessage::success(Payload::Items(vec![ids_only("n1")])),
                    ResponseMessage::success(Payload::Items(vec![ids_only("n2")])),
                ],
            ),
        ),
        (
            "updateitem_conflicts",
            Response::new(
                "UpdateItem",
                vec![
                    ResponseMessage::success(Payload::UpdatedItems {
                        items: vec![ids_only("a1b2")],
                        conflicts: 0,
                    }),
                    ResponseMessage::error(
                        "ErrorIrresolvableConflict",
                        "The change key is stale; get the item again and retry.",
                    ),
                ],
            ),
        ),
        (
            "updateiteminrecoverableitems_immutable",
            Response::new(
                "UpdateItemInRecoverableItems",
                vec![ResponseMessage::success(Payload::Items(vec![ids_only(
                    "a1b2",
                )]))],
            ),
        ),
        (
            "deleteitem",
            Response::new(
                "DeleteItem",
                vec![
                    ResponseMessage::success(Payload::None),
                    ResponseMessage::error(
                        "ErrorInvalidOperation",
                        "The item is immutable: it was archived and cannot be deleted.",
                    ),
                ],
            ),
        ),
        (
            "moveitem",
            Response::new(
                "MoveItem",
                vec![ResponseMessage::success(Payload::Items(vec![ids_only(
                    "m1",
                )]))],
            ),
        ),
        (
            "copyitem",
            Response::new(
                "CopyItem",
                vec![ResponseMessage::success(Payload::Items(vec![ids_only(
                    "c1",
                )]))],
            ),
        ),
        (
            "getuserconfiguration",
            Response::new(
                "GetUserConfiguration",
                vec![ResponseMessage::success(Payload::UserConfiguration(
                    UserConfiguration {
                        name: UserConfigurationName::new(
                            "Hybrid.Test",
                            FolderRef::distinguished("inbox"),
                        ),
                        item_id: Some(ItemId::new("u1", "CK3")),
                        dictionary: Some(vec![DictionaryEntry {
                            key: DictionaryObject {
                                value_type: "String".into(),
                                values: vec!["enabled".into()],
                            },
                            value: Some(DictionaryObject {
                                value_type: "Boolean".into(),
                                values: vec!["true".into()],
                            }),
                        }]),
                        xml_data: Some("PGEvPg==".into()),
                        binary_data: Some("AAEC".into()),
                    },
                ))],
            ),
        ),
        (
            "createuserconfiguration_duplicate",
            Response::new(
                "CreateUserConfiguration",
                vec![ResponseMessage::error(
                    "ErrorItemSave",
                    "A user configuration named 'Hybrid.Test' already exists in this folder.",
                )],
            ),
        ),
        (
            "updateuserconfiguration",
            Response::new(
                "UpdateUserConfiguration",
                vec![ResponseMessage::success(Payload::None)],
            ),
        ),
        (
            "deleteuserconfiguration",
            Response::new(
                "DeleteUserConfiguration",
                vec![ResponseMessage::success(Payload::None)],
            ),
        ),
        (
            "createfolder",
            Response::new(
                "CreateFolder",
                vec![
                    ResponseMessage::success(Payload::Folders(vec![Folder {
                        kind: "Folder".into(),
                        folder_id: Some(ItemId::new("f00d", "CK1")),
                        ..Default::default()
                    }])),
                    ResponseMessage::error(
                        "ErrorFolderExists",
                        "A folder with the specified name already exists. Could not create folder 'Projects'.",
                    ),
                ],
            ),
        ),
        (
            "deletefolder_distinguished",
            Response::new(
                "DeleteFolder",
                vec![ResponseMessage::error(
                    "ErrorDeleteDistinguishedFolder",
                    "Distinguished folders cannot be deleted.",
                )],
            ),
        ),
        (
            "emptyfolder",
            Response::new("EmptyFolder", vec![ResponseMessage::success(Payload::None)]),
        ),
        (
            "resolvenames_multiple",
            Response::new(
                "ResolveNames",
                vec![ResponseMessage::warning(
                    "ErrorNameResolutionMultipleResults",
                    "Multiple results were found.",
                    Payload::Resolutions(RootFolder {
                        indexed_paging_offset: 0,
                        total_items_in_view: 2,
                        includes_last_item_in_range: true,
                        entries: ["alice", "alicia"]
                            .iter()
                            .map(|n| Resolution {
                                mailbox: EmailAddress {
                                    name: Some(n.to_string()),
                                    email_address: format!("{n}@contoso.com"),
                                    routing_type: "SMTP".into(),
                                    mailbox_type: "Mailbox".into(),
                                },
                                contact: Some(Contact {
                                    display_name: n.to_string(),
                                    email_addresses: vec![(
                                        "EmailAddress1".into(),
                                        format!("SMTP:{n}@contoso.com"),
                                    )],
                                }),
                            })
                            .collect(),
                    }),
                )],
            ),
        ),
    ]
}

fn rule(period: &str, minutes: i32, month: u8) -> crate::timezone::Transition {
    crate::timezone::Transition::RecurringDay {
        to: crate::timezone::TransitionTarget {
            kind: "Period".into(),
            id: period.into(),
        },
        time_offset_minutes: minutes,
        month,
        day_of_week: "Sunday".into(),
        occurrence: -1,
    }
}

#[test]
fn response_fixtures_are_written_byte_for_byte_and_read_back() {
    let mut failures = Vec::new();
    for (name, value) in samples() {
        let xml = value.to_xml();
        check(
            &dir("responses").join(format!("{name}.xml")),
            &xml,
            &mut failures,
        );
        let back = Response::parse(&xml).unwrap_or_else(|_| panic!("{name} does not read back"));
        assert_eq!(back, value, "{name} reads back differently");
    }
    let fault = Fault::new(
        "ErrorSchemaValidation",
        "The request failed schema validation: bad <thing>",
    );
    check(
        &dir("responses").join("fault_schema_validation.xml"),
        &fault.to_xml(),
        &mut failures,
    );
    assert_eq!(
        Response::parse(&fault.to_xml()).unwrap_err().unwrap(),
        fault
    );
    let settings = GetUserSettingsResponse {
        user_responses: vec![
            UserResponse {
                error_code: "NoError".into(),
                error_message: "No error.".into(),
                settings: vec![
                    (
                        "ExternalEwsUrl".into(),
                        "https://mail.contoso.com/EWS/Exchange.asmx".into(),
                    ),
                    (
                        "InternalEwsUrl".into(),
                        "http://127.0.0.1:8443/EWS/Exchange.asmx".into(),
                    ),
                ],
            },
            UserResponse {
                error_code: "InvalidUser".into(),
                error_message: "Invalid user: 'nobody@contoso.com'".into(),
                settings: vec![],
            },
        ],
    };
    check(
        &dir("responses").join("autodiscover_getusersettings.xml"),
        &settings.to_xml(),
        &mut failures,
    );
    assert_eq!(
        GetUserSettingsResponse::parse(&settings.to_xml()).unwrap(),
        settings
    );
    for (name, pox) in [
        (
            "autodiscover_pox_settings",
            PoxResponse::Settings {
                display_name: "Alice".into(),
                smtp_address: "alice@contoso.com".into(),
                external_ews_url: "https://mail.contoso.com/EWS/Exchange.asmx".into(),
                internal_ews_url: "http://127.0.0.1:8443/EWS/Exchange.asmx".into(),
            },
        ),
        (
            "autodiscover_pox_error",
            PoxResponse::Error {
                time: "06:32:37.1572590".into(),
                code: "500".into(),
                message: "The email address can't be found.".into(),
            },
        ),
    ] {
        check(
            &dir("responses").join(format!("{name}.xml")),
            &pox.to_xml(),
            &mut failures,
        );
        assert_eq!(PoxResponse::parse(&pox.to_xml()).unwrap(), pox);
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn refusals() {
    assert!(Request::parse(b"<x/>").is_err());
    let probe = std::fs::read(dir("requests").join("convertid_exchangelib.xml")).unwrap();
    let bad_version = String::from_utf8(probe)
        .unwrap()
        .replace("Exchange2016", "Exchange1999");
    assert!(Request::parse(bad_version.as_bytes()).is_err());
    assert!(matches!(
        Request::parse(&vec![b' '; crate::soap::MAX_REQUEST_BYTES + 1]),
        Err(crate::EwsError::TooLarge(..))
    ));
    let no_body = r#"<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/"><s:Header/></s:Envelope>"#;
    assert!(Request::parse(no_body.as_bytes()).is_err());
    let get = r#"<m:GetFolder><m:FolderShape><t:BaseShape>IdOnly</t:BaseShape></m:FolderShape><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:GetFolder>"#;
    let delete = r#"<m:DeleteFolder DeleteType="HardDelete"><m:FolderIds><t:DistinguishedFolderId Id="inbox"/></m:FolderIds></m:DeleteFolder>"#;
    let envelope = |inner: &str| {
        format!(
            r#"<s:Envelope xmlns:s="{}" xmlns:m="{}" xmlns:t="{}">{inner}</s:Envelope>"#,
            crate::soap::NS_SOAP,
            crate::soap::NS_MESSAGES,
            crate::soap::NS_TYPES
        )
    };
    assert!(Request::parse(envelope(&format!("<s:Body>{get}</s:Body>")).as_bytes()).is_ok());
    for twice in [
        format!("<s:Body>{get}{delete}</s:Body>"),
        format!("<s:Body>{get}</s:Body><s:Body>{delete}</s:Body>"),
        format!("<s:Header/><s:Header/><s:Body>{get}</s:Body>"),
    ] {
        assert!(
            matches!(
                Request::parse(envelope(&twice).as_bytes()),
                Err(crate::EwsError::Malformed(_))
            ),
            "{twice}"
        );
    }
}

#[test]
fn soap_action_must_name_the_operation() {
    use crate::soap::soap_action_matches;
    let m = "http://schemas.microsoft.com/exchange/services/2006/messages/";
    assert!(soap_action_matches(&format!("\"{m}GetItem\""), "GetItem"));
    assert!(soap_action_matches(&format!("{m}GetItem"), "GetItem"));
    assert!(
        soap_action_matches("\"\"", "GetItem"),
        "an empty action names none"
    );
    assert!(soap_action_matches("", "GetItem"));
    assert!(!soap_action_matches(
        &format!("\"{m}GetItem\""),
        "DeleteItem"
    ));
    assert!(!soap_action_matches("\"GetItemX\"", "GetItem"));
    assert!(!soap_action_matches(&format!("\"{m}getitem\""), "GetItem"));
}

#[test]
fn extended_keys_ignore_spelling() {
    let a = ExtendedFieldUri {
        property_tag: Some("0x001A".into()),
        property_type: "String".into(),
        ..Default::default()
    };
    let b = ExtendedFieldUri {
        property_tag: Some("26".into()),
        property_type: "Integer".into(),
        ..Default::default()
    };
    assert_eq!(a.key(), b.key());
    assert_eq!(a.key(), "PropertyTag=0x1a");
    let c = ExtendedFieldUri::public_string("X-HybridWorkId", "String");
    assert_eq!(
        c.key(),
        "DistinguishedPropertySetId=publicstrings;PropertyName=x-hybridworkid"
    );
}
