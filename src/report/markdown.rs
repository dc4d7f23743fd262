//! A Markdown summary for a pull-request comment or a job summary.

use crate::Report;
use crate::ruleset::RuleSet;
use crate::signal::location;
use std::fmt::Write;

pub fn render(report: &Report, rules: &RuleSet) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## fwlint: {}\n", report.verdict.status.as_str());
    let _ = writeln!(out, "{}\n", report.verdict.summary);
    let name = |id: &str| {
        rules
            .framework(id)
            .map_or(id.to_string(), |f| f.name.clone())
    };
    let fws: Vec<String> = report
        .rollup
        .frameworks
        .iter()
        .map(|f| format!("{} ({} files)", name(&f.id), f.files))
        .collect();
    let goals: Vec<String> = report
        .rollup
        .goals
        .iter()
        .map(|g| {
            format!(
                "`{}`{} {:.2}",
                g.goal,
                if g.primary { " (primary)" } else { "" },
                g.confidence
            )
        })
        .collect();
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(
        out,
        "| frameworks | {} |",
        if fws.is_empty() {
            "none".into()
        } else {
            fws.join(", ")
        }
    );
    let _ = writeln!(
        out,
        "| goals | {} |\n",
        if goals.is_empty() {
            "none".into()
        } else {
            goals.join(", ")
        }
    );
    if report.findings.is_empty() {
        let _ = writeln!(out, "No findings.");
        return out;
    }
    let _ = writeln!(
        out,
        "| location | rule | severity | message |\n|---|---|---|---|"
    );
    for f in &report.findings {
        let message = f.message.replace('|', "\\|");
        let _ = writeln!(
            out,
            "| `{}` | {} `{}` | {} | {} |",
            location(&f.path, f.cell, f.line, f.column),
            f.code,
            f.name,
            f.severity.as_str(),
            message
        );
    }
    out
}
