//! Helpers shared by the integration tests.

// Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

use std::path::Path;

/// Writes `text` to `root/rel`, making its folders.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// Runs `command`; its standard output. A failed run fails the test with
/// the command's standard error.
pub fn stdout_of(command: &mut std::process::Command) -> Vec<u8> {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Copies a folder tree (regular files and folders).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Runs a Python program with `input` on stdin and parses the JSON it prints:
/// Python's own modules (re, csv) are the reference readers.
pub fn python_json<T: serde::de::DeserializeOwned>(program: &str, input: &[u8]) -> T {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("python3")
        .args(["-c", program])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{program}");
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ids of the frameworks a JSON report lists, in its order.
pub fn framework_ids(report: &serde_json::Value) -> Vec<&str> {
    report["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect()
}

/// Every fixture's folder (the mini repositories under `fixtures/`), sorted.
pub fn fixture_dirs() -> Vec<std::path::PathBuf> {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut dirs: Vec<_> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() > 40, "fixtures missing");
    dirs
}

/// A monorepo from `bench/gen_corpus.py` (the benchmarks' generator) in
/// `dir/mono`, made with the generator's `args`.
pub fn generate_monorepo(dir: &Path, args: &[&str]) -> std::path::PathBuf {
    let out = dir.join("mono");
    let generator = Path::new(env!("CARGO_MANIFEST_DIR")).join("bench/gen_corpus.py");
    let status = std::process::Command::new("python3")
        .arg(generator)
        .arg(&out)
        .args(args)
        .status()
        .expect("python3 runs the generator");
    assert!(status.success(), "gen_corpus.py failed");
    out
}
