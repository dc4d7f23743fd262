//! Rust packages and workspaces: `Cargo.toml` read statically with the `toml`
//! crate. Cargo itself is never run (it would honour the repository's own
//! `.cargo/config.toml` and could write a `Cargo.lock`). Keys: `crates:name`,
//! with `package = "…"` renames resolved to the real crate.

use super::manifest::Locator;
use crate::signal::{Context, Extracted, Signal, SignalKind, to_u32};
use cargo_metadata::DependencyKind;
use toml::{Table, Value};

/// The dependency tables of a manifest, by cargo's own kinds.
const SECTIONS: [(&str, DependencyKind); 3] = [
    ("dependencies", DependencyKind::Normal),
    ("dev-dependencies", DependencyKind::Development),
    ("build-dependencies", DependencyKind::Build),
];

/// Tests and build scripts do not ship: they weigh as development code.
fn context_of(kind: DependencyKind) -> Option<Context> {
    match kind {
        DependencyKind::Normal => None,
        _ => Some(Context::Dev),
    }
}

pub fn manifest(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_toml(text, "TOML", out) else {
        return;
    };
    let loc = Locator::new(text);
    let mut tables: Vec<(&Table, DependencyKind)> = Vec::new();
    for (section, kind) in SECTIONS {
        if let Some(t) = doc.get(section).and_then(Value::as_table) {
            tables.push((t, kind));
        }
    }
    if let Some(targets) = doc.get("target").and_then(Value::as_table) {
        for target in targets.values().filter_map(Value::as_table) {
            for (section, kind) in SECTIONS {
                if let Some(t) = target.get(section).and_then(Value::as_table) {
                    tables.push((t, kind));
                }
            }
        }
    }
    if let Some(t) = doc
        .get("workspace")
        .and_then(|w| w.get("dependencies"))
        .and_then(Value::as_table)
    {
        tables.push((t, DependencyKind::Normal));
    }
    for (table, kind) in tables {
        let ctx = context_of(kind);
        for (name, spec) in table {
            let real = spec.get("package").and_then(Value::as_str).unwrap_or(name);
            let (line, column) = loc.find(name);
            let signal = Signal::new(
                SignalKind::Dependency,
                format!("crates:{real}"),
                line,
                column,
            );
            out.push(signal.with_context(ctx.as_slice()));
        }
    }
}

/// Rust sources: `use candle_core::Tensor;`, `extern crate tch;` → `crates:candle-core`.
pub fn rust_source(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        let line = line.strip_prefix("pub ").unwrap_or(line);
        let rest = match line
            .strip_prefix("use ")
            .or_else(|| line.strip_prefix("extern crate "))
        {
            Some(rest) => rest.trim_start().trim_start_matches("::"),
            None => continue,
        };
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty()
            || matches!(
                name.as_str(),
                "std" | "core" | "alloc" | "crate" | "self" | "super"
            )
        {
            continue;
        }
        let column = to_u32(raw.len() - raw.trim_start().len() + 1);
        let key = format!("crates:{}", name.replace('_', "-"));
        out.push(Signal::new(
            SignalKind::JsImport,
            key,
            to_u32(i + 1),
            column,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rust_uses() {
        let text = "use std::io;
// use tch::Tensor;
use candle_core::{Device, Tensor};
pub use tract_onnx::prelude::*;
extern crate tch;
use crate::model;
";
        let mut out = Extracted::default();
        rust_source(text, &mut out);
        let got: Vec<_> = out.line_keys();
        assert_eq!(
            got,
            [
                "3:crates:candle-core",
                "4:crates:tract-onnx",
                "5:crates:tch"
            ]
        );
    }

    #[test]
    fn cargo_dependencies() {
        let text = "[package]\nname = \"chat\"\n\n[dependencies]\ncandle-core = \"0.6\"\ntorch = { package = \"tch\", version = \"0.16\" }\n\n[dev-dependencies]\ncriterion = \"0.5\"\n\n[target.'cfg(target_os = \"linux\")'.dependencies]\nort = \"2.0.0-rc.4\"\n\n[workspace.dependencies]\ntokenizers = \"0.19\"\n";
        let mut out = Extracted::default();
        manifest(text, &mut out);
        let mut got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{}:{}{:?}", s.line, s.key, s.context))
            .collect();
        got.sort();
        assert_eq!(
            got,
            [
                "12:crates:ort[]",
                "15:crates:tokenizers[]",
                "5:crates:candle-core[]",
                "6:crates:tch[]",
                "9:crates:criterion[Dev]"
            ]
        );
    }
}
