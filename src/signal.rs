//! The plain data that flows from `extract` to `infer`: signals found in files
//! and diagnostics about files that could not be read or parsed.

use serde::Serialize;

/// What sort of evidence a signal is. Serialised in kebab-case, as in the
/// `signals --format jsonl` contract.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum SignalKind {
    /// An `import` / `from … import` statement (absolute imports only).
    Import,
    /// `importlib.import_module("x")` or `__import__("x")` with a literal name.
    DynamicImport,
    /// A declared dependency: `pypi:name`, `conda:name`, `maven:group:artifact`,
    /// `npm:name`, `cocoapods:Name`, `swiftpm:name`, `pub:name`.
    Dependency,
    /// A container image: `image:tensorflow/serving`.
    Image,
    /// Code in another language importing a package: a JS/TS import of an
    /// npm package (`npm:@tensorflow/tfjs`), a Rust `use` of a crate (`crates:tch`).
    JsImport,
    /// A key in a deployment or cloud configuration: `k8s:InferenceService`.
    ConfigKey,
    /// A literal environment assignment, `NAME=value`.
    Env,
    /// A string literal with a scheme the rules care about (`gs://…`).
    Uri,
    /// A goal-revealing word in a README or doc page.
    Keyword,
    /// A file whose path matches a path rule.
    Path,
    /// A fact about the shape of a project (`notebooks-only`), made by `infer`.
    Layout,
    /// A `-r other.txt` include in a requirements file (resolved by the pipeline).
    Include,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            SignalKind::Import => "import",
            SignalKind::DynamicImport => "dynamic-import",
            SignalKind::Dependency => "dependency",
            SignalKind::Image => "image",
            SignalKind::JsImport => "js-import",
            SignalKind::ConfigKey => "config-key",
            SignalKind::Env => "env",
            SignalKind::Uri => "uri",
            SignalKind::Keyword => "keyword",
            SignalKind::Path => "path",
            SignalKind::Layout => "layout",
            SignalKind::Include => "include",
        }
    }
}

/// Where a signal sits. Several may apply (`module` + `try` + `test`).
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Context {
    Module,
    Class,
    Function,
    Try,
    TypeChecking,
    Test,
    Example,
    Dev,
    Optional,
}

impl Context {
    pub fn as_str(self) -> &'static str {
        match self {
            Context::Module => "module",
            Context::Class => "class",
            Context::Function => "function",
            Context::Try => "try",
            Context::TypeChecking => "type-checking",
            Context::Test => "test",
            Context::Example => "example",
            Context::Dev => "dev",
            Context::Optional => "optional",
        }
    }
}

/// The order of signals in a scan: by place, then kind and key.
pub fn order(a: &Signal, b: &Signal) -> std::cmp::Ordering {
    (&a.path, a.cell, a.line, a.column, a.kind, &a.key)
        .cmp(&(&b.path, b.cell, b.line, b.column, b.kind, &b.key))
}

/// One piece of evidence found in one file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Signal {
    /// Relative to the scanned root, `/`-separated.
    pub path: String,
    /// Notebook cell, 1-based; lines and columns are then within the cell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
    pub kind: SignalKind,
    pub key: String,
    pub context: Vec<Context>,
    /// For `from a.b import c`: the names imported (`c`), so that rules on
    /// namespace packages (`google.cloud.aiplatform`) can match. Not part of
    /// the JSONL contract, whose key is the module named (`a.b`).
    #[serde(skip)]
    pub names: Vec<String>,
}

impl Signal {
    pub fn new(kind: SignalKind, key: impl Into<String>, line: u32, column: u32) -> Signal {
        Signal {
            path: String::new(),
            cell: None,
            line,
            column,
            kind,
            key: key.into(),
            context: Vec::new(),
            names: Vec::new(),
        }
    }

    pub fn with_context(mut self, context: &[Context]) -> Signal {
        self.context.extend_from_slice(context);
        self.context.sort();
        self.context.dedup();
        self
    }

    /// `path:line:col`, or `path:cell N:line:col` for notebooks (as ruff writes it).
    pub fn location(&self) -> String {
        location(&self.path, self.cell, self.line, self.column)
    }
}

pub fn location(path: &str, cell: Option<u32>, line: u32, column: u32) -> String {
    match cell {
        Some(cell) => format!("{path}:cell {cell}:{line}:{column}"),
        None => format!("{path}:{line}:{column}"),
    }
}

