//! Helpers shared by the integration tests.

// Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

use std::path::Path;

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
