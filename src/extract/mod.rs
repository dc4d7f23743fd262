//! One extractor per file family. An extractor parses; it never judges.
//! `extract_file` picks the extractor for a file's kind, handles encodings and
//! binary content, and stamps every signal with its path and path contexts.

pub mod apple;
pub mod artifact;
mod byteset;
pub mod cargo;
pub mod config;
pub mod docker;
pub mod gradle;
pub mod javascript;
pub mod manifest;
pub mod native;
pub mod notebook;
pub mod npm;
pub mod pyscan;
pub mod python;
pub mod readme;
pub mod requirements;
pub mod setup_py;
mod utf8;
pub mod yaml_block;
pub mod yaml_tree;

use crate::ruleset::RuleSet;
use crate::signal::{Extracted, Signal, SignalKind};
use crate::walk::FileKind;
use std::io::Read;

/// Bytes sniffed for a NUL to tell binary from text, as git and ripgrep do.
const SNIFF: usize = 8 * 1024;

/// Signals of one file whose bytes have been read.
pub fn extract_file(rel: &str, kind: FileKind, bytes: &[u8], rules: &RuleSet) -> Extracted {
    extract_file_keeping(rel, kind, bytes, rules, None)
}

/// What a caller keeps of a file's signals (a check: `judge::essentials`).
pub struct Keep<'k> {
    /// Keeps of signals in scan order. It must be composable: keeping of
    /// (kept ++ later) what it keeps of the whole. It sees them with their
    /// path's contexts but before their path is set, which is the same for
    /// all.
    pub signals: &'k (dyn Fn(Vec<Signal>) -> Vec<Signal> + Sync),
    /// Whether an import of this first module may be kept: an import
    /// refused here is never made (most of a tree's imports, `os` and the
    /// project's own modules, each a key, a context and its names to
    /// allocate and drop). `signals` must keep no import refused here.
    pub import: &'k pyscan::ImportFilter<'k>,
}

impl Keep<'_> {
    pub fn apply(&self, signals: &mut Vec<Signal>) {
        *signals = (self.signals)(std::mem::take(signals));
    }
}

/// [`extract_file`], keeping of a large notebook, as its cells are read,
/// only what `keep` keeps: a 50 MB notebook gives 200,000 signals.
pub fn extract_file_keeping(
    rel: &str,
    kind: FileKind,
    bytes: &[u8],
    rules: &RuleSet,
    keep: Option<&Keep>,
) -> Extracted {
    let mut out = Extracted::default();
    if kind == FileKind::Artifact {
        artifact::magic(bytes, &mut out);
        return finish(rel, out, rules, keep);
    }
    if is_binary(bytes) {
        binary(kind, &mut out);
        return finish(rel, out, rules, keep);
    }
    let uri: Vec<&str> = rules.uri_prefixes().collect();
    match kind {
        FileKind::Python => {
            let text = python::decode(bytes, &mut out);
            python::extract_wanted(&text, false, &uri, keep.map(|k| k.import), &mut out);
        }
        FileKind::SetupPy => {
            let text = python::decode(bytes, &mut out);
            if !python::too_deep(&text, &mut out)
                && let Some(parsed) = python::parse_guarded(&text, false, &mut out)
            {
                python::extract_parsed(&text, &parsed, &uri, &mut out);
                setup_py::extract(&text, parsed.syntax(), &mut out);
            }
        }
        FileKind::Notebook => {
            let text = text_of(bytes, &mut out);
            let wanted = keep.map(|k| k.import);
            notebook::extract(
                &text,
                &uri,
                &mut pruning(rel, rules, keep),
                wanted,
                &mut out,
            );
        }
        FileKind::Requirements => requirements::extract(rel, &text_of(bytes, &mut out), &mut out),
        FileKind::Pyproject => manifest::pyproject(&text_of(bytes, &mut out), &mut out),
        FileKind::SetupCfg => manifest::setup_cfg(&text_of(bytes, &mut out), &mut out),
        FileKind::Pipfile => manifest::pipfile(&text_of(bytes, &mut out), &mut out),
        FileKind::CondaEnv => manifest::conda_env(&text_of(bytes, &mut out), &mut out),
        FileKind::Readme => {
            let (automaton, words) = rules.keywords();
            readme::extract(&text_of(bytes, &mut out), automaton, words, &mut out);
        }
        FileKind::Gradle => gradle::build_script(&text_of(bytes, &mut out), &mut out),
        FileKind::VersionCatalog => gradle::version_catalog(&text_of(bytes, &mut out), &mut out),
        FileKind::Podfile => apple::podfile(&text_of(bytes, &mut out), &mut out),
        FileKind::PackageSwift => apple::package_swift(&text_of(bytes, &mut out), &mut out),
        FileKind::PackageJson => npm::package_json(&text_of(bytes, &mut out), &mut out),
        FileKind::Pubspec => npm::pubspec(&text_of(bytes, &mut out), &mut out),
        FileKind::Dockerfile => docker::dockerfile(&text_of(bytes, &mut out), &mut out),
        FileKind::Compose => docker::compose(&text_of(bytes, &mut out), &mut out),
        FileKind::CSource => native::c_source(&text_of(bytes, &mut out), &mut out),
        FileKind::CMake => native::cmake(&text_of(bytes, &mut out), &mut out),
        FileKind::PlatformIo => native::platformio(&text_of(bytes, &mut out), &mut out),
        FileKind::ArduinoLibrary => native::arduino_library(&text_of(bytes, &mut out), &mut out),
        FileKind::IdfComponent => native::idf_component(&text_of(bytes, &mut out), &mut out),
        FileKind::CargoToml => cargo::manifest(&text_of(bytes, &mut out), &mut out),
        FileKind::JsSource => javascript::extract(&text_of(bytes, &mut out), &mut out),
        FileKind::Yaml => config::yaml(&text_of(bytes, &mut out), &mut out),
        FileKind::TritonConfig => config::triton(&text_of(bytes, &mut out), &mut out),
        FileKind::Terraform => config::terraform(&text_of(bytes, &mut out), &mut out),
        FileKind::RustSource => cargo::rust_source(&text_of(bytes, &mut out), &mut out),
        FileKind::Properties => config::properties(&text_of(bytes, &mut out), &mut out),
        FileKind::ModelJson => config::tfjs_model(&text_of(bytes, &mut out), &mut out),
        FileKind::WestManifest => native::west_manifest(&text_of(bytes, &mut out), &mut out),
        FileKind::AppYaml => config::app_yaml(&text_of(bytes, &mut out), &mut out),
        // Artifacts were handled before the binary sniff.
        FileKind::Artifact | FileKind::Other => {}
    }
    finish(rel, out, rules, keep)
}

