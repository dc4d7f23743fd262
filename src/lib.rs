//! fwlint: audits whether a repository's ML framework fits what it is for.
//!
//! The pipeline runs one way (see ARCHITECTURE.md):
//! `walk` → `extract` → `infer` → `judge` → `report`, all driven by the
//! rules in `rules/` (compiled by `ruleset`). [`check`] runs it whole.

pub mod app;
pub mod audit;
pub mod baseline;
pub mod config;
pub mod extract;
pub mod infer;
pub mod judge;
pub mod report;
pub mod ruleset;
pub mod signal;
pub mod walk;

use infer::UnitAnalysis;
use judge::{Finding, Verdict};
use rayon::prelude::*;
use ruleset::{Goal, RuleSet};
use signal::{Diagnostic, Signal, SignalKind};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use walk::{FileEntry, FileKind, WalkOptions};

/// What to scan and how; built from the command line and config.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub paths: Vec<PathBuf>,
    pub walk: WalkOptions,
    /// Goals declared by the user (`--goal`, config `goals`).
    pub goals: Vec<Goal>,
    /// Globs of files to leave out, relative to the scanned folder.
    pub exclude: Vec<String>,
    /// Where config `goals` are written: (path relative to the root, line).
    pub goals_at: Option<(String, usize)>,
    /// Counters a progress display reads while the scan runs.
    pub progress: Option<std::sync::Arc<Progress>>,
}

/// How far a scan is: files found by the walk, and files extracted.
#[derive(Debug, Default)]
pub struct Progress {
    pub found: std::sync::atomic::AtomicU64,
    pub done: std::sync::atomic::AtomicU64,
}

