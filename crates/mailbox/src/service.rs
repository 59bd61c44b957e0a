//! The `Mailbox` service: one user's mailbox for the length of a request. It owns the rules
//! (distinguished folders, change keys, Recoverable Items, immutability) and keeps every
//! search in SQL; nothing here reads a whole folder.

use crate::MailboxError;
use crate::draft::{ItemChange, ItemDraft, ItemTarget};
use crate::item::{self, change_key};
use crate::model::FolderTarget;
use crate::props::{PROPS_FORMAT, StoredProperties};
use crate::search::{Candidate, Field, Restriction, SortOrder};
use std::sync::Arc;
use store::{CmpOp, FolderRow, ItemFilter, ItemRow, Store, StoreError};

/// How a write treats the change key it was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictResolution {
    NeverOverwrite,
    AutoResolve,
    AlwaysOverwrite,
}

/// How DeleteItem deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeleteKind {
    /// Gone for good.
    Hard,
    /// To Recoverable Items\Deletions.
    Soft,
    /// To Deleted Items (an item already there goes for good).
    MoveToDeletedItems,
}

/// What FindItem asks of a folder.
#[derive(Debug, Clone, Default)]
pub struct ItemQuery {
    pub restriction: Option<Restriction>,
    pub order: Vec<SortOrder>,
    pub offset: usize,
    pub max: usize,
}

/// One page of a search.
#[derive(Debug, Clone)]
pub struct ItemPage {
    pub items: Vec<(ItemRow, StoredProperties)>,
    pub total: usize,
    pub includes_last: bool,
}

/// Folder trees kept in memory, by mailbox. A tree is small and changes rarely; every folder
/// write is a change on the store's feed, and the owner clears the trees on any change, so a
/// request needs no database read to find a folder. A tree read while a clear happens is not
/// kept (the generation tells).
#[derive(Default)]
pub struct FolderTrees {
    /// The generation (bumped by every clear) and the trees by mailbox.
    inner: std::sync::Mutex<(u64, TreeMap)>,
}

type TreeMap = std::collections::HashMap<String, Arc<Vec<FolderRow>>>;

impl FolderTrees {
    /// At most this many trees are kept; past it the cache starts again.
    const MAX: usize = 10_000;

    pub fn clear(&self) {
        let mut g = self.inner.lock().expect("folder trees");
        g.0 += 1;
        g.1.clear();
    }

    async fn get(&self, store: &Store, guid: &str) -> Result<Arc<Vec<FolderRow>>, StoreError> {
        let generation = {
            let g = self.inner.lock().expect("folder trees");
            if let Some(t) = g.1.get(guid) {
                return Ok(t.clone());
            }
            g.0
        };
        let tree = Arc::new(store.mailboxes().folders(guid).await?);
        let mut g = self.inner.lock().expect("folder trees");
        if g.0 == generation {
            if g.1.len() >= Self::MAX {
                g.1.clear();
            }
            g.1.insert(guid.to_string(), tree.clone());
        }
        Ok(tree)
    }
}

/// A mailbox for the length of a request.
#[derive(Clone)]
pub struct Mailbox {
    store: Store,
    guid: String,
    pub(crate) folders: Arc<Vec<FolderRow>>,
}

pub(crate) fn now() -> i64 {
    store::now_ms()
}

/// A change key a client sends back must have the form this server gives out.
pub(crate) fn check_change_key(ck: Option<&str>) -> Result<(), MailboxError> {
    match ck {
        Some(ck) if item::change_key_version(ck).is_none() => Err(MailboxError::InvalidChangeKey),
        _ => Ok(()),
    }
}

fn props_of(row: &ItemRow) -> StoredProperties {
    StoredProperties::decode(&row.props, row.props_format)
}

impl Mailbox {
    /// Reads the folder tree from the store.
    pub async fn open(store: &Store, guid: &str) -> Result<Mailbox, MailboxError> {
        Ok(Mailbox {
            store: store.clone(),
            guid: guid.to_string(),
            folders: Arc::new(store.mailboxes().folders(guid).await?),
        })
    }

