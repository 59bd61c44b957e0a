//! The EWS types shared by requests and responses (`t:` elements): ids, shapes, property paths,
//! restrictions, sort orders, paging, items, folders and user configurations. Each type reads
//! itself from a parsed element and writes itself through the [`Writer`].

use crate::EwsError;
use crate::writer::Writer;
use crate::xml::{Element, Node};

mod address;
mod folder;
mod ids;
mod item;
mod property;
mod restriction;
mod shape;
mod user_configuration;

pub use address::*;
pub use folder::*;
pub use ids::*;
pub use item::*;
pub use property::*;
pub use restriction::*;
pub use shape::*;
pub use user_configuration::*;

pub(crate) fn bad(m: impl Into<String>) -> EwsError {
    EwsError::Malformed(m.into())
}

/// xs:boolean as clients write it (`true`, `false`, `1`, `0`), any case.
pub fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "on" => Some(true),
        "false" | "0" | "off" => Some(false),
        _ => None,
    }
}

pub(crate) fn bool_text(v: bool) -> &'static str {
    if v { "true" } else { "false" }
}

/// An xs:duration in whole minutes (`-PT60M`, `PT2H30M`, `P0DT1H0M0.0S`): what time zone
/// biases and offsets are written as. Years and months are refused (they have no fixed length).
pub fn duration_minutes(text: &str) -> Option<i32> {
    let t = text.trim();
    let (sign, t) = match t.strip_prefix('-') {
        Some(rest) => (-1, rest),
        None => (1, t),
    };
    let t = t.strip_prefix('P')?;
    let (days, time) = match t.split_once('T') {
        Some((d, time)) => (d, time),
        None => (t, ""),
    };
    let mut total = 0f64;
    let mut number = String::new();
    for (part, units) in [
        (days, &[('D', 1440.0)][..]),
        (time, &[('H', 60.0), ('M', 1.0), ('S', 1.0 / 60.0)][..]),
    ] {
        for c in part.chars() {
            if c.is_ascii_digit() || c == '.' {
                number.push(c);
                continue;
            }
            let factor = units.iter().find(|(u, _)| *u == c)?.1;
            total += number.parse::<f64>().ok()? * factor;
            number.clear();
        }
        if !number.is_empty() {
            return None;
        }
    }
    if total.abs() > 100_000_000.0 {
        return None;
    }
    Some(sign * total.round() as i32)
}

/// Minutes as an xs:duration, in the form Exchange writes (`-PT60M`, `PT0M`).
pub fn minutes_duration(minutes: i32) -> String {
    let sign = if minutes < 0 { "-" } else { "" };
    format!("{sign}PT{}M", minutes.unsigned_abs())
}
