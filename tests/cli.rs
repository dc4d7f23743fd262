//! Command-line behaviour as data: each `tests/cmd/<case>.toml` gives the
//! arguments (run from the repository root), the exit status, and text that
//! stdout/stderr must or must not contain. `*.fwlint.toml` are config inputs.

use serde::Deserialize;
use std::path::Path;
use std::process::Command;

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct Case {
    args: Vec<String>,
    status: i32,
    #[serde(default)]
    stdout_contains: Vec<String>,
    #[serde(default)]
    stdout_excludes: Vec<String>,
    #[serde(default)]
    stderr_contains: Vec<String>,
}

#[test]
fn cli_cases() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<_> = std::fs::read_dir(root.join("tests/cmd"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".toml") && !n.ends_with(".fwlint.toml"))
        .collect();
    names.sort();
    assert!(names.len() >= 10);
    let mut failures = Vec::new();
    for name in names {
        let text = std::fs::read_to_string(root.join("tests/cmd").join(&name)).unwrap();
        let case: Case = toml::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .current_dir(root)
            .args(&case.args)
            .env_remove("NO_COLOR")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut problems = Vec::new();
        if out.status.code() != Some(case.status) {
            problems.push(format!(
                "status {:?}, expected {}",
                out.status.code(),
                case.status
            ));
        }
        for s in &case.stdout_contains {
            if !stdout.contains(s.as_str()) {
                problems.push(format!("stdout lacks {s:?}"));
            }
        }
        for s in &case.stdout_excludes {
            if stdout.contains(s.as_str()) {
                problems.push(format!("stdout has {s:?}"));
            }
        }
        for s in &case.stderr_contains {
            if !stderr.contains(s.as_str()) {
                problems.push(format!("stderr lacks {s:?}"));
            }
        }
        if !problems.is_empty() {
            failures.push(format!(
                "{name}: {}\n--- stdout\n{stdout}--- stderr\n{stderr}",
                problems.join("; ")
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn output_file_is_written_whole_and_stdout_stays_empty() {
    let dir = tempfile::tempdir().unwrap();
    let dest = dir.path().join("report.json");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(root)
        .args([
            "check",
            "fixtures/fw104-pytorch-mobile-export",
            "--format",
            "json",
            "--output",
        ])
        .arg(&dest)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["findings"][0]["rule"], "FW104");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

/// The README shows real output: it must match what the binary prints now.
#[test]
fn readme_examples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    for case in [
        "fixtures/fw104-pytorch-mobile-export",
        "fixtures/llm-finetune-peft",
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .current_dir(root)
            .args(["check", case, "--color", "never"])
            .output()
            .unwrap();
        let text = String::from_utf8(out.stdout).unwrap();
        let block = format!("$ fwlint check {case}\n{text}```");
        assert!(
            readme.contains(&block),
            "README.md example for {case} is out of date; it should read:\n{block}"
        );
    }
}

fn keys(v: &serde_json::Value) -> Vec<&str> {
    let mut k: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    k.sort();
    k
}

/// The JSON contract of ARCHITECTURE.md, version 1: field names are fixed.
#[test]
fn json_report_follows_the_contract() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(root)
        .args([
            "check",
            "fixtures/fw104-pytorch-mobile-export",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        keys(&r),
        [
            "findings",
            "frameworks",
            "goals",
            "projects",
            "root",
            "stats",
            "tool",
            "verdict",
            "version"
        ]
    );
    assert_eq!(r["version"], 1);
    assert_eq!(r["tool"]["name"], "fwlint");
    assert_eq!(r["root"], "fixtures/fw104-pytorch-mobile-export");
    let fw = &r["frameworks"][0];
    for k in ["id", "score", "files", "evidence"] {
        assert!(fw.get(k).is_some(), "frameworks[].{k}");
    }
    for k in ["signal", "path", "line"] {
        assert!(
            fw["evidence"][0].get(k).is_some(),
            "frameworks[].evidence[].{k}"
        );
    }
    let goal = &r["goals"][0];
    for k in ["id", "confidence", "primary", "evidence"] {
        assert!(goal.get(k).is_some(), "goals[].{k}");
    }
    for k in ["signal", "path", "line", "weight"] {
        assert!(
            goal["evidence"][0].get(k).is_some(),
            "goals[].evidence[].{k}"
        );
    }
    assert_eq!(keys(&r["verdict"]), ["status", "summary"]);
    let project = &r["projects"][0];
    for k in ["path", "frameworks", "goals", "verdict"] {
        assert!(project.get(k).is_some(), "projects[].{k}");
    }
    let finding = &r["findings"][0];
    for k in [
        "rule", "name", "severity", "message", "path", "line", "column", "project",
    ] {
        assert!(finding.get(k).is_some(), "findings[].{k}");
    }
    assert_eq!(finding["rule"], "FW104");
    assert_eq!(finding["name"], "mobile-framework");
    assert_eq!(finding["severity"], "warning");
    for k in [
        "files_seen",
        "files_read",
        "bytes_read",
        "skipped",
        "elapsed_ms",
    ] {
        assert!(r["stats"].get(k).is_some(), "stats.{k}");
    }
}

/// A fwlint.toml at (or above) the scanned folder is found; --isolated ignores it.
#[test]
fn config_is_discovered_upward_and_isolated_ignores_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("fwlint.toml"), "goals = [\"research\"]\n").unwrap();
    std::fs::create_dir_all(dir.path().join("pkg")).unwrap();
    std::fs::write(dir.path().join("pkg/model.py"), "import torch\n").unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .arg("check")
            .arg(dir.path().join("pkg"))
            .args(extra)
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(run(&[]).contains("research (declared)"));
    let isolated = run(&["--isolated"]);
    assert!(
        !isolated.contains("research") && isolated.contains("FW206"),
        "{isolated}"
    );
}

/// `fwlint init` writes a starter config that loads, and never overwrites one.
#[test]
fn init_writes_a_starter_and_never_overwrites() {
    let dir = tempfile::tempdir().unwrap();
    let init = || {
        Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .arg("init")
            .arg(dir.path())
            .output()
            .unwrap()
    };
    assert_eq!(init().status.code(), Some(0));
    let path = dir.path().join("fwlint.toml");
    let written = std::fs::read_to_string(&path).unwrap();
    assert!(written.contains("# goals = [\"research\"]"));
    std::fs::write(&path, "goals = [\"mobile\"]\n").unwrap();
    let again = init();
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists"));
    assert_eq!(
        std::fs::read_to_string(&path).unwrap(),
        "goals = [\"mobile\"]\n"
    );
}
