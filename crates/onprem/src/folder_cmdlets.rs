//! Read-only views of a mailbox's folders for the admin, as Exchange Management Shell gives
//! them: Get-MailboxFolderStatistics (each folder's path, type, item count and size),
//! Get-RecoverableItems (what Recoverable Items holds) and Get-MailboxFolderItem (a folder's
//! items, newest first: what an admin otherwise reads through a mail client, e.g. the
//! Conversation History the partner writes). They read the store; nothing is changed.

use crate::OnPremError;
use crate::model::{CmdletObject, FolderItem, FolderStatistics};
use crate::params::Params;
use mailbox::StoredProperties;
use store::{Column, FolderRow, ItemFilter, OrderKey, SortBy, Store};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Exchange's FolderScope values this server answers, and the distinguished folders each is.
const SCOPES: &[(&str, &[&str])] = &[
    ("Inbox", &["inbox"]),
    ("SentItems", &["sentitems"]),
    ("DeletedItems", &["deleteditems"]),
    ("Drafts", &["drafts"]),
    ("Outbox", &["outbox"]),
    ("JunkEmail", &["junkemail"]),
    ("Calendar", &["calendar"]),
    ("Contacts", &["contacts"]),
    ("Tasks", &["tasks"]),
    ("Notes", &["notes"]),
    ("ConversationHistory", &["conversationhistory"]),
    (
        "RecoverableItems",
        &[
            "recoverableitemsroot",
            "recoverableitemsdeletions",
            "recoverableitemspurges",
            "recoverableitemsversions",
        ],
    ),
];

/// Get-RecoverableItems -SourceFolder, and the folder each names.
const SOURCE_FOLDERS: &[(&str, &str)] = &[
    ("RecoverableItems", "recoverableitemsdeletions"),
    ("PurgedItems", "recoverableitemspurges"),
    ("DeletedItems", "deleteditems"),
];

/// How many items Get-RecoverableItems and Get-MailboxFolderItem list unless -ResultSize says.
const DEFAULT_RESULT_SIZE: usize = 1000;
const BODY_PREVIEW_CHARS: usize = 255;

struct Opened {
    guid: String,
    /// The mailbox's primary SMTP address, for identities.
    address: String,
    folders: Vec<FolderRow>,
}

async fn open(store: &Store, identity: &str) -> Result<Opened, OnPremError> {
    let r = crate::objects::resolve_recipient(store, identity)
        .await?
        .value;
    if !r.is_mailbox() {
        return Err(OnPremError::InvalidArgument(format!(
            "'{identity}' is not a mailbox."
        )));
    }
    Ok(Opened {
        folders: store.mailboxes().folders(&r.guid).await?,
        guid: r.guid,
        address: r.primary_smtp_address,
    })
}

