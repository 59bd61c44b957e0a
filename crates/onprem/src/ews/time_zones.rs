//! The server's time zones in EWS form (GetServerTimeZones, TimeZoneDefinition): periods and
//! yearly transitions from the mailbox's zone rules; and the availability service's legacy
//! `t:TimeZone`, both ways.

use ews::{Period, TimeZoneDefinition, Transition, TransitionTarget, TransitionsGroup};
use mailbox::timezones::{self, WindowsZone, YearlyRule};

/// The zone in EWS form for `year`: a standard and (when observed) a daylight period, one
/// transitions group holding the year's rules, in force from the start.
pub fn definition(zone: &WindowsZone, year: i16) -> TimeZoneDefinition {
    let rules = zone.rules(year);
    let rule_id = |kind: &str| format!("trule:Microsoft/Registry/{}/{year}-{kind}", zone.id);
    let (std_id, dst_id) = (rule_id("Standard"), rule_id("Daylight"));
    let mut periods = vec![Period {
        id: std_id.clone(),
        name: "Standard".into(),
        bias_minutes: -rules.standard_offset,
    }];
    let to_period = |id: &str| TransitionTarget {
        kind: "Period".into(),
        id: id.to_string(),
    };
    let transitions = match &rules.daylight {
        None => vec![Transition::Immediate(to_period(&std_id))],
        Some((offset, into, out_of)) => {
            periods.push(Period {
                id: dst_id.clone(),
                name: "Daylight".into(),
                bias_minutes: -offset,
            });
            vec![recurring(&std_id, out_of), recurring(&dst_id, into)]
        }
    };
    let group_id = "0".to_string();
    TimeZoneDefinition {
        id: zone.id.to_string(),
        name: Some(zone.display_name(rules.standard_offset)),
        periods,
        groups: vec![TransitionsGroup {
            id: group_id.clone(),
            transitions,
        }],
        transitions: vec![Transition::Immediate(TransitionTarget {
            kind: "Group".into(),
            id: group_id,
        })],
    }
}

fn recurring(period: &str, rule: &YearlyRule) -> Transition {
    Transition::RecurringDay {
        to: TransitionTarget {
            kind: "Period".into(),
            id: period.to_string(),
        },
        time_offset_minutes: rule.time_of_day_minutes,
        month: rule.month,
        day_of_week: timezones::WEEKDAYS[rule.weekday as usize % 7].into(),
        occurrence: rule.occurrence,
    }
}

/// GetServerTimeZones: the zones asked for (all when `ids` is empty), each in full or as its
/// id and name; the ids the server does not know come back apart.
pub fn server_time_zones(
    ids: &[String],
    full: bool,
    year: i16,
) -> (Vec<TimeZoneDefinition>, Vec<String>) {
    let shape = |z: &WindowsZone| {
        let d = definition(z, year);
        if full { d } else { d.summary() }
    };
    if ids.is_empty() {
        return (timezones::all().iter().map(shape).collect(), Vec::new());
    }
    let mut found = Vec::new();
    let mut unknown = Vec::new();
    for id in ids {
        match timezones::all()
            .iter()
            .find(|z| z.id.eq_ignore_ascii_case(id.trim()))
        {
            Some(z) => found.push(shape(z)),
            None => unknown.push(id.clone()),
        }
    }
    (found, unknown)
}

/// The availability service's `t:TimeZone` in the mailbox's terms.
pub fn legacy_zone(tz: &ews::availability::LegacyTimeZone) -> timezones::legacy::LegacyTimeZone {
    let change = |c: &ews::availability::LegacyChange| timezones::legacy::LegacyChange {
        bias: c.bias,
        time: c.time.clone(),
        day_order: c.day_order,
        month: c.month,
        day_of_week: c.day_of_week.clone(),
    };
    timezones::legacy::LegacyTimeZone {
        bias: tz.bias,
        standard: change(&tz.standard),
        daylight: change(&tz.daylight),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_have_exchange_shape_and_names() {
        let d = definition(timezones::find("w. europe standard time").unwrap(), 2026);
        assert_eq!(d.id, "W. Europe Standard Time");
        assert_eq!(d.name.as_deref(), Some("(UTC+01:00) Berlin"));
        assert_eq!(d.periods[0].bias_minutes, -60);
        assert_eq!(d.periods[1].bias_minutes, -120);
        assert_eq!(d.groups[0].transitions.len(), 2);
        let utc = definition(timezones::find("UTC").unwrap(), 2026);
        assert_eq!(
            utc.name.as_deref(),
            Some("(UTC) Coordinated Universal Time")
        );
        assert_eq!(utc.groups[0].transitions.len(), 1);
        let (found, unknown) =
            server_time_zones(&["UTC".into(), "Mars Standard Time".into()], false, 2026);
        assert_eq!(found.len(), 1);
        assert!(!found[0].is_full());
        assert_eq!(unknown, vec!["Mars Standard Time".to_string()]);
    }
}
