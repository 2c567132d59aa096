//! Colour for people, through anstyle's styles and anstream's choice: styled on a terminal,
//! plain when piped, when `NO_COLOR` is set (<https://no-color.org>), or with `--color never`;
//! `CLICOLOR_FORCE` and `--color always` force it.

use anstream::ColorChoice;
use anstyle::{AnsiColor, Style};

/// Whether to style text written to standard output.
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    on: bool,
}

impl Paint {
    /// As anstream decides for standard output (the `--color` flag sets its global choice).
    pub fn stdout() -> Paint {
        Paint {
            on: anstream::AutoStream::choice(&std::io::stdout()) != ColorChoice::Never,
        }
    }

    fn style(self, style: Style, text: &str) -> String {
        if self.on {
            format!("{style}{text}{style:#}")
        } else {
            text.to_owned()
        }
    }

    pub fn bold(self, text: &str) -> String {
        self.style(Style::new().bold(), text)
    }

    pub fn red(self, text: &str) -> String {
        self.style(AnsiColor::Red.on_default().bold(), text)
    }

    pub fn green(self, text: &str) -> String {
        self.style(AnsiColor::Green.on_default().bold(), text)
    }

    pub fn yellow(self, text: &str) -> String {
        self.style(AnsiColor::Yellow.on_default(), text)
    }

    pub fn dim(self, text: &str) -> String {
        self.style(Style::new().dimmed(), text)
    }
}
