//! Any text as a script for `hybrid onprem run` (the Exchange Management Shell subset): parsed
//! into statements or refused at a line, each statement bound with no variables set; never a
//! panic.
#![no_main]

#[path = "../../crates/hybrid/src/ems.rs"]
#[allow(dead_code)]
mod ems;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(statements) = ems::parse(text) {
        let vars = std::collections::HashMap::new();
        for st in &statements {
            let _ = ems::bind(st, &vars);
        }
    }
});
