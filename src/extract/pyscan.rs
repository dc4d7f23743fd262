//! Python signals from one pass of a tokenizer, without building a syntax
//! tree: imports (with their function/class/try/`TYPE_CHECKING` context),
//! dynamic imports, literal environment assignments and URIs.
//!
//! A full parse cost five times the rest of the scan (BENCHMARKS.md); every
//! signal fwlint reads from Python is visible in the tokens of one logical
//! line plus the indentation stack. The parser-based visitor in
//! [`super::python`] stays as the oracle: `tests/python_scan.rs` checks both
//! agree on every signal and context, and `tests/cpython_differential.rs`
//! checks the imports against CPython's own `ast`.

use super::byteset::ByteSet;
use crate::signal::{Context, Extracted, LineCursor, Signal, SignalKind};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum K {
    Name,
    Number,
    /// A complete string literal; `literal` is false for bytes and for a
    /// string left unterminated.
    Str {
        literal: bool,
    },
    /// An f- or t-string opens; the tokens of its replacement fields follow,
    /// each field introduced by `Field`, up to the matching `FEnd`.
    FStart,
    Field,
    FEnd,
    Open,
    Close,
    Dot,
    Ellipsis,
    Comma,
    Semi,
    Colon,
    /// A plain `=` (not `==`, `<=`, `+=`, `:=`…).
    Eq,
    At,
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Tok {
    kind: K,
    start: usize,
    end: usize,
}

/// Splits a source into logical lines of tokens, as Python's tokenizer does:
/// brackets and backslashes join physical lines, comments and blank lines
/// vanish. It records the first structural error (unterminated string,
/// unbalanced bracket) and never fails.
struct Lexer<'s> {
    src: &'s [u8],
    pos: usize,
    notebook: bool,
    /// Open brackets (and f-string fields, as `{`) with their offsets.
    brackets: Vec<(u8, usize)>,
    /// Replacement fields being read, one inside the other.
    fields_open: usize,
    error: Option<(usize, String)>,
    /// Whether a line that starts no statement worth reading may be skimmed
    /// (see [`Lexer::skim`]).
    may_skim: bool,
    /// Where the words start whose calls or strings the reader must see
    /// ([`Words::hot`]): a skimmed line holding one is read again in full.
    hot: &'s [usize],
    /// The first of `hot` not before the line last skimmed.
    next_hot: usize,
    /// Where skimmed tokens go, to be dropped.
    scratch: Vec<Tok>,
}

/// How a logical line is read, from its first word.
#[derive(Clone, Copy, PartialEq)]
enum Start {
    Full,
    Header,
    Simple,
}

/// How a skim ended.
enum Skimmed {
    /// At the newline ending the line, or the end of the source.
    Line,
    /// Just past a header's colon, at this offset.
    Colon(usize),
    /// Where skimming cannot tell what reading in full would: start over.
    Again,
}

/// What a source holds that decides how it is read, found in one pass per
/// word over the whole source.
#[derive(Clone, Debug)]
pub struct Words {
    /// Just past the last `import` anywhere: no import starts after it.
    last_import: Option<usize>,
    /// Where each `import_module`, `__import__`, `environ` and URI prefix
    /// starts, in order: dynamic imports, environment assignments and URIs
    /// sit on the lines holding these words, and only there does the
    /// reader need every token. Empty (no allocation) in most sources, and
    /// left empty when `dense`.
    hot: Vec<usize>,
    /// Just past the start of the last of those words.
    last_hot: Option<usize>,
    /// Those words are so many (one every few lines) that skimming the
    /// lines between them would cost more than it saves: every line is
    /// read in full.
    dense: bool,
    /// A call word anywhere: calls and assignments may be signals.
    calls: bool,
    /// One of the URI prefixes anywhere: any string may be a signal.
    uris: bool,
}

/// The searchers for the two words every source is searched for, built
/// once: building one for each source was a percent of a check's time.
static IMPORT: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"import"));
static ENVIRON: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"environ"));

