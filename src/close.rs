//! Units in two steps. A unit is *finished* ([`Finisher`]) as soon as all
//! its files are in, on any thread: its includes are followed and it is
//! inferred. Once every unit is finished they are *closed* ([`Closer`]) one
//! at a time, in path order: each is judged and only its report entry, its
//! findings and what the units inside it need (its goals and Python
//! declarations) are kept. A unit's enclosing units sort before it, so they
//! are closed first. Finished units wait in [`crate::projects::Slots`],
//! which past a limit keeps them in a temporary file: memory follows the
//! depth of the tree, not its size.

use crate::infer::{self, UnitAnalysis};
use crate::judge;
use crate::ruleset::{Goal, RuleSet};
use crate::signal::{Diagnostic, Signal, SignalKind};
use crate::units::{Shape, Tree, UnitFacts};
use crate::{Project, Stats};
use std::collections::{BTreeMap, BTreeSet};

/// Reads an included requirements file: its path relative to the root and
/// what it gave, or `None` when it cannot be read (or is not to be).
pub type Include<'a> = dyn FnMut(&str) -> Option<(Vec<Signal>, Vec<Diagnostic>)> + 'a;

/// Included files read at most for one unit.
const INCLUDES_READ: usize = 256;

/// A unit whose files are all in, inferred but not yet judged: judging
/// needs the units around it, which a walk finishes later.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Finished {
    pub analysis: UnitAnalysis,
    /// First required imports, in scan order.
    required: Vec<Stored>,
    /// Declared dependencies, in scan order.
    dependencies: Vec<Stored>,
    kept: u64,
}

/// A signal as a [`Finished`] unit keeps it: every field (the JSONL form
/// leaves some out).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
struct Stored {
    path: String,
    cell: Option<u32>,
    line: u32,
    column: u32,
    kind: SignalKind,
    key: String,
    context: Vec<crate::signal::Context>,
    names: Vec<String>,
}

impl Stored {
    fn of(s: &Signal) -> Stored {
        let s = s.clone();
        Stored {
            path: s.path,
            cell: s.cell,
            line: s.line,
            column: s.column,
            kind: s.kind,
            key: s.key,
            context: s.context,
            names: s.names,
        }
    }

    fn signal(&self) -> Signal {
        Signal {
            path: self.path.clone(),
            cell: self.cell,
            line: self.line,
            column: self.column,
            kind: self.kind,
            key: self.key.clone(),
            context: self.context.clone(),
            names: self.names.clone(),
        }
    }
}

/// Finishes units, on any thread and in any order: follows their `-r`
/// includes, adds their layout signal, infers them.
pub struct Finisher<'r, 'x> {
    rules: &'r RuleSet,
    declared_goals: &'x [Goal],
    /// What the walk found: an include of a requirements file it found is
    /// not read again.
    shape: &'x Shape,
    /// Included files read, by path (at most [`INCLUDES_KEPT`]).
    included: std::sync::Mutex<BTreeMap<String, Option<Vec<Signal>>>>,
    /// Included files the tree has counted.
    counted: std::sync::Mutex<BTreeSet<String>>,
}

/// Included files whose signals are kept for the next unit including them.
const INCLUDES_KEPT: usize = 256;

impl<'r, 'x> Finisher<'r, 'x> {
    pub fn new(rules: &'r RuleSet, shape: &'x Shape, declared_goals: &'x [Goal]) -> Self {
        Finisher {
            rules,
            declared_goals,
            shape,
            included: Default::default(),
            counted: Default::default(),
        }
    }

    /// The unit at `path`, whose files are all folded in `facts`; what the
    /// included files add to the tree goes to `tree`, their diagnostics to
    /// `diagnostics`.
    pub fn finish(
        &self,
        path: &str,
        mut facts: UnitFacts<'r>,
        tree: &mut Tree<'r>,
        diagnostics: &mut Vec<Diagnostic>,
        read: &mut Include,
    ) -> Finished {
        self.follow_includes(&mut facts, tree, diagnostics, read);
        if let Some(s) = facts.layout_signal() {
            facts.add_signals(vec![s], tree, self.rules);
        }
        let tally = std::mem::take(&mut facts.tally);
        Finished {
            analysis: tally.finish(path, self.rules, self.declared_goals),
            required: facts.required().into_iter().map(Stored::of).collect(),
            dependencies: facts.dependencies().into_iter().map(Stored::of).collect(),
            kept: facts.kept,
        }
    }

