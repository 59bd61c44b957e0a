//! The availability service's types: automatic replies (`t:UserOofSettings` / `t:OofSettings`)
//! and free/busy (GetUserAvailability's mailbox list, view options, the legacy `t:TimeZone`
//! its times are told in, and the `m:FreeBusyView` per mailbox). These operations predate the
//! rest of EWS and keep their own shapes: request elements named `…Request`, one
//! `m:ResponseMessage` beside the payload instead of `m:ResponseMessages`.

use crate::types::{bool_text, parse_bool};
use crate::writer::Writer;
use crate::xml::Element;

/// A mailbox's automatic-reply settings.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OofSettings {
    /// "Disabled", "Enabled" or "Scheduled".
    pub state: String,
    /// Who outside the organization gets the external reply: "None", "Known" or "All".
    pub external_audience: String,
    /// The scheduled window (xs:dateTime, UTC), used when `state` is "Scheduled".
    pub start: Option<String>,
    pub end: Option<String>,
    pub internal_reply: String,
    pub external_reply: String,
}

fn reply(el: &Element, name: &str) -> String {
    el.child(name)
        .and_then(|r| r.child_text("Message"))
        .unwrap_or_default()
}

impl OofSettings {
    pub fn parse(el: &Element) -> OofSettings {
        let duration = el.child("Duration");
        OofSettings {
            state: el.child_text("OofState").unwrap_or_default(),
            external_audience: el
                .child_text("ExternalAudience")
                .unwrap_or_else(|| "All".into()),
            start: duration.and_then(|d| d.child_text("StartTime")),
            end: duration.and_then(|d| d.child_text("EndTime")),
            internal_reply: reply(el, "InternalReply"),
            external_reply: reply(el, "ExternalReply"),
        }
    }

    /// Writes the settings as `t:UserOofSettings` (a request) or `t:OofSettings` (an answer).
    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:OofState", &self.state);
        w.leaf("t:ExternalAudience", &self.external_audience);
        if self.start.is_some() || self.end.is_some() {
            w.open("t:Duration", &[]);
            w.opt_leaf("t:StartTime", self.start.as_deref());
            w.opt_leaf("t:EndTime", self.end.as_deref());
            w.close("t:Duration");
        }
        for (el, text) in [
            ("t:InternalReply", &self.internal_reply),
            ("t:ExternalReply", &self.external_reply),
        ] {
            w.open(el, &[]);
            w.leaf("t:Message", text);
            w.close(el);
        }
        w.close(name);
    }
}

/// The legacy `t:TimeZone` of the availability service: a base bias and the yearly changes
/// to standard and daylight time (`t:StandardTime`, `t:DaylightTime`), biases in minutes to
/// add to local time to get UTC.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LegacyTimeZone {
    pub bias: i32,
    pub standard: LegacyChange,
    pub daylight: LegacyChange,
}

/// `t:StandardTime` or `t:DaylightTime`: at `time` ("03:00:00") on the `day_order`-th
/// (5 = last) `day_of_week` of `month`, the bias becomes `bias` on top of the base bias.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LegacyChange {
    pub bias: i32,
    pub time: String,
    pub day_order: u8,
    pub month: u8,
    pub day_of_week: String,
}

impl LegacyChange {
    fn parse(el: Option<&Element>) -> LegacyChange {
        let Some(el) = el else {
            return LegacyChange::default();
        };
        let num = |n: &str| el.child_text(n).and_then(|t| t.trim().parse().ok());
        LegacyChange {
            bias: num("Bias").unwrap_or(0),
            time: el.child_text("Time").unwrap_or_else(|| "00:00:00".into()),
            day_order: num("DayOrder").map(|v: i32| v as u8).unwrap_or(0),
            month: num("Month").map(|v: i32| v as u8).unwrap_or(0),
            day_of_week: el.child_text("DayOfWeek").unwrap_or_default(),
        }
    }

    fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:Bias", &self.bias.to_string());
        w.leaf("t:Time", &self.time);
        w.leaf("t:DayOrder", &self.day_order.to_string());
        w.leaf("t:Month", &self.month.to_string());
        w.leaf("t:DayOfWeek", &self.day_of_week);
        w.close(name);
    }

    /// Whether the change happens at all (a zone without daylight time has month 0).
    pub fn is_set(&self) -> bool {
        (1..=12).contains(&self.month)
    }
}

impl LegacyTimeZone {
    pub fn parse(el: &Element) -> LegacyTimeZone {
        LegacyTimeZone {
            bias: el
                .child_text("Bias")
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(0),
            standard: LegacyChange::parse(el.child("StandardTime")),
            daylight: LegacyChange::parse(el.child("DaylightTime")),
        }
    }

