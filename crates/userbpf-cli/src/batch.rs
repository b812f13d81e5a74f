//! `userbpf batch file FILE`: each line is a userbpf command line, run
//! against one shared session. Blank lines and `#` comments are skipped;
//! the first failing line stops the batch, as bpftool's batch mode does.

use std::path::Path;

use clap::Parser;

use crate::failure::Failure;
use crate::session::Session;
use crate::{read_input, run, Cli};

/// Split a line into words: whitespace separates, single or double quotes
/// group, a backslash escapes the next character.
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut quote = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (None, '\'' | '"') => {
                quote = Some(c);
                in_word = true;
            }
            (_, '\\') => {
                cur.push(chars.next().ok_or("trailing backslash")?);
                in_word = true;
            }
            (None, c) if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            (_, c) => {
                cur.push(c);
                in_word = true;
            }
        }
    }
    if quote.is_some() {
        return Err("unterminated quote".into());
    }
    if in_word {
        words.push(cur);
    }
    Ok(words)
}

pub fn run_file(session: &Session, file: &Path) -> Result<(), Failure> {
    let text = String::from_utf8(read_input(file)?).map_err(|_| Failure::usage("batch file is not UTF-8"))?;
    let mut done = 0;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = split_words(line).map_err(|e| Failure::usage(format!("line {}: {e}", n + 1)))?;
        if words.first().map(String::as_str) == Some("batch") {
            return Err(Failure::usage(format!("line {}: batch files can't nest", n + 1)));
        }
        crate::output::note_style(&words);
        let cli = Cli::try_parse_from(std::iter::once("userbpf".to_string()).chain(words))
            .map_err(|e| Failure::usage(format!("line {}: {e}", n + 1)))?;
        run(cli, session).map_err(|f| Failure {
            message: format!("line {}: {} (after {done} commands)", n + 1, f.message),
            code: f.code,
        })?;
        done += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::split_words;

    #[test]
    fn words_and_quotes() {
        assert_eq!(
            split_words("prog load a.s --name 'x y'").unwrap(),
            ["prog", "load", "a.s", "--name", "x y"]
        );
        assert_eq!(split_words(r#"a "b\"c" ''"#).unwrap(), ["a", "b\"c", ""]);
        assert!(split_words("a 'b").is_err());
    }
}
