//! FindPeople and GetPersona: the people of a contacts folder, or of the organization's
//! directory (DistinguishedFolderId `directory`), as personas.
//!
//! A contact's persona has the contact's item id; a directory persona the recipient's GUID (32
//! hex digits, as item ids are). Hidden recipients (the partner's application account) are not
//! people anyone finds.

use super::context::{Context, refusal, response_code};
use super::restriction::{PersonaField, persona_restriction};
use ews::{EmailAddress, Payload, Persona, ResponseCode, ResponseMessage};
use mailbox::{ItemQuery, MailboxError};

/// At most this many people are considered per folder.
const MAX_PEOPLE: usize = 10_000;

fn address(smtp: &str, name: Option<&str>) -> EmailAddress {
    EmailAddress {
        name: name.map(str::to_string),
        email_address: smtp.to_string(),
        routing_type: "SMTP".into(),
        mailbox_type: String::new(),
    }
}

/// The organization's people: its mailboxes and mail users that are not hidden.
fn directory_people(ctx: &Context<'_>) -> Vec<Persona> {
    let trust = ctx.state.trust();
    trust
        .users
        .iter()
        .filter(|u| !u.hidden)
        .map(|u| Persona {
            id: u.guid.replace('-', ""),
            persona_type: Some("Person".into()),
            creation_time: None,
            display_name: Some(u.display_name.clone()),
            email_address: Some(address(&u.primary_smtp, Some(&u.display_name))),
            email_addresses: vec![address(&u.primary_smtp, Some(&u.display_name))],
            relevance_score: Some("2147483647".into()),
        })
        .collect()
}

/// A contact (or contact group) of the folder as a persona.
fn contact_persona(item: &ews::Item, created: String) -> Persona {
    let text = |name: &str| {
        item.other
            .iter()
            .find(|e| e.name == name)
            .map(|e| e.text())
            .filter(|t| !t.trim().is_empty())
    };
    let display_name = text("DisplayName").or_else(|| item.subject.clone());
    let addresses: Vec<EmailAddress> = item
        .other
        .iter()
        .filter(|e| e.name == "EmailAddresses")
        .flat_map(|e| e.children_named("Entry"))
        .map(|e| e.text())
        .filter(|a| !a.trim().is_empty())
        .map(|a| address(a.trim(), display_name.as_deref()))
        .collect();
    let group = item
        .item_class
        .as_deref()
        .is_some_and(|c| c.starts_with("IPM.DistList"));
    Persona {
        id: item
            .item_id
            .as_ref()
            .map(|i| i.id.clone())
            .unwrap_or_default(),
        persona_type: Some(if group { "DistributionList" } else { "Person" }.into()),
        creation_time: Some(created),
        display_name,
        email_address: addresses.first().cloned(),
        email_addresses: addresses,
        relevance_score: Some("2147483647".into()),
    }
}

async fn folder_people(
    ctx: &Context<'_>,
    folder: &store::FolderRow,
) -> Result<Vec<Persona>, MailboxError> {
    let page = ctx
        .mbox
        .find_items(
            folder,
            &ItemQuery {
                restriction: None,
                order: vec![],
                offset: 0,
                max: MAX_PEOPLE,
            },
        )
        .await?;
    let shape = ews::Shape {
        base: ews::BaseShape::AllProperties,
        ..Default::default()
    };
    Ok(page
        .items
        .iter()
        .filter(|i| i.class.starts_with("IPM.Contact") || i.class.starts_with("IPM.DistList"))
        .map(|stored| {
            let item = super::item_view::view(&ctx.mbox, stored, &shape, false);
            contact_persona(&item, mailbox::format_time(stored.created_ms))
        })
        .collect())
}

fn value(p: &Persona, f: &PersonaField) -> Option<String> {
    match f {
        PersonaField::DisplayName => p.display_name.clone(),
        PersonaField::EmailAddress => p.email_address.as_ref().map(|a| a.email_address.clone()),
    }
}

/// Whether every word of a query string is in the persona's name or one of its addresses.
fn matches_query(p: &Persona, query: &str) -> bool {
    let mut haystack = p.display_name.clone().unwrap_or_default().to_lowercase();
    for a in &p.email_addresses {
        haystack.push(' ');
        haystack.push_str(&a.email_address.to_lowercase());
    }
    query
        .split_whitespace()
        .map(|w| w.trim_matches('"').to_lowercase())
        .filter(|w| !w.is_empty() && !w.ends_with(':'))
        .map(|w| w.rsplit(':').next().unwrap_or("").to_string())
        .all(|w| haystack.contains(&w))
}

