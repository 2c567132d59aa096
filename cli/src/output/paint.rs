//! Colour for people: ANSI styles on a terminal, nothing when piped or when `NO_COLOR` is set
//! (<https://no-color.org>).

use std::io::IsTerminal;

/// Whether to style text written to standard output.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// Colour only when standard output is a terminal and `NO_COLOR` is unset or empty.
    pub fn stdout() -> Paint {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Paint {
            on: std::io::stdout().is_terminal() && !no_color,
        }
    }

    fn style(self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.style("1", text)
    }

    pub fn red(self, text: &str) -> String {
        self.style("1;31", text)
    }

    pub fn green(self, text: &str) -> String {
        self.style("1;32", text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.style("33", text)
    }

    pub fn dim(self, text: &str) -> String {
        self.style("2", text)
    }
}
