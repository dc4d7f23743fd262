//! Compares the frameworks a unit uses with the guidance for its goals, and
//! emits the verdict and the findings.

use crate::infer::{self, Evidence, FrameworkUse, UnitAnalysis};
use crate::ruleset::{Goal, RuleSet, Severity};
use crate::signal::{Signal, SignalKind};
use rustc_hash::FxHashMap as HashMap;
use serde::Serialize;
use std::collections::BTreeSet;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    Aligned,
    Misaligned,
    Mixed,
    Undetermined,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Aligned => "aligned",
            Status::Misaligned => "misaligned",
            Status::Mixed => "mixed",
            Status::Undetermined => "undetermined",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Verdict {
    pub status: Status,
    pub summary: String,
}

/// One finding: a rule, where its strongest evidence is, and why.
#[derive(Clone, Debug, PartialEq, Serialize, serde::Deserialize)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub message: String,
    pub path: String,
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
    pub project: String,
    /// Further evidence (secondary locations).
    pub evidence: Vec<Evidence>,
}

fn framework_name(rules: &RuleSet, id: &str) -> String {
    rules
        .framework(id)
        .map_or_else(|| id.to_string(), |f| f.name.clone())
}

fn names(rules: &RuleSet, uses: &[&FrameworkUse]) -> String {
    let names: Vec<String> = uses.iter().map(|f| framework_name(rules, &f.id)).collect();
    names.join(" and ")
}

/// Guided (PyTorch, TensorFlow) and other frameworks a unit uses, strongest
/// first. A guided framework far weaker than the unit's main framework (below
/// `secondary-share` of its score: an export path, a stray script) is left
/// out, so it cannot make a project look aligned.
fn split_frameworks<'a>(
    unit: &'a UnitAnalysis,
    rules: &RuleSet,
) -> (Vec<&'a FrameworkUse>, Vec<&'a FrameworkUse>) {
    let (guided, other): (Vec<_>, Vec<_>) = unit
        .frameworks
        .iter()
        .partition(|f| rules.framework(&f.id).is_some_and(|d| d.guided));
    // Measured against the project's main framework, guided or not: a few
    // PyTorch test scripts in a Candle repository do not make it a PyTorch one.
    let main = unit.frameworks.first().map_or(0.0, |f| f.score);
    let share = rules.scoring.secondary_share;
    let guided = guided
        .into_iter()
        .filter(|f| f.score >= share * main)
        .collect();
    (guided, other)
}

/// The verdict for a unit, judged on `goals` (the unit's own, or inherited).
pub fn verdict(unit: &UnitAnalysis, goals: Option<&UnitAnalysis>, rules: &RuleSet) -> Verdict {
    let (guided, other) = split_frameworks(unit, rules);
    let undetermined = |summary: String| Verdict {
        status: Status::Undetermined,
        summary,
    };
    if guided.is_empty() && other.is_empty() {
        return undetermined(
            "no ML framework found, so there is no framework choice to judge".into(),
        );
    }
    if guided.is_empty() {
        return undetermined(format!(
            "uses {}, which the guidance (PyTorch vs TensorFlow) does not cover",
            names(rules, &other)
        ));
    }
    let primaries: Vec<Goal> = goals
        .into_iter()
        .flat_map(|g| g.primary_goals())
        .map(|g| g.goal)
        .collect();
    if primaries.is_empty() {
        return undetermined(format!(
            "uses {} but shows too little evidence of its goal; declare one with `--goal`",
            names(rules, &guided)
        ));
    }
    let fits: Vec<(Goal, bool)> = primaries
        .iter()
        .map(|&g| {
            (
                g,
                guided
                    .iter()
                    .any(|f| f.id == *rules.goals[&g].framework.get_ref()),
            )
        })
        .collect();
    let used = names(rules, &guided);
    let status = match fits.iter().filter(|(_, ok)| *ok).count() {
        n if n == fits.len() => Status::Aligned,
        0 => Status::Misaligned,
        _ => Status::Mixed,
    };
    let summary = match status {
        Status::Aligned => {
            let g = &rules.goals[&fits[0].0];
            format!(
                "the guidance recommends {} for {}, and the project uses it: {} ({})",
                framework_name(rules, g.framework.get_ref()),
                goal_titles(rules, &primaries),
                g.rationale,
                g.section
            )
        }
        Status::Misaligned => {
            let g = &rules.goals[&fits[0].0];
            format!(
                "a project for {} uses {used}, but the guidance recommends {}: {} ({})",
                goal_titles(rules, &primaries),
                framework_name(rules, g.framework.get_ref()),
                g.rationale,
                g.section
            )
        }
        _ => {
            let parts: Vec<String> = fits
                .iter()
                .map(|(goal, ok)| {
                    let g = &rules.goals[goal];
                    let rec = framework_name(rules, g.framework.get_ref());
                    format!(
                        "{} calls for {rec} ({})",
                        g.title,
                        if *ok { "used" } else { "not used" }
                    )
                })
                .collect();
            format!(
                "the project's goals pull different ways with {used}: {}",
                parts.join("; ")
            )
        }
    };
    Verdict { status, summary }
}

