//! SARIF 2.1.0 for code scanning (GitHub and others). Validated against the
//! official OASIS schema by `tests/formats.rs`.

use crate::Report;
use crate::judge::Finding;
use crate::ruleset::{CodeDoc, RuleSet, Severity};
use serde_json::{Value, json};

fn level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn rule(doc: &CodeDoc) -> Value {
    let help = format!(
        "{}\n\nWhy: {}\n\nExample: {}\n\nUse instead: {}",
        doc.what_it_does.trim(),
        doc.why.trim(),
        doc.example.trim(),
        doc.use_instead.trim()
    );
    let markdown = format!(
        "## What it does\n{}\n\n## Why is this bad?\n{}\n\n## Example\n{}\n\n## Use instead\n{}",
        doc.what_it_does.trim(),
        doc.why.trim(),
        doc.example.trim(),
        doc.use_instead.trim()
    );
    json!({
        "id": doc.code,
        "name": doc.name,
        "shortDescription": {"text": doc.summary},
        "fullDescription": {"text": doc.what_it_does.trim()},
        "help": {"text": help, "markdown": markdown},
        "defaultConfiguration": {"level": level(doc.severity)},
    })
}

fn result(f: &Finding, rules: &RuleSet) -> Value {
    let index = rules
        .codes
        .iter()
        .position(|c| c.code == f.code)
        .unwrap_or(0);
    let mut region = json!({"startLine": f.line.max(1), "startColumn": f.column.max(1)});
    let mut message = f.message.clone();
    if let Some(cell) = f.cell {
        // SARIF regions cannot address notebook cells: say which in the text.
        message = format!("{message} (cell {cell}, line {})", f.line);
        region = json!({"startLine": 1});
    }
    json!({
        "ruleId": f.code,
        "ruleIndex": index,
        "level": level(f.severity),
        "message": {"text": message},
        "locations": [{
            "physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                "region": region,
            }
        }],
        // Stable across line shifts: rule, file and project, not the line.
        "partialFingerprints": {"fwlint/v1": format!("{}:{}:{}", f.code, f.path, f.project)},
        "properties": {"project": f.project},
    })
}

pub fn render(report: &Report, rules: &RuleSet) -> String {
    let sarif = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "fwlint",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules.codes.iter().map(rule).collect::<Vec<_>>(),
            }},
            "results": report.findings.iter().map(|f| result(&f, rules)).collect::<Vec<_>>(),
            "properties": {
                "verdict": report.verdict.status.as_str(),
                "summary": report.verdict.summary,
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&sarif).expect("SARIF serialises");
    s.push('\n');
    s
}
