//! Loads the TOML data in `rules/` and compiles it once into fast lookups:
//! hash maps for exact keys and import prefixes, one `GlobSet` for path rules,
//! one Aho-Corasick automaton for keywords.

mod model;
mod packages;

pub use model::{CodeDoc, FrameworkDef, Goal, GoalGuidance, RuleKind, Scoring, Severity};
pub use packages::{Packages, normalize_dist};

use crate::signal::{Context, Signal, SignalKind};
use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use model::{CodesFile, ContextsFile, FrameworksFile, GuidanceFile, PackagesFile, SignalsFile};
use rustc_hash::FxHashMap as HashMap;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// The rule files built into the binary, by their path under `rules/`.
pub const BUILTIN: &[(&str, &str)] = &[
    ("guidance.toml", include_str!("../../rules/guidance.toml")),
    (
        "frameworks.toml",
        include_str!("../../rules/frameworks.toml"),
    ),
    ("packages.toml", include_str!("../../rules/packages.toml")),
    ("contexts.toml", include_str!("../../rules/contexts.toml")),
    ("codes.toml", include_str!("../../rules/codes.toml")),
    (
        "signals/artifacts.toml",
        include_str!("../../rules/signals/artifacts.toml"),
    ),
    (
        "signals/browser.toml",
        include_str!("../../rules/signals/browser.toml"),
    ),
    (
        "signals/cloud.toml",
        include_str!("../../rules/signals/cloud.toml"),
    ),
    (
        "signals/deployment.toml",
        include_str!("../../rules/signals/deployment.toml"),
    ),
    (
        "signals/embedded.toml",
        include_str!("../../rules/signals/embedded.toml"),
    ),
    (
        "signals/frameworks.toml",
        include_str!("../../rules/signals/frameworks.toml"),
    ),
    (
        "signals/learning.toml",
        include_str!("../../rules/signals/learning.toml"),
    ),
    (
        "signals/llm.toml",
        include_str!("../../rules/signals/llm.toml"),
    ),
    (
        "signals/mobile.toml",
        include_str!("../../rules/signals/mobile.toml"),
    ),
    (
        "signals/pipelines.toml",
        include_str!("../../rules/signals/pipelines.toml"),
    ),
    (
        "signals/prototyping.toml",
        include_str!("../../rules/signals/prototyping.toml"),
    ),
    (
        "signals/research.toml",
        include_str!("../../rules/signals/research.toml"),
    ),
    (
        "signals/rust.toml",
        include_str!("../../rules/signals/rust.toml"),
    ),
];

/// A rule file that does not load: which file, where, and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct RulesError {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for RulesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{}: {}", self.file, line, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for RulesError {}

/// What a signal rule adds to when it matches.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    Framework(String),
    Goal(Goal),
}

/// One compiled signal rule.
#[derive(Clone, Debug)]
pub struct SignalRule {
    pub kind: RuleKind,
    pub pattern: String,
    pub target: Target,
    pub weight: f64,
    pub example: String,
    /// The rule file it came from, for `explain`.
    pub file: String,
}

/// The name prefix of user rule packs among the sources.
const PACK: &str = "pack:";

/// How a rule's file is shown: `rules/signals/x.toml` for built-in packs,
/// the path as configured for a user's.
fn rule_file(source: &str) -> String {
    match source.strip_prefix(PACK) {
        Some(path) => path.to_string(),
        None => format!("rules/{source}"),
    }
}

/// `a` of `a.b.c`.
fn top_module(module: &str) -> &str {
    &module[..prefix_ends(module).next().unwrap_or(module.len())]
}

/// The lengths of a dotted name's prefixes, shortest first: 1 and 3 and 5
/// for `a.b.c`. A loop over the bytes: names are short, and a scan asks
/// this of every import, where `split` cost a searcher each.
fn prefix_ends(module: &str) -> impl Iterator<Item = usize> + '_ {
    let dots = module.bytes().enumerate().filter(|&(_, b)| b == b'.');
    dots.map(|(i, _)| i).chain([module.len()])
}