/// A problem with an input file. Never fatal: the scan goes on.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Diagnostic {
    pub path: String,
    pub cell: Option<u32>,
    pub line: u32,
    pub column: u32,
    pub code: &'static str,
    pub message: String,
}

impl Diagnostic {
    pub fn new(code: &'static str, line: u32, column: u32, message: impl Into<String>) -> Self {
        Diagnostic {
            path: String::new(),
            cell: None,
            line,
            column,
            code,
            message: message.into(),
        }
    }
}

/// What an extractor gives back for one file.
#[derive(Debug, Default)]
pub struct Extracted {
    pub signals: Vec<Signal>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Extracted {
    pub fn push(&mut self, signal: Signal) {
        self.signals.push(signal);
    }

    /// `line:key` of each signal, in order: what extractor tests compare.
    #[cfg(test)]
    pub fn line_keys(&self) -> Vec<String> {
        self.signals
            .iter()
            .map(|s| format!("{}:{}", s.line, s.key))
            .collect()
    }

    pub fn diagnose(&mut self, code: &'static str, line: u32, column: u32, message: String) {
        self.diagnostics
            .push(Diagnostic::new(code, line, column, message));
    }
}

/// Line and column (1-based, columns in characters) of byte offsets in a text.
pub struct LineIndex {
    starts: Vec<usize>,
    /// Offsets of UTF-8 continuation bytes (empty for ASCII text), so that a
    /// column in characters costs a binary search, not a walk of the line:
    /// a minified one-line manifest asks for thousands of columns.
    continuations: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1));
        let continuations = if text.is_ascii() {
            Vec::new()
        } else {
            let bytes = text.as_bytes().iter().enumerate();
            bytes
                .filter(|(_, b)| **b & 0xC0 == 0x80)
                .map(|(i, _)| i)
                .collect()
        };
        LineIndex {
            starts,
            continuations,
        }
    }

    pub fn line_col(&self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        let line = self.starts.partition_point(|&s| s <= offset).max(1);
        let start = self.starts[line - 1];
        let inside = |at: usize| self.continuations.partition_point(|&c| c < at);
        let column = (offset - start) - (inside(offset) - inside(start));
        (to_u32(line), to_u32(column + 1))
    }
}

/// Line and column (as [`LineIndex`] gives them) of offsets asked for in
/// increasing order, counted from the last one: a Python file's signals come
/// in order, mostly near its top, so most of it is never counted. An offset
/// before the last starts the count over.
#[derive(Default)]
pub struct LineCursor {
    offset: usize,
    /// Newlines before `offset`.
    newlines: usize,
    /// Characters from the start of `offset`'s line to it.
    column: usize,
}

impl LineCursor {
    pub fn line_col(&mut self, text: &str, offset: usize) -> (u32, u32) {
        let offset = offset.min(text.len());
        if offset < self.offset {
            *self = LineCursor::default();
        }
        let bytes = &text.as_bytes()[self.offset..offset];
        let counted = match memchr::memrchr(b'\n', bytes) {
            Some(last) => {
                self.newlines += memchr::memchr_iter(b'\n', bytes).count();
                self.column = 0;
                &bytes[last + 1..]
            }
            None => bytes,
        };
        self.column += counted.iter().filter(|&&b| b & 0xC0 != 0x80).count();
        self.offset = offset;
        (to_u32(self.newlines + 1), to_u32(self.column + 1))
    }
}

pub fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The cursor gives what the index gives, in any order of offsets
        /// (going back starts it over), on multi-byte text and CRLF lines.
        #[test]
        fn the_cursor_counts_as_the_index_does(
            pieces in prop::collection::vec(prop::sample::select(vec!["a", "\n", "\r\n", "é", "😀", " "]), 0..80),
            picks in prop::collection::vec(any::<prop::sample::Index>(), 1..12),
            sorted in any::<bool>(),
        ) {
            let text: String = pieces.concat();
            let bounds: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
            let mut offsets: Vec<usize> = picks.iter().map(|p| bounds[p.index(bounds.len())]).collect();
            if sorted {
                offsets.sort();
            }
            let index = LineIndex::new(&text);
            let mut cursor = LineCursor::default();
            for at in offsets {
                prop_assert_eq!(cursor.line_col(&text, at), index.line_col(&text, at), "at {}", at);
            }
        }
    }
}
