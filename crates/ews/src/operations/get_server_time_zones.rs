//! `m:GetServerTimeZones`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetServerTimeZones {
    /// `@ReturnFullTimeZoneData` (default true): periods and transitions, or ids and names.
    pub return_full_data: bool,
    /// `m:Ids/t:Id`: the zones asked for; empty for every zone the server knows.
    pub ids: Vec<String>,
}

impl OperationBody for GetServerTimeZones {
    fn parse(op: &Element) -> Result<GetServerTimeZones, EwsError> {
        Ok(GetServerTimeZones {
            return_full_data: op
                .attr("ReturnFullTimeZoneData")
                .and_then(parse_bool)
                .unwrap_or(true),
            ids: op
                .child("Ids")
                .map(|i| {
                    i.children_named("Id")
                        .map(|id| id.text().trim().to_string())
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetServerTimeZones {
            return_full_data,
            ids,
        } = self;
        w.open(
            element,
            &[("ReturnFullTimeZoneData", bool_text(*return_full_data))],
        );
        if !ids.is_empty() {
            w.open("m:Ids", &[]);
            ids.iter().for_each(|id| w.leaf("t:Id", id));
            w.close("m:Ids");
        }
        w.close(element);
    }
}
