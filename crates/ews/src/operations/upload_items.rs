//! `m:UploadItems`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct UploadItems {
    pub items: Vec<UploadItem>,
}

impl OperationBody for UploadItems {
    fn parse(op: &Element) -> Result<UploadItems, EwsError> {
        Ok(UploadItems {
            items: op
                .child("Items")
                .into_iter()
                .flat_map(|i| i.children_named("Item"))
                .map(UploadItem::parse)
                .collect(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let UploadItems { items } = self;
        w.open(element, &[]);
        w.open("m:Items", &[]);
        items.iter().for_each(|i| i.write(w));
        w.close("m:Items");
        w.close(element);
    }
}

/// One `t:Item` of UploadItems: where it goes, how, and the data ExportItems gave.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UploadItem {
    /// `CreateNew`, `Update` or `UpdateOrCreate`.
    pub create_action: String,
    pub is_associated: bool,
    pub parent_folder_id: Option<FolderId>,
    pub item_id: Option<ItemId>,
    pub data: String,
}

impl UploadItem {
    fn parse(el: &Element) -> UploadItem {
        UploadItem {
            create_action: el.attr("CreateAction").unwrap_or("CreateNew").to_string(),
            is_associated: el
                .attr("IsAssociated")
                .and_then(parse_bool)
                .unwrap_or(false),
            parent_folder_id: el.child("ParentFolderId").map(ItemId::parse),
            item_id: el.child("ItemId").map(ItemId::parse),
            data: el
                .child_text("Data")
                .map(|d| d.split_whitespace().collect())
                .unwrap_or_default(),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.open(
            "t:Item",
            &[
                ("CreateAction", &self.create_action),
                ("IsAssociated", bool_text(self.is_associated)),
            ],
        );
        if let Some(p) = &self.parent_folder_id {
            p.write(w, "t:ParentFolderId");
        }
        if let Some(i) = &self.item_id {
            i.write(w, "t:ItemId");
        }
        w.leaf("t:Data", &self.data);
        w.close("t:Item");
    }
}
