//! User configurations (folder-associated configuration objects such as a voicemail greeting's
//! Um.CustomGreetings.External): Get, Create, Update and Delete.

use super::Caller;
use super::render::{MailboxView, change_key, fragment, normalize_bool};
use crate::server::OnPremState;
use ews::soap::{error, response, success};
use ews::xml::escape;
use ews::{Element, Node};
use store::{FolderRow, StoreError, UserConfigurationRow};

/// Exchange's rules for a name: under 237 characters of [A-Za-z0-9.], not IPM.Configuration….
fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 237
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !n.starts_with("IPM.Configuration")
}

/// Boolean dictionary keys and values as `true`/`false`.
fn normalize_dictionary(d: &mut Element) {
    for entry in d.children.iter_mut() {
        let Node::Element(entry) = entry else {
            continue;
        };
        for part in entry.children.iter_mut() {
            let Node::Element(part) = part else { continue };
            if part.child_text("Type").as_deref() != Some("Boolean") {
                continue;
            }
            for v in part.children.iter_mut() {
                if let Node::Element(v) = v
                    && v.name == "Value"
                    && let Some(b) = normalize_bool(&v.text())
                {
                    v.children = vec![Node::Text(b.into())];
                }
            }
        }
    }
}

fn name_xml(name: &str, folder: &FolderRow) -> String {
    let folder_ref = match &folder.distinguished {
        Some(d) => format!(r#"<t:DistinguishedFolderId Id="{d}"/>"#),
        None => format!(
            r#"<t:FolderId Id="{}" ChangeKey="{}"/>"#,
            folder.id,
            change_key(folder.version)
        ),
    };
    format!(
        r#"<t:UserConfigurationName Name="{}">{folder_ref}</t:UserConfigurationName>"#,
        escape(name)
    )
}

pub async fn handle(state: &OnPremState, c: &Caller, op: &Element) -> Result<String, StoreError> {
    let name = op.name.as_str();
    let holder = match name {
        "CreateUserConfiguration" | "UpdateUserConfiguration" => op.child("UserConfiguration"),
        _ => Some(op),
    };
    let cfg_name_el = holder.and_then(|h| h.child("UserConfigurationName"));
    let view = MailboxView::load(state, c).await?;
    let msg = |r: Result<String, (&'static str, String)>| match r {
        Ok(payload) => success(name, &payload),
        Err((code, text)) => error(name, "Error", code, &text, ""),
    };
    let Some(name_el) = cfg_name_el else {
        return Ok(response(
            name,
            &[msg(Err((
                "ErrorInvalidRequest",
                "UserConfigurationName is missing.".into(),
            )))],
        ));
    };
    let cfg_name = name_el.attr("Name").unwrap_or("").to_string();
    if !valid_name(&cfg_name) {
        return Ok(response(
            name,
            &[msg(Err((
                "ErrorInvalidRequest",
                format!("'{cfg_name}' is not a valid user configuration name."),
            )))],
        ));
    }
    let folder = match name_el.elements().next().map(|f| view.resolve(state, c, f)) {
        Some(Ok(f)) => f.clone(),
        Some(Err(e)) => return Ok(response(name, &[msg(Err(e))])),
        None => {
            return Ok(response(
                name,
                &[msg(Err((
                    "ErrorInvalidRequest",
                    "The user configuration names no folder.".into(),
                )))],
            ));
        }
    };
    let repo = state.store.mailboxes();
    let existing = repo.user_configuration(&folder.id, &cfg_name).await?;
    let not_found = || {
        Err((
            "ErrorItemNotFound",
            "The specified object was not found in the store.".to_string(),
        ))
    };
    let parts = |h: &Element| {
        let dict = h.child("Dictionary").map(|d| {
            let mut d = d.clone();
            normalize_dictionary(&mut d);
            fragment(&d)
        });
        (dict, h.child_text("XmlData"), h.child_text("BinaryData"))
    };
    let result = match name {
        "GetUserConfiguration" => match existing {
            None => not_found(),
            Some(row) => {
                let wanted = op
                    .child_text("UserConfigurationProperties")
                    .unwrap_or_else(|| "All".into());
                let has = |p: &str| wanted.split([' ', ',']).any(|w| w == "All" || w == p);
                let mut x = format!("<m:UserConfiguration>{}", name_xml(&row.name, &folder));
                if has("Id") {
                    x.push_str(&format!(
                        r#"<t:ItemId Id="{}" ChangeKey="{}"/>"#,
                        row.id,
                        change_key(row.version)
                    ));
                }
                if has("Dictionary")
                    && let Some(d) = &row.dictionary
                {
                    x.push_str(d);
                }
                if has("XmlData")
                    && let Some(d) = &row.xml_data
                {
                    x.push_str(&format!("<t:XmlData>{}</t:XmlData>", escape(d)));
                }
                if has("BinaryData")
                    && let Some(d) = &row.binary_data
                {
                    x.push_str(&format!("<t:BinaryData>{}</t:BinaryData>", escape(d)));
                }
                x.push_str("</m:UserConfiguration>");
                Ok(x)
            }
        },
        "CreateUserConfiguration" => {
            let (dictionary, xml_data, binary_data) = parts(holder.expect("present"));
            let row = UserConfigurationRow {
                id: uuid::Uuid::new_v4().simple().to_string(),
                mailbox: c.mailbox.guid.clone(),
                folder_id: folder.id.clone(),
                name: cfg_name.clone(),
                dictionary,
                xml_data,
                binary_data,
                version: 1,
            };
            match repo.create_user_configuration(&row).await {
                Ok(()) => Ok(String::new()),
                Err(StoreError::Duplicate { .. }) => Err((
                    "ErrorItemSave",
                    format!(
                        "A user configuration named '{cfg_name}' already exists in this folder."
                    ),
                )),
                Err(e) => return Err(e),
            }
        }
        "UpdateUserConfiguration" => match existing {
            None => not_found(),
            Some(mut row) => {
                let (dictionary, xml_data, binary_data) = parts(holder.expect("present"));
                // Parts left out stay as they were.
                if dictionary.is_some() {
                    row.dictionary = dictionary;
                }
                if xml_data.is_some() {
                    row.xml_data = xml_data;
                }
                if binary_data.is_some() {
                    row.binary_data = binary_data;
                }
                match repo.update_user_configuration(&row).await {
                    Ok(()) => Ok(String::new()),
                    Err(StoreError::Conflict { .. }) => Err((
                        "ErrorIrresolvableConflict",
                        "The user configuration changed meanwhile; retry.".into(),
                    )),
                    Err(e) => return Err(e),
                }
            }
        },
        _ => match existing {
            None => not_found(),
            Some(row) => {
                repo.delete_user_configuration(&row.id).await?;
                Ok(String::new())
            }
        },
    };
    Ok(response(name, &[msg(result)]))
}
