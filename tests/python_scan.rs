//! Differential test: the token scan that reads Python (`extract::pyscan`)
//! against the parser-based visitor it replaced (ruff's parser, itself
//! checked against CPython in `cpython_differential.rs`). Every signal must
//! agree — place, kind, key, context and imported names — and the scan must
//! report no syntax error where the parser finds none. Sources the parser
//! rejects are left out: there the two recover differently, by design.

#[path = "common/pycorpus.rs"]
mod pycorpus;
#[path = "common/scan.rs"]
mod scan;

use fwlint::extract::python;
use fwlint::signal::Extracted;
use proptest::prelude::*;
use pycorpus::{python_files, stdlib};
use scan::compare;
use std::path::Path;

fn agreement(root: &Path) -> (usize, usize, Vec<String>) {
    let (mut compared, mut rejected, mut differ) = (0, 0, Vec::new());
    for path in python_files(root) {
        let bytes = std::fs::read(&path).unwrap();
        let text = python::decode(&bytes, &mut Extracted::default());
        match compare(&text, false) {
            None => rejected += 1,
            Some(Ok(())) => compared += 1,
            Some(Err(why)) => differ.push(format!("{}: {why}", path.display())),
        }
    }
    (compared, rejected, differ)
}

#[test]
fn the_scan_reads_the_standard_library_as_the_parser_does() {
    let (compared, rejected, differ) = agreement(&stdlib());
    eprintln!(
        "stdlib: {compared} files agree, {} differ, {rejected} rejected by the parser",
        differ.len()
    );
    assert!(
        compared > 500,
        "expected a real corpus, compared {compared}"
    );
    assert!(
        differ.is_empty(),
        "{}",
        differ[..differ.len().min(5)].join("\n")
    );
}

#[test]
fn the_scan_reads_the_fixtures_as_the_parser_does() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let (compared, _, differ) = agreement(&root);
    assert!(compared > 50, "compared {compared}");
    assert!(differ.is_empty(), "{}", differ.join("\n"));
}

/// Statements whose signals (or lack of them) are easy to get wrong.
const LEAVES: &[&str] = &[
    "import torch",
    "import a.b as c, d",
    "import tensorflow as tf; import jax",
    "from x.y import (p,\n    q as r)",
    "from . import z",
    "from ..m import n",
    "from ... import deep",
    "from k import *",
    "x = importlib.import_module('torch.nn')",
    "__import__(\"jax\")",
    "m = import_module(('a' 'b'))",
    "importlib.import_module(f'{x}')",
    "importlib.import_module('.rel', 'pkg')",
    "obj.importlib.import_module('not_it')",
    "os.environ['KERAS_BACKEND'] = 'jax'",
    "os.environ.setdefault('A', 'b')",
    "a = os.environ['X'] = ('y')",
    "os.environ['Y']: str = 'annotated'",
    "u = 'gs://bucket/x'",
    "u = ('gs://a'\n     'b')",
    "u = f'gs://{b}'",
    "v = b'gs://x'",
    "w = f\"{'gs://inner'}\"",
    "d = {'k': 'gs://v', 'j': [1,\n  2]}",
    "s = '''doc\nimport fake\n'''",
    "# import commented_out",
    "t = 'gs://esc\\x41'",
    "t = r'hf://raw\\n'",
    "pass",
    "y = lambda: import_module('in_lambda')",
    "z = f\"{d['k']!r:>{w}}\"",
    "q = x if y else 's3://cond'",
    "print('a', end='') ; import after_semicolon",
    "yield_from = 1",
    "value = \\\n    'gs://continued'",
];

/// Compound statement headers; each opens a block.
const HEADERS: &[&str] = &[
    "def f(a=import_module('default')):",
    "async def g():",
    "class C(Base, meta='gs://m'):",
    "try:",
    "if TYPE_CHECKING:",
    "if typing.TYPE_CHECKING:",
    "if x:",
    "for i in y:",
    "while (lambda: 1)():",
    "with open(p) as f:",
    "@decorate('gs://deco')\ndef h():",
    "@a.b\nclass D:",
];

/// Headers that may carry their body on the same line.
const INLINE: &[&str] = &[
    "if TYPE_CHECKING:",
    "if x:",
    "for i in y:",
    "with open(p) as f:",
    "def f(a=import_module('default')):",
    "class C(Base, meta='gs://m'):",
];

