//! `-r` includes: a requirements file that the walk does not classify (it
//! is only reached through an include) declares for each unit including it,
//! whichever unit's folder it lies in, and the tree counts it once.

mod common;

use common::write;
use fwlint::findings::Findings;
use fwlint::ruleset::RuleSet;
use fwlint::{Settings, analyse, check, scan};
use std::path::Path;

/// Two services include pins that live in a third unit's folder; the pins
/// include more pins.
fn shared_pins(root: &Path) {
    write(
        root,
        "common/pyproject.toml",
        "[project]\nname = \"common\"\nversion = \"1\"\n",
    );
    write(root, "common/pins/base.txt", "torch==2.3\n-r more.txt\n");
    write(root, "common/pins/more.txt", "tensorflow==2.16\n");
    write(root, "svc/requirements.txt", "-r ../common/pins/base.txt\n");
    write(root, "svc/train.py", "import torch\n");
    write(root, "web/requirements.txt", "-r ../common/pins/base.txt\n");
    write(root, "web/app.py", "import flask\n");
}

fn codes_by_project(findings: &Findings) -> Vec<(String, String, String)> {
    findings
        .iter()
        .map(|f| (f.code.clone(), f.project.clone(), f.path.clone()))
        .collect()
}

#[test]
fn an_include_declares_for_every_unit_that_includes_it() {
    let tmp = tempfile::tempdir().unwrap();
    shared_pins(tmp.path());
    let rules = RuleSet::builtin().unwrap();
    let settings = Settings {
        paths: vec![tmp.path().to_path_buf()],
        ..Settings::default()
    };
    let report = check(&settings, &rules).unwrap();
    let found = codes_by_project(&report.findings);
    // `svc` declares torch through its include: no FW202 there.
    assert!(
        !found.iter().any(|(code, _, _)| code == "FW202"),
        "{found:?}"
    );
    // Nothing imports TensorFlow: each including unit declares it unused,
    // at the line that declares it.
    let unused: Vec<_> = found.iter().filter(|(c, _, _)| c == "FW203").collect();
    let pins = "common/pins/more.txt".to_string();
    assert_eq!(
        unused,
        [
            &("FW203".to_string(), "svc".to_string(), pins.clone()),
            &("FW203".to_string(), "web".to_string(), pins)
        ]
    );
    // The tree counts the shared pins once: TensorFlow, declared in one
    // file, stays below the framework threshold as in any one unit.
    let tree: Vec<&str> = report
        .rollup
        .frameworks
        .iter()
        .map(|f| f.id.as_str())
        .collect();
    assert_eq!(tree, ["pytorch"]);
    // A report built from every signal of a scan agrees.
    let mut from_scan = analyse(scan(&settings, &rules).unwrap(), &settings, &rules);
    let mut checked = report;
    for stats in [&mut from_scan.stats, &mut checked.stats] {
        stats.phases.clear();
        stats.signals_kept = 0;
    }
    assert_eq!(format!("{from_scan:#?}"), format!("{checked:#?}"));
}
