//! User configurations (folder-associated configuration objects such as a voicemail greeting's
//! Um.CustomGreetings.External): typed dictionaries, XML and binary data, by name per folder.

use crate::MailboxError;
use crate::service::Mailbox;
use serde::{Deserialize, Serialize};
use store::{FolderRow, StoreError, UserConfigurationRow};

/// Exchange's rules for a name: under 237 characters of [A-Za-z0-9.], not IPM.Configuration….
pub fn valid_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() < 237
        && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !n.starts_with("IPM.Configuration")
}

/// A typed dictionary key or value: its type (String, Integer32, Boolean, DateTime,
/// StringArray, …) and its values.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationValue {
    pub value_type: String,
    pub values: Vec<String>,
}

/// One entry of a configuration's dictionary (a key without a value is allowed).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConfigurationEntry {
    pub key: ConfigurationValue,
    pub value: Option<ConfigurationValue>,
}

/// A user configuration's parts; a part left out (None) is not given or not asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Configuration {
    pub dictionary: Option<Vec<ConfigurationEntry>>,
    pub xml_data: Option<String>,
    pub binary_data: Option<String>,
}

/// A stored configuration as read: its id and version, and the parts asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredConfiguration {
    pub id: String,
    pub version: i64,
    pub name: String,
    pub parts: Configuration,
}

/// Which parts a read asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConfigurationParts {
    pub id: bool,
    pub dictionary: bool,
    pub xml_data: bool,
    pub binary_data: bool,
}

/// The stored form of a dictionary: JSON.
pub fn encode_dictionary(d: &[ConfigurationEntry]) -> String {
    serde_json::to_string(d).unwrap_or_else(|_| "[]".into())
}

fn decode(text: &str) -> Option<Vec<ConfigurationEntry>> {
    serde_json::from_str(text).ok()
}

impl Mailbox {
    fn check_name(name: &str) -> Result<(), MailboxError> {
        if valid_name(name) {
            Ok(())
        } else {
            Err(MailboxError::InvalidConfigurationName(name.to_string()))
        }
    }

    pub async fn get_configuration(
        &self,
        folder: &FolderRow,
        name: &str,
        parts: ConfigurationParts,
    ) -> Result<StoredConfiguration, MailboxError> {
        Self::check_name(name)?;
        let row = self
            .store_ref()
            .mailboxes()
            .user_configuration(&folder.id, name)
            .await?
            .ok_or(MailboxError::ItemNotFound)?;
        Ok(StoredConfiguration {
            id: row.id,
            version: row.version,
            name: row.name,
            parts: Configuration {
                dictionary: row
                    .dictionary
                    .as_deref()
                    .filter(|_| parts.dictionary)
                    .and_then(decode),
                xml_data: row.xml_data.filter(|_| parts.xml_data),
                binary_data: row.binary_data.filter(|_| parts.binary_data),
            },
        })
    }

    pub async fn create_configuration(
        &self,
        folder: &FolderRow,
        name: &str,
        c: &Configuration,
    ) -> Result<(), MailboxError> {
        Self::check_name(name)?;
        let row = UserConfigurationRow {
            id: uuid::Uuid::new_v4().simple().to_string(),
            mailbox: self.guid().to_string(),
            folder_id: folder.id.clone(),
            name: name.to_string(),
            dictionary: c.dictionary.as_deref().map(encode_dictionary),
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
                Err(MailboxError::DuplicateConfiguration(name.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Replaces the parts that are given; parts left out stay as they were.
    pub async fn update_configuration(
        &self,
        folder: &FolderRow,
        name: &str,
        c: &Configuration,
    ) -> Result<(), MailboxError> {
        Self::check_name(name)?;
        let repo = self.store_ref().mailboxes();
        let mut row = repo
            .user_configuration(&folder.id, name)
            .await?
            .ok_or(MailboxError::ItemNotFound)?;
        if let Some(d) = &c.dictionary {
            row.dictionary = Some(encode_dictionary(d));
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
        folder: &FolderRow,
        name: &str,
    ) -> Result<(), MailboxError> {
        Self::check_name(name)?;
        let repo = self.store_ref().mailboxes();
        let row = repo
            .user_configuration(&folder.id, name)
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
    fn names_and_dictionaries() {
        assert!(valid_name("Um.CustomGreetings.External"));
        assert!(!valid_name("IPM.Configuration.X"));
        assert!(!valid_name("bad name"));
        let d = vec![ConfigurationEntry {
            key: ConfigurationValue {
                value_type: "String".into(),
                values: vec!["k".into()],
            },
            value: None,
        }];
        assert_eq!(decode(&encode_dictionary(&d)).unwrap(), d);
    }
}