/// The clauses that may follow a block when it closes, by its header.
fn clauses(header: &str) -> &'static [&'static [&'static str]] {
    match header {
        "try:" => &[
            &["except ImportError:"],
            &["except (A, B) as e:", "else:"],
            &["finally:"],
            &["except E:", "else:", "finally:"],
        ],
        "if TYPE_CHECKING:" | "if typing.TYPE_CHECKING:" | "if x:" => {
            &[&["elif z:"], &["else:"], &["elif z:", "else:"]]
        }
        "for i in y:" | "while (lambda: 1)():" => &[&["else:"]],
        _ => &[],
    }
}

/// Adds `text` at `depth`: its first line indented, and the following ones
/// too when they are statements (a decorated definition), not the inside of
/// a bracket or string.
fn push(lines: &mut Vec<String>, unit: &str, depth: usize, text: &str) {
    for (k, line) in text.split('\n').enumerate() {
        if k == 0 || text.starts_with('@') {
            lines.push(format!("{}{line}", unit.repeat(depth)));
        } else {
            lines.push(line.to_string());
        }
    }
}

fn one_line_leaf(pick: u8) -> &'static str {
    let leaf = LEAVES[pick as usize % LEAVES.len()];
    if leaf.contains('\n') || leaf.starts_with('#') {
        "pass"
    } else {
        leaf
    }
}

/// A program from a list of choices: a leaf statement, an inline suite
/// (`if x: import y`), a header that opens a block, or closing a block with
/// or without clauses.
fn program(ops: &[(u8, u8)], unit: &str) -> String {
    let mut lines = Vec::new();
    // Open blocks: header, and whether the body has a statement yet.
    let mut open: Vec<(&str, bool)> = Vec::new();
    for &(op, pick) in ops {
        let depth = open.len();
        match op % 5 {
            0 | 1 => {
                let leaf = LEAVES[pick as usize % LEAVES.len()];
                push(&mut lines, unit, depth, leaf);
                if leaf.starts_with('#') {
                    continue; // a comment is no statement: the block stays empty
                }
            }
            2 => {
                let header = HEADERS[pick as usize % HEADERS.len()];
                push(&mut lines, unit, depth, header);
                open.push((header, false));
                continue;
            }
            3 if pick % 4 == 0 => {
                let leaf = one_line_leaf(pick / 4);
                push(&mut lines, unit, depth, &format!("try: {leaf}"));
                push(&mut lines, unit, depth, "except ImportError: pass");
            }
            3 => {
                let header = INLINE[pick as usize % INLINE.len()];
                push(
                    &mut lines,
                    unit,
                    depth,
                    &format!("{header} {}", one_line_leaf(pick)),
                );
            }
            _ => {
                let Some((header, filled)) = open.pop() else {
                    continue;
                };
                close(&mut lines, unit, open.len(), header, filled, pick);
            }
        }
        if let Some(top) = open.last_mut() {
            top.1 = true;
        }
    }
    while let Some((header, filled)) = open.pop() {
        close(&mut lines, unit, open.len(), header, filled, 1);
        if let Some(top) = open.last_mut() {
            top.1 = true;
        }
    }
    lines.join("\n") + "\n"
}

/// Ends the block of `header` (at `depth`), adding clauses when `pick` says so
/// (a `try` always gets one: it needs it).
fn close(lines: &mut Vec<String>, unit: &str, depth: usize, header: &str, filled: bool, pick: u8) {
    if !filled {
        push(lines, unit, depth + 1, "pass");
    }
    let options = clauses(header);
    if options.is_empty() || (pick % 2 == 1 && header != "try:") {
        return;
    }
    for clause in options[pick as usize / 2 % options.len()] {
        push(lines, unit, depth, clause);
        push(lines, unit, depth + 1, one_line_leaf(pick / 3));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_scan_reads_generated_programs_as_the_parser_does(
        ops in prop::collection::vec((any::<u8>(), any::<u8>()), 1..40),
        tabs in any::<bool>(),
        notebook in any::<bool>(),
    ) {
        let mut source = program(&ops, if tabs { "\t" } else { "    " });
        if notebook {
            source = format!("%matplotlib inline\n!pip install torch\n{source}files = !ls\n");
        }
        match compare(&source, notebook) {
            None => prop_assert!(false, "the generator made invalid Python:\n{source}"),
            Some(result) => prop_assert!(result.is_ok(), "{}\n{source}", result.unwrap_err()),
        }
    }
}
