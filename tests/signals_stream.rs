//! `fwlint signals` writes each file's signals as the scan goes
//! (`scan_streamed`), holding a batch of files, not the tree. Its output must
//! be exactly the sorted list of every signal `scan` collects: on every
//! fixture, on a generated monorepo, and where included requirements files
//! sort before, between and onto the walked files.

mod common;

use fwlint::ruleset::RuleSet;
use fwlint::signal::Signal;
use fwlint::{Settings, scan, scan_streamed};
use std::path::Path;

fn settings(dir: &Path) -> Settings {
    Settings {
        paths: vec![dir.to_path_buf()],
        ..Settings::default()
    }
}

/// The streamed signals, checking on the way that each call is one path.
fn streamed(dir: &Path, rules: &RuleSet) -> (Vec<Signal>, fwlint::Scan) {
    let mut all: Vec<Signal> = Vec::new();
    let summary = scan_streamed(&settings(dir), rules, &mut |signals| {
        if let Some(first) = signals.first() {
            assert!(
                signals.iter().all(|s| s.path == first.path),
                "one path a call"
            );
        }
        all.extend_from_slice(signals);
        Ok(())
    })
    .unwrap();
    (all, summary)
}

fn streams_as_scanned(dir: &Path, rules: &RuleSet) -> usize {
    let collected = scan(&settings(dir), rules).unwrap();
    let (signals, summary) = streamed(dir, rules);
    assert!(
        signals == collected.signals,
        "{}: streamed signals differ from the scan's",
        dir.display()
    );
    assert_eq!(
        summary.diagnostics,
        collected.diagnostics,
        "{}",
        dir.display()
    );
    assert_eq!(summary.stats.files_read, collected.stats.files_read);
    assert_eq!(summary.stats.signals_kept, collected.stats.signals_kept);
    signals.len()
}

#[test]
fn every_fixture_streams_its_scan() {
    let rules = RuleSet::builtin().unwrap();
    let dirs = common::fixture_dirs();
    let total: usize = dirs.iter().map(|d| streams_as_scanned(d, &rules)).sum();
    assert!(total > 300, "only {total} signals compared");
}

#[test]
fn a_monorepo_streams_its_scan_across_batches() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::generate_monorepo(tmp.path(), &["--files", "1500", "--seed", "7", "-q"]);
    let rules = RuleSet::builtin().unwrap();
    // Over 1,500 files: several batches.
    assert!(streams_as_scanned(&out, &rules) > 1500);
}

#[test]
fn included_requirements_take_their_place_in_the_order() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let write = |rel: &str, text: &str| {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    // Included files no walk classifies as requirements: one sorting before
    // every walked file, one between two, one after all; and a walked
    // pyproject.toml included as well, whose signals come twice, together.
    write(
        "requirements.txt",
        "-r aaa/base.cfg\n-r zzz/last.cfg\n-r pyproject.toml\ntorch==2.3\n",
    );
    write("aaa/base.cfg", "numpy\n-r ../mid/shared.cfg\n");
    write("mid/shared.cfg", "tensorflow\n");
    write("zzz/last.cfg", "jax\n");
    write("b/model.py", "import torch\n");
    write("n/train.py", "import keras\n");
    write(
        "pyproject.toml",
        "[project]\nname = \"x\"\ndependencies = [\"transformers\"]\n",
    );
    let rules = RuleSet::builtin().unwrap();
    streams_as_scanned(root, &rules);
    let (signals, _) = streamed(root, &rules);
    let paths: Vec<&str> = signals.iter().map(|s| s.path.as_str()).collect();
    for included in ["aaa/base.cfg", "mid/shared.cfg", "zzz/last.cfg"] {
        assert!(paths.contains(&included), "{included} not read: {paths:?}");
    }
    assert!(paths.is_sorted(), "{paths:?}");
}

#[test]
fn the_signals_command_says_which_files_it_could_not_read() {
    let tmp = tempfile::tempdir().unwrap();
    // The bracket left open hides the lazy import after it.
    let source = "import torch\nx = (\ndef f():\n    import jax\n";
    std::fs::write(tmp.path().join("a.py"), source).unwrap();
    std::fs::write(tmp.path().join("b.ipynb"), "{not json").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .arg("signals")
        .arg(tmp.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    // The good part of a file still gives its signals; the problems go to
    // stderr, one per line, in place order.
    assert!(stdout.contains(r#""key":"torch""#), "{stdout}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(lines[0].starts_with("a.py:2:5: FW002 "), "{stderr}");
    assert!(lines[1].starts_with("b.ipynb:"), "{stderr}");
}