    /// Takes the folder tree from `trees` (reading it once when it is not there).
    pub async fn open_cached(
        store: &Store,
        trees: &FolderTrees,
        guid: &str,
    ) -> Result<Mailbox, MailboxError> {
        Ok(Mailbox {
            store: store.clone(),
            guid: guid.to_string(),
            folders: trees.get(store, guid).await?,
        })
    }

    pub(crate) fn store_ref(&self) -> &Store {
        &self.store
    }

    pub fn guid(&self) -> &str {
        &self.guid
    }

    pub fn folders(&self) -> &[FolderRow] {
        &self.folders
    }

    pub fn distinguished(&self, name: &str) -> Option<&FolderRow> {
        self.folders
            .iter()
            .find(|f| f.distinguished.as_deref() == Some(name))
    }

    pub fn folder_by_id(&self, id: &str) -> Option<&FolderRow> {
        self.folders.iter().find(|f| f.id == id)
    }

    /// The folder a request names (its mailbox, if it names one, is the caller's to check).
    pub fn resolve(&self, r: &FolderTarget) -> Result<&FolderRow, MailboxError> {
        match r {
            FolderTarget::Distinguished(d) if d == "publicfoldersroot" => {
                Err(MailboxError::NoPublicFolderReplicaAvailable)
            }
            FolderTarget::Distinguished(d) => self
                .distinguished(d)
                .filter(|_| crate::tree::is_ews_distinguished(d))
                .ok_or_else(|| MailboxError::FolderNotFound(Some(d.clone()))),
            FolderTarget::Id(id) if !item::is_well_formed_id(id) => {
                Err(MailboxError::InvalidIdMalformed)
            }
            FolderTarget::Id(id) => self
                .folder_by_id(id)
                .ok_or(MailboxError::FolderNotFound(None)),
            FolderTarget::Other(name) => Err(MailboxError::InvalidRequest(format!(
                "'{name}' is not a folder id."
            ))),
        }
    }

    /// Kept counts of every folder.
    pub async fn counts(&self) -> Result<Vec<store::FolderCounts>, MailboxError> {
        Ok(self.store.mailboxes().folder_counts(&self.guid).await?)
    }

    /// The folders below `parent`, children before grandchildren when `deep`.
    pub fn subfolders(&self, parent: &FolderRow, deep: bool) -> Vec<&FolderRow> {
        let mut out = Vec::new();
        let mut stack = vec![parent.id.as_str()];
        while let Some(p) = stack.pop() {
            for f in self
                .folders
                .iter()
                .filter(|f| f.parent_id.as_deref() == Some(p))
            {
                out.push(f);
                if deep {
                    stack.push(&f.id);
                }
            }
        }
        out
    }

    /// Creates items in `folder`, all or none.
    pub async fn create_items(
        &self,
        folder: &FolderRow,
        items: &[ItemDraft],
    ) -> Result<Vec<(ItemRow, StoredProperties)>, MailboxError> {
        let t = now();
        let mut blobs = Vec::new();
        let mut made = Vec::with_capacity(items.len());
        for i in items {
            let (row, props) = self.compose_with(folder, i, t, &mut blobs)?;
            made.push((row, props));
        }
        self.store.mailboxes().put_blobs(&blobs).await?;
        let rows: Vec<(ItemRow, Vec<store::ItemValue>)> =
            made.iter().map(|(r, p)| (r.clone(), p.values())).collect();
        self.store.mailboxes().insert_items(&rows).await?;
        Ok(made)
    }

