//! ResolveNames over the organization's recipients: by name, display name, address prefix or
//! address.

use crate::state::OnPremState;
use ews::{Contact, EmailAddress, Payload, Resolution, ResponseMessage, RootFolder};

pub fn resolve_names(state: &OnPremState, entries: &[String], full: bool) -> Vec<ResponseMessage> {
    let trust = state.trust();
    entries
        .iter()
        .map(|entry| {
            let q = entry.trim().to_lowercase();
            let q = q.strip_prefix("smtp:").unwrap_or(&q).to_string();
            let hits: Vec<Resolution> = trust
                .users
                .iter()
                .filter(|u| {
                    !q.is_empty()
                        && (u.primary_smtp.to_lowercase().starts_with(&q)
                            || u.name.to_lowercase().starts_with(&q)
                            || u.display_name.to_lowercase().starts_with(&q)
                            || u.has_address(&q))
                })
                .map(|u| Resolution {
                    mailbox: EmailAddress {
                        name: Some(u.display_name.clone()),
                        email_address: u.primary_smtp.clone(),
                        routing_type: "SMTP".into(),
                        mailbox_type: "Mailbox".into(),
                    },
                    contact: full.then(|| Contact {
                        display_name: u.display_name.clone(),
                        email_addresses: vec![(
                            "EmailAddress1".into(),
                            format!("SMTP:{}", u.primary_smtp),
                        )],
                    }),
                })
                .collect();
            let n = hits.len();
            let set = Payload::Resolutions(RootFolder {
                indexed_paging_offset: 0,
                total_items_in_view: n,
                includes_last_item_in_range: true,
                entries: hits,
            });
            match n {
                0 => ResponseMessage::error(
                    ews::ResponseCode::ErrorNameResolutionNoResults,
                    "No results were found.",
                ),
                1 => ResponseMessage::success(set),
                _ => ResponseMessage::warning(
                    ews::ResponseCode::ErrorNameResolutionMultipleResults,
                    "Multiple results were found.",
                    set,
                ),
            }
        })
        .collect()
}
