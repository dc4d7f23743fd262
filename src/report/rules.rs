//! `fwlint rules` and `fwlint rule CODE`: the finding rules and their docs.

use super::Paint;
use crate::ruleset::{CodeDoc, RuleSet};
use std::fmt::Write;

pub fn list(rules: &RuleSet, p: &Paint) -> String {
    let mut out = String::new();
    for c in &rules.codes {
        let _ = writeln!(
            out,
            "{}  {:<28} {:<8} {}",
            p.bold(&c.code),
            c.name,
            c.severity.as_str(),
            c.summary
        );
    }
    out
}

pub fn doc(c: &CodeDoc, p: &Paint) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} ({})",
        p.bold(&format!("{}: {}", c.code, c.name)),
        c.severity.as_str()
    );
    let _ = writeln!(out, "\n{}\n", c.summary);
    for (head, body) in [
        ("What it does", &c.what_it_does),
        ("Why is this bad?", &c.why),
        ("Example", &c.example),
        ("Use instead", &c.use_instead),
    ] {
        let _ = writeln!(out, "{}\n{}\n", p.bold(&format!("## {head}")), body.trim());
    }
    out
}
