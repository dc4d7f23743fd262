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
use crate::walk::FileKind;
use std::collections::BTreeMap;

/// One piece of evidence behind a framework or a goal.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
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

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FrameworkUse {
    pub id: String,
    pub score: f64,
    pub files: usize,
    pub evidence: Vec<Evidence>,
}

#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct GoalScore {
    pub goal: Goal,
    pub score: f64,
    pub confidence: f64,
    pub primary: bool,
    pub declared: bool,
    pub evidence: Vec<Evidence>,
}

/// What one project unit (or the whole tree) shows.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
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

/// Whether the file at `rel` makes its folder a unit root.
pub fn starts_unit(rel: &str, kind: FileKind) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    match kind {
        FileKind::Requirements => name.eq_ignore_ascii_case("requirements.txt"),
        k => k.starts_unit(),
    }
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
/// [`crate::units::Shape`] gives them. Each ancestor folder is looked up by binary
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

/// The index of `root` in the sorted `roots` (0, the first, if absent).
pub fn root_index(roots: &[String], root: &str) -> usize {
    roots
        .binary_search_by(|r| r.as_str().cmp(root))
        .unwrap_or(0)
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

pub fn round(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A signal as evidence before it is shown: references only, so that a
/// file's signals are weighed without copies. A [`Tally`] keeps an owned
/// [`Held`] only for what it may show.
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
}

/// Evidence a tally may show, as compact as the report needs it: a tally
/// of a monorepo holds thousands.
#[derive(Clone, Debug)]
struct Held<'r> {
    weight: f64,
    path: Box<str>,
    cell: Option<u32>,
    line: u32,
    column: u32,
    kind: SignalKind,
    key: Box<str>,
    /// How the signal reads ([`describe`]).
    shown: Box<str>,
    rule: &'r str,
}

impl<'r> Held<'r> {
    fn of(c: &Candidate<'_, 'r>) -> Held<'r> {
        let s = c.signal;
        Held {
            weight: c.weight,
            path: s.path.as_str().into(),
            cell: s.cell,
            line: s.line,
            column: s.column,
            kind: s.kind,
            key: s.key.as_str().into(),
            shown: describe(s).into(),
            rule: c.rule,
        }
    }

    fn evidence(&self) -> Evidence {
        Evidence {
            signal: self.shown.to_string(),
            path: self.path.to_string(),
            cell: self.cell,
            line: self.line,
            column: self.column,
            weight: round(self.weight),
            rule: self.rule.to_string(),
        }
    }

    /// Strongest first, then by location, then how it reads: the order
    /// evidence is shown in.
    fn shown_order(&self, other: &Held) -> std::cmp::Ordering {
        self.place_order(other.weight, &other.path, other.at())
            .then_with(|| self.shown.cmp(&other.shown))
    }

    fn shown_before(&self, other: &Held) -> bool {
        self.shown_order(other).is_lt()
    }

    fn at(&self) -> (Option<u32>, u32, u32) {
        (self.cell, self.line, self.column)
    }

    fn place_order(
        &self,
        weight: f64,
        path: &str,
        at: (Option<u32>, u32, u32),
    ) -> std::cmp::Ordering {
        weight
            .total_cmp(&self.weight)
            .then_with(|| (&*self.path, self.at()).cmp(&(path, at)))
    }

    fn goal_key(&self) -> GoalKey<'_> {
        (self.at(), &self.path, self.kind, &self.key)
    }
}

/// How evidence for a goal rule is chosen: stronger, or as strong and
/// earlier in its file, then earlier in scan order. A total order, so any
/// split of the files agrees.
type GoalKey<'a> = ((Option<u32>, u32, u32), &'a str, SignalKind, &'a str);

fn goal_key(s: &Signal) -> GoalKey<'_> {
    ((s.cell, s.line, s.column), &s.path, s.kind, &s.key)
}

fn better_for_goal(weight: f64, key: GoalKey, kept: &Held) -> bool {
    weight > kept.weight || (weight == kept.weight && key < kept.goal_key())
}

/// One framework in a tally: its score in hundredths (exact, so that any
/// split of the files sums to the same), the files showing it, and the best
/// evidence of each, strongest first, at most [`EVIDENCE_SHOWN`].
#[derive(Clone, Debug, Default)]
struct FrameworkTally<'r> {
    cents: i64,
    files: usize,
    shown: Vec<Held<'r>>,
}

