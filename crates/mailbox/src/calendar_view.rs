//! CalendarView and free/busy: the single items and occurrences of a calendar overlapping a
//! window, read through the value index (a series by its end), and the busy stretches they
//! make.

use crate::calendar::{Occurrence, occurrence_id, occurrences};
use crate::instants::format_time;
use crate::mail_item::MailItem;
use crate::model::Tag;
use crate::props::{SERIES_END_KEY, StoredProperties};

/// Items a CalendarView may need: starting before the window ends, and ending (or their
/// series ending) at or after it starts. Said in SQL over the value index.
fn window_restriction(from: i64, to: i64) -> crate::search::Restriction {
    use crate::search::{Field, Restriction};
    let key = |k: &str| Field::Extended {
        key: k.to_string(),
        numeric: false,
    };
    let (from, to) = (format_time(from), format_time(to));
    Restriction::And(vec![
        Restriction::Compare(key("field:Start"), store::CmpOp::Lt, to.clone()),
        Restriction::Or(vec![
            Restriction::Compare(key("field:End"), store::CmpOp::Ge, from.clone()),
            Restriction::Compare(key(SERIES_END_KEY), store::CmpOp::Ge, from.clone()),
        ]),
    ])
}

/// Items read for one CalendarView at most (pages of the store's largest page).
const MAX_VIEW_ITEMS: usize = 10_000;

/// One entry of a calendar view: the item (a series' master for an occurrence) and which
/// occurrence it is.
pub type ViewEntry = (MailItem, Occurrence);

impl crate::service::Mailbox {
    /// CalendarView: the single items and occurrences of `folder` overlapping `from..to`,
    /// in order of start, at most `max` (and whether that was all of them).
    pub async fn calendar_view(
        &self,
        folder: &store::FolderRow,
        from: i64,
        to: i64,
        max: usize,
    ) -> Result<(Vec<ViewEntry>, bool), crate::MailboxError> {
        let mut entries = Vec::new();
        let mut offset = 0;
        loop {
            let page = self
                .find_items(
                    folder,
                    &crate::service::ItemQuery {
                        restriction: Some(window_restriction(from, to)),
                        order: Vec::new(),
                        offset,
                        max: 1000,
                    },
                )
                .await?;
            offset += page.items.len();
            for item in page.items {
                if !item.is_calendar_item() {
                    continue;
                }
                for o in occurrences(&item.props, from, to) {
                    entries.push((item.clone(), o));
                }
            }
            if page.includes_last || offset >= MAX_VIEW_ITEMS || offset == 0 {
                break;
            }
        }
        entries.sort_by(|a, b| (a.1.start_ms, &a.0.id).cmp(&(b.1.start_ms, &b.0.id)));
        let all = entries.len() <= max;
        entries.truncate(max);
        Ok((entries, all))
    }
}

/// One stretch of a mailbox's calendar as free/busy tells it.
#[derive(Debug, Clone, PartialEq)]
pub struct BusyEvent {
    pub start_ms: i64,
    pub end_ms: i64,
    /// Free, Tentative, Busy, OOF, WorkingElsewhere.
    pub busy_type: String,
    pub details: EventDetails,
}

/// What free/busy tells of an event to those who may see its details.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct EventDetails {
    pub id: String,
    pub subject: String,
    pub location: String,
    pub is_meeting: bool,
    pub is_recurring: bool,
    pub is_exception: bool,
    pub is_reminder_set: bool,
    pub is_private: bool,
}

/// The busy level of a status in a merged free/busy string.
pub fn busy_digit(status: &str) -> u8 {
    match status {
        "Tentative" => 1,
        "Busy" => 2,
        "OOF" => 3,
        "WorkingElsewhere" => 4,
        _ => 0,
    }
}

fn status_of(props: &StoredProperties, o: &Occurrence) -> String {
    let from_exception = o
        .exception
        .as_ref()
        .and_then(|x| x.bag.text(&Tag::LegacyFreeBusyStatus));
    from_exception
        .or_else(|| props.bag.text(&Tag::LegacyFreeBusyStatus))
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Busy".into())
}

impl crate::service::Mailbox {
    /// The calendar's busy stretches overlapping `from..to` (free ones left out), in order.
    pub async fn free_busy(
        &self,
        from: i64,
        to: i64,
    ) -> Result<Vec<BusyEvent>, crate::MailboxError> {
        let Some(calendar) = self.distinguished("calendar").cloned() else {
            return Ok(Vec::new());
        };
        let (entries, _) = self.calendar_view(&calendar, from, to, 1000).await?;
        Ok(entries
            .into_iter()
            // Free/busy counts real overlap only (unlike CalendarView's edge rule).
            .filter(|(_, o)| o.start_ms < to && o.end_ms > from)
            .filter_map(|(item, o)| {
                let props = &item.props;
                let busy_type = status_of(props, &o);
                if busy_digit(&busy_type) == 0 {
                    return None;
                }
                let subject = o
                    .exception
                    .as_ref()
                    .and_then(|x| x.subject.clone())
                    .unwrap_or_else(|| item.subject.clone());
                let id = if o.index > 0 {
                    occurrence_id(&item.id, o.index)
                } else {
                    item.id.clone()
                };
                Some(BusyEvent {
                    start_ms: o.start_ms,
                    end_ms: o.end_ms,
                    busy_type,
                    details: EventDetails {
                        id,
                        subject,
                        location: props.bag.text(&Tag::Location).unwrap_or_default(),
                        is_meeting: props.bag.has(&Tag::RequiredAttendees)
                            || props.bag.has(&Tag::OptionalAttendees),
                        is_recurring: o.index > 0,
                        is_exception: o.exception.is_some(),
                        is_reminder_set: props.bag.flag(&Tag::ReminderIsSet),
                        is_private: props.bag.text(&Tag::Sensitivity).as_deref() == Some("Private"),
                    },
                })
            })
            .collect())
    }
}
