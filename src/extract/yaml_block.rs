//! A reader for the YAML deployment configs are mostly written in: block
//! mappings and sequences, plain and quoted scalars (over several lines
//! too), literal and folded block scalars, one-line flow collections,
//! comments and `---`. It gives the documents serde_saphyr would give as
//! [`Node`]s, or `None` for anything outside that subset (anchors, tags,
//! multi-line flow collections, tabs, directives…), where the caller asks
//! serde_saphyr itself.
//! It never refuses: a document it is unsure of is serde_saphyr's to read
//! or refuse, so both read the same documents the same way. Kubernetes
//! YAML read by serde_saphyr cost more than the rest of a scan.

use super::yaml_tree::Node;

/// Well inside serde_saphyr's default budget (depth 64, 250,000 nodes,
/// 1,000,000 events, 1,024 documents, 1,024-byte implicit keys, 32
/// comments buffered while it looks ahead): past these it decides.
const MAX_DEPTH: usize = 48;
const MAX_NODES: usize = 150_000;
const MAX_DOCUMENTS: usize = 1_000;
const MAX_KEY: usize = 512;
const MAX_COMMENT_RUN: usize = 16;
/// Plain scalars a file may ask serde_saphyr to type (`1e3`, `0x1F`).
const MAX_ASKS: u32 = 32;
/// Comments are events too: a megabyte holds fewer than 600,000.
const MAX_TEXT: usize = 1024 * 1024;

/// The documents of `text` (null documents left out, as serde_saphyr
/// does), or `None` where serde_saphyr must decide.
pub fn documents(text: &str) -> Option<Vec<Node>> {
    if text.len() > MAX_TEXT || !plain_text(text) {
        return None;
    }
    let (bytes, mut start, mut lines) = (text.as_bytes(), 0, Vec::new());
    for end in memchr::memchr_iter(b'\n', bytes).chain([bytes.len()]) {
        lines.push(Line::new(&text[start..end]));
        start = end + 1;
    }
    if !few_comments_together(&lines) {
        return None;
    }
    let mut reader = Reader {
        lines,
        ends_in_newline: text.ends_with('\n'),
        pos: 0,
        depth: 0,
        nodes: 0,
        asks: 0,
    };
    reader.stream()
}

/// No tab, carriage return, control or byte-order character: YAML gives
/// them meanings (or refuses them) that this reader leaves to serde_saphyr.
fn plain_text(text: &str) -> bool {
    let controls = text
        .bytes()
        .all(|b| b == b'\n' || (b' '..0x7f).contains(&b));
    controls
        || text.chars().all(|c| {
            c == '\n'
                || (' '..'\u{7f}').contains(&c)
                || (c >= '\u{a0}'
                    && !matches!(
                        c,
                        '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}'
                    ))
        })
}

/// Whether no run of comments between two lines of content is long
/// enough for serde_saphyr to refuse it ("too many buffered comments").
/// Counted generously: a `#` in a content line may start a comment, and
/// block scalars' `#` lines count too.
fn few_comments_together(lines: &[Line]) -> bool {
    let mut run = 0;
    for line in lines {
        if line.content.starts_with('#') || line.is_boundary() {
            run += 1;
        } else if !line.is_blank() {
            run = usize::from(line.content.contains('#'));
        }
        if run > MAX_COMMENT_RUN {
            return false;
        }
    }
    true
}

#[derive(Clone, Copy)]
struct Line<'t> {
    /// The line without its newline.
    raw: &'t str,
    indent: usize,
    /// The line after its indentation, trailing spaces kept.
    content: &'t str,
}

impl<'t> Line<'t> {
    fn new(raw: &'t str) -> Line<'t> {
        let indent = raw.len() - raw.trim_start_matches(' ').len();
        Line {
            raw,
            indent,
            content: &raw[indent..],
        }
    }

    fn is_blank(&self) -> bool {
        self.content.is_empty()
    }

    /// Blank or a comment: skipped between nodes.
    fn is_insignificant(&self) -> bool {
        self.content.is_empty() || self.content.starts_with('#')
    }

    /// `---` or `...` at the start of a line.
    fn is_boundary(&self) -> bool {
        self.indent == 0 && (self.content.starts_with("---") || self.content.starts_with("..."))
    }

    fn is_entry(&self) -> bool {
        self.content == "-" || self.content.starts_with("- ")
    }
}

struct Reader<'t> {
    lines: Vec<Line<'t>>,
    ends_in_newline: bool,
    pos: usize,
    depth: usize,
    nodes: usize,
    /// Scalars asked of serde_saphyr so far.
    asks: u32,
}

impl<'t> Reader<'t> {
    fn stream(&mut self) -> Option<Vec<Node>> {
        let mut docs = Vec::new();
        let mut markers = 0;
        loop {
            let Some(line) = self.significant() else {
                return Some(docs);
            };
            if line.is_boundary() {
                // `--- # comment` is a marker; `--- value`, `...` are not read here.
                let rest = line.content[3..].trim_start_matches(' ');
                if !line.content.starts_with("---")
                    || !(rest.is_empty()
                        || (rest.starts_with('#') && rest.len() < line.content.len() - 3))
                {
                    return None;
                }
                markers += 1;
                if markers > MAX_DOCUMENTS {
                    return None;
                }
                self.pos += 1;
                continue;
            }
            if line.indent == 0 && line.content.starts_with('%') {
                return None;
            }
            docs.push(self.block(line)?);
            match self.significant() {
                Some(next) if !next.is_boundary() => return None,
                _ => {}
            }
        }
    }

