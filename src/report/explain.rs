//! `fwlint explain`: every number of the report, and the evidence behind it.

use super::Paint;
use crate::Report;
use crate::infer::{Evidence, UnitAnalysis};
use crate::ruleset::RuleSet;
use crate::signal::location;
use std::fmt::Write;

fn evidence_lines(out: &mut String, ev: &[Evidence], p: &Paint) {
    for e in ev {
        let _ = writeln!(
            out,
            "      {:>5.2}  {:<40} {}  {}",
            e.weight,
            e.signal,
            location(&e.path, e.cell, e.line, e.column),
            p.dim(&e.rule)
        );
    }
}

fn unit(out: &mut String, u: &UnitAnalysis, rules: &RuleSet, p: &Paint) {
    let s = &rules.scoring;
    let _ = writeln!(
        out,
        "  frameworks (score = sum over files of the file's strongest rule weight × context; used at ≥ {})",
        s.framework_threshold
    );
    if u.frameworks.is_empty() {
        let _ = writeln!(out, "    {}", p.dim("none"));
    }
    for f in &u.frameworks {
        let _ = writeln!(
            out,
            "    {} score {:.2} in {} files (strongest shown)",
            p.bold(&f.id),
            f.score,
            f.files
        );
        evidence_lines(out, &f.evidence, p);
    }
    let _ = writeln!(
        out,
        "  goals (score = sum of each matching rule's strongest weight × context; confidence = 1 - exp(-score / {}); listed at ≥ {}; primary at ≥ {} × top score)",
        s.scale, s.threshold, s.primary_share
    );
    for g in u.goals.iter().chain(&u.weak_goals) {
        let state = if g.declared {
            "declared"
        } else if g.primary {
            "primary"
        } else if g.confidence >= s.threshold {
            "listed"
        } else {
            "below threshold"
        };
        let _ = writeln!(
            out,
            "    {} score {:.2} → confidence {:.2} ({state})",
            p.bold(g.goal.as_str()),
            g.score,
            g.confidence
        );
        evidence_lines(out, &g.evidence, p);
    }
    if u.goals.is_empty() && u.weak_goals.is_empty() {
        let _ = writeln!(out, "    {}", p.dim("no goal evidence"));
    }
}

pub fn render(report: &Report, rules: &RuleSet, p: &Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {}", p.bold("whole tree"), report.root);
    unit(&mut out, &report.rollup, rules, p);
    let _ = writeln!(
        out,
        "  verdict {}: {}",
        report.verdict.status.as_str(),
        report.verdict.summary
    );
    for proj in report.projects.iter().filter(|u| u.analysis.path != ".") {
        let _ = writeln!(out, "\n{} {}", p.bold("project"), proj.analysis.path);
        unit(&mut out, &proj.analysis, rules, p);
        let _ = writeln!(
            out,
            "  verdict {}: {}",
            proj.verdict.status.as_str(),
            proj.verdict.summary
        );
    }
    out
}