/// [`extract_file_keeping`] for a notebook read from `file` as it is
/// parsed: the same signals and diagnostics as from its whole text, with
/// memory bounded by its largest cell rather than its size. One thing may
/// differ: where a notebook that is not JSON breaks, as serde_json's stream
/// reader counts it after the character it looked ahead at ([`same_reading`]).
pub fn extract_notebook_streaming(
    rel: &str,
    mut file: impl std::io::Read,
    rules: &RuleSet,
    keep: Option<&Keep>,
) -> std::io::Result<Extracted> {
    let mut out = Extracted::default();
    let mut head = Vec::with_capacity(SNIFF);
    (&mut file).take(SNIFF as u64).read_to_end(&mut head)?;
    if is_binary(&head) {
        binary(FileKind::Notebook, &mut out);
        return Ok(finish(rel, out, rules, keep));
    }
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    let mut text = utf8::Lossy::new(std::io::Cursor::new(head).chain(file));
    let uri: Vec<&str> = rules.uri_prefixes().collect();
    let de = serde_json::Deserializer::from_reader(std::io::BufReader::new(&mut text));
    let wanted = keep.map(|k| k.import);
    notebook::extract_from(de, &uri, &mut pruning(rel, rules, keep), wanted, &mut out);
    // A notebook that breaks early is still checked to its end, as the
    // whole text is, for bytes that are not UTF-8.
    let _ = std::io::copy(&mut text, &mut std::io::sink());
    if text.replaced {
        out.diagnostics.insert(0, not_utf8());
    }
    Ok(finish(rel, out, rules, keep))
}

/// What a notebook's reader does with the signals found so far: keeps only
/// what `keep` keeps, weighed with their path's contexts (given first).
fn pruning<'a>(
    rel: &'a str,
    rules: &'a RuleSet,
    keep: Option<&'a Keep>,
) -> impl FnMut(&mut Vec<Signal>) + 'a {
    move |signals: &mut Vec<Signal>| {
        if let Some(keep) = keep {
            add_path_contexts(rel, signals, rules);
            keep.apply(signals);
        }
    }
}

/// A NUL in the first bytes: binary, as git and ripgrep tell.
fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(SNIFF)]).is_some()
}

fn binary(kind: FileKind, out: &mut Extracted) {
    out.diagnose(
        "FW004",
        1,
        1,
        format!(
            "binary content in a file named as {}; skipped",
            kind_name(kind)
        ),
    );
}

