//! Python source: decoding (BOM, PEP 263 cookies), the nesting guard, and
//! the parser-based reading of imports, dynamic imports, env assignments and
//! URIs (ruff's parser, proven against CPython's `ast`). Plain sources and
//! notebook cells are read by the faster token scan of [`super::pyscan`];
//! `setup.py`, parsed anyway for its `setup()` call, is read here, and this
//! reading is the oracle the scan is tested against (`tests/python_scan.rs`).

use super::pyscan::ImportFilter;
use crate::signal::{Context, Extracted, LineIndex, Signal, SignalKind, to_u32};
use ruff_python_ast::visitor::{self, Visitor};
use ruff_python_ast::{Expr, ModModule, PySourceType, Stmt};
use ruff_python_parser::{Parsed, parse_unchecked_source};
use ruff_text_size::Ranged;
use std::borrow::Cow;

/// Decodes Python source bytes the way CPython does: a UTF-8 BOM, else a PEP 263
/// cookie on line 1 or 2, else UTF-8. Invalid bytes are replaced and reported.
pub fn decode<'b>(bytes: &'b [u8], out: &mut Extracted) -> Cow<'b, str> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return utf8_or_lossy(rest, out);
    }
    if let Some(label) = coding_cookie(bytes) {
        let label = label.to_ascii_lowercase();
        if !matches!(label.as_str(), "utf-8" | "utf8" | "utf_8") {
            let label = python_label(&label);
            match encoding_rs::Encoding::for_label(label.as_bytes()) {
                Some(enc) => {
                    return Cow::Owned(enc.decode_without_bom_handling(bytes).0.into_owned());
                }
                None => out.diagnose(
                    "FW003",
                    1,
                    1,
                    format!("unknown encoding `{label}` declared; read as UTF-8"),
                ),
            }
        }
    }
    utf8_or_lossy(bytes, out)
}

/// Python codec names that WHATWG labels spell differently.
fn python_label(label: &str) -> Cow<'_, str> {
    match label.replace('_', "-").as_str() {
        "latin-1" | "iso8859-1" => Cow::Borrowed("latin1"),
        "cp1252" => Cow::Borrowed("windows-1252"),
        other => Cow::Owned(other.to_string()),
    }
}

fn utf8_or_lossy<'b>(bytes: &'b [u8], out: &mut Extracted) -> Cow<'b, str> {
    match super::utf8::from_utf8(bytes) {
        Ok(s) => Cow::Borrowed(s),
        Err(e) => {
            let line = bytes[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count()
                + 1;
            out.diagnose(
                "FW003",
                to_u32(line),
                1,
                "file is not valid UTF-8 and declares no encoding; invalid bytes replaced".into(),
            );
            String::from_utf8_lossy(bytes)
        }
    }
}

/// The PEP 263 cookie: `coding[:=]\s*([-\w.]+)` in a comment on line 1 or 2.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n');
    for (i, line) in lines.by_ref().take(2).enumerate() {
        let text = String::from_utf8_lossy(line);
        let trimmed = text.trim_start_matches([' ', '\t', '\x0c']);
        if !trimmed.starts_with('#') {
            // Line 2 is only consulted when line 1 is a comment or blank.
            if i == 0 && !trimmed.trim().is_empty() {
                return None;
            }
            continue;
        }
        if let Some(pos) = trimmed.find("coding") {
            let rest = &trimmed[pos + 6..];
            if let Some(rest) = rest.strip_prefix([':', '=']) {
                let name: String = rest
                    .trim_start_matches([' ', '\t'])
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.'))
                    .collect();
                if !name.is_empty() {
                    return Some(name);
                }
            }
        }
    }
    None
}

/// Parses Python (or a notebook cell, which may hold `%magics`).
pub fn parse(source: &str, notebook: bool) -> Parsed<ModModule> {
    let kind = if notebook {
        PySourceType::Ipynb
    } else {
        PySourceType::Python
    };
    parse_unchecked_source(source, kind)
}

/// [`parse`], or `None` (reported as FW002) when the parser panics: it is a
/// third-party parser, and a hostile file must not take the scan down
/// (fuzzing found `import{\n,` in a notebook cell hitting an `unreachable!`).
pub fn parse_guarded(
    source: &str,
    notebook: bool,
    out: &mut Extracted,
) -> Option<Parsed<ModModule>> {
    let parsed = super::without_panicking(|| parse(source, notebook));
    if parsed.is_none() {
        out.diagnose(
            "FW002",
            1,
            1,
            "the Python parser failed on this source (an internal error of the parser); not read"
                .into(),
        );
    }
    parsed
}

