//! No input makes an extractor panic: arbitrary bytes, and arbitrary text
//! close to each format, through every file kind.

use fwlint::extract::extract_file;
use fwlint::ruleset::RuleSet;
use fwlint::walk::FileKind;
use proptest::prelude::*;
use std::sync::OnceLock;

fn rules() -> &'static RuleSet {
    static RULES: OnceLock<RuleSet> = OnceLock::new();
    RULES.get_or_init(|| RuleSet::builtin().unwrap())
}

const KINDS: [(&str, FileKind); 33] = [
    ("west.yml", FileKind::WestManifest),
    ("app.yaml", FileKind::AppYaml),
    ("model.tflite", FileKind::Artifact),
    ("a.py", FileKind::Python),
    ("setup.py", FileKind::SetupPy),
    ("a.ipynb", FileKind::Notebook),
    ("requirements.txt", FileKind::Requirements),
    ("pyproject.toml", FileKind::Pyproject),
    ("setup.cfg", FileKind::SetupCfg),
    ("Pipfile", FileKind::Pipfile),
    ("environment.yml", FileKind::CondaEnv),
    ("README.md", FileKind::Readme),
    ("build.gradle", FileKind::Gradle),
    ("libs.versions.toml", FileKind::VersionCatalog),
    ("Podfile", FileKind::Podfile),
    ("Package.swift", FileKind::PackageSwift),
    ("package.json", FileKind::PackageJson),
    ("pubspec.yaml", FileKind::Pubspec),
    ("Dockerfile", FileKind::Dockerfile),
    ("compose.yaml", FileKind::Compose),
    ("main.cpp", FileKind::CSource),
    ("CMakeLists.txt", FileKind::CMake),
    ("platformio.ini", FileKind::PlatformIo),
    ("library.properties", FileKind::ArduinoLibrary),
    ("idf_component.yml", FileKind::IdfComponent),
    ("Cargo.toml", FileKind::CargoToml),
    ("app.js", FileKind::JsSource),
    ("deploy.yaml", FileKind::Yaml),
    ("config.pbtxt", FileKind::TritonConfig),
    ("main.tf", FileKind::Terraform),
    ("lib.rs", FileKind::RustSource),
    ("config.properties", FileKind::Properties),
    ("model.json", FileKind::ModelJson),
];

/// Text made of the pieces each format is built from, so the parsers get
/// past their first byte.
fn near_format() -> impl Strategy<Value = String> {
    let pieces = prop::sample::select(vec![
        "import ",
        "from ",
        " torch",
        ".nn",
        " as ",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "\"",
        "'",
        "\"\"\"",
        "\n",
        "\\\n",
        "    ",
        ";",
        ":",
        "=",
        ",",
        "#",
        "%pip install ",
        "!",
        "-r ",
        "-e ",
        "@",
        "://",
        "[project]",
        "dependencies",
        "[tool.poetry.dependencies]",
        "- ",
        "pip:",
        "cells",
        "source",
        "code",
        "\u{e9}",
        "\u{1F600}",
        "\t",
        "\r",
        "\0",
        "if TYPE_CHECKING:",
        "try:",
        "def f():",
        "importlib.import_module(",
        "os.environ[",
        "gs://b",
        "setup(install_requires=",
    ]);
    prop::collection::vec(pieces, 0..60).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        for (name, kind) in KINDS {
            let out = extract_file(name, kind, &bytes, rules());
            for s in &out.signals {
                prop_assert!(s.line >= 1 && s.column >= 1);
            }
        }
    }

    #[test]
    fn near_format_text_never_panics(text in near_format()) {
        for (name, kind) in KINDS {
            let out = extract_file(name, kind, text.as_bytes(), rules());
            for s in &out.signals {
                prop_assert!(s.line >= 1 && s.column >= 1, "{s:?}");
                prop_assert_eq!(&s.path, name);
            }
        }
    }
}

/// Found by `fuzz/run.sh` (notebook target): `import{` then `,` on the next
/// line in a notebook cell hit an `unreachable!` in ruff's parser (IPython
/// mode). Cells are now read by the token scan, which reports the unclosed
/// bracket; the parser (still used for `setup.py`) has its panic contained.
/// Either way the cell becomes FW002 and the rest is still read.
#[test]
fn a_parser_panic_in_a_notebook_cell_is_a_diagnostic() {
    let notebook = serde_json::json!({
        "cells": [
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null,
             "source": ["import{\n,"]},
            {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null,
             "source": ["import torch\n"]}
        ],
        "metadata": {}, "nbformat": 4, "nbformat_minor": 5
    });
    let bytes = notebook.to_string().into_bytes();
    let out = extract_file("explore.ipynb", FileKind::Notebook, &bytes, rules());
    let messages: Vec<_> = out
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(
        messages,
        [("FW002", "syntax error: '{' was never closed")],
        "{:?}",
        out.diagnostics
    );
    assert!(
        out.signals.iter().any(|s| s.key == "torch"),
        "the next cell is read"
    );
    let mut parsed = fwlint::signal::Extracted::default();
    fwlint::extract::python::extract_by_parsing("import{\n,", true, &[], &mut parsed);
    assert!(
        parsed
            .diagnostics
            .iter()
            .any(|d| d.code == "FW002" && d.message.contains("parser failed")),
        "{:?}",
        parsed.diagnostics
    );
}
