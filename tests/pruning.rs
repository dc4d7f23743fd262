//! A check keeps of each file, as soon as it is read, only the signals the
//! verdict can use (`judge::essentials`): that keeps memory to the evidence. The report must
//! be exactly the one built from every signal, on every fixture and on a
//! generated monorepo.

use fwlint::ruleset::RuleSet;
use fwlint::{Settings, analyse, check, scan};
use std::path::{Path, PathBuf};
use std::process::Command;

fn reports_agree(dir: &Path, rules: &RuleSet) {
    let settings = Settings {
        paths: vec![dir.to_path_buf()],
        ..Settings::default()
    };
    let full = scan(&settings, rules).unwrap();
    let every_signal = full.signals.len();
    // Phase timings differ from run to run, and the count of signals kept
    // is what pruning changes; everything else must not.
    let mut from_all = analyse(full, &settings, rules);
    let mut pruned = check(&settings, rules).unwrap();
    assert!(pruned.stats.signals_kept <= from_all.stats.signals_kept);
    for stats in [&mut from_all.stats, &mut pruned.stats] {
        stats.phases.clear();
        stats.signals_kept = 0;
    }
    let (from_all, pruned) = (format!("{from_all:#?}"), format!("{pruned:#?}"));
    assert!(
        from_all == pruned,
        "{}: the pruned check differs from the report on all {every_signal} signals",
        dir.display()
    );
}

#[test]
fn pruning_changes_no_fixture_report() {
    let rules = RuleSet::builtin().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 40, "fixtures missing");
    for dir in &dirs {
        reports_agree(dir, &rules);
    }
}

#[test]
fn pruning_changes_no_monorepo_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("mono");
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_corpus.py");
    let status = Command::new("python3")
        .arg(generator)
        .arg(&out)
        .args(["--files", "1500", "--seed", "5", "--large-mb", "1", "-q"])
        .status()
        .expect("python3 runs");
    assert!(status.success());
    let rules = RuleSet::builtin().unwrap();
    reports_agree(&out, &rules);
    // The pruning must have had something to prune, or this proves nothing.
    let settings = Settings {
        paths: vec![out.clone()],
        ..Settings::default()
    };
    let all = scan(&settings, &rules).unwrap().signals;
    let mut by_file: std::collections::BTreeMap<&str, Vec<fwlint::signal::Signal>> =
        std::collections::BTreeMap::new();
    for s in &all {
        by_file.entry(&s.path).or_default().push(s.clone());
    }
    let usable: usize = by_file
        .into_values()
        .map(|signals| fwlint::judge::essentials(signals, &rules).len())
        .sum();
    assert!(usable * 2 < all.len(), "{usable} of {}", all.len());
}

/// A small tree written by the test: the pruned check must agree with the
/// full report; returns the codes and places of its findings.
fn findings_of(files: &[(&str, &str)]) -> Vec<(String, String, u32)> {
    let tmp = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(tmp.path().join(name), text).unwrap();
    }
    let rules = RuleSet::builtin().unwrap();
    reports_agree(tmp.path(), &rules);
    let settings = Settings {
        paths: vec![tmp.path().to_path_buf()],
        ..Settings::default()
    };
    let report = check(&settings, &rules).unwrap();
    report
        .findings
        .into_iter()
        .map(|f| (f.code, f.path, f.line))
        .collect()
}

#[test]
fn an_import_that_runs_on_a_framework_is_kept() {
    // `ultralytics` matches no rule, but it runs on PyTorch: dropping it would
    // make the declared `torch` look unused (FW203).
    let findings = findings_of(&[
        ("requirements.txt", "torch==2.4\nultralytics\n"),
        (
            "train.py",
            "from ultralytics import YOLO\n\nmodel = YOLO(\"yolov8n.pt\")\n",
        ),
    ]);
    assert!(!findings.iter().any(|f| f.0 == "FW203"), "{findings:?}");
}

#[test]
fn the_first_required_import_is_kept_even_when_not_the_best_evidence() {
    // The class-level import is the file's best PyTorch evidence (same
    // weight, earlier); only the module-level one below is a required import,
    // which FW202 (imported but not declared) cites.
    let findings = findings_of(&[
        ("requirements.txt", "numpy\n"),
        (
            "model.py",
            "class Backend:\n    import torch\n\nimport torch\n",
        ),
    ]);
    let fw202: Vec<_> = findings.iter().filter(|f| f.0 == "FW202").collect();
    assert_eq!(fw202, [&("FW202".to_string(), "model.py".to_string(), 4)]);
}