impl Opened {
    /// `/Inbox`, `/Recoverable Items/Purges`: the path below the IPM subtree or the root.
    fn path(&self, f: &FolderRow) -> String {
        let mut names = vec![];
        let mut at = Some(f);
        while let Some(folder) = at {
            if matches!(
                folder.distinguished.as_deref(),
                Some("root" | "msgfolderroot" | "archiveroot" | "archivemsgfolderroot")
            ) {
                break;
            }
            names.push(folder.display_name.clone());
            at = folder
                .parent_id
                .as_deref()
                .and_then(|p| self.folders.iter().find(|x| x.id == p));
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    fn distinguished(&self, name: &str) -> Option<&FolderRow> {
        self.folders
            .iter()
            .find(|f| f.distinguished.as_deref() == Some(name))
    }

    /// The folder a scope or path names: a FolderScope value, a distinguished name, or a path
    /// as Get-MailboxFolderStatistics prints it.
    fn folder(&self, name: &str) -> Result<&FolderRow, OnPremError> {
        let by_scope = SCOPES
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(name))
            .and_then(|(_, d)| d.first().copied());
        let by_source = SOURCE_FOLDERS
            .iter()
            .find(|(s, _)| s.eq_ignore_ascii_case(name))
            .map(|(_, d)| *d);
        by_scope
            .or(by_source)
            .and_then(|d| self.distinguished(d))
            .or_else(|| self.distinguished(&name.to_ascii_lowercase()))
            .or_else(|| {
                self.folders
                    .iter()
                    .find(|f| self.path(f).eq_ignore_ascii_case(name))
            })
            .ok_or_else(|| {
                OnPremError::NotFound(format!("{}\\{}", self.address, name.trim_matches('/')))
            })
    }
}

/// Exchange's FolderSize form: `1.2 KB (1,234 bytes)`.
fn folder_size(bytes: i64) -> String {
    let mut grouped = String::new();
    for (i, c) in bytes.to_string().chars().rev().enumerate() {
        if i > 0 && i % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let grouped: String = grouped.chars().rev().collect();
    let b = bytes as f64;
    let short = match bytes {
        ..1024 => format!("{bytes} B"),
        1024..1_048_576 => format!("{:.1} KB", b / 1024.0),
        1_048_576..1_073_741_824 => format!("{:.1} MB", b / 1_048_576.0),
        _ => format!("{:.1} GB", b / 1_073_741_824.0),
    };
    format!("{short} ({grouped} bytes)")
}

fn rfc3339(ms: i64) -> String {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

/// FolderType as Get-MailboxFolderStatistics prints it, by distinguished folder.
const FOLDER_TYPES: &[(&str, &str)] = &[
    ("msgfolderroot", "Root"),
    ("inbox", "Inbox"),
    ("sentitems", "SentItems"),
    ("deleteditems", "DeletedItems"),
    ("drafts", "Drafts"),
    ("outbox", "Outbox"),
    ("junkemail", "JunkEmail"),
    ("calendar", "Calendar"),
    ("contacts", "Contacts"),
    ("tasks", "Tasks"),
    ("notes", "Notes"),
    ("journal", "Journal"),
    ("conversationhistory", "ConversationHistory"),
    ("voicemail", "VoiceMail"),
    ("syncissues", "SyncIssues"),
    ("conflicts", "Conflicts"),
    ("localfailures", "LocalFailures"),
    ("serverfailures", "ServerFailures"),
    ("searchfolders", "SearchFolders"),
    ("recipientcache", "RecipientCache"),
    ("mycontacts", "MyContacts"),
    ("peopleconnect", "PeopleConnect"),
    ("temporarysaves", "TemporarySaves"),
    ("companycontacts", "CompanyContacts"),
    (
        "peoplecentricconversationbuddies",
        "PeopleCentricConversationBuddies",
    ),
    ("recoverableitemsroot", "RecoverableItemsRoot"),
    ("recoverableitemsdeletions", "RecoverableItemsDeletions"),
    ("recoverableitemspurges", "RecoverableItemsPurges"),
    ("recoverableitemsversions", "RecoverableItemsVersions"),
];

fn folder_type(f: &FolderRow) -> &'static str {
    // An archive's default folders are of the types of the primary's of the same name.
    f.distinguished
        .as_deref()
        .map(|d| d.strip_prefix("archive").unwrap_or(d))
        .and_then(|d| FOLDER_TYPES.iter().find(|(n, _)| *n == d))
        .map_or("User Created", |(_, t)| t)
}

/// Exchange's internal default folders (Common Views, Reminders, …) are kept under names that
/// start with `~`; the statistics leave them out, as Exchange's leave out the non-IPM ones.
fn is_public_name(d: &str) -> bool {
    !d.starts_with('~')
}

pub async fn get_mailbox_folder_statistics(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let archive = p.bool("Archive")?.unwrap_or(false);
    let identity = p.required("Identity")?;
    let scope = p.string("FolderScope")?.unwrap_or_else(|| "All".into());
    let wanted: Option<&[&str]> = if scope.eq_ignore_ascii_case("All") {
        None
    } else {
        Some(
            SCOPES
                .iter()
                .find(|(s, _)| s.eq_ignore_ascii_case(&scope))
                .map(|(_, d)| *d)
                .ok_or_else(|| {
                    let known: Vec<&str> = SCOPES.iter().map(|(s, _)| *s).collect();
                    OnPremError::InvalidArgument(format!(
                        "Cannot bind parameter 'FolderScope': '{scope}' is not one of All, {}.",
                        known.join(", ")
                    ))
                })?,
        )
    };
    let oldest_newest = p.bool("IncludeOldestAndNewestItems")?.unwrap_or(false);
    let mbox = open(store, &identity).await?;
    let counts = store.mailboxes().folder_counts(&mbox.guid).await?;
    let mut out = vec![];
    for f in &mbox.folders {
        if mailbox::archive::in_archive(&mbox.folders, f) != archive {
            continue;
        }
        if matches!(f.distinguished.as_deref(), Some("root" | "archiveroot"))
            || f.distinguished
                .as_deref()
                .is_some_and(|d| !is_public_name(d))
        {
            continue;
        }
        if let Some(w) = wanted
            && !f.distinguished.as_deref().is_some_and(|d| w.contains(&d))
        {
            continue;
        }
        let c = counts.iter().find(|c| c.folder_id == f.id);
        let path = mbox.path(f);
        let top = matches!(
            f.distinguished.as_deref(),
            Some("msgfolderroot" | "archivemsgfolderroot")
        );
        let mut v = FolderStatistics {
            name: if top {
                "Top of Information Store".into()
            } else {
                f.display_name.clone()
            },
            identity: format!("{}{}", mbox.address, path.replace('/', "\\")),
            folder_path: path,
            folder_type: folder_type(f).into(),
            items_in_folder: c.map_or(0, |c| c.total),
            folder_size: folder_size(c.map_or(0, |c| c.size)),
            ..Default::default()
        };
        if oldest_newest {
            let (oldest, newest) = oldest_and_newest(store, &f.id).await?;
            v.oldest_item_received_date = Some(oldest);
            v.newest_item_received_date = Some(newest);
        }
        out.push(v.into());
    }
    Ok(out)
}

async fn oldest_and_newest(
    store: &Store,
    folder: &str,
) -> Result<(Option<String>, Option<String>), OnPremError> {
    let mut ends = [None, None];
    for (i, descending) in [false, true].into_iter().enumerate() {
        let order = [OrderKey {
            by: SortBy::Column(Column::Received),
            descending,
        }];
        let first = store
            .mailboxes()
            .find_items(folder, &ItemFilter::True, &order, 0, 1)
            .await?;
        ends[i] = first.first().map(|r| rfc3339(r.received_ms));
    }
    let [oldest, newest] = ends;
    Ok((oldest, newest))
}

/// A folder's items, newest first, as the admin reads them.
async fn list(
    store: &Store,
    mbox: &Opened,
    folder: &FolderRow,
    subject: Option<&str>,
    item_class: Option<&str>,
    limit: usize,
) -> Result<Vec<FolderItem>, OnPremError> {
    let order = [OrderKey {
        by: SortBy::Column(Column::Received),
        descending: true,
    }];
    let mut filter = vec![];
    if let Some(s) = subject {
        filter.push(ItemFilter::Contains(Column::SubjectKey, store::text_key(s)));
    }
    if let Some(c) = item_class {
        filter.push(ItemFilter::StartsWith(Column::ClassKey, store::text_key(c)));
    }
    let filter = match filter.len() {
        0 => ItemFilter::True,
        1 => filter.remove(0),
        _ => ItemFilter::And(filter),
    };
    let rows = store
        .mailboxes()
        .find_items(&folder.id, &filter, &order, 0, limit)
        .await?;
    let path = mbox.path(folder);
    Ok(rows
        .iter()
        .map(|r| {
            let body = StoredProperties::decode(&r.props, r.props_format)
                .body
                .map(|b| preview(&b.body_type, &b.text))
                .unwrap_or_default();
            FolderItem {
                subject: r.subject.clone(),
                item_class: r.item_class.clone(),
                received_time: rfc3339(r.received_ms),
                last_modified_time: rfc3339(r.modified_ms),
                size: r.size,
                is_read: r.is_read,
                folder_path: path.clone(),
                body_preview: body,
                identity: r.id.clone(),
                source_folder: None,
            }
        })
        .collect())
}

/// The body's first characters as text (HTML tags dropped), on one line.
fn preview(body_type: &str, text: &str) -> String {
    let mut plain = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' if body_type.eq_ignore_ascii_case("HTML") => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                plain.push(' ');
            }
            _ if in_tag => {}
            c => plain.push(c),
        }
    }
    let words: Vec<&str> = plain.split_whitespace().collect();
    let line = words.join(" ");
    match line.char_indices().nth(BODY_PREVIEW_CHARS) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