/// Errors that stop a run (exit 2). Problems with scanned files never do.
#[derive(Debug)]
pub enum Error {
    MissingRoot(PathBuf),
    Rules(ruleset::RulesError),
    Config {
        path: PathBuf,
        message: String,
    },
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingRoot(p) => write!(f, "{}: no such file or directory", p.display()),
            Error::Rules(e) => write!(f, "invalid rules: {e}"),
            Error::Config { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl std::error::Error for Error {}

/// Counters about the walk, for the report's `stats`.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub files_seen: u64,
    pub files_read: u64,
    pub bytes_read: u64,
    pub skipped: BTreeMap<String, u64>,
    /// Wall time of each phase (walk, extract, analyse), for `--verbose`
    /// and the benchmark's account; never in a report, which stays the same
    /// from run to run.
    pub phases: Vec<(&'static str, std::time::Duration)>,
    /// Signals held after extraction (a check keeps only the essential ones).
    pub signals_kept: u64,
}

/// Everything the walk and the extractors found.
#[derive(Debug, Default)]
pub struct Scan {
    /// The root as the user gave it (for display).
    pub root: String,
    pub files: Vec<FileEntry>,
    /// Sorted by path, cell, line, column, kind, key.
    pub signals: Vec<Signal>,
    pub diagnostics: Vec<Diagnostic>,
    pub stats: Stats,
}

/// Where relative paths start: the single directory given, the parent of a
/// single file, or the working directory when several paths are given.
pub fn base_of(paths: &[PathBuf]) -> (PathBuf, String) {
    match paths {
        [one] if one.is_dir() => (one.clone(), one.display().to_string()),
        [one] => {
            let parent = one.parent().filter(|p| !p.as_os_str().is_empty());
            let base = parent.map_or_else(|| PathBuf::from("."), Path::to_path_buf);
            (base.clone(), base.display().to_string())
        }
        _ => (PathBuf::from("."), ".".to_string()),
    }
}

/// Walks and extracts: every signal of every file under the given paths.
pub fn scan(settings: &Settings, rules: &RuleSet) -> Result<Scan, Error> {
    scan_keeping(settings, rules, &|signals| signals)
}

/// What a scan keeps of each file's signals. A check keeps only what the
/// verdict can use ([`judge::essentials`]), so memory grows with the
/// evidence, not with every `import os` in the tree.
type Keep<'k> = dyn Fn(Vec<Signal>) -> Vec<Signal> + Sync + 'k;

fn scan_keeping(settings: &Settings, rules: &RuleSet, keep: &Keep) -> Result<Scan, Error> {
    let paths = if settings.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        settings.paths.clone()
    };
    for p in &paths {
        if std::fs::symlink_metadata(p).is_err() {
            return Err(Error::MissingRoot(p.clone()));
        }
    }
    let (base, root) = base_of(&paths);
    let started = std::time::Instant::now();
    let mut scan = Scan {
        root,
        ..Scan::default()
    };
    for p in &paths {
        let walked = walk::walk(p, &base, &settings.walk);
        scan.files.extend(walked.files);
        for (path, message) in walked.errors {
            scan.diagnostics.push(Diagnostic {
                path: if path.is_empty() { ".".into() } else { path },
                cell: None,
                line: 1,
                column: 1,
                code: "FW001",
                message: format!("cannot read: {message}"),
            });
        }
        if walked.not_regular > 0 {
            *scan
                .stats
                .skipped
                .entry("not-regular-file".into())
                .or_default() += walked.not_regular;
        }
    }
    scan.files.sort();
    scan.files.dedup_by(|a, b| a.rel == b.rel);
    if !settings.exclude.is_empty() {
        let excluded = exclude_set(&settings.exclude)?;
        scan.files.retain(|f| !excluded.is_match(&f.rel));
    }
    scan.stats.files_seen = scan.files.len() as u64;
    let progress = settings.progress.as_deref();
    if let Some(p) = progress {
        p.found.store(scan.stats.files_seen, Ordering::Relaxed);
    }

    // Each thread folds its files into one accumulator: no per-file vectors
    // outlive their file, so memory follows the evidence kept.
    scan.stats.phases.push(("walk", started.elapsed()));
    let started = std::time::Instant::now();
    let pieces: Vec<Found> = scan
        .files
        .par_iter()
        .fold(Found::default, |mut found, entry| {
            found.add(extract_entry(entry, rules), keep);
            if let Some(p) = progress {
                p.done.fetch_add(1, Ordering::Relaxed);
            }
            found
        })
        .collect();
    let roots = infer::unit_roots(&scan.files);
    let layout = infer::layout_signals(&scan.files, &roots);
    let found = Found::concat(pieces, layout);
    scan.signals = found.signals;
    scan.diagnostics = found.diagnostics;
    scan.stats.files_read = found.stats.files_read;
    scan.stats.bytes_read = found.stats.bytes_read;
    for (reason, n) in found.stats.skipped {
        *scan.stats.skipped.entry(reason).or_default() += n;
    }
    follow_includes(&mut scan, &base, rules, keep);
    scan.signals.sort_unstable();
    scan.diagnostics.sort();
    scan.stats.signals_kept = scan.signals.len() as u64;
    scan.stats.phases.push(("extract", started.elapsed()));
    Ok(scan)
}

fn exclude_set(globs: &[String]) -> Result<globset::GlobSet, Error> {
    let mut set = globset::GlobSetBuilder::new();
    for g in globs {
        let glob = globset::Glob::new(g).map_err(|e| Error::Config {
            path: PathBuf::from("exclude"),
            message: format!("bad glob `{g}`: {e}"),
        })?;
        set.add(glob);
    }
    set.build().map_err(|e| Error::Config {
        path: PathBuf::from("exclude"),
        message: e.to_string(),
    })
}

/// What the files of one thread gave (merged in any order: the scan sorts).
#[derive(Default)]
struct Found {
    signals: Vec<Signal>,
    diagnostics: Vec<Diagnostic>,
    stats: Stats,
}

impl Found {
    fn add(&mut self, r: FileResult, keep: &Keep) {
        self.stats.files_read += u64::from(r.read);
        self.stats.bytes_read += r.bytes;
        if let Some(reason) = r.skipped {
            *self.stats.skipped.entry(reason.into()).or_default() += 1;
        }
        self.signals.extend(keep(r.signals));
        self.diagnostics.extend(r.diagnostics);
    }

