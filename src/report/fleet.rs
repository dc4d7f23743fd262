//! Fleet reports: many repositories' JSON reports (the `check` contract, one
//! per repository) as a terminal table, CSV, JSONL or Markdown. `fwlint
//! audit` and `fwlint merge` both render from these records, so a merged
//! set of shards renders exactly like the audit that was not sharded.

use crate::report::Paint;
use crate::ruleset::RuleSet;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write;

/// One repository's report as the JSON contract gives it, or the error
/// that kept it from being scanned.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct Record {
    pub root: String,
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub frameworks: Vec<Framework>,
    #[serde(default)]
    pub goals: Vec<GoalRecord>,
    #[serde(default)]
    pub verdict: Option<VerdictRecord>,
    #[serde(default)]
    pub projects: Vec<ProjectRecord>,
    #[serde(default)]
    pub findings: Vec<FindingRecord>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Evidence {
    pub signal: String,
    pub path: String,
    #[serde(default)]
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct Framework {
    pub id: String,
    pub score: f64,
    pub files: usize,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct GoalRecord {
    pub id: String,
    pub confidence: f64,
    pub primary: bool,
    #[serde(default)]
    pub declared: bool,
    #[serde(default)]
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct VerdictRecord {
    pub status: String,
    pub summary: String,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct ProjectRecord {
    pub path: String,
    #[serde(default)]
    pub frameworks: Vec<Framework>,
    #[serde(default)]
    pub goals: Vec<GoalRecord>,
    pub verdict: VerdictRecord,
}

#[derive(Clone, Debug, Default, Deserialize)]
pub struct FindingRecord {
    pub rule: String,
    pub name: String,
    pub severity: String,
    pub message: String,
    pub path: String,
    #[serde(default)]
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
    #[serde(default)]
    pub project: String,
}

/// The verdict column: the report's status, or `error`.
pub const STATUSES: [&str; 5] = ["aligned", "misaligned", "mixed", "undetermined", "error"];

impl Record {
    pub fn failed(root: &str, error: &str) -> serde_json::Value {
        serde_json::json!({ "root": root, "error": error })
    }

    pub fn status(&self) -> &str {
        match (&self.error, &self.verdict) {
            (Some(_), _) | (None, None) => "error",
            (None, Some(v)) => v.status.as_str(),
        }
    }

    pub fn primary_goals(&self) -> Vec<&str> {
        self.goals
            .iter()
            .filter(|g| g.primary)
            .map(|g| g.id.as_str())
            .collect()
    }

    /// Findings per severity: (error, warning, info).
    pub fn counts(&self) -> (usize, usize, usize) {
        let n = |s: &str| self.findings.iter().filter(|f| f.severity == s).count();
        (n("error"), n("warning"), n("info"))
    }

    /// Distinct rule codes of the findings, sorted.
    pub fn codes(&self) -> Vec<&str> {
        let mut codes: Vec<&str> = self.findings.iter().map(|f| f.rule.as_str()).collect();
        codes.sort_unstable();
        codes.dedup();
        codes
    }
}

/// Framework display names, falling back to the id.
pub fn framework_names(record: &Record, rules: &RuleSet) -> Vec<String> {
    record
        .frameworks
        .iter()
        .map(|f| {
            rules
                .framework(&f.id)
                .map_or_else(|| f.id.clone(), |d| d.name.clone())
        })
        .collect()
}

fn or_dash(list: &[String]) -> String {
    if list.is_empty() {
        "-".into()
    } else {
        list.join(", ")
    }
}

fn finding_summary(record: &Record) -> String {
    let (e, w, i) = record.counts();
    let total = e + w + i;
    if record.error.is_some() {
        return "-".into();
    }
    let parts: Vec<String> = [(e, "error"), (w, "warning"), (i, "info")]
        .iter()
        .filter(|(n, _)| *n > 0)
        .map(|(n, s)| format!("{n} {s}"))
        .collect();
    if total == 0 {
        "0".into()
    } else {
        format!("{total} ({})", parts.join(", "))
    }
}

/// Counts per status, in `STATUSES` order.
pub fn status_counts(records: &[Record]) -> Vec<(&'static str, usize)> {
    STATUSES
        .iter()
        .map(|s| (*s, records.iter().filter(|r| r.status() == *s).count()))
        .collect()
}

fn totals_line(records: &[Record]) -> String {
    let counts: Vec<String> = status_counts(records)
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .map(|(s, n)| format!("{n} {s}"))
        .collect();
    let findings: usize = records.iter().map(|r| r.findings.len()).sum();
    format!(
        "{} repositor{}: {}; {findings} finding{}",
        records.len(),
        if records.len() == 1 { "y" } else { "ies" },
        if counts.is_empty() {
            "none".into()
        } else {
            counts.join(", ")
        },
        if findings == 1 { "" } else { "s" }
    )
}

/// The terminal table.
pub fn table(records: &[Record], rules: &RuleSet, paint: &Paint) -> String {
    let rows: Vec<[String; 5]> = records
        .iter()
        .map(|r| {
            let goals: Vec<String> = r.primary_goals().iter().map(|g| (*g).to_string()).collect();
            [
                r.root.clone(),
                or_dash(&framework_names(r, rules)),
                or_dash(&goals),
                r.status().to_string(),
                finding_summary(r),
            ]
        })
        .collect();
    let header = [
        "repository",
        "frameworks",
        "primary goals",
        "verdict",
        "findings",
    ];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let pad = |s: &str, w: usize| format!("{s}{}", " ".repeat(w.saturating_sub(s.chars().count())));
    let mut out = String::new();
    let head: Vec<String> = header.iter().zip(widths).map(|(h, w)| pad(h, w)).collect();
    let _ = writeln!(out, "{}", paint.bold(head.join("  ").trim_end()));
    for (row, r) in rows.iter().zip(records) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .enumerate()
            .map(|(i, (c, w))| {
                let padded = pad(c, w);
                if i != 3 {
                    return padded;
                }
                match r.status() {
                    "aligned" => paint.green(&padded),
                    "misaligned" | "error" => paint.red(&padded),
                    "mixed" => paint.yellow(&padded),
                    _ => padded,
                }
            })
            .collect();
        let _ = writeln!(out, "{}", cells.join("  ").trim_end());
        if let Some(e) = &r.error {
            let _ = writeln!(out, "  {}", paint.red(&format!("could not scan: {e}")));
        }
    }
    let _ = writeln!(out, "\n{}", totals_line(records));
    out
}

/// RFC 4180 quoting: fields with a comma, quote or line break are quoted.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// One row per repository; lists are `;`-separated.
pub fn csv(records: &[Record]) -> String {
    let mut out = String::from(
        "repository,frameworks,primary_goals,verdict,findings,errors,warnings,infos,rules,summary,scan_error\r\n",
    );
    for r in records {
        let (e, w, i) = r.counts();
        let fields = [
            r.root.clone(),
            r.frameworks
                .iter()
                .map(|f| f.id.as_str())
                .collect::<Vec<_>>()
                .join(";"),
            r.primary_goals().join(";"),
            r.status().to_string(),
            r.findings.len().to_string(),
            e.to_string(),
            w.to_string(),
            i.to_string(),
            r.codes().join(";"),
            r.verdict
                .as_ref()
                .map(|v| v.summary.clone())
                .unwrap_or_default(),
            r.error.clone().unwrap_or_default(),
        ];
        let row: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        let _ = write!(out, "{}\r\n", row.join(","));
    }
    out
}

/// One compact JSON report a line.
pub fn jsonl(values: &[serde_json::Value]) -> String {
    let mut out = String::new();
    for v in values {
        out.push_str(&serde_json::to_string(v).expect("JSON values serialise"));
        out.push('\n');
    }
    out
}

fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// A Markdown summary: totals, then a row per repository.
pub fn markdown(records: &[Record], rules: &RuleSet) -> String {
    let mut out = String::from("## fwlint audit\n\n");
    let _ = writeln!(out, "{}\n", totals_line(records));
    let _ = writeln!(
        out,
        "| repository | frameworks | primary goals | verdict | findings |\n|---|---|---|---|---|"
    );
    for r in records {
        let goals: Vec<String> = r.primary_goals().iter().map(|g| format!("`{g}`")).collect();
        let verdict = match &r.error {
            Some(e) => format!("error: {}", md_cell(e)),
            None => r.status().to_string(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} | {} |",
            md_cell(&r.root),
            md_cell(&or_dash(&framework_names(r, rules))),
            or_dash(&goals),
            verdict,
            finding_summary(r)
        );
    }
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    for f in records.iter().flat_map(|r| &r.findings) {
        *by_rule.entry(f.rule.as_str()).or_default() += 1;
    }
    if !by_rule.is_empty() {
        let _ = writeln!(out, "\n| rule | name | findings |\n|---|---|---|");
        for (code, n) in by_rule {
            let name = rules.code(code).map_or("", |c| c.name.as_str());
            let _ = writeln!(out, "| {code} | `{name}` | {n} |");
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
    }

    #[test]
    fn a_failed_repository_is_an_error_row() {
        let v = Record::failed("repos/broken", "bad config");
        let r: Record = serde_json::from_value(v).unwrap();
        assert_eq!(r.status(), "error");
        assert!(csv(&[r]).contains("repos/broken,,,error,0,0,0,0,,,bad config"));
    }
}
