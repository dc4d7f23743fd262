//! `fwlint audit` and `fwlint merge`: many repositories, one report.

use super::cli::{AuditArgs, AuditFormat, ColorArgs, MergeArgs, ScanArgs};
use super::{configured_rules, emit, init_threads, paint};
use crate::config::FailOn;
use crate::report::fleet::{self, Record};
use crate::report::html;
use crate::ruleset::RuleSet;
use rayon::prelude::*;
use serde_json::Value;
use std::collections::BTreeSet;
use std::io::{IsTerminal, Read};
use std::path::Path;
use std::process::ExitCode;

pub fn audit(args: &AuditArgs) -> Result<ExitCode, String> {
    let mut repos = Vec::new();
    let mut errors = Vec::new();
    for dir in &args.dirs {
        if !dir.is_dir() {
            return Err(format!("{}: not a folder", dir.display()));
        }
        repos.extend(crate::audit::discover(dir, args.depth, &mut errors));
    }
    if let Some(list) = &args.from_file {
        repos.extend(crate::audit::read_list(&read_list_file(list)?));
    }
    if args.dirs.is_empty() && args.from_file.is_none() {
        return Err("give folders to audit, or --from-file LIST".into());
    }
    if let Some(shard) = args.shard {
        repos.retain(|r| shard.takes(r));
    }
    repos.sort();
    repos.dedup();
    init_threads(args.options.threads);
    let mut values: Vec<Value> = repos
        .par_iter()
        .map(|repo| audit_one(&args.scan_args(repo.clone())))
        .collect();
    for (dir, e) in errors {
        values.push(Record::failed(&dir.display().to_string(), &e));
    }
    let records = publish(
        values,
        args.format,
        args.output.as_deref(),
        &args.options.color,
    )?;
    Ok(exit_code(&records, args.fail_on))
}

pub fn merge(args: &MergeArgs) -> Result<ExitCode, String> {
    let mut values = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &args.files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let value: Value = serde_json::from_str(line).map_err(|e| {
                format!("{}:{}: not a JSON report ({e}); merge reads `fwlint audit --format jsonl` output", file.display(), i + 1)
            })?;
            let Some(root) = value
                .get("root")
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                return Err(format!(
                    "{}:{}: a report without `root`",
                    file.display(),
                    i + 1
                ));
            };
            // The same repository in two shards (a shard merged twice): keep one.
            if seen.insert(root) {
                values.push(value);
            }
        }
    }
    publish(values, args.format, args.output.as_deref(), &args.color)?;
    Ok(ExitCode::SUCCESS)
}

/// Sorts the reports by root and writes them in `format`: the one path from
/// reports to bytes, so a merge of shards equals the unsharded audit.
fn publish(
    mut values: Vec<Value>,
    format: AuditFormat,
    output: Option<&Path>,
    color: &ColorArgs,
) -> Result<Vec<Record>, String> {
    sort_values(&mut values);
    let rules = RuleSet::builtin().map_err(|e| e.to_string())?;
    let records = records(&values)?;
    let to_terminal = output.is_none() && std::io::stdout().is_terminal();
    let text = render(format, &values, &records, &rules, color.color, to_terminal);
    emit(&text, output)?;
    Ok(records)
}

fn read_list_file(path: &Path) -> Result<String, String> {
    if path == Path::new("-") {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("standard input: {e}"))?;
        return Ok(text);
    }
    std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// One repository's JSON report, or an error record: a repository that
/// cannot be scanned (a bad config, a missing folder, a bug) never stops
/// the audit.
fn audit_one(scan: &ScanArgs) -> Value {
    let root = scan.paths[0].display().to_string();
    let outcome = std::panic::catch_unwind(|| check_repo(scan))
        .unwrap_or_else(|_| Err("fwlint failed on this repository (internal error)".into()));
    match outcome {
        // Timing is left out so the same fleet gives the same bytes.
        Ok(report) => serde_json::from_str(&crate::report::json::render(&report, 0))
            .expect("fwlint's JSON parses"),
        Err(e) => Record::failed(&root, &e),
    }
}

fn check_repo(scan: &ScanArgs) -> Result<crate::Report, String> {
    let (settings, config) = scan.settings().map_err(|e| e.to_string())?;
    let rules = configured_rules(&config)?;
    let mut report = crate::check(&settings, &rules).map_err(|e| e.to_string())?;
    let (root, _) = crate::base_of(&settings.paths);
    report.findings = config.apply(report.findings, &rules, &root, crate::config::today());
    Ok(report)
}

fn root_of(v: &Value) -> &str {
    v.get("root").and_then(Value::as_str).unwrap_or("")
}

fn sort_values(values: &mut [Value]) {
    values.sort_by(|a, b| root_of(a).cmp(root_of(b)));
}

fn records(values: &[Value]) -> Result<Vec<Record>, String> {
    values
        .iter()
        .map(|v| {
            serde_json::from_value(v.clone()).map_err(|e| {
                format!(
                    "report for `{}` does not follow the JSON contract: {e}",
                    root_of(v)
                )
            })
        })
        .collect()
}

fn render(
    format: AuditFormat,
    values: &[Value],
    records: &[Record],
    rules: &RuleSet,
    color: super::cli::ColorChoice,
    to_terminal: bool,
) -> String {
    match format {
        AuditFormat::Table => fleet::table(records, rules, &paint(color, to_terminal)),
        AuditFormat::Csv => fleet::csv(records),
        AuditFormat::Jsonl => fleet::jsonl(values),
        AuditFormat::Markdown => fleet::markdown(records, rules),
        AuditFormat::Html => html::render(records, rules),
    }
}

fn exit_code(records: &[Record], fail_on: Option<FailOn>) -> ExitCode {
    let Some(threshold) = fail_on.and_then(FailOn::threshold) else {
        return ExitCode::SUCCESS;
    };
    let failing = records.iter().any(|r| {
        r.status() == "error"
            || r.findings.iter().any(|f| {
                crate::ruleset::Severity::parse(&f.severity).is_some_and(|s| s >= threshold)
            })
    });
    if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// The single-repository HTML page of `check --format html`.
pub fn check_html(report: &crate::Report, rules: &RuleSet) -> String {
    let value: Value = serde_json::from_str(&crate::report::json::render(report, 0))
        .expect("fwlint's JSON parses");
    let record: Record = serde_json::from_value(value).expect("fwlint's JSON follows its contract");
    html::render(&[record], rules)
}