    /// The threads' pieces, in file order, and `extra` signals, in one
    /// vector of exactly their size: merging pairwise reallocated and
    /// copied the signals over and over (a quarter of the peak memory on a
    /// 100k-file tree).
    fn concat(pieces: Vec<Found>, extra: Vec<Signal>) -> Found {
        let total = pieces.iter().map(|p| p.signals.len()).sum::<usize>() + extra.len();
        let mut all = Found {
            signals: Vec::with_capacity(total),
            ..Found::default()
        };
        for piece in pieces {
            all.stats.files_read += piece.stats.files_read;
            all.stats.bytes_read += piece.stats.bytes_read;
            for (reason, n) in piece.stats.skipped {
                *all.stats.skipped.entry(reason).or_default() += n;
            }
            all.signals.extend(piece.signals);
            all.diagnostics.extend(piece.diagnostics);
        }
        all.signals.extend(extra);
        all
    }
}

struct FileResult {
    signals: Vec<Signal>,
    diagnostics: Vec<Diagnostic>,
    read: bool,
    bytes: u64,
    skipped: Option<&'static str>,
}

fn extract_entry(entry: &FileEntry, rules: &RuleSet) -> FileResult {
    let mut result = FileResult {
        signals: extract::path_signal(&entry.rel, rules)
            .into_iter()
            .collect(),
        diagnostics: Vec::new(),
        read: false,
        bytes: 0,
        skipped: None,
    };
    if entry.kind == FileKind::Other {
        return result;
    }
    let cap = entry.kind.size_cap();
    if entry.size > cap {
        result.skipped = Some("too-large");
        if !entry.kind.reports_oversize() {
            // Generated YAML (CRDs) and bundled JS are skipped quietly.
            return result;
        }
        result.diagnostics.push(Diagnostic {
            path: entry.rel.clone(),
            cell: None,
            line: 1,
            column: 1,
            code: "FW005",
            message: format!(
                "{} is {} bytes, over the {} MiB limit for {}; skipped",
                entry.rel,
                entry.size,
                cap / (1024 * 1024),
                extract::kind_name(entry.kind)
            ),
        });
        return result;
    }
    match read_capped(&entry.path, entry.kind.read_limit()) {
        Ok(bytes) => {
            result.read = true;
            result.bytes = bytes.len() as u64;
            let out = extract::extract_file(&entry.rel, entry.kind, &bytes, rules);
            result.signals.extend(out.signals);
            result.diagnostics.extend(out.diagnostics);
        }
        Err(e) => {
            result.skipped = Some("unreadable");
            result.diagnostics.push(Diagnostic {
                path: entry.rel.clone(),
                cell: None,
                line: 1,
                column: 1,
                code: "FW001",
                message: format!("cannot read: {e}"),
            });
        }
    }
    result
}

/// Reads at most `cap` bytes of a regular file (a file may grow after the walk).
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    if !file.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    file.take(cap).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// `-r other.txt` includes: read included files that the walk did not already
/// classify as requirements, as long as they stay inside the root.
fn follow_includes(scan: &mut Scan, base: &Path, rules: &RuleSet, keep: &Keep) {
    let mut done: BTreeSet<String> = scan
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Requirements)
        .map(|f| f.rel.clone())
        .collect();
    let mut pending: Vec<(String, String)> = scan
        .signals
        .iter()
        .filter(|s| s.kind == SignalKind::Include)
        .map(|s| (s.path.clone(), s.key.clone()))
        .collect();
    // Bounded: each file is read at most once, and at most this many.
    let mut budget = 256;
    while let Some((from, target)) = pending.pop() {
        let Some(rel) = join_inside(infer::parent_dir(&from), &target) else {
            continue;
        };
        if !done.insert(rel.clone()) || budget == 0 {
            continue;
        }
        budget -= 1;
        let path = base.join(&rel);
        let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
        if !regular {
            continue;
        }
        let Ok(bytes) = read_capped(&path, FileKind::Requirements.size_cap()) else {
            continue;
        };
        let out = extract::extract_file(&rel, FileKind::Requirements, &bytes, rules);
        for s in &out.signals {
            if s.kind == SignalKind::Include {
                pending.push((rel.clone(), s.key.clone()));
            }
        }
        scan.signals.extend(keep(out.signals));
        scan.diagnostics.extend(out.diagnostics);
    }
}