    /// The current line after blank and comment lines, if any.
    fn significant(&mut self) -> Option<Line<'t>> {
        while let Some(line) = self.lines.get(self.pos) {
            if !line.is_insignificant() {
                return Some(*line);
            }
            self.pos += 1;
        }
        None
    }

    /// The next line of a block at `indent`: `Some(None)` where the block
    /// ends (a less indented line, a document marker, the end), `None` for
    /// a more indented one, which only serde_saphyr may read.
    fn line_at(&mut self, indent: usize) -> Option<Option<Line<'t>>> {
        match self.significant() {
            Some(line) if line.is_boundary() || line.indent < indent => Some(None),
            Some(line) if line.indent > indent => None,
            next => Some(next),
        }
    }

    fn count(&mut self) -> Option<()> {
        self.nodes += 1;
        (self.nodes <= MAX_NODES).then_some(())
    }

    /// Into a mapping or sequence, itself a node.
    fn enter(&mut self) -> Option<()> {
        self.count()?;
        self.depth += 1;
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// A block mapping or sequence starting at `line`.
    fn block(&mut self, line: Line<'t>) -> Option<Node> {
        if line.is_entry() {
            self.sequence(line.indent)
        } else if key_of(line.content, &mut self.asks)?.is_some() {
            self.mapping(line.indent)
        } else {
            None
        }
    }

    fn mapping(&mut self, indent: usize) -> Option<Node> {
        self.enter()?;
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut keys = Keys::default();
        while let Some(line) = self.line_at(indent)? {
            let (key, rest) = key_of(line.content, &mut self.asks)??;
            if key.len() > MAX_KEY || !keys.insert(&entries, &key) {
                return None;
            }
            let value = self.value(indent, rest, true)?;
            entries.push((key, value));
        }
        self.depth -= 1;
        Some(Node::Map(entries))
    }

    fn sequence(&mut self, indent: usize) -> Option<Node> {
        self.enter()?;
        let mut items = Vec::new();
        while let Some(line) = self.line_at(indent)? {
            if !line.is_entry() {
                break;
            }
            let after = &line.content[1..];
            let item = after.trim_start_matches(' ');
            let column = indent + 1 + (after.len() - item.len());
            let nested = Line {
                raw: line.raw,
                indent: column,
                content: item,
            };
            let node = if nested.is_entry() || key_of(item, &mut self.asks)?.is_some() {
                // `- - a`, `- key: v`: a node starting inside the entry's line.
                self.lines[self.pos] = nested;
                self.block(nested)?
            } else {
                self.value(indent, item, false)?
            };
            items.push(node);
        }
        self.depth -= 1;
        Some(Node::Seq(items))
    }

    /// The value after `key:` or `- ` on the current line, whose node is
    /// indented by `indent`; `rest` is what follows the indicator.
    fn value(&mut self, indent: usize, rest: &'t str, in_mapping: bool) -> Option<Node> {
        let text = rest.trim_start_matches(' ');
        let Some(&first) = text.as_bytes().first() else {
            return self.nested(indent, in_mapping);
        };
        if first == b'#' {
            // `rest` starts with a space here: `key:#x` is not a key line.
            return self.nested(indent, in_mapping);
        }
        let node = match first {
            b'|' | b'>' => return self.block_scalar(indent, text),
            b'"' | b'\'' => {
                let (s, tail) = self.quoted_lines(text)?;
                end_of_line(tail)?;
                Node::Str(s)
            }
            b'[' | b'{' => {
                let (node, tail) = self.flow(text)?;
                end_of_line(tail)?;
                node
            }
            _ => {
                let (first, commented) = block_plain(text)?;
                if commented {
                    plain_node(first, &mut self.asks)?
                } else {
                    let text = self.plain_lines(indent, first)?;
                    plain_node(&text, &mut self.asks)?
                }
            }
        };
        self.count()?;
        self.pos += 1;
        self.ends_node(indent, node)
    }

    /// A plain scalar from its first line on, through the more indented
    /// lines that continue it (folded into spaces and line breaks).
    fn plain_lines(&mut self, indent: usize, first: &str) -> Option<String> {
        let mut out = first.to_string();
        loop {
            let mut next = self.pos + 1;
            while self.lines.get(next).is_some_and(Line::is_blank) {
                next += 1;
            }
            let Some(line) = self.lines.get(next) else {
                return Some(out);
            };
            // A comment ends the scalar; more text after it is refused by the caller.
            if line.indent <= indent || line.content.starts_with('#') {
                return Some(out);
            }
            let text = line.content.trim_end_matches(' ');
            if text.contains(": ") || text.ends_with(':') || text.contains(" #") {
                return None;
            }
            fold(&mut out, next - self.pos - 1);
            out.push_str(text);
            self.pos = next;
        }
    }

    /// A quoted scalar from the current line on, its line breaks folded,
    /// and what follows its closing quote (the current line then).
    fn quoted_lines(&mut self, text: &'t str) -> Option<(String, &'t str)> {
        let quote = text.as_bytes()[0];
        let mut out = String::new();
        let mut line = &text[1..];
        loop {
            let escaped = match quoted_segment(line, quote, &mut out)? {
                Segment::Closed(after) => return Some((out, after)),
                Segment::Open { escaped_break } => escaped_break,
            };
            let mut breaks = 0;
            loop {
                self.pos += 1;
                let next = self.lines.get(self.pos)?;
                if !next.is_blank() {
                    // serde_saphyr reads continuation lines at any indentation,
                    // but refuses a document marker among them.
                    if next.is_boundary() {
                        return None;
                    }
                    line = next.content;
                    break;
                }
                breaks += 1;
            }
            match (escaped, breaks) {
                (false, breaks) => fold(&mut out, breaks),
                (true, 0) => {}
                (true, _) => return None,
            }
        }
    }

    /// A value on the lines after `key:` or `-`: a block node, or null.
    fn nested(&mut self, indent: usize, in_mapping: bool) -> Option<Node> {
        self.pos += 1;
        match self.significant() {
            Some(next) if next.is_boundary() => {}
            Some(next) if next.indent > indent => return self.block(next),
            // Kubernetes style: `containers:` then `- name: x` at the same indentation.
            Some(next) if next.indent == indent && in_mapping && next.is_entry() => {
                return self.sequence(indent);
            }
            _ => {}
        }
        self.count()?;
        Some(Node::Other)
    }

    /// `|` or `>` with an optional `-` (strip); `+` and explicit
    /// indentation are left to serde_saphyr.
    fn block_scalar(&mut self, indent: usize, header: &'t str) -> Option<Node> {
        let folded = header.starts_with('>');
        let (strip, after) = match header[1..].strip_prefix('-') {
            Some(after) => (true, after),
            None => (false, &header[1..]),
        };
        end_of_line(after)?;
        self.pos += 1;
        let (width, last, end) = self.block_lines(indent)?;
        let mut out = block_text(&self.lines[self.pos..=last], width, folded)?;
        if !strip {
            out.push('\n');
        }
        self.pos = end;
        self.count()?;
        self.ends_node(indent, Node::Str(out))
    }

    /// A block scalar's lines from the current one: their indentation,
    /// the last with text, and the first line after them. Leading blank
    /// lines would start the text with line breaks, and blank lines holding
    /// more than the indentation hold text: both left to serde_saphyr, as
    /// is a last line with no newline.
    fn block_lines(&self, indent: usize) -> Option<(usize, usize, usize)> {
        let width = self.lines.get(self.pos).filter(|l| !l.is_blank())?.indent;
        let (mut end, mut last) = (self.pos, self.pos);
        while let Some(line) = self.lines.get(end) {
            if line.is_blank() {
                if line.indent > width {
                    return None;
                }
            } else if line.indent < width {
                break;
            } else {
                last = end;
            }
            end += 1;
        }
        let unterminated = last + 1 == self.lines.len() && !self.ends_in_newline;
        (width > indent && !unterminated).then_some((width, last, end))
    }

    /// `node`, unless a more indented line follows it: that would continue
    /// a plain scalar, or be an error.
    fn ends_node(&mut self, indent: usize, node: Node) -> Option<Node> {
        match self.significant() {
            Some(next) if next.indent > indent && !next.is_boundary() => None,
            _ => Some(node),
        }
    }

    /// A flow collection closed on its line, and what follows it.
    fn flow<'s>(&mut self, text: &'s str) -> Option<(Node, &'s str)> {
        self.enter()?;
        let seq = text.starts_with('[');
        let close = if seq { ']' } else { '}' };
        let mut rest = text[1..].trim_start_matches(' ');
        let mut items = Vec::new();
        let mut entries: Vec<(String, Node)> = Vec::new();
        let mut keys = Keys::default();
        // Nothing, or entries each followed by a comma or the closing bracket.
        while !rest.starts_with(close) {
            if seq {
                let (item, after) = self.flow_node(rest)?;
                items.push(item);
                rest = after;
            } else {
                let (key, after) = flow_key(rest, &mut self.asks)?;
                if !keys.insert(&entries, &key) {
                    return None;
                }
                let (value, after) = self.flow_node(after)?;
                entries.push((key, value));
                rest = after;
            }
            rest = rest.trim_start_matches(' ');
            if let Some(after) = rest.strip_prefix(',') {
                rest = after.trim_start_matches(' ');
                // A trailing comma, or a comma and nothing: left to serde_saphyr.
                if rest.is_empty() || rest.starts_with([']', '}', ',']) {
                    return None;
                }
            } else if !rest.starts_with(close) {
                return None;
            }
        }
        self.depth -= 1;
        let node = if seq {
            Node::Seq(items)
        } else {
            Node::Map(entries)
        };
        Some((node, &rest[1..]))
    }

    fn flow_node<'s>(&mut self, text: &'s str) -> Option<(Node, &'s str)> {
        let text = text.trim_start_matches(' ');
        match text.as_bytes().first()? {
            b'[' | b'{' => self.flow(text),
            b'"' | b'\'' => {
                let (s, after) = quoted(text)?;
                self.count()?;
                Some((Node::Str(s), after))
            }
            _ => {
                let (plain, after) = flow_plain(text)?;
                self.count()?;
                Some((plain_node(plain, &mut self.asks)?, after))
            }
        }
    }
}

