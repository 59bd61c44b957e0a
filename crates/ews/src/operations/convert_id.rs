//! `m:ConvertId`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ConvertId {
    pub destination_format: String,
    pub source_ids: Vec<AlternateId>,
}

impl OperationBody for ConvertId {
    fn parse(op: &Element) -> Result<ConvertId, EwsError> {
        Ok(ConvertId {
            destination_format: attr(op, "DestinationFormat").unwrap_or_default(),
            source_ids: op
                .child("SourceIds")
                .into_iter()
                .flat_map(|s| s.elements())
                .map(|a| AlternateId {
                    format: a.attr("Format").unwrap_or("").into(),
                    id: a.attr("Id").unwrap_or("").into(),
                    mailbox: a.attr("Mailbox").unwrap_or("").into(),
                })
                .collect(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let ConvertId {
            destination_format,
            source_ids,
        } = self;
        w.open(element, &[("DestinationFormat", destination_format)]);
        w.open("m:SourceIds", &[]);
        for a in source_ids {
            w.empty(
                "t:AlternateId",
                &[
                    ("Format", &a.format),
                    ("Id", &a.id),
                    ("Mailbox", &a.mailbox),
                ],
            );
        }
        w.close("m:SourceIds");
        w.close(element);
    }
}

/// `t:AlternateId` of ConvertId.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlternateId {
    pub format: String,
    pub id: String,
    pub mailbox: String,
}
