//! Default folder names in the mailbox owner's language, as Set-MailboxRegionalConfiguration
//! -LocalizeDefaultFolderName renames them. English is the tree's own names.

use crate::tree::DISTINGUISHED;
use crate::{Mailbox, MailboxError};
use store::Store;

/// The languages whose default folder names are known here, with those names by distinguished
/// id (a folder left out keeps its name).
pub const LANGUAGES: &[(&str, &[(&str, &str)])] = &[
    (
        "da-DK",
        &[
            ("msgfolderroot", "Informationslagerets øverste niveau"),
            ("inbox", "Indbakke"),
            ("calendar", "Kalender"),
            ("contacts", "Kontaktpersoner"),
            ("deleteditems", "Slettet post"),
            ("drafts", "Kladder"),
            ("junkemail", "Uønsket e-mail"),
            ("notes", "Noter"),
            ("outbox", "Udbakke"),
            ("sentitems", "Sendt post"),
            ("tasks", "Opgaver"),
        ],
    ),
    (
        "de-DE",
        &[
            ("inbox", "Posteingang"),
            ("calendar", "Kalender"),
            ("contacts", "Kontakte"),
            ("deleteditems", "Gelöschte Elemente"),
            ("drafts", "Entwürfe"),
            ("junkemail", "Junk-E-Mail"),
            ("outbox", "Postausgang"),
            ("sentitems", "Gesendete Elemente"),
            ("tasks", "Aufgaben"),
        ],
    ),
];

/// The name of the distinguished folder `id` in `language` (`da-DK`, `da_DK` or `da`; English
/// for `en`), or None when this language's name for it is not known.
pub fn default_folder_name(id: &str, language: &str) -> Option<&'static str> {
    let lang = language.replace('_', "-").to_ascii_lowercase();
    let primary = lang.split('-').next().unwrap_or_default().to_string();
    if primary == "en" {
        return DISTINGUISHED
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.display_name);
    }
    let (_, names) = LANGUAGES.iter().find(|(l, _)| {
        let l = l.to_ascii_lowercase();
        l == lang || l.split('-').next() == Some(primary.as_str())
    })?;
    names.iter().find(|(d, _)| *d == id).map(|(_, n)| *n)
}

/// Whether default folder names are known for `language`.
pub fn is_known(language: &str) -> bool {
    default_folder_name("inbox", language).is_some()
}

/// Renames the mailbox's default folders into `language`. Every name is checked against the
/// folders beside it before any is changed, so a clash with a user's folder changes nothing.
/// Returns how many folders were renamed.
pub async fn localize_default_folders(
    store: &Store,
    guid: &str,
    language: &str,
) -> Result<usize, MailboxError> {
    if !is_known(language) {
        return Err(MailboxError::InvalidRequest(format!(
            "Default folder names in '{language}' are not known here; known: en, {}.",
            LANGUAGES
                .iter()
                .map(|(l, _)| *l)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let mailbox = Mailbox::open(store, guid).await?;
    let mut renames = Vec::new();
    for f in mailbox.folders() {
        let Some(id) = f.distinguished.as_deref() else {
            continue;
        };
        let Some(name) = default_folder_name(id, language) else {
            continue;
        };
        if f.display_name == name {
            continue;
        }
        let clash = mailbox.folders().iter().any(|o| {
            o.id != f.id && o.parent_id == f.parent_id && o.display_name.eq_ignore_ascii_case(name)
        });
        if clash {
            return Err(MailboxError::FolderExists(name.to_string()));
        }
        let mut row = f.clone();
        row.display_name = name.to_string();
        renames.push(row);
    }
    for row in &renames {
        store.mailboxes().update_folder(row).await?;
    }
    Ok(renames.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_the_language_and_its_region_spellings() {
        assert_eq!(default_folder_name("calendar", "da_DK"), Some("Kalender"));
        assert_eq!(default_folder_name("inbox", "da-dk"), Some("Indbakke"));
        assert_eq!(default_folder_name("inbox", "de"), Some("Posteingang"));
        assert_eq!(default_folder_name("inbox", "en-GB"), Some("Inbox"));
        assert_eq!(default_folder_name("notes", "de-DE"), None);
        assert_eq!(default_folder_name("inbox", "xx-YY"), None);
        assert!(is_known("en-US") && is_known("da-DK") && !is_known("fi-FI"));
    }
}