/// The keys of a mapping being read, to find a duplicate (serde_saphyr
/// refuses them): compared one by one while few, hashed past that, since
/// a ConfigMap of 20,000 keys would take a second compared pairwise.
#[derive(Default)]
struct Keys(Option<std::collections::HashSet<String>>);

impl Keys {
    const SCANNED: usize = 16;

    /// Whether `key` is new to a mapping holding `entries`.
    fn insert(&mut self, entries: &[(String, Node)], key: &str) -> bool {
        if entries.len() < Self::SCANNED {
            return !entries.iter().any(|(k, _)| k == key);
        }
        let set = self
            .0
            .get_or_insert_with(|| entries.iter().map(|(k, _)| k.clone()).collect());
        set.insert(key.to_string())
    }
}

/// Whether `content` is `key: …` (the key and what follows its colon),
/// not a key line (`Some(None)`), or unsure (`None`).
fn key_of<'c>(content: &'c str, asks: &mut u32) -> Option<Option<(String, &'c str)>> {
    let Some(&first) = content.as_bytes().first() else {
        return Some(None);
    };
    if first == b'[' || first == b'{' {
        // A flow node; as a key (`[a, b]: c`) it is refused after it.
        return Some(None);
    }
    if first == b'"' || first == b'\'' {
        // Not closed on its line: a multi-line scalar, never a key.
        let Some((key, after)) = quoted(content) else {
            return Some(None);
        };
        return Some(
            after
                .strip_prefix(':')
                .and_then(|rest| (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest))),
        );
    }
    let colon = content
        .match_indices(':')
        .map(|(i, _)| i)
        .find(|&i| matches!(content.as_bytes().get(i + 1), None | Some(b' ')));
    let Some(colon) = colon else {
        // No key here; a scalar or flow node, which the caller decides on.
        return Some(None);
    };
    let key = content[..colon].trim_end_matches(' ');
    let simple_start = first.is_ascii_alphanumeric() || matches!(first, b'_' | b'/' | b'$');
    if !simple_start || key.bytes().any(|b| b"#,[]{}\"'".contains(&b)) {
        return None;
    }
    if !matches!(plain_kind(key, asks)?, Plain::Str | Plain::Bool) {
        return None;
    }
    Some(Some((key.to_string(), &content[colon + 1..])))
}

