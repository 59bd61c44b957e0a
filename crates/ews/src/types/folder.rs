//! Folders.

use super::*;

/// A folder (`t:Folder`, `t:CalendarFolder`, `t:ContactsFolder`, `t:TasksFolder`, …).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Folder {
    pub kind: String,
    pub folder_id: Option<FolderId>,
    pub parent_folder_id: Option<FolderId>,
    pub folder_class: Option<String>,
    pub display_name: Option<String>,
    pub total_count: Option<i64>,
    pub child_folder_count: Option<i64>,
    pub extended: Vec<ExtendedProperty>,
    pub effective_rights: Option<EffectiveRights>,
    pub unread_count: Option<i64>,
    pub distinguished_folder_id: Option<String>,
    /// `t:PermissionSet`, kept as the client set it.
    pub permission_set: Option<Element>,
}

impl Folder {
    pub fn parse(el: &Element) -> Folder {
        let num = |n: &str| el.child_text(n).and_then(|t| t.parse().ok());
        Folder {
            kind: el.name.clone(),
            folder_id: el.child("FolderId").map(ItemId::parse),
            parent_folder_id: el.child("ParentFolderId").map(ItemId::parse),
            folder_class: el.child_text("FolderClass"),
            display_name: el.child("DisplayName").map(|d| d.text()),
            total_count: num("TotalCount"),
            child_folder_count: num("ChildFolderCount"),
            extended: el
                .children_named("ExtendedProperty")
                .filter_map(ExtendedProperty::parse)
                .collect(),
            effective_rights: el.child("EffectiveRights").map(EffectiveRights::parse),
            unread_count: num("UnreadCount"),
            distinguished_folder_id: el.child_text("DistinguishedFolderId"),
            permission_set: el.child("PermissionSet").map(|p| {
                let mut p = p.clone();
                normalize_booleans(&mut p);
                p
            }),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        let name = format!("t:{}", self.kind);
        w.open(&name, &[]);
        if let Some(id) = &self.folder_id {
            id.write(w, "t:FolderId");
        }
        if let Some(id) = &self.parent_folder_id {
            id.write(w, "t:ParentFolderId");
        }
        w.opt_leaf("t:FolderClass", self.folder_class.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        let num = |w: &mut Writer, n: &str, v: Option<i64>| {
            if let Some(v) = v {
                w.leaf(n, &v.to_string());
            }
        };
        num(w, "t:TotalCount", self.total_count);
        num(w, "t:ChildFolderCount", self.child_folder_count);
        for e in &self.extended {
            e.write(w);
        }
        if let Some(r) = &self.effective_rights {
            r.write(w);
        }
        w.opt_leaf(
            "t:DistinguishedFolderId",
            self.distinguished_folder_id.as_deref(),
        );
        if let Some(p) = &self.permission_set {
            w.element(p, "t");
        }
        num(w, "t:UnreadCount", self.unread_count);
        w.close(&name);
    }
}
