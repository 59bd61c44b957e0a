//! `m:GetStreamingEvents`: one long response carrying streaming subscriptions' events as they
//! happen.

use super::*;

#[derive(Debug, Clone, PartialEq)]
pub struct GetStreamingEvents {
    pub subscription_ids: Vec<String>,
    /// Minutes the connection stays open (1 to 30).
    pub connection_timeout: u32,
}

impl OperationBody for GetStreamingEvents {
    fn parse(op: &Element) -> Result<GetStreamingEvents, EwsError> {
        let subscription_ids: Vec<String> = op
            .child("SubscriptionIds")
            .into_iter()
            .flat_map(|c| c.children_named("SubscriptionId"))
            .map(|s| s.text().trim().to_string())
            .collect();
        if subscription_ids.is_empty() {
            return Err(bad("SubscriptionIds needs at least one SubscriptionId"));
        }
        let connection_timeout = op
            .child_text("ConnectionTimeout")
            .ok_or_else(|| bad("ConnectionTimeout is missing"))?
            .trim()
            .parse()
            .map_err(|_| bad("ConnectionTimeout must be a whole number of minutes"))?;
        Ok(GetStreamingEvents {
            subscription_ids,
            connection_timeout,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        w.open(element, &[]);
        w.open("m:SubscriptionIds", &[]);
        for id in &self.subscription_ids {
            w.leaf("t:SubscriptionId", id);
        }
        w.close("m:SubscriptionIds");
        w.leaf("m:ConnectionTimeout", &self.connection_timeout.to_string());
        w.close(element);
    }
}
