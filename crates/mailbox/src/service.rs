//! The `Mailbox` service: one user's mailbox for the length of a request. It owns the rules
//! (distinguished folders, change keys, Recoverable Items, immutability) and keeps every
//! search in SQL; nothing here reads a whole folder.

use crate::MailboxError;
use crate::item;
use crate::mail_item::MailItem;
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
    pub items: Vec<MailItem>,
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
    pub(crate) store: Store,
    pub(crate) guid: String,
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

    /// An item of this mailbox.
    pub async fn item(&self, id: &str) -> Result<MailItem, MailboxError> {
        let (row, props) = self.item_row(id).await?;
        Ok(MailItem::of(row, props))
    }

    /// An item of this mailbox as the store keeps it.
    pub(crate) async fn item_row(
        &self,
        id: &str,
    ) -> Result<(ItemRow, StoredProperties), MailboxError> {
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
                        MailItem::of(r, p)
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
                    page.push(MailItem::of(row, props));
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

    /// MarkAllItemsAsRead for one folder.
    pub async fn mark_all_read(&self, folder: &FolderRow, read: bool) -> Result<u64, MailboxError> {
        Ok(self
            .store
            .mailboxes()
            .mark_all_read(&folder.id, read)
            .await?)
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
