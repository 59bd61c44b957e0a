//! The distinguished folders, with Exchange's parentage: the IPM subtree ("Top of Information
//! Store") under root, and Recoverable Items beside it, outside the IPM subtree.

use store::{FolderRow, Store, StoreError};

/// One distinguished folder: its EWS id, parent (by EWS id), display name and folder class.
pub struct Distinguished {
    pub id: &'static str,
    pub parent: Option<&'static str>,
    pub display_name: &'static str,
    pub folder_class: Option<&'static str>,
}

const fn d(
    id: &'static str,
    parent: Option<&'static str>,
    display_name: &'static str,
    folder_class: Option<&'static str>,
) -> Distinguished {
    Distinguished {
        id,
        parent,
        display_name,
        folder_class,
    }
}

/// Whether a name is one EWS clients may use as a DistinguishedFolderId. The tree also holds
/// Exchange's other default folders (Common Views, Reminders, GAL Contacts, …) under internal
/// names that start with `~`: they are found by id and by name, never by a distinguished id.
pub fn is_ews_distinguished(name: &str) -> bool {
    !name.starts_with('~')
}

/// Every mailbox has these, created with it.
pub const DISTINGUISHED: &[Distinguished] = &[
    d("root", None, "", None),
    d(
        "msgfolderroot",
        Some("root"),
        "Top of Information Store",
        None,
    ),
    d("inbox", Some("msgfolderroot"), "Inbox", Some("IPF.Note")),
    d(
        "sentitems",
        Some("msgfolderroot"),
        "Sent Items",
        Some("IPF.Note"),
    ),
    d(
        "deleteditems",
        Some("msgfolderroot"),
        "Deleted Items",
        Some("IPF.Note"),
    ),
    d("drafts", Some("msgfolderroot"), "Drafts", Some("IPF.Note")),
    d("outbox", Some("msgfolderroot"), "Outbox", Some("IPF.Note")),
    d(
        "junkemail",
        Some("msgfolderroot"),
        "Junk Email",
        Some("IPF.Note"),
    ),
    d(
        "calendar",
        Some("msgfolderroot"),
        "Calendar",
        Some("IPF.Appointment"),
    ),
    d(
        "contacts",
        Some("msgfolderroot"),
        "Contacts",
        Some("IPF.Contact"),
    ),
    d("tasks", Some("msgfolderroot"), "Tasks", Some("IPF.Task")),
    d(
        "notes",
        Some("msgfolderroot"),
        "Notes",
        Some("IPF.StickyNote"),
    ),
    d(
        "journal",
        Some("msgfolderroot"),
        "Journal",
        Some("IPF.Journal"),
    ),
    d(
        "conversationhistory",
        Some("msgfolderroot"),
        "Conversation History",
        None,
    ),
    d(
        "voicemail",
        Some("msgfolderroot"),
        "Voice Mail",
        Some("IPF.Note.Microsoft.Voicemail"),
    ),
    d(
        "syncissues",
        Some("msgfolderroot"),
        "Sync Issues",
        Some("IPF.Note"),
    ),
    d("conflicts", Some("syncissues"), "Conflicts", None),
    d("localfailures", Some("syncissues"), "Local Failures", None),
    d(
        "serverfailures",
        Some("syncissues"),
        "Server Failures",
        None,
    ),
    d("searchfolders", Some("root"), "Finder", None),
    d("~commonviews", Some("root"), "Common Views", None),
    d("~deferredaction", Some("root"), "Deferred Action", None),
    d("~exchangesyncdata", Some("root"), "ExchangeSyncData", None),
    d("~freebusydata", Some("root"), "Freebusy Data", None),
    d("~location", Some("root"), "Location", None),
    d(
        "~mailboxassociations",
        Some("root"),
        "MailboxAssociations",
        None,
    ),
    d("~mergestate", Some("root"), "MergeState", None),
    d("mycontacts", Some("root"), "MyContacts", Some("IPF.Note")),
    d("~parkedmessages", Some("root"), "ParkedMessages", None),
    d("peopleconnect", Some("root"), "PeopleConnect", None),
    d(
        "~reminders",
        Some("root"),
        "Reminders",
        Some("Outlook.Reminder"),
    ),
    d("~schedule", Some("root"), "Schedule", None),
    d("~sharing", Some("root"), "Sharing", Some("IPF.Note")),
    d("~shortcuts", Some("root"), "Shortcuts", None),
    d("~spoolerqueue", Some("root"), "Spooler Queue", None),
    d("~system", Some("root"), "System", None),
    d("temporarysaves", Some("root"), "TemporarySaves", None),
    d("~views", Some("root"), "Views", None),
    d(
        "~conversationsettings",
        Some("msgfolderroot"),
        "Conversation Action Settings",
        Some("IPF.Configuration"),
    ),
    d(
        "~rssfeeds",
        Some("msgfolderroot"),
        "RSS Feeds",
        Some("IPF.Note.OutlookHomepage"),
    ),
    d(
        "~externalcontacts",
        Some("msgfolderroot"),
        "ExternalContacts",
        Some("IPF.Contact"),
    ),
    d("~workingset", Some("msgfolderroot"), "Working Set", None),
    d(
        "recipientcache",
        Some("contacts"),
        "Recipient Cache",
        Some("IPF.Contact.RecipientCache"),
    ),
    d(
        "companycontacts",
        Some("contacts"),
        "Companies",
        Some("IPF.Contact.Company"),
    ),
    d(
        "peoplecentricconversationbuddies",
        Some("contacts"),
        "PeopleCentricConversation Buddies",
        Some("IPF.Contact.PeopleCentricConversationBuddies"),
    ),
    d(
        "~galcontacts",
        Some("contacts"),
        "GAL Contacts",
        Some("IPF.Contact.GalContacts"),
    ),
    d(
        "~organizationalcontacts",
        Some("contacts"),
        "Organizational Contacts",
        Some("IPF.Contact.OrganizationalContacts"),
    ),
    d(
        "recoverableitemsroot",
        Some("root"),
        "Recoverable Items",
        None,
    ),
    d(
        "recoverableitemsdeletions",
        Some("recoverableitemsroot"),
        "Deletions",
        None,
    ),
    d(
        "recoverableitemspurges",
        Some("recoverableitemsroot"),
        "Purges",
        None,
    ),
    d(
        "recoverableitemsversions",
        Some("recoverableitemsroot"),
        "Versions",
        None,
    ),
];