fn goal_titles(rules: &RuleSet, goals: &[Goal]) -> String {
    let titles: Vec<&str> = goals
        .iter()
        .map(|g| rules.goals[g].title.as_str())
        .collect();
    titles.join(" and ")
}

/// Inputs to the findings of one unit.
pub struct UnitInput<'a> {
    pub unit: &'a UnitAnalysis,
    /// The goals judged: the unit's own, or the nearest enclosing unit's
    /// when it has none; `None` when no enclosing unit shows a goal.
    pub goals: Option<&'a UnitAnalysis>,
    /// The first import of each framework at module level in this unit's
    /// product code, in scan order (FW202).
    pub required: &'a [&'a Signal],
    /// Dependencies this unit declares, in scan order (FW203).
    pub dependencies: &'a [&'a Signal],
    /// Dependencies declared in this unit or an enclosing one.
    pub declared_scope: &'a [&'a Signal],
    /// Whether this unit or an enclosing one has a dependency manifest, and
    /// all of them could be parsed.
    pub readable_manifest: bool,
}

/// The unit's findings but FW203, which waits for the whole tree: see
/// [`unused_dependencies`].
pub fn findings(input: &UnitInput, rules: &RuleSet) -> Vec<Finding> {
    let mut out = Vec::new();
    guidance_findings(input, rules, &mut out);
    mixed_frameworks(input, rules, &mut out);
    undeclared_frameworks(input, rules, &mut out);
    unguided_framework(input, rules, &mut out);
    out
}

pub fn finding(
    rules: &RuleSet,
    code: &str,
    project: &str,
    at: &Evidence,
    message: String,
) -> Finding {
    let doc = rules
        .code(code)
        .expect("finding codes are in rules/codes.toml (tested)");
    Finding {
        code: doc.code.clone(),
        name: doc.name.clone(),
        severity: doc.severity,
        message,
        path: at.path.clone(),
        cell: at.cell,
        line: at.line,
        column: at.column,
        project: project.to_string(),
        evidence: Vec::new(),
    }
}

fn guidance_findings(input: &UnitInput, rules: &RuleSet, out: &mut Vec<Finding>) {
    let (guided, _) = split_frameworks(input.unit, rules);
    let Some(goals) = input.goals else { return };
    let inherited = goals.path != input.unit.path;
    for goal in &goals.goals {
        // Another unit's secondary goals say little about this one.
        if inherited && !goal.primary {
            continue;
        }
        let g = &rules.goals[&goal.goal];
        let rec = g.framework.get_ref();
        if guided.is_empty() || guided.iter().any(|f| &f.id == rec) {
            continue;
        }
        let Some(doc) = rules.code_for_goal(goal.goal) else {
            continue;
        };
        let wrong = guided[0];
        // A primary goal's finding points at the framework; a secondary
        // goal's at what shows that goal, which is the part to look at.
        let at = if goal.primary || inherited {
            wrong.evidence.first()
        } else {
            goal.evidence.first().or(wrong.evidence.first())
        };
        let Some(at) = at else { continue };
        let subject = if goal.primary {
            format!("`{}` project uses", goal.goal)
        } else {
            format!(
                "`{}` is a secondary goal here and the project uses",
                goal.goal
            )
        };
        let message = format!(
            "{subject} {}; the guidance recommends {} for {} ({})",
            framework_name(rules, &wrong.id),
            framework_name(rules, rec),
            g.title,
            g.section
        );
        let mut f = finding(rules, &doc.code, &input.unit.path, at, message);
        if !goal.primary {
            f.severity = Severity::Info;
        }
        f.evidence = goal.evidence.iter().take(3).cloned().collect();
        out.push(f);
    }
}

