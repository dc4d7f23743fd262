//! fwlint: audits whether a repository's ML framework fits what it is for.
//!
//! The pipeline runs one way (see ARCHITECTURE.md):
//! `walk` → `extract` → `infer` → `judge` → `report`, all driven by the
//! rules in `rules/` (compiled by `ruleset`). [`check`] runs it whole.

pub mod alloc;
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
pub mod units;
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
use std::sync::mpsc::SyncSender;
use walk::{FileEntry, FileKind, WalkOptions, lock};

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
    /// Output could not be written while the scan ran.
    Output(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::MissingRoot(p) => write!(f, "{}: no such file or directory", p.display()),
            Error::Rules(e) => write!(f, "invalid rules: {e}"),
            Error::Config { path, message } => write!(f, "{}: {message}", path.display()),
            Error::Io { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Output(e) => write!(f, "writing output: {e}"),
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
    let started = std::time::Instant::now();
    let (mut scan, base) = walk_names(settings)?;
    let progress = settings.progress.as_deref();
    // Each thread folds its files into one accumulator: no per-file vectors
    // outlive their file, so memory follows the evidence kept.
    scan.stats.phases.push(("walk", started.elapsed()));
    let started = std::time::Instant::now();
    let pieces: Vec<Found> = scan
        .files
        .par_iter()
        .fold(Found::default, |mut found, entry| {
            found.add(extract_entry(entry, rules, None));
            if let Some(p) = progress {
                p.done.fetch_add(1, Ordering::Relaxed);
            }
            found
        })
        .collect();
    let found = Found::concat(pieces);
    scan.signals = found.signals;
    scan.diagnostics.extend(found.diagnostics);
    merge_counts(&mut scan.stats, found.stats);
    let requirements: BTreeSet<String> = scan
        .files
        .iter()
        .filter(|f| f.kind == FileKind::Requirements)
        .map(|f| f.rel.clone())
        .collect();
    let includes: Vec<(String, String)> = scan
        .signals
        .iter()
        .filter(|s| s.kind == SignalKind::Include)
        .map(|s| (s.path.clone(), s.key.clone()))
        .collect();
    follow_includes(&base, rules, &requirements, includes, &mut |signals, d| {
        scan.signals.extend(signals);
        scan.diagnostics.extend(d);
    });
    scan.signals.sort_unstable();
    scan.diagnostics.sort();
    scan.stats.signals_kept = scan.signals.len() as u64;
    scan.stats.phases.push(("extract", started.elapsed()));
    Ok(scan)
}

/// The walk every scan starts with: the files under the given paths,
/// sorted, excluded ones left out, in a [`Scan`] without signals yet; and
/// the folder relative paths start from.
fn walk_names(settings: &Settings) -> Result<(Scan, PathBuf), Error> {
    let (paths, base, root) = roots_of(settings)?;
    let mut scan = Scan {
        root,
        ..Scan::default()
    };
    for p in &paths {
        let mut walked = walk::walk(p, &base, &settings.walk);
        scan.files.append(&mut walked.files);
        note_walk_problems(walked, &mut scan.diagnostics, &mut scan.stats);
    }
    scan.files.sort();
    scan.files.dedup_by(|a, b| a.rel == b.rel);
    let excluded = exclude_set(&settings.exclude)?;
    scan.files.retain(|f| !excluded.is_match(&f.rel));
    scan.stats.files_seen = scan.files.len() as u64;
    if let Some(p) = settings.progress.as_deref() {
        p.found.store(scan.stats.files_seen, Ordering::Relaxed);
    }
    Ok((scan, base))
}

/// Files the walk of a check hands to the readers at a time.
const HANDED: usize = 32;

/// Files extracted together by [`scan_streamed`]: enough to keep every
/// thread busy, few enough that their signals take little memory.
const STREAM_BATCH: usize = 512;

/// [`scan`] handed out path by path: `each` gets the signals of one path,
/// sorted, in the order [`scan`] sorts them, while only a batch of files'
/// signals is held. Included requirements files (`-r`) are read first, as
/// their signals may belong before any walked file. The [`Scan`] returned
/// has the diagnostics and counts, no files or signals. An error from
/// `each` stops the scan.
pub fn scan_streamed(
    settings: &Settings,
    rules: &RuleSet,
    each: &mut dyn FnMut(&[Signal]) -> std::io::Result<()>,
) -> Result<Scan, Error> {
    let (mut scan, base) = walk_names(settings)?;
    let files = std::mem::take(&mut scan.files);
    let (mut read_first, mut included) = requirements_first(&files, &base, rules, &mut scan);
    scan.stats.signals_kept += included.len() as u64;
    // Popped from the end: the smallest first.
    included.sort_unstable_by(|a, b| b.cmp(a));
    for batch in files.chunks(STREAM_BATCH) {
        let mut done: Vec<Option<FileResult>> =
            batch.iter().map(|e| read_first.remove(&e.rel)).collect();
        let results: Vec<FileResult> = batch
            .par_iter()
            .zip(done.par_iter_mut())
            .map(|(entry, done)| {
                done.take()
                    .unwrap_or_else(|| extract_entry(entry, rules, None))
            })
            .collect();
        for (entry, result) in batch.iter().zip(results) {
            count_file(&mut scan.stats, &result);
            scan.stats.signals_kept += result.signals.len() as u64;
            scan.diagnostics.extend(result.diagnostics);
            give_in_order(result.signals, &entry.rel, &mut included, each)?;
        }
        if let Some(p) = settings.progress.as_deref() {
            p.done.fetch_add(batch.len() as u64, Ordering::Relaxed);
        }
    }
    while let Some(last) = included.last() {
        let path = last.path.clone();
        give_in_order(Vec::new(), &path, &mut included, each)?;
    }
    scan.diagnostics.sort();
    Ok(scan)
}

/// Hands out the signals of `path`, after the included files' signals that
/// sort before it and with those of the same path (`included` is sorted
/// largest first).
fn give_in_order(
    mut signals: Vec<Signal>,
    path: &str,
    included: &mut Vec<Signal>,
    each: &mut dyn FnMut(&[Signal]) -> std::io::Result<()>,
) -> Result<(), Error> {
    while included.last().is_some_and(|s| s.path.as_str() < path) {
        let first = included.last().map(|s| s.path.clone()).unwrap_or_default();
        let mut before = Vec::new();
        while included.last().is_some_and(|s| s.path == first) {
            before.extend(included.pop());
        }
        each(&before).map_err(Error::Output)?;
    }
    while included.last().is_some_and(|s| s.path == path) {
        signals.extend(included.pop());
    }
    signals.sort_unstable();
    each(&signals).map_err(Error::Output)
}

/// The requirements files, extracted before the others: what they include
/// is read now, and its signals (and what the files gave) kept until
/// their turn comes.
fn requirements_first(
    files: &[FileEntry],
    base: &Path,
    rules: &RuleSet,
    scan: &mut Scan,
) -> (std::collections::HashMap<String, FileResult>, Vec<Signal>) {
    let requirements: Vec<&FileEntry> = files
        .iter()
        .filter(|f| f.kind == FileKind::Requirements)
        .collect();
    let results: std::collections::HashMap<String, FileResult> = requirements
        .par_iter()
        .map(|f| (f.rel.clone(), extract_entry(f, rules, None)))
        .collect();
    let includes: Vec<(String, String)> = requirements
        .iter()
        .flat_map(|f| results[&f.rel].signals.iter())
        .filter(|s| s.kind == SignalKind::Include)
        .map(|s| (s.path.clone(), s.key.clone()))
        .collect();
    let names: BTreeSet<String> = results.keys().cloned().collect();
    let mut included = Vec::new();
    follow_includes(base, rules, &names, includes, &mut |signals, d| {
        included.extend(signals);
        scan.diagnostics.extend(d);
    });
    (results, included)
}

/// The paths to walk (none given: `.`), the folder relative paths start
/// from, and the root as displayed. A path inside another given path is
/// walked once, as part of the outer one.
fn roots_of(settings: &Settings) -> Result<(Vec<PathBuf>, PathBuf, String), Error> {
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
    let canonical: Vec<Option<PathBuf>> = paths.iter().map(|p| p.canonicalize().ok()).collect();
    let inside_another = |i: usize| {
        let Some(me) = &canonical[i] else {
            return false;
        };
        canonical.iter().enumerate().any(|(j, other)| {
            other
                .as_ref()
                .is_some_and(|o| j != i && me.starts_with(o) && (me != o || j < i))
        })
    };
    let walked = (0..paths.len())
        .filter(|&i| !inside_another(i))
        .map(|i| paths[i].clone())
        .collect();
    Ok((walked, base, root))
}

/// Entries the walk could not read become FW001 diagnostics; links and
/// special files are counted as skipped.
fn note_walk_problems(
    walked: walk::WalkResult,
    diagnostics: &mut Vec<Diagnostic>,
    stats: &mut Stats,
) {
    for (path, message) in walked.errors {
        diagnostics.push(Diagnostic {
            path: if path.is_empty() { ".".into() } else { path },
            cell: None,
            line: 1,
            column: 1,
            code: "FW001",
            message: format!("cannot read: {message}"),
        });
    }
    if walked.not_regular > 0 {
        *stats.skipped.entry("not-regular-file".into()).or_default() += walked.not_regular;
    }
}

fn count_file(stats: &mut Stats, r: &FileResult) {
    stats.files_read += u64::from(r.read);
    stats.bytes_read += r.bytes;
    if let Some(reason) = r.skipped {
        *stats.skipped.entry(reason.into()).or_default() += 1;
    }
}

fn merge_counts(stats: &mut Stats, other: Stats) {
    stats.files_read += other.files_read;
    stats.bytes_read += other.bytes_read;
    for (reason, n) in other.skipped {
        *stats.skipped.entry(reason).or_default() += n;
    }
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
    fn add(&mut self, r: FileResult) {
        count_file(&mut self.stats, &r);
        self.signals.extend(r.signals);
        self.diagnostics.extend(r.diagnostics);
    }

    /// The threads' pieces, in file order, in one vector of exactly their
    /// size: merging pairwise reallocated and copied the signals over and
    /// over.
    fn concat(pieces: Vec<Found>) -> Found {
        let total = pieces.iter().map(|p| p.signals.len()).sum::<usize>();
        let mut all = Found {
            signals: Vec::with_capacity(total),
            ..Found::default()
        };
        for piece in pieces {
            merge_counts(&mut all.stats, piece.stats);
            all.signals.extend(piece.signals);
            all.diagnostics.extend(piece.diagnostics);
        }
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

fn extract_entry(entry: &FileEntry, rules: &RuleSet, keep: Option<&extract::Keep>) -> FileResult {
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
    let read = open_regular(&entry.path).and_then(|(file, size)| {
        if size > entry.kind.size_cap() {
            return Ok(Err(size));
        }
        read_up_to(file, size.min(entry.kind.read_limit())).map(Ok)
    });
    match read {
        Ok(Ok(bytes)) => {
            result.read = true;
            result.bytes = bytes.len() as u64;
            let out = extract::extract_file_keeping(&entry.rel, entry.kind, &bytes, rules, keep);
            result.signals.extend(out.signals);
            result.diagnostics.extend(out.diagnostics);
        }
        Ok(Err(size)) => too_large(entry, size, &mut result),
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

/// A file over its kind's size limit: skipped, and reported unless its kind
/// is often generated (CRDs, bundled JavaScript).
fn too_large(entry: &FileEntry, size: u64, result: &mut FileResult) {
    result.skipped = Some("too-large");
    if !entry.kind.reports_oversize() {
        return;
    }
    let cap = entry.kind.size_cap();
    result.diagnostics.push(Diagnostic {
        path: entry.rel.clone(),
        cell: None,
        line: 1,
        column: 1,
        code: "FW005",
        message: format!(
            "{} is {size} bytes, over the {} MiB limit for {}; skipped",
            entry.rel,
            cap / (1024 * 1024),
            extract::kind_name(entry.kind)
        ),
    });
}

/// Opens a file that must still be a regular one (it may have changed
/// since the walk), with its size then: the one `stat` a read costs.
fn open_regular(path: &Path) -> std::io::Result<(std::fs::File, u64)> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    Ok((file, meta.len()))
}

/// At most `limit` bytes, in one buffer sized once (growing by doubling held
/// up to twice a large file) and, for a file that has not grown, one read:
/// what it held when opened.
fn read_up_to(file: std::fs::File, limit: u64) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::with_capacity(usize::try_from(limit).unwrap_or(0));
    file.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Reads at most `cap` bytes of a regular file.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    read_up_to(file, size.min(cap))
}

/// `-r other.txt` includes: read included files that the walk did not already
/// classify as requirements, as long as they stay inside the root. `found`
/// takes each included file's signals and diagnostics.
fn follow_includes(
    base: &Path,
    rules: &RuleSet,
    requirements: &BTreeSet<String>,
    mut pending: Vec<(String, String)>,
    found: &mut dyn FnMut(Vec<Signal>, Vec<Diagnostic>),
) {
    let mut done: BTreeSet<String> = requirements.clone();
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
        found(out.signals, out.diagnostics);
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

/// Runs the whole pipeline. Files are read while the tree is walked and
/// folded at once into their unit's tally ([`units::Folded`]): no file list
/// and no signal list is held, so memory stays flat however many files the
/// tree has. A first, name-only walk finds where units start.
pub fn check(settings: &Settings, rules: &RuleSet) -> Result<Report, Error> {
    let (paths, base, root) = roots_of(settings)?;
    let excluded = exclude_set(&settings.exclude)?;
    let started = std::time::Instant::now();
    let mut stats = Stats::default();
    let mut diagnostics = Vec::new();
    let shape = std::sync::Mutex::new(units::Shape::default());
    for p in &paths {
        let walked = walk::visit(
            p,
            &base,
            &settings.walk,
            &units::Shape::default,
            &|mine, f| {
                if !excluded.is_match(&f.rel) {
                    mine.note(&f.rel, f.kind);
                }
            },
            &|mine| lock(&shape).merge(mine),
        );
        note_walk_problems(walked, &mut diagnostics, &mut stats);
    }
    let mut shape = shape.into_inner().unwrap_or_else(|p| p.into_inner());
    shape.finish();
    stats.files_seen = shape.files;
    let progress = settings.progress.as_deref();
    if let Some(p) = progress {
        p.found.store(shape.files, Ordering::Relaxed);
    }
    stats.phases.push(("walk", started.elapsed()));

    let started = std::time::Instant::now();
    // The walk hands files over a bounded channel to the extracting pool,
    // whose threads have the roomy stacks parsers need (the walker's have
    // the default); the bound keeps the files in flight, and so memory, flat.
    // Files go in batches: one hand-over (and wake-up) per file cost more
    // than reading a small one.
    let (files, found) = std::sync::mpsc::sync_channel::<Vec<FileEntry>>(1024 / HANDED);
    // One walking thread keeps ahead of the readers; more would only add
    // allocator arenas (and memory) for the file names they make.
    let one_walker = WalkOptions {
        threads: 1,
        ..settings.walk.clone()
    };
    let all = std::thread::scope(|s| {
        s.spawn(|| {
            // The receiver only goes away when the scan fails: sends may fail.
            let hand_over = |(files, batch): (SyncSender<Vec<FileEntry>>, Vec<FileEntry>)| {
                let _ = files.send(batch);
            };
            for p in &paths {
                walk::visit(
                    p,
                    &base,
                    &one_walker,
                    &|| (files.clone(), Vec::with_capacity(HANDED)),
                    &|(files, batch), entry| {
                        if !excluded.is_match(&entry.rel) {
                            batch.push(entry);
                        }
                        if batch.len() == HANDED {
                            let _ = files.send(std::mem::take(batch));
                        }
                    },
                    &hand_over,
                );
            }
            drop(files);
        });
        // One worker per pool thread, each pulling files until the walk ends
        // and handing its tallies over to the shared one now and then: a
        // unit's files go to every worker, and each would otherwise hold a
        // tally of every unit until the end.
        let found = std::sync::Mutex::new(found);
        let all = std::sync::Mutex::new(Worker::new(rules, &shape.roots));
        rayon::scope(|pool| {
            for _ in 0..rayon::current_num_threads() {
                pool.spawn(|_| {
                    let mut worker = Worker::new(rules, &shape.roots);
                    loop {
                        // Not in the loop head: the lock would be held
                        // while the file is read.
                        let next = lock(&found).recv();
                        let Ok(batch) = next else { break };
                        for entry in &batch {
                            worker.add(entry, rules);
                        }
                        if let Some(p) = progress {
                            p.done.fetch_add(batch.len() as u64, Ordering::Relaxed);
                        }
                        if worker.folded.units.len() >= UNITS_HELD {
                            let full =
                                std::mem::replace(&mut worker, Worker::new(rules, &shape.roots));
                            lock(&all).merge(full);
                        }
                    }
                    lock(&all).merge(worker);
                });
            }
        });
        all.into_inner().unwrap_or_else(|p| p.into_inner())
    });
    let Worker {
        mut folded,
        diagnostics: found,
        stats: counts,
    } = all;
    diagnostics.extend(found);
    stats.files_read = counts.files_read;
    stats.bytes_read = counts.bytes_read;
    for (reason, n) in counts.skipped {
        *stats.skipped.entry(reason).or_default() += n;
    }
    let mut includes = std::mem::take(&mut folded.includes);
    includes.sort();
    follow_includes(
        &base,
        rules,
        &shape.requirements,
        includes,
        &mut |signals, d| {
            folded.add_signals(judge::essentials(signals, rules));
            diagnostics.extend(d);
        },
    );
    folded.finish_layout();
    diagnostics.sort();
    stats.signals_kept = folded.kept;
    stats.phases.push(("extract", started.elapsed()));
    Ok(judge_units(
        root,
        &shape,
        folded,
        diagnostics,
        stats,
        settings,
        rules,
    ))
}

/// Unit tallies a worker holds before it adds them to the shared ones.
const UNITS_HELD: usize = 64;

/// One reading thread's share of a check.
struct Worker<'r, 'x> {
    folded: units::Folded<'r, 'x>,
    diagnostics: Vec<Diagnostic>,
    stats: Stats,
}

impl<'r, 'x> Worker<'r, 'x> {
    fn new(rules: &'r RuleSet, roots: &'x [String]) -> Self {
        Worker {
            folded: units::Folded::new(rules, roots),
            diagnostics: Vec::new(),
            stats: Stats::default(),
        }
    }

    fn add(&mut self, entry: &FileEntry, rules: &RuleSet) {
        let keep = |signals| judge::essentials(signals, rules);
        let r = extract_entry(entry, rules, Some(&keep));
        count_file(&mut self.stats, &r);
        self.diagnostics.extend(r.diagnostics);
        self.folded.note_file(&entry.rel, entry.kind);
        self.folded.add_signals(judge::essentials(r.signals, rules));
    }

    fn merge(&mut self, other: Worker<'r, 'x>) {
        self.folded.merge(other.folded);
        self.diagnostics.extend(other.diagnostics);
        merge_counts(&mut self.stats, other.stats);
    }
}

/// Infers and judges a finished scan: the same report a check gives,
/// folded from every signal the scan kept.
pub fn analyse(scan: Scan, settings: &Settings, rules: &RuleSet) -> Report {
    let mut shape = units::Shape::default();
    for f in &scan.files {
        shape.note(&f.rel, f.kind);
    }
    shape.finish();
    let mut folded = units::Folded::new(rules, &shape.roots);
    for f in &scan.files {
        folded.note_file(&f.rel, f.kind);
    }
    for file in scan.signals.chunk_by(|a, b| a.path == b.path) {
        folded.add_signals(file.to_vec());
    }
    folded.finish_layout();
    let mut stats = scan.stats;
    stats.signals_kept = folded.kept;
    judge_units(
        scan.root,
        &shape,
        folded,
        scan.diagnostics,
        stats,
        settings,
        rules,
    )
}

/// Infers each unit from its tally and judges it.
fn judge_units(
    root: String,
    shape: &units::Shape,
    folded: units::Folded,
    diagnostics: Vec<Diagnostic>,
    mut stats: Stats,
    settings: &Settings,
    rules: &RuleSet,
) -> Report {
    let started = std::time::Instant::now();
    let roots = &shape.roots;
    let manifests = ManifestState::new(&shape.manifests, &diagnostics, roots);
    let rollup = folded.rollup.finish(".", rules, &settings.goals);
    let mut facts = Vec::new();
    let mut units = Vec::new();
    for (root, mut unit) in folded.units {
        let tally = std::mem::take(&mut unit.tally);
        units.push(tally.finish(root, rules, &settings.goals));
        facts.push(unit);
    }
    let mut verdicts: Vec<Option<Verdict>> = vec![None; units.len()];
    let mut findings = Vec::new();
    for (i, (unit, own)) in units.iter().zip(&facts).enumerate() {
        let enclosing = enclosing_roots(roots, &unit.path);
        // A unit without goal evidence of its own is judged on the goals of
        // the nearest enclosing unit that has some.
        // Units are sorted by path, as the roots are.
        let unit_at = |r: &str| units.binary_search_by(|u| u.path.as_str().cmp(r)).ok();
        let goals = enclosing
            .iter()
            .filter_map(|r| unit_at(r).map(|k| &units[k]))
            .find(|u| !u.goals.is_empty());
        let declared_scope: Vec<&Signal> = enclosing
            .iter()
            .filter_map(|r| unit_at(r))
            .flat_map(|i| facts[i].dependencies())
            // Python code is declared in Python manifests only (a C++ header
            // or a Gradle line says nothing about `import torch`).
            .filter(|s| s.key.starts_with("pypi:") || s.key.starts_with("conda:"))
            .collect();
        let input = judge::UnitInput {
            unit,
            goals,
            required: &own.required(),
            dependencies: &own.dependencies(),
            declared_scope: &declared_scope,
            imported: &folded.imported,
            readable_manifest: manifests.readable_in(&enclosing),
        };
        findings.extend(judge::findings(&input, rules));
        if unit.frameworks.is_empty() && unit.goals.is_empty() {
            // Nothing to report for a unit with no ML evidence (a docs folder).
            continue;
        }
        verdicts[i] = Some(judge::verdict(unit, goals, rules));
    }
    // Moved, not copied: a monorepo's units hold thousands of evidence lines.
    let projects: Vec<Project> = units
        .into_iter()
        .zip(verdicts)
        .filter_map(|(analysis, v)| v.map(|verdict| Project { analysis, verdict }))
        .collect();
    let first = shape.first.as_deref();
    findings.extend(judge::tree_findings(&rollup, first, rules));
    findings.extend(judge::declared_goal_findings(
        &rollup,
        settings.goals_at.as_ref(),
        first,
        rules,
    ));
    findings.extend(
        diagnostics
            .iter()
            .map(|d| diagnostic_finding(d, roots, rules)),
    );
    findings.sort_by(|a, b| {
        (&a.path, a.cell, a.line, a.column, &a.code, &a.project)
            .cmp(&(&b.path, b.cell, b.line, b.column, &b.code, &b.project))
    });
    findings.dedup();
    let verdict = judge::verdict(&rollup, Some(&rollup), rules);
    stats.phases.push(("analyse", started.elapsed()));
    Report {
        root,
        rollup,
        verdict,
        projects,
        findings,
        stats,
    }
}

/// Unit roots containing `unit`, deepest (the unit itself) first. Each
/// ancestor folder is looked up by binary search in the sorted roots: a
/// scan of all roots per unit was quadratic (22 s for 35,000 units).
fn enclosing_roots<'r>(roots: &'r [String], unit: &str) -> Vec<&'r str> {
    debug_assert!(roots.is_sorted());
    let mut out = Vec::new();
    let mut end = unit.len();
    loop {
        let dir = &unit[..end];
        if let Ok(k) = roots.binary_search_by(|r| r.as_str().cmp(dir)) {
            out.push(roots[k].as_str());
        }
        match dir.rfind('/') {
            Some(i) => end = i,
            None => break,
        }
    }
    if unit != "." && roots.iter().any(|r| r == ".") {
        out.push(".");
    }
    out
}

/// Which units have dependency manifests, and which have one that could not
/// be parsed (it may declare anything, so FW202 stays quiet there).
struct ManifestState<'r> {
    with_manifest: BTreeSet<&'r str>,
    broken: BTreeSet<&'r str>,
}

impl<'r> ManifestState<'r> {
    fn new(manifests: &BTreeSet<String>, diagnostics: &[Diagnostic], roots: &'r [String]) -> Self {
        ManifestState {
            with_manifest: manifests.iter().map(|m| infer::unit_of(m, roots)).collect(),
            broken: diagnostics
                .iter()
                .filter(|d| manifests.contains(&d.path) && d.code != "FW003")
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
        };
        let result = extract_entry(&entry, &RuleSet::builtin().unwrap(), None);
        assert_eq!(result.diagnostics[0].code, "FW001");
        assert_eq!(result.skipped, Some("unreadable"));
    }

    #[test]
    fn enclosing_roots_agree_with_the_definition() {
        let roots: Vec<String> = [".", "a", "a/b", "a/b/c/d", "a/bc", "x"]
            .map(String::from)
            .to_vec();
        for unit in [".", "a", "a/b", "a/bc", "a/b/c/d", "x"] {
            let mut by_scan: Vec<&str> = roots
                .iter()
                .map(String::as_str)
                .filter(|r| *r == unit || crate::infer::is_inside(unit, r))
                .collect();
            by_scan.sort_by_key(|r| std::cmp::Reverse(if *r == "." { 0 } else { r.len() }));
            assert_eq!(super::enclosing_roots(&roots, unit), by_scan, "{unit}");
        }
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