/// Two readings of a notebook agree, but for the position of the one
/// diagnostic a broken notebook gives (see [`extract_notebook_streaming`]).
#[doc(hidden)]
pub fn same_reading(whole: &Extracted, streamed: &Extracted) -> bool {
    let key = |e: &Extracted| {
        let diagnostics: Vec<_> = e
            .diagnostics
            .iter()
            .map(|d| {
                let broken = d.message.starts_with(notebook::NOT_A_NOTEBOOK);
                let at = (!broken).then_some((d.line, d.column));
                (&d.path, d.cell, at, d.code, &d.message)
            })
            .collect();
        format!("{:?} {diagnostics:?}", e.signals)
    };
    key(whole) == key(streamed)
}

thread_local! {
    /// Set while a guarded call runs: its panics are expected and silent.
    static GUARDED: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Runs `f`, turning a panic into `None` without printing it. Panics
/// elsewhere still reach the previous hook.
pub fn without_panicking<T>(f: impl FnOnce() -> T) -> Option<T> {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GUARDED.with(std::cell::Cell::get) {
                previous(info);
            }
        }));
    });
    GUARDED.with(|g| g.set(true));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    GUARDED.with(|g| g.set(false));
    result.ok()
}

/// The signal a file's path alone gives, when a path rule matches it.
pub fn path_signal(rel: &str, rules: &RuleSet) -> Option<Signal> {
    rules.path_matches(rel).then(|| {
        let mut s = Signal::new(SignalKind::Path, rel, 1, 1);
        s.path = rel.to_string();
        s
    })
}

/// Gives the signals their path's contexts, keeps what `keep` keeps and
/// only then gives them their path: most of a check's signals are dropped
/// (`import os`), and a path each would be an allocation each.
fn finish(rel: &str, mut out: Extracted, rules: &RuleSet, keep: Option<&Keep>) -> Extracted {
    add_path_contexts(rel, &mut out.signals, rules);
    if let Some(keep) = keep {
        keep.apply(&mut out.signals);
    }
    for s in &mut out.signals {
        if s.path != rel {
            s.path = rel.to_string();
        }
    }
    for d in &mut out.diagnostics {
        d.path = rel.to_string();
    }
    out
}

/// Gives signals the contexts their file's path implies (`test`,
/// `example`…). Giving them twice changes nothing.
fn add_path_contexts(rel: &str, signals: &mut [Signal], rules: &RuleSet) {
    // The globs are matched only for a file with signals to give them to.
    if signals.is_empty() {
        return;
    }
    let contexts = rules.path_contexts(rel);
    if contexts.is_empty() {
        return;
    }
    for s in signals {
        s.context.extend_from_slice(&contexts);
        s.context.sort();
        s.context.dedup();
    }
}

/// A JSON file that does not parse: FW002 at serde_json's position.
pub fn diagnose_json(out: &mut Extracted, e: &serde_json::Error, what: &str) {
    out.diagnose(
        "FW002",
        crate::signal::to_u32(e.line().max(1)),
        crate::signal::to_u32(e.column().max(1)),
        format!("{what}: {}", without_position(e)),
    );
}

/// serde_json's message without its " at line L column C": the diagnostic
/// has its own position, and serde_json's column differs between reading a
/// text (0 before the first character) and a stream (1).
fn without_position(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let position = format!(" at line {} column {}", e.line(), e.column());
    match text.strip_suffix(&position) {
        Some(message) => message.to_string(),
        None => text,
    }
}

/// The text of a file, borrowed when it is UTF-8 (no copy of a 50 MB
/// notebook), with invalid bytes replaced and reported otherwise.
fn text_of<'b>(bytes: &'b [u8], out: &mut Extracted) -> std::borrow::Cow<'b, str> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match utf8::from_utf8(bytes) {
        Ok(s) => std::borrow::Cow::Borrowed(s),
        Err(_) => {
            out.diagnostics.push(not_utf8());
            String::from_utf8_lossy(bytes)
        }
    }
}

fn not_utf8() -> crate::signal::Diagnostic {
    crate::signal::Diagnostic::new(
        "FW003",
        1,
        1,
        "file is not valid UTF-8; invalid bytes replaced".to_string(),
    )
}

