//! The shape of the TOML files in `rules/`, as written. Every struct denies
//! unknown fields so a typo fails with the file, line and column.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// The ten goals of ARCHITECTURE.md. Unknown ids are rejected by serde when
/// the rule files are parsed, with the file and line in the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Goal {
    Learning,
    Research,
    Llm,
    Prototyping,
    EnterpriseDeployment,
    Mobile,
    Embedded,
    Browser,
    MlPipelines,
    GoogleCloud,
}

impl Goal {
    pub const ALL: [Goal; 10] = [
        Goal::Learning,
        Goal::Research,
        Goal::Llm,
        Goal::Prototyping,
        Goal::EnterpriseDeployment,
        Goal::Mobile,
        Goal::Embedded,
        Goal::Browser,
        Goal::MlPipelines,
        Goal::GoogleCloud,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Goal::Learning => "learning",
            Goal::Research => "research",
            Goal::Llm => "llm",
            Goal::Prototyping => "prototyping",
            Goal::EnterpriseDeployment => "enterprise-deployment",
            Goal::Mobile => "mobile",
            Goal::Embedded => "embedded",
            Goal::Browser => "browser",
            Goal::MlPipelines => "ml-pipelines",
            Goal::GoogleCloud => "google-cloud",
        }
    }

    pub fn parse(id: &str) -> Option<Goal> {
        Goal::ALL.into_iter().find(|g| g.as_str() == id)
    }
}

impl fmt::Display for Goal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GuidanceFile {
    pub scoring: Scoring,
    #[serde(rename = "goal")]
    pub goals: Vec<GoalGuidance>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scoring {
    pub scale: f64,
    pub threshold: f64,
    pub primary_share: f64,
    pub manifest_weight: f64,
    pub framework_threshold: f64,
    pub secondary_share: f64,
    /// Context id → multiplier; ids are checked against the known contexts.
    pub context: BTreeMap<String, f64>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct GoalGuidance {
    pub id: Goal,
    pub title: String,
    pub framework: toml::Spanned<String>,
    pub section: String,
    pub rationale: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FrameworksFile {
    #[serde(rename = "framework")]
    pub frameworks: Vec<FrameworkDef>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FrameworkDef {
    pub id: String,
    pub name: String,
    pub guided: bool,
    #[serde(default)]
    pub folds_into: Option<toml::Spanned<String>>,
    pub packages: Vec<String>,
    /// Distributions that run on this framework: importing one counts as
    /// using it (an app that only imports `transformers` still needs torch).
    #[serde(default)]
    pub used_through: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackagesFile {
    #[serde(rename = "package")]
    pub packages: Vec<PackageDef>,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PackageDef {
    pub name: String,
    pub imports: Vec<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    #[serde(default)]
    pub conda: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextsFile {
    #[serde(rename = "context")]
    pub contexts: Vec<ContextDef>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContextDef {
    pub id: String,
    pub globs: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalsFile {
    #[serde(rename = "signal")]
    pub signals: Vec<SignalRuleDef>,
}

/// The kinds a signal rule can match. `python-package` expands to the
/// package's import names and its `pypi:` dependency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RuleKind {
    PythonPackage,
    Import,
    Dependency,
    Image,
    ConfigKey,
    Env,
    Uri,
    Keyword,
    Path,
    Layout,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignalRuleDef {
    pub kind: RuleKind,
    #[serde(rename = "match")]
    pub pattern: String,
    #[serde(default)]
    pub goal: Option<Goal>,
    #[serde(default)]
    pub framework: Option<toml::Spanned<String>>,
    pub weight: f64,
    pub example: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodesFile {
    #[serde(rename = "rule")]
    pub rules: Vec<CodeDoc>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn parse(s: &str) -> Option<Severity> {
        [Severity::Info, Severity::Warning, Severity::Error]
            .into_iter()
            .find(|v| v.as_str() == s)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A finding rule's code, name, default severity and documentation.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CodeDoc {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// The guidance goal this rule enforces, for FW1xx rules.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub goal: Option<Goal>,
    pub summary: String,
    pub what_it_does: String,
    pub why: String,
    pub example: String,
    pub use_instead: String,
}
