//! What the Python parse costs against a bare lex and a byte search, on the
//! `.py` files of a tree (single thread, files read first):
//!
//!     cargo run --release --example parse_cost -- TREE
//!
//! Used in BENCHMARKS.md to size a token-based import scan.

use ruff_python_ast::PySourceType;
use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{Mode, lexer::lex, parse_unchecked_source};
use std::time::Instant;

fn main() {
    let Some(root) = std::env::args().nth(1) else {
        eprintln!("usage: parse_cost TREE");
        std::process::exit(2);
    };
    let sources: Vec<String> = ignore::WalkBuilder::new(&root)
        .build()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "py"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect();
    let bytes: usize = sources.iter().map(String::len).sum();
    println!("{} Python files, {bytes} bytes", sources.len());
    time("memmem `import`", &sources, |s| {
        memchr::memmem::find_iter(s.as_bytes(), b"import").count()
    });
    time("ruff lexer", &sources, |s| {
        let mut lexer = lex(s, Mode::Module);
        let mut n = 0;
        while lexer.next_token() != TokenKind::EndOfFile {
            n += 1;
        }
        n
    });
    time("ruff parser", &sources, |s| {
        parse_unchecked_source(s, PySourceType::Python)
            .syntax()
            .body
            .len()
    });
}

fn time(what: &str, sources: &[String], f: impl Fn(&str) -> usize) {
    let start = Instant::now();
    let n: usize = sources.iter().map(|s| f(s)).sum();
    println!(
        "{what:>16}: {:>8.3} s ({n} items)",
        start.elapsed().as_secs_f64()
    );
}
