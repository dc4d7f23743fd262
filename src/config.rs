//! Configuration: `fwlint.toml`, `.fwlint.toml` or `[tool.fwlint]` in
//! `pyproject.toml`, found from the scanned path upward (nearest wins), or
//! given with `--config`. Unknown keys, wrong types and bad values are errors
//! naming the file, line and column.

use crate::Error;
use crate::findings::Findings;
use crate::judge::Finding;
use crate::ruleset::{Goal, RuleSet, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// `--fail-on` / `fail-on`: the lowest severity that makes the exit code 1.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FailOn {
    Info,
    Warning,
    Error,
    Never,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Info => Some(Severity::Info),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Error => Some(Severity::Error),
            FailOn::Never => None,
        }
    }
}

/// What `fwlint init` writes: every key, commented out, with its meaning.
pub const STARTER: &str = r#"# fwlint configuration. fwlint reads the nearest fwlint.toml, .fwlint.toml or
# [tool.fwlint] table of pyproject.toml at or above the folder it scans.

# What the project is for; declared goals are trusted as the primary goals.
# One or more of: learning, research, llm, prototyping, enterprise-deployment,
# mobile, embedded, browser, ml-pipelines, google-cloud.
# goals = ["research"]

# Exit 1 when a finding is at or above: info, warning (default), error, never.
# fail-on = "warning"

# Rule codes or code prefixes to report (all when empty), to add to that
# selection, and to leave out.
# select = ["FW1", "FW2"]
# extend-select = ["FW006"]
# ignore = ["FW203"]

# Files to leave out, as globs relative to the scanned folder.
# exclude = ["third_party/**"]

# Extra signal rule packs, relative to this file (format: rules/signals/*.toml).
# rules = ["fwlint-rules/acme.toml"]

# Per-rule severity overrides: info, warning or error.
# [severity]
# FW201 = "warning"

# Your organisation's own guidance instead of the article's: the framework
# each goal should use (`default` for every goal not named).
# [guidance]
# default = "pytorch"
# mobile = "tensorflow"
# reason = "PyTorch everywhere; on-device inference uses TFLite"

# Findings accepted on purpose. `reason` is required; after `expires` the
# exception stops hiding anything and is reported itself (FW006).
# [[exception]]
# code = "FW104"
# path = "apps/android/**"
# reason = "migrating the Android app to TFLite"
# expires = 2027-06-30
"#;

#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Config {
    /// Goals the project is for, trusted as declared.
    #[serde(default)]
    pub goals: Vec<Goal>,
    pub fail_on: Option<FailOn>,
    /// Rule codes or code prefixes to report (`["FW1"]`); all when empty.
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule codes or prefixes never to report.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Globs (relative to the scanned folder) of files to leave out.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Codes or prefixes added to `select` (and to `--select`).
    #[serde(default)]
    pub extend_select: Vec<String>,
    /// Severity overrides per rule code: `FW201 = "warning"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Extra signal rule packs (TOML files like `rules/signals/*.toml`),
    /// relative to the config file.
    #[serde(default)]
    pub rules: Vec<PathBuf>,
    /// The organisation's own guidance: `mobile = "tensorflow"`,
    /// `default = "pytorch"`, `reason = "…"`.
    #[serde(default)]
    pub guidance: BTreeMap<String, Spanned<String>>,
    /// Findings accepted on purpose, each with a reason and maybe an expiry.
    #[serde(default, rename = "exception")]
    pub exceptions: Vec<Exception>,
    /// Where the config came from (not a key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
    /// The text the keys were parsed from and its first line in the file,
    /// to turn spans into line numbers (not a key).
    #[serde(skip)]
    parsed: (String, usize),
}

/// `[[exception]]`: findings matching `code`, `path` and `project` are not
/// reported until `expires`; an expired exception is itself a finding.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exception {
    /// A rule code or prefix (`FW104`, `FW1`).
    pub code: Option<String>,
    /// A glob over the finding's path (`apps/android/**`).
    pub path: Option<String>,
    /// The project unit (`.` for the root, else its folder).
    pub project: Option<String>,
    /// Why the departure is accepted; required.
    pub reason: Spanned<String>,
    /// `2027-06-30`, as a TOML date or a string.
    pub expires: Option<Spanned<DateValue>>,
    /// Where the table starts (not a key).
    #[serde(skip)]
    line: usize,
}