/// `dir/target` normalised; `None` when it leaves the root or is absolute.
fn join_inside(dir: &str, target: &str) -> Option<String> {
    if target.starts_with('/') || target.contains("://") {
        return None;
    }
    let mut parts: Vec<&str> = if dir == "." {
        Vec::new()
    } else {
        dir.split('/').collect()
    };
    for part in target.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// One project unit in the report.
#[derive(Clone, Debug)]
pub struct Project {
    pub analysis: UnitAnalysis,
    pub verdict: Verdict,
}

/// The full result of a check: what `report` renders.
#[derive(Clone, Debug)]
pub struct Report {
    pub root: String,
    pub rollup: UnitAnalysis,
    pub verdict: Verdict,
    pub projects: Vec<Project>,
    pub findings: Vec<Finding>,
    pub stats: Stats,
}

/// Runs the whole pipeline.
pub fn check(settings: &Settings, rules: &RuleSet) -> Result<Report, Error> {
    let scan = scan_keeping(settings, rules, &|signals| {
        judge::essentials(signals, rules)
    })?;
    Ok(analyse(scan, settings, rules))
}

/// Infers and judges a finished scan.
pub fn analyse(mut scan: Scan, settings: &Settings, rules: &RuleSet) -> Report {
    let started = std::time::Instant::now();
    let roots = infer::unit_roots(&scan.files);
    let manifests = ManifestState::new(&scan.files, &scan.diagnostics, &roots);
    let first = scan.files.first().map(|f| f.rel.clone());
    // Nothing below needs the file list: on a 100k-file tree it is a
    // quarter of the memory the analysis would otherwise peak at.
    scan.files = Vec::new();
    let all: Vec<&Signal> = scan.signals.iter().collect();
    let rollup = infer::analyse(".", &all, rules, &settings.goals);
    let mut by_unit: BTreeMap<&str, Vec<&Signal>> = BTreeMap::new();
    for s in &scan.signals {
        by_unit
            .entry(infer::unit_of(&s.path, &roots))
            .or_default()
            .push(s);
    }
    let imported = judge::imported_frameworks(&scan.signals, rules);
    let units: Vec<UnitAnalysis> = by_unit
        .iter()
        .map(|(root, signals)| infer::analyse(root, signals, rules, &settings.goals))
        .collect();
    let mut projects = Vec::new();
    let mut findings = Vec::new();
    for unit in &units {
        let enclosing = enclosing_roots(&roots, &unit.path);
        // A unit without goal evidence of its own is judged on the goals of
        // the nearest enclosing unit that has some.
        let goals = enclosing
            .iter()
            .find_map(|r| units.iter().find(|u| u.path == *r && !u.goals.is_empty()));
        let declared_scope: Vec<&Signal> = enclosing
            .iter()
            .flat_map(|r| by_unit.get(r).into_iter().flatten().copied())
            // Python code is declared in Python manifests only (a C++ header
            // or a Gradle line says nothing about `import torch`).
            .filter(|s| {
                s.kind == SignalKind::Dependency
                    && (s.key.starts_with("pypi:") || s.key.starts_with("conda:"))
            })
            .collect();
        let input = judge::UnitInput {
            unit,
            goals,
            signals: &by_unit[unit.path.as_str()],
            declared_scope: &declared_scope,
            imported: &imported,
            readable_manifest: manifests.readable_in(&enclosing),
        };
        findings.extend(judge::findings(&input, rules));
        if unit.frameworks.is_empty() && unit.goals.is_empty() {
            // Nothing to report for a unit with no ML evidence (a docs folder).
            continue;
        }
        projects.push(Project {
            analysis: unit.clone(),
            verdict: judge::verdict(unit, goals, rules),
        });
    }
    let first = first.as_deref();
    findings.extend(judge::tree_findings(&rollup, first, rules));
    findings.extend(judge::declared_goal_findings(
        &rollup,
        settings.goals_at.as_ref(),
        first,
        rules,
    ));
    findings.extend(
        scan.diagnostics
            .iter()
            .map(|d| diagnostic_finding(d, &roots, rules)),
    );
    findings.sort_by(|a, b| {
        (&a.path, a.cell, a.line, a.column, &a.code, &a.project)
            .cmp(&(&b.path, b.cell, b.line, b.column, &b.code, &b.project))
    });
    findings.dedup();
    let verdict = judge::verdict(&rollup, Some(&rollup), rules);
    let mut stats = scan.stats;
    stats.phases.push(("analyse", started.elapsed()));
    Report {
        root: scan.root,
        rollup,
        verdict,
        projects,
        findings,
        stats,
    }
}

/// Unit roots containing `unit`, deepest (the unit itself) first.
fn enclosing_roots<'r>(roots: &'r [String], unit: &str) -> Vec<&'r str> {
    let mut out: Vec<&str> = roots
        .iter()
        .map(String::as_str)
        .filter(|r| *r == unit || infer::is_inside(unit, r))
        .collect();
    out.sort_by_key(|r| std::cmp::Reverse(if *r == "." { 0 } else { r.len() }));
    out
}

