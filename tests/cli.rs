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
    #[serde(default)]
    stderr_excludes: Vec<String>,
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
        for s in &case.stderr_excludes {
            if stderr.contains(s.as_str()) {
                problems.push(format!("stderr has {s:?}"));
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
    let out = check_json_into(&dest);
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&dest).unwrap()).unwrap();
    assert_eq!(report["version"], 1);
    assert_eq!(report["findings"][0]["rule"], "FW104");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

fn check_json_into(dest: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "fixtures/fw104-pytorch-mobile-export",
            "--format",
            "json",
            "--output",
        ])
        .arg(dest)
        .output()
        .unwrap()
}

/// `--output /dev/null` and the like: a path that is no regular file is
/// written in place. Renamed over, a FIFO (or `/dev/null`, for root) would
/// become a regular file.
#[cfg(unix)]
#[test]
fn output_to_a_fifo_is_written_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("report.fifo");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        // Blocks until a writer opens the FIFO and closes it.
        std::thread::spawn(move || std::fs::read(fifo).unwrap())
    };
    let out = check_json_into(&fifo);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let kind = std::fs::symlink_metadata(&fifo).unwrap().file_type();
    assert!(kind.is_fifo(), "the FIFO was replaced: {kind:?}");
    let report: serde_json::Value = serde_json::from_slice(&reader.join().unwrap()).unwrap();
    assert_eq!(report["findings"][0]["rule"], "FW104");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temporary file left behind");
}