impl Exception {
    fn covers(&self, f: &Finding, glob: Option<&globset::GlobMatcher>) -> bool {
        self.code
            .as_ref()
            .is_none_or(|c| f.code.starts_with(c.as_str()))
            && glob.is_none_or(|g| g.is_match(&f.path))
            && self.project.as_ref().is_none_or(|p| *p == f.project)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum DateValue {
    Date(toml::value::Datetime),
    Text(String),
}

/// A calendar day, comparable.
pub type Day = (i64, u32, u32);

/// Today's date (UTC) from the system clock.
pub fn today() -> Day {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    civil_from_days(i64::try_from(secs / 86_400).unwrap_or(0))
}

/// Days since 1970-01-01 to a (year, month, day), by Howard Hinnant's
/// `civil_from_days`.
fn civil_from_days(z: i64) -> Day {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = u32::try_from(doy - (153 * mp + 2) / 5 + 1).unwrap_or(1);
    let m = u32::try_from(if mp < 10 { mp + 3 } else { mp - 9 }).unwrap_or(1);
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

fn parse_day(text: &str) -> Option<Day> {
    let mut parts = text.splitn(3, '-');
    let y = parts.next()?.parse().ok()?;
    let m = parts.next()?.parse().ok()?;
    let d = parts.next()?.parse().ok()?;
    ((1..=12).contains(&m) && (1..=31).contains(&d)).then_some((y, m, d))
}

impl DateValue {
    fn day(&self) -> Option<Day> {
        match self {
            DateValue::Date(dt) if dt.time.is_none() => {
                let d = dt.date?;
                Some((i64::from(d.year), u32::from(d.month), u32::from(d.day)))
            }
            DateValue::Date(_) => None,
            DateValue::Text(t) => parse_day(t),
        }
    }
}

#[derive(Deserialize)]
struct Pyproject {
    tool: Option<Tool>,
}

#[derive(Deserialize)]
struct Tool {
    fwlint: Option<toml::Value>,
}

fn error(path: &Path, text: &str, e: &toml::de::Error) -> Error {
    let message = match e.span() {
        Some(span) => {
            let before = &text[..span.start.min(text.len())];
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {}", e.message())
        }
        None => e.message().to_string(),
    };
    Error::Config {
        path: path.to_path_buf(),
        message,
    }
}

impl Config {
    /// Reads a config file: `pyproject.toml` is read for its `[tool.fwlint]`.
    pub fn load(path: &Path) -> Result<Config, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
            let doc: Pyproject = toml::from_str(&text).map_err(|e| error(path, &text, &e))?;
            match doc.tool.and_then(|t| t.fwlint) {
                // Re-read the table from its own text so errors keep their lines.
                Some(_) => {
                    let start = text.find("[tool.fwlint]").unwrap_or(0);
                    let body = &text[start..];
                    let end = body[1..].find("\n[").map_or(body.len(), |i| i + 1);
                    let table = &body[..end].replacen("[tool.fwlint]", "", 1);
                    let offset = text[..start].matches('\n').count();
                    let mut config: Config = toml::from_str(table).map_err(|e| {
                        let padded = format!("{}{table}", "\n".repeat(offset));
                        error(path, &padded, &e)
                    })?;
                    config.parsed = (table.clone(), offset);
                    config
                }
                None => Config::default(),
            }
        } else {
            let mut config: Config = toml::from_str(&text).map_err(|e| error(path, &text, &e))?;
            config.parsed = (text, 0);
            config
        };
        config.source = Some(path.to_path_buf());
        config.validate()?;
        Ok(config)
    }

    /// The line in the config file of a byte offset into the parsed text.
    fn line_at(&self, offset: usize) -> usize {
        let text = &self.parsed.0;
        self.parsed.1 + text[..offset.min(text.len())].matches('\n').count() + 1
    }

    fn error_at(&self, offset: usize, message: String) -> Error {
        Error::Config {
            path: self.source.clone().unwrap_or_default(),
            message: format!("line {}: {message}", self.line_at(offset)),
        }
    }

    fn error(&self, message: String) -> Error {
        Error::Config {
            path: self.source.clone().unwrap_or_default(),
            message,
        }
    }

    /// Checks what serde cannot: guidance keys, exception dates and scopes.
    fn validate(&mut self) -> Result<(), Error> {
        for (key, value) in &self.guidance {
            if !matches!(key.as_str(), "default" | "reason") && Goal::parse(key).is_none() {
                let ids: Vec<&str> = Goal::ALL.iter().map(|g| g.as_str()).collect();
                return Err(self.error_at(
                    value.span().start,
                    format!(
                        "unknown key `{key}` in [guidance]; expected `default`, `reason` or a goal: {}",
                        ids.join(", ")
                    ),
                ));
            }
        }
        let lines: Vec<usize> = self
            .exceptions
            .iter()
            .map(|e| {
                // The `[[exception]]` header above the reason.
                let at = e.reason.span().start;
                self.line_at(self.parsed.0[..at].rfind("[[").unwrap_or(at))
            })
            .collect();
        for (e, line) in self.exceptions.iter_mut().zip(lines) {
            e.line = line;
        }
        for e in &self.exceptions {
            let at = |m: &str| self.error(format!("line {}: {m}", e.line));
            if e.reason.get_ref().trim().is_empty() {
                return Err(at("an exception needs a `reason`"));
            }
            if e.code.is_none() && e.path.is_none() && e.project.is_none() {
                return Err(at(
                    "an exception needs at least one of `code`, `path` or `project`",
                ));
            }
            if let Some(p) = &e.path {
                globset::Glob::new(p).map_err(|g| at(&format!("bad `path` glob: {g}")))?;
            }
            if let Some(x) = &e.expires
                && x.get_ref().day().is_none()
            {
                return Err(self.error_at(
                    x.span().start,
                    "`expires` must be a date like 2027-06-30".into(),
                ));
            }
        }
        Ok(())
    }

    /// Every code list entry must match a rule: a typo would silently
    /// select or ignore nothing.
    pub fn check_codes(&self, rules: &RuleSet) -> Result<(), Error> {
        let lists = [
            ("select", &self.select),
            ("extend-select", &self.extend_select),
            ("ignore", &self.ignore),
        ];
        let severity: Vec<String> = self.severity.keys().cloned().collect();
        let exceptions: Vec<String> = self
            .exceptions
            .iter()
            .filter_map(|e| e.code.clone())
            .collect();
        let lists = lists
            .into_iter()
            .chain([("severity", &severity), ("exception", &exceptions)]);
        for (key, list) in lists {
            for code in list {
                if !rules
                    .codes
                    .iter()
                    .any(|c| c.code.starts_with(code.as_str()))
                {
                    return Err(self.error(format!(
                        "`{key}`: `{code}` matches no rule code; `fwlint rules` lists them"
                    )));
                }
            }
        }
        Ok(())
    }

    /// The extra rule packs, read relative to the config file, as
    /// `(path, text)`.
    pub fn rule_packs(&self) -> Result<Vec<(String, String)>, Error> {
        let dir = self
            .source
            .as_deref()
            .and_then(Path::parent)
            .unwrap_or(Path::new("."));
        self.rules
            .iter()
            .map(|p| {
                let path = dir.join(p);
                std::fs::read_to_string(&path)
                    .map(|text| (path.display().to_string(), text))
                    .map_err(|e| self.error(format!("rule pack {}: {e}", path.display())))
            })
            .collect()
    }

    /// Replaces the article's guidance with the organisation's `[guidance]`.
    pub fn apply_guidance(&self, rules: &mut RuleSet) -> Result<(), Error> {
        let reason = self.guidance.get("reason").map(|r| r.get_ref().clone());
        let source = self
            .source
            .as_deref()
            .and_then(Path::file_name)
            .map_or_else(|| "config".into(), |n| n.to_string_lossy().into_owned());
        for goal in Goal::ALL {
            let Some(fw) = self
                .guidance
                .get(goal.as_str())
                .or_else(|| self.guidance.get("default"))
            else {
                continue;
            };
            let def = rules.framework(fw.get_ref()).ok_or_else(|| {
                let ids: Vec<&str> = rules.frameworks.iter().map(|f| f.id.as_str()).collect();
                self.error_at(
                    fw.span().start,
                    format!(
                        "unknown framework `{}` in [guidance]; expected one of: {}",
                        fw.get_ref(),
                        ids.join(", ")
                    ),
                )
            })?;
            if let Some(into) = &def.folds_into {
                return Err(self.error_at(
                    fw.span().start,
                    format!(
                        "`{}` is counted as `{}`; name that in [guidance]",
                        fw.get_ref(),
                        into.get_ref()
                    ),
                ));
            }
            let g = rules
                .goals
                .get_mut(&goal)
                .expect("every goal has guidance (tested)");
            g.framework = Spanned::new(0..0, fw.get_ref().clone());
            g.section = format!("organisation policy in {source}");
            g.rationale = reason
                .clone()
                .unwrap_or_else(|| "the organisation's own guidance".into());
            // A framework named by the policy is one the guidance covers.
            if let Some(f) = rules.frameworks.iter_mut().find(|f| f.id == *fw.get_ref()) {
                f.guided = true;
            }
        }
        Ok(())
    }

    /// The nearest config at or above `start`: `fwlint.toml`, `.fwlint.toml`,
    /// or a `pyproject.toml` with a `[tool.fwlint]` table.
    pub fn discover(start: &Path) -> Result<Option<Config>, Error> {
        let start = std::fs::canonicalize(start).unwrap_or_else(|_| start.to_path_buf());
        let mut dir = if start.is_dir() {
            Some(start.as_path())
        } else {
            start.parent()
        };
        while let Some(d) = dir {
            for name in ["fwlint.toml", ".fwlint.toml"] {
                let candidate = d.join(name);
                if candidate.is_file() {
                    return Config::load(&candidate).map(Some);
                }
            }
            let pyproject = d.join("pyproject.toml");
            if pyproject.is_file()
                && std::fs::read_to_string(&pyproject).is_ok_and(|t| t.contains("[tool.fwlint]"))
            {
                return Config::load(&pyproject).map(Some);
            }
            dir = d.parent();
        }
        Ok(None)
    }

    fn matches(list: &[String], code: &str) -> bool {
        list.iter().any(|p| code.starts_with(p.as_str()))
    }

    fn selected(&self, code: &str) -> bool {
        let all = self.select.is_empty();
        (all || Config::matches(&self.select, code) || Config::matches(&self.extend_select, code))
            && !Config::matches(&self.ignore, code)
    }

    /// Applies exceptions, `select`, `ignore` and severity overrides to the
    /// findings; an exception expired before `today` is reported as a
    /// finding instead of hiding any. `root` is the scanned folder, for the
    /// config file's path in that finding.
    pub fn apply(&self, findings: Findings, rules: &RuleSet, root: &Path, today: Day) -> Findings {
        let (live, expired): (Vec<&Exception>, Vec<&Exception>) =
            self.exceptions.iter().partition(|e| {
                e.expires
                    .as_ref()
                    .and_then(|x| x.get_ref().day())
                    .is_none_or(|d| d >= today)
            });
        let live: Vec<(&Exception, Option<globset::GlobMatcher>)> = live
            .into_iter()
            .map(|e| {
                (
                    e,
                    e.path
                        .as_deref()
                        .and_then(|p| globset::Glob::new(p).ok())
                        .map(|g| g.compile_matcher()),
                )
            })
            .collect();
        let expired: Vec<Finding> = expired
            .into_iter()
            .filter_map(|e| self.expired_finding(e, rules, root))
            .collect();
        let overridden = |f: &mut Finding| {
            if let Some(&s) = self.severity.get(&f.code) {
                f.severity = s;
            }
            self.selected(&f.code)
        };
        let kept = findings.filtered(|f| {
            !live.iter().any(|(e, glob)| e.covers(f, glob.as_ref())) && overridden(f)
        });
        let expired = expired
            .into_iter()
            .filter_map(|mut f| overridden(&mut f).then_some(f))
            .collect();
        kept.with(expired)
    }

    /// Where this config file is, relative to the scanned root when inside it.
    pub fn display_path(&self, root: &Path) -> String {
        let Some(source) = &self.source else {
            return String::new();
        };
        let canon = |p: &Path| std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
        let (source_abs, root_abs) = (canon(source), canon(root));
        match source_abs.strip_prefix(&root_abs) {
            Ok(rel) => rel.to_string_lossy().replace('\\', "/"),
            Err(_) => source.display().to_string(),
        }
    }

    /// The line of the `goals` key, for a finding about declared goals.
    pub fn goals_line(&self) -> usize {
        let text = &self.parsed.0;
        let at = text
            .lines()
            .position(|l| l.trim_start().starts_with("goals"))
            .unwrap_or(0);
        self.parsed.1 + at + 1
    }

    fn expired_finding(&self, e: &Exception, rules: &RuleSet, root: &Path) -> Option<Finding> {
        let (y, m, d) = e.expires.as_ref()?.get_ref().day()?;
        let scope: Vec<String> = [
            ("code", &e.code),
            ("path", &e.path),
            ("project", &e.project),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_ref().map(|v| format!("{k} `{v}`")))
        .collect();
        let message = format!(
            "the exception for {} expired on {y:04}-{m:02}-{d:02} (reason given: {}); renew it or fix what it covered",
            scope.join(", "),
            e.reason.get_ref()
        );
        let line = u32::try_from(e.line).unwrap_or(u32::MAX);
        let at = crate::infer::Evidence::at(&self.display_path(root), line);
        Some(crate::judge::finding(rules, "FW006", ".", &at, message))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    #[test]
    fn the_starter_file_loads_and_every_key_in_it_is_valid_uncommented() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "fwlint.toml", STARTER);
        assert!(Config::load(&p).unwrap().goals.is_empty());
        let uncommented: String = STARTER
            .lines()
            .map(|l| {
                let r = l.strip_prefix("# ").unwrap_or("");
                let table = r.starts_with('[') && r.ends_with(']');
                if table || r.contains(" = ") { r } else { "" }
            })
            .map(|l| format!("{l}\n"))
            .collect();
        let p = write(dir.path(), "full.toml", &uncommented);
        let config = Config::load(&p).unwrap();
        assert_eq!(config.goals, [Goal::Research]);
        assert_eq!(config.severity.get("FW201"), Some(&Severity::Warning));
        assert_eq!(config.exceptions.len(), 1);
        let mut rules = RuleSet::builtin().unwrap();
        config.apply_guidance(&mut rules).unwrap();
        assert_eq!(rules.goals[&Goal::Mobile].framework.get_ref(), "tensorflow");
        assert_eq!(rules.goals[&Goal::Browser].framework.get_ref(), "pytorch");
        config.check_codes(&rules).unwrap();
    }

