//! `m:UpdateItem`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct UpdateItem {
    pub conflict_resolution: Option<String>,
    pub message_disposition: Option<String>,
    /// For a meeting: whether its attendees are sent the update (SendToAllAndSaveCopy, ...).
    pub send_meeting_invitations_or_cancellations: Option<String>,
    pub changes: Vec<ItemChange>,
}

impl OperationBody for UpdateItem {
    fn parse(op: &Element) -> Result<UpdateItem, EwsError> {
        Ok(UpdateItem {
            conflict_resolution: attr(op, "ConflictResolution"),
            message_disposition: attr(op, "MessageDisposition"),
            send_meeting_invitations_or_cancellations: attr(
                op,
                "SendMeetingInvitationsOrCancellations",
            ),
            changes: op
                .child("ItemChanges")
                .into_iter()
                .flat_map(|c| c.children_named("ItemChange"))
                .map(|ch| ItemChange {
                    item_id: ch
                        .elements()
                        .find(|e| {
                            matches!(
                                e.name.as_str(),
                                "ItemId" | "OccurrenceItemId" | "RecurringMasterItemId"
                            )
                        })
                        .map(ItemId::parse)
                        .unwrap_or_default(),
                    updates: ItemUpdate::parse_all(ch.child("Updates")),
                })
                .collect(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let UpdateItem {
            conflict_resolution,
            message_disposition,
            send_meeting_invitations_or_cancellations,
            changes,
        } = self;
        let mut attrs = Vec::new();
        if let Some(c) = conflict_resolution {
            attrs.push(("ConflictResolution", c.as_str()));
        }
        if let Some(d) = message_disposition {
            attrs.push(("MessageDisposition", d.as_str()));
        }
        if let Some(m) = send_meeting_invitations_or_cancellations {
            attrs.push(("SendMeetingInvitationsOrCancellations", m.as_str()));
        }
        w.open(element, &attrs);
        w.open("m:ItemChanges", &[]);
        for c in changes {
            w.open("t:ItemChange", &[]);
            c.item_id.write(w, "t:ItemId");
            ItemUpdate::write_all(&c.updates, w, "t:Updates");
            w.close("t:ItemChange");
        }
        w.close("m:ItemChanges");
        w.close(element);
    }
}

/// One change of `t:Updates`.
#[derive(Debug, Clone, PartialEq)]
pub enum ItemUpdate {
    Set {
        path: Option<PropertyPath>,
        item: Item,
    },
    Append {
        path: Option<PropertyPath>,
        item: Item,
    },
    Delete {
        path: Option<PropertyPath>,
    },
    /// An element that is not an item change (answered ErrorInvalidRequest).
    Unknown(String),
}

impl ItemUpdate {
    pub(crate) fn parse_all(el: Option<&Element>) -> Vec<ItemUpdate> {
        el.into_iter()
            .flat_map(|u| u.elements())
            .map(|u| {
                let path = PropertyPath::first_in(u);
                let item = || {
                    u.elements()
                        .find(|e| PropertyPath::parse(e).is_none())
                        .map(Item::parse)
                };
                match u.name.as_str() {
                    "SetItemField" => ItemUpdate::Set {
                        path,
                        item: item().unwrap_or_default(),
                    },
                    "AppendToItemField" => ItemUpdate::Append {
                        path,
                        item: item().unwrap_or_default(),
                    },
                    "DeleteItemField" => ItemUpdate::Delete { path },
                    other => ItemUpdate::Unknown(other.to_string()),
                }
            })
            .collect()
    }

    pub(crate) fn write_all(updates: &[ItemUpdate], w: &mut Writer, name: &str) {
        if updates.is_empty() {
            w.empty(name, &[]);
            return;
        }
        w.open(name, &[]);
        for u in updates {
            let (tag, path, item) = match u {
                ItemUpdate::Set { path, item } => ("t:SetItemField", path, Some(item)),
                ItemUpdate::Append { path, item } => ("t:AppendToItemField", path, Some(item)),
                ItemUpdate::Delete { path } => ("t:DeleteItemField", path, None),
                ItemUpdate::Unknown(n) => {
                    w.empty(&format!("t:{n}"), &[]);
                    continue;
                }
            };
            w.open(tag, &[]);
            if let Some(p) = path {
                p.write(w);
            }
            if let Some(i) = item {
                i.write(w);
            }
            w.close(tag);
        }
        w.close(name);
    }
}

/// `t:ItemChange`.
#[derive(Debug, Clone, PartialEq)]
pub struct ItemChange {
    pub item_id: ItemId,
    pub updates: Vec<ItemUpdate>,
}
