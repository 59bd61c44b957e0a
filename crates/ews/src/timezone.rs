//! `t:TimeZoneDefinition`: a time zone as EWS describes it (Exchange 2010 and later): named
//! periods (a bias each), groups of transitions between them, and the transitions that say
//! which group is in force from when. GetServerTimeZones answers with these, requests name
//! one in `t:TimeZoneContext`, and calendar items carry them as `t:StartTimeZone` and
//! `t:EndTimeZone`.

use crate::types::{duration_minutes, minutes_duration};
use crate::writer::Writer;
use crate::xml::Element;

/// One `t:TimeZoneDefinition`. Clients often send only its `Id` (a Windows time zone id such
/// as "W. Europe Standard Time"); the periods and transitions are then empty.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TimeZoneDefinition {
    pub id: String,
    pub name: Option<String>,
    pub periods: Vec<Period>,
    pub groups: Vec<TransitionsGroup>,
    pub transitions: Vec<Transition>,
}

/// `t:Period`: `Bias` is minutes to add to local time to get UTC (UTC+01:00 is -60).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub id: String,
    /// "Standard" or "Daylight".
    pub name: String,
    pub bias_minutes: i32,
}

/// `t:TransitionsGroup`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionsGroup {
    pub id: String,
    pub transitions: Vec<Transition>,
}

/// What a transition goes to: `t:To Kind="Period"` or `Kind="Group"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransitionTarget {
    pub kind: String,
    pub id: String,
}

/// `t:Transition`, `t:RecurringDayTransition` or `t:AbsoluteDateTransition`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transition {
    /// In force at once (the first transition of a list, or the only one of a zone without DST).
    Immediate(TransitionTarget),
    /// Every year at `time_offset_minutes` after local midnight of the `occurrence`-th
    /// `day_of_week` of `month` (occurrence -1: the last one).
    RecurringDay {
        to: TransitionTarget,
        time_offset_minutes: i32,
        month: u8,
        day_of_week: String,
        occurrence: i8,
    },
    /// Once, at `date_time` (an xs:dateTime).
    AbsoluteDate {
        to: TransitionTarget,
        date_time: String,
    },
}

impl TransitionTarget {
    fn parse(el: &Element) -> TransitionTarget {
        let to = el.child("To");
        TransitionTarget {
            kind: to
                .and_then(|t| t.attr("Kind"))
                .unwrap_or("Period")
                .to_string(),
            id: to.map(|t| t.text().trim().to_string()).unwrap_or_default(),
        }
    }

    fn write(&self, w: &mut Writer) {
        w.leaf_with("t:To", &[("Kind", &self.kind)], &self.id);
    }
}

impl Transition {
    pub fn target(&self) -> &TransitionTarget {
        match self {
            Transition::Immediate(to) => to,
            Transition::RecurringDay { to, .. } => to,
            Transition::AbsoluteDate { to, .. } => to,
        }
    }

    fn parse(el: &Element) -> Option<Transition> {
        let to = TransitionTarget::parse(el);
        match el.name.as_str() {
            "Transition" => Some(Transition::Immediate(to)),
            "RecurringDayTransition" => Some(Transition::RecurringDay {
                to,
                time_offset_minutes: el
                    .child_text("TimeOffset")
                    .and_then(|d| duration_minutes(&d))
                    .unwrap_or(0),
                month: el
                    .child_text("Month")
                    .and_then(|m| m.trim().parse().ok())
                    .unwrap_or(1),
                day_of_week: el.child_text("DayOfWeek").unwrap_or_default(),
                occurrence: el
                    .child_text("Occurrence")
                    .and_then(|o| o.trim().parse().ok())
                    .unwrap_or(1),
            }),
            "AbsoluteDateTransition" => Some(Transition::AbsoluteDate {
                to,
                date_time: el.child_text("DateTime").unwrap_or_default(),
            }),
            _ => None,
        }
    }