/// A link to the report file stays a link: the file it leads to is
/// replaced whole.
#[cfg(unix)]
#[test]
fn output_through_a_symlink_replaces_its_target() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("reports").join("report.json");
    std::fs::create_dir(target.parent().unwrap()).unwrap();
    std::fs::write(&target, "old").unwrap();
    let link = dir.path().join("latest.json");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let out = check_json_into(&link);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());
    let report: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&target).unwrap()).unwrap();
    assert_eq!(report["findings"][0]["rule"], "FW104");
    let names = |folder: &Path| {
        let mut names: Vec<_> = std::fs::read_dir(folder)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    // No temporary file left behind.
    assert_eq!(names(dir.path()), ["latest.json", "reports"]);
    assert_eq!(names(target.parent().unwrap()), ["report.json"]);
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

fn fwlint_in(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

/// A recorded baseline hides known findings even after lines move; a new
/// finding is still reported and fails the run.
#[test]
fn baseline_hides_known_findings_and_reports_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(repo.join("mobile")).unwrap();
    std::fs::write(repo.join("fwlint.toml"), "goals = [\"mobile\"]\n").unwrap();
    std::fs::write(repo.join("mobile/export.py"), "import torch\n").unwrap();
    let baseline = dir.path().join("fwlint-baseline.json");
    let b = baseline.to_str().unwrap();

    let write = fwlint_in(&repo, &["check", ".", "--write-baseline", b]);
    assert_eq!(write.status.code(), Some(0), "{write:?}");
    let recorded = std::fs::read_to_string(&baseline).unwrap();
    assert!(recorded.contains("\"FW104\""), "{recorded}");

    // The import moves down; the finding is the same one.
    std::fs::write(
        repo.join("mobile/export.py"),
        "\"\"\"Exports the model.\"\"\"\n\nimport os\nimport torch\n",
    )
    .unwrap();
    let known = fwlint_in(&repo, &["check", ".", "--baseline", b]);
    let stdout = String::from_utf8_lossy(&known.stdout);
    assert_eq!(known.status.code(), Some(0), "{stdout}");
    assert!(!stdout.contains("FW104"), "{stdout}");
    assert!(String::from_utf8_lossy(&known.stderr).contains("2 known findings from the baseline"));

    // A new file with PyTorch in another project is a new finding.
    std::fs::create_dir_all(repo.join("ios")).unwrap();
    std::fs::write(repo.join("ios/requirements.txt"), "torch\n").unwrap();
    std::fs::write(repo.join("ios/convert.py"), "import torch\n").unwrap();
    let new = fwlint_in(&repo, &["check", ".", "--baseline", b]);
    let stdout = String::from_utf8_lossy(&new.stdout);
    assert_eq!(new.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("ios/convert.py") && stdout.contains("FW104"),
        "{stdout}"
    );

    let bad = fwlint_in(&repo, &["check", ".", "--baseline", "missing.json"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// A rule pack from the config adds evidence: an in-house SDK becomes a
/// sign of the mobile goal.
#[test]
fn rule_packs_from_the_config_add_signals() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    std::fs::create_dir_all(repo.join("rules")).unwrap();
    std::fs::write(
        repo.join("rules/acme.toml"),
        "[[signal]]\nkind = \"import\"\nmatch = \"acme_edge\"\ngoal = \"mobile\"\nweight = 3.0\nexample = \"import acme_edge\"\n",
    )
    .unwrap();
    std::fs::write(repo.join("export.py"), "import acme_edge\nimport torch\n").unwrap();
    let without = fwlint_in(repo, &["check", "."]);
    assert!(!String::from_utf8_lossy(&without.stdout).contains("FW104"));
    std::fs::write(repo.join("fwlint.toml"), "rules = [\"rules/acme.toml\"]\n").unwrap();
    let with = fwlint_in(repo, &["check", "."]);
    let stdout = String::from_utf8_lossy(&with.stdout);
    assert!(
        stdout.contains("FW104") && stdout.contains("mobile"),
        "{stdout}"
    );
    let explain = fwlint_in(repo, &["explain", "."]);
    assert!(String::from_utf8_lossy(&explain.stdout).contains("rules/acme.toml"));

    std::fs::write(
        repo.join("rules/acme.toml"),
        "[[signal]]\nkind = \"imprt\"\n",
    )
    .unwrap();
    let broken = fwlint_in(repo, &["check", "."]);
    assert_eq!(broken.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&broken.stderr).contains("acme.toml"));
}

/// `cargo fwlint` works through cargo itself, with `cargo-fwlint` on PATH.
#[test]
fn runs_as_a_cargo_subcommand() {
    let bin = Path::new(env!("CARGO_BIN_EXE_cargo-fwlint"));
    let path = std::env::join_paths(std::iter::once(bin.parent().unwrap().to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(cargo)
        .current_dir(root)
        .env("PATH", path)
        .args([
            "fwlint",
            "check",
            "fixtures/rust-candle-workspace",
            "--format",
            "json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["frameworks"][0]["id"], "candle");
    let help = Command::new(bin)
        .args(["fwlint", "--help"])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&help.stdout).contains("Usage: cargo fwlint"));
}

/// The fenced blocks of README.md in `lang`.
fn readme_blocks(lang: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let fence = format!("```{lang}\n");
    readme
        .split(fence.as_str())
        .skip(1)
        .map(|rest| rest.split("```").next().unwrap().to_string())
        .collect()
}

/// Copy-paste examples in the README are valid: every TOML block is a config
/// fwlint accepts (keys, guidance, codes), every YAML block parses.
#[test]
fn readme_config_and_ci_examples_are_valid() {
    let dir = tempfile::tempdir().unwrap();
    let tomls = readme_blocks("toml");
    assert!(!tomls.is_empty());
    for (i, block) in tomls.iter().enumerate() {
        let path = dir.path().join(format!("readme-{i}.fwlint.toml"));
        // `rules` packs are the reader's own files; check everything else.
        let block_without_packs: String = block
            .lines()
            .filter(|l| !l.starts_with("rules ="))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&path, block_without_packs).unwrap();
        let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .args(["check", "fixtures/fw206-bare-model", "--config"])
            .arg(&path)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        assert!(
            out.status.code().is_some_and(|c| c < 2),
            "README toml block {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let yamls = readme_blocks("yaml");
    assert!(yamls.len() >= 3);
    for block in yamls {
        let parsed: Result<serde_json::Value, _> = serde_saphyr::from_str(&block);
        assert!(parsed.is_ok(), "{block}: {parsed:?}");
    }
}