    /// CreateItem with SaveOnly: each item made (or refused with its own error), the made ones
    /// stored together in one write.
    pub async fn create_items_each(
        &self,
        folder: &FolderRow,
        items: &[ItemDraft],
    ) -> Result<Vec<Result<(ItemRow, StoredProperties), MailboxError>>, MailboxError> {
        let t = now();
        let mut blobs = Vec::new();
        let made: Vec<Result<(ItemRow, StoredProperties), MailboxError>> = items
            .iter()
            .map(|i| self.compose_with(folder, i, t, &mut blobs))
            .collect();
        self.store.mailboxes().put_blobs(&blobs).await?;
        self.store_made(&made).await?;
        Ok(made)
    }

    /// Stores made items together (the refused ones are left out).
    pub async fn store_made(
        &self,
        made: &[Result<(ItemRow, StoredProperties), MailboxError>],
    ) -> Result<(), MailboxError> {
        let rows: Vec<(ItemRow, Vec<store::ItemValue>)> = made
            .iter()
            .flatten()
            .map(|(r, p)| (r.clone(), p.values()))
            .collect();
        if !rows.is_empty() {
            self.store.mailboxes().insert_items(&rows).await?;
        }
        Ok(())
    }

    /// Makes an item of what a client sent, with its attachments (their contents added to
    /// `blobs`, to be stored before the item).
    pub(crate) fn compose_with(
        &self,
        folder: &FolderRow,
        src: &ItemDraft,
        t: i64,
        blobs: &mut Vec<(String, Vec<u8>)>,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let src = &crate::mime::merged(src.clone())?;
        let (mut row, mut props) = item::new_item(&self.guid, folder, src, t);
        if let Some(a) = &src.attachments
            && !a.is_empty()
        {
            let new = crate::attachments::from_new(a, t, 0)?;
            props.attachments = new.attachments;
            blobs.extend(new.blobs);
            item::finish_stored(&mut row, &props, t);
        }
        Ok((row, props))
    }

    /// The item as a MIME message, base64 (GetItem with IncludeMimeContent).
    pub async fn mime_content(
        &self,
        row: &ItemRow,
        props: &StoredProperties,
    ) -> Result<String, MailboxError> {
        use base64::Engine;
        let mut digests = Vec::new();
        crate::attachments::blob_digests(&props.attachments, &mut digests);
        let mut blobs = std::collections::HashMap::new();
        for d in digests {
            if let Some(b) = self.store.mailboxes().blob(&d).await? {
                blobs.insert(d, b);
            }
        }
        let sent = props
            .bag
            .time(&crate::model::Tag::DateTimeSent)
            .unwrap_or(row.created_ms);
        let mime = crate::mime::to_mime(&row.subject, sent, props, &|d| blobs.get(d).cloned());
        Ok(base64::engine::general_purpose::STANDARD.encode(mime))
    }

    /// An item of this mailbox.
    pub async fn item(&self, id: &str) -> Result<(ItemRow, StoredProperties), MailboxError> {
        if !item::is_well_formed_id(id) {
            return Err(MailboxError::InvalidIdMalformed);
        }
        match self.store.mailboxes().item(id).await? {
            Some(i) if i.mailbox == self.guid => {
                let p = props_of(&i);
                Ok((i, p))
            }
            _ => Err(MailboxError::ItemNotFound),
        }
    }

