//! The command-line application behind the `fwlint` and `cargo-fwlint`
//! binaries: parse arguments, run the pipeline, render, map to an exit code.

mod audit;
mod cli;
mod progress;

use crate::baseline::Baseline;
use crate::config::{Config, FailOn};
use crate::report::{self, Paint};
use crate::ruleset::RuleSet;
use clap::{CommandFactory, FromArgMatches};
use cli::{Cli, Command};
use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// Runs fwlint on these arguments (the first is the program name).
pub fn main(args: Vec<OsString>) -> ExitCode {
    let args = cargo_subcommand_args(args);
    let mut command = Cli::command();
    if is_cargo(&args) {
        command = command.bin_name("cargo fwlint");
    }
    let cli = match command
        .try_get_matches_from(args)
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("fwlint: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn is_cargo(args: &[OsString]) -> bool {
    args.first()
        .and_then(|a| Path::new(a).file_stem())
        .is_some_and(|stem| stem == "cargo-fwlint")
}

/// `cargo fwlint check` runs `cargo-fwlint fwlint check`: drop the
/// subcommand name cargo passes first.
fn cargo_subcommand_args(mut args: Vec<OsString>) -> Vec<OsString> {
    if is_cargo(&args) && args.get(1).is_some_and(|a| a == "fwlint") {
        args.remove(1);
    }
    args
}

fn paint(choice: cli::ColorChoice, to_terminal: bool) -> Paint {
    Paint {
        color: choice.enabled(to_terminal),
    }
}

/// The built-in rules alone, for the commands that document them. Built
/// where needed, not for every command: compiling them is most of what a
/// check of a small tree costs.
fn builtin_rules() -> Result<RuleSet, String> {
    RuleSet::builtin().map_err(|e| format!("built-in rules: {e}"))
}

fn run(cli: Cli) -> Result<ExitCode, String> {
    let stdout_tty = std::io::stdout().is_terminal();
    match cli.command {
        Command::Init { dir } => {
            let path = dir.join("fwlint.toml");
            // create_new: an existing file is never overwritten.
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)
                .and_then(|mut f| f.write_all(crate::config::STARTER.as_bytes()))
                .map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote {}", path.display());
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit(args) => audit::audit(&args),
        Command::Merge(args) => audit::merge(&args),
        Command::Completions { shell } => {
            let mut out = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "fwlint", &mut out);
            emit(&String::from_utf8_lossy(&out), None)?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out_dir } => {
            man_pages(out_dir.as_deref())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rules(color) => {
            emit(
                &report::rules::list(&builtin_rules()?, &paint(color.color, stdout_tty)),
                None,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Rule { code, color } => match builtin_rules()?.code(&code) {
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
            let (settings, config) = args.scan.settings().map_err(|e| e.to_string())?;
            let rules = configured_rules(&config)?;
            init_threads(settings.walk.threads);
            // Written as the scan goes: the tree's signals are never held.
            let mut failed = None;
            emit_with(None, &mut |out| {
                let written = crate::scan_streamed(&settings, &rules, &mut |signals| {
                    report::json::write_signals_jsonl(signals, out)
                });
                match written {
                    Ok(scan) => {
                        report_diagnostics(&scan.diagnostics);
                        Ok(())
                    }
                    Err(crate::Error::Output(e)) => Err(e),
                    Err(e) => {
                        failed = Some(e.to_string());
                        Ok(())
                    }
                }
            })?;
            match failed {
                Some(e) => Err(e),
                None => Ok(ExitCode::SUCCESS),
            }
        }
        Command::Explain(args) => {
            let (settings, config) = args.settings().map_err(|e| e.to_string())?;
            let rules = configured_rules(&config)?;
            init_threads(settings.walk.threads);
            let report = crate::check(&settings, &rules).map_err(|e| e.to_string())?;
            emit(
                &report::explain::render(
                    &report,
                    &rules,
                    &paint(args.options.color.color, stdout_tty),
                ),
                None,
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Check(args) => check(args, stdout_tty),
    }
}

/// The built-in rules with the config's rule packs and `[guidance]`.
fn configured_rules(config: &Config) -> Result<RuleSet, String> {
    let packs = config.rule_packs().map_err(|e| e.to_string())?;
    let mut rules = if packs.is_empty() {
        RuleSet::builtin()
    } else {
        let packs: Vec<(&str, &str)> = packs
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        RuleSet::with_packs(&packs)
    }
    .map_err(|e| e.to_string())?;
    config
        .apply_guidance(&mut rules)
        .map_err(|e| e.to_string())?;
    config.check_codes(&rules).map_err(|e| e.to_string())?;
    Ok(rules)
}

fn check(args: cli::CheckArgs, stdout_tty: bool) -> Result<ExitCode, String> {
    let started = Instant::now();
    let (settings, mut config) = args.scan.settings().map_err(|e| e.to_string())?;
    if !args.select.is_empty() {
        config.select.clone_from(&args.select);
    }
    config
        .extend_select
        .extend(args.extend_select.iter().cloned());
    config.ignore.extend(args.ignore.iter().cloned());
    let mut settings = settings;
    let baseline = args
        .baseline
        .as_deref()
        .map(Baseline::load)
        .transpose()
        .map_err(|e| e.to_string());
    init_threads(settings.walk.threads);
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    let display = progress::wanted(std::io::stderr().is_terminal(), ci, args.quiet).then(|| {
        let counters = std::sync::Arc::new(crate::Progress::default());
        settings.progress = Some(std::sync::Arc::clone(&counters));
        progress::Display::start(counters)
    });
    // The walk needs no rules: they are built while it runs (a third of a
    // small tree's check). Here, not on the other thread: built on a
    // thread of their own, their memory came from a fresh allocator heap
    // and the check was slower, not faster. Errors keep their order:
    // the rules', the baseline's, then the walk's.
    let (rules, walked) = std::thread::scope(|s| {
        let walked = s.spawn(|| crate::walk_for_check(&settings));
        let rules = configured_rules(&config);
        let walked = walked
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (rules, walked)
    });
    let result = rules.and_then(|rules| {
        let baseline = baseline?;
        let walked = walked.map_err(|e| e.to_string())?;
        Ok((
            crate::check_walked(walked, &settings, &rules),
            rules,
            baseline,
        ))
    });
    if let Some(d) = display {
        d.finish();
    }
    let (mut report, rules, baseline) = result?;
    let rules = &rules;
    let (root, _) = crate::base_of(&settings.paths);
    report.findings = config.apply(report.findings, rules, &root, crate::config::today());
    if args.verbose {
        verbose(&config, rules, &report, started);
    }
    if let Some(path) = &args.write_baseline {
        emit(&crate::baseline::render(&report.findings), Some(path))?;
        eprintln!(
            "fwlint: recorded {} finding{} in {}",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" },
            path.display()
        );
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(b) = &baseline {
        let (shown, hidden) = b.filter(report.findings);
        report.findings = shown;
        if hidden > 0 && !args.quiet {
            let s = if hidden == 1 { "" } else { "s" };
            eprintln!("fwlint: {hidden} known finding{s} from the baseline not shown");
        }
    }
    let to_terminal = args.output.is_none() && stdout_tty;
    let text = match args.format {
        cli::Format::Text => {
            let p = paint(args.scan.options.color.color, to_terminal);
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
        cli::Format::Html => audit::check_html(&report, rules),
        cli::Format::Json => {
            let elapsed = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            // Written as serialised: the report of a monorepo is large.
            emit_with(args.output.as_deref(), &mut |out| {
                report::json::write(&report, elapsed, out)
            })?;
            String::new()
        }
    };
    if args.format != cli::Format::Json {
        emit(&text, args.output.as_deref())?;
    }
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

/// The man page of fwlint on stdout, or a page per command into `dir`.
fn man_pages(dir: Option<&Path>) -> Result<(), String> {
    let command = Cli::command();
    let render = |cmd: clap::Command| {
        let mut out = Vec::new();
        clap_mangen::Man::new(cmd)
            .render(&mut out)
            .map(|()| String::from_utf8_lossy(&out).into_owned())
            .map_err(|e| format!("rendering the man page: {e}"))
    };
    let Some(dir) = dir else {
        return emit(&render(command)?, None);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let subcommands: Vec<clap::Command> = command
        .get_subcommands()
        .filter(|c| c.get_name() != "help")
        .map(|c| c.clone().name(format!("fwlint-{}", c.get_name())))
        .collect();
    for page in std::iter::once(command).chain(subcommands) {
        let name = format!("{}.1", page.get_name());
        emit(&render(page)?, Some(&dir.join(name)))?;
    }
    Ok(())
}

/// `--verbose`: what the run used, on stderr.
fn verbose(config: &Config, rules: &RuleSet, report: &crate::Report, started: Instant) {
    match &config.source {
        Some(p) => eprintln!("fwlint: config {}", p.display()),
        None => eprintln!("fwlint: no config file"),
    }
    for p in &config.rules {
        eprintln!("fwlint: rule pack {}", p.display());
    }
    eprintln!(
        "fwlint: {} signal rules, {} finding rules",
        rules.rules.len(),
        rules.codes.len()
    );
    let s = &report.stats;
    eprintln!(
        "fwlint: {} files seen, {} read ({} bytes), {} signals kept, {} project unit(s)",
        s.files_seen,
        s.files_read,
        s.bytes_read,
        s.signals_kept,
        report.projects.len()
    );
    for (why, n) in &s.skipped {
        eprintln!("fwlint: skipped {n} file(s): {why}");
    }
    if s.walked_again {
        eprintln!("fwlint: too many names to hold: the tree was walked twice");
    }
    let phases: Vec<String> = s
        .phases
        .iter()
        .map(|(name, took)| format!("{name} {} ms", took.as_millis()))
        .collect();
    eprintln!("fwlint: {}", phases.join(", "));
    eprintln!("fwlint: done in {} ms", started.elapsed().as_millis());
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
/// Files `fwlint signals` could not read as they should, on stderr (its
/// output is signals only), as a check lists them.
fn report_diagnostics(diagnostics: &[crate::signal::Diagnostic]) {
    for d in diagnostics {
        let at = crate::signal::location(&d.path, d.cell, d.line, d.column);
        eprintln!("{at}: {} {}", d.code, d.message);
    }
}

fn emit(text: &str, output: Option<&Path>) -> Result<(), String> {
    emit_with(output, &mut |out| out.write_all(text.as_bytes()))
}

/// Like [`emit`], for output written as it is made.
fn emit_with(
    output: Option<&Path>,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> Result<(), String> {
    let Some(path) = output else {
        return match buffered(std::io::stdout().lock(), write) {
            Ok(()) => Ok(()),
            // A closed pipe (`fwlint … | head`) is not an error worth a message.
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            Err(e) => Err(format!("writing output: {e}")),
        };
    };
    let Some(file) = replaced_file(path) else {
        // `/dev/null`, a FIFO, `/dev/stdout`: renaming over one would put a
        // regular file in its place (or fail, where /dev is not writable).
        let written = std::fs::File::create(path).and_then(|file| buffered(file, write));
        return written.map_err(|e| format!("{}: {e}", path.display()));
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = file.with_file_name(format!(".{name}.fwlint-tmp"));
    std::fs::File::create(&tmp)
        .and_then(|out| buffered(out, write))
        .and_then(|()| std::fs::rename(&tmp, &file))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            format!("{}: {e}", path.display())
        })
}

/// The regular file an output path names, to be replaced whole through a
/// temporary sibling so that a reader never sees half a report: the path
/// itself when nothing is there yet, the file a symbolic link leads to
/// (the link stays). `None` for anything else, written in place.
fn replaced_file(path: &Path) -> Option<std::path::PathBuf> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => Some(path.canonicalize().unwrap_or_else(|_| path.into())),
        Ok(_) => None,
        // A link that leads nowhere yet: written through, made where it leads.
        Err(_) if path.is_symlink() => None,
        Err(_) => Some(path.into()),
    }
}

fn buffered(
    out: impl Write,
    write: &mut dyn FnMut(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(out);
    write(&mut out)?;
    out.flush()
}