    /// `-r other.txt` includes of the unit's requirements files: included
    /// files the walk did not already classify as requirements count as
    /// the unit's own declarations, as long as they stay inside the root.
    /// At most [`INCLUDES_READ`] a unit; the tree counts each file once.
    fn follow_includes(
        &self,
        facts: &mut UnitFacts<'r>,
        tree: &mut Tree<'r>,
        diagnostics: &mut Vec<Diagnostic>,
        read: &mut Include,
    ) {
        let mut pending = std::mem::take(&mut facts.includes);
        pending.sort();
        pending.reverse();
        let mut done = BTreeSet::new();
        while let Some((from, target)) = pending.pop() {
            let Some(rel) = crate::join_inside(infer::parent_dir(&from), &target) else {
                continue;
            };
            if self.shape.is_requirements(&rel) || done.len() >= INCLUDES_READ {
                continue;
            }
            if !done.insert(rel.clone()) {
                continue;
            }
            let Some(signals) = self.included_file(&rel, diagnostics, read) else {
                continue;
            };
            for s in signals.iter().filter(|s| s.kind == SignalKind::Include) {
                pending.push((rel.clone(), s.key.clone()));
            }
            // Its own includes are followed here, not again by the unit.
            let mine = facts.includes.len();
            let first = crate::walk::lock(&self.counted).insert(rel);
            let mut again = Tree::default();
            let tree = if first { &mut *tree } else { &mut again };
            facts.add_signals(signals, tree, self.rules);
            facts.includes.truncate(mine);
        }
    }

    /// An included file's signals, kept for the next unit while few.
    fn included_file(
        &self,
        rel: &str,
        diagnostics: &mut Vec<Diagnostic>,
        read: &mut Include,
    ) -> Option<Vec<Signal>> {
        if let Some(known) = crate::walk::lock(&self.included).get(rel) {
            return known.clone();
        }
        let got = read(rel).map(|(signals, d)| {
            diagnostics.extend(d);
            signals
        });
        let mut kept = crate::walk::lock(&self.included);
        if kept.len() < INCLUDES_KEPT {
            kept.insert(rel.to_string(), got.clone());
        }
        got
    }
}

/// What a closed unit leaves for the units inside it.
struct Enclosing {
    path: String,
    /// Its own goals, if it shows any (the path and goals only).
    goals: Option<UnitAnalysis>,
    /// Its Python and conda declarations, in scan order.
    declared: Vec<Signal>,
}

pub struct Closer<'r, 'x> {
    rules: &'r RuleSet,
    shape: &'x Shape,
    broken: BTreeSet<&'x str>,
    enclosing: Vec<Enclosing>,
    pub projects: crate::projects::Projects,
    /// The units' findings, in any order until the report sorts them.
    findings: crate::findings::Sorter,
    /// Frameworks something in the tree imports: an FW203 for one of
    /// them does not stand. Complete before the first unit is closed.
    imported: BTreeSet<String>,
}

impl<'r, 'x> Closer<'r, 'x> {
    pub fn new(rules: &'r RuleSet, shape: &'x Shape, may_spill: bool) -> Self {
        Closer {
            rules,
            shape,
            broken: BTreeSet::new(),
            enclosing: Vec::new(),
            projects: crate::projects::Projects::new(crate::projects::HELD, may_spill),
            findings: crate::findings::Sorter::new(may_spill),
            imported: BTreeSet::new(),
        }
    }

    /// The frameworks the whole tree imports, once every file is read.
    pub fn imports(&mut self, imported: BTreeSet<String>) {
        self.imported = imported;
    }

    /// Takes diagnostics in as they come, in any order, each as a finding
    /// (none is held: a tree of broken files costs no memory for them). A
    /// manifest that could not be parsed may declare anything, so FW202
    /// stays quiet in its unit.
    pub fn note(&mut self, diagnostics: Vec<Diagnostic>) {
        for d in diagnostics {
            if d.code != "FW003" && self.shape.manifests.contains(&d.path) {
                self.broken
                    .insert(infer::unit_of(&d.path, &self.shape.roots));
            }
            self.findings
                .push(crate::diagnostic_finding(&d, &self.shape.roots, self.rules));
        }
    }

