//! Items: CreateItem, GetItem, FindItem, UpdateItem, UpdateItemInRecoverableItems, DeleteItem,
//! MoveItem and CopyItem.

use super::Caller;
use super::render::*;
use crate::server::OnPremState;
use ews::Element;
use ews::soap::{error, response, success};
use mailbox::{Comparison, Containment, Field, Restriction, SortOrder};
use serde_json::Value;
use store::{ItemRow, StoreError};

fn now_ms() -> i64 {
    store::now_ms()
}

fn default_class(tag: &str) -> &'static str {
    match tag {
        "Message" => "IPM.Note",
        "CalendarItem" => "IPM.Appointment",
        "Contact" => "IPM.Contact",
        "Task" => "IPM.Task",
        "PostItem" => "IPM.Post",
        "MeetingRequest" => "IPM.Schedule.Meeting.Request",
        _ => "IPM",
    }
}

/// Server-owned properties a client may not set.
const SERVER_OWNED: &[&str] = &[
    "ItemId",
    "ParentFolderId",
    "DateTimeCreated",
    "DateTimeReceived",
    "LastModifiedTime",
    "Size",
    "DateTimeSent",
    "ConversationId",
];

/// The PR_MESSAGE_CLASS extended property (0x001A): how clients that cannot set ItemClass set it.
const MESSAGE_CLASS_KEY: &str = "PropertyTag=0x1a";

/// Applies one property element to an item being built or changed.
fn apply_property(item: &mut ItemRow, props: &mut Props, prop: &Element) {
    let mut c = prop.clone();
    normalize(&mut c);
    match c.name.as_str() {
        "ItemClass" => item.item_class = c.text().trim().to_string(),
        "Subject" => item.subject = c.text(),
        "IsRead" => item.is_read = c.text().trim() == "true",
        "IsDraft" => item.is_draft = c.text().trim() == "true",
        "ExtendedProperty" => {
            let Some(uri) = c.child("ExtendedFieldURI") else {
                return;
            };
            let key = extended_key(uri);
            if let Some(v) = c.child_text("Value") {
                if key == MESSAGE_CLASS_KEY {
                    item.item_class = v.clone();
                }
                // The value text too, so restrictions can test it.
                props.extv.insert(key.clone(), Value::String(v));
            }
            props.ext.insert(key, Value::String(fragment(&c)));
        }
        n if SERVER_OWNED.contains(&n) => {}
        n => {
            props.el.insert(n.to_string(), Value::String(fragment(&c)));
        }
    }
}

fn finish(item: &mut ItemRow, props: &Props) {
    item.props = props.to_json();
    item.size = (item.props.len() + item.subject.len()) as i64;
    item.modified_ms = now_ms();
}

fn new_item(state_mailbox: &str, folder_id: &str, src: &Element) -> ItemRow {
    let now = now_ms();
    let mut item = ItemRow {
        id: uuid::Uuid::new_v4().simple().to_string(),
        mailbox: state_mailbox.to_string(),
        folder_id: folder_id.to_string(),
        tag: src.name.clone(),
        item_class: default_class(&src.name).to_string(),
        subject: String::new(),
        props: String::new(),
        created_ms: now,
        received_ms: now,
        modified_ms: now,
        size: 0,
        is_read: false,
        // A message saved without being sent is a draft, as in Exchange.
        is_draft: src.name == "Message",
        immutable: false,
        version: 1,
    };
    let mut props = Props::default();
    for child in src.elements() {
        apply_property(&mut item, &mut props, child);
    }
    finish(&mut item, &props);
    item
}

fn target_folder(op: &Element, container: &str) -> Option<Element> {
    op.child(container)
        .and_then(|c| c.elements().next().cloned())
}

