//! GitHub Actions workflow commands: one annotation per finding.

use crate::Report;
use crate::ruleset::Severity;

/// Workflow command values escape `%`, CR and LF; properties also `:` and `,`.
fn escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for f in &report.findings {
        let command = match f.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let title = escape(&format!("{} {}", f.code, f.name), true);
        let message = match f.cell {
            Some(cell) => format!("{} (cell {cell}, line {})", f.message, f.line),
            None => f.message.clone(),
        };
        let line = if f.cell.is_some() { 1 } else { f.line };
        out.push_str(&format!(
            "::{command} file={},line={line},col={},title={title}::{}\n",
            escape(&f.path, true),
            f.column,
            escape(&message, false)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_workflow_command_values() {
        assert_eq!(escape("a%b\nc", false), "a%25b%0Ac");
        assert_eq!(escape("x:y,z", true), "x%3Ay%2Cz");
    }
}
