//! fwlint's binary: parse arguments, run the pipeline, render, map to an exit code.

mod cli;

use clap::Parser;
use cli::{Cli, Command};
use fwlint::config::FailOn;
use fwlint::report::{self, Paint};
use fwlint::ruleset::RuleSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fwlint: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn paint(choice: cli::ColorChoice, to_terminal: bool) -> Paint {
    Paint {
        color: choice.enabled(to_terminal),
    }
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let rules = RuleSet::builtin().map_err(|e| format!("built-in rules: {e}"))?;
    let stdout_tty = std::io::stdout().is_terminal();
    match cli.command {
        Command::Init { dir } => {
            let path = dir.join("fwlint.toml");
            // create_new: an existing file is never overwritten.
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| f.write_all(fwlint::config::STARTER.as_bytes()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(color) => {
            emit(
                &report::rules::list(&rules, &paint(color.color, stdout_tty)),
                None,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rule { code, color } => match rules.code(&code) {
            Some(doc) => {
                emit(
                    &report::rules::doc(doc, &paint(color.color, stdout_tty)),
                    None,
                )?;
                Ok(ExitCode::SUCCESS)
            }
            None => Err(format!("no rule `{code}`; `fwlint rules` lists them")),
        },
        Command::Signals(args) => {
            let (settings, _) = args.scan.settings().map_err(|e| e.to_string())?;
            init_threads(settings.walk.threads);
            let scan = fwlint::scan(&settings, &rules).map_err(|e| e.to_string())?;
            emit(&report::json::signals_jsonl(&scan.signals), None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain(args) => {
            let (settings, _) = args.settings().map_err(|e| e.to_string())?;
            init_threads(settings.walk.threads);
            let report = fwlint::check(&settings, &rules).map_err(|e| e.to_string())?;
            emit(
                &report::explain::render(&report, &rules, &paint(args.color.color, stdout_tty)),
                None,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(args, &rules, stdout_tty),
    }
}

fn check(args: cli::CheckArgs, rules: &RuleSet, stdout_tty: bool) -> Result<ExitCode, String> {
    let started = Instant::now();
    let (settings, config) = args.scan.settings().map_err(|e| e.to_string())?;
    init_threads(settings.walk.threads);
    let mut report = fwlint::check(&settings, rules).map_err(|e| e.to_string())?;
    config.apply(&mut report.findings);
    let to_terminal = args.output.is_none() && stdout_tty;
    let text = match args.format {
        cli::Format::Text => {
            let p = paint(args.scan.color.color, to_terminal);
            if args.statistics {
                report::text::statistics(&report)
            } else if args.quiet {
                report::text::findings_only(&report, &p)
            } else {
                report::text::render(&report, rules, &p)
            }
        }
        cli::Format::Sarif => report::sarif::render(&report, rules),
        cli::Format::Github => {
            // In a GitHub job, the Markdown summary also goes to the job page.
            if let Some(summary) = std::env::var_os("GITHUB_STEP_SUMMARY").filter(|s| !s.is_empty())
            {
                append(
                    Path::new(&summary),
                    &report::markdown::render(&report, rules),
                )?;
            }
            report::github::render(&report)
        }
        cli::Format::Gitlab => report::gitlab::render(&report),
        cli::Format::Junit => report::junit::render(&report),
        cli::Format::Markdown => report::markdown::render(&report, rules),
        cli::Format::Json => {
            let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            report::json::render(&report, elapsed)
        }
    };
    emit(&text, args.output.as_deref())?;
    let fail_on = if args.exit_zero {
        FailOn::Never
    } else {
        args.fail_on.or(config.fail_on).unwrap_or(FailOn::Warning)
    };
    let failing = fail_on
        .threshold()
        .is_some_and(|t| report.findings.iter().any(|f| f.severity >= t));
    Ok(if failing {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn append(path: &Path, text: &str) -> Result<(), String> {
    use std::io::Write as _;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(|e| format!("{}: {e}", path.display()))
}

fn init_threads(threads: usize) {
    // Only the first call can set the global pool; later ones are harmless.
    // Parsers recurse; a roomy stack keeps the nesting guard far from the edge.
    let _ = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .stack_size(16 * 1024 * 1024)
        .build_global();
}

/// Writes to stdout, or to a file via a temporary sibling and a rename so a
/// reader never sees half a report.
fn emit(text: &str, output: Option<&Path>) -> Result<(), String> {
    let Some(path) = output else {
        let mut out = std::io::stdout().lock();
        return match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
            Ok(()) => Ok(()),
            // A closed pipe (`fwlint … | head`) is not an error worth a message.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(format!("writing output: {e}")),
        };
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.fwlint-tmp"));
    std::fs::write(&tmp, text)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
}
