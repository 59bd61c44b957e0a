//! Folders as EWS shows them: the properties a shape asks for, the kept counts, the computed
//! size, and what a folder's class makes it (Folder, CalendarFolder, …).

use ews::Shape;
use mailbox::{FolderKind, Mailbox, StoredFolderProperties};
use store::FolderRow;

/// PR_MESSAGE_SIZE_EXTENDED (0x0E08): a folder's size, computed when asked for.
const FOLDER_SIZE_KEY: &str = "PropertyTag=0xe08";

/// Whether a folder shape asks for item counts (the only folder property read per request).
pub fn wants_counts(shape: &Shape) -> bool {
    shape.base != ews::BaseShape::IdOnly
        || shape.additional.iter().any(|p| {
            matches!(p.element_name(), Some("TotalCount" | "UnreadCount"))
                || matches!(p, ews::PropertyPath::Extended(e) if e.key() == FOLDER_SIZE_KEY)
        })
}

/// The folder in EWS form, in `shape`; counts come from [`Mailbox::counts`].
pub fn to_ews(
    mbox: &Mailbox,
    f: &FolderRow,
    shape: &Shape,
    counts: &[store::FolderCounts],
) -> ews::Folder {
    let all = shape.base != ews::BaseShape::IdOnly;
    let wants = |name: &str| {
        all || shape
            .additional
            .iter()
            .any(|p| p.element_name() == Some(name))
    };
    let explicit = |name: &str| {
        shape
            .additional
            .iter()
            .any(|p| p.element_name() == Some(name))
    };
    let kind = match FolderKind::of_class(f.folder_class.as_deref()) {
        FolderKind::Calendar => "CalendarFolder",
        FolderKind::Contacts => "ContactsFolder",
        FolderKind::Tasks => "TasksFolder",
        FolderKind::Generic => "Folder",
    };
    let (total, unread) = counts
        .iter()
        .find(|c| c.folder_id == f.id)
        .map(|c| (c.total, c.unread))
        .unwrap_or((0, 0));
    let children = mbox
        .folders()
        .iter()
        .filter(|c| c.parent_id.as_deref() == Some(f.id.as_str()))
        .count();
    let has_unread = kind == "Folder" || kind == "TasksFolder";
    let stored = StoredFolderProperties::decode(&f.props);
    ews::Folder {
        kind: kind.into(),
        folder_id: Some(ews::ItemId::new(
            &f.id,
            mailbox::change_key(&f.id, f.version),
        )),
        parent_folder_id: f
            .parent_id
            .as_deref()
            .and_then(|p| mbox.folder_by_id(p))
            .filter(|_| wants("ParentFolderId"))
            .map(|p| ews::ItemId::new(&p.id, mailbox::change_key(&p.id, p.version))),
        folder_class: f.folder_class.clone().filter(|_| wants("FolderClass")),
        display_name: wants("DisplayName").then(|| f.display_name.clone()),
        total_count: wants("TotalCount").then_some(total),
        child_folder_count: wants("ChildFolderCount").then_some(children as i64),
        extended: stored
            .extended
            .into_iter()
            .map(super::mapi::to_ews)
            .filter(|e| {
                all || shape.additional.iter().any(|p| match p {
                    ews::PropertyPath::Extended(x) => x.key() == e.uri.key(),
                    _ => false,
                })
            })
            .chain(folder_size(mbox, f, shape, counts))
            .collect(),
        effective_rights: wants("EffectiveRights").then_some(ews::EffectiveRights::OWNER),
        unread_count: (has_unread && wants("UnreadCount")).then_some(unread),
        distinguished_folder_id: f
            .distinguished
            .clone()
            .filter(|d| mailbox::is_ews_distinguished(d) && wants("DistinguishedFolderId")),
        permission_set: (shape.base == ews::BaseShape::AllProperties || explicit("PermissionSet"))
            .then_some(stored.permission_set)
            .flatten()
            .and_then(|p| serde_json::from_value(p).ok()),
    }
}

/// PR_MESSAGE_SIZE_EXTENDED (0x0E08), computed when a shape asks for it: the size of the
/// folder's items, and for the root folders the whole mailbox's.
fn folder_size(
    mbox: &Mailbox,
    f: &FolderRow,
    shape: &Shape,
    counts: &[store::FolderCounts],
) -> Option<ews::ExtendedProperty> {
    let uri = shape.additional.iter().find_map(|p| match p {
        ews::PropertyPath::Extended(e) if e.key() == FOLDER_SIZE_KEY => Some(e.clone()),
        _ => None,
    })?;
    // A root's size is its whole mailbox's: the primary's or the archive's, not both.
    let whole = matches!(
        f.distinguished.as_deref(),
        Some("root" | "msgfolderroot" | "archiveroot" | "archivemsgfolderroot")
    );
    let archive = mbox.in_archive(f);
    let in_tree = |id: &str| {
        mbox.folder_by_id(id)
            .is_some_and(|c| mbox.in_archive(c) == archive)
    };
    let size: i64 = counts
        .iter()
        .filter(|c| c.folder_id == f.id || (whole && in_tree(&c.folder_id)))
        .map(|c| c.size)
        .sum();
    Some(ews::ExtendedProperty::new(uri, size.to_string()))
}
