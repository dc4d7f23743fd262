//! Configuration: `fwlint.toml`, `.fwlint.toml` or `[tool.fwlint]` in
//! `pyproject.toml`, found from the scanned path upward (nearest wins), or
//! given with `--config`. Unknown keys, wrong types and bad values are errors
//! naming the file, line and column.

use crate::Error;
use crate::judge::Finding;
use crate::ruleset::{Goal, Severity};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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

# Rule codes or code prefixes to report (all when empty), and to leave out.
# select = ["FW1", "FW2"]
# ignore = ["FW203"]

# Files to leave out, as globs relative to the scanned folder.
# exclude = ["third_party/**"]

# Per-rule severity overrides: info, warning or error.
# [severity]
# FW201 = "warning"
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
    /// Severity overrides per rule code: `FW201 = "warning"`.
    #[serde(default)]
    pub severity: BTreeMap<String, Severity>,
    /// Where the config came from (not a key).
    #[serde(skip)]
    pub source: Option<PathBuf>,
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
                    toml::from_str(table).map_err(|e| {
                        let padded = format!("{}{table}", "\n".repeat(offset));
                        error(path, &padded, &e)
                    })?
                }
                None => Config::default(),
            }
        } else {
            toml::from_str(&text).map_err(|e| error(path, &text, &e))?
        };
        config.source = Some(path.to_path_buf());
        Ok(config)
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

    /// Applies `select`, `ignore` and severity overrides to the findings.
    pub fn apply(&self, findings: &mut Vec<Finding>) {
        findings.retain(|f| {
            (self.select.is_empty() || Config::matches(&self.select, &f.code))
                && !Config::matches(&self.ignore, &f.code)
        });
        for f in findings.iter_mut() {
            if let Some(&s) = self.severity.get(&f.code) {
                f.severity = s;
            }
        }
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
