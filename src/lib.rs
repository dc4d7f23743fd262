//! fwlint: audits whether a repository's ML framework fits what it is for.
//!
//! The pipeline runs one way (see ARCHITECTURE.md):
//! `walk` → `extract` → `infer` → `judge` → `report`, all driven by the
//! rules in `rules/` (compiled by `ruleset`). [`check`] runs it whole.

pub mod alloc;
pub mod app;
pub mod audit;
pub mod baseline;
pub mod close;
pub mod config;
pub mod extract;
pub mod findings;
pub mod infer;
pub mod judge;
pub mod projects;
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
    /// Bytes of file names a check may hold between its two passes instead
    /// of walking the tree twice; `None`: 16 MiB.
    pub names_held_at_most: Option<usize>,
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
    /// Whether a check walked the tree a second time to read it, its
    /// names being too many to hold ([`Settings::names_held_at_most`]).
    pub walked_again: bool,
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
    /// The signals of files read only through a `-r` include (also among
    /// `signals`): they count for the unit that includes them.
    pub included: Vec<Signal>,
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
        scan.included.extend_from_slice(&signals);
        scan.signals.extend(signals);
        scan.diagnostics.extend(d);
    });
    scan.signals.sort_unstable();
    scan.included.sort_unstable();
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

/// A file's signals, of which a check keeps what `keep` keeps.
fn extract_entry(entry: &FileEntry, rules: &RuleSet, keep: Option<&extract::Keep>) -> FileResult {
    let mut result = extract_contents(entry, rules, keep);
    // The contents' signals are kept already; kept again (composable, see
    // `Keep`) only with the path's own signal.
    if let Some(path) = extract::path_signal(&entry.rel, rules) {
        result.signals.insert(0, path);
        if let Some(keep) = keep {
            keep.apply(&mut result.signals);
        }
    }
    result
}

