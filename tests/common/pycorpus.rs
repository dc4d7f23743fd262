//! Real Python to test readers on: the interpreter's standard library and
//! the fixtures' sources.

// Each test crate compiles this module and uses only some of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn python() -> String {
    std::env::var("PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The standard library of the `python3` on the path (or `$PYTHON`).
pub fn stdlib() -> PathBuf {
    let out = Command::new(python())
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['stdlib'])",
        ])
        .output()
        .expect("python3 must be installed for this test");
    assert!(out.status.success(), "python3 failed to report its stdlib");
    PathBuf::from(String::from_utf8(out.stdout).unwrap().trim())
}

/// Every `.py` file under `root`, sorted, third-party packages left out.
pub fn python_files(root: &Path) -> Vec<PathBuf> {
    let mut files: Vec<_> = ignore::WalkBuilder::new(root)
        .standard_filters(false)
        .filter_entry(|e| e.file_name() != "site-packages")
        .build()
        .filter_map(Result::ok)
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|x| x == "py") && p.is_file())
        .collect();
    files.sort();
    files
}