impl<'r> FrameworkTally<'r> {
    fn add_file(&mut self, best: &Candidate<'_, 'r>) {
        self.cents += cents(best.weight);
        self.files += 1;
        let last = self
            .shown
            .last()
            .filter(|_| self.shown.len() == EVIDENCE_SHOWN);
        let (s, at) = (best.signal, best.at());
        let behind = |l: &Held| {
            l.place_order(best.weight, &s.path, at)
                .then_with(|| (*l.shown).cmp(&describe(s)))
                .is_gt()
        };
        if last.is_some_and(|l| !behind(l)) {
            return;
        }
        self.offer(Held::of(best));
    }

    fn offer(&mut self, held: Held<'r>) {
        let at = self.shown.partition_point(|h| h.shown_before(&held));
        if at < EVIDENCE_SHOWN {
            self.shown.insert(at, held);
            self.shown.truncate(EVIDENCE_SHOWN);
        }
    }

    fn merge(&mut self, other: FrameworkTally<'r>) {
        self.cents += other.cents;
        self.files += other.files;
        for held in other.shown {
            self.offer(held);
        }
    }

    fn score(&self) -> f64 {
        self.cents as f64 / 100.0
    }
}

fn cents(weight: f64) -> i64 {
    (weight * 100.0).round() as i64
}

/// A small map kept as a vector sorted by key: a tally of a monorepo holds
/// thousands of them, and a B-tree allocates eleven slots for one entry.
#[derive(Clone, Debug)]
pub(crate) struct SmallMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for SmallMap<K, V> {
    fn default() -> Self {
        SmallMap(Vec::new())
    }
}

impl<K: Ord, V> SmallMap<K, V> {
    pub(crate) fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(key, _)| key.cmp(k))
    }

    pub(crate) fn get(&self, k: &K) -> Option<&V> {
        self.find(k).ok().map(|i| &self.0[i].1)
    }

    pub(crate) fn insert(&mut self, k: K, v: V) {
        match self.find(&k) {
            Ok(i) => self.0[i].1 = v,
            Err(i) => self.0.insert(i, (k, v)),
        }
    }

    pub(crate) fn remove(&mut self, k: &K) -> Option<V> {
        self.find(k).ok().map(|i| self.0.remove(i).1)
    }

    pub(crate) fn slot(&mut self, k: K) -> &mut V
    where
        V: Default,
    {
        let i = match self.find(&k) {
            Ok(i) => i,
            Err(i) => {
                self.0.insert(i, (k, V::default()));
                i
            }
        };
        &mut self.0[i].1
    }
}

impl<K, V> SmallMap<K, V> {
    pub(crate) fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }
}

impl<K, V> IntoIterator for SmallMap<K, V> {
    type Item = (K, V);
    type IntoIter = std::vec::IntoIter<(K, V)>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
    }
}

/// What the files of a unit show, folded file by file: memory holds a few
/// pieces of evidence per framework and goal rule, whatever the file count.
/// Tallies of any split of the files merge into the same tally.
#[derive(Clone, Debug, Default)]
pub struct Tally<'r> {
    frameworks: SmallMap<&'r str, FrameworkTally<'r>>,
    /// For a framework that folds into another (Keras into TensorFlow): the
    /// two counted as one, each file by its better evidence, used in place
    /// of the target when the fold applies.
    folded: SmallMap<&'r str, FrameworkTally<'r>>,
    /// (goal, rule index) → the rule's best evidence.
    goals: SmallMap<(Goal, usize), Held<'r>>,
}

