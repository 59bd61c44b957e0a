//! The SOAP and EWS namespaces, the request bound, and the server versions clients send.

pub const NS_SOAP: &str = "http://schemas.xmlsoap.org/soap/envelope/";
pub const NS_MESSAGES: &str = "http://schemas.microsoft.com/exchange/services/2006/messages";
pub const NS_TYPES: &str = "http://schemas.microsoft.com/exchange/services/2006/types";
pub const NS_ERRORS: &str = "http://schemas.microsoft.com/exchange/services/2006/errors";

/// Requests larger than this are refused before parsing.
pub const MAX_REQUEST_BYTES: usize = 8 * 1024 * 1024;

/// Whether the `SOAPAction` header names `operation`, or no operation at all (empty, or
/// `""`). EWS clients that send it write `"<messages namespace>/<Operation>"`; the name after
/// the last `/` (or the whole value) must be the body's operation, exactly.
pub fn soap_action_matches(action: &str, operation: &str) -> bool {
    let action = action.trim();
    let action = action
        .strip_prefix('"')
        .and_then(|a| a.strip_suffix('"'))
        .unwrap_or(action)
        .trim();
    action.is_empty() || action.rsplit('/').next() == Some(operation)
}

/// The RequestServerVersion values clients send; all are answered alike.
pub const KNOWN_VERSIONS: &[&str] = &[
    "Exchange2007",
    "Exchange2007_SP1",
    "Exchange2010",
    "Exchange2010_SP1",
    "Exchange2010_SP2",
    "Exchange2013",
    "Exchange2013_SP1",
    "Exchange2015",
    "Exchange2015_SP1",
    "Exchange2016",
    "V2015_10_05",
    "V2016_01_06",
    "V2017_04_14",
    "V2017_07_11",
    "V2017_10_09",
    "V2018_01_08",
];