    /// A page of `folder`'s items: in SQL over the indexes when the restriction can be said
    /// there, else a scan that keeps only the page.
    pub async fn find_items(
        &self,
        folder: &FolderRow,
        q: &ItemQuery,
    ) -> Result<ItemPage, MailboxError> {
        let repo = self.store.mailboxes();
        let order: Vec<store::OrderKey> = q.order.iter().map(SortOrder::key).collect();
        let exact = match &q.restriction {
            None => Some(ItemFilter::True),
            Some(r) => r.to_filter(),
        };
        if let Some(filter) = exact {
            let rows = repo
                .find_items(&folder.id, &filter, &order, q.offset, q.max)
                .await?;
            let total = match &q.restriction {
                Some(Restriction::Compare(Field::ItemClass, CmpOp::Eq, class)) => {
                    repo.class_count(&folder.id, class).await?.0
                }
                _ => repo.count_items(&folder.id, &filter).await?,
            } as usize;
            let end = q.offset.min(total) + rows.len();
            return Ok(ItemPage {
                items: rows
                    .into_iter()
                    .map(|r| {
                        let p = props_of(&r);
                        (r, p)
                    })
                    .collect(),
                total,
                includes_last: end >= total,
            });
        }
        let r = q
            .restriction
            .as_ref()
            .expect("a restriction SQL cannot say");
        let superset = r.to_superset_filter();
        let (mut seen, mut page) = (0usize, Vec::new());
        let (start, end) = (q.offset, q.offset.saturating_add(q.max));
        repo.scan_items(&folder.id, &superset, &order, |row| {
            let props = props_of(&row);
            if r.matches(&Candidate {
                row: &row,
                props: &props,
            }) {
                if seen >= start && seen < end {
                    page.push((row, props));
                }
                seen += 1;
            }
            true
        })
        .await?;
        let shown = q.offset.min(seen) + page.len();
        Ok(ItemPage {
            items: page,
            total: seen,
            includes_last: shown >= seen,
        })
    }

