//! Any text as a WWW-Authenticate Bearer challenge or an x-ms-diagnostics value; what parses
//! must survive a write and a second parse unchanged.
#![no_main]

use libfuzzer_sys::fuzz_target;
use s2s::{BearerChallenge, Diagnostics};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(c) = BearerChallenge::parse(text) {
        let _ = BearerChallenge::parse(&c.to_string());
    }
    if let Ok(d) = Diagnostics::parse(text) {
        assert_eq!(Diagnostics::parse(&d.to_string()).expect("own output parses"), d);
    }
});
