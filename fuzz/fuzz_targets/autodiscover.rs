//! Any bytes as the Autodiscover requests a server reads (SOAP GetUserSettings, POX, the v2
//! JSON path and query) and the responses a client reads: never a panic.
#![no_main]

use ews::autodiscover::{
    AutodiscoverV2Request, GetUserSettingsRequest, GetUserSettingsResponse, PoxRequest,
    PoxResponse,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(Some(r)) = GetUserSettingsRequest::parse(data) {
        let _ = GetUserSettingsRequest::parse(r.to_xml().as_bytes());
    }
    if let Ok(r) = PoxRequest::parse(data) {
        let _ = PoxRequest::parse(r.to_xml().as_bytes());
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = GetUserSettingsResponse::parse(text);
    let _ = PoxResponse::parse(text);
    let (path, query) = match text.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (text, None),
    };
    let _ = AutodiscoverV2Request::parse(path, query);
});
