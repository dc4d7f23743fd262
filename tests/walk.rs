//! The walk on a real temporary tree: ignore files without `.git`, hidden
//! folders, links out of the root, size caps, and the tree left untouched.

mod common;
use common::{framework_ids, write};
use std::path::Path;
use std::process::Command;

/// fwlint's standard output, run in `dir` with `args`; it must succeed.
fn fwlint(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn signal_paths(root: &Path, extra: &[&str]) -> Vec<String> {
    let root = root.to_str().unwrap();
    let mut paths: Vec<String> = String::from_utf8(fwlint(
        Path::new("."),
        &[&["signals", root], extra].concat(),
    ))
    .unwrap()
    .lines()
    .map(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["path"]
            .as_str()
            .unwrap()
            .to_string()
    })
    .collect();
    paths.dedup();
    paths
}

/// Every path under `root` with its size and modification time.
fn tree_state(root: &Path) -> Vec<(String, u64, std::time::SystemTime)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let m = std::fs::symlink_metadata(e.path()).unwrap();
            if m.is_dir() {
                stack.push(e.path());
            }
            out.push((
                e.path().display().to_string(),
                m.len(),
                m.modified().unwrap(),
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn walk_honours_ignores_hidden_and_links() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "secret/model.py", "import torch\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, ".gitignore", "/ignored/\n");
    write(root, ".fwlintignore", "generated.py\n");
    write(root, "main.py", "import tensorflow as tf\n");
    write(root, "ignored/old.py", "import torch\n");
    write(root, "generated.py", "import jax\n");
    write(root, ".venv/lib/site.py", "import torch\n");
    write(
        root,
        ".github/workflows/README.md",
        "A course on deep learning.\n",
    );
    std::os::unix::fs::symlink(outside.path().join("secret"), root.join("linked")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret/model.py"),
        root.join("model_link.py"),
    )
    .unwrap();
    let before = tree_state(root);

    assert_eq!(
        signal_paths(root, &[]),
        [".github/workflows/README.md", "main.py"]
    );
    assert_eq!(
        signal_paths(root, &["--no-ignore"]),
        [
            ".github/workflows/README.md",
            "generated.py",
            "ignored/old.py",
            "main.py"
        ]
    );
    assert_eq!(
        signal_paths(root, &["--hidden"]),
        [
            ".github/workflows/README.md",
            ".venv/lib/site.py",
            "main.py"
        ]
    );
    assert_eq!(
        tree_state(root),
        before,
        "fwlint must not write into the scanned tree"
    );
}

#[test]
fn oversized_and_unreadable_files_are_diagnostics() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "main.py", "import torch\n");
    let big = "x = 1\n".repeat(1_500_000); // 9 MB, over the 8 MiB Python cap
    write(root, "big.py", &format!("import tensorflow\n{big}"));
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .args(["check", "--format", "json"])
        .arg(root)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let findings = report["findings"].as_array().unwrap();
    assert!(
        findings
            .iter()
            .any(|f| f["rule"] == "FW005" && f["path"] == "big.py")
    );
    assert_eq!(report["stats"]["skipped"]["too-large"], 1);
    let fws = framework_ids(&report);
    assert_eq!(fws, ["pytorch"], "the skipped file's import is not counted");
}

