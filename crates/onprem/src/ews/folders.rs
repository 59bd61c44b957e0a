//! ConvertId (the version probe), GetFolder and FindFolder.

use super::context::{Context, message, refusal};
use ews::{Find, FolderRef, Operation, Payload, ResponseMessage, RootFolder};
use mailbox::{FolderChange, FolderKind, FolderSyncChange, FolderValues, MailboxError};

/// The id formats ConvertId converts between.
const ID_FORMATS: &[&str] = &[
    "EwsLegacyId",
    "EwsId",
    "EntryId",
    "HexEntryId",
    "StoreId",
    "OwaId",
];

/// An id's bytes: EWS, legacy EWS and OWA ids are opaque text; entry and store ids are base64 of
/// those bytes, hex entry ids hex.
fn id_bytes(format: &str, id: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    match format {
        "EwsId" | "EwsLegacyId" | "OwaId" => Some(id.as_bytes().to_vec()),
        "EntryId" | "StoreId" => base64::engine::general_purpose::STANDARD.decode(id).ok(),
        "HexEntryId" => (0..id.len())
            .step_by(2)
            .map(|i| {
                id.get(i..i + 2)
                    .and_then(|h| u8::from_str_radix(h, 16).ok())
            })
            .collect(),
        _ => None,
    }
}

fn id_text(format: &str, bytes: &[u8]) -> Option<String> {
    use base64::Engine;
    match format {
        "EwsId" | "EwsLegacyId" | "OwaId" => String::from_utf8(bytes.to_vec()).ok(),
        "EntryId" | "StoreId" => Some(base64::engine::general_purpose::STANDARD.encode(bytes)),
        "HexEntryId" => Some(bytes.iter().map(|b| format!("{b:02X}")).collect()),
        _ => None,
    }
}

/// ConvertId between the id formats. A source whose Mailbox is not an SMTP address of this
/// organization is answered ErrorInvalidSmtpAddress, which is also how the version probe that
/// clients send first (a dummy id and mailbox) is answered.
pub fn convert_id(
    state: &crate::state::OnPremState,
    source_ids: &[ews::AlternateId],
    destination: &str,
) -> Vec<ResponseMessage> {
    let trust = state.trust();
    let one = |a: &ews::AlternateId| {
        if trust
            .user_by_address(&a.mailbox)
            .filter(|u| u.has_mailbox())
            .is_none()
        {
            return ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidSmtpAddress,
                "The SMTP address format is invalid.",
            );
        }
        if !ID_FORMATS.contains(&destination) {
            return ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidRequest,
                format!("'{destination}' is not an id format."),
            );
        }
        match id_bytes(&a.format, &a.id).and_then(|b| id_text(destination, &b)) {
            Some(id) => ResponseMessage::success(Payload::AlternateId {
                format: destination.to_string(),
                id,
                mailbox: a.mailbox.clone(),
            }),
            None => ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidIdMalformed,
                "Id is malformed.",
            ),
        }
    };
    if source_ids.is_empty() {
        return vec![ResponseMessage::error(
            ews::ResponseCode::ErrorInvalidSmtpAddress,
            "The SMTP address format is invalid.",
        )];
    }
    source_ids.iter().map(one).collect()
}

/// The kept counts, read only when the shape asks for them.
async fn counts_for(
    ctx: &Context<'_>,
    shape: &ews::Shape,
) -> Result<Vec<store::FolderCounts>, MailboxError> {
    if super::folder_view::wants_counts(shape) {
        ctx.mbox.counts().await
    } else {
        Ok(Vec::new())
    }
}

pub async fn get_folder(
    ctx: &Context<'_>,
    shape: &ews::Shape,
    ids: &[FolderRef],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let counts = counts_for(ctx, shape).await?;
    Ok(ids
        .iter()
        .map(|id| match ctx.folder(id) {
            Ok(f) => ResponseMessage::success(Payload::Folders(vec![super::folder_view::to_ews(
                &ctx.mbox, f, shape, &counts,
            )])),
            Err(e) => refusal(e),
        })
        .collect())
}

pub async fn find_folder(
    ctx: &Context<'_>,
    find: &Find,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let counts = counts_for(ctx, &find.shape).await?;
    let deep = find.traversal == ews::Traversal::Deep;
    let (offset, max) = find
        .paging
        .as_ref()
        .map(|p| (p.offset as usize, p.max_entries.unwrap_or(1000) as usize))
        .unwrap_or((0, 1000));
    let max = max.clamp(1, 1000);
    let restriction = find
        .restriction
        .as_ref()
        .map(super::restriction::folder_restriction);
    let mut out = Vec::new();
    for id in &find.parent_folder_ids {
        let parent = match ctx.folder(id) {
            Ok(p) => p,
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let mut found = Vec::new();
        let mut refused = None;
        for f in ctx.mbox.subfolders(parent, deep) {
            // A restriction the mailbox cannot evaluate is refused once there is a folder to
            // evaluate it on, as Exchange does.
            match &restriction {
                None => found.push(f),
                Some(Ok(r)) if mailbox::folder_matches(r, f) => found.push(f),
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    refused = Some(ResponseMessage::error(
                        super::context::response_code(e),
                        e.to_string(),
                    ));
                    break;
                }
            }
        }
        if let Some(r) = refused {
            out.push(r);
            continue;
        }
        let total = found.len();
        let page: Vec<ews::Folder> = found
            .iter()
            .skip(offset)
            .take(max)
            .map(|f| super::folder_view::to_ews(&ctx.mbox, f, &find.shape, &counts))
            .collect();
        let end = (offset + page.len()).min(total);
        out.push(message(Ok(Payload::FoundFolders(RootFolder {
            indexed_paging_offset: end,
            total_items_in_view: total,
            includes_last_item_in_range: end >= total,
            entries: page,
        })))?);
    }
    Ok(out)
}

