//! Folder operations: create, update, delete (hard, soft, to Deleted Items), empty, move and
//! copy, with Exchange's rules (names unique among siblings regardless of case, distinguished
//! folders neither deleted nor moved, a folder's class fixed once set), and FindFolder's
//! restriction over the folder tree.

use crate::MailboxError;
use crate::folder_props::StoredFolderProperties;
use crate::mapi::{MapiProperty, set_property};
use crate::props::StoredProperties;
use crate::search::{FolderField, Restriction};
use crate::service::Mailbox;
use std::sync::Arc;
use store::{FolderRow, StoreError};

/// What a folder holds, which decides its class when none is given and how clients see it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FolderKind {
    Generic,
    Calendar,
    Contacts,
    Tasks,
}

impl FolderKind {
    /// The class a new folder of this kind gets when it names none.
    fn default_class(self) -> Option<&'static str> {
        match self {
            FolderKind::Calendar => Some("IPF.Appointment"),
            FolderKind::Contacts => Some("IPF.Contact"),
            FolderKind::Tasks => Some("IPF.Task"),
            FolderKind::Generic => None,
        }
    }

    /// The kind a folder's class makes it.
    pub fn of_class(class: Option<&str>) -> FolderKind {
        match class {
            Some(c) if c.starts_with("IPF.Appointment") => FolderKind::Calendar,
            Some(c) if c.starts_with("IPF.Contact") => FolderKind::Contacts,
            Some(c) if c.starts_with("IPF.Task") => FolderKind::Tasks,
            _ => FolderKind::Generic,
        }
    }
}

/// A folder's settable properties; what is None is not given.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FolderValues {
    pub display_name: Option<String>,
    pub folder_class: Option<String>,
    pub extended: Vec<MapiProperty>,
    pub permission_set: Option<serde_json::Value>,
}

/// One change of UpdateFolder, in order.
#[derive(Debug, Clone, PartialEq)]
pub enum FolderChange {
    Set(FolderValues),
    /// Removes the property of this identity ([`crate::PropertyName::key`]).
    DeleteProperty(String),
    DeleteFolderClass,
    DeleteDisplayName,
    /// A change the mailbox does not know (refused when reached).
    Invalid(String),
}

fn exists(e: StoreError, name: &str) -> MailboxError {
    match e {
        StoreError::Duplicate { .. } => MailboxError::FolderExists(name.to_string()),
        StoreError::Conflict { .. } => MailboxError::Conflict(
            "The folder was changed by someone else; get it again and retry.",
        ),
        StoreError::NotFound { .. } => MailboxError::FolderNotFound(None),
        e => e.into(),
    }
}

impl Mailbox {
    async fn reread(&mut self) -> Result<(), MailboxError> {
        self.folders = Arc::new(self.store_ref().mailboxes().folders(self.guid()).await?);
        Ok(())
    }

    /// Saves a changed folder (a sibling of the same name is ErrorFolderExists) and reads the
    /// tree again.
    async fn save_folder(&mut self, mut row: FolderRow) -> Result<FolderRow, MailboxError> {
        let name = row.display_name.clone();
        row.version = self
            .store_ref()
            .mailboxes()
            .update_folder(&row)
            .await
            .map_err(|e| exists(e, &name))?;
        self.reread().await?;
        Ok(row)
    }

    /// Saves a folder whose stored properties changed.
    pub(crate) async fn save_folder_props(
        &mut self,
        row: FolderRow,
    ) -> Result<FolderRow, MailboxError> {
        self.save_folder(row).await
    }

    /// `f` and every folder below it, parents before children.
    pub fn subtree(&self, f: &FolderRow) -> Vec<FolderRow> {
        let mut out = vec![f.clone()];
        let mut i = 0;
        while i < out.len() {
            let id = out[i].id.clone();
            out.extend(
                self.folders
                    .iter()
                    .filter(|c| c.parent_id.as_deref() == Some(id.as_str()))
                    .cloned(),
            );
            i += 1;
        }
        out
    }