pub fn kind_name(kind: FileKind) -> &'static str {
    match kind {
        FileKind::Python => "Python source",
        FileKind::SetupPy => "setup.py",
        FileKind::Notebook => "a notebook",
        FileKind::Requirements => "a requirements file",
        FileKind::Pyproject => "pyproject.toml",
        FileKind::SetupCfg => "setup.cfg",
        FileKind::Pipfile => "Pipfile",
        FileKind::CondaEnv => "a conda environment",
        FileKind::Readme => "a README",
        FileKind::Gradle => "a Gradle build",
        FileKind::VersionCatalog => "a Gradle version catalog",
        FileKind::Podfile => "a Podfile",
        FileKind::PackageSwift => "Package.swift",
        FileKind::PackageJson => "package.json",
        FileKind::Pubspec => "pubspec.yaml",
        FileKind::Dockerfile => "a Dockerfile",
        FileKind::Compose => "a compose file",
        FileKind::CSource => "C/C++ source",
        FileKind::CMake => "a CMake file",
        FileKind::PlatformIo => "platformio.ini",
        FileKind::ArduinoLibrary => "library.properties",
        FileKind::IdfComponent => "idf_component.yml",
        FileKind::CargoToml => "Cargo.toml",
        FileKind::JsSource => "JavaScript/TypeScript source",
        FileKind::Yaml => "YAML",
        FileKind::TritonConfig => "a Triton model config",
        FileKind::Terraform => "Terraform",
        FileKind::RustSource => "Rust source",
        FileKind::Properties => "config.properties",
        FileKind::ModelJson => "model.json",
        FileKind::Artifact => "a model artifact",
        FileKind::WestManifest => "west.yml",
        FileKind::AppYaml => "app.yaml",
        FileKind::Other => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A code cell per source, with an output of `bulk` bytes after each.
    fn notebook(sources: &[&str], bulk: usize) -> Vec<u8> {
        let cells: Vec<serde_json::Value> = sources
            .iter()
            .map(|s| {
                serde_json::json!({"cell_type": "code", "metadata": {}, "source": s,
                    "outputs": [{"output_type": "stream", "text": "é✓𝄞 ".repeat(bulk / 10)}]})
            })
            .collect();
        let nb = serde_json::json!({"cells": cells, "metadata": {}, "nbformat": 4});
        serde_json::to_vec(&nb).unwrap()
    }

    /// The streaming read must give what the whole text gives, diagnostics
    /// and positions included, for notebooks whose characters and invalid
    /// bytes fall across the reader's chunks.
    #[test]
    fn a_streamed_notebook_reads_as_its_whole_text() {
        let rules = RuleSet::builtin().unwrap();
        let good = notebook(
            &[
                "import torch\n",
                "%pip install jax\nimport tensorflow as tf\n",
            ],
            300_000,
        );
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(&good);
        let mut invalid = good.clone();
        for at in [70_000, 140_001, good.len() - 40] {
            invalid[at] = 0xFF;
        }
        let mut cut_short = good.clone();
        cut_short.truncate(good.len() / 2);
        let mut binary = good.clone();
        binary[100] = 0;
        let r_kernel = notebook(&["import torch\n"], 10)
            .replace_all_metadata(br#"{"kernelspec":{"language":"R"}}"#);
        let cases = [
            good,
            bom,
            invalid,
            cut_short,
            binary,
            r_kernel,
            Vec::new(),
            b"[]".to_vec(),
            // Found by the fuzzer: the stream reader puts the error one
            // column on (and a line on, past a newline).
            b"0h".to_vec(),
            b"0\n".to_vec(),
            // Found by the fuzzer: invalid UTF-8 after the JSON breaks.
            b"{\n \"cells\": [ ,\r \r\r\r u\xe4".to_vec(),
        ];
        let keep = Keep {
            signals: &|signals| signals,
            import: &|_| true,
        };
        for (i, bytes) in cases.iter().enumerate() {
            for keep in [None, Some(&keep)] {
                let whole =
                    extract_file_keeping("nb.ipynb", FileKind::Notebook, bytes, &rules, keep);
                let streamed =
                    extract_notebook_streaming("nb.ipynb", &bytes[..], &rules, keep).unwrap();
                assert!(
                    same_reading(&whole, &streamed),
                    "case {i}: {whole:?} {streamed:?}"
                );
            }
        }
    }

    trait Metadata {
        fn replace_all_metadata(self, with: &[u8]) -> Vec<u8>;
    }

    impl Metadata for Vec<u8> {
        /// The notebook's top-level `"metadata": {}` (the last one) replaced.
        fn replace_all_metadata(mut self, with: &[u8]) -> Vec<u8> {
            let key = b"\"metadata\":{}";
            let at = self.windows(key.len()).rposition(|w| w == key).unwrap();
            let mut new = b"\"metadata\":".to_vec();
            new.extend_from_slice(with);
            self.splice(at..at + key.len(), new);
            self
        }
    }
}
