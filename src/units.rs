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
/// which units hold a Python manifest, which files are manifests, the first
/// file. Kept small, as it lives through the whole check: a path here costs
/// one root string per unit and eight bytes per manifest.
#[derive(Debug, Default)]
pub struct Shape {
    /// Unit roots, sorted (see [`infer::starts_unit`]).
    pub roots: Vec<String>,
    /// Whether each root's unit holds a Python dependency manifest (FW202
    /// trusts only readable ones); set by [`Shape::finish`].
    with_manifest: Vec<bool>,
    /// The Python dependency manifests, requirements files among them.
    pub manifests: PathSet,
    /// Folders of manifests that start a unit: roots by construction.
    manifest_roots: PathSet,
    /// Folders of manifests that start no unit (`requirements-dev.txt`).
    loose_manifest_dirs: Vec<String>,
    /// The first file in path order (tree-wide findings point there).
    pub first: Option<String>,
    pub files: u64,
}

impl Shape {
    /// Notes one file found by the walk.
    pub fn note(&mut self, rel: &str, kind: FileKind) {
        self.files += 1;
        keep_earliest(&mut self.first, rel);
        let dir = infer::parent_dir(rel);
        let starts = infer::starts_unit(rel, kind);
        // A folder's files come one after another from the walk: most
        // repeats are caught here, the rest by `finish`.
        if starts && self.roots.last().is_none_or(|last| last != dir) {
            self.roots.push(dir.to_string());
        }
        if !kind.is_manifest() {
            return;
        }
        self.manifests.insert(rel);
        if starts {
            self.manifest_roots.insert(dir);
        } else if self
            .loose_manifest_dirs
            .last()
            .is_none_or(|last| last != dir)
        {
            self.loose_manifest_dirs.push(dir.to_string());
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
        self.manifest_roots.extend(other.manifest_roots);
        self.loose_manifest_dirs.extend(other.loose_manifest_dirs);
    }

    /// Sorts the roots, with `.` always among them, and marks the units
    /// holding a manifest.
    pub fn finish(&mut self) {
        self.roots.push(".".to_string());
        self.roots.sort_unstable();
        self.roots.dedup();
        self.roots.shrink_to_fit();
        self.manifests.finish();
        self.manifest_roots.finish();
        let mut with: Vec<bool> = self
            .roots
            .iter()
            .map(|r| self.manifest_roots.contains(r))
            .collect();
        for dir in std::mem::take(&mut self.loose_manifest_dirs) {
            let unit = match self.roots.binary_search(&dir) {
                Ok(k) => k,
                Err(_) => self.index_of(infer::unit_of(&dir, &self.roots)),
            };
            with[unit] = true;
        }
        self.with_manifest = with;
        self.manifest_roots = PathSet::default();
    }

    /// The index of a root.
    pub fn index_of(&self, root: &str) -> usize {
        infer::root_index(&self.roots, root)
    }

    /// Whether the unit at `root` holds a Python dependency manifest.
    pub fn holds_manifest(&self, root: &str) -> bool {
        self.with_manifest[self.index_of(root)]
    }

    /// Whether the walk found `rel` and took it for a requirements file.
    pub fn is_requirements(&self, rel: &str) -> bool {
        crate::walk::classify(rel) == FileKind::Requirements && self.manifests.contains(rel)
    }
}

/// A set of paths kept as 64-bit hashes, sorted once filled: 8 bytes a
/// path however long. Two of a million paths share a hash with odds of
/// about 3 in 10^8, and then a membership test errs for them.
#[derive(Debug, Default)]
pub struct PathSet(Vec<u64>);

impl PathSet {
    fn key(path: &str) -> u64 {
        use std::hash::{Hash, Hasher};
        // Fixed keys: the same path gives the same hash on every thread.
        let mut h = std::hash::DefaultHasher::new();
        path.hash(&mut h);
        h.finish()
    }

