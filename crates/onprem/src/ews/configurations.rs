//! GetUserConfiguration, CreateUserConfiguration, UpdateUserConfiguration and
//! DeleteUserConfiguration: EWS's user configurations and the mailbox's, both ways.

use super::context::{Context, message};
use ews::{
    DictionaryEntry, DictionaryObject, FolderRef, ItemId, Payload, ResponseMessage,
    UserConfiguration, UserConfigurationName,
};
use mailbox::{
    Configuration, ConfigurationEntry, ConfigurationParts, ConfigurationValue, MailboxError,
};
use store::FolderRow;

/// The folder a configuration lives in. The folder a request names is checked first (a
/// DistinguishedFolderId naming another mailbox, a folder that does not exist), then the
/// configuration's name, then that a folder is named at all, as Exchange answers them.
fn folder<'c>(
    ctx: &'c Context<'_>,
    name: &UserConfigurationName,
) -> Result<&'c FolderRow, (ews::ResponseCode, String)> {
    let found = name.folder.as_ref().map(|f| ctx.folder(f));
    if let Some(Err(refused)) = found {
        return Err(refused);
    }
    let refuse = |e: MailboxError| (super::context::response_code(&e), e.to_string());
    if !mailbox::valid_name(&name.name) {
        return Err(refuse(MailboxError::InvalidConfigurationName(
            name.name.clone(),
        )));
    }
    match found {
        Some(Ok(f)) => Ok(f),
        _ => Err(refuse(MailboxError::InvalidRequest(
            "The user configuration names no folder.".into(),
        ))),
    }
}

/// Which parts `UserConfigurationProperties` asks for (`All`, `Id`, `Dictionary`, `XmlData`,
/// `BinaryData`, space- or comma-separated).
fn parts(properties: &str) -> ConfigurationParts {
    let wants = |part: &str| {
        properties
            .split([' ', ','])
            .any(|w| w == "All" || w == part)
    };
    ConfigurationParts {
        id: wants("Id"),
        dictionary: wants("Dictionary"),
        xml_data: wants("XmlData"),
        binary_data: wants("BinaryData"),
    }
}

/// How the answer names the folder: by its distinguished name when it has one EWS knows.
fn folder_ref(folder: &FolderRow) -> FolderRef {
    match &folder.distinguished {
        Some(d) if mailbox::is_ews_distinguished(d) => FolderRef::distinguished(d),
        _ => FolderRef::Id(ItemId::new(
            &folder.id,
            mailbox::change_key(&folder.id, folder.version),
        )),
    }
}

fn value_to_mailbox(o: &DictionaryObject) -> ConfigurationValue {
    ConfigurationValue {
        value_type: o.value_type.clone(),
        values: o.values.clone(),
    }
}

fn value_to_ews(v: ConfigurationValue) -> DictionaryObject {
    DictionaryObject {
        value_type: v.value_type,
        values: v.values,
    }
}

/// The parts of an EWS configuration, in the mailbox's terms.
pub(crate) fn to_mailbox(cfg: &UserConfiguration) -> Configuration {
    Configuration {
        dictionary: cfg.dictionary.as_ref().map(|d| {
            d.iter()
                .map(|e| ConfigurationEntry {
                    key: value_to_mailbox(&e.key),
                    value: e.value.as_ref().map(value_to_mailbox),
                })
                .collect()
        }),
        xml_data: cfg.xml_data.clone(),
        binary_data: cfg.binary_data.clone(),
    }
}

pub async fn get(
    ctx: &Context<'_>,
    name: &UserConfigurationName,
    properties: &str,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let f = match folder(ctx, name) {
        Ok(f) => f,
        Err(r) => return Ok(vec![super::context::refusal(r)]),
    };
    let wanted = parts(properties);
    let r = ctx.mbox.get_configuration(f, &name.name, wanted).await;
    let r = r.map(|c| {
        Payload::UserConfiguration(UserConfiguration {
            name: UserConfigurationName::new(&c.name, folder_ref(f)),
            item_id: wanted
                .id
                .then(|| ItemId::new(&c.id, mailbox::change_key(&c.id, c.version))),
            dictionary: c.parts.dictionary.map(|d| {
                d.into_iter()
                    .map(|e| DictionaryEntry {
                        key: value_to_ews(e.key),
                        value: e.value.map(value_to_ews),
                    })
                    .collect()
            }),
            xml_data: c.parts.xml_data,
            binary_data: c.parts.binary_data,
        })
    });
    Ok(vec![message(r)?])
}

pub async fn create(
    ctx: &Context<'_>,
    cfg: &UserConfiguration,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let f = match folder(ctx, &cfg.name) {
        Ok(f) => f,
        Err(r) => return Ok(vec![super::context::refusal(r)]),
    };
    let r = ctx
        .mbox
        .create_configuration(f, &cfg.name.name, &to_mailbox(cfg))
        .await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}

pub async fn update(
    ctx: &Context<'_>,
    cfg: &UserConfiguration,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let f = match folder(ctx, &cfg.name) {
        Ok(f) => f,
        Err(r) => return Ok(vec![super::context::refusal(r)]),
    };
    let r = ctx
        .mbox
        .update_configuration(f, &cfg.name.name, &to_mailbox(cfg))
        .await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}

pub async fn delete(
    ctx: &Context<'_>,
    name: &UserConfigurationName,
) -> Result<Vec<ResponseMessage>, MailboxError> {
    let f = match folder(ctx, name) {
        Ok(f) => f,
        Err(r) => return Ok(vec![super::context::refusal(r)]),
    };
    let r = ctx.mbox.delete_configuration(f, &name.name).await;
    Ok(vec![message(r.map(|_| Payload::None))?])
}

/// Carries user configurations whose dictionary the first release stored as a `t:Dictionary`
/// fragment forward to the mailbox's own form, once, at start. Returns how many it carried.
pub async fn upgrade_stored(store: &store::Store) -> Result<usize, store::StoreError> {
    let repo = store.mailboxes();
    let mut upgraded = 0;
    loop {
        let batch = repo.legacy_user_configurations(500).await?;
        if batch.is_empty() {
            return Ok(upgraded);
        }
        for mut row in batch {
            let legacy = row.dictionary.as_deref().unwrap_or_default();
            row.dictionary = Some(mailbox::encode_dictionary(
                &legacy_dictionary(legacy).unwrap_or_default(),
            ));
            repo.update_user_configuration(&row).await?;
            upgraded += 1;
        }
    }
}

/// The first release's dictionary fragment, in the mailbox's terms.
fn legacy_dictionary(text: &str) -> Option<Vec<ConfigurationEntry>> {
    let dictionary = UserConfiguration::fragment_dictionary(text)?;
    to_mailbox(&UserConfiguration {
        name: UserConfigurationName::new("x", FolderRef::distinguished("root")),
        item_id: None,
        dictionary: Some(dictionary),
        xml_data: None,
        binary_data: None,
    })
    .dictionary
}