/// A key inside `{…}`: plain or quoted, then `: `.
fn flow_key<'s>(text: &'s str, asks: &mut u32) -> Option<(String, &'s str)> {
    let text = text.trim_start_matches(' ');
    let (key, after) = if text.starts_with(['"', '\'']) {
        quoted(text)?
    } else {
        let (plain, after) = flow_plain(text)?;
        if !matches!(plain_kind(plain, asks)?, Plain::Str | Plain::Bool) {
            return None;
        }
        (plain.to_string(), after)
    };
    let after = after.strip_prefix(": ")?;
    Some((key, after))
}

/// Nothing but spaces and perhaps a comment after a node.
fn end_of_line(tail: &str) -> Option<()> {
    let text = tail.trim_start_matches(' ');
    (text.is_empty() || (text.starts_with('#') && text.len() < tail.len())).then_some(())
}

/// Whether a plain scalar may start `text`: not an indicator, though `-x`
/// may (`-1`, `-Xmx4g`), unless a space or one of `ends` follows the dash;
/// in block context (no `ends`) `:x` and `?x` may too (`:16:8`).
fn plain_start(text: &str, ends: &[u8]) -> bool {
    match text.as_bytes() {
        [b'-', next, ..] => *next != b' ' && !ends.contains(next),
        [b':' | b'?', next, ..] => ends.is_empty() && *next != b' ',
        [first, ..] => !b"-?:,[]{}#&*!|>%@`\"'".contains(first),
        [] => false,
    }
}

/// A plain scalar in block context running to the end of its line (a
/// comment cut off): `None` where it would be something else or an error.
fn block_plain(text: &str) -> Option<(&str, bool)> {
    if !plain_start(text, b"") {
        return None;
    }
    let (text, commented) = match text.find(" #") {
        Some(i) => (&text[..i], true),
        None => (text, false),
    };
    let text = text.trim_end_matches(' ');
    if text.contains(": ") || text.ends_with(':') {
        return None;
    }
    Some((text, commented))
}