    pub async fn create_folder(
        &mut self,
        parent: &FolderRow,
        kind: FolderKind,
        src: &FolderValues,
    ) -> Result<FolderRow, MailboxError> {
        let name = src.display_name.clone().unwrap_or_default();
        if name.trim().is_empty() {
            return Err(MailboxError::InvalidRequest(
                "A folder needs a DisplayName.".into(),
            ));
        }
        let mut props = StoredFolderProperties::default();
        src.extended
            .iter()
            .cloned()
            .for_each(|p| set_property(&mut props.extended, p));
        let row = FolderRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            mailbox: self.guid().to_string(),
            parent_id: Some(parent.id.clone()),
            distinguished: None,
            display_name: name.clone(),
            folder_class: src
                .folder_class
                .clone()
                .or_else(|| kind.default_class().map(str::to_string)),
            props: props.encode(),
            version: 1,
        };
        self.store_ref()
            .mailboxes()
            .create_folder(&row)
            .await
            .map_err(|e| exists(e, &name))?;
        self.reread().await?;
        Ok(row)
    }

    pub async fn update_folder(
        &mut self,
        folder: &FolderRow,
        changes: &[FolderChange],
    ) -> Result<FolderRow, MailboxError> {
        let mut row = folder.clone();
        let mut props = StoredFolderProperties::decode(&row.props);
        for c in changes {
            match c {
                FolderChange::Set(f) => {
                    if let Some(n) = &f.display_name {
                        row.display_name = n.clone();
                    }
                    if let Some(c) = &f.folder_class
                        && row.folder_class.as_deref() != Some(c.as_str())
                    {
                        return Err(MailboxError::ObjectTypeChanged);
                    }
                    f.extended
                        .iter()
                        .cloned()
                        .for_each(|p| set_property(&mut props.extended, p));
                    if let Some(p) = &f.permission_set {
                        props.permission_set = Some(p.clone());
                    }
                }
                FolderChange::DeleteProperty(key) => {
                    props.extended.retain(|p| p.uri.key() != *key);
                }
                // Clients clear every property they hold no value for; only a class that is
                // set cannot go.
                FolderChange::DeleteFolderClass if row.folder_class.is_some() => {
                    return Err(MailboxError::ObjectTypeChanged);
                }
                FolderChange::DeleteFolderClass => {}
                FolderChange::DeleteDisplayName => {
                    return Err(MailboxError::InvalidPropertySet(
                        "A folder's DisplayName cannot be deleted.".into(),
                    ));
                }
                FolderChange::Invalid(other) => {
                    return Err(MailboxError::InvalidRequest(format!(
                        "'{other}' is not a folder change."
                    )));
                }
            }
        }
        row.props = props.encode();
        self.save_folder(row).await
    }

    /// DeleteFolder: HardDelete removes the folder, its subfolders and their items;
    /// SoftDelete and MoveToDeletedItems move it under Recoverable Items\Deletions or
    /// Deleted Items.
    pub async fn delete_folder(
        &mut self,
        folder: &FolderRow,
        kind: crate::DeleteKind,
    ) -> Result<(), MailboxError> {
        if folder.distinguished.is_some() {
            return Err(MailboxError::DeleteDistinguishedFolder);
        }
        let to = match kind {
            crate::DeleteKind::Soft => Some("recoverableitemsdeletions"),
            crate::DeleteKind::MoveToDeletedItems => Some("deleteditems"),
            crate::DeleteKind::Hard => None,
        };
        if let Some(dest) = to.and_then(|d| self.distinguished(d)).cloned()
            && !self.subtree(&dest).iter().any(|f| f.id == folder.id)
        {
            self.move_folder(folder, &dest).await?;
            return Ok(());
        }
        let ids: Vec<String> = self.subtree(folder).into_iter().map(|f| f.id).collect();
        self.store_ref().mailboxes().delete_folders(&ids).await?;
        self.reread().await
    }

    /// EmptyFolder: removes the folder's items, and its subfolders when asked.
    pub async fn empty_folder(
        &mut self,
        folder: &FolderRow,
        delete_sub_folders: bool,
    ) -> Result<(), MailboxError> {
        if matches!(
            folder.distinguished.as_deref(),
            Some("root" | "msgfolderroot")
        ) && delete_sub_folders
        {
            return Err(MailboxError::CannotEmptyFolder);
        }
        self.store_ref()
            .mailboxes()
            .empty_folder(&folder.id)
            .await?;
        if delete_sub_folders {
            let below: Vec<String> = self
                .subtree(folder)
                .into_iter()
                .skip(1)
                .map(|f| f.id)
                .collect();
            if below.iter().any(|id| {
                self.folder_by_id(id)
                    .is_some_and(|f| f.distinguished.is_some())
            }) {
                return Err(MailboxError::DeleteDistinguishedFolder);
            }
            if !below.is_empty() {
                self.store_ref().mailboxes().delete_folders(&below).await?;
            }
        }
        self.reread().await
    }

    pub async fn move_folder(
        &mut self,
        folder: &FolderRow,
        to: &FolderRow,
    ) -> Result<FolderRow, MailboxError> {
        if folder.distinguished.is_some() {
            return Err(MailboxError::MoveDistinguishedFolder);
        }
        if self.subtree(folder).iter().any(|f| f.id == to.id) {
            return Err(MailboxError::MoveCopyFailed(
                "A folder cannot be moved into itself or a folder below it.",
            ));
        }
        let mut row = folder.clone();
        row.parent_id = Some(to.id.clone());
        self.save_folder(row).await
    }

    /// CopyFolder: a copy of the folder, its subfolders and their items under `to`.
    pub async fn copy_folder(
        &mut self,
        folder: &FolderRow,
        to: &FolderRow,
    ) -> Result<FolderRow, MailboxError> {
        let tree = self.subtree(folder);
        if tree.iter().any(|f| f.id == to.id) {
            return Err(MailboxError::MoveCopyFailed(
                "A folder cannot be copied into itself or a folder below it.",
            ));
        }
        let mut new_ids = std::collections::HashMap::new();
        let mut top = None;
        for f in &tree {
            let mut copy = f.clone();
            copy.id = uuid::Uuid::new_v4().simple().to_string();
            copy.distinguished = None;
            copy.version = 1;
            copy.parent_id = match f.parent_id.as_deref().and_then(|p| new_ids.get(p)) {
                Some(p) if f.id != folder.id => Some(String::clone(p)),
                _ => Some(to.id.clone()),
            };
            self.store_ref()
                .mailboxes()
                .create_folder(&copy)
                .await
                .map_err(|e| exists(e, &copy.display_name))?;
            let mut items = Vec::new();
            self.store_ref()
                .mailboxes()
                .scan_items(&f.id, &store::ItemFilter::True, &[], |row| {
                    let props = StoredProperties::decode(&row.props, row.props_format);
                    let c = crate::item::copy_into(&row, &row.mailbox, &copy.id);
                    items.push((c, props.values()));
                    true
                })
                .await?;
            for chunk in items.chunks(500) {
                self.store_ref().mailboxes().insert_items(chunk).await?;
            }
            new_ids.insert(f.id.clone(), copy.id.clone());
            top.get_or_insert(copy);
        }
        self.reread().await?;
        top.ok_or(MailboxError::FolderNotFound(None))
    }
}

/// Whether a folder passes a FindFolder restriction (display name and class; text compared
/// ignoring case, as Exchange compares it).
pub fn folder_matches(r: &Restriction<FolderField>, f: &FolderRow) -> bool {
    r.matches_text(&|field| match field {
        FolderField::DisplayName => Some(f.display_name.clone()),
        FolderField::FolderClass => f.folder_class.clone(),
    })
}
