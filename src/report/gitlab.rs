//! GitLab Code Quality report (JSON array of issues). Fingerprints hash the
//! rule, file, project and message, not the line, so they survive edits above.

use crate::Report;
use crate::ruleset::Severity;
use serde_json::json;

/// FNV-1a, 64 bits: stable across runs, platforms and Rust versions.
fn fingerprint(parts: &[&str]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in part.bytes().chain([0]) {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{hash:016x}")
}

pub fn render(report: &Report) -> String {
    let issues: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            let severity = match f.severity {
                Severity::Info => "info",
                Severity::Warning => "major",
                Severity::Error => "critical",
            };
            let description = match f.cell {
                Some(cell) => format!("{} {} (cell {cell}, line {})", f.code, f.message, f.line),
                None => format!("{} {}", f.code, f.message),
            };
            json!({
                "type": "issue",
                "check_name": format!("{} {}", f.code, f.name),
                "description": description,
                "categories": ["Style"],
                "fingerprint": fingerprint(&[&f.code, &f.path, &f.project, &f.message]),
                "severity": severity,
                "location": {"path": f.path, "lines": {"begin": if f.cell.is_some() { 1 } else { f.line.max(1) }}},
            })
        })
        .collect();
    let mut s = serde_json::to_string_pretty(&issues).expect("report serialises");
    s.push('\n');
    s
}