/// A block scalar's text from its lines (the first and last hold text),
/// `width` spaces of indentation off each; a folded one with a more
/// indented line is left to serde_saphyr.
fn block_text(lines: &[Line], width: usize, folded: bool) -> Option<String> {
    let mut out = String::new();
    let mut breaks = 0;
    for line in lines {
        if line.is_blank() {
            breaks += 1;
            continue;
        }
        let body = &line.raw[width..];
        if !out.is_empty() {
            if folded {
                if body.starts_with(' ') {
                    return None;
                }
                fold(&mut out, breaks);
            } else {
                (0..=breaks).for_each(|_| out.push('\n'));
            }
        }
        breaks = 0;
        out.push_str(body);
    }
    Some(out)
}

/// Lines joined as YAML folds them: a break between two lines of text is
/// a space, `breaks` blank lines between them are that many line breaks.
fn fold(out: &mut String, breaks: usize) {
    if breaks == 0 {
        out.push(' ');
    }
    (0..breaks).for_each(|_| out.push('\n'));
}

/// A plain scalar inside a flow collection, and what follows it.
fn flow_plain(text: &str) -> Option<(&str, &str)> {
    if !plain_start(text, b",[]{}") {
        return None;
    }
    let end = text
        .find([',', '[', ']', '{', '}', ':', '#'])
        .unwrap_or(text.len());
    let (plain, after) = text.split_at(end);
    // `a:b`, `a#b` and the like: left to serde_saphyr.
    if after.starts_with([':', '#']) && !after.starts_with(": ") {
        return None;
    }
    let plain = plain.trim_end_matches(' ');
    (!plain.is_empty()).then_some((plain, after))
}

/// A quoted scalar closed on its line, unescaped, and what follows it.
fn quoted(text: &str) -> Option<(String, &str)> {
    let mut out = String::new();
    match quoted_segment(&text[1..], text.as_bytes()[0], &mut out)? {
        Segment::Closed(after) => Some((out, after)),
        Segment::Open { .. } => None,
    }
}

enum Segment<'s> {
    /// The closing quote was found; what follows it.
    Closed(&'s str),
    /// The line ended first, after a `\` (an escaped break) or not.
    Open { escaped_break: bool },
}

/// One line of a quoted scalar's text, unescaped into `out`; spaces ending
/// a line that does not close the scalar are folded away, as YAML does.
fn quoted_segment<'s>(line: &'s str, quote: u8, out: &mut String) -> Option<Segment<'s>> {
    let mut keep = out.len();
    let mut chars = line.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' if quote == b'\'' => {
                if !line[i + 1..].starts_with('\'') {
                    return Some(Segment::Closed(&line[i + 1..]));
                }
                chars.next();
                out.push('\'');
            }
            '"' if quote == b'"' => return Some(Segment::Closed(&line[i + 1..])),
            '\\' if quote == b'"' => {
                let Some((j, e)) = chars.next() else {
                    return Some(Segment::Open {
                        escaped_break: true,
                    });
                };
                let hex = match e {
                    'x' => 2,
                    'u' => 4,
                    'U' => 8,
                    _ => 0,
                };
                if hex > 0 {
                    let digits = line.get(j + 1..j + 1 + hex)?;
                    // from_str_radix would take a sign too.
                    if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
                        return None;
                    }
                    let code = u32::from_str_radix(digits, 16).ok()?;
                    out.push(char::from_u32(code)?);
                    chars.nth(hex - 1);
                } else {
                    out.push(escaped(e)?);
                }
            }
            ' ' => {
                out.push(' ');
                continue;
            }
            _ => out.push(c),
        }
        keep = out.len();
    }
    out.truncate(keep);
    Some(Segment::Open {
        escaped_break: false,
    })
}