/// The archive mailbox (Enable-Mailbox -Archive): a second tree beside the primary one, with
/// the distinguished ids EWS clients use for an archive.
pub const ARCHIVE: &[Distinguished] = &[
    d("archiveroot", None, "", None),
    d(
        "archivemsgfolderroot",
        Some("archiveroot"),
        "Top of Information Store",
        None,
    ),
    d(
        "archiveinbox",
        Some("archivemsgfolderroot"),
        "Inbox",
        Some("IPF.Note"),
    ),
    d(
        "archivedeleteditems",
        Some("archivemsgfolderroot"),
        "Deleted Items",
        Some("IPF.Note"),
    ),
    d(
        "archiverecoverableitemsroot",
        Some("archiveroot"),
        "Recoverable Items",
        None,
    ),
    d(
        "archiverecoverableitemsdeletions",
        Some("archiverecoverableitemsroot"),
        "Deletions",
        None,
    ),
    d(
        "archiverecoverableitemspurges",
        Some("archiverecoverableitemsroot"),
        "Purges",
        None,
    ),
    d(
        "archiverecoverableitemsversions",
        Some("archiverecoverableitemsroot"),
        "Versions",
        None,
    ),
];

/// Creates the distinguished folders a mailbox lacks (all, for a new one). Idempotent.
pub async fn provision(store: &Store, mailbox: &str) -> Result<usize, StoreError> {
    provision_tree(store, mailbox, DISTINGUISHED).await
}

/// Creates the mailbox's archive tree (what it lacks of it). Idempotent.
pub async fn provision_archive(store: &Store, mailbox: &str) -> Result<usize, StoreError> {
    provision_tree(store, mailbox, ARCHIVE).await
}

async fn provision_tree(
    store: &Store,
    mailbox: &str,
    tree: &[Distinguished],
) -> Result<usize, StoreError> {
    let existing = store.mailboxes().folders(mailbox).await?;
    let id_of = |name: &str, made: &[FolderRow]| {
        existing
            .iter()
            .chain(made.iter())
            .find(|f| f.distinguished.as_deref() == Some(name))
            .map(|f| f.id.clone())
    };
    let mut rows: Vec<FolderRow> = Vec::new();
    for f in tree {
        if id_of(f.id, &rows).is_some() {
            continue;
        }
        let parent_id = f.parent.and_then(|p| id_of(p, &rows));
        rows.push(FolderRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            mailbox: mailbox.to_string(),
            parent_id,
            distinguished: Some(f.id.to_string()),
            display_name: f.display_name.to_string(),
            folder_class: f.folder_class.map(str::to_string),
            props: "{}".into(),
            version: 1,
        });
    }
    store.mailboxes().ensure_folders(&rows).await
}
