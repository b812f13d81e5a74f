//! JSON output as bpftool prints it: `-j/--json` one compact line per
//! document, `-p/--pretty` indented. Clap folds both into one `json`
//! flag; which spelling was used is noted here from the command's words.

use std::sync::atomic::{AtomicBool, Ordering};

static PRETTY: AtomicBool = AtomicBool::new(false);

/// Note whether this command's words ask for pretty JSON.
pub fn note_style<S: AsRef<str>>(words: &[S]) {
    let pretty = words.iter().any(|w| {
        let w = w.as_ref();
        w == "--pretty" || (w.starts_with('-') && !w.starts_with("--") && w.len() > 1 && w[1..].contains('p'))
    });
    PRETTY.store(pretty, Ordering::Relaxed);
}

/// The text of one JSON document in the chosen style.
pub fn json_text(v: impl Into<serde_json::Value>) -> String {
    let v: serde_json::Value = v.into();
    if PRETTY.load(Ordering::Relaxed) {
        format!("{v:#}")
    } else {
        v.to_string()
    }
}
