//! User configurations (folder-associated configuration objects such as a voicemail greeting's
//! Um.CustomGreetings.External): typed dictionaries, XML and binary data, by name per folder.

use crate::MailboxError;
use crate::item::change_key;
use crate::service::Mailbox;
use ews::{DictionaryEntry, FolderRef, UserConfiguration, UserConfigurationName};
use store::{FolderRow, StoreError, UserConfigurationRow};

/// Exchange's rules for a name: under 237 characters of [A-Za-z0-9.], not IPM.Configuration….
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 237
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !n.starts_with("IPM.Configuration")
}

fn encode(d: &Option<Vec<DictionaryEntry>>) -> Option<String> {
    d.as_ref()
        .map(|d| serde_json::to_string(d).unwrap_or_else(|_| "[]".into()))
}

/// The stored dictionary: JSON, or the first release's `t:Dictionary` fragment.
fn decode(text: &str) -> Option<Vec<DictionaryEntry>> {
    if text.starts_with('<') {
        let wrapped = format!(
            r#"<w xmlns:t="{}"><t:UserConfigurationName Name="x"/>{text}</w>"#,
            ews::NS_TYPES
        );
        let el = ews::xml::parse(&wrapped).ok()?;
        return UserConfiguration::parse(&el).ok()?.dictionary;
    }
    serde_json::from_str(text).ok()
}

/// Which parts GetUserConfiguration asks for (`All`, `Id`, `Dictionary`, `XmlData`, `BinaryData`).
fn wants(properties: &str, part: &str) -> bool {
    properties
        .split([' ', ','])
        .any(|w| w == "All" || w == part)
}

impl Mailbox {
    fn configuration_folder(
        &self,
        name: &UserConfigurationName,
    ) -> Result<FolderRow, MailboxError> {
        if !valid_name(&name.name) {
            return Err(MailboxError::InvalidConfigurationName(name.name.clone()));
        }
        match &name.folder {
            Some(f) => self.resolve(f).cloned(),
            None => Err(MailboxError::InvalidRequest(
                "The user configuration names no folder.".into(),
            )),
        }
    }

    fn folder_ref(folder: &FolderRow) -> FolderRef {
        match &folder.distinguished {
            Some(d) if crate::tree::is_ews_distinguished(d) => FolderRef::distinguished(d),
            _ => FolderRef::Id(ews::ItemId::new(&folder.id, change_key(folder.version))),
        }
    }

    pub async fn get_configuration(
        &self,
        name: &UserConfigurationName,
        properties: &str,
    ) -> Result<UserConfiguration, MailboxError> {
        let folder = self.configuration_folder(name)?;
        let row = self
            .store_ref()
            .mailboxes()
            .user_configuration(&folder.id, &name.name)
            .await?
            .ok_or(MailboxError::ItemNotFound)?;
        Ok(UserConfiguration {
            name: UserConfigurationName::new(&row.name, Self::folder_ref(&folder)),
            item_id: wants(properties, "Id")
                .then(|| ews::ItemId::new(&row.id, change_key(row.version))),
            dictionary: row
                .dictionary
                .as_deref()
                .filter(|_| wants(properties, "Dictionary"))
                .and_then(decode),
            xml_data: row.xml_data.filter(|_| wants(properties, "XmlData")),
            binary_data: row.binary_data.filter(|_| wants(properties, "BinaryData")),
        })
    }

    pub async fn create_configuration(&self, c: &UserConfiguration) -> Result<(), MailboxError> {
        let folder = self.configuration_folder(&c.name)?;
        let row = UserConfigurationRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            mailbox: self.guid().to_string(),
            folder_id: folder.id.clone(),
            name: c.name.name.clone(),
            dictionary: encode(&c.dictionary),
            xml_data: c.xml_data.clone(),
            binary_data: c.binary_data.clone(),
            version: 1,
        };
        match self
            .store_ref()
            .mailboxes()
            .create_user_configuration(&row)
            .await
        {
            Ok(()) => Ok(()),
            Err(StoreError::Duplicate { .. }) => {
                Err(MailboxError::DuplicateConfiguration(c.name.name.clone()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the parts that are given; parts left out stay as they were.
    pub async fn update_configuration(&self, c: &UserConfiguration) -> Result<(), MailboxError> {
        let folder = self.configuration_folder(&c.name)?;
        let repo = self.store_ref().mailboxes();
        let mut row = repo
            .user_configuration(&folder.id, &c.name.name)
            .await?
            .ok_or(MailboxError::ItemNotFound)?;
        if c.dictionary.is_some() {
            row.dictionary = encode(&c.dictionary);
        }
        if c.xml_data.is_some() {
            row.xml_data = c.xml_data.clone();
        }
        if c.binary_data.is_some() {
            row.binary_data = c.binary_data.clone();
        }
        match repo.update_user_configuration(&row).await {
            Ok(()) => Ok(()),
            Err(StoreError::Conflict { .. }) => Err(MailboxError::Conflict(
                "The user configuration changed meanwhile; retry.",
            )),
            Err(e) => Err(e.into()),
        }
    }

    pub async fn delete_configuration(
        &self,
        name: &UserConfigurationName,
    ) -> Result<(), MailboxError> {
        let folder = self.configuration_folder(name)?;
        let repo = self.store_ref().mailboxes();
        let row = repo
            .user_configuration(&folder.id, &name.name)
            .await?
            .ok_or(MailboxError::ItemNotFound)?;
        repo.delete_user_configuration(&row.id).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_legacy_dictionaries() {
        assert!(valid_name("Um.CustomGreetings.External"));
        assert!(!valid_name("IPM.Configuration.X"));
        assert!(!valid_name("bad name"));
        let legacy = "<t:Dictionary><t:DictionaryEntry><t:DictionaryKey><t:Type>String</t:Type><t:Value>k</t:Value></t:DictionaryKey><t:DictionaryValue><t:Type>Boolean</t:Type><t:Value>true</t:Value></t:DictionaryValue></t:DictionaryEntry></t:Dictionary>";
        let d = decode(legacy).unwrap();
        assert_eq!(d[0].key.values, vec!["k"]);
        assert_eq!(decode(&encode(&Some(d.clone())).unwrap()).unwrap(), d);
    }
}