/// Words without which a file can hold none of the signals we look for.
pub fn worth_parsing(source: &str, uri_prefixes: &[&str]) -> bool {
    super::pyscan::Words::find(source, uri_prefixes).worth_reading()
}

/// Nesting beyond which a source is not parsed: CPython itself refuses far
/// less (200 nested brackets), and a recursive-descent parser fed a million
/// levels would overflow its stack.
pub const MAX_NESTING: usize = 1000;

/// An upper bound on how deeply a parser must recurse: bracket depth, runs of
/// unary operators, and right-nesting constructs (`**`, `lambda`, `not`,
/// conditional expressions, `await`) on one line. Strings are not skipped, so
/// it can only overestimate; it is only ever compared with [`MAX_NESTING`].
pub fn nesting_bound(source: &str) -> usize {
    // A cheap bound first (SIMD byte counts): no more opening brackets or
    // unary operators than the limit, and no line long enough to hold more
    // right-nesting constructs, settles almost every file.
    let bytes = source.as_bytes();
    let opens = memchr::memchr3_iter(b'(', b'[', b'{', bytes).count();
    let unary = memchr::memchr3_iter(b'-', b'+', b'~', bytes).count();
    let mut longest = 0;
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]) {
        longest = longest.max(end - start);
        start = end + 1;
    }
    let cheap = opens.max(unary).max(longest / 2);
    if cheap <= MAX_NESTING {
        return cheap;
    }
    let mut depth: usize = 0;
    let mut worst: usize = 0;
    let mut unary_run: usize = 0;
    for b in source.bytes() {
        match b {
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        match b {
            b'-' | b'+' | b'~' => unary_run += 1,
            b' ' | b'\t' => {}
            _ => unary_run = 0,
        }
        worst = worst.max(depth).max(unary_run);
    }
    // Each construct takes at least two bytes, so a line shorter than
    // 2 * MAX_NESTING cannot push the bound over the limit: skip counting
    // there (this scan runs on every Python file).
    let per_line = source
        .lines()
        .filter(|l| l.len() > 2 * MAX_NESTING)
        .map(|l| {
            l.matches("**").count()
                + l.matches("lambda").count()
                + l.matches("not ").count()
                + l.matches(" if ").count()
                + l.matches("await ").count()
        })
        .max()
        .unwrap_or(0);
    worst.max(per_line)
}

/// Signals of one Python source (a file, or a notebook cell).
pub fn extract(source: &str, notebook: bool, uri_prefixes: &[&str], out: &mut Extracted) {
    extract_wanted(source, notebook, uri_prefixes, None, out);
}

/// [`extract`] making no import of a first module `wanted` refuses.
pub fn extract_wanted(
    source: &str,
    notebook: bool,
    uri_prefixes: &[&str],
    wanted: Option<&ImportFilter>,
    out: &mut Extracted,
) {
    // No nesting guard: the scan keeps brackets in a vector, not on the stack.
    let words = super::pyscan::Words::find(source, uri_prefixes);
    if words.worth_reading() {
        super::pyscan::extract_with(source, notebook, uri_prefixes, words, wanted, out);
    }
}

/// [`extract`] through the full parser: what `setup.py` uses (it is parsed
/// anyway), and the oracle the token scan is tested against.
pub fn extract_by_parsing(
    source: &str,
    notebook: bool,
    uri_prefixes: &[&str],
    out: &mut Extracted,
) {
    if !worth_parsing(source, uri_prefixes) || too_deep(source, out) {
        return;
    }
    if let Some(parsed) = parse_guarded(source, notebook, out) {
        extract_parsed(source, &parsed, uri_prefixes, out);
    }
}

/// Reports (FW002) and refuses sources nested beyond [`MAX_NESTING`].
pub fn too_deep(source: &str, out: &mut Extracted) -> bool {
    let bound = nesting_bound(source);
    if bound > MAX_NESTING {
        out.diagnose(
            "FW002",
            1,
            1,
            format!("nested {bound} levels deep, beyond what Python accepts; not parsed"),
        );
    }
    bound > MAX_NESTING
}

/// Signals of an already parsed source (setup.py is parsed once for both uses).
pub fn extract_parsed(
    source: &str,
    parsed: &Parsed<ModModule>,
    uri_prefixes: &[&str],
    out: &mut Extracted,
) {
    let index = LineIndex::new(source);
    if let Some(err) = parsed.errors().first() {
        let (line, column) = index.line_col(source, err.location.start().to_usize());
        out.diagnose(
            "FW002",
            line,
            column,
            format!("syntax error: {}", err.error),
        );
    }
    let mut visitor = ImportVisitor {
        source,
        index,
        uri_prefixes,
        scopes: Vec::new(),
        try_depth: 0,
        type_checking: 0,
        out,
    };
    visitor.visit_body(&parsed.syntax().body);
}

