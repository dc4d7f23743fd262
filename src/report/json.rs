//! The JSON contract of ARCHITECTURE.md, version 1, and the `signals` JSONL.

use crate::infer::{Evidence, FrameworkUse, GoalScore, UnitAnalysis};
use crate::judge::{Finding, Verdict};
use crate::signal::Signal;
use crate::{Report, Stats};
use serde::Serialize;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Serialize)]
struct Json<'a> {
    version: u32,
    tool: Tool,
    root: &'a str,
    frameworks: Vec<FrameworkJson<'a>>,
    goals: Vec<GoalJson<'a>>,
    verdict: &'a Verdict,
    projects: ProjectsJson<'a>,
    findings: FindingsJson<'a>,
    stats: StatsJson<'a>,
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    version: &'static str,
}

#[derive(Serialize)]
struct EvidenceJson<'a> {
    signal: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<u32>,
    line: u32,
    column: u32,
    weight: f64,
}

#[derive(Serialize)]
struct FrameworkJson<'a> {
    id: &'a str,
    score: f64,
    files: usize,
    evidence: Vec<EvidenceJson<'a>>,
}

#[derive(Serialize)]
struct GoalJson<'a> {
    id: &'static str,
    confidence: f64,
    primary: bool,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    declared: bool,
    score: f64,
    evidence: Vec<EvidenceJson<'a>>,
}

#[derive(Serialize)]
struct ProjectJson<'a> {
    path: &'a str,
    frameworks: Vec<FrameworkJson<'a>>,
    goals: Vec<GoalJson<'a>>,
    verdict: &'a Verdict,
}

#[derive(Serialize)]
struct FindingJson<'a> {
    rule: &'a str,
    name: &'a str,
    severity: &'static str,
    message: &'a str,
    path: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cell: Option<u32>,
    line: u32,
    column: u32,
    project: &'a str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<EvidenceJson<'a>>,
}

#[derive(Serialize)]
struct StatsJson<'a> {
    files_seen: u64,
    files_read: u64,
    bytes_read: u64,
    skipped: &'a BTreeMap<String, u64>,
    elapsed_ms: u64,
}

fn evidence(ev: &[Evidence]) -> Vec<EvidenceJson<'_>> {
    ev.iter()
        .map(|e| EvidenceJson {
            signal: &e.signal,
            path: &e.path,
            cell: e.cell,
            line: e.line,
            column: e.column,
            weight: e.weight,
        })
        .collect()
}

fn frameworks(fws: &[FrameworkUse]) -> Vec<FrameworkJson<'_>> {
    fws.iter()
        .map(|f| FrameworkJson {
            id: &f.id,
            score: f.score,
            files: f.files,
            evidence: evidence(&f.evidence),
        })
        .collect()
}

fn goals(goals: &[GoalScore]) -> Vec<GoalJson<'_>> {
    goals
        .iter()
        .map(|g| GoalJson {
            id: g.goal.as_str(),
            confidence: g.confidence,
            primary: g.primary,
            declared: g.declared,
            score: g.score,
            evidence: evidence(&g.evidence),
        })
        .collect()
}

fn finding(f: &Finding) -> FindingJson<'_> {
    FindingJson {
        rule: &f.code,
        name: &f.name,
        severity: f.severity.as_str(),
        message: &f.message,
        path: &f.path,
        cell: f.cell,
        line: f.line,
        column: f.column,
        project: &f.project,
        evidence: evidence(&f.evidence),
    }
}

fn project<'a>(unit: &'a UnitAnalysis, verdict: &'a Verdict) -> ProjectJson<'a> {
    ProjectJson {
        path: &unit.path,
        frameworks: frameworks(&unit.frameworks),
        goals: goals(&unit.goals),
        verdict,
    }
}

/// The projects, serialised as they are read back (see [`crate::projects`]).
struct ProjectsJson<'a>(&'a crate::projects::Projects);

impl Serialize for ProjectsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for p in self.0.iter() {
            seq.serialize_element(&project(&p.analysis, &p.verdict))?;
        }
        seq.end()
    }
}

/// The findings, serialised as they are read back (see [`crate::findings`]).
struct FindingsJson<'a>(&'a crate::findings::Findings);

impl Serialize for FindingsJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for f in self.0 {
            seq.serialize_element(&finding(&f))?;
        }
        seq.end()
    }
}

/// The report as pretty JSON, newline-terminated.
pub fn render(report: &Report, elapsed_ms: u64) -> String {
    let mut out = Vec::new();
    write(report, elapsed_ms, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// Writes the report as pretty JSON, newline-terminated, as it is
/// serialised: a monorepo's report is never held whole in memory.
pub fn write(
    report: &Report,
    elapsed_ms: u64,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let json = Json {
        version: 1,
        tool: Tool {
            name: "fwlint",
            version: env!("CARGO_PKG_VERSION"),
        },
        root: &report.root,
        frameworks: frameworks(&report.rollup.frameworks),
        goals: goals(&report.rollup.goals),
        verdict: &report.verdict,
        projects: ProjectsJson(&report.projects),
        findings: FindingsJson(&report.findings),
        stats: stats(&report.stats, elapsed_ms),
    };
    // serde_json writes a report in some 20 pieces a project: through a
    // buffer of a known type they are copies, not calls through `dyn`.
    let mut buffered = std::io::BufWriter::with_capacity(64 << 10, out);
    serde_json::to_writer_pretty(&mut buffered, &json)?;
    buffered.write_all(b"\n")?;
    buffered.flush()
}

fn stats(stats: &Stats, elapsed_ms: u64) -> StatsJson<'_> {
    StatsJson {
        files_seen: stats.files_seen,
        files_read: stats.files_read,
        bytes_read: stats.bytes_read,
        skipped: &stats.skipped,
        elapsed_ms,
    }
}

/// One JSON object a line, in the order given (sorted by the scan).
pub fn write_signals_jsonl(
    signals: &[Signal],
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    for s in signals {
        serde_json::to_writer(&mut *out, s)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
