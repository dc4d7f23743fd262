//! Differential test: fwlint's `import` signals against CPython's own `ast`
//! over the machine's whole standard library (about 2,000 files, tests and
//! their tricky encodings included). Passing means identical (line, module)
//! lists on at least 99.5% of the files CPython parses.
//!
//! python3 is on every machine this project runs on (see .ci/run); without it
//! the test fails rather than passing vacuously.

mod common;
#[path = "common/pycorpus.rs"]
mod pycorpus;

use pycorpus::{python, stdlib};
use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(serde::Deserialize)]
struct Reference {
    parsed: BTreeMap<String, Vec<(u32, String)>>,
    failed: Vec<String>,
}

#[derive(serde::Deserialize)]
struct SignalLine {
    path: String,
    line: u32,
    kind: String,
    key: String,
}

fn reference(root: &Path, dir: &Path) -> Reference {
    let dest = dir.join("reference.json");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cpython_imports.py");
    let status = Command::new(python())
        .arg(&script)
        .arg(root)
        .arg(&dest)
        .status()
        .expect("run python3");
    assert!(status.success(), "cpython_imports.py failed");
    serde_json::from_slice(&std::fs::read(dest).unwrap()).unwrap()
}

fn fwlint_imports(root: &Path) -> HashMap<String, Vec<(u32, String)>> {
    // Several paths: relative paths are then taken from the working directory.
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| PathBuf::from(e.unwrap().file_name()))
        .filter(|p| p != Path::new("site-packages"))
        .collect();
    entries.sort();
    let out = common::stdout_of(
        Command::new(env!("CARGO_BIN_EXE_fwlint"))
            .current_dir(root)
            .args(["signals", "--no-ignore", "--hidden", "--format", "jsonl"])
            .args(&entries),
    );
    let mut got: HashMap<String, Vec<(u32, String)>> = HashMap::new();
    for line in String::from_utf8(out).unwrap().lines() {
        let s: SignalLine = serde_json::from_str(line).unwrap();
        if s.kind == "import" {
            got.entry(s.path).or_default().push((s.line, s.key));
        }
    }
    for v in got.values_mut() {
        v.sort();
    }
    got
}

#[test]
fn imports_match_cpython_ast_on_the_standard_library() {
    let root = stdlib();
    let tmp = tempfile::tempdir().unwrap();
    let reference = reference(&root, tmp.path());
    let got = fwlint_imports(&root);
    let total = reference.parsed.len();
    assert!(total > 500, "expected a real corpus, found {total} files");
    let mut mismatched = Vec::new();
    for (path, want) in &reference.parsed {
        let have = got.get(path).cloned().unwrap_or_default();
        if &have != want {
            mismatched.push((path, want.len(), have.len()));
        }
    }
    let rate = 1.0 - mismatched.len() as f64 / total as f64;
    eprintln!(
        "CPython differential: {} files parsed by CPython ({} it rejects), {} mismatched, agreement {:.3}%",
        total,
        reference.failed.len(),
        mismatched.len(),
        rate * 100.0
    );
    for (path, want, have) in mismatched.iter().take(20) {
        eprintln!("  mismatch {path}: CPython {want} imports, fwlint {have}");
    }
    assert!(
        rate >= 0.995,
        "agreement {:.3}% is below 99.5%",
        rate * 100.0
    );
}