fn result_size(p: &Params) -> Result<usize, OnPremError> {
    match p.string("ResultSize")? {
        None => Ok(DEFAULT_RESULT_SIZE),
        Some(s) if s.eq_ignore_ascii_case("Unlimited") => Ok(usize::MAX / 2),
        Some(s) => s.parse::<usize>().ok().filter(|n| *n > 0).ok_or_else(|| {
            OnPremError::InvalidArgument(format!(
                "Cannot bind parameter 'ResultSize': '{s}' is neither a positive number nor Unlimited."
            ))
        }),
    }
}

/// Get-RecoverableItems: Recoverable Items\Deletions (the default), Purges (PurgedItems) or
/// Deleted Items.
pub async fn get_recoverable_items(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let source = p
        .string("SourceFolder")?
        .unwrap_or_else(|| "RecoverableItems".into());
    let Some((name, distinguished)) = SOURCE_FOLDERS
        .iter()
        .find(|(s, _)| s.eq_ignore_ascii_case(&source))
    else {
        return Err(OnPremError::InvalidArgument(format!(
            "Cannot bind parameter 'SourceFolder': '{source}' is not one of RecoverableItems, PurgedItems, DeletedItems."
        )));
    };
    let limit = result_size(p)?;
    let mbox = open(store, &identity).await?;
    let folder = mbox.folder(distinguished)?;
    let items = list(
        store,
        &mbox,
        folder,
        p.string("SubjectContains")?.as_deref(),
        p.string("FilterItemType")?.as_deref(),
        limit,
    )
    .await?;
    Ok(items
        .into_iter()
        .map(|v| {
            FolderItem {
                source_folder: Some(name.to_string()),
                ..v
            }
            .into()
        })
        .collect())
}