pub async fn create_item(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let items: Vec<&Element> = op
        .child("Items")
        .map(|i| i.elements().collect())
        .unwrap_or_default();
    let disposition = op.attr("MessageDisposition").unwrap_or("SaveOnly");
    let folder = match target_folder(op, "SavedItemFolderId") {
        Some(f) => view.resolve(state, c, &f).cloned(),
        None => view
            .distinguished("drafts")
            .cloned()
            .ok_or_else(|| ("ErrorFolderNotFound", "No drafts folder.".to_string())),
    };
    if disposition != "SaveOnly" {
        let m: Vec<String> = items
            .iter()
            .map(|_| error("CreateItem", "Error", "ErrorInvalidOperation", "Only MessageDisposition SaveOnly is supported: this server does not send mail.", ""))
            .collect();
        return Ok(response("CreateItem", &m));
    }
    let folder = match folder {
        Ok(f) => f,
        Err((code, text)) => {
            let m: Vec<String> = items
                .iter()
                .map(|_| error("CreateItem", "Error", code, &text, ""))
                .collect();
            return Ok(response("CreateItem", &m));
        }
    };
    let rows: Vec<ItemRow> = items
        .iter()
        .map(|e| new_item(&c.mailbox.guid, &folder.id, e))
        .collect();
    state.store.mailboxes().insert_items(&rows).await?;
    let messages: Vec<String> = rows
        .iter()
        .map(|r| {
            success(
                "CreateItem",
                &format!(
                    "<m:Items>{}</m:Items>",
                    item_xml(r, Some(&folder), &Shape::IdOnly, false)
                ),
            )
        })
        .collect();
    Ok(response("CreateItem", &messages))
}

/// An item of the caller's mailbox, or ErrorItemNotFound.
async fn load_item(
    state: &OnPremState,
    c: &Caller,
    id: &str,
) -> Result<Result<ItemRow, MessageError>, StoreError> {
    Ok(match state.store.mailboxes().item(id).await? {
        Some(i) if i.mailbox == c.mailbox.guid => Ok(i),
        _ => Err((
            "ErrorItemNotFound",
            "The specified object was not found in the store.".to_string(),
        )),
    })
}

pub async fn get_item(state: &OnPremState, c: &Caller, op: &Element) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let shape = Shape::parse(op.child("ItemShape"));
    let mut messages = Vec::new();
    for id in op.child("ItemIds").into_iter().flat_map(|i| i.elements()) {
        let found = load_item(state, c, id.attr("Id").unwrap_or("")).await?;
        messages.push(match found {
            Ok(item) => {
                let folder = view.folders.iter().find(|f| f.id == item.folder_id);
                success(
                    "GetItem",
                    &format!(
                        "<m:Items>{}</m:Items>",
                        item_xml(&item, folder, &shape, true)
                    ),
                )
            }
            Err((code, text)) => error("GetItem", "Error", code, &text, ""),
        });
    }
    Ok(response("GetItem", &messages))
}