/// Everything fwlint knows, compiled for lookups.
pub struct RuleSet {
    pub scoring: Scoring,
    pub goals: BTreeMap<Goal, GoalGuidance>,
    pub frameworks: Vec<FrameworkDef>,
    pub codes: Vec<CodeDoc>,
    pub rules: Vec<SignalRule>,
    pub packages: Packages,
    by_import: HashMap<String, Vec<usize>>,
    /// Modules `m` of the `by_import` keys `m.name`: only `from m import
    /// name` can name one of those, so only then are names looked up.
    import_parents: rustc_hash::FxHashSet<String>,
    /// Distribution → the frameworks (indices) listing it as `used-through`.
    run_on: HashMap<String, Vec<usize>>,
    /// The first modules of the `by_import` keys and of the packages'
    /// import modules whose distribution is in `run_on`: an import of any
    /// other module matches no rule, and its distribution runs on no
    /// framework unless its own name's does ([`RuleSet::may_use_import`]).
    import_tops: rustc_hash::FxHashSet<String>,
    by_key: HashMap<(SignalKind, String), Vec<usize>>,
    uri_rules: Vec<usize>,
    /// Dependency and image rules whose pattern ends in `*`: (kind, prefix, rule).
    prefix_rules: Vec<(SignalKind, String, usize)>,
    paths: GlobSet,
    path_rules: Vec<usize>,
    keywords: AhoCorasick,
    keyword_words: Vec<String>,
    contexts: Vec<(Context, GlobSet)>,
}

impl fmt::Debug for RuleSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RuleSet")
            .field("rules", &self.rules.len())
            .finish_non_exhaustive()
    }
}

