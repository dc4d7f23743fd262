//! The scanner's two shortcuts must change no signal. Skimming — passing
//! over the rest of a line whose first token shows it holds nothing the
//! reader needs — keeps the signals, their places and contexts, and every
//! syntax error of reading every token. Stopping early — at the first line
//! past the last `import` and the last word that makes a call, assignment
//! or string a signal (`environ`, `import_module`, `__import__`, a URI
//! prefix) — keeps every signal and every syntax error before that line.
//! Checked on real code and on random fragments, valid or not, as files and
//! as notebook cells.

#[path = "common/pycorpus.rs"]
mod pycorpus;

use fwlint::extract::pyscan::{self, Reading};
use fwlint::extract::python;
use fwlint::signal::{Diagnostic, Extracted, LineCursor, Signal};
use proptest::prelude::*;
use pycorpus::{python_files, stdlib};
use std::path::Path;

const URIS: &[&str] = &["gs://"];

const SKIMMED: Reading = Reading {
    skim: true,
    stop_early: false,
};
const WHOLE: Reading = Reading {
    skim: false,
    stop_early: false,
};

fn read(source: &str, notebook: bool, reading: Reading) -> (Vec<Signal>, Vec<Diagnostic>) {
    let mut out = Extracted::default();
    pyscan::extract_reading(source, notebook, URIS, reading, &mut out);
    (out.signals, out.diagnostics)
}

/// The first difference a shortcut makes, as a file or as a cell.
fn difference(source: &str) -> Option<String> {
    [false, true].into_iter().find_map(|notebook| {
        skimming_differs(source, notebook)
            .or_else(|| stopping_early_differs(source, notebook))
            .map(|why| format!("notebook {notebook}\n{why}"))
    })
}

fn skimming_differs(source: &str, notebook: bool) -> Option<String> {
    let (skimmed, full) = (
        read(source, notebook, SKIMMED),
        read(source, notebook, WHOLE),
    );
    (skimmed != full).then(|| format!("skimmed: {skimmed:#?}\nfull: {full:#?}"))
}

fn stopping_early_differs(source: &str, notebook: bool) -> Option<String> {
    let (early, full) = (
        read(source, notebook, Reading::SHORTEST),
        read(source, notebook, SKIMMED),
    );
    let last_word = signal_words()
        .filter_map(|w| source.rfind(w))
        .max()
        .map_or(0, |at| LineCursor::default().line_col(source, at).0);
    let kept = |d: &&Diagnostic| d.line < last_word;
    let same = early.0 == full.0
        && early.1.iter().all(|d| full.1.contains(d))
        && full.1.iter().filter(kept).all(|d| early.1.contains(d));
    (!same).then(|| format!("stopped early: {early:#?}\nread to the end: {full:#?}"))
}

/// Words after the last of which no signal can start (`import` among them,
/// and in it `import_module` and `__import__`).
fn signal_words() -> impl Iterator<Item = &'static str> {
    ["import", "environ"]
        .into_iter()
        .chain(URIS.iter().copied())
}

/// Sources with words that make calls, assignments or strings signals: on
/// them, only the lines holding such a word are read in full.
fn with_call_words(source: &str) -> bool {
    ["import_module", "__import__", "environ"]
        .into_iter()
        .chain(URIS.iter().copied())
        .any(|w| source.contains(w))
}

#[test]
fn the_shortcuts_change_nothing_in_the_standard_library_and_the_fixtures() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (mut with_words, mut differ) = (0, Vec::new());
    for path in [stdlib(), fixtures].iter().flat_map(|r| python_files(r)) {
        let bytes = std::fs::read(&path).unwrap();
        let text = python::decode(&bytes, &mut Extracted::default());
        with_words += usize::from(with_call_words(&text));
        if let Some(why) = difference(&text) {
            differ.push(format!("{}: {why}", path.display()));
        }
    }
    // Most sources are skimmed all through; those with call words only in
    // part, and the comparison must see enough of them too.
    assert!(with_words > 100, "only {with_words} files have call words");
    assert!(
        differ.is_empty(),
        "{}",
        differ[..differ.len().min(2)].join("\n")
    );
}

#[test]
fn a_source_dense_with_call_words_reads_the_same_and_stops_after_the_last() {
    // A settings module: `environ` on most lines, too many to skim between.
    let mut source = String::from("import os\n");
    for i in 0..300 {
        source += &format!(
            "V{i} = os.environ.get('N{i}', 'x')\nif V{i}:\n    os.environ['M{i}'] = 'y'\n"
        );
    }
    source += "x = (\n";
    assert_eq!(difference(&source), None);
    let (signals, diagnostics) = read(&source, false, Reading::SHORTEST);
    let env = signals.iter().filter(|s| s.key.starts_with('M')).count();
    assert_eq!((env, signals.len()), (300, 301), "{signals:#?}");
    // The `(` after the last call word is never looked at.
    assert!(diagnostics.is_empty(), "{diagnostics:#?}");
    let (_, whole) = read(&source, false, WHOLE);
    assert_eq!(whole.len(), 1);
}

#[test]
fn a_semicolon_after_a_skimmed_start_still_shows_the_import() {
    let source = "x = (1,\n  2); import torch\nprint('a'); from jax import numpy\n";
    let mut out = Extracted::default();
    pyscan::extract(source, false, URIS, &mut out);
    let keys: Vec<_> = out
        .signals
        .iter()
        .map(|s| (s.key.as_str(), s.line))
        .collect();
    assert_eq!(keys, [("torch", 2), ("jax", 3)]);
}

/// Pieces that change how a line is read: quotes and string prefixes,
/// brackets, joins, comments, `;`, notebook escapes, compound headers and
/// their colons (after lambdas, in f-strings, with a statement after them),
/// keywords that start lines read in full, and (rarely) words that turn
/// skimming off.
const PIECES: &[&str] = &[
    "x",
    "y1",
    " ",
    "  ",
    "\t",
    "\x0c",
    "\n",
    "\n",
    "\n",
    "\r\n",
    "\r",
    "#c",
    "\\\n",
    "\\",
    "'",
    "\"",
    "'''",
    "\"\"\"",
    "r",
    "b",
    "rb",
    "f",
    "F",
    "t",
    "u",
    "Rb",
    "br",
    "xb",
    "é",
    "1",
    "f'{",
    "f\"{x!r:>{w}}\"",
    "{",
    "}",
    "(",
    ")",
    "[",
    "]",
    ";",
    "; import torch",
    "=",
    "==",
    "<=",
    "= !ls",
    "= %time",
    "!",
    "%",
    "?",
    ":",
    ".",
    ",",
    "@",
    "@d",
    "import",
    "import torch",
    "from",
    "from a import b",
    "if",
    "if x:",
    "else:",
    "def f():",
    "class C:",
    "try:",
    "except:",
    "match",
    "case",
    "async",
    "lambda",
    "lambda x:",
    ":=",
    "    ",
    "pass",
    "TYPE_CHECKING",
    "gs://",
    "environ",
    "import_module(",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn the_shortcuts_change_nothing_on_random_fragments(
        picks in prop::collection::vec(any::<u16>(), 0..60),
    ) {
        let source: String = picks.iter().map(|&p| PIECES[p as usize % PIECES.len()]).collect();
        if let Some(why) = difference(&source) {
            prop_assert!(false, "{why}\n---\n{source:?}");
        }
    }
}
