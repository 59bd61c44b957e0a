//! ConvertId (the version probe), GetFolder, FindFolder and ResolveNames.

use super::Caller;
use super::render::{MailboxView, folder_xml};
use crate::server::OnPremState;
use ews::Element;
use ews::soap::{error, response, success};
use ews::xml::escape;
use store::{FolderRow, StoreError};

/// Real conversion is not offered; clients send ConvertId to learn the server version, which
/// every response header carries.
pub fn convert_id(op: &Element) -> String {
    let n = op
        .child("SourceIds")
        .map(|s| s.elements().count())
        .unwrap_or(1)
        .max(1);
    let messages: Vec<String> = (0..n)
        .map(|_| {
            error(
                "ConvertId",
                "Error",
                "ErrorInvalidSmtpAddress",
                "The SMTP address format is invalid.",
                "",
            )
        })
        .collect();
    response("ConvertId", &messages)
}

fn folder_ids(op: &Element, container: &str) -> Vec<Element> {
    op.child(container)
        .map(|c| c.elements().cloned().collect())
        .unwrap_or_default()
}

pub async fn get_folder(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let counts = state.store.mailboxes().counts(&c.mailbox.guid).await?;
    let mut messages = Vec::new();
    for id in folder_ids(op, "FolderIds") {
        messages.push(match view.resolve(state, c, &id) {
            Ok(f) => success(
                "GetFolder",
                &format!(
                    "<m:Folders>{}</m:Folders>",
                    folder_xml(f, &view.folders, &counts)
                ),
            ),
            Err((code, text)) => error("GetFolder", "Error", code, &text, ""),
        });
    }
    Ok(response("GetFolder", &messages))
}

fn descendants<'a>(
    root: &FolderRow,
    all: &'a [FolderRow],
    deep: bool,
    out: &mut Vec<&'a FolderRow>,
) {
    for f in all
        .iter()
        .filter(|f| f.parent_id.as_deref() == Some(root.id.as_str()))
    {
        out.push(f);
        if deep {
            descendants(f, all, deep, out);
        }
    }
}

fn paging(op: &Element, view_name: &str) -> (usize, usize) {
    let v = op.child(view_name);
    let offset = v
        .and_then(|v| v.attr("Offset"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let max = v
        .and_then(|v| v.attr("MaxEntriesReturned"))
        .and_then(|o| o.parse().ok())
        .unwrap_or(1000usize)
        .clamp(1, 1000);
    (offset, max)
}

pub async fn find_folder(
    state: &OnPremState,
    c: &Caller,
    op: &Element,
) -> Result<String, StoreError> {
    let view = MailboxView::load(state, c).await?;
    let counts = state.store.mailboxes().counts(&c.mailbox.guid).await?;
    let deep = op.attr("Traversal") == Some("Deep");
    let (offset, max) = paging(op, "IndexedPageFolderView");
    let mut messages = Vec::new();
    for id in folder_ids(op, "ParentFolderIds") {
        messages.push(match view.resolve(state, c, &id) {
            Ok(parent) => {
                let mut found = Vec::new();
                descendants(parent, &view.folders, deep, &mut found);
                let total = found.len();
                let page: Vec<String> = found.iter().skip(offset).take(max).map(|f| folder_xml(f, &view.folders, &counts)).collect();
                let end = (offset + page.len()).min(total);
                success(
                    "FindFolder",
                    &format!(
                        r#"<m:RootFolder IndexedPagingOffset="{end}" TotalItemsInView="{total}" IncludesLastItemInRange="{}"><t:Folders>{}</t:Folders></m:RootFolder>"#,
                        end >= total,
                        page.concat()
                    ),
                )
            }
            Err((code, text)) => error("FindFolder", "Error", code, &text, ""),
        });
    }
    Ok(response("FindFolder", &messages))
}

/// ResolveNames over the organization's recipients: by name, display name, alias-like prefix,
/// or address.
pub fn resolve_names(state: &OnPremState, op: &Element) -> String {
    let trust = state.trust();
    let full = op
        .attr("ReturnFullContactData")
        .is_some_and(|v| v == "true" || v == "1");
    let mut messages = Vec::new();
    for entry in op.children_named("UnresolvedEntry") {
        let q = entry.text().trim().to_lowercase();
        let q = q.strip_prefix("smtp:").unwrap_or(&q).to_string();
        let hits: Vec<_> = trust
            .users
            .iter()
            .filter(|u| {
                !q.is_empty()
                    && (u.primary_smtp.to_lowercase().starts_with(&q)
                        || u.name.to_lowercase().starts_with(&q)
                        || u.display_name.to_lowercase().starts_with(&q)
                        || u.has_address(&q))
            })
            .collect();
        if hits.is_empty() {
            messages.push(error(
                "ResolveNames",
                "Error",
                "ErrorNameResolutionNoResults",
                "No results were found.",
                "",
            ));
            continue;
        }
        let resolutions: String = hits
            .iter()
            .map(|u| {
                let mailbox = format!(
                    "<t:Mailbox><t:Name>{}</t:Name><t:EmailAddress>{}</t:EmailAddress><t:RoutingType>SMTP</t:RoutingType><t:MailboxType>Mailbox</t:MailboxType></t:Mailbox>",
                    escape(&u.display_name),
                    escape(&u.primary_smtp)
                );
                let contact = if full {
                    format!(
                        r#"<t:Contact><t:DisplayName>{}</t:DisplayName><t:EmailAddresses><t:Entry Key="EmailAddress1">SMTP:{}</t:Entry></t:EmailAddresses></t:Contact>"#,
                        escape(&u.display_name),
                        escape(&u.primary_smtp)
                    )
                } else {
                    String::new()
                };
                format!("<t:Resolution>{mailbox}{contact}</t:Resolution>")
            })
            .collect();
        let set = format!(
            r#"<m:ResolutionSet TotalItemsInView="{}" IncludesLastItemInRange="true">{resolutions}</m:ResolutionSet>"#,
            hits.len()
        );
        messages.push(if hits.len() == 1 {
            success("ResolveNames", &set)
        } else {
            error(
                "ResolveNames",
                "Warning",
                "ErrorNameResolutionMultipleResults",
                "Multiple results were found.",
                &set,
            )
        });
    }
    response("ResolveNames", &messages)
}