thread_local! {
    /// Searchers for the rules' URI prefixes, built once a thread.
    static FINDERS: std::cell::RefCell<Vec<memchr::memmem::Finder<'static>>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// Runs `f` with a searcher for `word`: building one for each source cost
/// as much as searching a small one.
fn with_finder<T>(word: &str, f: impl FnOnce(&memchr::memmem::Finder) -> T) -> T {
    FINDERS.with(|cell| {
        let mut finders = cell.borrow_mut();
        let at = match finders.iter().position(|x| x.needle() == word.as_bytes()) {
            Some(at) => at,
            None => {
                // A thread sees the prefixes of a ruleset or two.
                if finders.len() >= 64 {
                    finders.clear();
                }
                finders.push(memchr::memmem::Finder::new(word.as_bytes()).into_owned());
                finders.len() - 1
            }
        };
        f(&finders[at])
    })
}

/// Notes where the words `found` start, up to one past `most` in all;
/// whether there was any.
fn note_hot(hot: &mut Vec<usize>, most: usize, found: impl Iterator<Item = usize>) -> bool {
    let mut any = false;
    for at in found {
        any = true;
        if hot.len() > most {
            break;
        }
        hot.push(at);
    }
    any
}

/// Bytes of source per call word below which it counts as dense.
const DENSE: usize = 256;

impl Words {
    pub fn find(source: &str, uri_prefixes: &[&str]) -> Words {
        let bytes = source.as_bytes();
        // A few are never dense: short sources (and the tests' fragments)
        // take the skimming path too.
        let most = (bytes.len() / DENSE).max(16);
        let mut last_import = None;
        let mut hot = Vec::new();
        // `import` cannot overlap itself, so this sees every occurrence, and
        // with them the two call words that contain it.
        for at in IMPORT.find_iter(bytes) {
            last_import = Some(at + 6);
            let after = &bytes[at + 6..];
            if after.starts_with(b"_module")
                || (bytes[..at].ends_with(b"__") && after.starts_with(b"__"))
            {
                hot.push(at);
            }
        }
        let last_call_import = hot.last().copied();
        let environ = note_hot(&mut hot, most, ENVIRON.find_iter(bytes));
        let mut uris = false;
        for prefix in uri_prefixes {
            uris |= with_finder(prefix, |finder| {
                note_hot(&mut hot, most, finder.find_iter(bytes))
            });
        }
        let calls = last_call_import.is_some() || environ;
        let dense = hot.len() > most;
        let last_hot = if dense {
            // Their places are not kept: the last of each word is found
            // from the end.
            hot = Vec::new();
            let others = std::iter::once("environ").chain(uri_prefixes.iter().copied());
            let last_other = others.filter_map(|w| memchr::memmem::rfind(bytes, w.as_bytes()));
            last_other.chain(last_call_import).max()
        } else {
            hot.sort_unstable();
            hot.last().copied()
        };
        Words {
            last_import,
            hot,
            last_hot: last_hot.map(|at| at + 1),
            dense,
            calls,
            uris,
        }
    }

    /// Whether the source can hold any signal at all.
    pub fn worth_reading(&self) -> bool {
        self.last_import.is_some() || self.last_hot.is_some()
    }

    /// Where reading may stop: at the first line that starts past the last
    /// `import` and the last word of [`Words::hot`]. Nothing after it can
    /// change a signal, so the syntax errors after it go unreported, as
    /// they do in a source without `import` at all.
    fn read_until(&self) -> usize {
        self.last_import
            .unwrap_or(0)
            .max(self.last_hot.unwrap_or(0))
    }
}

/// Bytes a skimmed line stops at: quotes, brackets, comments, backslashes,
/// newlines and `;` — in a header its `:` too, and in a notebook the
/// operators that can hold the `=` of `x = !ls`.
const STOPS: ByteSet = ByteSet::of(b"\"'()[]{}#\\\n\r;");
const STOPS_IN_HEADER: ByteSet = STOPS.with(b":");
const STOPS_IN_NOTEBOOK: ByteSet = STOPS.with(b"=<>!:*/+-%&|^@~");

/// How an f- or t-string is quoted, which decides where its text ends.
#[derive(Clone, Copy)]
struct Quoting {
    quote: u8,
    triple: bool,
    raw: bool,
}

/// f-strings nested deeper than this are not followed (CPython stops far
/// sooner); the bound keeps the recursion through nested fields shallow.
const MAX_FIELD_NESTING: usize = 200;

/// Where a line starts: columns (tabs to multiples of two) and characters.
/// Two indentations compare only when both measures agree; otherwise the
/// mix of tabs and spaces is ambiguous (ruff's rule, stricter than none).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
struct Indent {
    col: u32,
    chars: u32,
}

impl Indent {
    fn compare(self, other: Indent) -> Option<std::cmp::Ordering> {
        let by_col = self.col.cmp(&other.col);
        (by_col == self.chars.cmp(&other.chars)).then_some(by_col)
    }
}

fn is_id(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

fn is_newline(b: u8) -> bool {
    b == b'\n' || b == b'\r'
}

impl<'s> Lexer<'s> {
    fn fail(&mut self, at: usize, message: impl Into<String>) {
        if self.error.is_none() {
            self.error = Some((at, message.into()));
        }
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.src.len()
    }

    /// Consumes one newline (`\n`, `\r\n` or `\r`).
    fn newline(&mut self) {
        if self.peek(0) == b'\r' && self.peek(1) == b'\n' {
            self.pos += 1;
        }
        self.pos += 1;
    }

    fn skip_line(&mut self) {
        let rest = &self.src[self.pos..];
        self.pos += memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
    }

    /// Spaces, comments and backslash continuations; newlines too when
    /// `newlines` (inside brackets, where they do not end a line).
    #[inline(always)]
    fn skip_trivia(&mut self, newlines: bool) {
        // Most calls find a token or a newline at once: checked where they
        // are made, without a call.
        if matches!(
            self.peek(0),
            b' ' | b'\t' | b'\x0c' | b'#' | b'\\' | b'\n' | b'\r'
        ) {
            self.skip_some_trivia(newlines);
        }
    }

    fn skip_some_trivia(&mut self, newlines: bool) {
        while !self.at_end() {
            match self.peek(0) {
                b' ' | b'\t' | b'\x0c' => self.pos += 1,
                b'#' => self.skip_line(),
                b'\\' if is_newline(self.peek(1)) => {
                    self.pos += 1;
                    self.newline();
                }
                b'\n' | b'\r' if newlines => self.newline(),
                _ => return,
            }
        }
    }

    /// The next logical line's tokens into `toks` (cleared first) and its
    /// indentation; `None` at the end of the source.
    fn line(&mut self, toks: &mut Vec<Tok>) -> Option<Indent> {
        toks.clear();
        let indent = loop {
            if self.at_end() {
                return None;
            }
            let indent = self.indentation();
            if self.peek(0) == b'#' {
                self.skip_line();
            }
            if self.at_end() {
                return None;
            }
            if is_newline(self.peek(0)) {
                self.newline();
                continue;
            }
            break indent;
        };
        if self.notebook && matches!(self.peek(0), b'%' | b'!' | b'?' | b'/' | b';' | b',') {
            self.escape_command(toks);
        }
        let mut skimmed = false;
        loop {
            self.skip_trivia(!self.brackets.is_empty());
            if self.at_end() {
                if let Some(&(open, at)) = self.brackets.last() {
                    self.fail(at, format!("'{}' was never closed", open as char));
                    self.brackets.clear();
                }
                return Some(indent);
            }
            if is_newline(self.peek(0)) {
                self.newline();
                return Some(indent);
            }
            if toks.is_empty() && !skimmed && self.may_skim && !self.hot_on_line() {
                skimmed = true;
                let (start, word) = self.start();
                if start != Start::Full {
                    self.skim_line(toks, start == Start::Header, word);
                    continue;
                }
            }
            self.token(toks);
        }
    }

    /// How the line starting at the cursor is read, from its first word;
    /// and that word's length.
    fn start(&self) -> (Start, usize) {
        let rest = &self.src[self.pos..];
        let word = &rest[..rest.iter().take_while(|&&b| is_id(b)).count()];
        let start = match word {
            // Soft keywords (they may start a block or not), `async` (its
            // header word is the next), imports: the reader needs every token.
            b"match" | b"case" | b"async" | b"import" | b"from" => Start::Full,
            // Compound statement headers: the reader needs the word, where
            // the header ends, and any statement after the colon.
            b"if" | b"elif" | b"else" | b"for" | b"while" | b"try" | b"except" | b"finally"
            | b"with" | b"def" | b"class" => Start::Header,
            _ => Start::Simple,
        };
        (start, word.len())
    }

    /// A logical line whose first token is all the reader needs — or, for a
    /// compound header, its first token, its colon and what follows it on
    /// the line: the first token goes to `toks`, the rest up to the colon or
    /// the end is followed as `token` would follow it (brackets, strings,
    /// joins, and so every error) but not kept. Where a skim cannot be sure
    /// (a `;` may start an import) the line is read again in full. `word` is
    /// the length of the first word, as [`Lexer::start`] measured it.
    fn skim_line(&mut self, toks: &mut Vec<Tok>, header: bool, word: usize) {
        let start = self.pos;
        let had_error = self.error.is_some();
        if word > 0 {
            self.word(toks, word);
        } else {
            self.token(toks);
        }
        // A `;` first ends an empty statement: the next may be an import.
        if toks.len() == 1 && toks[0].kind != K::Semi {
            match self.skim(header, start) {
                _ if self.holds_hot(start, self.pos) => {}
                Skimmed::Line => return,
                Skimmed::Colon(at) => {
                    // The body after it is read in full.
                    return toks.push(Tok {
                        kind: K::Colon,
                        start: at,
                        end: at + 1,
                    });
                }
                Skimmed::Again => {}
            }
        }
        toks.clear();
        self.brackets.clear();
        self.fields_open = 0;
        if !had_error {
            self.error = None;
        }
        self.pos = start;
    }

    /// Whether a word of [`Words::hot`] starts in `from..to`; lines are
    /// skimmed in order, so `from` only grows.
    fn holds_hot(&mut self, from: usize, to: usize) -> bool {
        let passed = self.hot[self.next_hot..].partition_point(|&at| at < from);
        self.next_hot += passed;
        self.hot.get(self.next_hot).is_some_and(|&at| at < to)
    }

    /// Whether a word of [`Words::hot`] starts on the physical line at the
    /// cursor: its logical line is read in full at once, not skimmed and
    /// then read again (a settings module says `environ` on every line).
    fn hot_on_line(&mut self) -> bool {
        if self.next_hot >= self.hot.len() {
            return false;
        }
        let rest = &self.src[self.pos..];
        let end = self.pos + memchr::memchr2(b'\n', b'\r', rest).unwrap_or(rest.len());
        self.holds_hot(self.pos, end)
    }

    /// Where the string whose quote is at the cursor starts: at its prefix
    /// (`rb'…'`) when the word just before the quote is one, as `token` reads
    /// it; never before `from`, where skimming began.
    fn prefix_start(&self, from: usize) -> usize {
        let word = self.src[from..self.pos]
            .iter()
            .rev()
            .take(3)
            .take_while(|&&b| is_id(b))
            .count();
        // Fewer than three: the word stops at a non-word byte or at `from`.
        let start = self.pos - word;
        let prefix = &self.src[start..self.pos];
        if word <= 2 && prefix.iter().all(|c| b"rRbBuUfFtT".contains(c)) {
            start
        } else {
            self.pos
        }
    }

    /// Follows the rest of a logical line without keeping tokens; stops
    /// before the newline that ends it, or at the end — or, for a `header`
    /// (the line started at `line`), past the colon that ends it, found as
    /// the reader finds it: the first `:` outside brackets.
    fn skim(&mut self, header: bool, line: usize) -> Skimmed {
        let stops = match (self.notebook, header) {
            (false, false) => &STOPS,
            (false, true) => &STOPS_IN_HEADER,
            (true, _) => &STOPS_IN_NOTEBOOK,
        };
        let mut scratch = std::mem::take(&mut self.scratch);
        let from = self.pos;
        // Brackets as the reader counts them, in tokens: unlike the lexer's
        // stack, an unmatched closing one counts.
        let mut depth = 0i32;
        let skimmed = loop {
            let rest = &self.src[self.pos..];
            self.pos += stops.find(rest);
            if self.at_end() {
                break Skimmed::Line;
            }
            let at = self.pos;
            match self.peek(0) {
                b'\n' | b'\r' if self.brackets.is_empty() => break Skimmed::Line,
                b'\n' | b'\r' => self.newline(),
                b'#' => self.skip_line(),
                b'\\' if is_newline(self.peek(1)) => {
                    self.pos += 1;
                    self.newline();
                }
                b';' => break Skimmed::Again,
                // Brackets and colons are most of the stops: followed here
                // as `token` follows them, without a token.
                b @ (b'(' | b'[' | b'{') => {
                    self.brackets.push((b, at));
                    self.pos += 1;
                    depth += 1;
                    continue;
                }
                b @ (b')' | b']' | b'}') => {
                    self.pos += 1;
                    self.close(b, at);
                    depth -= 1;
                    continue;
                }
                b':' if self.peek(1) == b'=' => {
                    self.pos += 2;
                    continue;
                }
                b':' => {
                    self.pos += 1;
                    if header && depth == 0 {
                        self.scratch = scratch;
                        return self.after_header_colon(line, at);
                    }
                    continue;
                }
                b'"' | b'\'' => {
                    let src = self.src;
                    let start = self.prefix_start(from);
                    self.string(&mut scratch, start, &src[start..self.pos]);
                    // An f-string's fields are code: a `;` there splits too,
                    // and a `:` there might end a header.
                    let code = |t: &Tok| t.kind == K::Semi || (header && t.kind == K::Colon);
                    if scratch.iter().any(code) {
                        break Skimmed::Again;
                    }
                }
                _ => self.token(&mut scratch),
            }
            // Only a string's tokens are left here (a colon in an f-string
            // field starts over above): its fields' brackets.
            for t in &scratch {
                match t.kind {
                    K::Open | K::FStart => depth += 1,
                    K::Close | K::FEnd => depth -= 1,
                    _ => {}
                }
            }
            scratch.clear();
        };
        scratch.clear();
        self.scratch = scratch;
        skimmed
    }

    /// The colon at `at` ends the header that started at `line` — unless a
    /// lambda's colon came first, rare enough to leave to the reader, or the
    /// header names `TYPE_CHECKING`.
    fn after_header_colon(&self, line: usize, at: usize) -> Skimmed {
        let header = &self.src[line..at];
        // A search per header: a `memmem` searcher costs more to set up
        // than these few bytes take to look through. `TYPE_CHECKING` in an
        // `if` test makes a context, which the reader must then see.
        let read_in_full = memchr::memchr2_iter(b'l', b'T', header).any(|i| {
            header[i..].starts_with(b"lambda") || header[i..].starts_with(b"TYPE_CHECKING")
        });
        if read_in_full {
            Skimmed::Again
        } else {
            Skimmed::Colon(at)
        }
    }

    /// A line's leading whitespace, measured as ruff's parser does: in
    /// columns (a tab to the next multiple of two) and in characters; a form
    /// feed starts over. Whitespace after a backslash continuation does not
    /// count unless the line had none before it.
    fn indentation(&mut self) -> Indent {
        // Most lines start with spaces only: counted in one go.
        let rest = &self.src[self.pos..];
        let spaces = rest.iter().take_while(|&&b| b == b' ').count();
        if !matches!(rest.get(spaces), Some(b'\t' | b'\x0c' | b'\\')) {
            self.pos += spaces;
            let n = u32::try_from(spaces).unwrap_or(u32::MAX);
            return Indent { col: n, chars: n };
        }
        let (mut col, mut chars) = (0u32, 0u32);
        while !self.at_end() {
            match self.peek(0) {
                b' ' => col = col.saturating_add(1),
                b'\t' => col = col.saturating_add(2 - col % 2),
                b'\x0c' => {
                    (col, chars) = (0, 0);
                    self.pos += 1;
                    continue;
                }
                b'\\' if is_newline(self.peek(1)) => {
                    self.pos += 1;
                    self.newline();
                    if chars > 0 {
                        while matches!(self.peek(0), b' ' | b'\t' | b'\x0c') {
                            self.pos += 1;
                        }
                        break;
                    }
                    continue;
                }
                _ => break,
            }
            chars = chars.saturating_add(1);
            self.pos += 1;
        }
        Indent { col, chars }
    }

    /// An IPython `%magic`, `!shell`, `?help` or `/autocall` line: not Python,
    /// one token.
    fn escape_command(&mut self, toks: &mut Vec<Tok>) {
        let start = self.pos;
        loop {
            self.skip_line();
            if self.pos > start && self.src[self.pos - 1] == b'\\' && !self.at_end() {
                self.newline();
                continue;
            }
            break;
        }
        toks.push(Tok {
            kind: K::Other,
            start,
            end: self.pos,
        });
    }

    fn push(&mut self, toks: &mut Vec<Tok>, kind: K, start: usize) {
        toks.push(Tok {
            kind,
            start,
            end: self.pos,
        });
    }

    fn token(&mut self, toks: &mut Vec<Tok>) {
        let start = self.pos;
        let b = self.peek(0);
        if b == b'"' || b == b'\'' {
            return self.string(toks, start, b"");
        }
        if is_id(b) {
            let len = self.src[start..].iter().take_while(|&&c| is_id(c)).count();
            return self.word(toks, len);
        }
        self.pos += 1;
        let kind = match b {
            b'(' | b'[' | b'{' => {
                self.brackets.push((b, start));
                K::Open
            }
            b')' | b']' | b'}' => {
                self.close(b, start);
                K::Close
            }
            b'.' if self.peek(0) == b'.' && self.peek(1) == b'.' => {
                self.pos += 2;
                K::Ellipsis
            }
            b'.' => K::Dot,
            b',' => K::Comma,
            b';' => K::Semi,
            b'=' if self.peek(0) == b'=' => {
                self.pos += 1;
                K::Other
            }
            b'=' => {
                if self.notebook
                    && self.brackets.is_empty()
                    && self.after_spaces_is(|c| c == b'%' || c == b'!')
                {
                    // `x = !ls`, `y = %time f()`: the rest of the line is IPython.
                    self.push(toks, K::Eq, start);
                    return self.escape_command(toks);
                }
                K::Eq
            }
            b':' if self.peek(0) == b'=' => {
                self.pos += 1;
                K::Other
            }
            b':' => K::Colon,
            b'@' if self.peek(0) != b'=' => K::At,
            b'-' if self.peek(0) == b'>' => {
                self.pos += 1;
                K::Other
            }
            b'*' | b'/' | b'<' | b'>' => {
                if self.peek(0) == b {
                    self.pos += 1;
                }
                if self.peek(0) == b'=' {
                    self.pos += 1;
                }
                K::Other
            }
            b'+' | b'-' | b'%' | b'&' | b'|' | b'^' | b'@' | b'!' | b'~' => {
                if self.peek(0) == b'=' {
                    self.pos += 1;
                }
                K::Other
            }
            _ => K::Other,
        };
        self.push(toks, kind, start);
    }

    /// The word of `len` bytes at the cursor: a name, a number, or the
    /// prefix of the string that follows it.
    fn word(&mut self, toks: &mut Vec<Tok>, len: usize) {
        let start = self.pos;
        self.pos += len;
        let word = &self.src[start..self.pos];
        let q = self.peek(0);
        if (q == b'"' || q == b'\'')
            && word.len() <= 2
            && word.iter().all(|c| b"rRbBuUfFtT".contains(c))
        {
            return self.string(toks, start, word);
        }
        let kind = if word[0].is_ascii_digit() {
            K::Number
        } else {
            K::Name
        };
        self.push(toks, kind, start);
    }

    fn after_spaces_is(&self, f: impl Fn(u8) -> bool) -> bool {
        let rest = &self.src[self.pos..];
        rest.iter()
            .find(|&&c| c != b' ' && c != b'\t')
            .is_some_and(|&c| f(c))
    }

    fn close(&mut self, b: u8, at: usize) {
        let open = match b {
            b')' => b'(',
            b']' => b'[',
            _ => b'{',
        };
        match self.brackets.pop() {
            Some((o, _)) if o == open => {}
            Some((o, _)) => self.fail(
                at,
                format!(
                    "closing parenthesis '{}' does not match opening parenthesis '{}'",
                    b as char, o as char
                ),
            ),
            None => self.fail(at, format!("unmatched '{}'", b as char)),
        }
    }

    fn string(&mut self, toks: &mut Vec<Tok>, start: usize, prefix: &[u8]) {
        let has = |c: u8| prefix.iter().any(|p| p.eq_ignore_ascii_case(&c));
        let quote = self.peek(0);
        let triple = self.peek(1) == quote && self.peek(2) == quote;
        self.pos += if triple { 3 } else { 1 };
        if has(b'f') || has(b't') {
            let q = Quoting {
                quote,
                triple,
                raw: has(b'r'),
            };
            return self.interpolated(toks, start, q);
        }
        let closed = self.plain_string_body(quote, triple);
        if !closed && triple {
            self.fail(start, "unterminated triple-quoted string literal");
        } else if !closed {
            self.fail(start, "unterminated string literal");
        }
        let literal = closed && !has(b'b');
        self.push(toks, K::Str { literal }, start);
    }

    /// Skips to just past the closing quote; false when the string is
    /// unterminated (a newline in a one-line string, or the end).
    fn plain_string_body(&mut self, quote: u8, triple: bool) -> bool {
        while !self.at_end() {
            // Jump to the next byte that matters: with memchr in docstrings,
            // which are long; byte by byte in short strings. Unterminated, to
            // the end, never inside a character (an escaped byte may have
            // left us in one).
            let rest = &self.src[self.pos..];
            if triple {
                match memchr::memchr2(quote, b'\\', rest) {
                    Some(skip) => self.pos += skip,
                    None => {
                        self.pos = self.src.len();
                        break;
                    }
                }
            } else {
                let stop = |b: &u8| *b == quote || matches!(b, b'\\' | b'\n' | b'\r');
                match rest.iter().position(stop) {
                    Some(skip) => self.pos += skip,
                    None => {
                        self.pos = self.src.len();
                        break;
                    }
                }
            }
            match self.peek(0) {
                b'\\' => {
                    self.pos += 1;
                    if !self.at_end() {
                        self.newline_or_byte();
                    }
                }
                b'\n' | b'\r' if !triple => return false,
                c if c == quote => {
                    if !triple {
                        self.pos += 1;
                        return true;
                    }
                    if self.peek(1) == quote && self.peek(2) == quote {
                        self.pos += 3;
                        return true;
                    }
                    self.pos += 1;
                }
                _ => self.pos += 1,
            }
        }
        false
    }

    fn newline_or_byte(&mut self) {
        if is_newline(self.peek(0)) {
            self.newline();
        } else {
            self.pos += 1;
        }
    }

    /// An f- or t-string: literal text, and replacement fields whose
    /// expressions are tokenized like any code (PEP 701 lets them nest).
    fn interpolated(&mut self, toks: &mut Vec<Tok>, start: usize, q: Quoting) {
        self.push(toks, K::FStart, start);
        let end = self.interpolated_text(toks, q, false);
        if !end {
            self.fail(start, "unterminated f-string literal");
        }
        self.push(toks, K::FEnd, self.pos);
    }

    /// Literal text up to the closing quote (true), or — in a format spec —
    /// up to the `}` closing the field (true, not consumed). False at an
    /// unterminated end.
    fn interpolated_text(&mut self, toks: &mut Vec<Tok>, q: Quoting, spec: bool) -> bool {
        let Quoting { quote, triple, raw } = q;
        let mut named_unicode = false;
        while !self.at_end() {
            match self.peek(0) {
                b'\n' | b'\r' if !triple => return false,
                b'\\' => {
                    self.pos += 1;
                    if matches!(self.peek(0), b'{' | b'}') {
                        continue;
                    }
                    if !raw && self.peek(0) == b'N' && self.peek(1) == b'{' {
                        self.pos += 2;
                        named_unicode = true;
                        continue;
                    }
                    if !self.at_end() {
                        self.newline_or_byte();
                    }
                }
                c if c == quote => {
                    let closes = !triple || (self.peek(1) == quote && self.peek(2) == quote);
                    if closes && spec {
                        // The string ends inside a field: left for the caller.
                        return false;
                    }
                    if closes {
                        self.pos += if triple { 3 } else { 1 };
                        return true;
                    }
                    self.pos += 1;
                }
                b'{' if self.peek(1) == b'{' && !spec => self.pos += 2,
                b'{' => self.field(toks, q),
                b'}' if named_unicode => {
                    named_unicode = false;
                    self.pos += 1;
                }
                b'}' if spec => return true,
                b'}' if self.peek(1) == b'}' => self.pos += 2,
                // A lone `}` is an error Python reports; it ends nothing.
                b'}' => self.pos += 1,
                _ => self.pos += 1,
            }
        }
        false
    }

    /// `{expression!conversion:spec}`; the expression's tokens go to `toks`.
    fn field(&mut self, toks: &mut Vec<Tok>, q: Quoting) {
        let start = self.pos;
        self.pos += 1;
        if self.fields_open >= MAX_FIELD_NESTING {
            // Each nested f-string recurses: past the bound, the rest of this
            // field is read as text rather than risk the stack.
            self.fail(start, "f-strings nested too deeply");
            return;
        }
        self.fields_open += 1;
        self.field_body(toks, q, start);
        self.fields_open -= 1;
    }

    fn field_body(&mut self, toks: &mut Vec<Tok>, q: Quoting, start: usize) {
        self.push(toks, K::Field, start);
        self.brackets.push((b'{', start));
        let depth = self.brackets.len();
        loop {
            self.skip_trivia(true);
            if self.at_end() {
                return;
            }
            let b = self.peek(0);
            if self.brackets.len() == depth {
                match b {
                    b'}' => {
                        self.pos += 1;
                        self.brackets.pop();
                        return;
                    }
                    b':' => {
                        self.pos += 1;
                        if self.interpolated_text(toks, q, true) {
                            self.pos += 1;
                        }
                        self.brackets.pop();
                        return;
                    }
                    b'!' if self.peek(1) != b'=' => {
                        self.pos += 1;
                        continue;
                    }
                    // The enclosing string's own quote cannot close it here
                    // (PEP 701); a newline in a one-line string does.
                    _ => {}
                }
            }
            if self.brackets.len() < depth {
                return;
            }
            self.token(toks);
        }
    }
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    Other,
    Function,
    Class,
    Try,
    TypeChecking,
}

/// The compound statement a clause (`else`, `except`) continues.
#[derive(Clone, Copy, PartialEq)]
enum Family {
    None,
    If,
    Try,
    Loop,
    Other,
}

#[derive(Clone, Copy, Default)]
struct Ctx {
    function: bool,
    class: bool,
    try_: bool,
    type_checking: bool,
}

impl Ctx {
    fn with(mut self, kind: Kind) -> Ctx {
        match kind {
            Kind::Function => self.function = true,
            Kind::Class => self.class = true,
            Kind::Try => self.try_ = true,
            Kind::TypeChecking => self.type_checking = true,
            Kind::Other => {}
        }
        self
    }

    fn contexts(self) -> Vec<Context> {
        let mut ctx = vec![if self.function {
            Context::Function
        } else if self.class {
            Context::Class
        } else {
            Context::Module
        }];
        if self.try_ {
            ctx.push(Context::Try);
        }
        if self.type_checking {
            ctx.push(Context::TypeChecking);
        }
        ctx
    }
}

struct Block {
    indent: Indent,
    kind: Kind,
    /// The last compound statement seen directly in this block.
    family: Family,
}

struct Reader<'s, 'o> {
    src: &'s str,
    index: LineCursor,
    uri_prefixes: &'s [&'s str],
    check_uris: bool,
    /// Whether calls, strings and assignments can hold a signal: only when
    /// the source has a URI prefix or a call word ([`Words`]).
    scans: bool,
    blocks: Vec<Block>,
    /// The kind of block the next indented line opens (after `try:` …).
    pending: Option<Kind>,
    /// Where the signals of the decorators before a `def`/`class` start:
    /// Python counts decorators as part of the definition.
    decorators: Option<usize>,
    error: Option<(usize, String)>,
    /// Imports of a first module this refuses are not made.
    wanted: Option<&'s ImportFilter<'s>>,
    out: &'o mut Extracted,
}

/// Whether an import of a first module (`a` of `a.b`) is wanted.
pub type ImportFilter<'f> = dyn Fn(&str) -> bool + Sync + 'f;

/// Signals of one Python source (a file, or a notebook cell when `notebook`:
/// IPython `%magic`, `!shell` and `?help` lines are skipped). The first
/// structural error is reported as FW002; the scan goes on past it.
pub fn extract(source: &str, notebook: bool, uri_prefixes: &[&str], out: &mut Extracted) {
    let words = Words::find(source, uri_prefixes);
    extract_with(source, notebook, uri_prefixes, words, None, out);
}

/// [`extract`] with the source's [`Words`] already found, making no import
/// `wanted` refuses.
pub fn extract_with(
    source: &str,
    notebook: bool,
    uri_prefixes: &[&str],
    words: Words,
    wanted: Option<&ImportFilter>,
    out: &mut Extracted,
) {
    let reading = Reading::SHORTEST;
    read(source, notebook, uri_prefixes, words, reading, wanted, out);
}

/// The shortcuts a reading takes, each of which must change no signal.
/// Tests and the fuzzer compare readings with and without them.
#[doc(hidden)]
#[derive(Clone, Copy, Debug)]
pub struct Reading {
    /// Skim the lines whose first token shows they hold no signal, still
    /// finding every syntax error on them.
    pub skim: bool,
    /// Stop where [`Words`] shows no import can follow: this drops the
    /// syntax errors after that point.
    pub stop_early: bool,
}

impl Reading {
    /// What [`extract`] does.
    pub const SHORTEST: Reading = Reading {
        skim: true,
        stop_early: true,
    };
}

/// [`extract`] taking only the shortcuts `reading` allows.
#[doc(hidden)]
pub fn extract_reading(
    source: &str,
    notebook: bool,
    uri_prefixes: &[&str],
    reading: Reading,
    out: &mut Extracted,
) {
    let words = Words::find(source, uri_prefixes);
    read(source, notebook, uri_prefixes, words, reading, None, out);
}

/// Reads a source, taking the shortcuts `reading` allows and `words` permit.
fn read(
    source: &str,
    notebook: bool,
    uri_prefixes: &[&str],
    words: Words,
    reading: Reading,
    wanted: Option<&ImportFilter>,
    out: &mut Extracted,
) {
    let src = source.strip_prefix('\u{feff}').unwrap_or(source);
    let offset = source.len() - src.len();
    let mut lexer = Lexer {
        src: source.as_bytes(),
        pos: offset,
        notebook,
        brackets: Vec::new(),
        fields_open: 0,
        error: None,
        may_skim: reading.skim && !words.dense,
        hot: &words.hot,
        next_hot: 0,
        scratch: Vec::new(),
    };
    let mut reader = Reader {
        src: source,
        index: LineCursor::default(),
        uri_prefixes,
        check_uris: words.uris,
        scans: words.uris || words.calls,
        blocks: vec![Block {
            indent: Indent::default(),
            kind: Kind::Other,
            family: Family::None,
        }],
        pending: None,
        decorators: None,
        error: None,
        wanted,
        out,
    };
    let until = if reading.stop_early {
        words.read_until()
    } else {
        usize::MAX
    };
    let mut toks = Vec::new();
    // Checked where a logical line starts: the one holding the last
    // `import` is read to its end, and a decorator's signals wait for the
    // `def` or `class` that gives them their context.
    let stopped = loop {
        if lexer.pos >= until && reader.decorators.is_none() {
            break true;
        }
        let Some(indent) = lexer.line(&mut toks) else {
            break false;
        };
        if let Some(first) = toks.first() {
            reader.line(&toks, indent, first.start);
        }
    };
    // A block the header wants may start after where reading stopped.
    if reader.pending.is_some() && !stopped {
        reader.fail(source.len(), "expected an indented block");
    }
    let error = [lexer.error, reader.error]
        .into_iter()
        .flatten()
        .min_by_key(|(at, _)| *at);
    if let Some((at, message)) = error {
        let (line, column) = reader.index.line_col(source, at);
        reader
            .out
            .diagnose("FW002", line, column, format!("syntax error: {message}"));
    }
}

impl Reader<'_, '_> {
    fn fail(&mut self, at: usize, message: &str) {
        if self.error.is_none() {
            self.error = Some((at, message.to_string()));
        }
    }

    fn text(&self, t: &Tok) -> &str {
        // Tokens start and end on ASCII bytes or at the end; `get` makes a
        // mistake there an empty name rather than a panic.
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn is_word(&self, t: Option<&Tok>, word: &str) -> bool {
        t.is_some_and(|t| t.kind == K::Name && self.text(t) == word)
    }

    fn ctx(&self) -> Ctx {
        self.blocks
            .iter()
            .fold(Ctx::default(), |c, b| c.with(b.kind))
    }

    fn emit(&mut self, kind: SignalKind, key: impl Into<String>, offset: usize, ctx: Ctx) {
        let (line, column) = self.index.line_col(self.src, offset);
        let mut signal = Signal::new(kind, key, line, column);
        // Sorted and without repeats already: no copy to sort.
        signal.context = ctx.contexts();
        self.out.push(signal);
    }

    fn line(&mut self, toks: &[Tok], indent: Indent, at: usize) {
        self.indent(indent, at);
        if toks.len() == 1 && !self.scans && toks[0].kind != K::At {
            // One token, where calls and strings hold nothing: no header, no
            // import, no signal (most skimmed lines).
            self.decorators = None;
            return self.set_family(Family::None);
        }
        let ctx = self.ctx();
        if toks[0].kind == K::At {
            let mark = self.out.signals.len();
            self.decorators.get_or_insert(mark);
            self.scan(toks, ctx);
            return;
        }
        if let Some(colon) = self.header_colon(toks) {
            return self.header(toks, colon, ctx);
        }
        self.decorators = None;
        self.set_family(Family::None);
        self.simple_statements(toks, ctx);
    }

    fn indent(&mut self, indent: Indent, at: usize) {
        use std::cmp::Ordering::{Equal, Greater, Less};
        let top = self.blocks.last().map_or(Indent::default(), |b| b.indent);
        match indent.compare(top) {
            Some(Greater) => {
                let kind = self.pending.take().unwrap_or_else(|| {
                    self.fail(at, "unexpected indent");
                    Kind::Other
                });
                self.blocks.push(Block {
                    indent,
                    kind,
                    family: Family::None,
                });
                return;
            }
            None => self.fail(at, "inconsistent use of tabs and spaces in indentation"),
            Some(Equal | Less) => {}
        }
        if self.pending.take().is_some() {
            self.fail(at, "expected an indented block");
        }
        while self.blocks.len() > 1
            && indent.compare(self.blocks[self.blocks.len() - 1].indent) == Some(Less)
        {
            self.blocks.pop();
        }
        if self
            .blocks
            .last()
            .is_some_and(|b| indent.compare(b.indent) != Some(Equal))
        {
            self.fail(at, "unindent does not match any outer indentation level");
        }
    }

    fn set_family(&mut self, family: Family) {
        if let Some(block) = self.blocks.last_mut() {
            block.family = family;
        }
    }

    /// Where a compound statement's header ends, if the line starts one.
    fn header_colon(&self, toks: &[Tok]) -> Option<usize> {
        let first = self.text(&toks[0]);
        let compound = matches!(
            first,
            "if" | "elif"
                | "else"
                | "for"
                | "while"
                | "try"
                | "except"
                | "finally"
                | "with"
                | "def"
                | "class"
                | "async"
        );
        let soft = matches!(first, "match" | "case")
            && toks
                .get(1)
                .is_some_and(|t| !matches!(t.kind, K::Eq | K::Dot | K::Colon | K::Comma));
        if toks[0].kind != K::Name || !(compound || soft) {
            return None;
        }
        let mut depth = 0i32;
        let mut lambdas = 0;
        for (i, t) in toks.iter().enumerate().skip(1) {
            match t.kind {
                K::Open | K::FStart => depth += 1,
                K::Close | K::FEnd => depth -= 1,
                K::Name if depth == 0 && self.text(t) == "lambda" => lambdas += 1,
                K::Colon if depth == 0 && lambdas > 0 => lambdas -= 1,
                K::Colon if depth == 0 => return Some(i),
                _ => {}
            }
        }
        None
    }

    fn header(&mut self, toks: &[Tok], colon: usize, ctx: Ctx) {
        let mut word = self.text(&toks[0]);
        if word == "async" && toks.len() > 1 {
            word = self.text(&toks[1]);
        }
        let family = self.blocks.last().map_or(Family::None, |b| b.family);
        let (kind, family) = match word {
            "def" => (Kind::Function, Family::Other),
            "class" => (Kind::Class, Family::Other),
            "try" | "except" | "finally" => (Kind::Try, Family::Try),
            "else" if family == Family::Try => (Kind::Try, Family::Try),
            "else" => (Kind::Other, family),
            "if" if self.is_type_checking(&toks[1..colon]) => (Kind::TypeChecking, Family::If),
            "if" | "elif" => (Kind::Other, Family::If),
            "for" | "while" => (Kind::Other, Family::Loop),
            _ => (Kind::Other, Family::Other),
        };
        let own = match kind {
            Kind::TypeChecking => ctx,
            _ => ctx.with(kind),
        };
        if let (Kind::Function | Kind::Class, Some(mark)) = (kind, self.decorators.take()) {
            let contexts = own.contexts();
            for s in &mut self.out.signals[mark..] {
                s.context = contexts.clone();
            }
        }
        self.scan(&toks[1..colon], own);
        self.set_family(family);
        let body = &toks[colon + 1..];
        if body.is_empty() {
            self.pending = Some(kind);
        } else {
            self.simple_statements(body, ctx.with(kind));
        }
    }

    /// `if TYPE_CHECKING:` or `if typing.TYPE_CHECKING:` (any dotted chain).
    fn is_type_checking(&self, test: &[Tok]) -> bool {
        self.chain(test).is_some_and(|(dotted, end)| {
            end == test.len() && (dotted == "TYPE_CHECKING" || dotted.ends_with(".TYPE_CHECKING"))
        })
    }

    /// `a.b.c` at the start of `toks`, and the index after it.
    fn chain(&self, toks: &[Tok]) -> Option<(String, usize)> {
        let end = chain_end(toks)?;
        Some((self.dotted(&toks[..end]), end))
    }

    /// The names of a chain joined by dots, as one allocation.
    fn dotted(&self, chain: &[Tok]) -> String {
        let (first, last) = (&chain[0], &chain[chain.len() - 1]);
        let span = &self.src[first.start..last.end];
        // Most chains are written without spaces: the span is the name.
        if chain.iter().map(|t| t.end - t.start).sum::<usize>() == span.len() {
            return span.to_string();
        }
        let mut dotted = String::with_capacity(span.len());
        for t in chain {
            dotted.push_str(self.text(t));
        }
        dotted
    }

    /// Whether an import of the chain starting at `first` is wanted.
    fn wants(&self, first: &Tok) -> bool {
        self.wanted.is_none_or(|wanted| wanted(self.text(first)))
    }

    fn simple_statements(&mut self, toks: &[Tok], ctx: Ctx) {
        if !toks.iter().any(|t| t.kind == K::Semi) {
            return self.simple(toks, ctx); // the common case, without a split
        }
        for statement in split_top_level(toks, K::Semi) {
            self.simple(statement, ctx);
        }
    }

    fn simple(&mut self, toks: &[Tok], ctx: Ctx) {
        let Some(first) = toks.first() else {
            return;
        };
        match (first.kind, self.text(first)) {
            (K::Name, "import") => self.import(toks, ctx),
            (K::Name, "from") => self.import_from(toks, ctx),
            _ => {
                self.env_assignment(toks, ctx);
                self.scan(toks, ctx);
            }
        }
    }

    /// `import a.b as c, d`: one signal per module, at the statement.
    fn import(&mut self, toks: &[Tok], ctx: Ctx) {
        let at = toks[0].start;
        let mut i = 1;
        while let Some(end) = chain_end(&toks[i..]) {
            if self.wants(&toks[i]) {
                let module = self.dotted(&toks[i..i + end]);
                self.emit(SignalKind::Import, module, at, ctx);
            }
            match self.next_item(toks, i + end) {
                Some(next) => i = next,
                None => return,
            }
        }
    }

    /// After a name in an import list: past `as alias` and the `,`, if any.
    fn next_item(&self, toks: &[Tok], mut i: usize) -> Option<usize> {
        if self.is_word(toks.get(i), "as") {
            i += 2;
        }
        toks.get(i).filter(|t| t.kind == K::Comma).map(|_| i + 1)
    }

    /// `from a.b import (c, d as e)`; relative imports name no package.
    fn import_from(&mut self, toks: &[Tok], ctx: Ctx) {
        let Some(end) = chain_end(&toks[1..]) else {
            return;
        };
        if !self.wants(&toks[1]) {
            return;
        }
        let module = self.dotted(&toks[1..1 + end]);
        // Without its `import`, `from a` is no import: and reading may stop
        // after the last `import` (see `Words::read_until`).
        let mut i = 1 + end;
        if !self.is_word(toks.get(i), "import") {
            return;
        }
        i += 1;
        if toks.get(i).is_some_and(|t| t.kind == K::Open) {
            i += 1;
        }
        let mut names = Vec::new();
        while let Some(t) = toks.get(i).filter(|t| t.kind == K::Name) {
            names.push(self.text(t).to_string());
            match self.next_item(toks, i + 1) {
                Some(next) => i = next,
                None => break,
            }
        }
        self.emit(SignalKind::Import, module, toks[0].start, ctx);
        if let Some(signal) = self.out.signals.last_mut() {
            signal.names = names;
        }
    }

    /// `os.environ["KERAS_BACKEND"] = "jax"` (any `…environ` chain, several
    /// targets allowed), at the statement.
    fn env_assignment(&mut self, toks: &[Tok], ctx: Ctx) {
        if !self.scans {
            return;
        }
        // A target is a name chain ending in `environ`: a statement with
        // no such name needs no split.
        let names_environ = toks
            .iter()
            .any(|t| t.kind == K::Name && self.text(t).ends_with("environ"));
        if !names_environ {
            return;
        }
        let parts = split_top_level(toks, K::Eq);
        if parts.len() < 2 {
            return;
        }
        let value = parts[parts.len() - 1];
        let Some(value) = self.whole_string(value) else {
            return;
        };
        for target in &parts[..parts.len() - 1] {
            let Some((dotted, end)) = self.chain(target) else {
                continue;
            };
            if !dotted.ends_with("environ")
                || target.get(end).is_none_or(|t| t.kind != K::Open)
                || target.last().is_none_or(|t| t.kind != K::Close)
            {
                continue;
            }
            if let Some(name) = self.whole_string(&target[end + 1..target.len() - 1]) {
                let key = format!("{name}={value}");
                self.emit(SignalKind::Env, key, toks[0].start, ctx);
            }
        }
    }

    /// The value of `toks` when they are exactly one string expression:
    /// string literals, implicitly concatenated, maybe in parentheses.
    fn whole_string(&self, toks: &[Tok]) -> Option<String> {
        let (value, end) = self.string_at(toks)?;
        (end == toks.len()).then_some(value)
    }

    /// A string expression at the start of `toks` and the index after it.
    fn string_at(&self, toks: &[Tok]) -> Option<(String, usize)> {
        let parens = toks.iter().take_while(|t| t.kind == K::Open).count();
        if parens > 0 && toks[..parens].iter().any(|t| self.text(t) != "(") {
            return None;
        }
        let run = string_run(&toks[parens..]);
        if run == 0 {
            return None;
        }
        let value = self.literal_value(&toks[parens..parens + run])?;
        let mut end = parens + run;
        for _ in 0..parens {
            let t = toks.get(end).filter(|t| t.kind == K::Close)?;
            if self.text(t) != ")" {
                return None;
            }
            end += 1;
        }
        Some((value, end))
    }

    /// The value of a run of string tokens, if all are plain literals.
    fn literal_value(&self, run: &[Tok]) -> Option<String> {
        let mut value = String::new();
        for t in run {
            let K::Str { literal: true } = t.kind else {
                return None;
            };
            value.push_str(&decode_literal(self.text(t))?);
        }
        Some(value)
    }

    /// Strings (URIs) and calls (dynamic imports, `environ.setdefault`).
    fn scan(&mut self, toks: &[Tok], ctx: Ctx) {
        if !self.scans {
            return;
        }
        let mut i = 0;
        while i < toks.len() {
            match toks[i].kind {
                K::Str { .. } | K::FStart => {
                    let run = string_run(&toks[i..]);
                    self.strings(&toks[i..i + run], ctx);
                    i += run;
                }
                K::Open if i > 0 && self.text(&toks[i]) == "(" => {
                    self.call(toks, i, ctx);
                    i += 1;
                }
                _ => i += 1,
            }
        }
    }

    /// A run of adjacent strings is one expression; an f-string in it makes
    /// it no literal, but its fields are code and are scanned.
    fn strings(&mut self, run: &[Tok], ctx: Ctx) {
        let mut i = 0;
        while i < run.len() {
            if run[i].kind == K::FStart {
                let end = i + matching_end(&run[i..]);
                self.scan(&run[i + 1..end.min(run.len())], ctx);
                i = end + 1;
            } else {
                i += 1;
            }
        }
        if !self.check_uris {
            return;
        }
        if let Some(value) = self.literal_value(run)
            && self.uri_prefixes.iter().any(|p| value.starts_with(p))
        {
            let key: String = value.chars().take(200).collect();
            self.emit(SignalKind::Uri, key, run[0].start, ctx);
        }
    }

    /// The call whose `(` is `toks[open]`, when its callee is a plain dotted
    /// name: `importlib.import_module("x")`, `os.environ.setdefault("K", "v")`.
    fn call(&mut self, toks: &[Tok], open: usize, ctx: Ctx) {
        let mut start = open;
        while start > 0 && toks[start - 1].kind == K::Name {
            start -= 1;
            if start > 0 && toks[start - 1].kind == K::Dot {
                start -= 1;
            } else {
                break;
            }
        }
        if start == open || toks[start].kind != K::Name {
            return;
        }
        let before = start.checked_sub(1).map(|b| &toks[b]);
        if before.is_some_and(|t| t.kind == K::Dot)
            || self.is_word(before, "def")
            || self.is_word(before, "class")
        {
            return;
        }
        let Some((callee, _)) = self.chain(&toks[start..open]) else {
            return;
        };
        let args = &toks[open + 1..];
        let Some((first, end)) = self.argument(args) else {
            return;
        };
        let at = toks[start].start;
        if matches!(
            callee.as_str(),
            "importlib.import_module" | "import_module" | "__import__"
        ) {
            if !first.is_empty() && !first.starts_with('.') {
                self.emit(SignalKind::DynamicImport, first, at, ctx);
            }
        } else if callee.ends_with("environ.setdefault")
            && args[end].kind == K::Comma
            && let Some((second, _)) = self.argument(&args[end + 1..])
        {
            self.emit(SignalKind::Env, format!("{first}={second}"), at, ctx);
        }
    }

    /// A positional argument that is a string expression, and the index of
    /// the `,` or `)` after it.
    fn argument(&self, args: &[Tok]) -> Option<(String, usize)> {
        let (value, end) = self.string_at(args)?;
        let next = args.get(end)?;
        let ends = next.kind == K::Comma || (next.kind == K::Close && self.text(next) == ")");
        ends.then_some((value, end))
    }
}

/// Where the dotted name `a.b.c` at the start of `toks` ends; `None` when
/// they start with no name.
fn chain_end(toks: &[Tok]) -> Option<usize> {
    let mut i = 0;
    loop {
        toks.get(i).filter(|t| t.kind == K::Name)?;
        i += 1;
        if toks.get(i).is_some_and(|t| t.kind == K::Dot) {
            i += 1;
        } else {
            return Some(i);
        }
    }
}

/// How many tokens from the start form a run of adjacent strings (an
/// f-string counts with all its field tokens).
fn string_run(toks: &[Tok]) -> usize {
    let mut i = 0;
    while i < toks.len() {
        match toks[i].kind {
            K::Str { .. } => i += 1,
            K::FStart => i += matching_end(&toks[i..]) + 1,
            _ => break,
        }
    }
    i.min(toks.len())
}

/// The index of the `FEnd` matching the `FStart` at `toks[0]`.
fn matching_end(toks: &[Tok]) -> usize {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            K::FStart => depth += 1,
            K::FEnd => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    toks.len()
}

/// The parts of `toks` between top-level `sep` tokens.
fn split_top_level(toks: &[Tok], sep: K) -> Vec<&[Tok]> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, t) in toks.iter().enumerate() {
        match t.kind {
            K::Open | K::FStart => depth += 1,
            K::Close | K::FEnd => depth -= 1,
            k if k == sep && depth <= 0 => {
                parts.push(&toks[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&toks[start..]);
    parts
}

/// The value of one string literal token (`'a'`, `r"""b"""`, `u'\x41'`).
/// Escapes other than the common ones go through ruff's parser, which
/// knows them all (`\N{…}`); they are rare.
fn decode_literal(token: &str) -> Option<String> {
    let quote_at = token.find(['"', '\''])?;
    let prefix = &token[..quote_at];
    let body = &token[quote_at..];
    let q = if body.len() >= 6 && (body.starts_with("\"\"\"") || body.starts_with("'''")) {
        3
    } else {
        1
    };
    let inner = body.get(q..body.len().checked_sub(q)?)?;
    let raw = prefix.contains(['r', 'R']);
    if raw || !inner.contains('\\') {
        return Some(inner.to_string());
    }
    let parsed = ruff_python_parser::parse_expression(token).ok()?;
    match parsed.expr() {
        ruff_python_ast::Expr::StringLiteral(lit) => Some(lit.value.to_str().to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signals(src: &str, notebook: bool) -> Vec<String> {
        let mut out = Extracted::default();
        extract(src, notebook, &["gs://"], &mut out);
        let mut got: Vec<String> = out
            .signals
            .iter()
            .map(|s| {
                let ctx: Vec<&str> = s.context.iter().map(|c| c.as_str()).collect();
                format!(
                    "{}:{} {}:{} {}",
                    s.line,
                    s.column,
                    s.kind.as_str(),
                    s.key,
                    ctx.join(",")
                )
            })
            .collect();
        got.extend(
            out.diagnostics
                .iter()
                .map(|d| format!("{}:{} {} {}", d.line, d.column, d.code, d.message)),
        );
        got
    }

    #[test]
    fn reading_stops_after_the_last_signal_word_and_its_errors_go_unreported() {
        // The `(` after the last import is never closed: not looked for.
        let after = "import torch\nfrom jax import (\n  numpy)\nx = (\n";
        assert_eq!(
            signals(after, false),
            ["1:1 import:torch module", "2:1 import:jax module"]
        );
        // Before it, an error still counts; so does one in the statement
        // holding the last import, and a string left open before it runs
        // to the end as before.
        assert_eq!(
            signals("x = )\nimport torch\ny = (\n", false),
            [
                "2:1 import:torch module",
                "1:5 FW002 syntax error: unmatched ')'"
            ]
        );
        assert_eq!(
            signals("from a import (b\n", false),
            [
                "1:1 import:a module",
                "1:15 FW002 syntax error: '(' was never closed"
            ]
        );
        assert_eq!(
            signals("x = '''\nimport torch\n", false),
            ["1:5 FW002 syntax error: unterminated triple-quoted string literal"]
        );
        // `from a` without its `import` is no import, read or not.
        assert_eq!(
            signals("import torch\nfrom jax\n", false),
            ["1:1 import:torch module"]
        );
        assert!(signals("from jax\nfrom from\n", false).is_empty());
        // A header holding the last import wants a block, never read.
        assert!(signals("with importer():\n", false).is_empty());
        // Calls, assignments and strings are signals only on the lines
        // holding their words: reading stops after the last of those too,
        assert_eq!(
            signals("import os\nos.environ['A'] = 'b'\nx = (\n", false),
            ["1:1 import:os module", "2:1 env:A=b module"]
        );
        // and an error before it still counts.
        assert_eq!(
            signals("import os\nx = )\ny = 'gs://b'\n", false),
            [
                "1:1 import:os module",
                "3:5 uri:gs://b module",
                "2:5 FW002 syntax error: unmatched ')'"
            ]
        );
        // A decorator's signals wait for the `def` that gives their context.
        assert_eq!(
            signals("@route('gs://b')\ndef f():\n    pass\nx = (\n", false),
            ["1:8 uri:gs://b function"]
        );
    }

    #[test]
    fn imports_the_filter_refuses_are_never_made() {
        let src = "import os, torch . nn as nn\nfrom typing import Any\n\
                   from torch.utils import (data, hooks)\nimport tensorflow\n\
                   importlib.import_module('os')\n";
        let keys = |wanted: Option<&ImportFilter>| {
            let mut out = Extracted::default();
            let words = Words::find(src, &[]);
            extract_with(src, false, &[], words, wanted, &mut out);
            let keys = out.signals.iter().map(|s| (s.key.clone(), s.names.clone()));
            keys.collect::<Vec<_>>()
        };
        let names = |n: &[&str]| n.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        let torch = |module: &str| module == "torch";
        assert_eq!(
            keys(Some(&torch)),
            [
                ("torch.nn".to_string(), names(&[])),
                ("torch.utils".to_string(), names(&["data", "hooks"])),
                // Dynamic imports are left to the caller's keeping.
                ("os".to_string(), names(&[])),
            ]
        );
        let all: Vec<String> = keys(None).into_iter().map(|(k, _)| k).collect();
        assert_eq!(
            all,
            [
                "os",
                "torch.nn",
                "typing",
                "torch.utils",
                "tensorflow",
                "os"
            ]
        );
    }

    #[test]
    fn contexts_come_sorted_without_repeats() {
        for bits in 0..16u8 {
            let ctx = super::Ctx {
                function: bits & 1 != 0,
                class: bits & 2 != 0,
                try_: bits & 4 != 0,
                type_checking: bits & 8 != 0,
            };
            let contexts = ctx.contexts();
            let mut sorted = contexts.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(contexts, sorted, "{bits:04b}");
        }
    }

    #[test]
    fn contexts_follow_indentation_and_clauses() {
        let src = "\
import a
try:
    import b
except ImportError:
    import c
else:
    import d
finally:
    import e
if TYPE_CHECKING:
    import f
else:
    import g
for x in y:
    pass
else:
    import h
class C:
    import i
    def m(self):
        import j
    import k
@decorate('gs://deco')
def f(): import l; import m
if typing.TYPE_CHECKING: import n
import o
";
        assert_eq!(
            signals(src, false),
            [
                "1:1 import:a module",
                "3:5 import:b module,try",
                "5:5 import:c module,try",
                "7:5 import:d module,try",
                "9:5 import:e module,try",
                "11:5 import:f module,type-checking",
                "13:5 import:g module",
                "17:5 import:h module",
                "19:5 import:i class",
                "21:9 import:j function",
                "22:5 import:k class",
                "23:11 uri:gs://deco function",
                "24:10 import:l function",
                "24:20 import:m function",
                "25:26 import:n module,type-checking",
                "26:1 import:o module",
            ]
        );
    }

    #[test]
    fn strings_calls_and_assignments() {
        let src = "\
x = f\"{importlib.import_module('torch')}\" 'gs://not-literal'
y = ('gs://a' 'b')
os.environ['A'] = 'x'
a.b.environ['B'] = c = ('y')
os.environ.setdefault(\"C\", 'z')
get().environ.setdefault('D', 'w')
__import__(('jax'))
import_module('a' + b)
s = 'gs://esc\\x41'
z = b'gs://bytes'
w = f\"{d[\"k\"]}\" + 'gs://after'
";
        assert_eq!(
            signals(src, false),
            [
                "1:8 dynamic-import:torch module",
                "2:6 uri:gs://ab module",
                "3:1 env:A=x module",
                "4:1 env:B=y module",
                "5:1 env:C=z module",
                "7:1 dynamic-import:jax module",
                "9:5 uri:gs://escA module",
                "11:19 uri:gs://after module",
            ]
        );
    }

    #[test]
    fn structural_errors_are_reported_once() {
        assert_eq!(
            signals("import torch\nx = (1,\nimport jax\n", false),
            [
                "1:1 import:torch module",
                "2:5 FW002 syntax error: '(' was never closed"
            ]
        );
        assert_eq!(
            signals("s = 'open\nimport jax\n", false),
            [
                "2:1 import:jax module",
                "1:5 FW002 syntax error: unterminated string literal"
            ]
        );
        assert_eq!(
            signals("if x:\n    pass\n  import jax\n", false)[1],
            "3:3 FW002 syntax error: unindent does not match any outer indentation level"
        );
    }

    #[test]
    fn tabs_count_as_ruffs_parser_counts_them() {
        // Found by the python_scan fuzz target: `   \t ` is five characters
        // and five columns (a tab to the next even column), so eight spaces
        // are deeper on both counts. With tabs to multiples of eight it
        // looked like a dedent.
        let src =
            "class D:\n   \t def call(self):\n        import inner\n   \t \\\n  import cont\n";
        assert_eq!(
            signals(src, false),
            ["3:9 import:inner function", "5:3 import:cont class"]
        );
        // Two tabs and four spaces: the same columns, not the same characters.
        let ambiguous = "if x:\n\t\timport a\n    import b\n";
        assert_eq!(
            signals(ambiguous, false)[2],
            "3:5 FW002 syntax error: inconsistent use of tabs and spaces in indentation"
        );
    }

    #[test]
    fn an_unterminated_docstring_ends_at_the_end() {
        // Found by the notebook fuzz target: the last escape of an
        // unterminated triple-quoted string escaped the first byte of a
        // multi-byte character, and the scan resumed inside the character.
        // Reading stops after the last `import`: one in the string keeps
        // it going to the end.
        let src = "import torch\nx = '''abc\\\u{fffd}f(1) import";
        assert_eq!(
            signals(src, false),
            [
                "1:1 import:torch module",
                "2:5 FW002 syntax error: unterminated triple-quoted string literal"
            ]
        );
    }

    #[test]
    fn deep_nesting_neither_recurses_nor_hides_the_imports() {
        let n = 100_000;
        // The import after the nesting: reading stops after the last one.
        let brackets = format!("x = {}1{}\nimport torch\n", "(".repeat(n), ")".repeat(n));
        assert_eq!(signals(&brackets, false), ["2:1 import:torch module"]);
        let fstrings = format!(
            "x = {}x{}\nimport torch\n",
            "f\"{".repeat(n),
            "}\"".repeat(n)
        );
        assert_eq!(
            signals(&fstrings, false),
            [
                "2:1 import:torch module",
                // The 201st field: `x = ` and 200 times `f"{`.
                "1:607 FW002 syntax error: f-strings nested too deeply"
            ]
        );
    }

    #[test]
    fn notebook_escapes_are_not_python() {
        // `/f a` (found by the python_scan fuzz target), `,f a` and `;f a`
        // are IPython autocalls; as Python, `f(x, (1,)` would be an unclosed bracket.
        let src = "%matplotlib inline\n!pip install torch\nfiles = !ls \\\n  import x\nimport jax\nobj?\n/program = f(x, (1,)\n,f import y\n;f import z\n";
        assert_eq!(signals(src, true), ["5:1 import:jax module"]);
    }
}
