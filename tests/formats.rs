//! Machine-readable outputs checked against their real consumers' contracts:
//! SARIF against the official OASIS schema (copied in tests/schemas from
//! shared/schemas), GitHub annotations against the workflow-command syntax.

use std::path::Path;
use std::process::Command;

fn fwlint(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a validator script (`tests/validate_json.py` or `validate_xml.py`,
/// needing jsonschema / xmlschema, which .ci/run installs) on report files.
fn validate(script: &str, schema: &str, files: &[std::path::PathBuf]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(python)
        .arg(root.join("tests").join(script))
        .arg(root.join("tests/schemas").join(schema))
        .args(files)
        .output()
        .expect("python3 with jsonschema and xmlschema (pip install jsonschema xmlschema)");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Writes each case's report in `format` to a file in `dir`.
fn write_reports(dir: &Path, cases: &[&str], format: &str) -> Vec<std::path::PathBuf> {
    cases
        .iter()
        .map(|case| {
            let path = dir.join(format!("{}.{format}", case.replace('/', "_")));
            std::fs::write(&path, fwlint(&["check", case, "--format", format])).unwrap();
            path
        })
        .collect()
}

#[test]
fn sarif_validates_against_the_official_schema() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "fixtures/fw104-pytorch-android-app",
        "fixtures/malformed-inputs",
        "fixtures/notebooks-only-prototype",
        "fixtures/monorepo-three-units",
        "fixtures/no-ml-webapp",
    ];
    let files = write_reports(dir.path(), &cases, "sarif");
    for file in &files {
        let v: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(v["version"], "2.1.0");
    }
    validate("validate_json.py", "sarif-schema-2.1.0.json", &files);
}

#[test]
fn sarif_carries_rule_metadata_and_results() {
    let v: serde_json::Value = serde_json::from_str(&fwlint(&[
        "check",
        "fixtures/fw104-pytorch-android-app",
        "--format",
        "sarif",
    ]))
    .unwrap();
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let fw104 = rules.iter().find(|r| r["id"] == "FW104").unwrap();
    assert_eq!(fw104["name"], "mobile-framework");
    assert_eq!(fw104["defaultConfiguration"]["level"], "warning");
    assert!(
        fw104["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Use instead")
    );
    let result = &run["results"][0];
    assert_eq!(result["ruleId"], "FW104");
    assert_eq!(
        rules[result["ruleIndex"].as_u64().unwrap() as usize]["id"],
        "FW104"
    );
    let location = &result["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "app/build.gradle");
    assert_eq!(location["region"]["startLine"], 13);
}

#[test]
fn github_annotations_are_workflow_commands() {
    let out = fwlint(&["check", "fixtures/malformed-inputs", "--format", "github"]);
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines.len() >= 5);
    for line in &lines {
        let (head, message) = line
            .split_once("::")
            .and_then(|(_, rest)| rest.split_once("::"))
            .unwrap();
        let (command, props) = head.split_once(' ').unwrap();
        assert!(["error", "warning", "notice"].contains(&command), "{line}");
        assert!(
            props.starts_with("file=") && props.contains(",line=") && props.contains(",title="),
            "{line}"
        );
        assert!(!message.contains('\n'));
    }
    assert!(out.contains(
        "::warning file=pyproject.toml,line=1,col=1,title=FW002 parse-error::invalid TOML"
    ));
}

#[test]
fn gitlab_code_quality_follows_its_documented_shape() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "fixtures/malformed-inputs",
        "fixtures/notebooks-only-prototype",
        "fixtures/fw104-pytorch-android-app",
    ];
    let files = write_reports(dir.path(), &cases, "gitlab");
    validate(
        "validate_json.py",
        "gitlab-codequality.derived.schema.json",
        &files,
    );
    // Fingerprints are stable across runs and unique within a report.
    let a = fwlint(&["check", "fixtures/malformed-inputs", "--format", "gitlab"]);
    assert_eq!(
        a,
        fwlint(&["check", "fixtures/malformed-inputs", "--format", "gitlab"])
    );
    let v: serde_json::Value = serde_json::from_str(&a).unwrap();
    let mut prints: Vec<&str> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["fingerprint"].as_str().unwrap())
        .collect();
    let n = prints.len();
    prints.sort();
    prints.dedup();
    assert_eq!(prints.len(), n);
}

#[test]
fn markdown_summary_lists_verdict_and_findings() {
    let md = fwlint(&[
        "check",
        "fixtures/fw104-pytorch-android-app",
        "--format",
        "markdown",
    ]);
    assert!(md.starts_with("## fwlint: misaligned\n"));
    assert!(
        md.contains("| `app/build.gradle:13:5` | FW104 `mobile-framework` | warning |"),
        "{md}"
    );
}

#[test]
fn junit_validates_against_the_jenkins_schema() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        "fixtures/malformed-inputs",
        "fixtures/fw104-pytorch-android-app",
        "fixtures/llm-finetune-peft",
    ];
    let files = write_reports(dir.path(), &cases, "junit");
    validate("validate_xml.py", "junit-jenkins-xunit.xsd", &files);
    let clean = fwlint(&["check", "fixtures/llm-finetune-peft", "--format", "junit"]);
    assert!(clean.contains("tests=\"1\" failures=\"0\""), "{clean}");
    let failing = fwlint(&[
        "check",
        "fixtures/fw104-pytorch-android-app",
        "--format",
        "junit",
    ]);
    assert!(failing.contains("<failure type=\"FW104\""), "{failing}");
}

