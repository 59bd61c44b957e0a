//! `m:Notification`: a subscription's events as GetEvents, GetStreamingEvents and a push
//! subscription's SendNotification carry them.

use crate::types::{FolderId, ItemId, bool_text, parse_bool};
use crate::writer::Writer;
use crate::xml::Element;

/// The kinds of event a subscription asks for (`t:EventType`), and the status event a server
/// sends when there is nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventType {
    Copied,
    Created,
    Deleted,
    Modified,
    Moved,
    NewMail,
    FreeBusyChanged,
    Status,
}

impl EventType {
    /// The kinds a client can subscribe to.
    pub const SUBSCRIBABLE: [EventType; 7] = [
        EventType::Copied,
        EventType::Created,
        EventType::Deleted,
        EventType::Modified,
        EventType::Moved,
        EventType::NewMail,
        EventType::FreeBusyChanged,
    ];

    /// The element name of the event, which is also its `t:EventType` value.
    pub fn element(self) -> &'static str {
        match self {
            EventType::Copied => "CopiedEvent",
            EventType::Created => "CreatedEvent",
            EventType::Deleted => "DeletedEvent",
            EventType::Modified => "ModifiedEvent",
            EventType::Moved => "MovedEvent",
            EventType::NewMail => "NewMailEvent",
            EventType::FreeBusyChanged => "FreeBusyChangedEvent",
            EventType::Status => "StatusEvent",
        }
    }

    pub fn parse(name: &str) -> Option<EventType> {
        EventType::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::Status])
            .find(|e| e.element() == name.trim())
    }
}

/// What an event is about: an item or a folder, where it is, and where it was (moves, copies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventSubject {
    Item {
        id: ItemId,
        parent: FolderId,
        old: Option<(ItemId, FolderId)>,
    },
    Folder {
        id: FolderId,
        parent: FolderId,
        old: Option<(FolderId, FolderId)>,
    },
}

/// One event. A status event has neither time stamp nor subject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub kind: EventType,
    pub watermark: String,
    pub time_stamp: Option<String>,
    pub subject: Option<EventSubject>,
    /// ModifiedEvent's `t:UnreadCount` (folders).
    pub unread_count: Option<u32>,
}

impl Event {
    pub fn status(watermark: impl Into<String>) -> Event {
        Event {
            kind: EventType::Status,
            watermark: watermark.into(),
            time_stamp: None,
            subject: None,
            unread_count: None,
        }
    }

    pub fn write(&self, w: &mut Writer) {
        let name = format!("t:{}", self.kind.element());
        w.open(&name, &[]);
        w.leaf("t:Watermark", &self.watermark);
        w.opt_leaf("t:TimeStamp", self.time_stamp.as_deref());
        match &self.subject {
            Some(EventSubject::Item { id, parent, old }) => {
                id.write(w, "t:ItemId");
                parent.write(w, "t:ParentFolderId");
                if let Some((old_id, old_parent)) = old {
                    old_id.write(w, "t:OldItemId");
                    old_parent.write(w, "t:OldParentFolderId");
                }
            }
            Some(EventSubject::Folder { id, parent, old }) => {
                id.write(w, "t:FolderId");
                parent.write(w, "t:ParentFolderId");
                if let Some((old_id, old_parent)) = old {
                    old_id.write(w, "t:OldFolderId");
                    old_parent.write(w, "t:OldParentFolderId");
                }
            }
            None => {}
        }
        if let Some(n) = self.unread_count {
            w.leaf("t:UnreadCount", &n.to_string());
        }
        w.close(&name);
    }

    pub fn parse(el: &Element) -> Option<Event> {
        let kind = EventType::parse(&el.name)?;
        let id = |n: &str| el.child(n).map(ItemId::parse);
        let parent = id("ParentFolderId").unwrap_or_default();
        let subject = if let Some(item) = id("ItemId") {
            Some(EventSubject::Item {
                id: item,
                parent,
                old: id("OldItemId").zip(id("OldParentFolderId")),
            })
        } else {
            id("FolderId").map(|folder| EventSubject::Folder {
                id: folder,
                parent,
                old: id("OldFolderId").zip(id("OldParentFolderId")),
            })
        };
        Some(Event {
            kind,
            watermark: el.child_text("Watermark").unwrap_or_default(),
            time_stamp: el.child_text("TimeStamp"),
            subject,
            unread_count: el
                .child_text("UnreadCount")
                .and_then(|n| n.trim().parse().ok()),
        })
    }
}

/// `m:Notification`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub subscription_id: String,
    pub previous_watermark: String,
    pub more_events: bool,
    pub events: Vec<Event>,
}

impl Notification {
    pub fn write(&self, w: &mut Writer) {
        w.open("m:Notification", &[]);
        w.leaf("t:SubscriptionId", &self.subscription_id);
        w.leaf("t:PreviousWatermark", &self.previous_watermark);
        w.leaf("t:MoreEvents", bool_text(self.more_events));
        self.events.iter().for_each(|e| e.write(w));
        w.close("m:Notification");
    }

    pub fn parse(el: &Element) -> Notification {
        Notification {
            subscription_id: el.child_text("SubscriptionId").unwrap_or_default(),
            previous_watermark: el.child_text("PreviousWatermark").unwrap_or_default(),
            more_events: el.child_text("MoreEvents").and_then(|b| parse_bool(&b)) == Some(true),
            events: el.elements().filter_map(Event::parse).collect(),
        }
    }
}