fn mixed_frameworks(input: &UnitInput, rules: &RuleSet, out: &mut Vec<Finding>) {
    let (guided, _) = split_frameworks(input.unit, rules);
    if guided.len() < 2 {
        return;
    }
    let (main, second) = (guided[0], guided[1]);
    if second.score < rules.scoring.secondary_share * main.score {
        return;
    }
    let Some(at) = second.evidence.first() else {
        return;
    };
    let message = format!(
        "this project uses both {} ({}) and {} ({})",
        framework_name(rules, &main.id),
        files(main.files),
        framework_name(rules, &second.id),
        files(second.files)
    );
    let mut f = finding(rules, "FW201", &input.unit.path, at, message);
    f.evidence = main.evidence.iter().take(1).cloned().collect();
    out.push(f);
}

fn files(n: usize) -> String {
    format!("{n} file{}", if n == 1 { "" } else { "s" })
}

/// Frameworks a signal shows, by the framework rules it matches.
pub fn frameworks_of(signal: &Signal, rules: &RuleSet) -> BTreeSet<String> {
    frameworks_in(&rules.matching(signal), rules)
}

/// The frameworks of the rules `ids` (those a signal matches).
fn frameworks_in(ids: &[usize], rules: &RuleSet) -> BTreeSet<String> {
    framework_names(ids, rules).map(str::to_string).collect()
}

/// The frameworks of the rules `ids`, borrowed, repeats and all.
fn framework_names<'r>(ids: &[usize], rules: &'r RuleSet) -> impl Iterator<Item = &'r str> {
    ids.iter().filter_map(|&i| match &rules.rules[i].target {
        crate::ruleset::Target::Framework(f) => Some(f.as_str()),
        crate::ruleset::Target::Goal(_) => None,
    })
}

pub fn is_import(s: &Signal) -> bool {
    matches!(s.kind, SignalKind::Import | SignalKind::DynamicImport)
}

/// A hard dependency: imported at module level by product code. Imports in
/// functions or `try` blocks are usually optional backends, loaded lazily.
pub fn is_required_import(s: &Signal) -> bool {
    use crate::signal::Context;
    is_import(s)
        && s.context.contains(&Context::Module)
        && !s.context.iter().any(|c| {
            matches!(
                c,
                Context::Try
                    | Context::Test
                    | Context::Example
                    | Context::Dev
                    | Context::TypeChecking
            )
        })
}

fn undeclared_frameworks(input: &UnitInput, rules: &RuleSet, out: &mut Vec<Finding>) {
    if !input.readable_manifest {
        return;
    }
    let declared: BTreeSet<String> = input
        .declared_scope
        .iter()
        .flat_map(|s| frameworks_of(s, rules))
        .collect();
    let mut reported = BTreeSet::new();
    for s in input.required {
        for fw in frameworks_of(s, rules) {
            if declared.contains(&fw)
                || input.unit.uses(&fw).is_none()
                || !reported.insert(fw.clone())
            {
                continue;
            }
            let at = to_evidence(s);
            let message = format!(
                "`{}` is imported but no manifest of this project declares {}",
                s.key.split('.').next().unwrap_or(&s.key),
                framework_name(rules, &fw)
            );
            out.push(finding(rules, "FW202", &input.unit.path, &at, message));
        }
    }
}

