//! Jupyter notebooks: code cells only (outputs never count), parsed as
//! IPython; `%pip install` / `!pip install` lines become dependency signals.
//! Locations carry the 1-based cell index and the line within the cell.

use super::pyscan::ImportFilter;
use super::python;
use super::requirements::pip_install_args;
use crate::signal::{Extracted, Signal, SignalKind, to_u32};
use serde::Deserialize;

#[derive(Deserialize, Default)]
struct Metadata {
    kernelspec: Option<Language>,
    language_info: Option<LanguageInfo>,
}

#[derive(Deserialize)]
struct Language {
    language: Option<String>,
}

#[derive(Deserialize)]
struct LanguageInfo {
    name: Option<String>,
}

impl Metadata {
    /// False for notebooks whose kernel is declared and is not Python (R, Julia…).
    fn is_python(&self) -> bool {
        let declared = self
            .kernelspec
            .as_ref()
            .and_then(|k| k.language.as_deref())
            .or_else(|| self.language_info.as_ref().and_then(|l| l.name.as_deref()));
        declared.is_none_or(|l| l.eq_ignore_ascii_case("python"))
    }
}

struct Cell {
    cell_type: String,
    source: Source,
}

#[derive(Deserialize)]
#[serde(field_identifier, rename_all = "snake_case")]
enum CellField {
    CellType,
    Source,
    #[serde(other)]
    Other,
}

/// What `#[derive(Deserialize)]` with `#[serde(default)] source` reads,
/// errors included, but the source of a cell already known not to be code
/// (markdown, most of a notebook's text) is checked, not copied.
impl<'de> Deserialize<'de> for Cell {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Cell;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("struct Cell")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Cell, A::Error> {
                let cell_type = seq.next_element()?.ok_or_else(|| {
                    serde::de::Error::invalid_length(0, &"struct Cell with 2 elements")
                })?;
                let source = seq.next_element()?.unwrap_or_default();
                Ok(Cell { cell_type, source })
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Cell, A::Error> {
                use serde::de::Error;
                let mut cell_type: Option<String> = None;
                let mut source: Option<Source> = None;
                while let Some(field) = map.next_key()? {
                    match field {
                        CellField::CellType if cell_type.is_some() => {
                            return Err(A::Error::duplicate_field("cell_type"));
                        }
                        CellField::CellType => cell_type = Some(map.next_value()?),
                        CellField::Source if source.is_some() => {
                            return Err(A::Error::duplicate_field("source"));
                        }
                        CellField::Source if cell_type.as_deref().is_some_and(|t| t != "code") => {
                            map.next_value_seed(ReadSource(None))?;
                            source = Some(Source::default());
                        }
                        CellField::Source => source = Some(map.next_value()?),
                        CellField::Other => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(Cell {
                    cell_type: cell_type.ok_or_else(|| A::Error::missing_field("cell_type"))?,
                    source: source.unwrap_or_default(),
                })
            }
        }
        const FIELDS: &[&str] = &["cell_type", "source"];
        d.deserialize_struct("Cell", FIELDS, Visit)
    }
}

/// A cell's source: one string, or a list of lines joined as read.
#[derive(Default)]
struct Source(String);

/// A string or a list of strings, read directly: `#[serde(untagged)]`
/// would first copy every cell into serde's buffer to try each form.
impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let mut text = String::new();
        serde::de::DeserializeSeed::deserialize(ReadSource(Some(&mut text)), d)?;
        Ok(Source(text))
    }
}

/// A source appended to `Some(text)`, or with `None` only checked: the
/// same errors either way.
struct ReadSource<'t>(Option<&'t mut String>);

impl<'de> serde::de::DeserializeSeed<'de> for ReadSource<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for ReadSource<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        AppendTo(self.0).visit_str(v)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // Each line is appended where it is read: no string a line.
        let mut text = self.0;
        while seq
            .next_element_seed(AppendTo(text.as_deref_mut()))?
            .is_some()
        {}
        Ok(())
    }
}

/// One line of a source list, appended to the text read so far, if kept.
struct AppendTo<'t>(Option<&'t mut String>);

impl<'de> serde::de::DeserializeSeed<'de> for AppendTo<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> serde::de::Visitor<'de> for AppendTo<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<(), E> {
        if let Some(text) = self.0 {
            text.push_str(v);
        }
        Ok(())
    }
}

