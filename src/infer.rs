//! Folds signals into evidence per project unit: which frameworks are used and
//! how strongly, which goals the project serves and how confidently. Every
//! number is a sum of rule weights that the evidence lists.
//!
//! - A framework's score is, over the files that show it, the sum of each
//!   file's strongest matching rule weight times its context multiplier.
//! - A goal's score is the sum, over the rules that match, of each rule's
//!   strongest occurrence (weight × context multiplier): a rule counts once.
//!   Its confidence is `1 - exp(-score / scale)`.

use crate::ruleset::{Goal, RuleSet, Target};
use crate::signal::{Signal, SignalKind};
use crate::walk::{FileEntry, FileKind};
use std::collections::{BTreeMap, BTreeSet};

/// One piece of evidence behind a framework or a goal.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// How the signal reads, e.g. `import torch.nn`, `pypi:torch`.
    pub signal: String,
    pub path: String,
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
    pub weight: f64,
    /// The rule file that gave the weight.
    pub rule: String,
}

impl Evidence {
    /// A place no signal stands behind: a config line, a tree-wide finding.
    pub fn at(path: &str, line: u32) -> Evidence {
        Evidence {
            signal: String::new(),
            path: path.to_string(),
            cell: None,
            line,
            column: 1,
            weight: 0.0,
            rule: String::new(),
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct FrameworkUse {
    pub id: String,
    pub score: f64,
    pub files: usize,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct GoalScore {
    pub goal: Goal,
    pub score: f64,
    pub confidence: f64,
    pub primary: bool,
    pub declared: bool,
    pub evidence: Vec<Evidence>,
}

/// What one project unit (or the whole tree) shows.
#[derive(Clone, Debug, Default)]
pub struct UnitAnalysis {
    /// `.` for the root, else the unit's folder.
    pub path: String,
    /// Frameworks at or above the threshold, strongest first.
    pub frameworks: Vec<FrameworkUse>,
    /// Goals at or above the confidence threshold, strongest first.
    pub goals: Vec<GoalScore>,
    /// Goals below the threshold, for `explain`.
    pub weak_goals: Vec<GoalScore>,
}

impl UnitAnalysis {
    pub fn uses(&self, framework: &str) -> Option<&FrameworkUse> {
        self.frameworks.iter().find(|f| f.id == framework)
    }

    pub fn primary_goals(&self) -> impl Iterator<Item = &GoalScore> {
        self.goals.iter().filter(|g| g.primary)
    }
}

const EVIDENCE_SHOWN: usize = 5;

/// Folders that start a project unit: those holding a manifest of their own.
pub fn unit_roots(files: &[FileEntry]) -> Vec<String> {
    let mut roots: BTreeSet<String> = BTreeSet::from([".".to_string()]);
    for f in files {
        let name = f.rel.rsplit('/').next().unwrap_or(&f.rel);
        let starts_unit = match f.kind {
            FileKind::Requirements => name.eq_ignore_ascii_case("requirements.txt"),
            k => k.starts_unit(),
        };
        if starts_unit {
            roots.insert(parent_dir(&f.rel).to_string());
        }
    }
    roots.into_iter().collect()
}

pub fn parent_dir(rel: &str) -> &str {
    rel.rsplit_once('/').map_or(".", |(dir, _)| dir)
}

/// Whether `path` lies inside the folder `dir` (`.` holds everything).
pub fn is_inside(path: &str, dir: &str) -> bool {
    dir == "."
        || (path.len() > dir.len() && path.starts_with(dir) && path.as_bytes()[dir.len()] == b'/')
}

/// The deepest unit root containing `path`; `roots` sorted, as
/// [`unit_roots`] gives them. Each ancestor folder is looked up by binary
/// search: a scan of all roots per signal made monorepos quadratic
/// (a third of the time on a 100k-file tree went to `memcmp`).
pub fn unit_of<'r>(path: &str, roots: &'r [String]) -> &'r str {
    debug_assert!(roots.is_sorted());
    let mut end = path.len();
    while let Some(i) = path[..end].rfind('/') {
        let dir = &path[..i];
        if let Ok(k) = roots.binary_search_by(|r| r.as_str().cmp(dir)) {
            return &roots[k];
        }
        end = i;
    }
    "."
}

/// Shape signals of each unit: a unit with notebooks and no Python modules.
pub fn layout_signals(files: &[FileEntry], roots: &[String]) -> Vec<Signal> {
    let mut per_unit: BTreeMap<&str, (Option<&str>, usize)> = BTreeMap::new();
    for f in files {
        let unit = unit_of(&f.rel, roots);
        let entry = per_unit.entry(unit).or_insert((None, 0));
        match f.kind {
            FileKind::Notebook if entry.0.is_none() => entry.0 = Some(&f.rel),
            FileKind::Python => entry.1 += 1,
            _ => {}
        }
    }
    per_unit
        .into_values()
        .filter_map(|(notebook, modules)| {
            let path = notebook.filter(|_| modules == 0)?;
            let mut s = Signal::new(SignalKind::Layout, "notebooks-only", 1, 1);
            s.path = path.to_string();
            Some(s)
        })
        .collect()
}

pub fn describe(signal: &Signal) -> String {
    match signal.kind {
        SignalKind::Import if signal.names.is_empty() => format!("import {}", signal.key),
        SignalKind::Import => {
            let more = if signal.names.len() > 2 { ", …" } else { "" };
            let shown: Vec<&str> = signal.names.iter().take(2).map(String::as_str).collect();
            format!("from {} import {}{more}", signal.key, shown.join(", "))
        }
        SignalKind::DynamicImport => format!("import_module(\"{}\")", signal.key),
        SignalKind::Keyword => format!("keyword \"{}\"", signal.key),
        SignalKind::Path => format!("path {}", signal.key),
        SignalKind::Layout => format!("layout {}", signal.key),
        SignalKind::Env => format!("env {}", signal.key),
        SignalKind::JsImport => {
            let package = signal
                .key
                .split_once(':')
                .map_or(signal.key.as_str(), |(_, p)| p);
            format!("import '{package}'")
        }
        _ => signal.key.clone(),
    }
}

fn evidence(signal: &Signal, weight: f64, rule: &str) -> Evidence {
    Evidence {
        signal: describe(signal),
        path: signal.path.clone(),
        cell: signal.cell,
        line: signal.line,
        column: signal.column,
        weight: round(weight),
        rule: rule.to_string(),
    }
}

pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A signal as evidence before it is shown: references only, so that a
/// tree of 100,000 files holds no copy of each file's best import. It
/// becomes an [`Evidence`] only when reported.
#[derive(Clone, Copy)]
struct Candidate<'s, 'r> {
    signal: &'s Signal,
    weight: f64,
    rule: &'r str,
}

impl Candidate<'_, '_> {
    fn at(&self) -> (Option<u32>, u32, u32) {
        (self.signal.cell, self.signal.line, self.signal.column)
    }

    fn evidence(&self) -> Evidence {
        evidence(self.signal, self.weight, self.rule)
    }
}

/// Strongest first, then by location: a total, deterministic order.
fn sort_candidates(ev: &mut [Candidate]) {
    ev.sort_by(|a, b| {
        let (x, y) = (a.signal, b.signal);
        b.weight
            .total_cmp(&a.weight)
            .then_with(|| {
                (&x.path, x.cell, x.line, x.column).cmp(&(&y.path, y.cell, y.line, y.column))
            })
            .then_with(|| describe(x).cmp(&describe(y)))
    });
}

/// Analyses the signals of one unit (or of the whole tree).
pub fn analyse(
    path: &str,
    signals: &[&Signal],
    rules: &RuleSet,
    declared: &[Goal],
) -> UnitAnalysis {
    // framework id → file → best evidence
    let mut fw: BTreeMap<&str, BTreeMap<&str, Candidate>> = BTreeMap::new();
    // goal → rule index → best evidence
    let mut goals: BTreeMap<Goal, BTreeMap<usize, Candidate>> = BTreeMap::new();
    for &signal in signals {
        for (target, weight, rule) in weighed(signal, rules) {
            let ev = Candidate {
                signal,
                weight,
                rule,
            };
            match target {
                Counts::Framework(f) => keep_best(fw.entry(f).or_default().entry(&signal.path), ev),
                Counts::Goal(g, id) => keep_best(goals.entry(g).or_default().entry(id), ev),
            }
        }
    }
    let frameworks = framework_uses(fw, rules);
    let (goals, weak_goals) = goal_scores(goals, rules, declared);
    UnitAnalysis {
        path: path.to_string(),
        frameworks,
        goals,
        weak_goals,
    }
}

/// What a matching rule makes a signal evidence for: a framework (kept per
/// file) or a goal (kept per rule).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Counts<'r> {
    Framework(&'r str),
    Goal(Goal, usize),
}

/// Each rule a signal matches, with the evidence's weight (rounded, as
/// reported) and the rule's file.
pub fn weighed<'r>(signal: &Signal, rules: &'r RuleSet) -> Vec<(Counts<'r>, f64, &'r str)> {
    let ctx = rules.context_weight(&signal.context);
    let mut out = Vec::new();
    for id in rules.matching(signal) {
        let rule = &rules.rules[id];
        let (target, weight) = match &rule.target {
            Target::Framework(f) => {
                // npm rules are shared by package.json lines and JS imports.
                let declared = matches!(signal.kind, SignalKind::Dependency | SignalKind::JsImport);
                let share = if declared {
                    rules.scoring.manifest_weight
                } else {
                    1.0
                };
                (Counts::Framework(f.as_str()), rule.weight * ctx * share)
            }
            Target::Goal(g) => (Counts::Goal(*g, id), rule.weight * ctx),
        };
        out.push((target, round(weight), rule.file.as_str()));
    }
    out
}

/// Whether evidence of `weight` at `at` (cell, line, column) beats the
/// evidence kept so far: stronger, or as strong and written earlier.
pub fn beats(
    weight: f64,
    at: (Option<u32>, u32, u32),
    kept: (f64, (Option<u32>, u32, u32)),
) -> bool {
    weight > kept.0 || (weight == kept.0 && at < kept.1)
}

fn keep_best<'s, 'r, K: Ord>(
    slot: std::collections::btree_map::Entry<'_, K, Candidate<'s, 'r>>,
    ev: Candidate<'s, 'r>,
) {
    use std::collections::btree_map::Entry;
    match slot {
        Entry::Vacant(v) => {
            v.insert(ev);
        }
        Entry::Occupied(mut o) => {
            let cur = o.get();
            if beats(ev.weight, ev.at(), (cur.weight, cur.at())) {
                o.insert(ev);
            }
        }
    }
}

fn framework_uses(
    fw: BTreeMap<&str, BTreeMap<&str, Candidate>>,
    rules: &RuleSet,
) -> Vec<FrameworkUse> {
    let mut all: BTreeMap<&str, (f64, BTreeMap<&str, Candidate>)> = BTreeMap::new();
    for (id, files) in fw {
        let score = files.values().map(|e| e.weight).sum();
        all.insert(id, (score, files));
    }
    let threshold = rules.scoring.framework_threshold;
    // Keras next to TensorFlow is tf.keras: fold it in.
    for def in &rules.frameworks {
        let Some(into) = &def.folds_into else {
            continue;
        };
        let target_used = all
            .get(into.get_ref().as_str())
            .is_some_and(|(s, _)| *s >= threshold);
        if target_used && let Some((_, files)) = all.remove(def.id.as_str()) {
            let target = all.get_mut(into.get_ref().as_str()).expect("checked above");
            for (path, ev) in files {
                keep_best(target.1.entry(path), ev);
            }
            target.0 = target.1.values().map(|e| e.weight).sum();
        }
    }
    let mut out: Vec<FrameworkUse> = all
        .into_iter()
        .filter(|(_, (score, _))| *score >= threshold)
        .map(|(id, (score, files))| {
            let mut candidates: Vec<Candidate> = files.into_values().collect();
            sort_candidates(&mut candidates);
            let shown = candidates.iter().take(EVIDENCE_SHOWN);
            FrameworkUse {
                id: id.to_string(),
                score: round(score),
                files: candidates.len(),
                evidence: shown.map(Candidate::evidence).collect(),
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

fn goal_scores(
    goals: BTreeMap<Goal, BTreeMap<usize, Candidate>>,
    rules: &RuleSet,
    declared: &[Goal],
) -> (Vec<GoalScore>, Vec<GoalScore>) {
    let scale = rules.scoring.scale;
    let mut scored: Vec<GoalScore> = goals
        .into_iter()
        .map(|(goal, per_rule)| {
            let mut candidates: Vec<Candidate> = per_rule.into_values().collect();
            let score = candidates.iter().map(|e| e.weight).sum::<f64>();
            sort_candidates(&mut candidates);
            let evidence = candidates.iter().map(Candidate::evidence).collect();
            GoalScore {
                goal,
                score: round(score),
                confidence: round(1.0 - (-score / scale).exp()),
                primary: false,
                declared: false,
                evidence,
            }
        })
        .collect();
    for &goal in declared {
        match scored.iter_mut().find(|g| g.goal == goal) {
            Some(g) => g.declared = true,
            None => scored.push(GoalScore {
                goal,
                score: 0.0,
                confidence: 1.0,
                primary: false,
                declared: true,
                evidence: Vec::new(),
            }),
        }
    }
    for g in &mut scored {
        if g.declared {
            g.confidence = 1.0;
        }
    }
    scored.sort_by(|a, b| {
        b.declared
            .cmp(&a.declared)
            .then_with(|| b.confidence.total_cmp(&a.confidence))
            .then_with(|| b.score.total_cmp(&a.score))
            .then_with(|| a.goal.cmp(&b.goal))
    });
    let (mut listed, weak): (Vec<_>, Vec<_>) = scored
        .into_iter()
        .partition(|g| g.confidence >= rules.scoring.threshold);
    // Declared goals are what the project is for; otherwise the strongest.
    let top = listed.iter().map(|g| g.score).fold(0.0_f64, f64::max);
    let any_declared = listed.iter().any(|g| g.declared);
    for g in &mut listed {
        g.primary = if any_declared {
            g.declared
        } else {
            g.score >= rules.scoring.primary_share * top
        };
    }
    (listed, weak)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The definition: the longest root that is a proper ancestor folder.
    fn unit_by_scan<'r>(path: &str, roots: &'r [String]) -> &'r str {
        roots
            .iter()
            .filter(|r| is_inside(path, r))
            .max_by_key(|r| if r.as_str() == "." { 0 } else { r.len() })
            .map_or(".", String::as_str)
    }

    #[test]
    fn unit_lookup_agrees_with_the_definition() {
        let roots: Vec<String> = [
            ".",
            "apps",
            "apps/web",
            "apps/web-admin",
            "libs/a",
            "libs/a/b/c",
            "x",
        ]
        .map(String::from)
        .to_vec();
        assert!(roots.is_sorted());
        for path in [
            "train.py",
            "apps/web/src/main.ts",
            "apps/web-admin/package.json",
            "apps/webx/a.py",
            "apps/web",
            "libs/a/b/c/d/e.py",
            "libs/a/b/x.py",
            "libs/ab/x.py",
            "x/y",
            "xy/z",
        ] {
            assert_eq!(unit_of(path, &roots), unit_by_scan(path, &roots), "{path}");
        }
    }
}