#[test]
fn requirement_includes_are_followed_inside_the_root_only() {
    let outside = tempfile::tempdir().unwrap();
    write(outside.path(), "shared.txt", "jax\n");
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    write(
        &root,
        "requirements.txt",
        "-r deps/base.pip\n-r ../shared.txt\nnumpy\n",
    );
    write(
        &root,
        "deps/base.pip",
        "--requirement=more.pip\ntorch==2.3\n",
    );
    write(&root, "deps/more.pip", "-r base.pip\ntransformers\n");
    std::fs::copy(
        outside.path().join("shared.txt"),
        dir.path().join("shared.txt"),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .arg("signals")
        .arg(&root)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let deps: Vec<String> = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["kind"] == "dependency")
        .map(|v| {
            format!(
                "{}:{}",
                v["path"].as_str().unwrap(),
                v["key"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        deps,
        [
            "deps/base.pip:pypi:torch",
            "deps/more.pip:pypi:transformers",
            "requirements.txt:pypi:numpy"
        ],
        "includes followed once each (cycles too), never out of the root"
    );
}

/// A repository whose cargo configuration would run code (`rustc-wrapper`,
/// `build.rs`, a `rust-toolchain.toml` path): fwlint reads `Cargo.toml`
/// statically, so nothing runs and nothing is written.
#[test]
fn hostile_cargo_config_runs_nothing() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/rust-tch-hostile-cargo");
    let markers = [
        "/tmp/fwlint-hostile-build-rs-ran",
        "/tmp/fwlint-hostile-wrapper-ran",
    ];
    for m in markers {
        let _ = std::fs::remove_file(m);
    }
    let before = tree_state(&fixture);
    for command in ["check", "signals", "explain"] {
        let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .arg(command)
            .arg(&fixture)
            .output()
            .unwrap();
        assert!(out.status.code().is_some_and(|c| c < 2), "{command} failed");
    }
    assert_eq!(
        tree_state(&fixture),
        before,
        "fwlint wrote into the scanned tree"
    );
    for m in markers {
        assert!(
            !Path::new(m).exists(),
            "{m} exists: something from the repository ran"
        );
    }
}

/// A path given inside another given path is walked once: its files are
/// neither read nor counted twice.
#[test]
fn nested_paths_are_walked_once() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    write(root, "app/requirements.txt", "torch\n");
    write(root, "app/train.py", "import torch\n");
    write(root, "app/lib/model.py", "import torch.nn\n");
    write(root, "notes.py", "import os\n");
    let run = |paths: &[&str]| {
        let args = [&["check", "--format", "json", "--fail-on", "never"], paths].concat();
        let report: serde_json::Value = serde_json::from_slice(&fwlint(root, &args)).unwrap();
        let torch = &report["frameworks"][0];
        (
            report["stats"]["files_seen"].as_u64().unwrap(),
            report["stats"]["files_read"].as_u64().unwrap(),
            torch["files"].as_u64().unwrap(),
        )
    };
    assert_eq!(run(&["app", "."]), (4, 4, 3));
    assert_eq!(run(&["app/lib", "app", "app/lib"]), (3, 3, 3));
}

/// A check's report, with whether it walked the tree again; phase timings
/// (which differ from run to run) and that flag left out of the report.
fn checked(paths: &[std::path::PathBuf], budget: Option<usize>) -> (bool, String) {
    let rules = fwlint::ruleset::RuleSet::builtin().unwrap();
    let settings = fwlint::Settings {
        paths: paths.to_vec(),
        names_held_at_most: budget,
        ..fwlint::Settings::default()
    };
    let mut report = fwlint::check(&settings, &rules).unwrap();
    let again = std::mem::take(&mut report.stats.walked_again);
    report.stats.phases.clear();
    (again, format!("{report:#?}"))
}

/// A check holds the names its first walk found, within a budget of bytes,
/// instead of walking the tree again to read it; past the budget (at once,
/// or part way through, on any thread) it walks again. The report must not
/// tell the two apart: on every fixture, on a generated monorepo with
/// ignored paths and several units, and for two paths given at once.
#[test]
fn holding_the_names_or_walking_again_gives_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let corpus = common::generate_monorepo(tmp.path(), &["--files", "1500", "--seed", "7", "-q"]);
    let fixtures = common::fixture_dirs();
    let mut cases: Vec<Vec<std::path::PathBuf>> =
        fixtures.iter().map(|d| vec![d.clone()]).collect();
    cases.push(vec![corpus]);
    cases.push(fixtures[..2].to_vec());
    for paths in &cases {
        let (again, held) = checked(paths, None);
        assert!(!again, "{paths:?}: the names should have been held");
        let (again, walked) = checked(paths, Some(0));
        assert!(again, "{paths:?}: a budget of 0 holds nothing");
        assert!(
            held == walked,
            "{paths:?}: walking again changed the report"
        );
        let (_, part) = checked(paths, Some(4096));
        assert!(
            held == part,
            "{paths:?}: a budget spent part way changed the report"
        );
    }
}

/// A file whose name is not UTF-8 is reported under a lossy name, but read
/// from its own: held or walked again, its import counts.
#[cfg(unix)]
#[test]
fn a_name_that_is_not_utf8_is_still_read() {
    use std::os::unix::ffi::OsStrExt;
    let tmp = tempfile::tempdir().unwrap();
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9.py");
    std::fs::write(tmp.path().join(name), "import tensorflow as tf\n").unwrap();
    write(tmp.path(), "README.md", "# A course on deep learning\n");
    let rules = fwlint::ruleset::RuleSet::builtin().unwrap();
    for budget in [None, Some(0)] {
        let settings = fwlint::Settings {
            paths: vec![tmp.path().to_path_buf()],
            names_held_at_most: budget,
            ..fwlint::Settings::default()
        };
        let report = fwlint::check(&settings, &rules).unwrap();
        assert_eq!(report.stats.files_read, 2, "{budget:?}");
        let text = format!("{:?}", report.projects);
        assert!(text.contains("tensorflow"), "{budget:?}: {text}");
    }
}