fn parse<T: serde::de::DeserializeOwned>(file: &str, text: &str) -> Result<T, RulesError> {
    toml::from_str(text).map_err(|e| RulesError {
        file: file.to_string(),
        line: e.span().map(|s| line_of(text, s.start)),
        message: e.message().to_string(),
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

fn error_at(file: &str, text: &str, offset: usize, message: String) -> RulesError {
    RulesError {
        file: file.to_string(),
        line: Some(line_of(text, offset)),
        message,
    }
}

/// Folds are one step, one framework per target: a unit's score is summed
/// as files are read, keeping for each folding framework its sum merged
/// with its target's, which a chain or a shared target would not give.
fn check_folds(frameworks: &[FrameworkDef], text: &str) -> Result<(), RulesError> {
    let mut targets = BTreeSet::new();
    for f in frameworks {
        let Some(into) = &f.folds_into else { continue };
        let target = into.get_ref();
        let chained = frameworks
            .iter()
            .any(|g| &g.id == target && g.folds_into.is_some());
        let problem = if chained {
            format!(
                "`{target}` folds into another framework itself; fold `{}` into that one",
                f.id
            )
        } else if !targets.insert(target) {
            format!("another framework already folds into `{target}`; only one may")
        } else {
            continue;
        };
        return Err(error_at(
            "frameworks.toml",
            text,
            into.span().start,
            problem,
        ));
    }
    Ok(())
}

impl RuleSet {
    /// The rules built into the binary.
    pub fn builtin() -> Result<RuleSet, RulesError> {
        RuleSet::from_sources(BUILTIN)
    }

    /// The built-in rules plus signal rule packs given as `(path, text)`.
    pub fn with_packs(packs: &[(&str, &str)]) -> Result<RuleSet, RulesError> {
        let named: Vec<String> = packs.iter().map(|(n, _)| format!("{PACK}{n}")).collect();
        let mut sources = BUILTIN.to_vec();
        sources.extend(named.iter().zip(packs).map(|(n, (_, t))| (n.as_str(), *t)));
        RuleSet::from_sources(&sources)
    }

    /// Loads rules from `(path under rules/, text)` pairs; `signals/*.toml`
    /// files, and user packs named `pack:PATH`, are signal rule packs.
    pub fn from_sources(sources: &[(&str, &str)]) -> Result<RuleSet, RulesError> {
        let find = |name: &str| {
            sources
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, t)| *t)
                .ok_or_else(|| RulesError {
                    file: name.to_string(),
                    line: None,
                    message: "missing rule file".into(),
                })
        };
        let guidance_text = find("guidance.toml")?;
        let guidance: GuidanceFile = parse("guidance.toml", guidance_text)?;
        let frameworks_text = find("frameworks.toml")?;
        let frameworks: FrameworksFile = parse("frameworks.toml", frameworks_text)?;
        let packages: PackagesFile = parse("packages.toml", find("packages.toml")?)?;
        let contexts: ContextsFile = parse("contexts.toml", find("contexts.toml")?)?;
        let codes: CodesFile = parse("codes.toml", find("codes.toml")?)?;

        let known = |id: &str| frameworks.frameworks.iter().any(|f| f.id == id);
        for f in &frameworks.frameworks {
            if let Some(into) = &f.folds_into
                && !known(into.get_ref())
            {
                return Err(error_at(
                    "frameworks.toml",
                    frameworks_text,
                    into.span().start,
                    format!("unknown framework `{}` in `folds-into`", into.get_ref()),
                ));
            }
        }
        check_folds(&frameworks.frameworks, frameworks_text)?;
        let mut goals = BTreeMap::new();
        for g in guidance.goals {
            if !known(g.framework.get_ref()) {
                return Err(error_at(
                    "guidance.toml",
                    guidance_text,
                    g.framework.span().start,
                    format!("unknown framework `{}`", g.framework.get_ref()),
                ));
            }
            goals.insert(g.id, g);
        }
        if let Some(missing) = Goal::ALL.iter().find(|g| !goals.contains_key(g)) {
            return Err(RulesError {
                file: "guidance.toml".into(),
                line: None,
                message: format!("no guidance for goal `{missing}`"),
            });
        }
        for key in guidance.scoring.context.keys() {
            if context_from_id(key).is_none() {
                return Err(RulesError {
                    file: "guidance.toml".into(),
                    line: None,
                    message: format!("unknown context `{key}` in [scoring.context]"),
                });
            }
        }

        let packages = Packages::new(packages.packages);
        let mut rules = Vec::new();
        for (source, text) in sources
            .iter()
            .filter(|(n, _)| n.starts_with("signals/") || n.starts_with(PACK))
        {
            // Errors name the file as given: `signals/x.toml` or the pack's path.
            let name = source.strip_prefix(PACK).unwrap_or(source);
            let file: SignalsFile = parse(name, text)?;
            for def in file.signals {
                let target = match (def.goal, def.framework) {
                    (Some(goal), None) => Target::Goal(goal),
                    (None, Some(fw)) if known(fw.get_ref()) => Target::Framework(fw.into_inner()),
                    (None, Some(fw)) => {
                        return Err(error_at(
                            name,
                            text,
                            fw.span().start,
                            format!("unknown framework `{}`", fw.get_ref()),
                        ));
                    }
                    _ => {
                        return Err(RulesError {
                            file: name.to_string(),
                            line: find_line(text, &def.pattern),
                            message: format!(
                                "signal `{}` needs exactly one of `goal` or `framework`",
                                def.pattern
                            ),
                        });
                    }
                };
                if !(def.weight > 0.0 && def.weight.is_finite()) {
                    return Err(RulesError {
                        file: name.to_string(),
                        line: find_line(text, &def.pattern),
                        message: format!("signal `{}` needs a positive weight", def.pattern),
                    });
                }
                rules.push(SignalRule {
                    kind: def.kind,
                    pattern: def.pattern,
                    target,
                    weight: def.weight,
                    example: def.example,
                    file: rule_file(source),
                });
            }
        }
        let contexts = compile_contexts(contexts)?;
        let compiler = Compiler {
            paths: GlobSetBuilder::new(),
            words: Vec::new(),
        };
        compiler.finish(
            RuleSet {
                scoring: guidance.scoring,
                goals,
                frameworks: frameworks.frameworks,
                codes: codes.rules,
                rules,
                packages,
                by_import: HashMap::default(),
                import_parents: Default::default(),
                run_on: HashMap::default(),
                import_tops: Default::default(),
                by_key: HashMap::default(),
                uri_rules: Vec::new(),
                prefix_rules: Vec::new(),
                paths: GlobSet::empty(),
                path_rules: Vec::new(),
                keywords: AhoCorasick::new(Vec::<String>::new()).expect("empty automaton"),
                keyword_words: Vec::new(),
                contexts,
            },
            sources,
        )
    }

    /// The frameworks (indices into `frameworks`) a distribution runs on,
    /// as their `used-through` lists say.
    pub fn frameworks_used_through(&self, dist: &str) -> &[usize] {
        self.run_on.get(dist).map_or(&[], Vec::as_slice)
    }

    /// Whether an import of `module` may match a rule or put a framework
    /// to use; when not, [`judge::Matched`](crate::judge::Matched) finds
    /// nothing for it. Most of a scan's imports (`os`, the project's own
    /// modules) are refused here by a lookup or two, without the matching.
    pub fn may_use_import(&self, module: &str) -> bool {
        let top = top_module(module);
        self.import_tops.contains(top) || packages::normalizes_into(top, &self.run_on)
    }

    /// Rules whose pattern matches this signal.
    pub fn matching(&self, signal: &Signal) -> Vec<usize> {
        let mut out = Vec::new();
        match signal.kind {
            SignalKind::Import | SignalKind::DynamicImport => {
                let key = &signal.key;
                for i in prefix_ends(key) {
                    if let Some(ids) = self.by_import.get(&key[..i]) {
                        out.extend_from_slice(ids);
                    }
                }
                // `from google.cloud import aiplatform` imports google.cloud.aiplatform.
                if !signal.names.is_empty() && self.import_parents.contains(key.as_str()) {
                    let mut joined = String::new();
                    for name in &signal.names {
                        joined.clear();
                        joined.push_str(key);
                        joined.push('.');
                        joined.push_str(name);
                        if let Some(ids) = self.by_import.get(joined.as_str()) {
                            out.extend_from_slice(ids);
                        }
                    }
                }
            }
            SignalKind::Dependency
            | SignalKind::Image
            | SignalKind::JsImport
            | SignalKind::ConfigKey => {
                // A JS import names an npm package, as a dependency does.
                let kind = match signal.kind {
                    SignalKind::JsImport => SignalKind::Dependency,
                    k => k,
                };
                let key = self.packages.canonical_key(&signal.key);
                if let Some(ids) = self.by_key.get(&(kind, key.clone())) {
                    out.extend_from_slice(ids);
                }
                out.extend(
                    self.prefix_rules
                        .iter()
                        .filter(|(k, prefix, _)| *k == kind && key.starts_with(prefix.as_str()))
                        .map(|(_, _, i)| *i),
                );
            }
            SignalKind::Uri => out.extend(
                self.uri_rules
                    .iter()
                    .copied()
                    .filter(|&i| signal.key.starts_with(&self.rules[i].pattern)),
            ),
            SignalKind::Path => out.extend(
                self.paths
                    .matches(&signal.key)
                    .into_iter()
                    .map(|i| self.path_rules[i]),
            ),
            SignalKind::Include => {}
            kind => {
                if let Some(ids) = self.by_key.get(&(kind, signal.key.clone())) {
                    out.extend_from_slice(ids);
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The keyword automaton (lowercase patterns) and its words.
    pub fn keywords(&self) -> (&AhoCorasick, &[String]) {
        (&self.keywords, &self.keyword_words)
    }

    /// URI prefixes worth reporting from string literals.
    pub fn uri_prefixes(&self) -> impl Iterator<Item = &str> {
        self.uri_rules
            .iter()
            .map(|&i| self.rules[i].pattern.as_str())
    }

    /// True when some path rule matches this relative path.
    pub fn path_matches(&self, path: &str) -> bool {
        self.paths.is_match(path)
    }

    /// Contexts a file gets from its path (tests, examples).
    pub fn path_contexts(&self, path: &str) -> Vec<Context> {
        self.contexts
            .iter()
            .filter(|(_, set)| set.is_match(path))
            .map(|(c, _)| *c)
            .collect()
    }

    pub fn framework(&self, id: &str) -> Option<&FrameworkDef> {
        self.frameworks.iter().find(|f| f.id == id)
    }

    pub fn code(&self, code: &str) -> Option<&CodeDoc> {
        self.codes
            .iter()
            .find(|c| c.code.eq_ignore_ascii_case(code))
    }

    pub fn code_for_goal(&self, goal: Goal) -> Option<&CodeDoc> {
        self.codes.iter().find(|c| c.goal == Some(goal))
    }

    /// The multiplier for a signal's contexts: the smallest applies.
    pub fn context_weight(&self, contexts: &[Context]) -> f64 {
        contexts
            .iter()
            .filter_map(|c| self.scoring.context.get(c.as_str()))
            .fold(1.0_f64, |acc, &w| acc.min(w))
    }
}

pub fn context_from_id(id: &str) -> Option<Context> {
    [
        Context::Module,
        Context::Class,
        Context::Function,
        Context::Try,
        Context::TypeChecking,
        Context::Test,
        Context::Example,
        Context::Dev,
        Context::Optional,
    ]
    .into_iter()
    .find(|c| c.as_str() == id)
}

fn find_line(text: &str, needle: &str) -> Option<usize> {
    text.find(&format!("\"{needle}\""))
        .map(|o| line_of(text, o))
}

fn glob(pattern: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(pattern)
        .case_insensitive(true)
        .literal_separator(true)
        .build()
}

fn compile_contexts(file: ContextsFile) -> Result<Vec<(Context, GlobSet)>, RulesError> {
    let err = |message: String| RulesError {
        file: "contexts.toml".into(),
        line: None,
        message,
    };
    let mut out = Vec::new();
    for def in file.contexts {
        let context =
            context_from_id(&def.id).ok_or_else(|| err(format!("unknown context `{}`", def.id)))?;
        let mut set = GlobSetBuilder::new();
        for g in &def.globs {
            set.add(glob(g).map_err(|e| err(e.to_string()))?);
        }
        out.push((context, set.build().map_err(|e| err(e.to_string()))?));
    }
    Ok(out)
}

/// Builds the lookup tables from the rule list.
struct Compiler {
    paths: GlobSetBuilder,
    words: Vec<String>,
}

impl Compiler {
    fn finish(mut self, mut set: RuleSet, sources: &[(&str, &str)]) -> Result<RuleSet, RulesError> {
        // Named once: a name per rule and source was most of the formatting.
        let files: Vec<String> = sources.iter().map(|(n, _)| rule_file(n)).collect();
        for (i, rule) in set.rules.iter().enumerate() {
            let source = sources
                .iter()
                .zip(&files)
                .find(|(_, file)| **file == rule.file)
                .map(|(source, _)| source);
            let bad = |message: String| RulesError {
                file: source.map_or_else(String::new, |(n, _)| {
                    n.strip_prefix(PACK).unwrap_or(n).to_string()
                }),
                line: source.and_then(|(_, t)| find_line(t, &rule.pattern)),
                message,
            };
            match rule.kind {
                RuleKind::PythonPackage => {
                    let dist = set.packages.canonical(&rule.pattern);
                    for module in set.packages.imports_of(&dist) {
                        set.by_import.entry(module).or_default().push(i);
                    }
                    let key = (SignalKind::Dependency, format!("pypi:{dist}"));
                    set.by_key.entry(key).or_default().push(i);
                }
                RuleKind::Import => set
                    .by_import
                    .entry(rule.pattern.clone())
                    .or_default()
                    .push(i),
                RuleKind::Dependency | RuleKind::Image | RuleKind::ConfigKey => {
                    let kind = match rule.kind {
                        RuleKind::Image => SignalKind::Image,
                        RuleKind::ConfigKey => SignalKind::ConfigKey,
                        _ => SignalKind::Dependency,
                    };
                    match rule.pattern.strip_suffix('*') {
                        Some(prefix) => set.prefix_rules.push((kind, prefix.to_string(), i)),
                        None => {
                            let key = set.packages.canonical_key(&rule.pattern);
                            set.by_key.entry((kind, key)).or_default().push(i);
                        }
                    }
                }
                RuleKind::Env | RuleKind::Layout => {
                    let kind = if rule.kind == RuleKind::Env {
                        SignalKind::Env
                    } else {
                        SignalKind::Layout
                    };
                    set.by_key
                        .entry((kind, rule.pattern.clone()))
                        .or_default()
                        .push(i);
                }
                RuleKind::Keyword => {
                    let word = rule.pattern.to_lowercase();
                    if !self.words.contains(&word) {
                        self.words.push(word.clone());
                    }
                    set.by_key
                        .entry((SignalKind::Keyword, word))
                        .or_default()
                        .push(i);
                }
                RuleKind::Uri => set.uri_rules.push(i),
                RuleKind::Path => {
                    self.paths
                        .add(glob(&rule.pattern).map_err(|e| bad(e.to_string()))?);
                    set.path_rules.push(i);
                }
            }
        }
        set.paths = self.paths.build().map_err(|e| RulesError {
            file: "signals".into(),
            line: None,
            message: e.to_string(),
        })?;
        // Lowercase words, searched in lowercased text (`readme::extract`).
        set.keywords = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&self.words)
            .map_err(|e| RulesError {
                file: "signals".into(),
                line: None,
                message: e.to_string(),
            })?;
        set.keyword_words = self.words;
        set.import_parents = set
            .by_import
            .keys()
            .filter_map(|k| k.rsplit_once('.').map(|(parent, _)| parent.to_string()))
            .collect();
        for (i, f) in set.frameworks.iter().enumerate() {
            for dist in &f.used_through {
                set.run_on.entry(dist.clone()).or_default().push(i);
            }
        }
        let run_on = &set.run_on;
        let modules = set.packages.import_modules();
        let running = modules.filter(|(_, dist)| run_on.contains_key(*dist));
        set.import_tops = (set.by_import.keys().map(String::as_str))
            .chain(running.map(|(module, _)| module))
            .map(|m| top_module(m).to_string())
            .collect();
        Ok(set)
    }
}