/// What a file's bytes give, kept as `keep` keeps.
fn extract_contents(
    entry: &FileEntry,
    rules: &RuleSet,
    keep: Option<&extract::Keep>,
) -> FileResult {
    let mut result = FileResult {
        signals: Vec::new(),
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
        let limit = size.min(entry.kind.read_limit());
        if entry.kind == FileKind::Notebook && limit > HOLD_AT_MOST {
            let out =
                extract::extract_notebook_streaming(&entry.rel, file.take(limit), rules, keep)?;
            return Ok(Ok((limit, out)));
        }
        with_read_buffer(|buffer| {
            let read = read_over(file, limit, buffer)?;
            let bytes = &buffer[..read];
            let out = extract::extract_file_keeping(&entry.rel, entry.kind, bytes, rules, keep);
            Ok(Ok((bytes.len() as u64, out)))
        })
    });
    match read {
        Ok(Ok((bytes, out))) => {
            result.read = true;
            result.bytes = bytes;
            result.signals = out.signals;
            result.diagnostics = out.diagnostics;
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

/// The largest notebook read whole; larger ones are parsed as they are
/// read, so no file held costs more than the largest Python source.
const HOLD_AT_MOST: u64 = 8 * 1024 * 1024;

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

/// The capacity a thread's read buffer keeps between files: most sources
/// are smaller, and a larger buffer is given back at once.
const KEPT_BUFFER: usize = 256 << 10;

thread_local! {
    static READ_BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with this thread's read buffer. One buffer a thread instead of
/// one a file: an allocator hands each new block out cold, and the first
/// touch of it cost more than the copy the read makes into it. The buffer
/// holds the last file's bytes, and those of earlier, longer ones after
/// them: [`read_over`] says how many are this file's.
fn with_read_buffer<T>(f: impl FnOnce(&mut Vec<u8>) -> T) -> T {
    READ_BUFFER.with(|cell| {
        // Taken out, so that a nested call (none today) gets its own.
        let mut buffer = cell.take();
        let result = f(&mut buffer);
        if buffer.capacity() <= KEPT_BUFFER {
            cell.replace(buffer);
        }
        result
    })
}

/// Reads at most `limit` bytes into the start of `buffer` and says how
/// many it read; for a file that has not changed since it was opened, in
/// one read. The buffer only grows, zeroed as it grows: a buffer cleared
/// and zeroed again for every file cost a memset of each file.
/// `read_to_end` starts at 8 KiB a read and doubles: two or three reads a
/// source file.
fn read_over(mut file: std::fs::File, limit: u64, buffer: &mut Vec<u8>) -> std::io::Result<usize> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    if buffer.len() < limit {
        buffer.resize(limit, 0);
    }
    let mut filled = 0;
    while filled < limit {
        match file.read(&mut buffer[filled..limit]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Reads at most `cap` bytes of a regular file.
fn read_capped(path: &Path, cap: u64) -> std::io::Result<Vec<u8>> {
    let (file, size) = open_regular(path)?;
    let mut bytes = Vec::new();
    let read = read_over(file, size.min(cap), &mut bytes)?;
    bytes.truncate(read);
    Ok(bytes)
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
        let Some((signals, diagnostics)) = read_requirements(base, &rel, rules) else {
            continue;
        };
        for s in &signals {
            if s.kind == SignalKind::Include {
                pending.push((rel.clone(), s.key.clone()));
            }
        }
        found(signals, diagnostics);
    }
}

/// What the requirements file at `rel` (an include target) gives, if it
/// is a regular file that can be read.
fn read_requirements(
    base: &Path,
    rel: &str,
    rules: &RuleSet,
) -> Option<(Vec<Signal>, Vec<Diagnostic>)> {
    let path = base.join(rel);
    let regular = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file());
    if !regular {
        return None;
    }
    let bytes = read_capped(&path, FileKind::Requirements.size_cap()).ok()?;
    let out = extract::extract_file(rel, FileKind::Requirements, &bytes, rules);
    Some((out.signals, out.diagnostics))
}

/// `dir/target` normalised; `None` when it leaves the root or is absolute.
pub(crate) fn join_inside(dir: &str, target: &str) -> Option<String> {
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
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Project {
    pub analysis: UnitAnalysis,
    pub verdict: Verdict,
}

/// The full result of a check: what `report` renders.
#[derive(Debug)]
pub struct Report {
    pub root: String,
    pub rollup: UnitAnalysis,
    pub verdict: Verdict,
    pub projects: projects::Projects,
    pub findings: findings::Findings,
    pub stats: Stats,
}

/// Runs the whole pipeline. A name-only walk finds where units start and
/// holds the files' names within a budget (`Held`); in path order (from
/// those names, or from a second, depth-first walk when they did not fit)
/// the files go to the pool in batches of one unit, and each file is
/// folded as soon as it is read into its unit's [`units::UnitFacts`]. A
/// unit is finished as soon as its last file is in, and all are judged in
/// path order at the end ([`close`]). No signal list is held, no file list
/// past the budget, and only the units in flight: memory stays flat
/// however many files and units the tree has.
pub fn check(settings: &Settings, rules: &RuleSet) -> Result<Report, Error> {
    Ok(check_walked(walk_for_check(settings)?, settings, rules))
}

/// What a check's name-only walk found: all the rest of a check needs of
/// the tree before it reads files. It needs no rules, so a caller may
/// build them meanwhile (a third of a small tree's check went to that).
pub struct Walked {
    paths: Vec<PathBuf>,
    base: PathBuf,
    root: String,
    excluded: globset::GlobSet,
    stats: Stats,
    diagnostics: Vec<Diagnostic>,
    shape: units::Shape,
    held: Option<Vec<HeldFile>>,
}

/// The first half of [`check`]: the walk that finds the units and holds
/// the files' names. Fails only on a missing root or a bad exclude glob.
pub fn walk_for_check(settings: &Settings) -> Result<Walked, Error> {
    let (paths, base, root) = roots_of(settings)?;
    let excluded = exclude_set(&settings.exclude)?;
    let started = std::time::Instant::now();
    let mut stats = Stats::default();
    let mut diagnostics = Vec::new();
    let shape = std::sync::Mutex::new(units::Shape::default());
    let held = Held::new(&base, settings.names_held_at_most.unwrap_or(NAMES_HELD));
    for p in &paths {
        let walked = walk::visit(
            p,
            &base,
            &settings.walk,
            &|| (units::Shape::default(), Vec::new()),
            &|(mine, files), f| {
                if !excluded.is_match(&f.rel) {
                    mine.note(&f.rel, f.kind);
                    held.hold(files, f);
                }
            },
            &|(mine, files)| {
                lock(&shape).merge(mine);
                held.take(files);
            },
        );
        note_walk_problems(walked, &mut diagnostics, &mut stats);
    }
    let held = held.into_files();
    stats.walked_again = held.is_none();
    let mut shape = shape.into_inner().unwrap_or_else(|p| p.into_inner());
    shape.finish();
    stats.files_seen = shape.files;
    let progress = settings.progress.as_deref();
    if let Some(p) = progress {
        p.found.store(shape.files, Ordering::Relaxed);
    }
    stats.phases.push(("walk", started.elapsed()));
    Ok(Walked {
        paths,
        base,
        root,
        excluded,
        stats,
        diagnostics,
        shape,
        held,
    })
}

/// The second half of [`check`]: reads the files the walk found, in path
/// order, and judges every unit.
pub fn check_walked(walked: Walked, settings: &Settings, rules: &RuleSet) -> Report {
    let Walked {
        paths,
        base,
        root,
        excluded,
        mut stats,
        diagnostics,
        shape,
        held,
    } = walked;
    let progress = settings.progress.as_deref();
    let started = std::time::Instant::now();
    let may_spill = temp_outside(&paths);
    let finisher = close::Finisher::new(rules, &shape, &settings.goals);
    let finished = std::sync::Mutex::new(projects::Slots::new(projects::HELD, may_spill));
    let open = std::sync::Mutex::new(Open::default());
    // Diagnostics go to the closer as the files give them.
    let closer = std::sync::Mutex::new(close::Closer::new(rules, &shape, may_spill));
    lock(&closer).note(diagnostics);
    // The walk hands files over a bounded channel to the extracting pool,
    // whose threads have the roomy stacks parsers need (the walker's have
    // the default); the bound keeps the files in flight, and so memory, flat.
    // Files go in batches of one unit: one hand-over (and wake-up) per file
    // cost more than reading a small one.
    let (files, found) = std::sync::mpsc::sync_channel::<Batch>(1024 / HANDED);
    let (mut tree, counts) = std::thread::scope(|s| {
        s.spawn(|| {
            walk_in_order(
                &paths,
                &base,
                &shape.roots,
                held,
                settings,
                &excluded,
                files,
            )
        });
        // One worker per pool thread, each pulling batches until the walk
        // ends; the one handing in a unit's last batch finishes the unit.
        let found = std::sync::Mutex::new(found);
        let done = std::sync::Mutex::new((units::Tree::default(), Stats::default()));
        rayon::scope(|pool| {
            for _ in 0..rayon::current_num_threads() {
                pool.spawn(|_| {
                    let mut tree = units::Tree::default();
                    let mut counts = Stats::default();
                    let mut read = |rel: &str| read_include(&base, rel, rules);
                    loop {
                        // Not in the loop head: the lock would be held
                        // while the files are read.
                        let next = lock(&found).recv();
                        let Ok(batch) = next else { break };
                        let (facts, d) = fold_batch(&batch, rules, &mut tree, &mut counts);
                        if let Some(p) = progress {
                            p.done
                                .fetch_add(batch.files.len() as u64, Ordering::Relaxed);
                        }
                        if !d.is_empty() {
                            lock(&closer).note(d);
                        }
                        let Some((unit, facts)) = lock(&open).add(&batch, facts) else {
                            continue;
                        };
                        let root = &shape.roots[unit];
                        let mut d = Vec::new();
                        let unit_done = finisher.finish(root, facts, &mut tree, &mut d, &mut read);
                        if !d.is_empty() {
                            lock(&closer).note(d);
                        }
                        lock(&finished).put(unit, unit_done);
                    }
                    let mut all = lock(&done);
                    all.0.merge(tree);
                    merge_counts(&mut all.1, counts);
                });
            }
        });
        done.into_inner().unwrap_or_else(|p| p.into_inner())
    });
    stats.files_read = counts.files_read;
    stats.bytes_read = counts.bytes_read;
    for (reason, n) in counts.skipped {
        *stats.skipped.entry(reason).or_default() += n;
    }
    stats.phases.push(("extract", started.elapsed()));
    // Every unit is in: each is judged in path order, after the units
    // around it.
    let mut closer = closer.into_inner().unwrap_or_else(|p| p.into_inner());
    closer.imports(std::mem::take(&mut tree.imported));
    let mut finished = finished.into_inner().unwrap_or_else(|p| p.into_inner());
    for (unit, root) in shape.roots.iter().enumerate() {
        if let Some(done) = finished.take(unit) {
            closer.close(root, done);
        }
    }
    closer.finish(root, tree, shape.first.as_deref(), settings, stats)
}

/// Whether the temporary folder lies outside every scanned path: only then
/// may a report's projects go to a temporary file (fwlint never writes in
/// the tree it scans).
fn temp_outside(paths: &[PathBuf]) -> bool {
    let Ok(temp) = std::env::temp_dir().canonicalize() else {
        return false;
    };
    paths
        .iter()
        .all(|p| p.canonicalize().is_ok_and(|p| !temp.starts_with(p)))
}

/// Files of one unit handed to the pool at a time; the unit's last batch
/// says how many it had.
struct Batch {
    unit: usize,
    files: Vec<FileEntry>,
    /// The unit's batch count, on its last batch.
    last: Option<usize>,
}

/// Hands the files over in batches of one unit each: the `held` ones in
/// path order, or else as a depth-first walk finds them, one given path
/// after another in path order. Either way the files under a folder come
/// one after another: when a file lies outside a unit's folder, the unit
/// has all its files, and its last batch says so. Units without files get
/// an empty last batch at the end.
fn walk_in_order(
    paths: &[PathBuf],
    base: &Path,
    roots: &[String],
    held: Option<Vec<HeldFile>>,
    settings: &Settings,
    excluded: &globset::GlobSet,
    tx: SyncSender<Batch>,
) {
    let mut walker = InOrder {
        roots,
        last: String::new(),
        open: Vec::new(),
        batch: Vec::with_capacity(HANDED),
        closed: vec![false; roots.len()],
        tx,
    };
    if let Some(mut files) = held {
        // In path order, the files under a folder are one run, as depth
        // first: a folder's path is a prefix of theirs and no other's.
        files.sort_unstable_by(|a, b| a.rel.cmp(&b.rel));
        for file in files {
            walker.file(file.entry(base));
        }
    } else {
        let mut paths: Vec<(String, &PathBuf)> =
            paths.iter().map(|p| (walk::relative(p, base), p)).collect();
        paths.sort();
        for (_, p) in paths {
            walk::visit_depth_first(p, base, &settings.walk, &mut |entry| {
                if !excluded.is_match(&entry.rel) {
                    walker.file(entry);
                }
            });
        }
    }
    walker.flush();
    while let Some((unit, sent)) = walker.open.pop() {
        walker.close(unit, sent);
    }
    for unit in 0..roots.len() {
        if !walker.closed[unit] {
            walker.close(unit, 0);
        }
    }
}

/// Bytes of names the first walk may hold for the reading pass: about a
/// hundred a file, so some 150,000 files (synth100000's 86,775 take 9 MiB,
/// and its peak RSS grew by as much); a larger tree is walked again.
const NAMES_HELD: usize = 16 << 20;

/// A file the first walk found, held for the reading pass: walking the
/// tree a second time cost as much as the first walk (an eighth of a
/// check's time on synth100000). Its path is `base/rel` unless the walk
/// spelled it otherwise.
struct HeldFile {
    rel: String,
    path: Option<PathBuf>,
    kind: FileKind,
}

impl HeldFile {
    fn entry(self, base: &Path) -> FileEntry {
        FileEntry {
            path: self.path.unwrap_or_else(|| base.join(&self.rel)),
            rel: self.rel,
            kind: self.kind,
        }
    }
}

/// The files the walking threads hold, while they fit in a budget of
/// bytes; past it, none are (the reading pass then walks again).
struct Held<'b> {
    base: &'b Path,
    budget: usize,
    /// Bytes asked for so far; it only grows, so once over the budget it
    /// stays over.
    used: std::sync::atomic::AtomicUsize,
    files: std::sync::Mutex<Vec<HeldFile>>,
}

impl<'b> Held<'b> {
    fn new(base: &'b Path, budget: usize) -> Held<'b> {
        Held {
            base,
            budget,
            used: Default::default(),
            files: Default::default(),
        }
    }

    fn over(&self) -> bool {
        self.used.load(Ordering::Relaxed) > self.budget
    }

    /// Holds a file in a walking thread's own list, unless over budget.
    fn hold(&self, mine: &mut Vec<HeldFile>, f: FileEntry) {
        if self.over() {
            *mine = Vec::new();
            return;
        }
        let path = (!self.spells(&f)).then_some(f.path);
        let size = std::mem::size_of::<HeldFile>()
            + f.rel.len()
            + path.as_ref().map_or(0, |p| p.as_os_str().len());
        if self.used.fetch_add(size, Ordering::Relaxed) + size > self.budget {
            *mine = Vec::new();
            return;
        }
        mine.push(HeldFile {
            rel: f.rel,
            path,
            kind: f.kind,
        });
    }

    /// Whether `base/rel` is the path the walk gave, byte for byte.
    fn spells(&self, f: &FileEntry) -> bool {
        let base = self.base.as_os_str().as_encoded_bytes();
        let path = f.path.as_os_str().as_encoded_bytes();
        let rest = path.strip_prefix(base).and_then(|rest| {
            rest.strip_prefix(b"/")
                .or(base.ends_with(b"/").then_some(rest))
        });
        rest == Some(f.rel.as_bytes())
    }

    /// Takes a walking thread's list as the thread ends.
    fn take(&self, mine: Vec<HeldFile>) {
        if !self.over() {
            lock(&self.files).extend(mine);
        }
    }

    /// Every file walked, or `None` when they did not all fit.
    fn into_files(self) -> Option<Vec<HeldFile>> {
        let over = self.over();
        let files = self.files.into_inner().unwrap_or_else(|p| p.into_inner());
        (!over).then_some(files)
    }
}

/// The walk's units whose folder it is in, outermost first, with the
/// batches each was sent so far; and the batch being filled, of the last.
struct InOrder<'a> {
    roots: &'a [String],
    /// The last file whose unit was looked up.
    last: String,
    open: Vec<(usize, usize)>,
    batch: Vec<FileEntry>,
    closed: Vec<bool>,
    tx: SyncSender<Batch>,
}

impl InOrder<'_> {
    fn file(&mut self, entry: FileEntry) {
        // A file beside the last one is in the same unit, still open: most
        // files are, and finding the unit cost a third of this thread's time.
        let dir = infer::parent_dir(&entry.rel);
        if !self.open.is_empty() && dir == infer::parent_dir(&self.last) {
            self.add(entry);
            return;
        }
        self.last.clone_from(&entry.rel);
        let unit = infer::root_index(self.roots, infer::unit_of(&entry.rel, self.roots));
        let inside = |u: usize| infer::is_inside(&entry.rel, &self.roots[u]);
        if self
            .open
            .last()
            .is_none_or(|&(u, _)| u != unit || !inside(u))
        {
            self.flush();
            while let Some(&(u, sent)) = self.open.last() {
                if inside(u) {
                    break;
                }
                self.open.pop();
                self.close(u, sent);
            }
            if self.open.last().is_none_or(|&(u, _)| u != unit) {
                self.open.push((unit, 0));
            }
        }
        self.add(entry);
    }

    /// Adds a file of the innermost open unit to the batch being filled.
    fn add(&mut self, entry: FileEntry) {
        self.batch.push(entry);
        if self.batch.len() == HANDED {
            self.flush();
        }
    }

    /// Sends the batch being filled, of the innermost open unit.
    fn flush(&mut self) {
        let Some((unit, sent)) = self.open.last_mut() else {
            return;
        };
        if self.batch.is_empty() {
            return;
        }
        let files = std::mem::replace(&mut self.batch, Vec::with_capacity(HANDED));
        *sent += 1;
        // The receiver only goes away when the scan fails.
        let _ = self.tx.send(Batch {
            unit: *unit,
            files,
            last: None,
        });
    }

    fn close(&mut self, unit: usize, sent: usize) {
        self.closed[unit] = true;
        let _ = self.tx.send(Batch {
            unit,
            files: Vec::new(),
            last: Some(sent + 1),
        });
    }
}

/// Extracts one batch: the facts of its unit, and its diagnostics.
fn fold_batch<'r>(
    batch: &Batch,
    rules: &'r RuleSet,
    tree: &mut units::Tree<'r>,
    counts: &mut Stats,
) -> (units::UnitFacts<'r>, Vec<Diagnostic>) {
    let mut facts = units::UnitFacts::default();
    let mut diagnostics = Vec::new();
    let keep = extract::Keep {
        signals: &|signals| judge::essentials(signals, rules),
        import: &|module| rules.may_use_import(module),
    };
    for entry in &batch.files {
        let r = extract_entry(entry, rules, Some(&keep));
        count_file(counts, &r);
        diagnostics.extend(r.diagnostics);
        facts.note_file(&entry.rel, entry.kind);
        facts.add_signals(r.signals, tree, rules);
    }
    (facts, diagnostics)
}

/// Units with files still in the pool: each is finished once its last
/// batch is in, whichever thread folded it.
#[derive(Default)]
struct Open<'r> {
    /// Unit → (facts so far, batches in, batches in all once known).
    units: BTreeMap<usize, (units::UnitFacts<'r>, usize, Option<usize>)>,
}

impl<'r> Open<'r> {
    /// Adds a batch; the unit, if this was the last batch it waited for.
    fn add(
        &mut self,
        batch: &Batch,
        facts: units::UnitFacts<'r>,
    ) -> Option<(usize, units::UnitFacts<'r>)> {
        let open = self.units.entry(batch.unit).or_default();
        open.0.merge(facts);
        open.1 += 1;
        open.2 = open.2.or(batch.last);
        if open.2 != Some(open.1) {
            return None;
        }
        let (facts, _, _) = self.units.remove(&batch.unit)?;
        Some((batch.unit, facts))
    }
}

/// An included requirements file, read and pruned as a check prunes.
fn read_include(base: &Path, rel: &str, rules: &RuleSet) -> Option<(Vec<Signal>, Vec<Diagnostic>)> {
    let (signals, diagnostics) = read_requirements(base, rel, rules)?;
    Some((judge::essentials(signals, rules), diagnostics))
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
    // Signals of files an include reached are the includer's.
    let mut included: BTreeMap<&str, Vec<Signal>> = BTreeMap::new();
    for s in &scan.included {
        included.entry(&s.path).or_default().push(s.clone());
    }
    for file in scan.signals.chunk_by(|a, b| a.path == b.path) {
        let walked = file
            .iter()
            .filter(|s| scan.included.binary_search(s).is_err());
        folded.add_signals(walked.cloned().collect());
    }
    let finisher = close::Finisher::new(rules, &shape, &settings.goals);
    let mut read = |rel: &str| included.get(rel).map(|s| (s.clone(), Vec::new()));
    let mut diagnostics = scan.diagnostics;
    let mut finished = Vec::new();
    for root in &shape.roots {
        let facts = folded.units.remove(root.as_str()).unwrap_or_default();
        let tree = &mut folded.tree;
        finished.push(finisher.finish(root, facts, tree, &mut diagnostics, &mut read));
    }
    let mut closer = close::Closer::new(rules, &shape, false);
    closer.imports(std::mem::take(&mut folded.tree.imported));
    closer.note(diagnostics);
    for (root, done) in shape.roots.iter().zip(finished) {
        closer.close(root, done);
    }
    let tree = std::mem::take(&mut folded.tree);
    closer.finish(
        scan.root,
        tree,
        shape.first.as_deref(),
        settings,
        scan.stats,
    )
}
/// Unit roots containing `unit`, deepest (the unit itself) first. Each
/// ancestor folder is looked up by binary search in the sorted roots: a
/// scan of all roots per unit was quadratic (22 s for 35,000 units).
pub(crate) fn enclosing_roots<'r>(roots: &'r [String], unit: &str) -> Vec<&'r str> {
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

pub(crate) fn diagnostic_finding(d: &Diagnostic, roots: &[String], rules: &RuleSet) -> Finding {
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
    fn reads_stop_at_the_limit_or_the_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.py");
        let text: Vec<u8> = (0..100_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        std::fs::write(&path, &text).unwrap();
        // A buffer holding an earlier, longer file's bytes.
        let mut buffer = vec![b'#'; 300_000];
        let mut read = |limit: u64| {
            let file = std::fs::File::open(&path).unwrap();
            let n = super::read_over(file, limit, &mut buffer).unwrap();
            buffer[..n].to_vec()
        };
        // Past 8 KiB (read_to_end's first read), whole.
        assert_eq!(read(100_000), text);
        assert_eq!(read(10), &text[..10]);
        // A file that shrank since its size was taken: what it holds now.
        assert_eq!(read(200_000), text);
        assert_eq!(read(0), b"");
        // A buffer shorter than the limit grows to it.
        let mut short = b"kept".to_vec();
        let file = std::fs::File::open(&path).unwrap();
        assert_eq!(super::read_over(file, 50_000, &mut short).unwrap(), 50_000);
        assert_eq!(short, &text[..50_000]);
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