/// How the diagnostic of a notebook that does not parse begins.
pub const NOT_A_NOTEBOOK: &str = "not a Jupyter notebook (nbformat 4 JSON)";

/// Reads a notebook cell by cell as the JSON is parsed: a 50 MB notebook
/// is never held as a list of cells next to its text.
pub fn extract(
    text: &str,
    uri_prefixes: &[&str],
    prune: &mut dyn FnMut(&mut Vec<Signal>),
    wanted: Option<&ImportFilter>,
    out: &mut Extracted,
) {
    let de = serde_json::Deserializer::from_str(text);
    extract_from(de, uri_prefixes, prune, wanted, out);
}

/// [`extract`] from any of serde_json's readers: a large notebook is read
/// from its file as it is parsed, never held whole.
pub fn extract_from<'de, R: serde_json::de::Read<'de>>(
    mut de: serde_json::Deserializer<R>,
    uri_prefixes: &[&str],
    prune: &mut dyn FnMut(&mut Vec<Signal>),
    wanted: Option<&ImportFilter>,
    out: &mut Extracted,
) {
    let mut reader = Reader {
        uri_prefixes,
        wanted,
        found: Extracted::default(),
        cells: 0,
        metadata: None,
        prune,
        prune_at: PRUNE_AT,
    };
    let read =
        serde::de::DeserializeSeed::deserialize(&mut reader, &mut de).and_then(|()| de.end());
    if let Err(e) = read {
        // As before streaming: a broken notebook is one diagnostic, nothing else.
        super::diagnose_json(out, &e, NOT_A_NOTEBOOK);
        return;
    }
    if !reader.metadata.unwrap_or_default().is_python() {
        return;
    }
    for s in reader.found.signals {
        out.push(s);
    }
    out.diagnostics.extend(reader.found.diagnostics);
}

/// The notebook's top-level object: `cells` read one at a time,
/// `metadata` kept (it may come after the cells), the rest skipped.
struct Reader<'u> {
    uri_prefixes: &'u [&'u str],
    /// Imports of a first module this refuses are not made.
    wanted: Option<&'u ImportFilter<'u>>,
    found: Extracted,
    cells: usize,
    metadata: Option<Metadata>,
    /// What the caller keeps of the signals found so far.
    prune: &'u mut dyn FnMut(&mut Vec<Signal>),
    /// Signals found before they are pruned; doubles with what is kept,
    /// so pruning costs time linear in the signals.
    prune_at: usize,
}

const PRUNE_AT: usize = 4096;

impl<'de> serde::de::DeserializeSeed<'de> for &mut Reader<'_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for &mut Reader<'_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a notebook object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut has_cells = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "cells" => {
                    has_cells = true;
                    map.next_value_seed(Cells(&mut *self))?;
                }
                "metadata" => self.metadata = Some(map.next_value()?),
                _ => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                }
            }
        }
        if !has_cells {
            return Err(serde::de::Error::missing_field("cells"));
        }
        Ok(())
    }
}

struct Cells<'r, 'u>(&'r mut Reader<'u>);

impl<'de> serde::de::DeserializeSeed<'de> for Cells<'_, '_> {
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Cells<'_, '_> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a list of cells")
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(cell) = seq.next_element::<Cell>()? {
            self.0.cells += 1;
            self.0.cell(cell);
        }
        Ok(())
    }
}

impl Reader<'_> {
    fn cell(&mut self, cell: Cell) {
        if cell.cell_type != "code" {
            return;
        }
        let cell_no = to_u32(self.cells);
        let Some(source) = python_of_cell(cell.source.0) else {
            return;
        };
        let mut cell_out = Extracted::default();
        python::extract_wanted(&source, true, self.uri_prefixes, self.wanted, &mut cell_out);
        pip_lines(&source, &mut cell_out);
        for mut s in cell_out.signals {
            s.cell = Some(cell_no);
            self.found.push(s);
        }
        if self.found.signals.len() >= self.prune_at {
            (self.prune)(&mut self.found.signals);
            self.prune_at = PRUNE_AT.max(2 * self.found.signals.len());
        }
        for mut d in cell_out.diagnostics {
            d.cell = Some(cell_no);
            self.found.diagnostics.push(d);
        }
    }
}

