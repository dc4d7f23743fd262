//! Baselines: the findings a repository already has, recorded so that only
//! new ones are reported. A finding is known by its rule, project, file and
//! message with numbers blanked out: adding lines above it or one more file
//! to a count does not make it new.

use crate::Error;
use crate::findings::Findings;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

const VERSION: u32 = 1;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Which program wrote it, so a stray JSON file is refused clearly.
    tool: String,
    version: u32,
    findings: Vec<Entry>,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    code: String,
    project: String,
    path: String,
    message: String,
    count: usize,
}

type Key = (String, String, String, String);

/// Digits carry line numbers and counts that change without the finding
/// changing.
fn normalise(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if c.is_ascii_digit() {
            if !out.ends_with('#') {
                out.push('#');
            }
        } else {
            out.push(c);
        }
    }
    out
}

fn key(code: &str, project: &str, path: &str, message: &str) -> Key {
    (
        code.to_string(),
        project.to_string(),
        path.to_string(),
        normalise(message),
    )
}

/// The recorded findings, counted per key.
#[derive(Debug, Default)]
pub struct Baseline {
    known: BTreeMap<Key, usize>,
}

/// The baseline file for these findings (sorted, so it diffs well).
pub fn render(findings: &Findings) -> String {
    let mut counts: BTreeMap<Key, (String, usize)> = BTreeMap::new();
    for f in findings.iter() {
        let entry = counts
            .entry(key(&f.code, &f.project, &f.path, &f.message))
            .or_insert_with(|| (f.message.clone(), 0));
        entry.1 += 1;
    }
    let file = File {
        tool: "fwlint".into(),
        version: VERSION,
        findings: counts
            .into_iter()
            .map(|((code, project, path, _), (message, count))| Entry {
                code,
                project,
                path,
                message,
                count,
            })
            .collect(),
    };
    let mut text = serde_json::to_string_pretty(&file).expect("plain data serialises");
    text.push('\n');
    text
}

impl Baseline {
    pub fn load(path: &Path) -> Result<Baseline, Error> {
        let bad = |message: String| Error::Config {
            path: path.to_path_buf(),
            message,
        };
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let file: File = serde_json::from_str(&text).map_err(|e| {
            bad(format!(
                "not a fwlint baseline ({e}); write one with `fwlint check --write-baseline FILE`"
            ))
        })?;
        if file.tool != "fwlint" || file.version != VERSION {
            return Err(bad(format!(
                "baseline version {} of `{}` is not one this fwlint reads (version {VERSION}); write it again with --write-baseline",
                file.version, file.tool
            )));
        }
        let mut known = BTreeMap::new();
        for e in file.findings {
            *known
                .entry(key(&e.code, &e.project, &e.path, &e.message))
                .or_insert(0) += e.count;
        }
        Ok(Baseline { known })
    }

    /// Drops the findings the baseline knows (each recorded one hides one
    /// current one) and returns how many were dropped.
    pub fn filter(&self, findings: Findings) -> (Findings, usize) {
        let mut left = self.known.clone();
        let shown = findings.filtered(|f| {
            match left.get_mut(&key(&f.code, &f.project, &f.path, &f.message)) {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            }
        });
        let hidden = findings.len() - shown.len();
        (shown, hidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::judge::Finding;
    use crate::ruleset::Severity;

    fn finding(code: &str, path: &str, line: u32, message: &str) -> Finding {
        Finding {
            code: code.into(),
            name: "n".into(),
            severity: Severity::Warning,
            message: message.into(),
            path: path.into(),
            cell: None,
            line,
            column: 1,
            project: ".".into(),
            evidence: Vec::new(),
        }
    }

    fn round_trip(recorded: &[Finding]) -> Baseline {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("baseline.json");
        std::fs::write(&p, render(&Findings::from_vec(recorded.to_vec()))).unwrap();
        Baseline::load(&p).unwrap()
    }

    #[test]
    fn known_findings_survive_line_shifts_and_changed_counts() {
        let base = round_trip(&[
            finding("FW104", "a.py", 3, "uses PyTorch"),
            finding(
                "FW201",
                "b.py",
                9,
                "both PyTorch (2 files) and TensorFlow (1 file)",
            ),
        ]);
        let now = Findings::from_vec(vec![
            finding("FW104", "a.py", 40, "uses PyTorch"),
            finding(
                "FW201",
                "b.py",
                12,
                "both PyTorch (12 files) and TensorFlow (1 file)",
            ),
            finding("FW104", "c.py", 3, "uses PyTorch"),
        ]);
        let (now, hidden) = base.filter(now);
        assert_eq!(hidden, 2);
        let paths: Vec<String> = now.iter().map(|f| f.path.clone()).collect();
        assert_eq!(paths, ["c.py"], "a finding in another file is new");
    }

    #[test]
    fn each_recorded_finding_hides_one() {
        let base = round_trip(&[finding("FW002", "x.py", 1, "syntax error")]);
        let now = Findings::from_vec(vec![
            finding("FW002", "x.py", 1, "syntax error"),
            finding("FW002", "x.py", 5, "syntax error"),
        ]);
        let (now, hidden) = base.filter(now);
        assert_eq!(hidden, 1);
        assert_eq!(now.len(), 1);
    }

    #[test]
    fn other_json_is_refused_with_a_hint() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("b.json");
        std::fs::write(&p, "{\"findings\": []}").unwrap();
        let err = Baseline::load(&p).unwrap_err().to_string();
        assert!(err.contains("--write-baseline"), "{err}");
    }
}