#[test]
fn github_format_appends_a_job_summary() {
    let dir = tempfile::tempdir().unwrap();
    let summary = dir.path().join("summary.md");
    std::fs::write(&summary, "# earlier step\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fwlint"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "check",
            "fixtures/fw104-pytorch-android-app",
            "--format",
            "github",
        ])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = std::fs::read_to_string(&summary).unwrap();
    assert!(
        text.starts_with("# earlier step\n## fwlint: misaligned"),
        "{text}"
    );
}

/// The action's shell steps (all but installing), run as a runner would:
/// `${{ inputs.* }}` from the inputs, `fwlint` on PATH. The SARIF step writes
/// a valid report whatever the findings; the gate step annotates, writes the
/// job summary and fails on the finding.
#[test]
fn the_github_action_steps_write_sarif_and_gate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(root.join("action.yml")).unwrap();
    let action: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(action["runs"]["using"], "composite");
    let dir = tempfile::tempdir().unwrap();
    let sarif = dir.path().join("out.sarif");
    let summary = dir.path().join("summary.md");
    let input = |name: &str| -> String {
        match name {
            "path" => root
                .join("fixtures/fw104-pytorch-mobile-export")
                .display()
                .to_string(),
            "sarif-file" => sarif.display().to_string(),
            _ => action["inputs"][name]["default"]
                .as_str()
                .unwrap()
                .to_string(),
        }
    };
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_fwlint")).parent().unwrap();
    let path = std::env::join_paths(std::iter::once(bin_dir.to_path_buf()).chain(
        std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()),
    ))
    .unwrap();
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut codes = Vec::new();
    for step in steps.iter().filter(|s| s["run"].is_string()) {
        let name = step["name"].as_str().unwrap();
        if name.starts_with("Install") {
            continue;
        }
        let mut cmd = Command::new("bash");
        cmd.args(["-e", "-c", step["run"].as_str().unwrap()])
            .env("PATH", &path)
            .env("GITHUB_STEP_SUMMARY", &summary);
        for (key, value) in step["env"].as_object().into_iter().flatten() {
            let value = value.as_str().unwrap();
            let name = value
                .strip_prefix("${{ inputs.")
                .and_then(|v| v.strip_suffix(" }}"))
                .unwrap_or_else(|| panic!("{key}: {value}"));
            cmd.env(key, input(name));
        }
        let out = cmd.output().unwrap();
        codes.push((
            name.to_string(),
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        ));
    }
    let upload = steps.iter().find(|s| s["uses"].is_string()).unwrap();
    assert!(
        upload["uses"]
            .as_str()
            .unwrap()
            .starts_with("github/codeql-action/upload-sarif@")
    );
    assert_eq!(upload["with"]["sarif_file"], "${{ inputs.sarif-file }}");
    assert_eq!(codes.len(), 2, "{codes:?}");
    assert_eq!(
        codes[0].1,
        Some(0),
        "the SARIF step never fails on findings"
    );
    validate("validate_json.py", "sarif-schema-2.1.0.json", &[sarif]);
    assert_eq!(codes[1].1, Some(1), "the gate fails on the warning");
    assert!(codes[1].2.contains("::warning file="), "{}", codes[1].2);
    assert!(std::fs::read_to_string(&summary).unwrap().contains("FW104"));
}

/// One text per finding a report holds, whatever its format, so that a
/// finding's path, code and reason can be checked to travel together.
fn finding_records(format: &str, out: &str) -> Vec<String> {
    use serde_json::Value;
    let json = || serde_json::from_str::<Value>(out).unwrap();
    let fields = |items: &Value, keys: &[&str]| -> Vec<String> {
        let items = items.as_array().unwrap();
        // `location/path`: a field of a nested object.
        let at = |item: &Value, key: &str| key.split('/').fold(item, |v, k| &v[k]).to_string();
        items
            .iter()
            .map(|item| {
                keys.iter()
                    .map(|k| at(item, k))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    match format {
        "json" => fields(&json()["findings"], &["rule", "path", "message"]),
        "sarif" => {
            let results = &json()["runs"][0]["results"];
            let items = results.as_array().unwrap();
            items
                .iter()
                .map(|r| {
                    let uri = &r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
                    format!("{} {uri} {}", r["ruleId"], r["message"]["text"])
                })
                .collect()
        }
        "gitlab" => fields(&json(), &["check_name", "location/path", "description"]),
        "html" => out.split("<li>").map(str::to_string).collect(),
        // One finding per line: text, GitHub commands, Markdown rows, JUnit cases.
        _ => out.lines().map(str::to_string).collect(),
    }
}

#[test]
fn malformed_files_are_diagnostics_in_every_format() {
    // Each broken file of the fixture, with its rule code and the reason.
    let expected = [
        ("broken.ipynb", "FW002", "not a Jupyter notebook"),
        ("environment.yml", "FW002", "invalid YAML"),
        ("pyproject.toml", "FW002", "invalid TOML"),
        ("syntax_error.py", "FW002", "syntax error"),
        ("latin1.py", "FW003", "not valid UTF-8"),
        ("weights.py", "FW004", "binary content"),
    ];
    let formats = [
        "text", "json", "sarif", "github", "gitlab", "junit", "markdown", "html",
    ];
    for format in formats {
        let out = fwlint(&["check", "fixtures/malformed-inputs", "--format", format]);
        let records = finding_records(format, &out);
        for (path, code, reason) in expected {
            assert!(
                records
                    .iter()
                    .any(|r| r.contains(path) && r.contains(code) && r.contains(reason)),
                "{format}: no finding with {path}, {code} and `{reason}` in\n{out}"
            );
        }
        // Annotation formats carry findings only; the others the verdict too.
        if !matches!(format, "github" | "gitlab") {
            assert!(out.contains("PyTorch"), "{format}: the good files are lost");
        }
    }
}