    pub fn insert(&mut self, path: &str) {
        self.0.push(Self::key(path));
    }

    fn extend(&mut self, other: PathSet) {
        self.0.extend(other.0);
    }

    /// Sorts the hashes; until then `contains` is wrong.
    fn finish(&mut self) {
        self.0.sort_unstable();
        self.0.dedup();
        self.0.shrink_to_fit();
    }

    pub fn contains(&self, path: &str) -> bool {
        self.0.binary_search(&Self::key(path)).is_ok()
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
        // Each signal matched once, for both tallies and the frameworks.
        let matched: Vec<judge::Matched> = signals
            .iter()
            .map(|s| judge::Matched::new(s, rules))
            .collect();
        let weighed = || {
            signals
                .iter()
                .zip(&matched)
                .map(|(s, m)| (s, infer::weighed_by(s, &m.ids, rules)))
        };
        self.tally.add_weighed(weighed(), rules);
        tree.rollup.add_weighed(weighed(), rules);
        for (s, m) in signals.into_iter().zip(matched) {
            if judge::is_import(&s) {
                m.note_used_through(rules, &mut tree.imported);
            }
            match s.kind {
                SignalKind::Dependency => self.dependencies.push(s),
                SignalKind::Include => self.includes.push((s.path, s.key)),
                _ if judge::is_required_import(&s) => {
                    for fw in m.frameworks(rules) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::walk::classify;

    /// A shape noted file by file, as two walking threads would, in an
    /// order that repeats folders apart.
    fn shape_of(files: &[&str]) -> Shape {
        let (mut one, mut two) = (Shape::default(), Shape::default());
        for (i, f) in files.iter().enumerate() {
            let half = if i % 2 == 0 { &mut one } else { &mut two };
            half.note(f, classify(f));
        }
        one.merge(two);
        one.finish();
        one
    }

    #[test]
    fn a_shape_knows_its_units_manifests_and_requirements() {
        let shape = shape_of(&[
            "svc/app/main.py",
            "svc/pyproject.toml",
            "svc/app/requirements-dev.txt",
            "web/package.json",
            "lib/core/requirements.txt",
            "lib/core/setup.py",
            "lib/extra/requirements-gpu.txt",
            "docs/index.md",
            "svc/Dockerfile",
        ]);
        assert_eq!(shape.roots, [".", "lib/core", "svc", "web"]);
        assert_eq!(shape.files, 9);
        assert_eq!(shape.first.as_deref(), Some("docs/index.md"));
        // A loose requirements file belongs to the unit around its folder:
        // svc/app's to svc, lib/extra's to the top.
        let with: Vec<&str> = shape
            .roots
            .iter()
            .zip(&shape.with_manifest)
            .filter(|(_, w)| **w)
            .map(|(r, _)| r.as_str())
            .collect();
        assert_eq!(with, [".", "lib/core", "svc"]);
        for m in [
            "svc/pyproject.toml",
            "lib/core/setup.py",
            "lib/extra/requirements-gpu.txt",
        ] {
            assert!(shape.manifests.contains(m), "{m}");
        }
        for other in [
            "web/package.json",
            "svc/app/main.py",
            "svc/Dockerfile",
            "lib/core",
        ] {
            assert!(!shape.manifests.contains(other), "{other}");
        }
        assert!(shape.is_requirements("lib/core/requirements.txt"));
        assert!(shape.is_requirements("svc/app/requirements-dev.txt"));
        assert!(!shape.is_requirements("svc/pyproject.toml"));
        assert!(!shape.is_requirements("lib/other/requirements.txt"));
        assert_eq!(shape.index_of("svc"), 2);
    }

    #[test]
    fn a_tree_without_units_has_the_top_one() {
        let shape = shape_of(&["a.py", "requirements-dev.txt"]);
        assert_eq!(shape.roots, ["."]);
        assert_eq!(shape.with_manifest, [true]);
        assert!(shape_of(&[]).with_manifest == [false]);
    }
}