    pub fn write(&self, w: &mut Writer, name: &str) {
        w.open(name, &[]);
        w.leaf("t:Bias", &self.bias.to_string());
        self.standard.write(w, "t:StandardTime");
        self.daylight.write(w, "t:DaylightTime");
        w.close(name);
    }
}

/// `t:MailboxData`: one mailbox whose availability is asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MailboxData {
    pub address: String,
    pub attendee_type: String,
    pub exclude_conflicts: bool,
}

/// `t:FreeBusyViewOptions`: the window (local times in the request's zone), the merged
/// interval and the view asked for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FreeBusyViewOptions {
    pub start: String,
    pub end: String,
    pub merged_interval_minutes: u32,
    /// "None", "MergedOnly", "FreeBusy", "FreeBusyMerged", "Detailed" or "DetailedMerged".
    pub requested_view: String,
}

impl MailboxData {
    pub fn parse(el: &Element) -> MailboxData {
        MailboxData {
            address: el
                .child("Email")
                .and_then(|e| e.child_text("Address"))
                .unwrap_or_default()
                .trim()
                .to_string(),
            attendee_type: el
                .child_text("AttendeeType")
                .unwrap_or_else(|| "Required".into()),
            exclude_conflicts: el
                .child_text("ExcludeConflicts")
                .as_deref()
                .and_then(parse_bool)
                .unwrap_or(false),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:MailboxData", &[]);
        w.open("t:Email", &[]);
        w.leaf("t:Address", &self.address);
        w.close("t:Email");
        w.leaf("t:AttendeeType", &self.attendee_type);
        w.leaf("t:ExcludeConflicts", bool_text(self.exclude_conflicts));
        w.close("t:MailboxData");
    }
}

impl FreeBusyViewOptions {
    pub fn parse(el: &Element) -> FreeBusyViewOptions {
        let window = el.child("TimeWindow");
        FreeBusyViewOptions {
            start: window
                .and_then(|t| t.child_text("StartTime"))
                .unwrap_or_default(),
            end: window
                .and_then(|t| t.child_text("EndTime"))
                .unwrap_or_default(),
            merged_interval_minutes: el
                .child_text("MergedFreeBusyIntervalInMinutes")
                .and_then(|m| m.trim().parse().ok())
                .unwrap_or(30),
            requested_view: el
                .child_text("RequestedView")
                .unwrap_or_else(|| "FreeBusy".into()),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("t:FreeBusyViewOptions", &[]);
        w.open("t:TimeWindow", &[]);
        w.leaf("t:StartTime", &self.start);
        w.leaf("t:EndTime", &self.end);
        w.close("t:TimeWindow");
        w.leaf(
            "t:MergedFreeBusyIntervalInMinutes",
            &self.merged_interval_minutes.to_string(),
        );
        w.leaf("t:RequestedView", &self.requested_view);
        w.close("t:FreeBusyViewOptions");
    }
}

/// `t:CalendarEvent`: one busy stretch, in local time of the request's zone.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarEvent {
    pub start: String,
    pub end: String,
    /// "Free", "Tentative", "Busy", "OOF", "WorkingElsewhere" or "NoData".
    pub busy_type: String,
    /// `t:CalendarEventDetails`, for a caller allowed to see them.
    pub details: Option<CalendarEventDetails>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CalendarEventDetails {
    pub id: String,
    pub subject: String,
    pub location: String,
    pub is_meeting: bool,
    pub is_recurring: bool,
    pub is_exception: bool,
    pub is_reminder_set: bool,
    pub is_private: bool,
}

/// `t:WorkingPeriod`: days ("Monday Tuesday …") and minutes after midnight.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkingPeriod {
    pub days: String,
    pub start_minutes: u32,
    pub end_minutes: u32,
}

/// `m:FreeBusyView`: one mailbox's availability.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FreeBusyView {
    pub view_type: String,
    /// One digit per merged interval: 0 free, 1 tentative, 2 busy, 3 OOF, 4 elsewhere, 5 no data.
    pub merged: Option<String>,
    pub events: Vec<CalendarEvent>,
    pub working_hours: Option<(LegacyTimeZone, Vec<WorkingPeriod>)>,
}