/// What one GetStreamingEvents envelope carries: notifications, the subscriptions that failed,
/// and whether the connection stays open.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamingEvents {
    pub notifications: Vec<Notification>,
    pub error_subscription_ids: Vec<String>,
    /// `OK` while the connection stays open, `Closed` on its last envelope.
    pub connection_status: Option<String>,
}

impl StreamingEvents {
    pub fn write(&self, w: &mut Writer) {
        if !self.notifications.is_empty() {
            w.open("m:Notifications", &[]);
            self.notifications.iter().for_each(|n| n.write(w));
            w.close("m:Notifications");
        }
        if !self.error_subscription_ids.is_empty() {
            w.open("m:ErrorSubscriptionIds", &[]);
            for id in &self.error_subscription_ids {
                w.leaf("m:SubscriptionId", id);
            }
            w.close("m:ErrorSubscriptionIds");
        }
        w.opt_leaf("m:ConnectionStatus", self.connection_status.as_deref());
    }

    pub fn parse(el: &Element) -> StreamingEvents {
        StreamingEvents {
            notifications: el
                .child("Notifications")
                .into_iter()
                .flat_map(|n| n.children_named("Notification"))
                .map(Notification::parse)
                .collect(),
            error_subscription_ids: el
                .child("ErrorSubscriptionIds")
                .into_iter()
                .flat_map(|n| n.children_named("SubscriptionId"))
                .map(Element::text)
                .collect(),
            connection_status: el.child_text("ConnectionStatus"),
        }
    }
}

/// A push subscriber's answer to a notification (`m:SubscriptionStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscriptionStatus {
    Ok,
    Unsubscribe,
}

impl SubscriptionStatus {
    fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Ok => "OK",
            SubscriptionStatus::Unsubscribe => "Unsubscribe",
        }
    }
}

fn envelope(w: &mut Writer, body: impl FnOnce(&mut Writer)) {
    use crate::soap::{NS_MESSAGES, NS_SOAP, NS_TYPES};
    w.open(
        "s:Envelope",
        &[
            ("xmlns:s", NS_SOAP),
            ("xmlns:m", NS_MESSAGES),
            ("xmlns:t", NS_TYPES),
        ],
    );
    w.open("s:Header", &[]);
    w.empty("t:RequestServerVersion", &[("Version", "Exchange2016")]);
    w.close("s:Header");
    w.open("s:Body", &[]);
    body(w);
    w.close("s:Body");
    w.close("s:Envelope");
}

/// `m:SendNotification`: what a server posts to a push subscriber's URL.
pub fn send_notification_xml(n: &Notification) -> String {
    let mut w = Writer::document();
    envelope(&mut w, |w| {
        w.open("m:SendNotification", &[]);
        w.open("m:ResponseMessages", &[]);
        w.open(
            "m:SendNotificationResponseMessage",
            &[("ResponseClass", "Success")],
        );
        w.leaf("m:ResponseCode", "NoError");
        n.write(w);
        w.close("m:SendNotificationResponseMessage");
        w.close("m:ResponseMessages");
        w.close("m:SendNotification");
    });
    w.finish()
}

fn soap_body(text: &str) -> Option<Element> {
    let root = crate::xml::parse(text).ok()?;
    root.child("Body")?.elements().next().cloned()
}

/// The notifications of a `m:SendNotification` document.
pub fn parse_send_notification(text: &str) -> Option<Vec<Notification>> {
    let op = soap_body(text).filter(|b| b.name == "SendNotification")?;
    Some(
        op.child("ResponseMessages")?
            .elements()
            .filter_map(|m| m.child("Notification"))
            .map(Notification::parse)
            .collect(),
    )
}

/// `m:SendNotificationResult`: a push subscriber's answer.
pub fn send_notification_result_xml(status: SubscriptionStatus) -> String {
    let mut w = Writer::document();
    envelope(&mut w, |w| {
        w.open("m:SendNotificationResult", &[]);
        w.leaf("m:SubscriptionStatus", status.as_str());
        w.close("m:SendNotificationResult");
    });
    w.finish()
}

/// The status a push subscriber answered, if its answer is one.
pub fn parse_send_notification_result(text: &str) -> Option<SubscriptionStatus> {
    let result = soap_body(text).filter(|b| b.name == "SendNotificationResult")?;
    match result.child_text("SubscriptionStatus")?.trim() {
        "OK" => Some(SubscriptionStatus::Ok),
        "Unsubscribe" => Some(SubscriptionStatus::Unsubscribe),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_documents_read_back() {
        let n = Notification {
            subscription_id: "AVN1Yg==".into(),
            previous_watermark: "AQAAAAAAAAAq".into(),
            more_events: false,
            events: vec![Event::status("AQAAAAAAAAAq")],
        };
        let xml = send_notification_xml(&n);
        assert!(xml.contains("<m:SendNotification>"), "{xml}");
        assert_eq!(parse_send_notification(&xml), Some(vec![n]));
        for s in [SubscriptionStatus::Ok, SubscriptionStatus::Unsubscribe] {
            let answer = send_notification_result_xml(s);
            assert_eq!(parse_send_notification_result(&answer), Some(s));
        }
        assert_eq!(parse_send_notification_result("<x/>"), None);
        assert_eq!(parse_send_notification_result("not xml"), None);
    }
}