/// FW203 for each framework the unit declares, with the framework: the
/// finding stands if nothing in the whole tree imports it, which is known
/// only once every unit is read.
pub fn unused_dependencies(input: &UnitInput, rules: &RuleSet) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    let mut reported = BTreeSet::new();
    for s in input.dependencies {
        let Some((fw, dist)) = framework_package(s, rules) else {
            continue;
        };
        if !reported.insert(dist.clone()) {
            continue;
        }
        let message = format!(
            "`{dist}` is declared but nothing in the tree imports {}",
            fw.name
        );
        let f = finding(rules, "FW203", &input.unit.path, &to_evidence(s), message);
        out.push((fw.id.clone(), f));
    }
    out
}

/// The framework whose distribution a declaration names, with the
/// distribution.
fn framework_package<'r>(
    s: &Signal,
    rules: &'r RuleSet,
) -> Option<(&'r crate::ruleset::FrameworkDef, String)> {
    let dist = rules.packages.canonical_key(&s.key);
    let dist = dist.trim_start_matches("pypi:");
    let fw = rules
        .frameworks
        .iter()
        .find(|f| f.packages.iter().any(|p| p == dist))?;
    Some((fw, dist.to_string()))
}

/// Whether a signal can change a verdict or a finding: it matches a rule, or
/// it is an include (`-r` reads those), or a declaration of a framework's
/// distribution (FW203 reads those, FW202 those a rule matches), or an
/// import that puts a framework to use. Everything else (`import os`) a check
/// can drop as soon as it is found.
pub fn can_use(signal: &Signal, rules: &RuleSet) -> bool {
    Matched::new(signal, rules).can_use(signal, rules)
}

/// What the rules make of one signal, worked out once: the rules it
/// matches and, for an import, the frameworks its distribution is used
/// through.
pub struct Matched {
    pub ids: Vec<usize>,
    /// For an import: the frameworks (indices) its distribution is used
    /// through.
    through: Vec<usize>,
}

impl Matched {
    pub fn new(signal: &Signal, rules: &RuleSet) -> Matched {
        let through = if is_import(signal) {
            let dist = rules.packages.dist_of_import(&signal.key);
            rules.frameworks_used_through(&dist).to_vec()
        } else {
            Vec::new()
        };
        Matched {
            ids: rules.matching(signal),
            through,
        }
    }

    fn can_use(&self, signal: &Signal, rules: &RuleSet) -> bool {
        signal.kind == SignalKind::Include
            || !self.ids.is_empty()
            || (signal.kind == SignalKind::Dependency && framework_package(signal, rules).is_some())
            || !self.through.is_empty()
    }

    /// The frameworks of the rules matched ([`frameworks_of`]).
    pub fn frameworks(&self, rules: &RuleSet) -> BTreeSet<String> {
        frameworks_in(&self.ids, rules)
    }

    /// Adds the frameworks an import puts to use to `names`, copying only
    /// the names it lacks (most imports of a tree name a framework it has
    /// seen): its own framework rules, plus the frameworks whose
    /// `used-through` lists the imported distribution.
    pub fn note_used_through(&self, rules: &RuleSet, names: &mut BTreeSet<String>) {
        for name in self.used_through_names(rules) {
            if !names.contains(name) {
                names.insert(name.to_string());
            }
        }
    }

    /// The frameworks an import puts to use, borrowed, repeats and all.
    fn used_through_names<'r>(&self, rules: &'r RuleSet) -> impl Iterator<Item = &'r str> {
        let through = self
            .through
            .iter()
            .map(|&f| rules.frameworks[f].id.as_str());
        framework_names(&self.ids, rules).chain(through)
    }
}

