//! The command line: clap arguments turned into one `Settings` value.

use crate::config::{Config, FailOn};
use crate::ruleset::Goal;
use crate::walk::WalkOptions;
use crate::{Error, Settings};
use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::{Path, PathBuf};

const ABOUT: &str = "Audits whether a repository's ML framework (PyTorch or TensorFlow) fits what the project is for.";

const AFTER: &str = "Examples:
  fwlint check .                      lint the current repository
  fwlint check repo --format json     the stable JSON report
  fwlint check --goal research        declare the project's goal
  fwlint explain repo                 the evidence behind every number
  fwlint rule FW104                   what a finding means and how to fix it

Exit codes: 0 no findings at or above --fail-on, 1 findings, 2 fwlint could not run.";

#[derive(Parser, Debug)]
#[command(name = "fwlint", version, about = ABOUT, after_help = AFTER)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint repositories: frameworks, goals, verdict and findings.
    Check(CheckArgs),
    /// Print every signal found, one JSON object a line (files that could
    /// not be read as they should are listed on stderr).
    Signals(SignalsArgs),
    /// Show the evidence and arithmetic behind every goal and framework.
    Explain(ScanArgs),
    /// List the finding rules.
    Rules(ColorArgs),
    /// Show one rule's documentation.
    Rule {
        /// The rule code, e.g. FW104.
        code: String,
        #[command(flatten)]
        color: ColorArgs,
    },
    /// Audit many repositories: a verdict per repository, as a table, CSV,
    /// JSONL, Markdown or a self-contained HTML report.
    Audit(AuditArgs),
    /// Combine JSONL audit shards into one report in any audit format.
    Merge(MergeArgs),
    /// Print a shell completion script: bash, zsh, fish, elvish or powershell.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), or write one page per command to a folder.
    Man {
        /// Write fwlint.1, fwlint-check.1, … into this folder.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// Write a commented starter fwlint.toml (never overwrites one).
    Init {
        /// The folder to write it in.
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Args, Debug, Clone)]
pub struct ColorArgs {
    /// When to use colour (NO_COLOR is respected under `auto`).
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Args, Debug, Clone)]
pub struct ScanArgs {
    /// Files or folders to scan [default: .]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub options: ScanOptions,
}

/// How to scan: shared by `check`, `signals`, `explain` and `audit`.
#[derive(Args, Debug, Clone)]
pub struct ScanOptions {
    /// Declare a goal the project is for (repeatable): learning, research, llm,
    /// prototyping, enterprise-deployment, mobile, embedded, browser,
    /// ml-pipelines, google-cloud.
    #[arg(long = "goal", value_name = "ID", value_parser = parse_goal)]
    pub goals: Vec<Goal>,
    /// A config file (TOML) instead of the nearest fwlint.toml, .fwlint.toml
    /// or [tool.fwlint] in pyproject.toml at or above the first PATH.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore all configuration files.
    #[arg(long, conflicts_with = "config")]
    pub isolated: bool,
    /// Do not honour .gitignore, .ignore or .fwlintignore files.
    #[arg(long)]
    pub no_ignore: bool,
    /// Walk hidden files and folders too.
    #[arg(long)]
    pub hidden: bool,
    /// Worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a finding is at or above this severity.
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    /// Exit 0 whatever the findings (2 still means fwlint could not run).
    #[arg(long, conflicts_with = "fail_on")]
    pub exit_zero: bool,
    /// Print only the findings (text format).
    #[arg(long, short)]
    pub quiet: bool,
    /// Print a count per rule instead of each finding (text format).
    #[arg(long)]
    pub statistics: bool,
    /// Report only these rule codes or prefixes (replaces the config's `select`).
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub select: Vec<String>,
    /// Report these codes or prefixes too, on top of `select`.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub extend_select: Vec<String>,
    /// Never report these codes or prefixes.
    #[arg(long, value_name = "CODES", value_delimiter = ',')]
    pub ignore: Vec<String>,
    /// Hide findings recorded in this baseline file; report only new ones.
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE as the baseline, and exit 0.
    #[arg(long, value_name = "FILE", conflicts_with = "baseline")]
    pub write_baseline: Option<PathBuf>,
    /// Say on stderr which config, rules and files were used, and how long each phase took.
    #[arg(long, short, conflicts_with = "quiet")]
    pub verbose: bool,
}

