//! `t:Persona`: a person as FindPeople and GetPersona show one (a contact of the mailbox, or a
//! recipient of the organization's directory).

use crate::types::EmailAddress;
use crate::writer::Writer;
use crate::xml::Element;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Persona {
    pub id: String,
    /// `Person` or `DistributionList`.
    pub persona_type: Option<String>,
    pub creation_time: Option<String>,
    pub display_name: Option<String>,
    pub email_address: Option<EmailAddress>,
    pub email_addresses: Vec<EmailAddress>,
    pub relevance_score: Option<String>,
}

impl Persona {
    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.empty("t:PersonaId", &[("Id", &self.id)]);
        w.opt_leaf("t:PersonaType", self.persona_type.as_deref());
        w.opt_leaf("t:CreationTime", self.creation_time.as_deref());
        w.opt_leaf("t:DisplayName", self.display_name.as_deref());
        if let Some(e) = &self.email_address {
            e.write(w, "t:EmailAddress");
        }
        if !self.email_addresses.is_empty() {
            w.open("t:EmailAddresses", &[]);
            self.email_addresses
                .iter()
                .for_each(|e| e.write(w, "t:Address"));
            w.close("t:EmailAddresses");
        }
        w.opt_leaf("t:RelevanceScore", self.relevance_score.as_deref());
        w.close(name);
    }

    pub fn parse(el: &Element) -> Persona {
        Persona {
            id: el
                .child("PersonaId")
                .and_then(|p| p.attr("Id"))
                .unwrap_or("")
                .to_string(),
            persona_type: el.child_text("PersonaType"),
            creation_time: el.child_text("CreationTime"),
            display_name: el.child_text("DisplayName"),
            email_address: el.child("EmailAddress").map(EmailAddress::parse),
            email_addresses: el
                .child("EmailAddresses")
                .into_iter()
                .flat_map(|a| a.children_named("Address"))
                .map(EmailAddress::parse)
                .collect(),
            relevance_score: el.child_text("RelevanceScore"),
        }
    }
}

/// FindPeople's page: the personas, how many match in all, and where the page starts.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct People {
    pub personas: Vec<Persona>,
    pub total: u32,
    pub first_matching_row: u32,
    pub first_loaded_row: u32,
}

impl People {
    pub fn write(&self, w: &mut Writer) {
        if self.personas.is_empty() {
            w.empty("m:People", &[]);
        } else {
            w.open("m:People", &[]);
            self.personas.iter().for_each(|p| p.write(w, "m:Persona"));
            w.close("m:People");
        }
        w.leaf("m:TotalNumberOfPeopleInView", &self.total.to_string());
        w.leaf(
            "m:FirstMatchingRowIndex",
            &self.first_matching_row.to_string(),
        );
        w.leaf("m:FirstLoadedRowIndex", &self.first_loaded_row.to_string());
    }

    pub fn parse(el: &Element) -> People {
        let num = |n: &str| {
            el.child_text(n)
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0)
        };
        People {
            personas: el
                .child("People")
                .into_iter()
                .flat_map(|p| p.children_named("Persona"))
                .map(Persona::parse)
                .collect(),
            total: num("TotalNumberOfPeopleInView"),
            first_matching_row: num("FirstMatchingRowIndex"),
            first_loaded_row: num("FirstLoadedRowIndex"),
        }
    }
}