/// Of one file's signals, what a check needs: every include and declaration
/// it can use,
/// the file's best evidence for each framework and each goal rule (all that
/// `infer` keeps), the first required import of each framework (FW202), and
/// the first import of each framework it puts to use (FW203). In file order.
pub fn essentials(signals: Vec<Signal>, rules: &RuleSet) -> Vec<Signal> {
    let mut signals: Vec<(Signal, Matched)> = signals
        .into_iter()
        // Here, not in Matched::new: the units match the kept signals
        // again, and for those the refusal never holds (measured: 14M more
        // instructions of 1,257M on synth10000 when it sat there).
        .filter(|s| !is_import(s) || rules.may_use_import(&s.key))
        .map(|s| {
            let matched = Matched::new(&s, rules);
            (s, matched)
        })
        .filter(|(s, m)| m.can_use(s, rules))
        .collect();
    signals.sort_by(|a, b| crate::signal::order(&a.0, &b.0));
    let mut keep = vec![false; signals.len()];
    type At = (Option<u32>, u32, u32);
    let mut best: HashMap<infer::Counts, (usize, f64, At)> = HashMap::default();
    // Names borrowed from the rules: a string a framework a signal was an
    // allocation each, for every import a rule uses.
    let mut first: BTreeSet<(bool, &str)> = BTreeSet::new();
    for (i, (s, matched)) in signals.iter().enumerate() {
        if matches!(s.kind, SignalKind::Dependency | SignalKind::Include) {
            keep[i] = true;
        }
        let at = (s.cell, s.line, s.column);
        for (target, weight, _) in infer::weighed_by(s, &matched.ids, rules) {
            let kept = best.get(&target).map(|&(_, w, a)| (w, a));
            if kept.is_none_or(|k| infer::beats(weight, at, k)) {
                best.insert(target, (i, weight, at));
            }
        }
        if is_required_import(s) {
            for fw in framework_names(&matched.ids, rules) {
                keep[i] |= first.insert((true, fw));
            }
        }
        if is_import(s) {
            for fw in matched.used_through_names(rules) {
                keep[i] |= first.insert((false, fw));
            }
        }
    }
    for (i, _, _) in best.into_values() {
        keep[i] = true;
    }
    let mut flags = keep.into_iter();
    signals.retain(|_| flags.next().unwrap_or(false));
    signals.into_iter().map(|(s, _)| s).collect()
}

fn unguided_framework(input: &UnitInput, rules: &RuleSet, out: &mut Vec<Finding>) {
    let (guided, other) = split_frameworks(input.unit, rules);
    if !guided.is_empty() {
        return;
    }
    if let Some(at) = other.first().and_then(|f| f.evidence.first()) {
        let message = format!(
            "this project uses {}, which the PyTorch-vs-TensorFlow guidance does not cover",
            names(rules, &other)
        );
        out.push(finding(rules, "FW205", &input.unit.path, at, message));
    }
}

/// Findings about the whole tree, once: FW204 (no framework at all) and
/// FW206 (a framework but no goal anywhere).
pub fn tree_findings(
    root: &UnitAnalysis,
    first_path: Option<&str>,
    rules: &RuleSet,
) -> Option<Finding> {
    let (guided, _) = split_frameworks(root, rules);
    if root.goals.is_empty()
        && let Some(at) = guided.first().and_then(|f| f.evidence.first())
    {
        let message = format!(
            "no goal could be inferred for this {} project; declare one with `--goal`",
            names(rules, &guided)
        );
        return Some(finding(rules, "FW206", ".", at, message));
    }
    if !root.frameworks.is_empty() {
        return None;
    }
    let at = Evidence::at(first_path.unwrap_or("."), 1);
    Some(finding(
        rules,
        "FW204",
        ".",
        &at,
        "no ML framework (PyTorch, TensorFlow, Keras, JAX, ONNX…) was found in the scanned files"
            .into(),
    ))
}

