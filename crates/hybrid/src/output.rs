//! Human listings in the style of PowerShell's Format-List, or JSON.

use serde::Serialize;

pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `(name, value)` rows as `Name : value`, or the object as JSON when `--json`.
    pub fn record<T: Serialize + ?Sized>(&self, rows: &[(&str, String)], json: &T) {
        if self.json {
            println!(
                "{}",
                serde_json::to_string_pretty(json).expect("the CLI's objects serialize")
            );
        } else {
            print!("{}", format_list(rows));
        }
    }
}

pub fn format_list(rows: &[(&str, String)]) -> String {
    let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
    rows.iter()
        .map(|(k, v)| format!("{k:<width$} : {v}\n"))
        .collect()
}

/// `True`/`False`, as PowerShell prints booleans.
pub fn ps_bool(b: bool) -> String {
    if b { "True".into() } else { "False".into() }
}

/// A line of progress for a long operation, on stderr when it is a terminal (quiet in pipes
/// and scripts, whose output is the result alone).
pub fn progress(message: &str) {
    if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        eprintln!("… {message}");
    }
}