/// The Python a code cell holds. A cell magic (`%%bash`, `%%writefile x.proto`)
/// makes the cell something else, except those whose body is Python:
/// `%%writefile x.py` (the project's own module) and timing/capture magics.
/// The magic line is blanked so line numbers stay those of the cell.
fn python_of_cell(source: String) -> Option<String> {
    let first = source.trim_start().lines().next().unwrap_or("");
    let Some(magic) = first.strip_prefix("%%") else {
        return Some(source);
    };
    let mut words = magic.split_whitespace();
    let python_body = match words.next() {
        Some("time" | "timeit" | "capture" | "prun") => true,
        Some("writefile") => words.last().is_some_and(|f| f.ends_with(".py")),
        _ => false,
    };
    let start = source.find("%%").unwrap_or(0);
    let end = source[start..]
        .find('\n')
        .map_or(source.len(), |n| start + n);
    python_body.then(|| {
        format!(
            "{}{}",
            "\n".repeat(source[..start].matches('\n').count()),
            &source[end..]
        )
    })
}

/// The searcher for `install`, built once: a cell is often shorter than
/// what building one costs.
static INSTALL: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
    std::sync::LazyLock::new(|| memchr::memmem::Finder::new(b"install"));

/// `%pip install x`, `!pip install x`, `!python -m pip install x`, `%conda install x`.
fn pip_lines(source: &str, out: &mut Extracted) {
    // Every command below installs: most cells need no look at their lines.
    if INSTALL.find(source.as_bytes()).is_none() {
        return;
    }
    for (i, line) in source.lines().enumerate() {
        let t = line.trim_start();
        let Some(cmd) = t.strip_prefix(['%', '!']) else {
            continue;
        };
        let cmd = cmd.trim_start();
        let column = to_u32(line.len() - t.len() + 1);
        let (prefix, args) = if let Some(a) = strip_words(cmd, &["pip", "install"])
            .or_else(|| strip_words(cmd, &["pip3", "install"]))
            .or_else(|| strip_words(cmd, &["python", "-m", "pip", "install"]))
            .or_else(|| strip_words(cmd, &["python3", "-m", "pip", "install"]))
            .or_else(|| strip_words(cmd, &["uv", "pip", "install"]))
        {
            ("pypi", a)
        } else if let Some(a) = strip_words(cmd, &["conda", "install"])
            .or_else(|| strip_words(cmd, &["mamba", "install"]))
        {
            ("conda", a)
        } else {
            continue;
        };
        for name in pip_install_args(args) {
            let signal = Signal::new(
                SignalKind::Dependency,
                super::requirements::dependency_key(prefix, &name),
                to_u32(i + 1),
                column,
            );
            out.push(signal);
        }
    }
}

