//! Any bytes as an EWS request body (the SOAP envelope reader and every operation's parser),
//! and as a response the partner's client reads: an answer or a schema error, never a panic;
//! a request that parses is written and parsed again.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(request) = ews::Request::parse(data) {
        let again = request.to_xml();
        let _ = ews::Request::parse(again.as_bytes());
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = ews::Response::parse(text);
    }
});
