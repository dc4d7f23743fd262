//! Jupyter notebooks: code cells only (outputs never count), parsed as
//! IPython; `%pip install` / `!pip install` lines become dependency signals.
//! Locations carry the 1-based cell index and the line within the cell.

use super::python;
use super::requirements::pip_install_args;
use crate::signal::{Extracted, Signal, SignalKind, to_u32};
use serde::Deserialize;

#[derive(Deserialize)]
struct Notebook {
    cells: Vec<Cell>,
    #[serde(default)]
    metadata: Metadata,
}

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

#[derive(Deserialize)]
struct Cell {
    cell_type: String,
    #[serde(default)]
    source: Source,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Source {
    Text(String),
    Lines(Vec<String>),
}

impl Default for Source {
    fn default() -> Self {
        Source::Text(String::new())
    }
}

impl Source {
    fn joined(self) -> String {
        match self {
            Source::Text(s) => s,
            Source::Lines(lines) => lines.concat(),
        }
    }
}

pub fn extract(text: &str, uri_prefixes: &[&str], out: &mut Extracted) {
    let notebook: Notebook = match serde_json::from_str(text) {
        Ok(nb) => nb,
        Err(e) => {
            out.diagnose(
                "FW002",
                to_u32(e.line().max(1)),
                to_u32(e.column().max(1)),
                format!("not a Jupyter notebook (nbformat 4 JSON): {e}"),
            );
            return;
        }
    };
    if !notebook.metadata.is_python() {
        return;
    }
    for (i, cell) in notebook.cells.into_iter().enumerate() {
        if cell.cell_type != "code" {
            continue;
        }
        let cell_no = to_u32(i + 1);
        let Some(source) = python_of_cell(cell.source.joined()) else {
            continue;
        };
        let mut cell_out = Extracted::default();
        python::extract(&source, true, uri_prefixes, &mut cell_out);
        pip_lines(&source, &mut cell_out);
        for mut s in cell_out.signals {
            s.cell = Some(cell_no);
            out.push(s);
        }
        for mut d in cell_out.diagnostics {
            d.cell = Some(cell_no);
            out.diagnostics.push(d);
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

/// `%pip install x`, `!pip install x`, `!python -m pip install x`, `%conda install x`.
fn pip_lines(source: &str, out: &mut Extracted) {
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

    #[test]
    fn code_cells_only_with_cell_locations() {
        let nb = r##"{"cells": [
 {"cell_type": "markdown", "source": ["import fake_markdown\n"]},
 {"cell_type": "code", "source": ["%pip install -q transformers peft\n", "%matplotlib inline\n", "import torch\n"],
  "outputs": [{"output_type": "stream", "text": ["import fake_output\n"]}]},
 {"cell_type": "code", "source": "!pip install tensorflow==2.15\nfrom sklearn import svm"}
], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}"##;
        let mut out = Extracted::default();
        extract(nb, &[], &mut out);
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
        extract(nb, &[], &mut out);
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
        extract(r, &[], &mut out);
        assert!(out.signals.is_empty() && out.diagnostics.is_empty());
    }

    #[test]
    fn broken_json_is_a_diagnostic() {
        let mut out = Extracted::default();
        extract("{\"cells\": [", &[], &mut out);
        assert_eq!(out.diagnostics[0].code, "FW002");
    }
}