impl FreeBusyView {
    pub fn parse(el: &Element) -> FreeBusyView {
        FreeBusyView {
            view_type: el.child_text("FreeBusyViewType").unwrap_or_default(),
            merged: el.child_text("MergedFreeBusy"),
            events: el
                .child("CalendarEventArray")
                .into_iter()
                .flat_map(|a| a.children_named("CalendarEvent"))
                .map(|e| CalendarEvent {
                    start: e.child_text("StartTime").unwrap_or_default(),
                    end: e.child_text("EndTime").unwrap_or_default(),
                    busy_type: e.child_text("BusyType").unwrap_or_default(),
                    details: e.child("CalendarEventDetails").map(|d| {
                        let flag = |n: &str| {
                            d.child_text(n)
                                .as_deref()
                                .and_then(parse_bool)
                                .unwrap_or(false)
                        };
                        CalendarEventDetails {
                            id: d.child_text("ID").unwrap_or_default(),
                            subject: d.child_text("Subject").unwrap_or_default(),
                            location: d.child_text("Location").unwrap_or_default(),
                            is_meeting: flag("IsMeeting"),
                            is_recurring: flag("IsRecurring"),
                            is_exception: flag("IsException"),
                            is_reminder_set: flag("IsReminderSet"),
                            is_private: flag("IsPrivate"),
                        }
                    }),
                })
                .collect(),
            working_hours: el.child("WorkingHours").map(|h| {
                (
                    h.child("TimeZone")
                        .map(LegacyTimeZone::parse)
                        .unwrap_or_default(),
                    h.child("WorkingPeriodArray")
                        .into_iter()
                        .flat_map(|a| a.children_named("WorkingPeriod"))
                        .map(|p| {
                            let num = |n: &str| {
                                p.child_text(n)
                                    .and_then(|t| t.trim().parse().ok())
                                    .unwrap_or(0)
                            };
                            WorkingPeriod {
                                days: p.child_text("DayOfWeek").unwrap_or_default(),
                                start_minutes: num("StartTimeInMinutes"),
                                end_minutes: num("EndTimeInMinutes"),
                            }
                        })
                        .collect(),
                )
            }),
        }
    }

    pub fn write(&self, w: &mut Writer) {
        w.open("m:FreeBusyView", &[]);
        w.leaf("t:FreeBusyViewType", &self.view_type);
        w.opt_leaf("t:MergedFreeBusy", self.merged.as_deref());
        if !self.events.is_empty() {
            w.open("t:CalendarEventArray", &[]);
            self.events.iter().for_each(|e| e.write(w));
            w.close("t:CalendarEventArray");
        }
        if let Some((zone, periods)) = &self.working_hours {
            w.open("t:WorkingHours", &[]);
            zone.write(w, "t:TimeZone");
            w.open("t:WorkingPeriodArray", &[]);
            for p in periods {
                w.open("t:WorkingPeriod", &[]);
                w.leaf("t:DayOfWeek", &p.days);
                w.leaf("t:StartTimeInMinutes", &p.start_minutes.to_string());
                w.leaf("t:EndTimeInMinutes", &p.end_minutes.to_string());
                w.close("t:WorkingPeriod");
            }
            w.close("t:WorkingPeriodArray");
            w.close("t:WorkingHours");
        }
        w.close("m:FreeBusyView");
    }
}

impl CalendarEvent {
    fn write(&self, w: &mut Writer) {
        w.open("t:CalendarEvent", &[]);
        w.leaf("t:StartTime", &self.start);
        w.leaf("t:EndTime", &self.end);
        w.leaf("t:BusyType", &self.busy_type);
        if let Some(d) = &self.details {
            w.open("t:CalendarEventDetails", &[]);
            w.leaf("t:ID", &d.id);
            w.leaf("t:Subject", &d.subject);
            w.leaf("t:Location", &d.location);
            for (n, v) in [
                ("t:IsMeeting", d.is_meeting),
                ("t:IsRecurring", d.is_recurring),
                ("t:IsException", d.is_exception),
                ("t:IsReminderSet", d.is_reminder_set),
                ("t:IsPrivate", d.is_private),
            ] {
                w.leaf(n, bool_text(v));
            }
            w.close("t:CalendarEventDetails");
        }
        w.close("t:CalendarEvent");
    }
}

/// The mailbox an availability request names (`t:Mailbox/t:Address`).
pub fn mailbox_address(op: &Element) -> String {
    op.child("Mailbox")
        .and_then(|m| m.child_text("Address"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Writes `t:Mailbox/t:Address` as availability requests carry it.
pub fn write_mailbox(w: &mut Writer, address: &str) {
    w.open("t:Mailbox", &[]);
    w.leaf("t:Address", address);
    w.close("t:Mailbox");
}
