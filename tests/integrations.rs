//! fwlint as other programs use it: shell completions loaded in a real bash,
//! man pages checked by groff, the pre-commit hook run by `pre-commit
//! try-repo`, and the GitHub Action's command line.

mod common;
use common::copy_tree;

use std::path::Path;
use std::process::Command;

fn fwlint(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .args(args)
        .output()
        .unwrap()
}

/// Completes `words` (the last one being typed) with the generated bash
/// script, in bash.
fn bash_complete(script: &Path, words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    let cword = words.len() - 1;
    let program = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD={cword}; _fwlint fwlint '{}' '{}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        quoted.join(" "),
        words[cword],
        words[cword - 1],
    );
    let out = Command::new("bash")
        .args(["--norc", "-c", &program])
        .output()
        .expect("bash runs");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn bash_completes_commands_flags_and_values() {
    let out = fwlint(&["completions", "bash"]);
    assert_eq!(out.status.code(), Some(0));
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fwlint.bash");
    std::fs::write(&script, &out.stdout).unwrap();
    assert_eq!(bash_complete(&script, &["fwlint", "che"]), "check\n");
    assert_eq!(
        bash_complete(&script, &["fwlint", "check", "--fail"]),
        "--fail-on\n"
    );
    let formats = bash_complete(&script, &["fwlint", "check", "--format", ""]);
    for f in [
        "text", "json", "sarif", "github", "gitlab", "junit", "markdown",
    ] {
        assert!(formats.lines().any(|l| l == f), "{f} missing: {formats}");
    }
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = fwlint(&["completions", shell]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("write-baseline"),
            "{shell}"
        );
    }
}

#[test]
fn man_pages_render_without_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let out = fwlint(&["man", "--out-dir", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let mut pages: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for page in [
        "fwlint.1",
        "fwlint-check.1",
        "fwlint-rule.1",
        "fwlint-init.1",
    ] {
        assert!(pages.iter().any(|p| p == page), "{page} missing: {pages:?}");
    }
    for page in &pages {
        let rendered = Command::new("groff")
            // -k: UTF-8 through preconv, as man does; -P-cbou: plain text.
            .args(["-k", "-man", "-Tutf8", "-ww", "-P-cbou"])
            .arg(dir.path().join(page))
            .output()
            .expect("groff runs (Debian package groff-base; .ci/run installs it)");
        let stderr = String::from_utf8_lossy(&rendered.stderr);
        assert!(
            rendered.status.success() && stderr.is_empty(),
            "{page}: {stderr}"
        );
        let text = String::from_utf8_lossy(&rendered.stdout);
        assert!(text.contains("SYNOPSIS"), "{page}");
    }
    let check = std::fs::read_to_string(dir.path().join("fwlint-check.1")).unwrap();
    assert!(check.contains("baseline") && check.contains("fail\\-on"));
    let stdout = fwlint(&["man"]);
    assert!(String::from_utf8_lossy(&stdout.stdout).starts_with(".ie"));
}

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The hook's `files` pattern, read from `.pre-commit-hooks.yaml`.
fn hook() -> serde_json::Value {
    let text = std::fs::read_to_string(manifest_dir().join(".pre-commit-hooks.yaml")).unwrap();
    let hooks: Vec<serde_json::Value> = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(hooks.len(), 1);
    hooks[0].clone()
}

/// Which of `paths` Python's `re.search` (what pre-commit uses) matches.
fn python_matches(pattern: &str, paths: &[String]) -> Vec<bool> {
    let input = serde_json::json!({ "pattern": pattern, "paths": paths });
    common::python_json(
        "import json, re, sys\nd = json.load(sys.stdin)\nr = re.compile(d['pattern'])\nprint(json.dumps([bool(r.search(p)) for p in d['paths']]))",
        input.to_string().as_bytes(),
    )
}

/// Every file any fixture's signals come from (and fwlint's config) makes
/// the hook run; an unrelated file does not.
#[test]
fn the_hook_runs_for_every_file_fwlint_reads() {
    let hook = hook();
    assert_eq!(hook["id"], "fwlint");
    assert_eq!(hook["pass_filenames"], false);
    assert_eq!(hook["entry"], "fwlint check");
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(manifest_dir().join("fixtures"))
        .args(["signals", "."])
        .output()
        .unwrap();
    let mut paths: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["path"].as_str().unwrap().to_string()
        })
        .collect();
    paths.sort();
    paths.dedup();
    assert!(paths.len() > 150, "{}", paths.len());
    paths.extend(["fwlint.toml", "sub/.fwlint.toml", "pkg/.fwlintignore"].map(String::from));
    let pattern = hook["files"].as_str().unwrap();
    let missed: Vec<&String> = paths
        .iter()
        .zip(python_matches(pattern, &paths))
        .filter(|(_, m)| !m)
        .map(|(p, _)| p)
        .collect();
    assert!(missed.is_empty(), "the hook would not run for {missed:?}");
    let unrelated = ["docs/diagram.png", "LICENSE", "assets/logo.svg"].map(String::from);
    assert_eq!(python_matches(pattern, &unrelated), [false, false, false]);
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {out:?}");
}

/// A git repository at `to` holding this checkout's working tree.
fn snapshot_worktree(to: &Path) {
    let listed = Command::new("git")
        .current_dir(manifest_dir())
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .expect("git runs");
    assert!(listed.status.success(), "the checkout is a git repository");
    for rel in listed.stdout.split(|&b| b == 0).filter(|p| !p.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel).unwrap());
        let source = manifest_dir().join(rel);
        // A tracked file deleted in the working tree is not part of it.
        if source.is_file() {
            std::fs::create_dir_all(to.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(&source, to.join(rel)).unwrap();
        }
    }
    git(to, &["init", "-q"]);
    git(to, &["add", "-A"]);
    git(to, &["commit", "-q", "-m", "snapshot"]);
}

/// The real `pre-commit try-repo` builds the hook from this repository and
/// runs it: a misaligned project fails the commit with the finding, and a
/// commit touching no file fwlint reads skips it.
#[test]
fn pre_commit_try_repo_runs_the_hook() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("project");
    copy_tree(
        &manifest_dir().join("fixtures/fw104-pytorch-mobile-export"),
        &repo,
    );
    std::fs::write(repo.join("notes.pdf"), "%PDF-1.4\n").unwrap();
    git(&repo, &["init", "-q"]);
    git(&repo, &["add", "."]);
    // try-repo reads committed and staged files only: give it a repository
    // of the working tree as it is (tracked and untracked, not ignored).
    let hook_repo = dir.path().join("fwlint");
    snapshot_worktree(&hook_repo);
    // Cached between runs: the hook's build and pre-commit's environments.
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let try_repo = |extra: &[&str]| {
        let out = Command::new("pre-commit")
            .current_dir(&repo)
            .env("PRE_COMMIT_HOME", scratch.join("pre-commit-home"))
            .env("CARGO_TARGET_DIR", scratch.join("pre-commit-target"))
            // The hook's `cargo install` is what is tested, not the release
            // profile's speed: a quicker build keeps CI short.
            .env("CARGO_PROFILE_RELEASE_LTO", "false")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .args(["try-repo", hook_repo.to_str().unwrap(), "fwlint"])
            .args(extra)
            .output()
            .expect("pre-commit runs (pip install pre-commit; .ci/run installs it)");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    };
    let (code, text) = try_repo(&["--all-files"]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("Failed") && text.contains("FW104"), "{text}");
    let (code, text) = try_repo(&["--files", "notes.pdf"]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("Skipped"), "{text}");
}
