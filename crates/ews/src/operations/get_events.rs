//! `m:GetEvents`: a pull subscription's events after a watermark.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetEvents {
    pub subscription_id: String,
    pub watermark: String,
}

impl OperationBody for GetEvents {
    fn parse(op: &Element) -> Result<GetEvents, EwsError> {
        Ok(GetEvents {
            subscription_id: op
                .child_text("SubscriptionId")
                .ok_or_else(|| bad("SubscriptionId is missing"))?,
            watermark: op
                .child_text("Watermark")
                .ok_or_else(|| bad("Watermark is missing"))?,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        w.leaf("m:SubscriptionId", &self.subscription_id);
        w.leaf("m:Watermark", &self.watermark);
        w.close(element);
    }
}
