//! Runs the binary on every mini-repository in `fixtures/` and checks two
//! things, so a wrong snapshot cannot be blessed by accident:
//! - the hand-stated intent in `fixtures/<case>.expect.toml` (frameworks,
//!   goals, primary goals, verdict, finding codes, exit code) against the JSON;
//! - the reviewed text output in `fixtures/<case>.out`, byte for byte.
//!   `FWLINT_BLESS=1 cargo test --test fixtures` rewrites the `.out` files;
//!   review the diff before committing it.

use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Intent {
    frameworks: Vec<String>,
    goals: Vec<String>,
    primary: Vec<String>,
    verdict: String,
    codes: Vec<String>,
    exit: i32,
    /// Per-unit expectations; when given, they list every unit reported.
    #[serde(default)]
    project: Vec<ProjectIntent>,
}

#[derive(Deserialize, Debug, PartialEq)]
#[serde(deny_unknown_fields)]
struct ProjectIntent {
    path: String,
    frameworks: Vec<String>,
    primary: Vec<String>,
    verdict: String,
}

fn projects(report: &serde_json::Value) -> Vec<ProjectIntent> {
    report["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| ProjectIntent {
            path: p["path"].as_str().unwrap().to_string(),
            frameworks: sorted(ids(&p["frameworks"], false)),
            primary: sorted(ids(&p["goals"], true)),
            verdict: p["verdict"]["status"].as_str().unwrap().to_string(),
        })
        .collect()
}

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn cases() -> Vec<String> {
    let mut cases: Vec<String> = std::fs::read_dir(fixtures_dir())
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    cases.sort();
    cases
}

fn intent(case: &str) -> Intent {
    let path = fixtures_dir().join(format!("{case}.expect.toml"));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("fixture {case} has no {}", path.display()));
    toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn run(args: &[&str]) -> (i32, String) {
    let (code, stdout, stderr) = run_with_stderr(args);
    assert!(stderr.is_empty(), "stderr for {args:?}: {stderr}");
    (code, stdout)
}

fn run_with_stderr(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(fixtures_dir())
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn ids(values: &serde_json::Value, only_primary: bool) -> Vec<String> {
    values
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| !only_primary || v["primary"] == true)
        .map(|v| v["id"].as_str().unwrap().to_string())
        .collect()
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[test]
fn every_fixture_matches_its_intent_and_reviewed_output() {
    let mut failures = Vec::new();
    for case in cases() {
        let want = intent(&case);
        let (code, json) = run(&["check", &case, "--format", "json"]);
        let report: serde_json::Value = serde_json::from_str(&json).unwrap();
        for f in report["findings"].as_array().unwrap() {
            let message = f["message"].as_str().unwrap();
            let first = message.chars().next().unwrap();
            if first.is_uppercase() || message.ends_with('.') {
                failures.push(format!(
                    "{case}: message style (lowercase, no final period): {message}"
                ));
            }
        }
        let codes: BTreeSet<String> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["rule"].as_str().unwrap().to_string())
            .collect();
        let got = (
            sorted(ids(&report["frameworks"], false)),
            sorted(ids(&report["goals"], false)),
            sorted(ids(&report["goals"], true)),
            report["verdict"]["status"].as_str().unwrap().to_string(),
            codes.into_iter().collect::<Vec<_>>(),
            code,
        );
        let expected = (
            sorted(want.frameworks),
            sorted(want.goals),
            sorted(want.primary),
            want.verdict,
            sorted(want.codes),
            want.exit,
        );
        if got != expected {
            failures.push(format!(
                "{case}:\n  expected {expected:?}\n  got      {got:?}"
            ));
        }
        if !want.project.is_empty() {
            let mut want_units = want.project;
            for u in &mut want_units {
                u.frameworks.sort();
                u.primary.sort();
            }
            let got_units = projects(&report);
            if got_units != want_units {
                failures.push(format!(
                    "{case} units:\n  expected {want_units:?}\n  got      {got_units:?}"
                ));
            }
        }
        let (text_code, text) = run(&["check", &case, "--color", "never"]);
        assert_eq!(text_code, code, "{case}: text and JSON runs exit alike");
        let snapshot = fixtures_dir().join(format!("{case}.out"));
        if std::env::var_os("FWLINT_BLESS").is_some() {
            std::fs::write(&snapshot, &text).unwrap();
        } else {
            let reviewed = std::fs::read_to_string(&snapshot).unwrap_or_default();
            if reviewed != text {
                failures.push(format!(
                    "{case}: text output differs from {case}.out:\n{text}"
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Clippy's rule: every finding rule is proven both ways. Each FW1xx/FW2xx
/// code is expected by some fixture, and each guidance goal also has an
/// aligned fixture where it is primary (and no FW1xx fires).
#[test]
fn every_rule_has_a_positive_and_a_negative_fixture() {
    let rules = fwlint::ruleset::RuleSet::builtin().unwrap();
    let intents: Vec<(String, Intent)> = cases()
        .into_iter()
        .map(|c| (c.clone(), intent(&c)))
        .collect();
    for doc in rules.codes.iter().filter(|c| !c.code.starts_with("FW00")) {
        assert!(
            intents.iter().any(|(_, i)| i.codes.contains(&doc.code)),
            "no fixture expects {} ({})",
            doc.code,
            doc.name
        );
        if let Some(goal) = doc.goal {
            assert!(
                intents.iter().any(|(_, i)| i.verdict == "aligned"
                    && i.primary.iter().any(|p| p == goal.as_str())
                    && !i.codes.contains(&doc.code)),
                "no aligned fixture for goal {goal} ({})",
                doc.code
            );
        }
    }
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let (_, one) = run(&[
        "check",
        "research-pytorch-paper",
        "--threads",
        "1",
        "--color",
        "never",
    ]);
    let (_, many) = run(&[
        "check",
        "research-pytorch-paper",
        "--threads",
        "8",
        "--color",
        "never",
    ]);
    assert_eq!(one, many);
    // Signals on stdout, the malformed fixture's problems on stderr: both
    // the same whatever the thread count.
    let signals = |t: &str| run_with_stderr(&["signals", ".", "--threads", t]);
    let (one, many) = (signals("1"), signals("8"));
    assert!(
        one.2
            .contains("malformed-inputs/syntax_error.py:2:11: FW002")
    );
    assert_eq!(one, many);
}
