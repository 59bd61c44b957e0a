//! What a client does to items: make them (from drafts, replies and forwards, MIME), change
//! them (an occurrence of a series included), delete, move and copy them, and add, read and
//! remove their attachments. Each is one versioned write through the store.

use crate::MailboxError;
use crate::attachments::{find, from_new, not_found_as_attachment, parse_wire_id};
use crate::calendar::{
    Occurrence, is_calendar_item, occurrence, occurrence_named, plain_id, recurrence,
};
use crate::draft::{ItemChange, ItemDraft, ItemTarget, NewAttachment, Response, ResponseKind};
use crate::item::{self, change_key};
use crate::mail_item::MailItem;
use crate::model::{ItemRef, Property, PropertyBag, Tag};
use crate::props::{CalendarState, Exception, StoredAttachment, StoredContent, StoredProperties};
use crate::service::{ConflictResolution, DeleteKind, Mailbox, check_change_key, now};
use store::{FolderRow, ItemRow};

impl Mailbox {
    /// Creates items in `folder`, all or none.
    pub async fn create_items(
        &self,
        folder: &FolderRow,
        items: &[ItemDraft],
    ) -> Result<Vec<MailItem>, MailboxError> {
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
        Ok(made.into_iter().map(|(r, p)| MailItem::of(r, p)).collect())
    }

    /// CreateItem with SaveOnly: each item made (or refused with its own error), the made ones
    /// stored together in one write.
    pub async fn create_items_each(
        &self,
        folder: &FolderRow,
        items: &[ItemDraft],
    ) -> Result<Vec<Result<MailItem, MailboxError>>, MailboxError> {
        let t = now();
        let mut blobs = Vec::new();
        let made: Vec<Result<MailItem, MailboxError>> = items
            .iter()
            .map(|i| {
                self.compose_with(folder, i, t, &mut blobs)
                    .map(|(r, p)| MailItem::of(r, p))
            })
            .collect();
        self.store.mailboxes().put_blobs(&blobs).await?;
        self.store_made(&made).await?;
        Ok(made)
    }