/// The character a one-letter escape of a double-quoted scalar stands for.
fn escaped(e: char) -> Option<char> {
    Some(match e {
        '0' => '\0',
        'a' => '\u{7}',
        'b' => '\u{8}',
        't' => '\t',
        'n' => '\n',
        'v' => '\u{b}',
        'f' => '\u{c}',
        'r' => '\r',
        'e' => '\u{1b}',
        ' ' => ' ',
        '"' => '"',
        '/' => '/',
        '\\' => '\\',
        'N' => '\u{85}',
        '_' => '\u{a0}',
        'L' => '\u{2028}',
        'P' => '\u{2029}',
        _ => return None,
    })
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum Plain {
    Str,
    /// A YAML 1.1 boolean; as a key, serde_saphyr keeps its spelling.
    Bool,
    Null,
    Number,
}

/// How serde_saphyr types a plain scalar. Spellings it might read either
/// way (`+1`, `0x1F`, `1e3`, `1.2.3`) are asked of serde_saphyr itself.
fn plain_kind(text: &str, asks: &mut u32) -> Option<Plain> {
    const WORDS: [&str; 8] = ["true", "false", "yes", "no", "y", "n", "on", "off"];
    if matches!(text, "" | "~" | "null" | "Null" | "NULL") {
        return Some(Plain::Null);
    }
    if WORDS.iter().any(|w| text.eq_ignore_ascii_case(w)) {
        return Some(Plain::Bool);
    }
    if !maybe_number(text) {
        return Some(Plain::Str);
    }
    if simple_number(text) {
        return Some(Plain::Number);
    }
    // A parse each: past a few, the whole file is serde_saphyr's to read
    // (a list of 30,000 such numbers took twice its time here).
    *asks += 1;
    if text.starts_with("--") || text.len() > 64 || *asks > MAX_ASKS {
        return None;
    }
    match serde_saphyr::from_str::<Node>(text).ok()? {
        Node::Str(s) if s == text => Some(Plain::Str),
        Node::Other => Some(Plain::Number),
        _ => None,
    }
}

/// Whether serde_saphyr's integer or float parsing could take `text`:
/// after a sign, a digit, `.` and a digit, or `.inf`/`.nan` spelt its ways;
/// and then only what integers (`0x1F`, `1_000`) and floats (`1.5e-3`) are
/// written with, one `.` at most. Kubernetes quantities (`2Gi`, `100m`,
/// `0s`) and versions (`1.29.1`) are strings.
fn maybe_number(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let numeral = match unsigned.as_bytes() {
        [] => return true,
        [b'.', next, ..] => next.is_ascii_digit(),
        [first, ..] => first.is_ascii_digit(),
    };
    if !numeral {
        return matches!(
            unsigned,
            ".inf" | ".Inf" | ".INF" | ".nan" | ".NaN" | ".NAN"
        );
    }
    let number_byte = |b: u8| b.is_ascii_hexdigit() || b"xXoObB._+-".contains(&b);
    unsigned.bytes().all(number_byte) && unsigned.bytes().filter(|&b| b == b'.').count() <= 1
}

/// `0`, `42`, `-7`, `0.5`, `-1.25`: read as numbers whatever the options.
fn simple_number(text: &str) -> bool {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let (whole, fraction) = match digits.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (digits, None),
    };
    let all_digits =
        |s: &str| !s.is_empty() && s.len() <= 15 && s.bytes().all(|b| b.is_ascii_digit());
    match fraction {
        None => all_digits(whole) && (whole == "0" || !whole.starts_with('0')),
        Some(f) => all_digits(whole) && all_digits(f),
    }
}

fn plain_node(text: &str, asks: &mut u32) -> Option<Node> {
    Some(match plain_kind(text, asks)? {
        Plain::Str => Node::Str(text.to_string()),
        Plain::Bool | Plain::Null | Plain::Number => Node::Other,
    })
}

#[cfg(test)]
mod tests {
    use super::{Node, documents};
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    fn by_saphyr(text: &str) -> Option<Vec<Node>> {
        serde_saphyr::from_str_multiple::<Node, Vec<Node>>(text).ok()
    }

    /// Read here, and read the same as serde_saphyr reads it.
    fn read_alike(text: &str) {
        let ours = documents(text);
        assert!(ours.is_some(), "left to serde_saphyr: {text:?}");
        assert_eq!(ours, by_saphyr(text), "{text:?}");
    }

    #[test]
    fn reads_deployment_yaml_as_serde_saphyr_does() {
        let cases = [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: serve\n  labels:\n    app.kubernetes.io/name: serve # the app\nspec:\n  replicas: 2\n  template:\n    spec:\n      containers:\n      - name: model\n        image: pytorch/torchserve:0.9.0-gpu\n        args: [\"--model-store\", /models, -Xmx4g]\n        resources: {limits: {nvidia.com/gpu: 1, memory: 2Gi}, requests: {}}\n        ports:\n          - containerPort: 8080\n            protocol: TCP\n",
            "# leading comment\n---\nkind: A\n---\n# an empty document\n---\n- 1\n- -2\n- 0.5\n- 1e3\n- 0x1F\n- +1\n- 1.2.3\n- .5\n- 2Gi\n- 100m\n- 0s\n- 1.29.1\n- 1e-3\n- 1_000\n- 0b101\n- 0XFF\n- 1.5E+3\n- 12abc\n- 0x1G\n- :16:8\n- ?x\n- -x\n- ../base\n- .status.url\n- ~\n- null\n- Yes\n- off\n-\n- - nested\n  - seq\n",
            "on:\n  push:\n    branches: [main]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n    - uses: actions/checkout@v4\n    - run: |\n        pip install -e .\n\n        pytest -q\n      env:\n        A: 'it''s'\n        B: \"tab\\there \\\"q\\\" \\u00e9 \\x41\"\n",
            "description: |-\n  First line.\n    more indented\n  last\nfolded: >\n  one\n  two\n\n  three\nstrip: >-\n  a\n  b\nkeep_going: x\n",
            "text: a plain scalar\n  continued here\n\n  after a blank line\nnext: 1\n",
            "- \"export A=\\\"\\\"\\nif x\n  then y \\\n  z\"\n- 'single\n\n  folded'\n- \"a\nb\"\n",
            "\"quoted key\": 1\n'single key': v\nyes: no\nkey with spaces: v\nurl: http://example.com:8080/x\nempty:\nlast: [a, 'b', \"c\", {d: e}, []]\n",
            "a:\n  b:\n    c: d\n  e: f\ng:\n- h\n- i: j\n  k: l\n",
            "e: \"\\x13 \\0 \\U00000041 \\u00e9 \\N \\_ \\L \\P \\e \\a \\b \\v \\f \\r \\t \\/ \\ \"\n",
        ];
        for text in cases {
            read_alike(text);
        }
    }