#[derive(Args, Debug)]
pub struct AuditArgs {
    /// Folders holding repositories: each folder with `.git` below them (down
    /// to --depth), and each top-level folder with a manifest. A repository
    /// given directly is audited alone.
    pub dirs: Vec<PathBuf>,
    /// Also audit the repository paths listed in FILE, one a line (`-`: stdin).
    #[arg(long, value_name = "FILE")]
    pub from_file: Option<PathBuf>,
    /// How many folder levels below each DIR to look for repositories.
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub depth: usize,
    /// Audit only shard I of N (1-based), picked by a hash of each path;
    /// `fwlint merge` combines the shards' JSONL.
    #[arg(long, value_name = "I/N", value_parser = crate::audit::Shard::parse)]
    pub shard: Option<crate::audit::Shard>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Exit 1 when a repository has a finding at or above this severity, or
    /// could not be scanned (default: exit 0 whatever the findings).
    #[arg(long, value_enum)]
    pub fail_on: Option<FailOn>,
    #[command(flatten)]
    pub options: ScanOptions,
}

impl AuditArgs {
    /// The scan settings for one repository of the audit.
    pub fn scan_args(&self, repo: PathBuf) -> ScanArgs {
        ScanArgs {
            paths: vec![repo],
            options: self.options.clone(),
        }
    }
}

#[derive(Args, Debug)]
pub struct MergeArgs {
    /// JSONL files written by `fwlint audit --format jsonl` (one per shard).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = AuditFormat::Table)]
    pub format: AuditFormat,
    /// Write the report to FILE instead of standard output.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub color: ColorArgs,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditFormat {
    /// A table for the terminal.
    Table,
    /// One row per repository.
    Csv,
    /// One JSON report per line (the `check --format json` contract).
    Jsonl,
    /// A summary for a pull request, an issue or a wiki.
    Markdown,
    /// One self-contained page with charts, a sortable table and the evidence.
    Html,
}

#[derive(Args, Debug)]
pub struct SignalsArgs {
    #[command(flatten)]
    pub scan: ScanArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = SignalFormat::Jsonl)]
    pub format: SignalFormat,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
    /// SARIF 2.1.0, for code scanning.
    Sarif,
    /// GitHub Actions annotations.
    Github,
    /// GitLab Code Quality JSON.
    Gitlab,
    /// JUnit XML for CI test-report views.
    Junit,
    /// A Markdown summary for pull-request comments.
    Markdown,
    /// A self-contained HTML page with the evidence.
    Html,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalFormat {
    Jsonl,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    pub fn enabled(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        }
    }
}

fn parse_goal(s: &str) -> Result<Goal, String> {
    Goal::parse(s).ok_or_else(|| {
        let ids: Vec<&str> = Goal::ALL.iter().map(|g| g.as_str()).collect();
        format!("unknown goal `{s}`; expected one of: {}", ids.join(", "))
    })
}

impl ScanArgs {
    /// Settings for the library, and the config (for `fail-on`).
    pub fn settings(&self) -> Result<(Settings, Config), Error> {
        let config = match (&self.options.config, self.options.isolated) {
            (_, true) => Config::default(),
            (Some(p), false) => Config::load(p)?,
            (None, false) => {
                let start = self.paths.first().map_or(Path::new("."), PathBuf::as_path);
                Config::discover(start)?.unwrap_or_default()
            }
        };
        let mut goals = self.options.goals.clone();
        for g in &config.goals {
            if !goals.contains(g) {
                goals.push(*g);
            }
        }
        let settings = Settings {
            paths: self.paths.clone(),
            walk: WalkOptions {
                no_ignore: self.options.no_ignore,
                hidden: self.options.hidden,
                threads: self.options.threads,
            },
            goals,
            exclude: config.exclude.clone(),
            goals_at: (!config.goals.is_empty()).then(|| {
                let (root, _) = crate::base_of(&self.paths);
                (config.display_path(&root), config.goals_line())
            }),
            progress: None,
            names_held_at_most: None,
        };
        Ok((settings, config))
    }
}
