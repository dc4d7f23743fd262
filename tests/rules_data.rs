//! The knowledge in `rules/` is data; these tests keep it loadable, sorted,
//! unique, and honest: every signal rule's `example` must be matched by it.

use fwlint::extract::extract_file;
use fwlint::ruleset::{BUILTIN, RuleKind, RuleSet, Target};
use fwlint::signal::{Signal, SignalKind};
use fwlint::walk::FileKind;
use std::path::Path;

fn rules() -> RuleSet {
    RuleSet::builtin().expect("built-in rules load")
}

#[test]
fn every_rule_file_is_built_in() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/signals");
    for entry in std::fs::read_dir(dir).unwrap() {
        let name = format!("signals/{}", entry.unwrap().file_name().to_string_lossy());
        assert!(
            BUILTIN.iter().any(|(n, _)| *n == name),
            "{name} is not in ruleset::BUILTIN"
        );
    }
}

fn signals_of(rel: &str, kind: FileKind, text: &str, rules: &RuleSet) -> Vec<Signal> {
    extract_file(rel, kind, text.as_bytes(), rules).signals
}

/// Signals the rule's example gives when put in the file it belongs in.
fn example_signals(
    kind: RuleKind,
    pattern: &str,
    example: &str,
    rules: &RuleSet,
) -> Vec<Vec<Signal>> {
    match kind {
        RuleKind::PythonPackage => vec![
            signals_of("x.py", FileKind::Python, example, rules),
            signals_of(
                "requirements.txt",
                FileKind::Requirements,
                &format!("{pattern}>=1.0\n"),
                rules,
            ),
        ],
        RuleKind::Import | RuleKind::Env | RuleKind::Uri => {
            vec![signals_of("x.py", FileKind::Python, example, rules)]
        }
        RuleKind::Dependency => vec![dependency_example(pattern, example, rules)],
        RuleKind::Image => vec![signals_of(
            "Dockerfile",
            FileKind::Dockerfile,
            example,
            rules,
        )],
        RuleKind::ConfigKey => {
            let (name, kind) = match pattern.split(':').next().unwrap_or("") {
                "triton" => ("config.pbtxt", FileKind::TritonConfig),
                "terraform" => ("main.tf", FileKind::Terraform),
                "torchserve" => ("config.properties", FileKind::Properties),
                "tfjs" => ("model.json", FileKind::ModelJson),
                "appengine" => ("app.yaml", FileKind::AppYaml),
                "artifact" => {
                    // Artifact examples are the first bytes, in hex.
                    let bytes: Vec<u8> = (0..example.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&example[i..i + 2], 16).expect("hex example"))
                        .collect();
                    let out = fwlint::extract::extract_file(
                        "model.bin",
                        FileKind::Artifact,
                        &bytes,
                        rules,
                    );
                    return vec![out.signals];
                }
                _ => ("deploy.yaml", FileKind::Yaml),
            };
            vec![signals_of(name, kind, example, rules)]
        }
        RuleKind::Keyword => vec![signals_of("README.md", FileKind::Readme, example, rules)],
        RuleKind::Path => vec![
            fwlint::extract::path_signal(example, rules)
                .into_iter()
                .collect(),
        ],
        RuleKind::Layout => {
            let mut s = Signal::new(SignalKind::Layout, example, 1, 1);
            s.path = "x.ipynb".into();
            vec![vec![s]]
        }
    }
}

/// A dependency rule's example, written in the manifest of its ecosystem.
fn dependency_example(pattern: &str, example: &str, rules: &RuleSet) -> Vec<Signal> {
    let ecosystem = pattern.split(':').next().unwrap_or("");
    let (name, kind, text) = match ecosystem {
        "maven" => (
            "build.gradle",
            FileKind::Gradle,
            format!("dependencies {{\n  {example}\n}}\n"),
        ),
        "cocoapods" => ("Podfile", FileKind::Podfile, example.to_string()),
        "swiftpm" => ("Package.swift", FileKind::PackageSwift, example.to_string()),
        "pub" => (
            "pubspec.yaml",
            FileKind::Pubspec,
            format!("dependencies:\n  {example}: ^1.0.0\n"),
        ),
        "npm" => (
            "package.json",
            FileKind::PackageJson,
            format!("{{\"dependencies\": {{\"{example}\": \"1\"}}}}"),
        ),
        "header" | "model-array" => ("main.cpp", FileKind::CSource, example.to_string()),
        "cmake" => ("CMakeLists.txt", FileKind::CMake, example.to_string()),
        "platformio" => ("platformio.ini", FileKind::PlatformIo, example.to_string()),
        "arduino" => (
            "library.properties",
            FileKind::ArduinoLibrary,
            example.to_string(),
        ),
        "west" => (
            "west.yml",
            FileKind::WestManifest,
            format!("manifest:\n  projects:\n    - name: {example}\n"),
        ),
        "idf" => (
            "idf_component.yml",
            FileKind::IdfComponent,
            format!("dependencies:\n  {example}: \"^1\"\n"),
        ),
        "crates" => (
            "Cargo.toml",
            FileKind::CargoToml,
            format!("[dependencies]\n{example}\n"),
        ),
        "conda" => (
            "environment.yml",
            FileKind::CondaEnv,
            format!("dependencies:\n  - {example}\n"),
        ),
        _ => (
            "requirements.txt",
            FileKind::Requirements,
            example.to_string(),
        ),
    };
    signals_of(name, kind, &text, rules)
}

