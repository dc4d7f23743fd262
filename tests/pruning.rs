//! A check keeps of each file, as soon as it is read, only the signals the
//! verdict can use (`judge::essentials`): that keeps memory to the evidence. The report must
//! be exactly the one built from every signal, on every fixture and on a
//! generated monorepo.

mod common;

use fwlint::ruleset::RuleSet;
use fwlint::{Settings, analyse, check, scan};
use std::path::Path;

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
    let dirs = common::fixture_dirs();
    for dir in &dirs {
        reports_agree(dir, &rules);
    }
}

#[test]
fn pruning_changes_no_monorepo_report() {
    let tmp = tempfile::tempdir().unwrap();
    let out = common::generate_monorepo(
        tmp.path(),
        &["--files", "1500", "--seed", "5", "--large-mb", "1", "-q"],
    );
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
    let mut usable = 0;
    for (path, signals) in by_file {
        let kept = fwlint::judge::essentials(signals, &rules);
        usable += kept.len();
        // A check keeps a file's signals once; what it keeps, kept again,
        // must stay as it is (`extract::Keep`).
        let again = fwlint::judge::essentials(kept.clone(), &rules);
        assert!(
            again == kept,
            "{path}: keeping the kept signals changed them"
        );
    }
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
        .iter()
        .map(|f| (f.code.clone(), f.path.clone(), f.line))
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

/// A notebook large enough to be pruned while its cells are read: the
/// check keeps, cell batch by cell batch, what it would keep of the whole,
/// under a path context (`tests/`) that changes the weights.
#[test]
fn a_large_notebook_pruned_as_read_gives_the_same_report() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("tests");
    std::fs::create_dir_all(&dir).unwrap();
    // Under `tests/` every import weighs the same (the test context is the
    // lowest), so this function-level import, the first, is the best
    // evidence of its goal rule; weighed without the path's context it
    // would lose to the module-level ones below.
    let mut cells = vec![serde_json::json!({
        "cell_type": "code", "metadata": {}, "outputs": [],
        "execution_count": null, "source": "def demo():\n    import gradio\n",
    })];
    for i in 0..6000 {
        let source = match i % 6 {
            0 => "import os\nimport numpy as np\n".to_string(),
            1 => format!("def f{i}():\n    import torch\n    return torch.zeros({i})\n"),
            2 => "try:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\n".into(),
            3 => "from transformers import AutoModel\nimport gradio as gr\n".into(),
            4 if i % 60 == 4 => "%pip install keras\nimport keras\n".into(),
            4 => "import keras\n".into(),
            _ => format!("x{i} = 'gs://bucket/{i}'\nimport jax\n"),
        };
        cells.push(serde_json::json!({
            "cell_type": "code", "metadata": {}, "outputs": [],
            "execution_count": null, "source": source,
        }));
    }
    // One module-level PyTorch import, late, so the kept first one changes.
    cells.push(serde_json::json!({
        "cell_type": "code", "metadata": {}, "outputs": [],
        "execution_count": null, "source": "import torch\n",
    }));
    let nb = serde_json::json!({
        "cells": cells, "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"language_info": {"name": "python"}},
    });
    std::fs::write(dir.join("big.ipynb"), nb.to_string()).unwrap();
    std::fs::write(tmp.path().join("requirements.txt"), "torch\n").unwrap();
    let rules = RuleSet::builtin().unwrap();
    reports_agree(tmp.path(), &rules);
    let settings = Settings {
        paths: vec![tmp.path().to_path_buf()],
        ..Settings::default()
    };
    let every = scan(&settings, &rules).unwrap().signals.len();
    let kept = check(&settings, &rules).unwrap().stats.signals_kept;
    assert!(every > 8000 && kept < 200, "{kept} of {every}");
}
