//! Renderers. They only format a finished [`crate::Report`]; they never compute.

pub mod explain;
pub mod fleet;
pub mod github;
pub mod gitlab;
pub mod html;
pub mod json;
pub mod junit;
pub mod markdown;
pub mod rules;
pub mod sarif;
pub mod text;

/// ANSI styling, or none (not a terminal, `NO_COLOR`, `--color never`).
#[derive(Clone, Copy, Debug)]
pub struct Paint {
    pub color: bool,
}

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.color && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn red(&self, s: &str) -> String {
        self.wrap("1;31", s)
    }
    pub fn green(&self, s: &str) -> String {
        self.wrap("1;32", s)
    }
    pub fn yellow(&self, s: &str) -> String {
        self.wrap("1;33", s)
    }
    pub fn blue(&self, s: &str) -> String {
        self.wrap("1;34", s)
    }
}

/// Escapes text for XML and HTML; characters XML 1.0 cannot carry at all
/// become U+FFFD.
pub fn escape_markup(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}