#[test]
fn every_signal_rule_matches_its_example() {
    let rules = rules();
    for (i, rule) in rules.rules.iter().enumerate() {
        for signals in example_signals(rule.kind, &rule.pattern, &rule.example, &rules) {
            assert!(
                signals.iter().any(|s| rules.matching(s).contains(&i)),
                "{}: rule `{}` does not match its example `{}` (signals: {:?})",
                rule.file,
                rule.pattern,
                rule.example,
                signals.iter().map(|s| &s.key).collect::<Vec<_>>()
            );
        }
    }
}

#[test]
fn data_files_are_sorted_and_unique() {
    let rules = rules();
    // Signal rules: sorted by (kind, match, target) within each file.
    let mut by_file: std::collections::BTreeMap<&str, Vec<(String, String, String)>> =
        Default::default();
    for r in &rules.rules {
        let target = match &r.target {
            Target::Framework(f) => format!("framework:{f}"),
            Target::Goal(g) => format!("goal:{g}"),
        };
        let kind = serde_json::to_string(&r.kind).unwrap();
        by_file
            .entry(&r.file)
            .or_default()
            .push((kind, r.pattern.clone(), target));
    }
    for (file, entries) in by_file {
        let mut sorted = entries.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(
            entries, sorted,
            "{file} is not sorted by (kind, match, target) or has duplicates"
        );
    }
    let ids: Vec<&str> = rules.frameworks.iter().map(|f| f.id.as_str()).collect();
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "frameworks.toml not sorted: {ids:?}"
    );
    let codes: Vec<&str> = rules.codes.iter().map(|c| c.code.as_str()).collect();
    assert!(
        codes.windows(2).all(|w| w[0] < w[1]),
        "codes.toml not sorted or has duplicate codes"
    );
    let mut names: Vec<&str> = rules.codes.iter().map(|c| c.name.as_str()).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), rules.codes.len(), "rule names must be unique");
}

#[test]
fn packages_are_sorted_by_name() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/packages.toml"))
            .unwrap();
    let names: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("name = \""))
        .map(|l| l.trim_end_matches('"'))
        .collect();
    assert!(names.len() > 10);
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "packages.toml not sorted: {names:?}"
    );
}

#[test]
fn finding_messages_follow_the_style() {
    for c in &rules().codes {
        assert!(c.code.len() == 5 && c.code.starts_with("FW"), "{}", c.code);
        assert!(
            c.summary.chars().next().unwrap().is_lowercase(),
            "{}: summary starts lowercase",
            c.code
        );
        assert!(
            !c.summary.ends_with('.'),
            "{}: summary has no final period",
            c.code
        );
        for body in [&c.what_it_does, &c.why, &c.example, &c.use_instead] {
            assert!(
                !body.trim().is_empty(),
                "{}: every doc heading has text",
                c.code
            );
        }
    }
}

fn with_replaced(file: &str, from: &str, to: &str) -> Result<RuleSet, fwlint::ruleset::RulesError> {
    let sources: Vec<(&str, String)> = BUILTIN
        .iter()
        .map(|(n, t)| {
            (
                *n,
                if *n == file {
                    t.replacen(from, to, 1)
                } else {
                    t.to_string()
                },
            )
        })
        .collect();
    let borrowed: Vec<(&str, &str)> = sources.iter().map(|(n, t)| (*n, t.as_str())).collect();
    RuleSet::from_sources(&borrowed)
}

#[test]
fn bad_rule_data_names_the_file_and_line() {
    let err = with_replaced("guidance.toml", "id = \"browser\"", "id = \"browsr\"").unwrap_err();
    assert_eq!(err.file, "guidance.toml");
    assert!(
        err.line.is_some() && err.message.contains("browsr"),
        "{err}"
    );

    let err = with_replaced(
        "signals/llm.toml",
        "goal = \"llm\"",
        "framework = \"pytorchh\"",
    )
    .unwrap_err();
    assert_eq!(err.file, "signals/llm.toml");
    assert_eq!(err.line, Some(7), "{err}");
    assert!(
        err.to_string().contains("unknown framework `pytorchh`"),
        "{err}"
    );

    let err = with_replaced("signals/llm.toml", "weight = 0.5", "wieght = 0.5").unwrap_err();
    assert!(err.to_string().starts_with("signals/llm.toml:"), "{err}");
}

#[test]
fn folds_are_one_step_with_one_framework_per_target() {
    // JAX folding into Keras, which folds into TensorFlow: a chain.
    let err = with_replaced(
        "frameworks.toml",
        "used-through = [\"keras\", \"optax\", \"orbax-checkpoint\"]",
        "used-through = [\"keras\", \"optax\", \"orbax-checkpoint\"]\nfolds-into = \"keras\"",
    )
    .unwrap_err();
    assert_eq!(err.file, "frameworks.toml");
    assert!(err.message.contains("`keras` folds into another"), "{err}");

    // JAX and Keras both folding into TensorFlow.
    let err = with_replaced(
        "frameworks.toml",
        "used-through = [\"keras\", \"optax\", \"orbax-checkpoint\"]",
        "used-through = [\"keras\", \"optax\", \"orbax-checkpoint\"]\nfolds-into = \"tensorflow\"",
    )
    .unwrap_err();
    assert!(
        err.message.contains("already folds into `tensorflow`"),
        "{err}"
    );
}
