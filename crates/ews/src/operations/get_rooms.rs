//! `m:GetRooms`.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetRooms {
    pub room_list: EmailAddress,
}

impl OperationBody for GetRooms {
    const RESPONSE: ResponseForm = ResponseForm::Single;

    fn parse(op: &Element) -> Result<GetRooms, EwsError> {
        Ok(GetRooms {
            room_list: op
                .child("RoomList")
                .map(EmailAddress::parse)
                .unwrap_or_default(),
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let GetRooms { room_list } = self;
        w.open(element, &[]);
        room_list.write(w, "m:RoomList");
        w.close(element);
    }
}