    #[test]
    fn leaves_other_yaml_to_serde_saphyr() {
        let cases = [
            "base: &b {image: x}\nnext: *b\n",
            "t: !!str 12\n",
            "a:\n\t- tab\n",
            "a: 1\r\nb: 2\r\n",
            "\u{feff}a: 1\n",
            "a: |+\n  kept\n\n",
            "a: |2\n   x\n",
            "args: [\n  a,\n  b]\n",
            "a: 1\na: 2\n",
            "null: 1\n",
            "1: one\n",
            "? complex\n: key\n",
            "<<: {a: 1}\n",
            "%YAML 1.2\n---\na: 1\n",
            "--- text\n",
            "a: 1\n...\n",
            "name: {{ .Values.name }}\n",
            "a: [x, ]\n",
            "a: \"unclosed\n",
            "a: |\n  no newline at the end",
            "a: b: c\n",
            "a: x #c\n  y\n",
            "f: .inf\n",
            "a: \"x\n---\ny\"\n",
            "a: \"\\U+0000013\"\n",
        ];
        for text in cases {
            assert_eq!(documents(text), None, "{text:?}");
        }
        let deep = (0..60).fold(String::new(), |s, i| s + &" ".repeat(i) + "a:\n");
        assert_eq!(documents(&deep), None);
        // A duplicate key among many (past the keys compared one by one).
        let many = |dup: &str| (0..40).fold(String::new(), |s, i| s + &format!("k{i}: v\n")) + dup;
        read_alike(&many("k40: v\n"));
        assert_eq!(by_saphyr(&many("k3: v\n")), None);
        assert_eq!(documents(&many("k3: v\n")), None);
        let flow = |dup: &str| {
            format!(
                "m: {{{}{dup}}}\n",
                (0..40).fold(String::new(), |s, i| s + &format!("k{i}: v, "))
            )
        };
        read_alike(&flow("k40: v"));
        assert_eq!(by_saphyr(&flow("k3: v")), None);
        assert_eq!(documents(&flow("k3: v")), None);
        // Scalars only serde_saphyr can type: a few are asked of it, not 33.
        let numbers = |n| format!("a:\n{}", "- 1e3\n".repeat(n));
        read_alike(&numbers(32));
        assert_eq!(documents(&numbers(33)), None);
        // serde_saphyr refuses 33 comments after `e:`; fewer are read here.
        let comments = |n| format!("e:\n{}f: 1\n", "# c\n".repeat(n));
        assert_eq!(by_saphyr(&comments(33)), None);
        assert_eq!(documents(&comments(33)), None);
        read_alike(&comments(16));
    }

