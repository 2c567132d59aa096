//! Cargo's dep-info file (`target/<profile>/<bin>.d`): every local file a binary was built from.
//!
//! The format is one Makefile rule, `target: dep dep ...`, with absolute paths in which spaces
//! are escaped as `\ ` (and `\\` for a backslash).

use std::path::{Path, PathBuf};

/// The prerequisites of the rule in a dep-info file, or `None` when there is no such file.
pub fn read(path: &Path) -> Option<Vec<PathBuf>> {
    let text = std::fs::read_to_string(path).ok()?;
    Some(parse(&text))
}

/// Parses dep-info text. Lines after the first rule (cargo writes one) are included too.
pub fn parse(text: &str) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for line in text.lines() {
        let Some(deps) = split_rule(line) else {
            continue;
        };
        let mut current = String::new();
        let mut chars = deps.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if matches!(chars.peek(), Some(' ' | '\\' | '#' | ':')) => {
                    current.push(chars.next().expect("peeked"));
                }
                ' ' | '\t' => {
                    if !current.is_empty() {
                        files.push(PathBuf::from(std::mem::take(&mut current)));
                    }
                }
                c => current.push(c),
            }
        }
        if !current.is_empty() {
            files.push(PathBuf::from(current));
        }
    }
    files
}

/// The part after the rule's unescaped `: `, or `None` for lines that are not rules.
fn split_rule(line: &str) -> Option<&str> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i + 1 < bytes.len() {
        if bytes[i] == b'\\' {
            i += 2;
            continue;
        }
        if bytes[i] == b':' && (bytes[i + 1] == b' ' || i + 2 == bytes.len()) {
            return Some(&line[i + 1..]);
        }
        i += 1;
    }
    if line.ends_with(':') { Some("") } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_cargo_dep_info_with_escaped_spaces() {
        let text = "/t/debug/app: /r/src/main.rs /r/my\\ dir/data.txt /r/build.rs\n";
        let files = parse(text);
        assert_eq!(
            files,
            [
                PathBuf::from("/r/src/main.rs"),
                PathBuf::from("/r/my dir/data.txt"),
                PathBuf::from("/r/build.rs"),
            ]
        );
    }

    #[test]
    fn garbage_yields_nothing_and_does_not_panic() {
        assert!(parse("").is_empty());
        assert!(parse("no rule here").is_empty());
        assert_eq!(parse("a:").len(), 0);
        let _ = parse("\\");
        let _ = parse(": \\");
    }
}