/// Which units have dependency manifests, and which have one that could not
/// be parsed (it may declare anything, so FW202 stays quiet there).
struct ManifestState<'r> {
    with_manifest: BTreeSet<&'r str>,
    broken: BTreeSet<&'r str>,
}

impl<'r> ManifestState<'r> {
    fn new(files: &[FileEntry], diagnostics: &[Diagnostic], roots: &'r [String]) -> Self {
        let manifests: BTreeSet<&str> = files
            .iter()
            .filter(|f| f.kind.is_manifest())
            .map(|f| f.rel.as_str())
            .collect();
        ManifestState {
            with_manifest: manifests.iter().map(|m| infer::unit_of(m, roots)).collect(),
            broken: diagnostics
                .iter()
                .filter(|d| manifests.contains(d.path.as_str()) && d.code != "FW003")
                .map(|d| infer::unit_of(&d.path, roots))
                .collect(),
        }
    }

    fn readable_in(&self, units: &[&str]) -> bool {
        units.iter().any(|u| self.with_manifest.contains(u))
            && !units.iter().any(|u| self.broken.contains(u))
    }
}

fn diagnostic_finding(d: &Diagnostic, roots: &[String], rules: &RuleSet) -> Finding {
    let doc = rules.code(d.code);
    Finding {
        code: d.code.to_string(),
        name: doc.map(|c| c.name.clone()).unwrap_or_default(),
        severity: doc.map_or(ruleset::Severity::Warning, |c| c.severity),
        message: d.message.clone(),
        path: d.path.clone(),
        cell: d.cell,
        line: d.line,
        column: d.column,
        project: infer::unit_of(&d.path, roots).to_string(),
        evidence: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{extract_entry, join_inside};
    use crate::ruleset::RuleSet;
    use crate::walk::{FileEntry, FileKind};

    #[test]
    fn a_file_that_vanished_is_a_diagnostic() {
        let entry = FileEntry {
            rel: "gone.py".into(),
            path: "/nonexistent/fwlint/gone.py".into(),
            kind: FileKind::Python,
            size: 10,
        };
        let result = extract_entry(&entry, &RuleSet::builtin().unwrap());
        assert_eq!(result.diagnostics[0].code, "FW001");
        assert_eq!(result.skipped, Some("unreadable"));
    }

    #[test]
    fn includes_stay_inside_the_root() {
        assert_eq!(join_inside(".", "base.txt").as_deref(), Some("base.txt"));
        assert_eq!(
            join_inside("req", "../common/base.txt").as_deref(),
            Some("common/base.txt")
        );
        assert_eq!(join_inside(".", "../outside.txt"), None);
        assert_eq!(join_inside("a", "/etc/passwd"), None);
    }
}