    /// Saves a changed item; a concurrent change is a conflict.
    pub(crate) async fn save(
        &self,
        row: &mut ItemRow,
        props: Option<&StoredProperties>,
    ) -> Result<(), MailboxError> {
        let values = props.map(StoredProperties::values);
        match self
            .store
            .mailboxes()
            .update_item(row, values.as_deref())
            .await
        {
            Ok((version, id)) => {
                row.version = version;
                row.id = id;
                Ok(())
            }
            Err(StoreError::Conflict { .. }) => Err(MailboxError::Conflict(
                "The item was changed by someone else; get it again and retry.",
            )),
            Err(StoreError::NotFound { .. }) => Err(MailboxError::ItemNotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// UpdateItem: applies the changes (checking the change key under NeverOverwrite).
    pub async fn update_item(
        &self,
        id: &ItemTarget,
        updates: &[ItemChange],
        conflict: ConflictResolution,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        if let Some((master, index)) = crate::calendar::occurrence_named(id) {
            check_change_key(id.change_key.as_deref())?;
            return self.update_occurrence(&master, index, updates).await;
        }
        let (mut row, mut props) = self.item(&crate::calendar::plain_id(id)).await?;
        check_change_key(id.change_key.as_deref())?;
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        if conflict == ConflictResolution::NeverOverwrite
            && id
                .change_key
                .as_deref()
                .is_some_and(|ck| ck != change_key(&row.id, row.version))
        {
            return Err(MailboxError::Conflict(
                "The change key is stale; get the item again and retry.",
            ));
        }
        let before = props.clone();
        item::apply_updates(&mut row, &mut props, updates, now())?;
        let today = jiff::tz::TimeZone::UTC
            .to_datetime(jiff::Timestamp::now())
            .date();
        let one_off = crate::task::after_update(&row, &before, &mut props, today);
        let t = now();
        // What the task rules changed is stored with the rest.
        item::finish_stored(&mut row, &props, t);
        self.save(&mut row, Some(&props)).await?;
        match one_off {
            // UpdateItem answers with the one-off task a recurring task's occurrence became.
            Some(one_off) => {
                let mut made = item::copy_into(&row, &self.guid, &row.folder_id);
                item::finish_stored(&mut made, &one_off, t);
                self.store
                    .mailboxes()
                    .insert_items(&[(made.clone(), one_off.values())])
                    .await?;
                Ok((made, one_off))
            }
            None => Ok((row, props)),
        }
    }

    /// UpdateItemInRecoverableItems: finalises a draft in Recoverable Items\Purges, and makes
    /// it immutable when asked.
    pub async fn update_in_recoverable_items(
        &self,
        id: &ItemTarget,
        updates: &[ItemChange],
        make_immutable: bool,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let (mut row, mut props) = self.item(&id.id).await?;
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        let purges = self
            .distinguished("recoverableitemspurges")
            .map(|f| f.id.as_str());
        if purges != Some(row.folder_id.as_str()) {
            return Err(MailboxError::InvalidOperation(
                "UpdateItemInRecoverableItems works only on items in Recoverable Items\\Purges."
                    .into(),
            ));
        }
        if !row.is_draft {
            return Err(MailboxError::InvalidOperation(
                "UpdateNonDraftItemInDumpsterNotAllowed: only a draft item in Purges can be updated.".into(),
            ));
        }
        row.is_draft = false;
        item::apply_updates(&mut row, &mut props, updates, now())?;
        row.immutable = make_immutable;
        self.save(&mut row, Some(&props)).await?;
        Ok((row, props))
    }

    /// DeleteItem: HardDelete removes, SoftDelete moves to Recoverable Items\Deletions,
    /// MoveToDeletedItems to Deleted Items (an item already there is removed).
    pub async fn delete_item(&self, id: &ItemTarget, kind: DeleteKind) -> Result<(), MailboxError> {
        if let Some((master, index)) = crate::calendar::occurrence_named(id) {
            check_change_key(id.change_key.as_deref())?;
            return self.delete_occurrence(&master, index).await;
        }
        let (mut row, _) = self.item(&crate::calendar::plain_id(id)).await?;
        check_change_key(id.change_key.as_deref())?;
        if row.immutable {
            return Err(MailboxError::Immutable("deleted"));
        }
        let to = match kind {
            DeleteKind::Soft => Some("recoverableitemsdeletions"),
            DeleteKind::MoveToDeletedItems => Some("deleteditems"),
            DeleteKind::Hard => None,
        };
        match to.and_then(|d| self.distinguished(d)) {
            Some(dest) if dest.id != row.folder_id => {
                row.folder_id = dest.id.clone();
                row.modified_ms = now();
                self.save(&mut row, None).await
            }
            _ => {
                self.store.mailboxes().delete_item(&row.id).await?;
                Ok(())
            }
        }
    }

    /// MarkAllItemsAsRead for one folder.
    pub async fn mark_all_read(&self, folder: &FolderRow, read: bool) -> Result<u64, MailboxError> {
        Ok(self
            .store
            .mailboxes()
            .mark_all_read(&folder.id, read)
            .await?)
    }

    pub async fn move_item(
        &self,
        id: &str,
        dest: &FolderRow,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let (mut row, props) = self.item(id).await?;
        if row.immutable {
            return Err(MailboxError::Immutable("moved"));
        }
        row.folder_id = dest.id.clone();
        self.save(&mut row, None).await?;
        Ok((row, props))
    }

    pub async fn copy_item(
        &self,
        id: &str,
        dest: &FolderRow,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
        let (row, props) = self.item(id).await?;
        let copy = item::copy_into(&row, &self.guid, &dest.id);
        self.store
            .mailboxes()
            .insert_copy(&copy, &props.values(), &row)
            .await?;
        Ok((copy, props))
    }
}

/// Carries items stored in an earlier property form (XML fragments, EWS element trees) forward
/// to the property bag, in batches, once at start, then recounts the folders (sizes change with
/// the form). Their versions stay: a client's change keys remain valid. Returns how many items
/// it upgraded.
pub async fn upgrade_stored_items(store: &Store) -> Result<usize, MailboxError> {
    let repo = store.mailboxes();
    let mut upgraded = 0;
    loop {
        let batch = repo.legacy_items(PROPS_FORMAT, 500).await?;
        if batch.is_empty() {
            break;
        }
        let rewritten: Vec<_> = batch
            .into_iter()
            .map(|mut row| {
                let props = StoredProperties::decode(&row.props, row.props_format);
                let modified = row.modified_ms;
                item::finish_stored(&mut row, &props, modified);
                (row, props.values())
            })
            .collect();
        repo.rewrite_props(&rewritten).await?;
        upgraded += rewritten.len();
    }
    if upgraded > 0 {
        repo.recount().await?;
    }
    Ok(upgraded)
}
