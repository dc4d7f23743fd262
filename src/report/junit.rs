//! JUnit XML, as CI test-report parsers read it (Jenkins xUnit, GitLab,
//! Azure): one test case per finding; warnings and errors fail, info passes
//! with its message on system-out. A clean run is one passing test case.

use crate::Report;
use crate::report::escape_markup as escape;
use crate::ruleset::Severity;
use crate::signal::location;
use std::fmt::Write;

pub fn render(report: &Report) -> String {
    let failing = report
        .findings
        .iter()
        .filter(|f| f.severity >= Severity::Warning)
        .count();
    let tests = report.findings.len().max(1);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n");
    let _ = writeln!(
        out,
        "  <testsuite name=\"fwlint\" tests=\"{tests}\" failures=\"{failing}\" errors=\"0\" skipped=\"0\">"
    );
    let _ = writeln!(
        out,
        "    <properties>\n      <property name=\"verdict\" value=\"{}\"/>\n      <property name=\"summary\" value=\"{}\"/>\n    </properties>",
        report.verdict.status.as_str(),
        escape(&report.verdict.summary)
    );
    if report.findings.is_empty() {
        let _ = writeln!(
            out,
            "    <testcase name=\"no findings\" classname=\"fwlint\"/>"
        );
    }
    for f in &report.findings {
        let at = location(&f.path, f.cell, f.line, f.column);
        let text = escape(&format!("{at}: {} {}", f.code, f.message));
        let _ = write!(
            out,
            "    <testcase name=\"{} {}\" classname=\"fwlint.{}\">",
            escape(&f.code),
            escape(&at),
            escape(&f.name)
        );
        if f.severity >= Severity::Warning {
            let _ = write!(
                out,
                "<failure type=\"{}\" message=\"{}\">{text}</failure>",
                escape(&f.code),
                escape(&f.message)
            );
        } else {
            let _ = write!(out, "<system-out>{text}</system-out>");
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}