/// The folder writes: CreateFolder, UpdateFolder, DeleteFolder, EmptyFolder, MoveFolder and
/// CopyFolder (None for any other operation).
pub async fn write(
    ctx: &mut Context<'_>,
    op: &Operation,
) -> Option<Result<Vec<ResponseMessage>, MailboxError>> {
    Some(match op {
        Operation::CreateFolder(ews::CreateFolder {
            parent_folder_id,
            folders,
        }) => create(ctx, parent_folder_id.as_ref(), folders).await,
        Operation::UpdateFolder(ews::UpdateFolder { changes }) => update(ctx, changes).await,
        Operation::DeleteFolder(ews::DeleteFolder {
            delete_type,
            folder_ids,
        }) => remove(ctx, folder_ids, Some(delete_type), false).await,
        Operation::EmptyFolder(ews::EmptyFolder {
            delete_sub_folders,
            folder_ids,
            ..
        }) => remove(ctx, folder_ids, None, *delete_sub_folders).await,
        Operation::MoveFolder(ews::MoveFolder {
            to_folder_id,
            folder_ids,
        }) => relocate(ctx, to_folder_id.as_ref(), folder_ids, false).await,
        Operation::CopyFolder(ews::CopyFolder {
            to_folder_id,
            folder_ids,
        }) => relocate(ctx, to_folder_id.as_ref(), folder_ids, true).await,
        _ => return None,
    })
}

fn id_only(ctx: &Context<'_>, f: &store::FolderRow) -> ews::Folder {
    super::folder_view::to_ews(&ctx.mbox, f, &ews::Shape::id_only(), &[])
}

/// The folders a request names: each found, or the refusal that answers it.
fn named(
    ctx: &Context<'_>,
    ids: &[FolderRef],
) -> Vec<Result<store::FolderRow, (ews::ResponseCode, String)>> {
    ids.iter().map(|id| ctx.folder(id).cloned()).collect()
}

/// DeleteFolder (`delete_type`) or EmptyFolder (`None`, with or without subfolders).
async fn remove(
    ctx: &mut Context<'_>,
    ids: &[FolderRef],
    delete_type: Option<&str>,
    delete_sub_folders: bool,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(ids.len());
    for f in named(ctx, ids) {
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let r = match delete_type {
            Some(t) => {
                let kind = super::drafts::delete_kind(t);
                ctx.mbox.delete_folder(&f, kind).await
            }
            None => ctx.mbox.empty_folder(&f, delete_sub_folders).await,
        };
        out.push(message(r.map(|_| Payload::None))?);
    }
    Ok(out)
}

/// MoveFolder, or CopyFolder (`copy`).
async fn relocate(
    ctx: &mut Context<'_>,
    to: Option<&FolderRef>,
    ids: &[FolderRef],
    copy: bool,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let to = match ctx.required_folder(to, "ToFolderId") {
        Ok(t) => t,
        Err(e) => return Ok(vec![refusal(e)]),
    };
    let mut out = Vec::with_capacity(ids.len());
    for f in named(ctx, ids) {
        let f = match f {
            Ok(f) => f,
            Err(e) => {
                out.push(refusal(e));
                continue;
            }
        };
        let r = if copy {
            ctx.mbox.copy_folder(&f, &to).await
        } else {
            ctx.mbox.move_folder(&f, &to).await
        };
        out.push(message(
            r.map(|row| Payload::Folders(vec![id_only(ctx, &row)])),
        )?);
    }
    Ok(out)
}

async fn create(
    ctx: &mut Context<'_>,
    parent: Option<&FolderRef>,
    folders: &[ews::Folder],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let parent = match parent.map(|p| ctx.folder(p).cloned()) {
        Some(Ok(p)) => p,
        Some(Err(e)) => return Ok(folders.iter().map(|_| refusal(e.clone())).collect()),
        None => {
            return Ok(vec![ResponseMessage::error(
                ews::ResponseCode::ErrorInvalidRequest,
                "ParentFolderId is missing.",
            )]);
        }
    };
    let mut out = Vec::with_capacity(folders.len());
    for f in folders {
        let (kind, values) = new_folder(f);
        let r = ctx.mbox.create_folder(&parent, kind, &values).await;
        out.push(message(
            r.map(|row| Payload::Folders(vec![id_only(ctx, &row)])),
        )?);
    }
    Ok(out)
}

