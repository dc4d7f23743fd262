//! JavaScript and TypeScript: `import … from 'x'`, `import 'x'`, `import('x')`,
//! `export … from 'x'` and `require('x')`, from a small lexer that skips
//! comments, strings, template literals and regular expressions. Keys are the
//! npm package a specifier names (`npm:@tensorflow/tfjs` for
//! `@tensorflow/tfjs/dist/index`); relative and `node:` imports are not signals.

use crate::signal::{Extracted, LineIndex, Signal, SignalKind};

#[derive(Debug, PartialEq)]
enum Token<'t> {
    Word(&'t str),
    Str(&'t str),
    Punct(char),
}

struct Lexer<'t> {
    text: &'t str,
    pos: usize,
    /// Whether a `/` here starts a regular expression rather than a division.
    regex_allowed: bool,
}

impl<'t> Lexer<'t> {
    fn skip_until(&mut self, end: &str) {
        self.pos = self.text[self.pos..]
            .find(end)
            .map_or(self.text.len(), |i| self.pos + i + end.len());
    }

    /// Skips a quoted body after its opening quote; returns the body.
    fn quoted(&mut self, quote: u8) -> &'t str {
        let bytes = self.text.as_bytes();
        let start = self.pos;
        while self.pos < bytes.len() {
            match bytes[self.pos] {
                b'\\' => self.pos += 2,
                b'\n' if quote != b'`' => break,
                b if b == quote => {
                    let body = &self.text[start..self.pos];
                    self.pos += 1;
                    return body;
                }
                _ => self.pos += 1,
            }
        }
        self.pos = self.pos.min(bytes.len());
        &self.text[start..self.pos]
    }

    fn next(&mut self) -> Option<(usize, Token<'t>)> {
        let bytes = self.text.as_bytes();
        loop {
            while self.pos < bytes.len() && bytes[self.pos].is_ascii_whitespace() {
                self.pos += 1;
            }
            let start = self.pos;
            let &b = bytes.get(self.pos)?;
            let next = bytes.get(self.pos + 1).copied();
            match (b, next) {
                (b'/', Some(b'/')) => self.skip_until("\n"),
                (b'/', Some(b'*')) => {
                    self.pos += 2;
                    self.skip_until("*/");
                }
                (b'/', _) if self.regex_allowed => {
                    self.pos += 1;
                    self.quoted(b'/');
                    self.regex_allowed = false;
                }
                (b'"' | b'\'' | b'`', _) => {
                    self.pos += 1;
                    let body = self.quoted(b);
                    self.regex_allowed = false;
                    // Template literals are never module specifiers.
                    if b != b'`' {
                        return Some((start, Token::Str(body)));
                    }
                }
                _ if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 => {
                    while self.pos < bytes.len()
                        && (bytes[self.pos].is_ascii_alphanumeric()
                            || matches!(bytes[self.pos], b'_' | b'$')
                            || bytes[self.pos] >= 0x80)
                    {
                        self.pos += 1;
                    }
                    let word = &self.text[start..self.pos];
                    self.regex_allowed = matches!(
                        word,
                        "return"
                            | "typeof"
                            | "case"
                            | "in"
                            | "of"
                            | "new"
                            | "delete"
                            | "void"
                            | "throw"
                            | "yield"
                            | "await"
                    );
                    return Some((start, Token::Word(word)));
                }
                _ => {
                    let c = self.text[self.pos..].chars().next()?;
                    self.pos += c.len_utf8();
                    self.regex_allowed = !matches!(c, ')' | ']' | '}');
                    return Some((start, Token::Punct(c)));
                }
            }
        }
    }
}

/// The npm package a specifier names, or `None` for relative, absolute,
/// URL and `node:` specifiers.
pub fn package_of(specifier: &str) -> Option<String> {
    if specifier.is_empty() || specifier.starts_with(['.', '/']) || specifier.contains(':') {
        return None;
    }
    let mut parts = specifier.split('/');
    let first = parts.next()?;
    let name = if first.starts_with('@') {
        format!("{first}/{}", parts.next()?)
    } else {
        first.to_string()
    };
    Some(name)
}

pub fn extract(text: &str, out: &mut Extracted) {
    let index = LineIndex::new(text);
    let mut lexer = Lexer {
        text,
        pos: 0,
        regex_allowed: true,
    };
    let mut tokens: Vec<(usize, Token)> = Vec::new();
    // Bounded lookback: the patterns below need three tokens at most.
    let mut in_statement = false;
    while let Some(tok) = lexer.next() {
        let specifier = match (&tokens.as_slice(), &tok.1) {
            (_, Token::Punct(';')) => {
                in_statement = false;
                None
            }
            ([.., (_, Token::Word("import"))], Token::Str(s)) => Some(*s),
            ([.., (_, Token::Word("from"))], Token::Str(s)) if in_statement => {
                in_statement = false;
                Some(*s)
            }
            (
                [
                    ..,
                    (_, Token::Word("import" | "require")),
                    (_, Token::Punct('(')),
                ],
                Token::Str(s),
            ) => Some(*s),
            _ => None,
        };
        if let Token::Word("import" | "export") = tok.1 {
            in_statement = true;
        }
        if let Some(name) = specifier.and_then(package_of) {
            let (line, column) = index.line_col(text, tok.0);
            out.push(Signal::new(
                SignalKind::JsImport,
                format!("npm:{name}"),
                line,
                column,
            ));
        }
        if tokens.len() > 3 {
            tokens.remove(0);
        }
        tokens.push(tok);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imports_and_requires_not_comments_or_strings() {
        let text = r#"
// import * as torch from 'react-native-pytorch-core';
/* require('onnxruntime-web') */
import * as tf from '@tensorflow/tfjs/dist/index';
import {
  createDetector,
  SupportedModels,
} from "@tensorflow-models/pose-detection";
import './styles.css';
const ort = require('onnxruntime-web');
const lazy = await import("@huggingface/transformers");
const note = "import x from 'fake-string'";
const re = /from 'fake-regex'/g;
const tpl = `import y from 'fake-template'`;
import fs from 'node:fs';
export { pipeline } from '@xenova/transformers';
"#;
        let mut out = Extracted::default();
        extract(text, &mut out);
        let got: Vec<_> = out.line_keys();
        assert_eq!(
            got,
            [
                "4:npm:@tensorflow/tfjs",
                "8:npm:@tensorflow-models/pose-detection",
                "10:npm:onnxruntime-web",
                "11:npm:@huggingface/transformers",
                "16:npm:@xenova/transformers"
            ]
        );
    }
}
