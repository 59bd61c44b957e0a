//! `m:Subscribe`: a pull, push or streaming subscription to a mailbox's events.

use super::*;
use crate::notification::EventType;

/// How the subscriber will read its events.
#[derive(Debug, Clone, PartialEq)]
pub enum SubscriptionRequest {
    /// `m:PullSubscriptionRequest`: GetEvents within `timeout` minutes of each other.
    Pull {
        watermark: Option<String>,
        timeout: u32,
    },
    /// `m:PushSubscriptionRequest`: the server posts to `url`, at least every
    /// `status_frequency` minutes.
    Push {
        watermark: Option<String>,
        status_frequency: u32,
        url: String,
        caller_data: Option<String>,
    },
    /// `m:StreamingSubscriptionRequest`: read with GetStreamingEvents.
    Streaming,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Subscribe {
    pub request: SubscriptionRequest,
    /// `SubscribeToAllFolders`: every folder of the mailbox (then `folder_ids` is empty).
    pub all_folders: bool,
    pub folder_ids: Vec<FolderRef>,
    pub event_types: Vec<EventType>,
}

impl OperationBody for Subscribe {
    fn parse(op: &Element) -> Result<Subscribe, EwsError> {
        let el = op
            .elements()
            .find(|e| e.name.ends_with("SubscriptionRequest"))
            .ok_or_else(|| bad("Subscribe needs a pull, push or streaming subscription request"))?;
        let minutes = |name: &str| {
            el.child_text(name)
                .map(|t| t.trim().parse::<u32>())
                .transpose()
                .map_err(|_| bad(format!("{name} must be a whole number of minutes")))
        };
        let watermark = el.child_text("Watermark").filter(|w| !w.trim().is_empty());
        let request = match el.name.as_str() {
            "PullSubscriptionRequest" => SubscriptionRequest::Pull {
                watermark,
                timeout: minutes("Timeout")?.ok_or_else(|| bad("Timeout is missing"))?,
            },
            "PushSubscriptionRequest" => SubscriptionRequest::Push {
                watermark,
                status_frequency: minutes("StatusFrequency")?
                    .ok_or_else(|| bad("StatusFrequency is missing"))?,
                url: el.child_text("URL").ok_or_else(|| bad("URL is missing"))?,
                caller_data: el.child_text("CallerData"),
            },
            "StreamingSubscriptionRequest" => SubscriptionRequest::Streaming,
            other => return Err(bad(format!("'{other}' is not a subscription request"))),
        };
        let mut event_types = Vec::new();
        for t in el
            .child("EventTypes")
            .ok_or_else(|| bad("EventTypes is missing"))?
            .children_named("EventType")
        {
            let text = t.text();
            match EventType::parse(&text) {
                Some(k) if k != EventType::Status => event_types.push(k),
                _ => return Err(bad(format!("'{}' is not an event type", text.trim()))),
            }
        }
        Ok(Subscribe {
            request,
            all_folders: el
                .attr("SubscribeToAllFolders")
                .and_then(parse_bool)
                .unwrap_or(false),
            folder_ids: FolderRef::parse_all(el.child("FolderIds")),
            event_types,
        })
    }

    fn write(&self, w: &mut Writer, element: &str) {
        let name = match self.request {
            SubscriptionRequest::Pull { .. } => "m:PullSubscriptionRequest",
            SubscriptionRequest::Push { .. } => "m:PushSubscriptionRequest",
            SubscriptionRequest::Streaming => "m:StreamingSubscriptionRequest",
        };
        w.open(element, &[]);
        let attrs: &[(&str, &str)] = if self.all_folders {
            &[("SubscribeToAllFolders", "true")]
        } else {
            &[]
        };
        w.open(name, attrs);
        if !self.folder_ids.is_empty() {
            write_folder_refs(w, "t:FolderIds", &self.folder_ids);
        }
        w.open("t:EventTypes", &[]);
        for t in &self.event_types {
            w.leaf("t:EventType", t.element());
        }
        w.close("t:EventTypes");
        match &self.request {
            SubscriptionRequest::Pull { watermark, timeout } => {
                w.opt_leaf("t:Watermark", watermark.as_deref());
                w.leaf("t:Timeout", &timeout.to_string());
            }
            SubscriptionRequest::Push {
                watermark,
                status_frequency,
                url,
                caller_data,
            } => {
                w.opt_leaf("t:Watermark", watermark.as_deref());
                w.leaf("t:StatusFrequency", &status_frequency.to_string());
                w.leaf("t:URL", url);
                w.opt_leaf("t:CallerData", caller_data.as_deref());
            }
            SubscriptionRequest::Streaming => {}
        }
        w.close(name);
        w.close(element);
    }
}