#[derive(Clone, Copy, PartialEq)]
enum Scope {
    Function,
    Class,
}

struct ImportVisitor<'s, 'o> {
    source: &'s str,
    index: LineIndex,
    uri_prefixes: &'s [&'s str],
    scopes: Vec<Scope>,
    try_depth: u32,
    type_checking: u32,
    out: &'o mut Extracted,
}

impl ImportVisitor<'_, '_> {
    fn context(&self) -> Vec<Context> {
        let mut ctx = vec![if self.scopes.contains(&Scope::Function) {
            Context::Function
        } else if self.scopes.contains(&Scope::Class) {
            Context::Class
        } else {
            Context::Module
        }];
        if self.try_depth > 0 {
            ctx.push(Context::Try);
        }
        if self.type_checking > 0 {
            ctx.push(Context::TypeChecking);
        }
        ctx
    }

    fn emit(&mut self, kind: SignalKind, key: &str, offset: usize) {
        let (line, column) = self.index.line_col(self.source, offset);
        let signal = Signal::new(kind, key, line, column).with_context(&self.context());
        self.out.push(signal);
    }

    fn call(&mut self, call: &ruff_python_ast::ExprCall) {
        let Some(first) = call.arguments.args.first() else {
            return;
        };
        let callee = dotted(&call.func);
        let dynamic = matches!(
            callee.as_deref(),
            Some("importlib.import_module" | "import_module" | "__import__")
        );
        if dynamic {
            if let Some(name) = string(first).filter(|n| !n.starts_with('.') && !n.is_empty()) {
                self.emit(SignalKind::DynamicImport, &name, call.start().to_usize());
            }
        } else if callee
            .as_deref()
            .is_some_and(|c| c.ends_with("environ.setdefault"))
            && let (Some(name), Some(value)) =
                (string(first), call.arguments.args.get(1).and_then(string))
        {
            self.emit(
                SignalKind::Env,
                &format!("{name}={value}"),
                call.start().to_usize(),
            );
        }
    }

    fn assign(&mut self, assign: &ruff_python_ast::StmtAssign) {
        let Some(value) = string(&assign.value) else {
            return;
        };
        for target in &assign.targets {
            if let Expr::Subscript(sub) = target
                && dotted(&sub.value).is_some_and(|v| v.ends_with("environ"))
                && let Some(name) = string(&sub.slice)
            {
                self.emit(
                    SignalKind::Env,
                    &format!("{name}={value}"),
                    assign.start().to_usize(),
                );
            }
        }
    }
}

impl<'a> Visitor<'a> for ImportVisitor<'_, '_> {
    fn visit_stmt(&mut self, stmt: &'a Stmt) {
        match stmt {
            Stmt::Import(import) => {
                for alias in &import.names {
                    self.emit(
                        SignalKind::Import,
                        alias.name.as_str(),
                        import.start().to_usize(),
                    );
                }
            }
            Stmt::ImportFrom(import) => {
                if import.level == 0
                    && let Some(module) = &import.module
                {
                    self.emit(
                        SignalKind::Import,
                        module.as_str(),
                        import.start().to_usize(),
                    );
                    if let Some(signal) = self.out.signals.last_mut() {
                        signal.names = import
                            .names
                            .iter()
                            .map(|a| a.name.to_string())
                            .filter(|n| n != "*")
                            .collect();
                    }
                }
            }
            Stmt::FunctionDef(_) | Stmt::ClassDef(_) => {
                let scope = if matches!(stmt, Stmt::FunctionDef(_)) {
                    Scope::Function
                } else {
                    Scope::Class
                };
                self.scopes.push(scope);
                visitor::walk_stmt(self, stmt);
                self.scopes.pop();
            }
            Stmt::Try(_) => {
                self.try_depth += 1;
                visitor::walk_stmt(self, stmt);
                self.try_depth -= 1;
            }
            Stmt::If(if_stmt) if is_type_checking(&if_stmt.test) => {
                self.visit_expr(&if_stmt.test);
                self.type_checking += 1;
                self.visit_body(&if_stmt.body);
                self.type_checking -= 1;
                for clause in &if_stmt.elif_else_clauses {
                    self.visit_elif_else_clause(clause);
                }
            }
            Stmt::Assign(assign) => {
                self.assign(assign);
                visitor::walk_stmt(self, stmt);
            }
            _ => visitor::walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'a Expr) {
        match expr {
            Expr::Call(call) => self.call(call),
            Expr::StringLiteral(lit) => {
                let text = lit.value.to_str();
                if self.uri_prefixes.iter().any(|p| text.starts_with(p)) {
                    let key: String = text.chars().take(200).collect();
                    self.emit(SignalKind::Uri, &key, lit.start().to_usize());
                }
            }
            _ => {}
        }
        visitor::walk_expr(self, expr);
    }
}

fn is_type_checking(test: &Expr) -> bool {
    dotted(test).is_some_and(|d| d == "TYPE_CHECKING" || d.ends_with(".TYPE_CHECKING"))
}

/// `a.b.c` for a name or attribute chain.
fn dotted(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Name(name) => Some(name.id.to_string()),
        Expr::Attribute(attr) => dotted(&attr.value).map(|v| format!("{v}.{}", attr.attr.as_str())),
        _ => None,
    }
}

