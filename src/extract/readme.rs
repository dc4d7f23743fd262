//! README and doc pages: words that reveal a goal (course, paper, demo…).
//! Weak evidence; each word counts once per file, at its first occurrence.

use crate::signal::{Extracted, LineCursor, Signal, SignalKind};
use aho_corasick::AhoCorasick;

/// `automaton` holds the lowercase `words`, matched case-sensitively: it
/// is run over an ASCII-lowercased copy of the text, which finds what a
/// case-insensitive search finds, in about two thirds of its time
/// (BENCHMARKS.md, sixteenth session).
pub fn extract(text: &str, automaton: &AhoCorasick, words: &[String], out: &mut Extracted) {
    let mut seen = vec![false; words.len()];
    // Matches come in order: lines are counted up to each, not indexed.
    let mut cursor = LineCursor::default();
    let bytes = text.as_bytes();
    let lower = text.to_ascii_lowercase();
    for m in automaton.find_iter(&lower) {
        let id = m.pattern().as_usize();
        if seen[id] || !word_bounded(bytes, m.start(), m.end()) {
            continue;
        }
        seen[id] = true;
        let (line, column) = cursor.line_col(text, m.start());
        out.push(Signal::new(
            SignalKind::Keyword,
            words[id].clone(),
            line,
            column,
        ));
    }
}

/// A whole word, or the word with a plural `s` (`tutorials`, `LLMs`).
fn word_bounded(bytes: &[u8], start: usize, end: usize) -> bool {
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let before_ok = start == 0 || !is_word(bytes[start - 1]);
    let after = bytes.get(end).copied();
    let after_ok = match after {
        None => true,
        Some(b's' | b'S') => bytes.get(end + 1).is_none_or(|&b| !is_word(b)),
        Some(b) => !is_word(b),
    };
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;
    use aho_corasick::{AhoCorasickBuilder, MatchKind};

    #[test]
    fn whole_words_once() {
        let words = vec!["course".to_string(), "llm".to_string(), "demo".to_string()];
        let ac = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&words)
            .unwrap();
        let mut out = Extracted::default();
        extract(
            "# A Course\nOf courses on LLMs.\nNo demonstration, no demo\n",
            &ac,
            &words,
            &mut out,
        );
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{}:{}:{}", s.line, s.column, s.key))
            .collect();
        assert_eq!(got, ["1:5:course", "2:15:llm", "3:22:demo"]);
    }
}
