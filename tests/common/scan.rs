//! Comparing the token scan of Python with the parser-based reading; shared
//! by `tests/python_scan.rs` and `examples/scan_vs_parse.rs`.

use fwlint::extract::python;
use fwlint::signal::Extracted;

pub const URIS: &[&str] = &["gs://", "s3://", "hf://"];

/// Signals as comparable lines, and whether a syntax error was reported.
pub fn run(f: impl FnOnce(&mut Extracted)) -> (Vec<String>, bool) {
    let mut out = Extracted::default();
    f(&mut out);
    let mut lines: Vec<String> = out
        .signals
        .iter()
        .map(|s| {
            format!(
                "{}:{} {} {} {:?} {:?}",
                s.line,
                s.column,
                s.kind.as_str(),
                s.key,
                s.context,
                s.names
            )
        })
        .collect();
    lines.sort();
    let error = out.diagnostics.iter().any(|d| d.code == "FW002");
    (lines, error)
}

/// `None` when the parser rejects the source; else whether both agree.
pub fn compare(source: &str, notebook: bool) -> Option<Result<(), String>> {
    let parsed = run(|o| python::extract_by_parsing(source, notebook, URIS, o));
    if parsed.1 {
        return None;
    }
    let scanned = run(|o| python::extract(source, notebook, URIS, o));
    if scanned == parsed {
        return Some(Ok(()));
    }
    Some(Err(format!(
        "scan {:?} (error: {})\nparse {:?}",
        scanned.0, scanned.1, parsed.0
    )))
}