/// FW207: a declared goal that nothing in the tree shows. `declared_at` is
/// where config goals are written; goals from `--goal` point at `first_path`.
pub fn declared_goal_findings(
    root: &UnitAnalysis,
    declared_at: Option<&(String, usize)>,
    first_path: Option<&str>,
    rules: &RuleSet,
) -> Vec<Finding> {
    let (path, line) = match declared_at {
        Some((p, l)) => (p.as_str(), u32::try_from(*l).unwrap_or(u32::MAX)),
        None => (first_path.unwrap_or("."), 1),
    };
    let at = Evidence::at(path, line);
    root.goals
        .iter()
        .chain(&root.weak_goals)
        .filter(|g| g.declared && g.evidence.is_empty())
        .map(|g| {
            let message = format!(
                "`{}` is declared as a goal, but nothing in the tree shows {}; check the declaration is still true",
                g.goal,
                rules.goals[&g.goal].title
            );
            finding(rules, "FW207", ".", &at, message)
        })
        .collect()
}

fn to_evidence(s: &Signal) -> Evidence {
    Evidence {
        signal: crate::infer::describe(s),
        path: s.path.clone(),
        cell: s.cell,
        line: s.line,
        column: s.column,
        weight: 0.0,
        rule: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::{Matched, is_import};
    use crate::ruleset::RuleSet;
    use crate::signal::{Signal, SignalKind};

    /// Modules near the ones the rules know: each, its parents and
    /// children, other spellings, and `from m import name` forms.
    fn near(module: &str) -> Vec<(String, Vec<String>)> {
        let mut out = Vec::new();
        let mut spellings = vec![
            module.to_string(),
            module.to_uppercase(),
            module.replace('_', "-"),
            module.replace('-', "_"),
            format!("{module}.sub"),
            format!("_{module}"),
        ];
        spellings.extend(module.split('.').next().map(str::to_string));
        if let Some((parent, name)) = module.rsplit_once('.') {
            out.push((parent.to_string(), vec![name.to_string(), "other".into()]));
        }
        out.extend(spellings.into_iter().map(|m| (m, Vec::new())));
        out
    }

    /// `may_use_import` refuses only imports that nothing can use, tried
    /// on every module the rules and packages name and on spellings near
    /// them: with the built-in rules, and with a package no rule imports
    /// whose import name is not its distribution's, which a framework runs
    /// on (only the packages' import names say it is used).
    #[test]
    fn imports_refused_early_are_never_used() {
        let orbax =
            "\n[[package]]\nname = \"orbax-checkpoint\"\nimports = [\"orbax.checkpoint\"]\n";
        let owned: Vec<(&str, String)> = (crate::ruleset::BUILTIN.iter())
            .map(|&(name, text)| match name {
                "packages.toml" => (name, format!("{text}{orbax}")),
                _ => (name, text.to_string()),
            })
            .collect();
        let sources: Vec<(&str, &str)> = owned.iter().map(|(n, t)| (*n, t.as_str())).collect();
        for rules in [RuleSet::builtin(), RuleSet::from_sources(&sources)] {
            refuses_only_unused(&rules.unwrap());
        }
    }

    fn refuses_only_unused(rules: &RuleSet) {
        let listed = rules.packages.import_modules();
        let mut modules: Vec<String> = listed.map(|(m, _)| m.to_string()).collect();
        modules.extend(rules.rules.iter().map(|r| r.pattern.clone()));
        modules.extend(rules.frameworks.iter().flat_map(|f| f.used_through.clone()));
        modules.extend(["os", "Torch", "mycorp_payments", "", "a.b.c"].map(String::from));
        let (mut refused, mut used) = (0, 0);
        for module in &modules {
            for (key, names) in near(module) {
                for kind in [SignalKind::Import, SignalKind::DynamicImport] {
                    let mut signal = Signal::new(kind, key.clone(), 1, 1);
                    signal.names = names.clone();
                    assert!(is_import(&signal));
                    let can_use = Matched::new(&signal, rules).can_use(&signal, rules);
                    if !rules.may_use_import(&key) {
                        assert!(!can_use, "{key} {names:?} refused, but a rule uses it");
                        refused += 1;
                    }
                    used += usize::from(can_use);
                }
            }
        }
        // Both sides were tried.
        assert!(
            refused > 100 && used > 100,
            "refused {refused}, used {used}"
        );
    }
}