fn strip_words<'a>(mut text: &'a str, words: &[&str]) -> Option<&'a str> {
    for w in words {
        text = text.strip_prefix(w)?;
        if !(text.is_empty() || text.starts_with([' ', '\t'])) {
            return None;
        }
        text = text.trim_start();
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the cell reader replaces: serde's own, which copies every
    /// source.
    #[derive(Deserialize)]
    struct DerivedCell {
        cell_type: String,
        #[serde(default)]
        source: Source,
    }

    #[test]
    fn a_cell_reads_as_the_derived_reader_does_without_copying_markdown() {
        let cells = [
            r##"{"cell_type": "code", "source": ["import a\n", "x = 1"]}"##,
            r##"{"source": "import a", "cell_type": "code"}"##,
            r##"{"source": "# Title", "cell_type": "markdown"}"##,
            r##"{"cell_type": "markdown", "source": ["# T\n", "text"], "metadata": {}}"##,
            r##"{"cell_type": "code", "outputs": [{"text": ["x"]}], "execution_count": 3}"##,
            r##"{"cell\u005ftype": "code", "source": "import a"}"##,
            r##"{"cell_type": "markdown", "source": 5}"##,
            r##"{"cell_type": "markdown", "source": ["a", 5]}"##,
            r##"{"cell_type": "markdown", "source": null}"##,
            r##"{"cell_type": "code", "source": {"a": 1}}"##,
            r##"{"cell_type": "code", "cell_type": "code"}"##,
            r##"{"cell_type": "raw", "source": "a", "source": "b"}"##,
            r##"{"source": "import a"}"##,
            r##"{"cell_type": 3}"##,
            r##"["code", "import a"]"##,
            r##"["markdown"]"##,
            r##"[]"##,
            r##"["code", "a", "b"]"##,
            r##""code""##,
            r##"7"##,
        ];
        for json in cells {
            let ours = serde_json::from_str::<Cell>(json)
                .map(|c| {
                    (
                        c.cell_type.clone(),
                        (c.cell_type == "code").then_some(c.source.0),
                    )
                })
                .map_err(|e| e.to_string());
            let derived = serde_json::from_str::<DerivedCell>(json)
                .map(|c| {
                    (
                        c.cell_type.clone(),
                        (c.cell_type == "code").then_some(c.source.0),
                    )
                })
                .map_err(|e| e.to_string().replace("DerivedCell", "Cell"));
            assert_eq!(ours, derived, "{json}");
        }
    }

    #[test]
    fn code_cells_only_with_cell_locations() {
        let nb = r##"{"cells": [
 {"cell_type": "markdown", "source": ["import fake_markdown\n"]},
 {"cell_type": "code", "source": ["%pip install -q transformers peft\n", "%matplotlib inline\n", "import torch\n"],
  "outputs": [{"output_type": "stream", "text": ["import fake_output\n"]}]},
 {"cell_type": "code", "source": "!pip install tensorflow==2.15\nfrom sklearn import svm"}
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"##;
        let mut out = Extracted::default();
        extract(nb, &[], &mut |_| {}, None, &mut out);
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{} {}", s.location(), s.key))
            .collect();
        assert_eq!(
            got,
            [
                ":cell 2:3:1 torch",
                ":cell 2:1:1 pypi:transformers",
                ":cell 2:1:1 pypi:peft",
                ":cell 3:2:1 sklearn",
                ":cell 3:1:1 pypi:tensorflow"
            ]
        );
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    }

    #[test]
    fn cell_magics_and_other_kernels() {
        let nb = r##"{"cells": [
 {"cell_type": "code", "source": "%%writefile match.proto\nimport \"google/rpc/status.proto\";\n"},
 {"cell_type": "code", "source": "%%bash\npip list | grep torch\n"},
 {"cell_type": "code", "source": "%%writefile trainer/task.py\nimport torch\n"},
 {"cell_type": "code", "source": "%%time\nimport jax\n"}
], "metadata": {"kernelspec": {"language": "python"}}, "nbformat": 4}"##;
        let mut out = Extracted::default();
        extract(nb, &[], &mut |_| {}, None, &mut out);
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{} {}", s.location(), s.key))
            .collect();
        assert_eq!(got, [":cell 3:2:1 torch", ":cell 4:2:1 jax"]);
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);

        let r = r##"{"cells": [{"cell_type": "code", "source": "library(torch)\nx <- 1"}],
 "metadata": {"kernelspec": {"language": "R", "name": "ir"}}, "nbformat": 4}"##;
        let mut out = Extracted::default();
        extract(r, &[], &mut |_| {}, None, &mut out);
        assert!(out.signals.is_empty() && out.diagnostics.is_empty());
    }

    #[test]
    fn broken_json_is_a_diagnostic() {
        let mut out = Extracted::default();
        extract("{\"cells\": [", &[], &mut |_| {}, None, &mut out);
        assert_eq!(out.diagnostics[0].code, "FW002");
        // Cells are read as the JSON is parsed; a notebook broken after
        // good cells still gives its one diagnostic and nothing else.
        let mut out = Extracted::default();
        extract(
            r#"{"cells": [{"cell_type": "code", "source": "import torch\n"}], "metadata": "#,
            &[],
            &mut |_| {},
            None,
            &mut out,
        );
        assert!(out.signals.is_empty());
        assert_eq!(out.diagnostics.len(), 1, "{:?}", out.diagnostics);
        let mut out = Extracted::default();
        extract(
            r#"{"metadata": {}, "nbformat": 4}"#,
            &[],
            &mut |_| {},
            None,
            &mut out,
        );
        assert!(out.diagnostics[0].message.contains("missing field `cells`"));
    }

    #[test]
    fn a_kernel_declared_after_the_cells_still_counts() {
        let nb = r#"{"cells": [{"cell_type": "code", "source": ["import torch\n"]}],
 "metadata": {"kernelspec": {"language": "julia"}}, "nbformat": 4}"#;
        let mut out = Extracted::default();
        extract(nb, &[], &mut |_| {}, None, &mut out);
        assert!(out.signals.is_empty() && out.diagnostics.is_empty());
        let python = nb.replace("julia", "python");
        let mut out = Extracted::default();
        extract(&python, &[], &mut |_| {}, None, &mut out);
        assert_eq!(out.signals.len(), 1);
    }
}