    /// Pieces whose random strings are mostly broken YAML.
    const PIECES: &[&str] = &[
        "a", "image", "on", ": ", ":", "- ", "-", "\n", "\n", "  ", "    ", "1", "-1", "0.5",
        "1e3", "true", "null", "~", ".inf", ".x", "&x ", "*x", "!t ", "? ", "[", "]", "{", "}",
        ", ", "'q'", "'", "\"d\\n\"", "\"", "\\", "|\n", "|-\n", ">\n", "---\n", "...\n", "#c",
        " #c", "\t", "é", "\u{85}", "{{ x }}", "x: y",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        #[test]
        fn read_only_as_serde_saphyr_reads_random_fragments(
            picks in prop::collection::vec(any::<u8>(), 0..40),
        ) {
            let text: String = picks.iter().map(|&p| PIECES[p as usize % PIECES.len()]).collect();
            if let Some(ours) = documents(&text) {
                prop_assert_eq!(Some(ours), by_saphyr(&text), "{:?}", text);
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

        /// Numbers, quantities and versions typed as serde_saphyr types them.
        #[test]
        fn plain_scalars_typed_as_serde_saphyr_types_them(text in prop_oneof![
            "[-+]?(0[xXoObB])?[0-9]{1,3}(\\.[0-9]{0,2})?([eE][-+]?[0-9]{1,2})?[_0-9a-fA-FGims.]{0,2}",
            "[-+.0-9a-fA-FxXoOGimsn_]{1,8}",
        ]) {
            let theirs = by_saphyr(&format!("k: {text}\n"));
            let ours = super::plain_node(&text, &mut 0).map(|node| vec![Node::Map(vec![("k".to_string(), node)])]);
            if ours.is_some() {
                prop_assert_eq!(ours, theirs, "{:?}", text);
            }
        }
    }

    /// A document tree with the style each node is written in.
    #[derive(Clone, Debug)]
    enum Tree {
        Scalar(usize, u8),
        Map(Vec<(usize, Tree)>, u8),
        Seq(Vec<Tree>, u8),
    }

    const SCALARS: &[&str] = &[
        "a",
        "pytorch/torchserve:0.9",
        "1",
        "-1",
        "0.5",
        "1e3",
        "0x1F",
        "007",
        "true",
        "On",
        "null",
        "~",
        "",
        "a b",
        "a: b",
        "a #b",
        "it's",
        "say \"hi\"",
        "2Gi",
        ".status",
        "-Xmx4g",
        "http://x/y:1",
        "line1\nline2",
        "é",
        " padded ",
        "[x]",
        "{y}",
        "- dash",
        "|pipe",
        "#hash",
        "back\\slash",
        "some words long enough to be folded over lines",
        "---",
        "x:",
        "2Gi",
        "1.29.1",
        "1_000",
        "0XFF",
        "1.5E+3",
        "12abc",
        ":16:8",
        "?x",
    ];
    const KEYS: &[&str] = &[
        "a", "kind", "image", "on", "yes", "1", "null", "a b", "x.y/z", "a:b", "'q'", "\"d\"",
    ];

    fn tree() -> impl Strategy<Value = Tree> {
        let leaf = (0..SCALARS.len(), any::<u8>()).prop_map(|(i, s)| Tree::Scalar(i, s));
        leaf.prop_recursive(5, 40, 5, |inner| {
            prop_oneof![
                (
                    prop::collection::vec((0..KEYS.len(), inner.clone()), 1..5),
                    any::<u8>()
                )
                    .prop_map(|(e, s)| Tree::Map(e, s)),
                (prop::collection::vec(inner, 1..5), any::<u8>())
                    .prop_map(|(i, s)| Tree::Seq(i, s)),
            ]
        })
    }

    /// A scalar in one of eight styles, some of which misrepresent it:
    /// that is for serde_saphyr to refuse or read otherwise.
    fn scalar(text: &str, style: u8, indent: usize) -> String {
        let pad = " ".repeat(indent + 2);
        match style % 8 {
            0 => text.to_string(),
            1 => format!("'{}'", text.replace('\'', "''")),
            2 => format!(
                "\"{}\"",
                text.replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n")
            ),
            3 => format!("|\n{pad}{}", text.replace('\n', &format!("\n{pad}"))),
            4 => format!(">-\n{pad}{}", text.replace(' ', &format!("\n{pad}"))),
            5 => text.replace(' ', &format!("\n{pad}")),
            6 => format!("\"{}\"", text.replace(' ', &format!("\n{pad}"))),
            _ => format!("'{}'", text.replace(' ', &format!(" \n\n{pad}"))),
        }
    }

    /// `tree` written as the value of a key or entry at `indent`; as a
    /// sequence entry (`in_seq`) a block node may start on the dash's line.
    fn emit(tree: &Tree, indent: usize, in_seq: bool, out: &mut String) {
        let step = 2;
        match tree {
            Tree::Scalar(i, style) => {
                out.push(' ');
                out.push_str(&scalar(SCALARS[*i], *style, indent));
                out.push('\n');
            }
            Tree::Map(entries, style) if style % 4 == 0 => {
                out.push_str(" {");
                for (n, (k, v)) in entries.iter().enumerate() {
                    let sep = if n > 0 { ", " } else { "" };
                    out.push_str(&format!("{sep}{}:", KEYS[*k]));
                    let mut value = String::new();
                    emit(v, indent, false, &mut value);
                    out.push_str(value.trim_end_matches('\n'));
                }
                out.push_str("}\n");
            }
            Tree::Map(entries, style) => {
                // `- key: v` with the other entries under the first.
                let compact = in_seq && style & 4 != 0;
                if !compact {
                    out.push('\n');
                }
                for (n, (k, v)) in entries.iter().enumerate() {
                    let pad = match compact && n == 0 {
                        true => " ".to_string(),
                        false => " ".repeat(indent + step),
                    };
                    out.push_str(&format!("{pad}{}:", KEYS[*k]));
                    emit(v, indent + step, false, out);
                }
            }
            Tree::Seq(items, style) => {
                // `- - a`; Kubernetes style (`key:` then `- x` at the key's
                // indentation); or indented under its key.
                let compact = in_seq && style & 4 != 0;
                let at = if compact || style % 2 != 0 {
                    indent + step
                } else {
                    indent
                };
                if !compact {
                    out.push('\n');
                }
                for (n, item) in items.iter().enumerate() {
                    let pad = match compact && n == 0 {
                        true => " ".to_string(),
                        false => " ".repeat(at),
                    };
                    out.push_str(&format!("{pad}-"));
                    emit(item, at, true, out);
                }
            }
        }
    }

    #[test]
    fn reads_generated_documents_as_serde_saphyr_does() {
        let mut runner = TestRunner::deterministic();
        let (mut read, mut total) = (0, 0);
        for _ in 0..4000 {
            let tree = tree().new_tree(&mut runner).unwrap().current();
            let mut text = String::from("root:");
            emit(&tree, 0, false, &mut text);
            total += 1;
            if let Some(ours) = documents(&text) {
                read += 1;
                assert_eq!(Some(ours), by_saphyr(&text), "{text}");
            }
        }
        // Most of what a YAML writer emits is read here, not left over.
        assert!(read * 4 > total, "{read} of {total} read");
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

        #[test]
        fn reads_random_generated_documents_as_serde_saphyr_does(tree in tree()) {
            let mut text = String::from("root:");
            emit(&tree, 0, false, &mut text);
            if let Some(ours) = documents(&text) {
                prop_assert_eq!(Some(ours), by_saphyr(&text), "{}", text);
            }
        }
    }
}
