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

const KINDS: [(&str, FileKind); 10] = [
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