fn string(expr: &Expr) -> Option<String> {
    match expr {
        Expr::StringLiteral(lit) => Some(lit.value.to_str().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn imports(src: &str) -> Vec<(u32, String, Vec<&'static str>)> {
        let mut out = Extracted::default();
        extract(src, false, &["gs://"], &mut out);
        out.signals
            .into_iter()
            .map(|s| {
                (
                    s.line,
                    format!("{}:{}", s.kind.as_str(), s.key),
                    s.context.iter().map(|c| c.as_str()).collect(),
                )
            })
            .collect()
    }

    #[test]
    fn sees_what_a_parser_sees() {
        let src = "\"\"\"import fake_doc\"\"\"\n# import fake_comment\nx = 'import fake_str'\nimport a.b as c, d; from e.f import (g,\n  h)\nfrom . import rel\nfrom .x import rel2\nimport \\\n  cont\n";
        let got = imports(src);
        let keys: Vec<_> = got.iter().map(|(l, k, _)| format!("{l}:{k}")).collect();
        assert_eq!(
            keys,
            [
                "4:import:a.b",
                "4:import:d",
                "4:import:e.f",
                "8:import:cont"
            ]
        );
    }

    #[test]
    fn records_context() {
        let src = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\ntry:\n    import tensorflow as tf\nexcept ImportError:\n    tf = None\ndef f():\n    import jax\nclass C:\n    import keras\n";
        let got = imports(src);
        assert_eq!(got[1].2, ["module", "type-checking"]);
        assert_eq!(got[2].2, ["module", "try"]);
        assert_eq!(got[3].2, ["function"]);
        assert_eq!(got[4].2, ["class"]);
    }

    #[test]
    fn dynamic_imports_env_and_uris() {
        let src = "import importlib, os\nm = importlib.import_module('torch.nn')\n__import__(\"jax\")\nos.environ['KERAS_BACKEND'] = 'jax'\nos.environ.setdefault('KERAS_BACKEND', 'torch')\np = 'gs://bucket/data'\nimportlib.import_module('.rel', 'pkg')\n";
        let keys: Vec<_> = imports(src).into_iter().map(|(_, k, _)| k).collect();
        assert_eq!(
            keys,
            [
                "import:importlib",
                "import:os",
                "dynamic-import:torch.nn",
                "dynamic-import:jax",
                "env:KERAS_BACKEND=jax",
                "env:KERAS_BACKEND=torch",
                "uri:gs://bucket/data"
            ]
        );
    }

    #[test]
    fn refuses_pathological_nesting() {
        for src in [
            format!("import os\nx = {}1{}\n", "(".repeat(5000), ")".repeat(5000)),
            format!("import os\nx = {}1\n", "- ".repeat(5000)),
            format!("import os\nx = 2{}\n", "**2".repeat(5000)),
        ] {
            let mut out = Extracted::default();
            extract_by_parsing(&src, false, &[], &mut out);
            assert_eq!(out.diagnostics.len(), 1, "{}", &src[..40]);
            assert!(out.signals.is_empty());
            // The token scan has no recursion to guard: it reads the file.
            let mut out = Extracted::default();
            extract(&src, false, &[], &mut out);
            assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
            assert_eq!(out.signals.len(), 1);
        }
        let mut out = Extracted::default();
        let fine = "import torch\n# ----------------------------------------\nx = [[[[1]]]]\n";
        extract_by_parsing(fine, false, &[], &mut out);
        assert!(out.diagnostics.is_empty());
        assert_eq!(out.signals.len(), 1);
    }

    #[test]
    fn decodes_declared_encodings() {
        let mut out = Extracted::default();
        let latin = b"# -*- coding: latin-1 -*-\nname = '\xe9'\nimport torch\n";
        let text = decode(latin, &mut out);
        assert!(text.contains('é'));
        assert!(out.diagnostics.is_empty());
        let text = decode(b"import torch\nx = '\xff'\n", &mut out);
        assert!(text.starts_with("import torch"));
        assert_eq!(out.diagnostics[0].code, "FW003");
        assert_eq!(out.diagnostics[0].line, 2);
    }
}
