//! `m:Unsubscribe`: ends a pull or streaming subscription.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct Unsubscribe {
    pub subscription_id: String,
}

impl OperationBody for Unsubscribe {
    fn parse(op: &Element) -> Result<Unsubscribe, EwsError> {
        Ok(Unsubscribe {
            subscription_id: op
                .child_text("SubscriptionId")
                .ok_or_else(|| bad("SubscriptionId is missing"))?,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        w.leaf("m:SubscriptionId", &self.subscription_id);
        w.close(element);
    }
}