impl<'r> Tally<'r> {
    /// Adds the signals of one file, in scan order.
    pub fn add_file<'s>(
        &mut self,
        signals: impl IntoIterator<Item = &'s Signal>,
        rules: &'r RuleSet,
    ) {
        self.add_weighed(signals.into_iter().map(|s| (s, weighed(s, rules))), rules);
    }

    /// [`Tally::add_file`] for signals already weighed ([`weighed_by`]).
    pub fn add_weighed<'s, W>(
        &mut self,
        signals: impl IntoIterator<Item = (&'s Signal, W)>,
        rules: &'r RuleSet,
    ) where
        W: IntoIterator<Item = (Counts<'r>, f64, &'r str)>,
    {
        let mut best: SmallMap<&'r str, Candidate<'s, 'r>> = SmallMap::default();
        for (signal, weighed) in signals {
            for (target, weight, rule) in weighed {
                let ev = Candidate {
                    signal,
                    weight,
                    rule,
                };
                match target {
                    Counts::Framework(f) => match best.get(&f) {
                        Some(cur) if !beats(weight, ev.at(), (cur.weight, cur.at())) => {}
                        _ => best.insert(f, ev),
                    },
                    Counts::Goal(g, id) => {
                        if self.goal_wants((g, id), weight, goal_key(signal)) {
                            self.goals.insert((g, id), Held::of(&ev));
                        }
                    }
                }
            }
        }
        for def in &rules.frameworks {
            let Some(into) = &def.folds_into else {
                continue;
            };
            let (own, target) = (
                best.get(&def.id.as_str()),
                best.get(&into.get_ref().as_str()),
            );
            // The target's evidence stays unless the folded one beats it.
            let merged = match (own, target) {
                (Some(o), Some(t)) if beats(o.weight, o.at(), (t.weight, t.at())) => o,
                (_, Some(t)) => t,
                (Some(o), None) => o,
                (None, None) => continue,
            };
            self.folded.slot(&def.id).add_file(merged);
        }
        for (f, ev) in best {
            self.frameworks.slot(f).add_file(&ev);
        }
    }

    fn goal_wants(&self, key: (Goal, usize), weight: f64, at: GoalKey) -> bool {
        self.goals
            .get(&key)
            .is_none_or(|kept| better_for_goal(weight, at, kept))
    }

    /// Adds what another part of the files showed.
    pub fn merge(&mut self, other: Tally<'r>) {
        for (f, t) in other.frameworks {
            self.frameworks.slot(f).merge(t);
        }
        for (f, t) in other.folded {
            self.folded.slot(f).merge(t);
        }
        for (key, held) in other.goals {
            if self.goal_wants(key, held.weight, held.goal_key()) {
                self.goals.insert(key, held);
            }
        }
    }

    /// The analysis of the unit at `path`.
    pub fn finish(self, path: &str, rules: &'r RuleSet, declared: &[Goal]) -> UnitAnalysis {
        let frameworks = framework_uses(self.frameworks, self.folded, rules);
        let mut goals: BTreeMap<Goal, Vec<Held>> = BTreeMap::new();
        for ((goal, _), held) in self.goals {
            goals.entry(goal).or_default().push(held);
        }
        let (goals, weak_goals) = goal_scores(goals, rules, declared);
        UnitAnalysis {
            path: path.to_string(),
            frameworks,
            goals,
            weak_goals,
        }
    }
}

/// Analyses the signals of one unit (or of the whole tree).
pub fn analyse(
    path: &str,
    signals: &[&Signal],
    rules: &RuleSet,
    declared: &[Goal],
) -> UnitAnalysis {
    let mut by_file: BTreeMap<&str, Vec<&Signal>> = BTreeMap::new();
    for &s in signals {
        by_file.entry(&s.path).or_default().push(s);
    }
    let mut tally = Tally::default();
    for file in by_file.values() {
        tally.add_file(file.iter().copied(), rules);
    }
    tally.finish(path, rules, declared)
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
    weighed_by(signal, &rules.matching(signal), rules).collect()
}