/// Get-MailboxFolderItem: the items of one folder (a FolderScope value such as
/// ConversationHistory, or a path such as `/Recoverable Items/Purges`), newest first.
pub async fn get_mailbox_folder_item(
    store: &Store,
    p: &Params,
) -> Result<Vec<CmdletObject>, OnPremError> {
    let identity = p.required("Identity")?;
    let folder = p.required("Folder")?;
    let limit = result_size(p)?;
    let mbox = open(store, &identity).await?;
    let f = mbox.folder(&folder)?;
    list(
        store,
        &mbox,
        f,
        p.string("SubjectContains")?.as_deref(),
        p.string("FilterItemType")?.as_deref(),
        limit,
    )
    .await
    .map(|items| items.into_iter().map(CmdletObject::from).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_as_exchange_prints_them() {
        assert_eq!(folder_size(0), "0 B (0 bytes)");
        assert_eq!(folder_size(1234), "1.2 KB (1,234 bytes)");
        assert_eq!(folder_size(5_242_880), "5.0 MB (5,242,880 bytes)");
    }

    #[test]
    fn every_default_folder_has_exchanges_folder_type() {
        for d in mailbox::DISTINGUISHED {
            if d.id == "root" || !is_public_name(d.id) {
                continue;
            }
            assert!(
                FOLDER_TYPES.iter().any(|(n, _)| *n == d.id),
                "{} has no FolderType",
                d.id
            );
        }
    }

    #[test]
    fn previews_are_one_line_of_text() {
        assert_eq!(
            preview("HTML", "<p>alice: hi</p>\n<p>bob: hello</p>"),
            "alice: hi bob: hello"
        );
        assert_eq!(preview("Text", "a < b\n c"), "a < b c");
        let long = "x".repeat(400);
        assert_eq!(
            preview("Text", &long).chars().count(),
            BODY_PREVIEW_CHARS + 1
        );
    }
}
