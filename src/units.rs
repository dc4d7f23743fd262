//! What a check keeps of the files it reads, unit by unit, as it reads them:
//! a [`Tally`] per unit and for the whole tree, and the few signals the
//! judge reads (declarations, the first required import of each framework,
//! includes). A unit's facts live until the unit is closed
//! ([`crate::close`]): a tree of a million files is folded like one of a
//! thousand.

use crate::infer::{self, SmallMap, Tally};
use crate::judge;
use crate::ruleset::RuleSet;
use crate::signal::{Signal, SignalKind};
use crate::walk::FileKind;
use std::collections::{BTreeMap, BTreeSet};

/// What the names of the files tell before any is read: where units start,
/// which files are Python manifests and requirements, the first file.
#[derive(Debug, Default)]
pub struct Shape {
    /// Unit roots, sorted (see [`infer::starts_unit`]).
    pub roots: Vec<String>,
    /// Python dependency manifests (FW202 trusts only readable ones).
    pub manifests: BTreeSet<String>,
    /// Requirements files the walk found (an include of one is not re-read).
    pub requirements: BTreeSet<String>,
    /// The first file in path order (tree-wide findings point there).
    pub first: Option<String>,
    pub files: u64,
}

impl Shape {
    /// Notes one file found by the walk.
    pub fn note(&mut self, rel: &str, kind: FileKind) {
        self.files += 1;
        keep_earliest(&mut self.first, rel);
        if infer::starts_unit(rel, kind) {
            self.roots.push(infer::parent_dir(rel).to_string());
        }
        if kind.is_manifest() {
            self.manifests.insert(rel.to_string());
        }
        if kind == FileKind::Requirements {
            self.requirements.insert(rel.to_string());
        }
    }

    /// Adds what another walking thread noted.
    pub fn merge(&mut self, other: Shape) {
        self.files += other.files;
        if let Some(first) = &other.first {
            keep_earliest(&mut self.first, first);
        }
        self.roots.extend(other.roots);
        self.manifests.extend(other.manifests);
        self.requirements.extend(other.requirements);
    }

    /// Sorts the roots, with `.` always among them.
    pub fn finish(&mut self) {
        self.roots.push(".".to_string());
        self.roots.sort();
        self.roots.dedup();
    }
}

/// Keeps in `kept` the path that comes first.
fn keep_earliest(kept: &mut Option<String>, rel: &str) {
    if kept.as_deref().is_none_or(|k| rel < k) {
        *kept = Some(rel.to_string());
    }
}

/// What the whole tree shows beside its units: every file's evidence in one
/// tally, and the frameworks imported anywhere (FW203).
#[derive(Debug, Default)]
pub struct Tree<'r> {
    pub rollup: Tally<'r>,
    pub imported: BTreeSet<String>,
    /// Signals folded (after a check's pruning).
    pub kept: u64,
}

impl<'r> Tree<'r> {
    pub fn merge(&mut self, other: Tree<'r>) {
        self.rollup.merge(other.rollup);
        self.imported.extend(other.imported);
        self.kept += other.kept;
    }
}

/// What one unit showed.
#[derive(Debug, Default)]
pub struct UnitFacts<'r> {
    pub tally: Tally<'r>,
    /// Framework → its first import at module level in product code.
    required: SmallMap<String, Signal>,
    /// Every declared dependency.
    dependencies: Vec<Signal>,
    /// `-r` includes: (requirements file, included path).
    pub includes: Vec<(String, String)>,
    /// The unit's first notebook, and whether it has Python modules.
    layout: (Option<String>, bool),
    /// Signals folded into this unit.
    pub kept: u64,
}

impl<'r> UnitFacts<'r> {
    /// First required imports, in scan order.
    pub fn required(&self) -> Vec<&Signal> {
        let mut out: Vec<&Signal> = self.required.values().collect();
        out.sort_by(|a, b| crate::signal::order(a, b));
        // One import may be the first of several frameworks.
        out.dedup();
        out
    }