    /// Judges the unit at `path`; every unit before it in path order, and
    /// so every unit around it, is closed.
    pub fn close(&mut self, path: &'x str, finished: Finished) {
        // Units whose folder the walk has left: none of the rest is inside.
        self.enclosing
            .retain(|e| infer::is_inside(path, &e.path) || *path < *format!("{}/", e.path));
        if finished.kept == 0 {
            return;
        }
        let Finished {
            analysis: unit,
            required,
            dependencies,
            ..
        } = finished;
        let required: Vec<Signal> = required.iter().map(Stored::signal).collect();
        let dependencies: Vec<Signal> = dependencies.iter().map(Stored::signal).collect();
        self.judge(&unit, &required, &dependencies);
        self.enclosing.push(Enclosing {
            path: path.to_string(),
            goals: (!unit.goals.is_empty()).then(|| UnitAnalysis {
                path: unit.path.clone(),
                goals: unit.goals.clone(),
                ..UnitAnalysis::default()
            }),
            declared: dependencies
                .into_iter()
                .filter(python_declaration)
                .collect(),
        });
        if unit.frameworks.is_empty() && unit.goals.is_empty() {
            // Nothing to report for a unit with no ML evidence (a docs folder).
            return;
        }
        let goals = self.goals_for(&unit);
        let verdict = judge::verdict(&unit, goals, self.rules);
        self.projects.push(Project {
            analysis: unit,
            verdict,
        });
    }

    /// Closed units enclosing the unit at `path`, nearest first.
    fn enclosing_of<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Enclosing> {
        self.enclosing
            .iter()
            .rev()
            .filter(move |e| e.path != path && infer::is_inside(path, &e.path))
    }

    /// The goals a unit is judged on: its own, or the nearest enclosing
    /// unit's when it has none.
    fn goals_for<'a>(&'a self, unit: &'a UnitAnalysis) -> Option<&'a UnitAnalysis> {
        if !unit.goals.is_empty() {
            return Some(unit);
        }
        self.enclosing_of(&unit.path).find_map(|e| e.goals.as_ref())
    }

    fn judge(&mut self, unit: &UnitAnalysis, required: &[Signal], dependencies: &[Signal]) {
        let goals = self.goals_for(unit);
        let own_declared: Vec<&Signal> = dependencies.iter().collect();
        // Python code is declared in Python manifests only (a C++ header or
        // a Gradle line says nothing about `import torch`).
        let declared_scope: Vec<&Signal> = own_declared
            .iter()
            .copied()
            .filter(|s| python_declaration(s))
            .chain(self.enclosing_of(&unit.path).flat_map(|e| &e.declared))
            .collect();
        let enclosing = crate::enclosing_roots(&self.shape.roots, &unit.path);
        let readable_manifest = enclosing.iter().any(|u| self.shape.holds_manifest(u))
            && !enclosing.iter().any(|u| self.broken.contains(u));
        let input = judge::UnitInput {
            unit,
            goals,
            required: &required.iter().collect::<Vec<_>>(),
            dependencies: &own_declared,
            declared_scope: &declared_scope,
            readable_manifest,
        };
        let found = judge::findings(&input, self.rules);
        let unused = judge::unused_dependencies(&input, self.rules);
        self.findings.extend(found);
        self.findings.extend(
            unused
                .into_iter()
                .filter(|(fw, _)| !self.imported.contains(fw))
                .map(|(_, f)| f),
        );
    }

    /// The report, once every unit is closed: FW203 where nothing in the
    /// tree imports the framework, the tree's own findings, diagnostics.
    pub fn finish(
        self,
        root: String,
        tree: Tree<'r>,
        first: Option<&str>,
        settings: &crate::Settings,
        mut stats: Stats,
    ) -> crate::Report {
        let started = std::time::Instant::now();
        let rules = self.rules;
        let rollup = tree.rollup.finish(".", rules, &settings.goals);
        let mut findings = self.findings;
        findings.extend(judge::tree_findings(&rollup, first, rules));
        findings.extend(judge::declared_goal_findings(
            &rollup,
            settings.goals_at.as_ref(),
            first,
            rules,
        ));
        let verdict = judge::verdict(&rollup, Some(&rollup), rules);
        stats.signals_kept = tree.kept;
        stats.phases.push(("analyse", started.elapsed()));
        crate::Report {
            root,
            rollup,
            verdict,
            projects: self.projects,
            findings: findings.finish(),
            stats,
        }
    }
}

fn python_declaration(s: &Signal) -> bool {
    s.key.starts_with("pypi:") || s.key.starts_with("conda:")
}