type RestrictionError = (&'static str, String);

fn field(el: &Element) -> Result<Field, RestrictionError> {
    if let Some(uri) = el.child("ExtendedFieldURI") {
        return Ok(Field::Extended(extended_key(uri)));
    }
    let uri = el
        .child("FieldURI")
        .and_then(|f| f.attr("FieldURI"))
        .unwrap_or("");
    Field::from_uri(uri).ok_or_else(|| {
        (
            "ErrorUnsupportedPathForQuery",
            format!("The property '{uri}' can't be used in a restriction here."),
        )
    })
}

fn constant(el: &Element) -> Option<String> {
    el.child("FieldURIOrConstant")
        .and_then(|f| f.child("Constant"))
        .or_else(|| el.child("Constant"))
        .and_then(|c| c.attr("Value"))
        .map(str::to_string)
}

/// An EWS restriction element as a search restriction.
fn restriction(el: &Element) -> Result<Restriction, RestrictionError> {
    let cmp = |op| -> Result<Restriction, RestrictionError> {
        let v = constant(el).ok_or_else(|| {
            (
                "ErrorUnsupportedQueryFilter",
                "A comparison needs a constant value.".to_string(),
            )
        })?;
        Ok(Restriction::Compare(field(el)?, op, v))
    };
    match el.name.as_str() {
        "IsEqualTo" => cmp(Comparison::Equal),
        "IsNotEqualTo" => cmp(Comparison::NotEqual),
        "IsGreaterThan" => cmp(Comparison::Greater),
        "IsGreaterThanOrEqualTo" => cmp(Comparison::GreaterOrEqual),
        "IsLessThan" => cmp(Comparison::Less),
        "IsLessThanOrEqualTo" => cmp(Comparison::LessOrEqual),
        "Contains" => {
            let mode = match el.attr("ContainmentMode").unwrap_or("Substring") {
                "FullString" => Containment::FullString,
                "Prefixed" => Containment::Prefixed,
                "PrefixOnWords" => Containment::PrefixOnWords,
                "ExactPhrase" => Containment::ExactPhrase,
                _ => Containment::Substring,
            };
            let ignore_case = el
                .attr("ContainmentComparison")
                .is_some_and(|c| c.contains("IgnoreCase") || c == "Loose");
            let value = constant(el).ok_or_else(|| {
                (
                    "ErrorUnsupportedQueryFilter",
                    "Contains needs a constant value.".to_string(),
                )
            })?;
            Ok(Restriction::Contains {
                field: field(el)?,
                mode,
                ignore_case,
                value,
            })
        }
        "Exists" => Ok(Restriction::Exists(field(el)?)),
        "And" => Ok(Restriction::And(
            el.elements().map(restriction).collect::<Result<_, _>>()?,
        )),
        "Or" => Ok(Restriction::Or(
            el.elements().map(restriction).collect::<Result<_, _>>()?,
        )),
        "Not" => Ok(Restriction::Not(Box::new(restriction(
            el.elements().next().ok_or((
                "ErrorUnsupportedQueryFilter",
                "Not needs a restriction.".to_string(),
            ))?,
        )?))),
        other => Err((
            "ErrorUnsupportedQueryFilter",
            format!("The restriction '{other}' is not supported."),
        )),
    }
}

fn sort_order(op: &Element) -> Result<Vec<SortOrder>, RestrictionError> {
    let mut out = Vec::new();
    for fo in op
        .child("SortOrder")
        .into_iter()
        .flat_map(|s| s.children_named("FieldOrder"))
    {
        out.push(SortOrder {
            field: field(fo)?,
            descending: fo.attr("Order") == Some("Descending"),
        });
    }
    Ok(out)
}

pub async fn find_item(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let shape = Shape::parse(op.child("ItemShape"));
    let pv = op.child("IndexedPageItemView");
    let offset = pv
        .and_then(|v| v.attr("Offset"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(0usize);
    let max = pv
        .and_then(|v| v.attr("MaxEntriesReturned"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(1000usize)
        .clamp(1, 1000);
    let associated = op.attr("Traversal") == Some("Associated");
    let filter = op
        .child("Restriction")
        .and_then(|r| r.elements().next())
        .map(restriction)
        .transpose();
    let order = sort_order(op);
    let mut messages = Vec::new();
    for parent in op
        .child("ParentFolderIds")
        .into_iter()
        .flat_map(|p| p.elements())
    {
        let folder = match view.resolve(state, c, parent) {
            Ok(f) => f,
            Err((code, text)) => {
                messages.push(error("FindItem", "Error", code, &text, ""));
                continue;
            }
        };
        let (filter, order) = match (&filter, &order) {
            (Ok(f), Ok(o)) => (f, o),
            (Err((code, text)), _) | (_, Err((code, text))) => {
                messages.push(error("FindItem", "Error", code, text, ""));
                continue;
            }
        };
        let mut items = if associated {
            Vec::new()
        } else {
            state.store.mailboxes().items_in(&folder.id).await?
        };
        if let Some(r) = filter {
            items.retain(|i| r.matches(i));
        }
        let (page, total, last) = mailbox::page(items, order, offset, max);
        let end = offset.min(total) + page.len();
        let rendered: String = page
            .iter()
            .map(|i| item_xml(i, Some(folder), &shape, false))
            .collect();
        messages.push(success(
            "FindItem",
            &format!(r#"<m:RootFolder IndexedPagingOffset="{end}" TotalItemsInView="{total}" IncludesLastItemInRange="{last}"><t:Items>{rendered}</t:Items></m:RootFolder>"#),
        ));
    }
    Ok(response("FindItem", &messages))
}

pub async fn delete_item(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let kind = op.attr("DeleteType").unwrap_or("HardDelete");
    let mut messages = Vec::new();
    for id in op.child("ItemIds").into_iter().flat_map(|i| i.elements()) {
        let item = match load_item(state, c, id.attr("Id").unwrap_or("")).await? {
            Ok(i) => i,
            Err((code, text)) => {
                messages.push(error("DeleteItem", "Error", code, &text, ""));
                continue;
            }
        };
        if item.immutable {
            messages.push(error(
                "DeleteItem",
                "Error",
                "ErrorInvalidOperation",
                "The item is immutable: it was archived and cannot be deleted.",
                "",
            ));
            continue;
        }
        let to = match kind {
            "SoftDelete" => Some("recoverableitemsdeletions"),
            "MoveToDeletedItems" => Some("deleteditems"),
            _ => None,
        };
        match to.and_then(|d| view.distinguished(d)) {
            Some(dest) if dest.id != item.folder_id => {
                let mut moved = item.clone();
                moved.folder_id = dest.id.clone();
                moved.modified_ms = now_ms();
                if let Err((code, text)) = save_or_conflict(state, &moved).await? {
                    messages.push(error("DeleteItem", "Error", code, &text, ""));
                    continue;
                }
            }
            _ => {
                state.store.mailboxes().delete_item(&item.id).await?;
            }
        }
        messages.push(success("DeleteItem", ""));
    }
    Ok(response("DeleteItem", &messages))
}

/// Saves; a concurrent change becomes Err(ErrorIrresolvableConflict).
async fn save_or_conflict(
    state: &OnPremState,
    item: &ItemRow,
) -> Result<Result<i64, MessageError>, StoreError> {
    match state.store.mailboxes().update_item(item).await {
        Ok(v) => Ok(Ok(v)),
        Err(StoreError::Conflict { .. }) => Ok(Err((
            "ErrorIrresolvableConflict",
            "The item was changed by someone else; get it again and retry.".into(),
        ))),
        Err(StoreError::NotFound { .. }) => Ok(Err((
            "ErrorItemNotFound",
            "The specified object was not found in the store.".into(),
        ))),
        Err(e) => Err(e),
    }
}

/// Applies SetItemField / AppendToItemField / DeleteItemField updates.
fn apply_updates(item: &mut ItemRow, updates: Option<&Element>) -> Result<(), MessageError> {
    let mut props = Props::of(item);
    for u in updates.into_iter().flat_map(|u| u.elements()) {
        let uri = u.elements().find(|e| {
            e.name == "FieldURI" || e.name == "ExtendedFieldURI" || e.name == "IndexedFieldURI"
        });
        match u.name.as_str() {
            "SetItemField" | "AppendToItemField" => {
                let holder = u.elements().find(|e| {
                    !matches!(
                        e.name.as_str(),
                        "FieldURI" | "ExtendedFieldURI" | "IndexedFieldURI"
                    )
                });
                let Some(holder) = holder else {
                    return Err((
                        "ErrorInvalidPropertySet",
                        "A SetItemField has no item element.".into(),
                    ));
                };
                for prop in holder.elements() {
                    apply_property(item, &mut props, prop);
                }
            }
            "DeleteItemField" => match uri {
                Some(f) if f.name == "ExtendedFieldURI" => {
                    let key = extended_key(f);
                    props.ext.remove(&key);
                    props.extv.remove(&key);
                }
                Some(f) => {
                    let name = f
                        .attr("FieldURI")
                        .and_then(|x| x.split(':').nth(1))
                        .unwrap_or("");
                    props.el.remove(name);
                    if name == "Subject" {
                        item.subject.clear();
                    }
                }
                None => {
                    return Err((
                        "ErrorInvalidPropertySet",
                        "A DeleteItemField names no property.".into(),
                    ));
                }
            },
            other => {
                return Err((
                    "ErrorInvalidRequest",
                    format!("'{other}' is not an item change."),
                ));
            }
        }
    }
    finish(item, &props);
    Ok(())
}

/// UpdateItem, and (`recoverable`) UpdateItemInRecoverableItems: finalising a draft in
/// Recoverable Items\Purges, optionally making it immutable.
pub async fn update_item(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
    recoverable: bool,
) -> Result<String, StoreError> {
    let name = if recoverable {
        "UpdateItemInRecoverableItems"
    } else {
        "UpdateItem"
    };
    let view = MailboxView::load(state, c).await?;
    let changes: Vec<(Element, Option<Element>)> = if recoverable {
        vec![(
            op.child("ItemId").cloned().unwrap_or_default(),
            op.child("Updates").cloned(),
        )]
    } else {
        op.child("ItemChanges")
            .into_iter()
            .flat_map(|i| i.children_named("ItemChange"))
            .map(|ch| {
                (
                    ch.child("ItemId").cloned().unwrap_or_default(),
                    ch.child("Updates").cloned(),
                )
            })
            .collect()
    };
    let never_overwrite = op.attr("ConflictResolution") == Some("NeverOverwrite");
    let mut messages = Vec::new();
    for (id, updates) in changes {
        let mut item = match load_item(state, c, id.attr("Id").unwrap_or("")).await? {
            Ok(i) => i,
            Err((code, text)) => {
                messages.push(error(name, "Error", code, &text, ""));
                continue;
            }
        };
        let refuse = |code: &'static str, text: &str| error(name, "Error", code, text, "");
        if item.immutable {
            messages.push(refuse(
                "ErrorInvalidOperation",
                "The item is immutable: it was archived and cannot be changed.",
            ));
            continue;
        }
        if never_overwrite
            && id
                .attr("ChangeKey")
                .is_some_and(|ck| ck != change_key(item.version))
        {
            messages.push(refuse(
                "ErrorIrresolvableConflict",
                "The change key is stale; get the item again and retry.",
            ));
            continue;
        }
        if recoverable {
            let purges = view
                .distinguished("recoverableitemspurges")
                .map(|f| f.id.as_str());
            if purges != Some(item.folder_id.as_str()) {
                messages.push(refuse("ErrorInvalidOperation", "UpdateItemInRecoverableItems works only on items in Recoverable Items\\Purges."));
                continue;
            }
            if !item.is_draft {
                messages.push(refuse("ErrorInvalidOperation", "UpdateNonDraftItemInDumpsterNotAllowed: only a draft item in Purges can be updated."));
                continue;
            }
            item.is_draft = false;
        }
        if let Err((code, text)) = apply_updates(&mut item, updates.as_ref()) {
            messages.push(refuse(code, &text));
            continue;
        }
        if recoverable
            && op
                .child_text("MakeItemImmutable")
                .and_then(|v| normalize_bool(&v))
                == Some("true")
        {
            item.immutable = true;
        }
        match save_or_conflict(state, &item).await? {
            Ok(v) => {
                item.version = v;
                let folder = view.folders.iter().find(|f| f.id == item.folder_id);
                let mut payload = format!(
                    "<m:Items>{}</m:Items>",
                    item_xml(&item, folder, &Shape::IdOnly, false)
                );
                if !recoverable {
                    payload.push_str("<m:ConflictResults><t:Count>0</t:Count></m:ConflictResults>");
                }
                messages.push(success(name, &payload));
            }
            Err((code, text)) => messages.push(refuse(code, &text)),
        }
    }
    Ok(response(name, &messages))
}

pub async fn move_or_copy(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let name = op.name.as_str();
    let view = MailboxView::load(state, c).await?;
    let dest = match target_folder(op, "ToFolderId").map(|f| view.resolve(state, c, &f).cloned()) {
        Some(Ok(f)) => f,
        Some(Err((code, text))) => {
            return Ok(response(name, &[error(name, "Error", code, &text, "")]));
        }
        None => {
            return Ok(response(
                name,
                &[error(
                    name,
                    "Error",
                    "ErrorInvalidRequest",
                    "ToFolderId is missing.",
                    "",
                )],
            ));
        }
    };
    let mut messages = Vec::new();
    for id in op.child("ItemIds").into_iter().flat_map(|i| i.elements()) {
        let item = match load_item(state, c, id.attr("Id").unwrap_or("")).await? {
            Ok(i) => i,
            Err((code, text)) => {
                messages.push(error(name, "Error", code, &text, ""));
                continue;
            }
        };
        let result = if name == "CopyItem" {
            let mut copy = item.clone();
            copy.id = uuid::Uuid::new_v4().simple().to_string();
            copy.folder_id = dest.id.clone();
            copy.immutable = false;
            copy.version = 1;
            state
                .store
                .mailboxes()
                .insert_items(std::slice::from_ref(&copy))
                .await?;
            Ok(copy)
        } else if item.immutable {
            Err((
                "ErrorInvalidOperation",
                "The item is immutable: it was archived and cannot be moved.".to_string(),
            ))
        } else {
            let mut moved = item.clone();
            moved.folder_id = dest.id.clone();
            match save_or_conflict(state, &moved).await? {
                Ok(v) => {
                    moved.version = v;
                    Ok(moved)
                }
                Err(e) => Err(e),
            }
        };
        messages.push(match result {
            Ok(i) => success(
                name,
                &format!(
                    "<m:Items>{}</m:Items>",
                    item_xml(&i, Some(&dest), &Shape::IdOnly, false)
                ),
            ),
            Err((code, text)) => error(name, "Error", code, &text, ""),
        });
    }
    Ok(response(name, &messages))
}
