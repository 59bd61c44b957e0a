//! The ids and change keys this server issues.

pub fn change_key(id: &str, version: i64) -> String {
    // The version, and a part of the id: two items never share a change key, as in Exchange
    // (a copy starts at the version its original may have too).
    let tag: String = id.chars().rev().take(8).collect();
    format!("CK{version}-{tag}")
}

/// Whether `id` has the form of the ids this server issues (for folders and items alike).
pub fn is_well_formed_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The version a change key names, if it has the form this server issues.
pub fn change_key_version(ck: &str) -> Option<i64> {
    let rest = ck.strip_prefix("CK")?;
    rest.split_once('-').map_or(rest, |(v, _)| v).parse().ok()
}
