//! `m:GetRoomLists`: no parameters.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetRoomLists;

impl OperationBody for GetRoomLists {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(_: &Element) -> Result<GetRoomLists, EwsError> {
        Ok(GetRoomLists)
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.empty(element, &[]);
    }
}
