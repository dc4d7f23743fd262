//! Shared by the fuzz targets: the rules, and one extractor run per input.

use fwlint::extract::extract_file;
use fwlint::ruleset::RuleSet;
use fwlint::walk::{FileKind, classify};
use std::sync::OnceLock;

pub fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().expect("built-in rules load"))
}

/// The file names of each fuzz target's extractor family; the first input
/// byte picks one, the rest is the file's content.
pub const TARGETS: &[(&str, &[&str])] = &[
    ("python", &["src/model.py"]),
    ("setup_py", &["setup.py"]),
    ("notebook", &["train.ipynb"]),
    ("requirements", &["requirements.txt", "requirements/dev.in"]),
    (
        "manifest",
        &["pyproject.toml", "setup.cfg", "Pipfile", "environment.yml"],
    ),
    ("readme", &["README.md"]),
    (
        "gradle",
        &[
            "app/build.gradle",
            "app/build.gradle.kts",
            "gradle/libs.versions.toml",
        ],
    ),
    ("apple", &["Podfile", "Package.swift"]),
    ("npm", &["package.json", "pubspec.yaml"]),
    ("docker", &["Dockerfile", "compose.yaml"]),
    (
        "native",
        &[
            "main.cpp",
            "CMakeLists.txt",
            "platformio.ini",
            "library.properties",
            "idf_component.yml",
            "west.yml",
        ],
    ),
    ("cargo", &["Cargo.toml", "src/lib.rs"]),
    ("javascript", &["src/app.ts"]),
    (
        "config",
        &[
            "deploy/k8s.yaml",
            "config.pbtxt",
            "main.tf",
            "config.properties",
            "model.json",
            "app.yaml",
        ],
    ),
    ("artifact", &["model.tflite"]),
];

/// Runs the extractor for `target`'s file chosen by `data[0]` on the rest.
pub fn run(target: &str, data: &[u8]) {
    let names = TARGETS
        .iter()
        .find(|(t, _)| *t == target)
        .map(|(_, n)| *n)
        .expect("a known target");
    let Some((&pick, content)) = data.split_first() else {
        return;
    };
    let name = names[usize::from(pick) % names.len()];
    let kind = classify(name);
    assert_ne!(kind, FileKind::Other, "{name} is classified");
    let whole = extract_file(name, kind, content, rules());
    if kind == FileKind::Notebook {
        // A notebook too large to hold is read from its file as parsed:
        // that must read as the whole text does (but where a broken one
        // breaks, see `same_reading`).
        let streamed =
            fwlint::extract::extract_notebook_streaming(name, content, rules(), None).unwrap();
        assert!(
            fwlint::extract::same_reading(&whole, &streamed),
            "{whole:?}\n{streamed:?}"
        );
    }
}
