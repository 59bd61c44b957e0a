//! `m:ResolveNames`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct ResolveNames {
    pub return_full_contact_data: bool,
    pub unresolved_entries: Vec<String>,
}

impl OperationBody for ResolveNames {
    fn parse(op: &Element) -> Result<ResolveNames, EwsError> {
        Ok(ResolveNames {
            return_full_contact_data: op
                .attr("ReturnFullContactData")
                .and_then(parse_bool)
                .unwrap_or(false),
            unresolved_entries: op
                .children_named("UnresolvedEntry")
                .map(|e| e.text())
                .collect(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let ResolveNames {
            return_full_contact_data,
            unresolved_entries,
        } = self;
        w.open(
            element,
            &[(
                "ReturnFullContactData",
                if *return_full_contact_data {
                    "true"
                } else {
                    "false"
                },
            )],
        );
        for e in unresolved_entries {
            w.leaf("m:UnresolvedEntry", e);
        }
        w.close(element);
    }
}