    fn write(&self, w: &mut Writer) {
        match self {
            Transition::Immediate(to) => {
                w.open("t:Transition", &[]);
                to.write(w);
                w.close("t:Transition");
            }
            Transition::RecurringDay {
                to,
                time_offset_minutes,
                month,
                day_of_week,
                occurrence,
            } => {
                w.open("t:RecurringDayTransition", &[]);
                to.write(w);
                w.leaf("t:TimeOffset", &minutes_duration(*time_offset_minutes));
                w.leaf("t:Month", &month.to_string());
                w.leaf("t:DayOfWeek", day_of_week);
                w.leaf("t:Occurrence", &occurrence.to_string());
                w.close("t:RecurringDayTransition");
            }
            Transition::AbsoluteDate { to, date_time } => {
                w.open("t:AbsoluteDateTransition", &[]);
                to.write(w);
                w.leaf("t:DateTime", date_time);
                w.close("t:AbsoluteDateTransition");
            }
        }
    }
}

fn transitions(container: Option<&Element>) -> Vec<Transition> {
    container
        .into_iter()
        .flat_map(|c| c.elements())
        .filter_map(Transition::parse)
        .collect()
}

impl TimeZoneDefinition {
    /// A definition naming a zone by id only, as clients send it.
    pub fn named(id: &str) -> TimeZoneDefinition {
        TimeZoneDefinition {
            id: id.to_string(),
            ..TimeZoneDefinition::default()
        }
    }

    /// Whether the definition carries its periods (full data) or only its id and name.
    pub fn is_full(&self) -> bool {
        !self.periods.is_empty()
    }

    /// The same definition with only its id and name (GetServerTimeZones'
    /// `ReturnFullTimeZoneData="false"`).
    pub fn summary(&self) -> TimeZoneDefinition {
        TimeZoneDefinition {
            id: self.id.clone(),
            name: self.name.clone(),
            ..TimeZoneDefinition::default()
        }
    }

    /// Reads a `t:TimeZoneDefinition`, `t:StartTimeZone` or `t:EndTimeZone` element.
    pub fn parse(el: &Element) -> TimeZoneDefinition {
        TimeZoneDefinition {
            id: el.attr("Id").unwrap_or("").to_string(),
            name: el.attr("Name").map(str::to_string),
            periods: el
                .child("Periods")
                .into_iter()
                .flat_map(|p| p.children_named("Period"))
                .map(|p| Period {
                    id: p.attr("Id").unwrap_or("").to_string(),
                    name: p.attr("Name").unwrap_or("").to_string(),
                    bias_minutes: p.attr("Bias").and_then(duration_minutes).unwrap_or(0),
                })
                .collect(),
            groups: el
                .child("TransitionsGroups")
                .into_iter()
                .flat_map(|g| g.children_named("TransitionsGroup"))
                .map(|g| TransitionsGroup {
                    id: g.attr("Id").unwrap_or("").to_string(),
                    transitions: transitions(Some(g)),
                })
                .collect(),
            transitions: transitions(el.child("Transitions")),
        }
    }

    /// Writes the definition as element `name` (`t:TimeZoneDefinition`, `t:StartTimeZone`, …).
    pub fn write(&self, w: &mut Writer, name: &str) {
        let mut attrs = vec![("Id", self.id.as_str())];
        if let Some(n) = &self.name {
            attrs.push(("Name", n));
        }
        if !self.is_full() {
            w.empty(name, &attrs);
            return;
        }
        w.open(name, &attrs);
        w.open("t:Periods", &[]);
        for p in &self.periods {
            let bias = minutes_duration(p.bias_minutes);
            w.empty(
                "t:Period",
                &[("Bias", &bias), ("Name", &p.name), ("Id", &p.id)],
            );
        }
        w.close("t:Periods");
        w.open("t:TransitionsGroups", &[]);
        for g in &self.groups {
            w.open("t:TransitionsGroup", &[("Id", &g.id)]);
            g.transitions.iter().for_each(|t| t.write(w));
            w.close("t:TransitionsGroup");
        }
        w.close("t:TransitionsGroups");
        w.open("t:Transitions", &[]);
        self.transitions.iter().for_each(|t| t.write(w));
        w.close("t:Transitions");
        w.close(name);
    }
}