/// FindPeople: the folder's (or the directory's) people matching the restriction and query,
/// sorted by display name as asked, one page of them.
pub(crate) async fn find_people(ctx: &Context<'_>, f: &ews::FindPeople) -> ResponseMessage {
    match find_people_inner(ctx, f).await {
        Ok(p) => ResponseMessage::success(p),
        Err(Ok(e)) => ResponseMessage::error(response_code(&e), e.to_string()),
        Err(Err(r)) => refusal(r),
    }
}

type Refused = Result<MailboxError, (ResponseCode, String)>;

async fn find_people_inner(ctx: &Context<'_>, f: &ews::FindPeople) -> Result<Payload, Refused> {
    let restriction = f
        .restriction
        .as_ref()
        .map(persona_restriction)
        .transpose()
        .map_err(Ok)?;
    let descending = match f.sort.first() {
        None => false,
        Some(o) => {
            super::restriction::persona_field(o.path.as_ref()).map_err(|e| match e {
                MailboxError::UnsupportedPathForQuery(p) => {
                    Ok(MailboxError::UnsupportedPathForSort(p))
                }
                other => Ok(other),
            })?;
            o.descending
        }
    };
    let mut people = match &f.parent_folder_id {
        Some(ews::FolderRef::Distinguished(d)) if d.id == "directory" => directory_people(ctx),
        Some(r) => {
            let folder = ctx.folder(r).map_err(Err)?.clone();
            folder_people(ctx, &folder).await.map_err(Ok)?
        }
        None => {
            return Err(Err((
                ResponseCode::ErrorInvalidRequest,
                "ParentFolderId is missing.".into(),
            )));
        }
    };
    people.retain(|p| {
        restriction
            .as_ref()
            .is_none_or(|r| r.matches_text(&|field| value(p, field)))
            && f.query_string
                .as_deref()
                .is_none_or(|q| matches_query(p, q))
    });
    let key = |p: &Persona| p.display_name.clone().unwrap_or_default().to_lowercase();
    people.sort_by_key(key);
    if descending {
        people.reverse();
    }
    let (offset, max) = f
        .paging
        .as_ref()
        .map(|p| (p.offset as usize, p.max_entries.unwrap_or(100) as usize))
        .unwrap_or((0, 100));
    let total = people.len();
    let start = offset.min(total);
    let personas = people
        .into_iter()
        .skip(start)
        .take(max.clamp(1, 1000))
        .collect();
    Ok(Payload::People(ews::People {
        personas,
        total: total as u32,
        first_matching_row: 0,
        first_loaded_row: start as u32,
    }))
}

/// GetPersona: a contact of the mailbox or a person of the directory, by persona id.
pub(crate) async fn get_persona(ctx: &Context<'_>, g: &ews::GetPersona) -> ResponseMessage {
    let id = g.persona_id.trim();
    if !mailbox::is_well_formed_id(id) {
        return ResponseMessage::error(
            ResponseCode::ErrorInvalidIdMalformed,
            MailboxError::InvalidIdMalformed.to_string(),
        );
    }
    if let Some(p) = directory_people(ctx).into_iter().find(|p| p.id == id) {
        return ResponseMessage::success(Payload::Persona(p));
    }
    match ctx.mbox.item(id).await {
        Ok(stored)
            if stored.class.starts_with("IPM.Contact")
                || stored.class.starts_with("IPM.DistList") =>
        {
            let shape = ews::Shape {
                base: ews::BaseShape::AllProperties,
                ..Default::default()
            };
            let item = super::item_view::view(&ctx.mbox, &stored, &shape, false);
            let created = mailbox::format_time(stored.created_ms);
            ResponseMessage::success(Payload::Persona(contact_persona(&item, created)))
        }
        Ok(_) | Err(MailboxError::ItemNotFound) => ResponseMessage::error(
            ResponseCode::ErrorItemNotFound,
            "The specified persona was not found.",
        ),
        Err(e) => ResponseMessage::error(response_code(&e), e.to_string()),
    }
}
