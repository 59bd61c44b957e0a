//! `m:GetPersona`: one person, by the id FindPeople gave.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GetPersona {
    pub persona_id: String,
}

impl OperationBody for GetPersona {
    /// Exchange answers with `m:GetPersonaResponseMessage` itself as the body's element.
    const RESPONSE: ResponseForm = ResponseForm::Named("GetPersonaResponseMessage");

    fn parse(op: &Element) -> Result<GetPersona, EwsError> {
        Ok(GetPersona {
            persona_id: op
                .child("PersonaId")
                .and_then(|p| p.attr("Id"))
                .ok_or_else(|| bad("PersonaId is missing"))?
                .to_string(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        w.empty("m:PersonaId", &[("Id", &self.persona_id)]);
        w.close(element);
    }
}