    /// Declared dependencies, in scan order.
    pub fn dependencies(&self) -> Vec<&Signal> {
        let mut out: Vec<&Signal> = self.dependencies.iter().collect();
        out.sort_by(|a, b| crate::signal::order(a, b));
        out
    }

    /// Notes a file's kind for the unit's layout (notebooks-only units).
    pub fn note_file(&mut self, rel: &str, kind: FileKind) {
        match kind {
            FileKind::Python => self.layout.1 = true,
            FileKind::Notebook => keep_earliest(&mut self.layout.0, rel),
            _ => {}
        }
    }

    /// Folds the signals of one file, in scan order, into this unit and
    /// the tree.
    pub fn add_signals(&mut self, signals: Vec<Signal>, tree: &mut Tree<'r>, rules: &'r RuleSet) {
        if signals.is_empty() {
            return;
        }
        self.kept += signals.len() as u64;
        tree.kept += signals.len() as u64;
        self.tally.add_file(&signals, rules);
        tree.rollup.add_file(&signals, rules);
        for s in signals {
            if judge::is_import(&s) {
                tree.imported.extend(judge::used_through(&s, rules));
            }
            match s.kind {
                SignalKind::Dependency => self.dependencies.push(s),
                SignalKind::Include => self.includes.push((s.path, s.key)),
                _ if judge::is_required_import(&s) => {
                    for fw in judge::frameworks_of(&s, rules) {
                        self.keep_required(fw, s.clone());
                    }
                }
                _ => {}
            }
        }
    }

    /// The layout signal of a unit whose files are all in: a unit with
    /// notebooks and no Python modules. It counts on its own, beside the
    /// signals of the notebook it points at.
    pub fn layout_signal(&mut self) -> Option<Signal> {
        let (notebook, modules) = std::mem::take(&mut self.layout);
        let path = notebook.filter(|_| !modules)?;
        let mut s = Signal::new(SignalKind::Layout, "notebooks-only", 1, 1);
        s.path = path;
        Some(s)
    }

    /// Adds what another part of the unit's files showed.
    pub fn merge(&mut self, other: UnitFacts<'r>) {
        self.tally.merge(other.tally);
        for (fw, s) in other.required {
            self.keep_required(fw, s);
        }
        self.dependencies.extend(other.dependencies);
        self.includes.extend(other.includes);
        self.layout.1 |= other.layout.1;
        if let Some(n) = &other.layout.0 {
            keep_earliest(&mut self.layout.0, n);
        }
        self.kept += other.kept;
    }

    fn keep_required(&mut self, fw: String, s: Signal) {
        match self.required.get(&fw) {
            Some(kept) if crate::signal::order(kept, &s).is_le() => {}
            _ => {
                self.required.insert(fw, s);
            }
        }
    }
}

/// Files folded by unit, in any order. `'x` is the walk's [`Shape`].
pub struct Folded<'r, 'x> {
    rules: &'r RuleSet,
    roots: &'x [String],
    pub units: BTreeMap<&'x str, UnitFacts<'r>>,
    pub tree: Tree<'r>,
}

impl<'r, 'x> Folded<'r, 'x> {
    pub fn new(rules: &'r RuleSet, roots: &'x [String]) -> Self {
        Folded {
            rules,
            roots,
            units: BTreeMap::new(),
            tree: Tree::default(),
        }
    }

    fn unit(&mut self, rel: &str) -> &mut UnitFacts<'r> {
        let unit = infer::unit_of(rel, self.roots);
        self.units.entry(unit).or_default()
    }

    /// Notes a file's kind for its unit's layout.
    pub fn note_file(&mut self, rel: &str, kind: FileKind) {
        if matches!(kind, FileKind::Notebook | FileKind::Python) {
            self.unit(rel).note_file(rel, kind);
        }
    }

    /// Folds the signals of one file, in scan order.
    pub fn add_signals(&mut self, signals: Vec<Signal>) {
        let Some(first) = signals.first() else {
            return;
        };
        let unit = infer::unit_of(&first.path, self.roots);
        let facts = self.units.entry(unit).or_default();
        facts.add_signals(signals, &mut self.tree, self.rules);
    }
}
