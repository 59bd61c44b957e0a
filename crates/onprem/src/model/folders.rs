//! What the folder and regional-configuration cmdlets answer: folder statistics, items as the
//! admin reads them, and a mailbox's regional configuration.

use serde::{Deserialize, Serialize};

/// One folder of Get-MailboxFolderStatistics.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FolderStatistics {
    pub name: String,
    pub folder_path: String,
    pub folder_type: String,
    pub items_in_folder: i64,
    /// As Exchange prints it: `1.2 KB (1,234 bytes)`.
    pub folder_size: String,
    pub identity: String,
    /// With -IncludeOldestAndNewestItems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oldest_item_received_date: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newest_item_received_date: Option<Option<String>>,
}

/// One item of Get-MailboxFolderItem or Get-RecoverableItems, newest first.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct FolderItem {
    pub subject: String,
    pub item_class: String,
    pub received_time: String,
    pub last_modified_time: String,
    pub size: i64,
    pub is_read: bool,
    pub folder_path: String,
    /// The body's first characters as one line of text.
    pub body_preview: String,
    pub identity: String,
    /// Get-RecoverableItems' -SourceFolder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_folder: Option<String>,
}

/// Get-MailboxRegionalConfiguration's output.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RegionalConfiguration {
    pub identity: String,
    pub language: Option<String>,
    pub date_format: Option<String>,
    pub time_format: Option<String>,
    pub time_zone: Option<String>,
    pub default_folder_name_matching_user_language: bool,
}
