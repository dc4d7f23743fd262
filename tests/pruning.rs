//! A check drops, as soon as a file is read, every signal the verdict cannot
//! use (`judge::can_use`): that keeps memory to the evidence. The report must
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
    let from_all = format!("{:#?}", analyse(full, &settings, rules));
    let pruned = format!("{:#?}", check(&settings, rules).unwrap());
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
    let usable = all
        .iter()
        .filter(|s| fwlint::judge::can_use(s, &rules))
        .count();
    assert!(usable * 2 < all.len(), "{usable} of {}", all.len());
}

#[test]
fn an_import_that_runs_on_a_framework_is_kept() {
    // `ultralytics` matches no rule, but it runs on PyTorch: dropping it would make
    // the declared `torch` look unused (FW203).
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(
        tmp.path().join("requirements.txt"),
        "torch==2.4\nultralytics\n",
    )
    .unwrap();
    std::fs::write(
        tmp.path().join("train.py"),
        "from ultralytics import YOLO\n\nmodel = YOLO(\"yolov8n.pt\")\n",
    )
    .unwrap();
    let rules = RuleSet::builtin().unwrap();
    reports_agree(tmp.path(), &rules);
    let settings = Settings {
        paths: vec![tmp.path().to_path_buf()],
        ..Settings::default()
    };
    let report = check(&settings, &rules).unwrap();
    assert!(
        !report.findings.iter().any(|f| f.code == "FW203"),
        "{:?}",
        report.findings
    );
}