    /// Stores made items together (the refused ones are left out).
    pub async fn store_made(
        &self,
        made: &[Result<MailItem, MailboxError>],
    ) -> Result<(), MailboxError> {
        let rows: Vec<(ItemRow, Vec<store::ItemValue>)> = made
            .iter()
            .flatten()
            .map(|i| (i.row(), i.props.values()))
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
    pub async fn mime_content(&self, item: &MailItem) -> Result<String, MailboxError> {
        let props = &item.props;
        use base64::Engine;
        let mut digests = Vec::new();
        crate::props::blob_digests(&props.attachments, &mut digests);
        let mut blobs = std::collections::HashMap::new();
        for d in digests {
            if let Some(b) = self.store.mailboxes().blob(&d).await? {
                blobs.insert(d, b);
            }
        }
        let sent = props
            .bag
            .time(&crate::model::Tag::DateTimeSent)
            .unwrap_or(item.created_ms);
        let mime = crate::mime::to_mime(&item.subject, sent, props, &|d| blobs.get(d).cloned());
        Ok(base64::engine::general_purpose::STANDARD.encode(mime))
    }

    /// UpdateItem: applies the changes (checking the change key under NeverOverwrite).
    pub async fn update_item(
        &self,
        id: &ItemTarget,
        updates: &[ItemChange],
        conflict: ConflictResolution,
    ) -> Result<MailItem, MailboxError> {
        if let Some((master, index)) = crate::calendar::occurrence_named(id) {
            check_change_key(id.change_key.as_deref())?;
            return self
                .update_occurrence(&master, index, updates)
                .await
                .map(|(r, p)| MailItem::of(r, p));
        }
        let (mut row, mut props) = self.item_row(&crate::calendar::plain_id(id)).await?;
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
                Ok(MailItem::of(made, one_off))
            }
            None => Ok(MailItem::of(row, props)),
        }
    }

    /// UpdateItemInRecoverableItems: finalises a draft in Recoverable Items\Purges, and makes
    /// it immutable when asked.
    pub async fn update_in_recoverable_items(
        &self,
        id: &ItemTarget,
        updates: &[ItemChange],
        make_immutable: bool,
    ) -> Result<MailItem, MailboxError> {
        let (mut row, mut props) = self.item_row(&id.id).await?;
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
        Ok(MailItem::of(row, props))
    }

    /// DeleteItem: HardDelete removes, SoftDelete moves to Recoverable Items\Deletions,
    /// MoveToDeletedItems to Deleted Items (an item already there is removed).
    pub async fn delete_item(&self, id: &ItemTarget, kind: DeleteKind) -> Result<(), MailboxError> {
        if let Some((master, index)) = crate::calendar::occurrence_named(id) {
            check_change_key(id.change_key.as_deref())?;
            return self.delete_occurrence(&master, index).await;
        }
        let (mut row, _) = self.item_row(&crate::calendar::plain_id(id)).await?;
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

    pub async fn move_item(&self, id: &str, dest: &FolderRow) -> Result<MailItem, MailboxError> {
        let (mut row, props) = self.item_row(id).await?;
        if row.immutable {
            return Err(MailboxError::Immutable("moved"));
        }
        row.folder_id = dest.id.clone();
        self.save(&mut row, None).await?;
        Ok(MailItem::of(row, props))
    }

    pub async fn copy_item(&self, id: &str, dest: &FolderRow) -> Result<MailItem, MailboxError> {
        let (row, props) = self.item_row(id).await?;
        let copy = item::copy_into(&row, &self.guid, &dest.id);
        self.store
            .mailboxes()
            .insert_copy(&copy, &props.values(), &row)
            .await?;
        Ok(MailItem::of(copy, props))
    }

    /// A series and one of its occurrences that is not deleted.
    async fn series_occurrence(
        &self,
        master: &str,
        index: u32,
    ) -> Result<(ItemRow, StoredProperties, Occurrence), crate::MailboxError> {
        let (row, props) = self.item_row(master).await?;
        if !is_calendar_item(&row) || recurrence(&props).is_none() {
            return Err(crate::MailboxError::ItemNotFound);
        }
        let o = occurrence(&props, index).ok_or(crate::MailboxError::OccurrenceOutOfRange)?;
        if props
            .calendar
            .as_ref()
            .is_some_and(|c| c.deleted.contains(&index))
        {
            return Err(crate::MailboxError::OccurrenceDeleted);
        }
        Ok((row, props, o))
    }

    /// The item an id names, or the series and occurrence when it names an occurrence.
    pub async fn item_or_occurrence(
        &self,
        id: &ItemTarget,
    ) -> Result<(MailItem, Option<Occurrence>), crate::MailboxError> {
        if let Some((master, index)) = occurrence_named(id) {
            let (row, props, o) = self.series_occurrence(&master, index).await?;
            return Ok((MailItem::of(row, props), Some(o)));
        }
        let (row, props) = self.item_row(&plain_id(id)).await?;
        Ok((MailItem::of(row, props), None))
    }

    /// UpdateItem of an occurrence: its new times and properties become an exception kept
    /// with the series.
    pub(crate) async fn update_occurrence(
        &self,
        master: &str,
        index: u32,
        updates: &[ItemChange],
    ) -> Result<(ItemRow, StoredProperties), crate::MailboxError> {
        let (mut row, mut props, o) = self.series_occurrence(master, index).await?;
        let mut x = o.exception.clone().unwrap_or(Exception {
            index,
            start_ms: o.start_ms,
            end_ms: o.end_ms,
            subject: None,
            bag: PropertyBag::default(),
        });
        for u in updates {
            let (ItemChange::Set(item) | ItemChange::Append(item)) = u else {
                continue;
            };
            if let Some(s) = &item.subject {
                x.subject = Some(s.clone());
            }
            for Property(tag, value) in item.props.iter().cloned() {
                match tag {
                    Tag::Start => x.start_ms = value.as_time().unwrap_or(x.start_ms),
                    Tag::End => x.end_ms = value.as_time().unwrap_or(x.end_ms),
                    // The series decides these; an occurrence cannot change them.
                    Tag::Recurrence | Tag::UID | Tag::StartTimeZone | Tag::EndTimeZone => {}
                    tag => x.bag.set(tag, value),
                }
            }
        }
        if x.end_ms < x.start_ms {
            return Err(crate::MailboxError::InvalidRequest(
                "The occurrence's end is before its start.".into(),
            ));
        }
        let state = props.calendar.get_or_insert_with(CalendarState::default);
        state.exceptions.retain(|e| e.index != index);
        state.exceptions.push(x);
        state.exceptions.sort_by_key(|e| e.index);
        let now = crate::service::now();
        crate::item::finish_stored(&mut row, &props, now);
        self.save(&mut row, Some(&props)).await?;
        Ok((row, props))
    }

    /// DeleteItem of an occurrence: the series keeps it as deleted.
    pub(crate) async fn delete_occurrence(
        &self,
        master: &str,
        index: u32,
    ) -> Result<(), crate::MailboxError> {
        let (mut row, mut props, _) = self.series_occurrence(master, index).await?;
        let state = props.calendar.get_or_insert_with(CalendarState::default);
        state.exceptions.retain(|e| e.index != index);
        state.deleted.push(index);
        state.deleted.sort();
        let now = crate::service::now();
        crate::item::finish_stored(&mut row, &props, now);
        self.save(&mut row, Some(&props)).await
    }

    /// CreateAttachment: adds attachments to an item of this mailbox (all or none); returns
    /// them with ids and the item's new change key.
    pub async fn create_attachments(
        &self,
        parent: &ItemTarget,
        attachments: &[NewAttachment],
    ) -> Result<(Vec<StoredAttachment>, MailItem), MailboxError> {
        let (mut row, mut props) = self.item_row(&parent.id).await?;
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        let now = store::now_ms();
        let new = from_new(attachments, now, 0)?;
        self.store_ref().mailboxes().put_blobs(&new.blobs).await?;
        let added: Vec<StoredAttachment> = new.attachments;
        props.attachments.extend(added.iter().cloned());
        item::finish_stored(&mut row, &props, now);
        self.save(&mut row, Some(&props)).await?;
        Ok((added, MailItem::of(row, props)))
    }

    /// GetAttachment: the whole attachment (a file's content, or the attached item).
    pub async fn attachment(
        &self,
        id: &str,
    ) -> Result<(StoredAttachment, Option<Vec<u8>>), MailboxError> {
        let (item_id, path) = parse_wire_id(id).ok_or(MailboxError::InvalidIdMalformed)?;
        let (_, props) = self
            .item_row(item_id)
            .await
            .map_err(not_found_as_attachment)?;
        let a = find(&props.attachments, &path).ok_or(MailboxError::InvalidAttachmentId)?;
        let content = match &a.content {
            StoredContent::File { blob, .. } => Some(
                self.store_ref()
                    .mailboxes()
                    .blob(blob)
                    .await?
                    .ok_or(MailboxError::InvalidAttachmentId)?,
            ),
            StoredContent::Item(_) => None,
        };
        Ok((a.clone(), content))
    }

    /// DeleteAttachment: removes an attachment of an item of this mailbox; returns the item's
    /// id and new change key. Attachments of attached items cannot be removed on their own.
    pub async fn delete_attachment(&self, id: &str) -> Result<ItemRef, MailboxError> {
        let (item_id, path) = parse_wire_id(id).ok_or(MailboxError::InvalidIdMalformed)?;
        let (mut row, mut props) = self
            .item_row(item_id)
            .await
            .map_err(not_found_as_attachment)?;
        let [local] = path.as_slice() else {
            return Err(MailboxError::InvalidOperation(
                "An attachment of an attached item cannot be deleted on its own.".into(),
            ));
        };
        if row.immutable {
            return Err(MailboxError::Immutable("changed"));
        }
        let before = props.attachments.len();
        props.attachments.retain(|a| a.local_id != *local);
        if props.attachments.len() == before {
            return Err(MailboxError::InvalidAttachmentId);
        }
        item::finish_stored(&mut row, &props, store::now_ms());
        self.save(&mut row, Some(&props)).await?;
        Ok(ItemRef {
            change_key: item::change_key(&row.id, row.version),
            id: row.id,
        })
    }

    /// A reply or forward made into an item of `folder` (not stored): the item it answers is
    /// read from this mailbox; a forward carries the original's attachments (their contents are
    /// shared by digest, not copied).
    pub async fn compose_response(
        &self,
        folder: &store::FolderRow,
        r: &Response,
        me: &(dyn Fn(&str) -> bool + Sync),
    ) -> Result<MailItem, MailboxError> {
        let (original, props) = self.item_row(&r.reference).await?;
        let made = crate::reply::respond(r, &original, &props, me);
        let mut blobs = Vec::new();
        let now = store::now_ms();
        let (mut row, mut new_props) = self.compose_with(folder, &made, now, &mut blobs)?;
        if r.kind == ResponseKind::Forward && !props.attachments.is_empty() {
            new_props
                .attachments
                .extend(props.attachments.iter().cloned());
            crate::item::finish_stored(&mut row, &new_props, now);
        }
        self.store_ref().mailboxes().put_blobs(&blobs).await?;
        Ok(MailItem::of(row, new_props))
    }
}
