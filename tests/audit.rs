//! `fwlint audit` and `fwlint merge` over a fleet built from the fixtures:
//! every format, a broken repository that does not stop the audit, shards
//! that merge into exactly the unsharded report, and the HTML report
//! rendered by a real browser (headless Chromium), checked in its DOM.

mod common;
use common::copy_tree;

use std::path::{Path, PathBuf};
use std::process::Command;

const MEMBERS: [&str; 5] = [
    "fw104-pytorch-mobile-export",
    "llm-finetune-peft",
    "ok-tflite-android-app",
    "both-frameworks",
    "no-ml-webapp",
];

fn fwlint(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap()
}

fn stdout(out: &std::process::Output) -> String {
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

/// A fleet folder: five fixture repositories (as git checkouts, one nested
/// in a group folder) and one whose config is broken.
fn fleet() -> (tempfile::TempDir, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut names = Vec::new();
    for (i, case) in MEMBERS.iter().enumerate() {
        let rel = if i == 0 {
            format!("fleet/mobile-team/{case}")
        } else {
            format!("fleet/{case}")
        };
        let target = dir.path().join(&rel);
        copy_tree(&fixtures.join(case), &target);
        std::fs::create_dir_all(target.join(".git")).unwrap();
        names.push(rel);
    }
    let broken = dir.path().join("fleet/broken-config");
    std::fs::create_dir_all(broken.join(".git")).unwrap();
    std::fs::write(broken.join("fwlint.toml"), "goals = [\"mobil\"]\n").unwrap();
    std::fs::write(broken.join("train.py"), "import torch\n").unwrap();
    names.push("fleet/broken-config".into());
    names.sort();
    (dir, names)
}

#[test]
fn an_audit_gives_every_format_and_survives_a_broken_repository() {
    let (dir, names) = fleet();
    let d = dir.path();
    let table = stdout(&fwlint(d, &["audit", "fleet", "--color", "never"]));
    for name in &names {
        assert!(table.contains(name.as_str()), "{name} missing:\n{table}");
    }
    assert!(
        table.contains("could not scan") && table.contains("mobil"),
        "{table}"
    );
    assert!(table.contains("6 repositories"), "{table}");

    let jsonl = stdout(&fwlint(d, &["audit", "fleet", "--format", "jsonl"]));
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let roots: Vec<&str> = lines.iter().map(|v| v["root"].as_str().unwrap()).collect();
    assert_eq!(roots, names);
    // Each line is the `check --format json` report of that repository.
    let one = &lines[roots
        .iter()
        .position(|r| r.ends_with("llm-finetune-peft"))
        .unwrap()];
    let check: serde_json::Value = serde_json::from_str(&stdout(&fwlint(
        d,
        &["check", "fleet/llm-finetune-peft", "--format", "json"],
    )))
    .unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(one), keys(&check));
    assert_eq!(one["verdict"], check["verdict"]);
    assert_eq!(one["findings"], check["findings"]);
    let broken = &lines[roots
        .iter()
        .position(|r| r.ends_with("broken-config"))
        .unwrap()];
    assert!(broken["error"].as_str().unwrap().contains("mobil"));

    let csv = stdout(&fwlint(d, &["audit", "fleet", "--format", "csv"]));
    let rows = python_csv(&csv);
    assert_eq!(rows[0][0], "repository");
    assert_eq!(rows.len(), names.len() + 1);
    assert!(rows.iter().all(|r| r.len() == rows[0].len()), "{rows:?}");
    let mobile = rows
        .iter()
        .find(|r| r[0].ends_with("fw104-pytorch-mobile-export"))
        .unwrap();
    assert_eq!(
        (mobile[1].as_str(), mobile[2].as_str(), mobile[3].as_str()),
        ("pytorch", "mobile", "misaligned")
    );
    assert!(mobile[8].contains("FW104"));

    let md = stdout(&fwlint(d, &["audit", "fleet", "--format", "markdown"]));
    assert!(
        md.contains(
            "| `fleet/mobile-team/fw104-pytorch-mobile-export` | PyTorch | `mobile` | misaligned |"
        ),
        "{md}"
    );
    assert!(md.contains("| FW104 | `mobile-framework` |"), "{md}");

    assert_eq!(fwlint(d, &["audit", "fleet"]).status.code(), Some(0));
    assert_eq!(
        fwlint(d, &["audit", "fleet", "--fail-on", "error"])
            .status
            .code(),
        Some(1),
        "a repository that could not be scanned fails --fail-on"
    );
    let list = d.join("list.txt");
    std::fs::write(
        &list,
        "# two of them\nfleet/llm-finetune-peft\n\nfleet/no-ml-webapp\n",
    )
    .unwrap();
    let listed = stdout(&fwlint(
        d,
        &["audit", "--from-file", "list.txt", "--format", "csv"],
    ));
    assert_eq!(listed.lines().count(), 3, "{listed}");
}

/// Parses CSV with Python's csv module, the reference reader.
fn python_csv(text: &str) -> Vec<Vec<String>> {
    common::python_json(
        "import csv, json, sys\nprint(json.dumps(list(csv.reader(sys.stdin))))",
        text.as_bytes(),
    )
}