    #[test]
    fn days_from_the_epoch_are_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_784), (2026, 11, 27));
        assert_eq!(parse_day("2027-06-30"), Some((2027, 6, 30)));
        assert_eq!(parse_day("2027-13-01"), None);
        assert_eq!(parse_day("soon"), None);
    }

    #[test]
    fn unknown_keys_name_line_and_column() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "fwlint.toml",
            "goals = [\"research\"]\nfail_on = \"never\"\n",
        );
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(
            err.contains("line 2, column 1") && err.contains("unknown field `fail_on`"),
            "{err}"
        );
        assert!(
            err.contains("fail-on"),
            "the message suggests the right key: {err}"
        );
    }

    #[test]
    fn nearest_config_wins_and_pyproject_tables_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let sub = dir.path().join("pkg/src");
        std::fs::create_dir_all(&sub).unwrap();
        write(dir.path(), "fwlint.toml", "goals = [\"mobile\"]\n");
        write(
            &dir.path().join("pkg"),
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.fwlint]\ngoals = [\"research\"]\nignore = [\"FW2\"]\n\n[tool.other]\nx = 1\n",
        );
        let found = Config::discover(&sub).unwrap().unwrap();
        assert_eq!(found.goals, [Goal::Research]);
        assert_eq!(found.ignore, ["FW2"]);
        let top = Config::discover(dir.path()).unwrap().unwrap();
        assert_eq!(top.goals, [Goal::Mobile]);
    }

    #[test]
    fn pyproject_errors_keep_their_line() {
        let dir = tempfile::tempdir().unwrap();
        let p = write(
            dir.path(),
            "pyproject.toml",
            "[project]\nname = \"x\"\n\n[tool.fwlint]\ngoals = [\"reserch\"]\n",
        );
        let err = Config::load(&p).unwrap_err().to_string();
        assert!(err.contains("line 5"), "{err}");
    }
}
