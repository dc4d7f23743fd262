//! Text for people: a compact summary, then findings as
//! `path:line:col: CODE message`, like rustc and ruff.

use super::Paint;
use crate::Report;
use crate::infer::{Evidence, UnitAnalysis};
use crate::judge::{Finding, Status, Verdict};
use crate::ruleset::{RuleSet, Severity};
use crate::signal::location;
use std::fmt::Write;

fn at(e: &Evidence) -> String {
    location(&e.path, e.cell, e.line, e.column)
}

fn status_paint(p: &Paint, status: Status) -> String {
    let s = status.as_str();
    match status {
        Status::Aligned => p.green(s),
        Status::Misaligned => p.red(s),
        Status::Mixed => p.yellow(s),
        Status::Undetermined => p.dim(s),
    }
}

fn summary(out: &mut String, unit: &UnitAnalysis, verdict: &Verdict, rules: &RuleSet, p: &Paint) {
    if unit.frameworks.is_empty() {
        let _ = writeln!(out, "  frameworks  {}", p.dim("none found"));
    }
    let name_of = |id: &str| {
        rules
            .framework(id)
            .map_or(id.to_string(), |d| d.name.clone())
    };
    let width = unit
        .frameworks
        .iter()
        .map(|f| name_of(&f.id).chars().count())
        .max()
        .unwrap_or(0)
        .max(12);
    for (i, f) in unit.frameworks.iter().enumerate() {
        let name = name_of(&f.id);
        let head = if i == 0 { "frameworks" } else { "" };
        let files = if f.files == 1 { "file" } else { "files" };
        let top = f
            .evidence
            .first()
            .map(|e| format!("{} ({})", e.signal, at(e)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "  {head:<10}  {} score {:>6.2}  {:>4} {files:<5}  {}",
            padded(p.bold(&name), name.chars().count(), width),
            f.score,
            f.files,
            p.dim(&top)
        );
    }
    if unit.goals.is_empty() {
        let _ = writeln!(out, "  goals       {}", p.dim("none inferred"));
    }
    for (i, g) in unit.goals.iter().enumerate() {
        let head = if i == 0 { "goals" } else { "" };
        let mark = if g.declared {
            " (declared)"
        } else if g.primary {
            " (primary)"
        } else {
            ""
        };
        let ev: Vec<String> = g
            .evidence
            .iter()
            .take(3)
            .map(|e| format!("{} ({})", e.signal, at(e)))
            .collect();
        let id = g.goal.as_str();
        let label = format!("{}{mark}", p.bold(id));
        let _ = writeln!(
            out,
            "  {head:<10}  {} {:.2}  {}",
            padded(label, id.len() + mark.len(), 32),
            g.confidence,
            p.dim(&ev.join(", "))
        );
    }
    let _ = writeln!(
        out,
        "  verdict     {}: {}",
        status_paint(p, verdict.status),
        verdict.summary
    );
}

/// Pads a painted string by its visible width (escape codes take none).
fn padded(painted: String, visible: usize, width: usize) -> String {
    format!("{painted}{}", " ".repeat(width.saturating_sub(visible)))
}

fn severity(p: &Paint, s: Severity) -> String {
    match s {
        Severity::Error => p.red("error"),
        Severity::Warning => p.yellow("warning"),
        Severity::Info => p.blue("info"),
    }
}

pub fn finding_line(f: &Finding, p: &Paint) -> String {
    format!(
        "{}: {} [{}] {}",
        p.bold(&location(&f.path, f.cell, f.line, f.column)),
        p.bold(&f.code),
        severity(p, f.severity),
        f.message
    )
}

pub fn render(report: &Report, rules: &RuleSet, p: &Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} ({} files read)",
        p.bold("fwlint"),
        report.root,
        report.stats.files_read
    );
    summary(&mut out, &report.rollup, &report.verdict, rules, p);
    let units = report.projects.iter().any(|u| u.analysis.path != ".");
    if units {
        let _ = writeln!(out, "\nprojects");
        for u in report.projects.iter() {
            let fws: Vec<&str> = u
                .analysis
                .frameworks
                .iter()
                .map(|f| f.id.as_str())
                .collect();
            let goals: Vec<&str> = u
                .analysis
                .primary_goals()
                .map(|g| g.goal.as_str())
                .collect();
            let _ = writeln!(
                out,
                "  {:<30} {:<13} frameworks: {:<22} goals: {}",
                u.analysis.path,
                status_paint(p, u.verdict.status),
                if fws.is_empty() {
                    "-".to_string()
                } else {
                    fws.join(", ")
                },
                if goals.is_empty() {
                    "-".to_string()
                } else {
                    goals.join(", ")
                }
            );
        }
    }
    if !report.findings.is_empty() {
        out.push('\n');
    }
    for f in &report.findings {
        let _ = writeln!(out, "{}", finding_line(&f, p));
    }
    let _ = writeln!(out, "\n{}", tally(&report.findings));
    out
}

/// `--quiet`: the findings alone, one a line.
pub fn findings_only(report: &Report, p: &Paint) -> String {
    report
        .findings
        .iter()
        .map(|f| finding_line(&f, p) + "\n")
        .collect()
}

/// `--statistics`: how many findings each rule has, most first.
pub fn statistics(report: &Report) -> String {
    let mut counts: std::collections::BTreeMap<(String, String, &str), usize> = Default::default();
    for f in &report.findings {
        *counts
            .entry((f.code.clone(), f.name.clone(), f.severity.as_str()))
            .or_default() += 1;
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let mut out = String::new();
    for ((code, name, severity), n) in rows {
        let _ = writeln!(out, "{n:>5}  {code}  {name:<28} {severity}");
    }
    out
}

/// `2 findings (1 warning, 1 info)` or `no findings`.
pub fn tally(findings: &crate::findings::Findings) -> String {
    if findings.is_empty() {
        return "no findings".into();
    }
    let mut by_severity = std::collections::BTreeMap::new();
    for f in findings {
        *by_severity.entry(f.severity).or_insert(0) += 1;
    }
    let count = |s| by_severity.get(&s).copied().unwrap_or(0);
    let parts: Vec<String> = [
        (Severity::Error, "error"),
        (Severity::Warning, "warning"),
        (Severity::Info, "info"),
    ]
    .into_iter()
    .filter_map(|(s, name)| {
        let n = count(s);
        (n > 0).then(|| {
            format!(
                "{n} {name}{}",
                if n > 1 && name != "info" { "s" } else { "" }
            )
        })
    })
    .collect();
    let n = findings.len();
    format!(
        "{n} finding{} ({})",
        if n == 1 { "" } else { "s" },
        parts.join(", ")
    )
}