#[test]
fn shards_merged_give_the_unsharded_audit_byte_for_byte() {
    let (dir, names) = fleet();
    let d = dir.path();
    let mut taken = Vec::new();
    let mut shard_files = Vec::new();
    for i in 1..=3 {
        let file = format!("shard-{i}.jsonl");
        let out = fwlint(
            d,
            &[
                "audit",
                "fleet",
                "--shard",
                &format!("{i}/3"),
                "--format",
                "jsonl",
                "-o",
                &file,
            ],
        );
        assert_eq!(out.status.code(), Some(0));
        let text = std::fs::read_to_string(d.join(&file)).unwrap();
        taken.extend(text.lines().map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["root"].as_str().unwrap().to_string()
        }));
        shard_files.push(file);
    }
    taken.sort();
    assert_eq!(taken, names, "every repository in exactly one shard");
    for format in ["table", "csv", "jsonl", "markdown", "html"] {
        let whole = fwlint(
            d,
            &["audit", "fleet", "--format", format, "--color", "never"],
        );
        let mut args = vec!["merge", "--format", format, "--color", "never"];
        args.extend(shard_files.iter().map(String::as_str));
        let merged = fwlint(d, &args);
        assert_eq!(
            merged.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&merged.stderr)
        );
        assert!(!whole.stdout.is_empty());
        assert!(
            whole.stdout == merged.stdout,
            "{format}: merged shards differ from the audit"
        );
    }
    std::fs::write(d.join("bad.jsonl"), "{\"root\": \"x\"}\nnot json\n").unwrap();
    let bad = fwlint(d, &["merge", "bad.jsonl"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.jsonl:2"));
}

fn chromium() -> PathBuf {
    let candidates = ["chromium", "chromium-browser", "google-chrome"];
    std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .or_else(|| {
            candidates.iter().map(PathBuf::from).find(|c| {
                Command::new(c)
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
        })
        .expect("headless Chromium (apt-get install chromium; .ci/run installs it)")
}

/// The DOM after Chromium has loaded the page and run its script.
fn rendered_dom(page: &Path, fragment: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = common::stdout_of(
        Command::new(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=2000",
            ])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("--dump-dom")
            .arg(format!("file://{}{fragment}", page.display())),
    );
    String::from_utf8(out).unwrap()
}

fn count(haystack: &str, needle: &str) -> usize {
    haystack.matches(needle).count()
}

#[test]
fn the_html_report_renders_in_chromium_with_charts_and_a_sortable_table() {
    let (dir, names) = fleet();
    let d = dir.path();
    let out = fwlint(
        d,
        &["audit", "fleet", "--format", "html", "-o", "audit.html"],
    );
    assert_eq!(out.status.code(), Some(0));
    let page = d.join("audit.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for external in ["src=\"http", "href=\"http", "<link", "@import", "url("] {
        assert!(!html.contains(external), "the page loads {external}");
    }

    let dom = rendered_dom(&page, "#sort=-findings");
    assert!(dom.contains("data-ready=\"true\""), "the page's script ran");
    assert!(dom.contains("data-sorted=\"findings:desc\""));
    assert_eq!(
        count(&dom, "<tr data-status="),
        names.len(),
        "a row per repository"
    );
    assert!(count(&dom, "<rect class=\"bar\"") >= 4, "bars in the chart");
    assert_eq!(count(&dom, "<details class=\"repo\""), names.len());
    assert!(
        dom.contains("data-status=\"error\""),
        "the broken repository is shown"
    );
    // Rows are in descending order of findings after the script sorted them.
    let findings: Vec<u64> = dom
        .split("<tr data-status=")
        .skip(1)
        .map(|row| {
            let cell = row.rsplit("<td data-value=\"").next().unwrap();
            cell.split('"').next().unwrap().parse().unwrap()
        })
        .collect();
    assert!(findings.windows(2).all(|w| w[0] >= w[1]), "{findings:?}");
    assert!(findings[0] > 0);
    // The matrix: PyTorch for mobile departs from the guidance, for LLMs fits.
    let mobile_row = dom.split("<tr data-goal=\"mobile\">").nth(1).unwrap();
    let mobile_row = mobile_row.split("</tr>").next().unwrap();
    assert!(mobile_row.contains("class=\"num departs\""), "{mobile_row}");
    let llm_row = dom
        .split("<tr data-goal=\"llm\">")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(llm_row.contains("class=\"num fit\""), "{llm_row}");

    let single = fwlint(
        d,
        &[
            "check",
            "fleet/llm-finetune-peft",
            "--format",
            "html",
            "-o",
            "one.html",
        ],
    );
    assert_eq!(single.status.code(), Some(0));
    let dom = rendered_dom(&d.join("one.html"), "");
    assert!(dom.contains("data-ready=\"true\""));
    assert!(dom.contains("fwlint report: fleet/llm-finetune-peft"));
    assert!(dom.contains("<details class=\"repo\" id=\"repo-0\" open=\"\">"));
    assert!(
        dom.contains("from peft import"),
        "the evidence is on the page"
    );
}