async fn update(
    ctx: &mut Context<'_>,
    changes: &[ews::FolderChange],
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let mut out = Vec::with_capacity(changes.len());
    for ch in changes {
        let folder = match ch.folder_id.as_ref().map(|f| ctx.folder(f).cloned()) {
            Some(Ok(f)) => f,
            // Exchange answers an UpdateFolder of a folder id that names nothing this way.
            Some(Err((ews::ResponseCode::ErrorFolderNotFound, _))) => {
                out.push(ResponseMessage::error(
                    ews::ResponseCode::ErrorItemNotFound,
                    "The specified object was not found in the store.",
                ));
                continue;
            }
            Some(Err(e)) => {
                out.push(refusal(e));
                continue;
            }
            None => {
                out.push(ResponseMessage::error(
                    ews::ResponseCode::ErrorInvalidRequest,
                    "The change names no folder.",
                ));
                continue;
            }
        };
        let r = ctx
            .mbox
            .update_folder(&folder, &folder_changes(&ch.updates))
            .await;
        out.push(message(
            r.map(|row| Payload::Folders(vec![id_only(ctx, &row)])),
        )?);
    }
    Ok(out)
}

/// SyncFolderHierarchy: below SyncFolderId, or the whole mailbox.
pub async fn sync_hierarchy(
    ctx: &Context<'_>,
    shape: &ews::Shape,
    root: Option<&FolderRef>,
    state: Option<&str>,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let root = match root.map(|r| ctx.folder(r)) {
        Some(Ok(f)) => f.clone(),
        Some(Err(e)) => return Ok(vec![refusal(e)]),
        None => match ctx.mbox.distinguished("root") {
            Some(f) => f.clone(),
            None => {
                return Ok(vec![refusal((
                    ews::ResponseCode::ErrorFolderNotFound,
                    "No root folder.".into(),
                ))]);
            }
        },
    };
    let counts = counts_for(ctx, shape).await?;
    let r = ctx.mbox.sync_hierarchy(&root, state).map(|h| {
        let view = |f| super::folder_view::to_ews(&ctx.mbox, f, shape, &counts);
        ews::SyncAnswer {
            sync_state: h.sync_state,
            includes_last: true,
            changes: h
                .changes
                .into_iter()
                .map(|c| match c {
                    FolderSyncChange::Created(f) => ews::SyncChange::Create(view(f)),
                    FolderSyncChange::Changed(f) => ews::SyncChange::Update(view(f)),
                    FolderSyncChange::Deleted { id, version } => ews::SyncChange::Delete(
                        ews::ItemId::new(&id, mailbox::change_key(&id, version)),
                    ),
                })
                .collect(),
        }
    });
    Ok(vec![super::context::sync_message(
        r.map(Payload::SyncFolderHierarchy),
        Payload::SyncFolderHierarchy(ews::SyncAnswer::empty()),
    )?])
}

/// A folder's settable properties as a client sent them.
fn folder_values(f: &ews::Folder) -> FolderValues {
    FolderValues {
        display_name: f.display_name.clone(),
        folder_class: f.folder_class.clone(),
        extended: f.extended.iter().map(super::mapi::to_mailbox).collect(),
        permission_set: f
            .permission_set
            .as_ref()
            .and_then(|p| serde_json::to_value(p).ok()),
    }
}

/// CreateFolder's folder: what its element makes it, and its properties.
fn new_folder(f: &ews::Folder) -> (FolderKind, FolderValues) {
    let kind = match f.kind.as_str() {
        "CalendarFolder" => FolderKind::Calendar,
        "ContactsFolder" => FolderKind::Contacts,
        "TasksFolder" => FolderKind::Tasks,
        _ => FolderKind::Generic,
    };
    (kind, folder_values(f))
}

/// UpdateFolder's changes, in order; deleting a computed property changes nothing.
fn folder_changes(updates: &[ews::FolderUpdate]) -> Vec<FolderChange> {
    use ews::{FolderUpdate, PropertyPath};
    updates
        .iter()
        .filter_map(|u| match u {
            FolderUpdate::Set { folder, .. } | FolderUpdate::Append { folder, .. } => {
                Some(FolderChange::Set(folder_values(folder)))
            }
            FolderUpdate::Delete { path } => match path {
                Some(PropertyPath::Extended(e)) => Some(FolderChange::DeleteProperty(
                    super::mapi::name_to_mailbox(e).key(),
                )),
                Some(PropertyPath::Field(f)) if f == "folder:FolderClass" => {
                    Some(FolderChange::DeleteFolderClass)
                }
                Some(PropertyPath::Field(f)) if f == "folder:DisplayName" => {
                    Some(FolderChange::DeleteDisplayName)
                }
                _ => None,
            },
            FolderUpdate::Unknown(other) => Some(FolderChange::Invalid(other.clone())),
        })
        .collect()
}