/// [`weighed`] for a signal whose matching rules (`ids`) are known.
pub fn weighed_by<'r, 'a>(
    signal: &'a Signal,
    ids: &'a [usize],
    rules: &'r RuleSet,
) -> impl Iterator<Item = (Counts<'r>, f64, &'r str)> + use<'r, 'a> {
    let ctx = rules.context_weight(&signal.context);
    // npm rules are shared by package.json lines and JS imports.
    let declared = matches!(signal.kind, SignalKind::Dependency | SignalKind::JsImport);
    ids.iter().map(move |&id| {
        let rule = &rules.rules[id];
        let (target, weight) = match &rule.target {
            Target::Framework(f) => {
                let share = if declared {
                    rules.scoring.manifest_weight
                } else {
                    1.0
                };
                (Counts::Framework(f.as_str()), rule.weight * ctx * share)
            }
            Target::Goal(g) => (Counts::Goal(*g, id), rule.weight * ctx),
        };
        (target, round(weight), rule.file.as_str())
    })
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

fn framework_uses<'r>(
    mut all: SmallMap<&'r str, FrameworkTally<'r>>,
    mut folded: SmallMap<&'r str, FrameworkTally<'r>>,
    rules: &'r RuleSet,
) -> Vec<FrameworkUse> {
    let threshold = rules.scoring.framework_threshold;
    // Keras next to TensorFlow is tf.keras: fold it in.
    for def in &rules.frameworks {
        let Some(into) = &def.folds_into else {
            continue;
        };
        let target_used = all
            .get(&into.get_ref().as_str())
            .is_some_and(|t| t.score() >= threshold);
        if target_used && all.remove(&def.id.as_str()).is_some() {
            let merged = folded.remove(&def.id.as_str()).unwrap_or_default();
            all.insert(into.get_ref().as_str(), merged);
        }
    }
    let mut out: Vec<FrameworkUse> = all
        .into_iter()
        .filter(|(_, t)| t.score() >= threshold)
        .map(|(id, t)| FrameworkUse {
            id: id.to_string(),
            score: round(t.score()),
            files: t.files,
            evidence: t.shown.iter().map(Held::evidence).collect(),
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.id.cmp(&b.id)));
    out
}

fn goal_scores(
    goals: BTreeMap<Goal, Vec<Held>>,
    rules: &RuleSet,
    declared: &[Goal],
) -> (Vec<GoalScore>, Vec<GoalScore>) {
    let scale = rules.scoring.scale;
    let mut scored: Vec<GoalScore> = goals
        .into_iter()
        .map(|(goal, mut per_rule)| {
            // Summed in rule order, as the tally keeps them.
            let score = per_rule.iter().map(|e| e.weight).sum::<f64>();
            per_rule.sort_by(Held::shown_order);
            let evidence = per_rule.iter().map(Held::evidence).collect();
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
    use crate::signal::Context;

    /// The definition: the longest root that is a proper ancestor folder.
    fn unit_by_scan<'r>(path: &str, roots: &'r [String]) -> &'r str {
        roots
            .iter()
            .filter(|r| is_inside(path, r))
            .max_by_key(|r| if r.as_str() == "." { 0 } else { r.len() })
            .map_or(".", String::as_str)
    }

    fn import(path: &str, key: &str, line: u32) -> Signal {
        let mut s = Signal::new(SignalKind::Import, key, line, 1).with_context(&[Context::Module]);
        s.path = path.to_string();
        s
    }

    /// Files spread over tallies merged in any order give the analysis of
    /// one tally over all of them: scores, file counts, evidence, folds.
    #[test]
    fn tallies_merge_to_the_same_analysis() {
        let rules = RuleSet::builtin().unwrap();
        let mut files: Vec<Vec<Signal>> = Vec::new();
        for i in 0..40u32 {
            let path = format!("pkg/m{:02}.py", (i * 17) % 40);
            let mut file = vec![import(&path, "os", 1)];
            match i % 5 {
                0 => file.push(import(&path, "torch", 2 + i % 3)),
                1 => file.push(import(&path, "tensorflow", 3)),
                2 => file.push(import(&path, "keras", 1 + i % 4)),
                3 => {
                    file.push(import(&path, "keras.layers", 2));
                    file.push(import(&path, "tensorflow", 2 + i % 2));
                }
                _ => file.push(import(&path, "transformers", 4)),
            }
            file.sort_by(crate::signal::order);
            files.push(file);
        }
        let mut whole = Tally::default();
        for f in &files {
            whole.add_file(f, &rules);
        }
        let whole = format!("{:?}", whole.finish(".", &rules, &[]));
        for split in [1, 7, 20, 39] {
            let (mut a, mut b) = (Tally::default(), Tally::default());
            for f in &files[..split] {
                a.add_file(f, &rules);
            }
            for f in files[split..].iter().rev() {
                b.add_file(f, &rules);
            }
            b.merge(a);
            assert_eq!(
                format!("{:?}", b.finish(".", &rules, &[])),
                whole,
                "split {split}"
            );
        }
        assert!(
            whole.contains("\"tensorflow\"") && whole.contains("files: 24"),
            "{whole}"
        );
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
