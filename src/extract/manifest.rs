//! Python dependency manifests: pyproject.toml (PEP 621, PEP 735, Poetry, PDM,
//! uv), setup.cfg, Pipfile and conda environment files. Read statically.

use super::requirements::{is_dev_name, requirement_name};
use crate::signal::{Context, Extracted, LineIndex, Signal, SignalKind, to_u32};
use std::collections::HashMap;
use toml::{Table, Value};

/// Finds where a dependency is written, for the finding's location.
pub struct Locator<'t> {
    text: &'t str,
    lines: LineIndex,
    /// Where each maximal run of word characters starts, by its text: built
    /// once a file has had [`SCANS`] lookups, so that finding each of 25,000
    /// dependencies costs a hash lookup instead of a scan of the file.
    words: std::cell::OnceCell<HashMap<&'t str, Vec<usize>>>,
    lookups: std::cell::Cell<u32>,
}

/// Lookups that scan the text before the word index is built: a scan
/// (memmem, stopping at the first match) costs a small part of the index,
/// and a Kubernetes bundle has a few dozen signals.
const SCANS: u32 = 64;

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '-' || c == '_'
}

impl<'t> Locator<'t> {
    pub fn new(text: &'t str) -> Self {
        Locator {
            text,
            lines: LineIndex::new(text),
            words: std::cell::OnceCell::new(),
            lookups: std::cell::Cell::new(0),
        }
    }

    /// Where `needle` first stands as a whole word (no word character just
    /// before or after it); line 1, column 1 when it is nowhere.
    pub fn find(&self, needle: &str) -> (u32, u32) {
        self.first(needle, |_| true)
            .map_or((1, 1), |at| self.line_col(at))
    }

    /// Where `"name":` is written (a JSON object key, not a value).
    pub fn find_key(&self, name: &str) -> (u32, u32) {
        let quoted = format!("\"{name}\"");
        let is_key = |at: usize| self.text[at + quoted.len()..].trim_start().starts_with(':');
        match self.first(&quoted, is_key) {
            Some(at) => self.line_col(at),
            None => self.find(&quoted),
        }
    }

    /// The first whole-word occurrence of `needle` that `accept` takes.
    fn first(&self, needle: &str, accept: impl Fn(usize) -> bool) -> Option<usize> {
        // A needle with no word character has no run to index.
        let Some(lead) = needle.find(is_word) else {
            return self.first_by_scan(needle, accept);
        };
        if self.words.get().is_none() && self.lookups.get() < SCANS {
            self.lookups.set(self.lookups.get() + 1);
            return self.first_by_scan(needle, accept);
        }
        self.first_by_index(needle, lead, accept)
    }

    /// No word character just before or after `needle` at `at`.
    fn whole(&self, at: usize, needle: &str) -> bool {
        let before = self.text[..at].chars().next_back();
        let after = self.text[at + needle.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    }

    /// [`Self::first`] by a search of the whole text, overlapping
    /// occurrences included (a UTF-8 needle only matches at a character).
    fn first_by_scan(&self, needle: &str, accept: impl Fn(usize) -> bool) -> Option<usize> {
        let finder = memchr::memmem::Finder::new(needle.as_bytes());
        let mut from = 0;
        while let Some(found) = finder.find(&self.text.as_bytes()[from..]) {
            let at = from + found;
            if self.whole(at, needle) && accept(at) {
                return Some(at);
            }
            from = at + 1;
        }
        None
    }

    /// [`Self::first`] through the word index; `lead` is where the needle's
    /// first word character is.
    fn first_by_index(
        &self,
        needle: &str,
        lead: usize,
        accept: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        // The needle's first word run must be a whole run of the text at the
        // same distance from the match (its ends are the needle's own, or
        // non-word characters both texts share).
        let run_len = needle[lead..]
            .find(|c| !is_word(c))
            .unwrap_or(needle.len() - lead);
        let run = &needle[lead..lead + run_len];
        let words = self.words.get_or_init(|| word_runs(self.text));
        let starts = words.get(run)?;
        starts
            .iter()
            .filter_map(|&p| p.checked_sub(lead))
            .find(|&at| {
                self.text.get(at..).is_some_and(|t| t.starts_with(needle))
                    && self.whole(at, needle)
                    && accept(at)
            })
    }

    fn line_col(&self, at: usize) -> (u32, u32) {
        self.lines.line_col(self.text, at)
    }
}

/// Start offsets of every maximal run of word characters, by run.
fn word_runs(text: &str) -> HashMap<&str, Vec<usize>> {
    let mut runs: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (is_word(c), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                runs.entry(&text[s..i]).or_default().push(s);
                start = None;
            }
            _ => {}
        }
    }
    runs
}

fn push_dep(
    out: &mut Extracted,
    loc: &Locator,
    prefix: &str,
    name: &str,
    written: &str,
    ctx: &[Context],
) {
    let (line, column) = loc.find(written);
    let signal = Signal::new(
        SignalKind::Dependency,
        super::requirements::dependency_key(prefix, name),
        line,
        column,
    );
    out.push(signal.with_context(ctx));
}

fn push_specs<'v>(
    out: &mut Extracted,
    loc: &Locator,
    specs: impl Iterator<Item = &'v Value>,
    ctx: &[Context],
) {
    for spec in specs.filter_map(Value::as_str) {
        if let Some(name) = requirement_name(spec) {
            push_dep(out, loc, "pypi", &name, spec, ctx);
        }
    }
}

fn group_context(name: &str) -> Context {
    if is_dev_name(name) {
        Context::Dev
    } else {
        Context::Optional
    }
}

pub fn parse_toml(text: &str, what: &str, out: &mut Extracted) -> Option<Table> {
    match text.parse::<Table>() {
        Ok(t) => Some(t),
        Err(e) => {
            let line = e.span().map_or(1, |s| {
                text[..s.start.min(text.len())].matches('\n').count() + 1
            });
            out.diagnose(
                "FW002",
                to_u32(line),
                1,
                format!("invalid {what}: {}", e.message()),
            );
            None
        }
    }
}

/// Parses YAML, or reports where it is broken (FW002) and gives `None`.
pub fn parse_yaml(text: &str, out: &mut Extracted) -> Option<serde_json::Value> {
    match serde_saphyr::from_str(text) {
        Ok(v) => Some(v),
        Err(e) => {
            let (line, column) = e.location().map_or((1, 1), |l| {
                (to_u32(l.line() as usize), to_u32(l.column() as usize))
            });
            let msg = e.to_string();
            let first = msg.lines().next().unwrap_or("");
            out.diagnose(
                "FW002",
                line.max(1),
                column.max(1),
                format!("invalid YAML: {first}"),
            );
            None
        }
    }
}

fn table<'v>(value: Option<&'v Value>, key: &str) -> Option<&'v Value> {
    value?.as_table()?.get(key)
}

fn array(value: Option<&Value>) -> impl Iterator<Item = &Value> {
    value.and_then(Value::as_array).into_iter().flatten()
}

/// pyproject.toml.
pub fn pyproject(text: &str, out: &mut Extracted) {
    let Some(doc) = parse_toml(text, "TOML", out) else {
        return;
    };
    let loc = Locator::new(text);
    let root = Some(&doc).map(|t| t as &Table);
    let project = root.and_then(|t| t.get("project"));
    push_specs(out, &loc, array(table(project, "dependencies")), &[]);
    if let Some(extras) = table(project, "optional-dependencies").and_then(Value::as_table) {
        for deps in extras.values() {
            push_specs(out, &loc, array(Some(deps)), &[Context::Optional]);
        }
    }
    if let Some(groups) = doc.get("dependency-groups").and_then(Value::as_table) {
        for (name, deps) in groups {
            push_specs(out, &loc, array(Some(deps)), &[group_context(name)]);
        }
    }
    let tool = doc.get("tool");
    let poetry = table(tool, "poetry");
    poetry_deps(out, &loc, table(poetry, "dependencies"), &[]);
    poetry_deps(
        out,
        &loc,
        table(poetry, "dev-dependencies"),
        &[Context::Dev],
    );
    if let Some(groups) = table(poetry, "group").and_then(Value::as_table) {
        for (name, group) in groups {
            let ctx = [group_context(name)];
            poetry_deps(out, &loc, table(Some(group), "dependencies"), &ctx);
        }
    }
    if let Some(groups) = table(table(tool, "pdm"), "dev-dependencies").and_then(Value::as_table) {
        for deps in groups.values() {
            push_specs(out, &loc, array(Some(deps)), &[Context::Dev]);
        }
    }
    push_specs(
        out,
        &loc,
        array(table(table(tool, "uv"), "dev-dependencies")),
        &[Context::Dev],
    );
}

fn poetry_deps(out: &mut Extracted, loc: &Locator, deps: Option<&Value>, ctx: &[Context]) {
    let Some(deps) = deps.and_then(Value::as_table) else {
        return;
    };
    for (name, spec) in deps {
        if name == "python" {
            continue;
        }
        let optional = spec
            .as_table()
            .and_then(|t| t.get("optional"))
            .and_then(Value::as_bool)
            .unwrap_or(false);
        let mut ctx = ctx.to_vec();
        if optional {
            ctx.push(Context::Optional);
        }
        push_dep(out, loc, "pypi", name, name, &ctx);
    }
}

/// Pipfile: `[packages]` and `[dev-packages]`.
pub fn pipfile(text: &str, out: &mut Extracted) {
    let Some(doc) = parse_toml(text, "Pipfile", out) else {
        return;
    };
    let loc = Locator::new(text);
    for (section, ctx) in [("packages", &[][..]), ("dev-packages", &[Context::Dev][..])] {
        if let Some(deps) = doc.get(section).and_then(Value::as_table) {
            for name in deps.keys() {
                push_dep(out, &loc, "pypi", name, name, ctx);
            }
        }
    }
}

/// setup.cfg: `[options] install_requires`, `tests_require` and
/// `[options.extras_require]`, with INI continuation lines.
pub fn setup_cfg(text: &str, out: &mut Extracted) {
    let mut section = String::new();
    let mut key_ctx: Option<Vec<Context>> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split([';', '#']).next().unwrap_or("").trim_end();
        let indented = raw.starts_with([' ', '\t']);
        if line.trim().is_empty() {
            continue;
        }
        if !indented && line.starts_with('[') {
            section = line.trim_matches(['[', ']']).trim().to_ascii_lowercase();
            key_ctx = None;
            continue;
        }
        let value = if indented {
            line.trim()
        } else {
            let Some((key, value)) = line.split_once(['=', ':']) else {
                key_ctx = None;
                continue;
            };
            key_ctx = cfg_key_context(&section, key.trim());
            value.trim()
        };
        let Some(ctx) = &key_ctx else { continue };
        if let Some(name) = requirement_name(value) {
            let column = to_u32(raw.find(&name).unwrap_or(0) + 1);
            let signal = Signal::new(
                SignalKind::Dependency,
                super::requirements::dependency_key("pypi", &name),
                to_u32(i + 1),
                column,
            );
            out.push(signal.with_context(ctx));
        }
    }
}

fn cfg_key_context(section: &str, key: &str) -> Option<Vec<Context>> {
    match (section, key) {
        ("options", "install_requires") => Some(vec![]),
        ("options", "tests_require") => Some(vec![Context::Dev]),
        ("options.extras_require", name) => Some(vec![group_context(name)]),
        _ => None,
    }
}

/// A conda environment file: conda specs, and the `pip:` sub-list.
pub fn conda_env(text: &str, out: &mut Extracted) {
    let Some(doc) = parse_yaml(text, out) else {
        return;
    };
    let loc = Locator::new(text);
    let deps = doc.get("dependencies").and_then(|d| d.as_array());
    for dep in deps.into_iter().flatten() {
        if let Some(spec) = dep.as_str() {
            if let Some(name) = conda_name(spec) {
                push_dep(out, &loc, "conda", &name, spec, &[]);
            }
        } else if let Some(pip) = dep.get("pip").and_then(|p| p.as_array()) {
            for spec in pip.iter().filter_map(|s| s.as_str()) {
                if let Some(name) = requirement_name(spec) {
                    push_dep(out, &loc, "pypi", &name, spec, &[]);
                }
            }
        }
    }
}

/// `conda-forge::pytorch=2.1=py3.11*` → `pytorch`; `pip` itself is not a dependency.
fn conda_name(spec: &str) -> Option<String> {
    let spec = spec.rsplit("::").next().unwrap_or(spec).trim();
    let name: String = spec
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .collect();
    (!name.is_empty() && name != "pip" && name != "python").then_some(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The plain definition [`Locator::find`] must agree with: the first
    /// whole-word occurrence, overlapping ones included.
    fn find_by_scan(text: &str, needle: &str) -> (u32, u32) {
        let index = LineIndex::new(text);
        let starts = (0..text.len()).filter(|&at| text.is_char_boundary(at));
        for at in starts.filter(|&at| text[at..].starts_with(needle)) {
            let before = text[..at].chars().next_back();
            let after = text[at + needle.len()..].chars().next();
            if !before.is_some_and(is_word) && !after.is_some_and(is_word) {
                return index.line_col(text, at);
            }
        }
        (1, 1)
    }

    proptest! {
        #[test]
        fn locator_agrees_with_a_scan(
            text in "[a-c_\\-\" :=<>.\n\u{e9}]{0,80}",
            needle in "[a-c_\\-\" :=<>.\u{e9}]{1,6}",
        ) {
            let expected = find_by_scan(&text, &needle);
            let loc = Locator::new(&text);
            prop_assert_eq!(loc.find(&needle), expected, "scanned");
            (0..SCANS).for_each(|_| {
                let _ = loc.find("a");
            });
            prop_assert_eq!(loc.find(&needle), expected, "through the index");
        }
    }

    #[test]
    fn locator_finds_a_whole_word_overlapping_a_part_of_one() {
        // `a.a` at 1 follows a word character; the whole one at 3 overlaps it.
        let text = "ba.a.a";
        let loc = Locator::new(text);
        assert_eq!(loc.find("a.a"), (1, 4));
        (0..SCANS).for_each(|_| {
            let _ = loc.find("b");
        });
        assert_eq!(loc.find("a.a"), (1, 4));
        // No word character: `""` at 1 follows `_`; the one at 2 does not.
        assert_eq!(Locator::new("_\"\"\":").find("\"\""), (1, 3));
    }

    #[test]
    fn locator_finds_whole_words_and_json_keys() {
        let text =
            "{\"deps\": {\"torchvision\": \"1\", \"torch\": \"torch\"},\n \"é\": 1, \"tf\": 2}";
        let loc = Locator::new(text);
        assert_eq!(loc.find("torch"), (1, 32));
        assert_eq!(loc.find_key("torch"), (1, 31));
        assert_eq!(loc.find_key("tf"), (2, 10));
        assert_eq!(loc.find("keras"), (1, 1));
    }

    fn keys(out: &Extracted) -> Vec<String> {
        out.signals
            .iter()
            .map(|s| {
                let ctx: Vec<_> = s.context.iter().map(|c| c.as_str()).collect();
                format!("{}:{}[{}]", s.line, s.key, ctx.join(","))
            })
            .collect()
    }

    #[test]
    fn pyproject_all_styles() {
        let text = r#"
[project]
name = "demo"
dependencies = ["torch>=2", "numpy"]
[project.optional-dependencies]
serve = ["fastapi"]
[dependency-groups]
dev = ["pytest"]
[tool.poetry.dependencies]
python = "^3.10"
tensorflow = { version = "^2.15", optional = true }
[tool.poetry.group.test.dependencies]
hypothesis = "*"
[tool.uv]
dev-dependencies = ["ruff"]
"#;
        let mut out = Extracted::default();
        pyproject(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "4:pypi:torch[]",
                "4:pypi:numpy[]",
                "6:pypi:fastapi[optional]",
                "8:pypi:pytest[dev]",
                "11:pypi:tensorflow[optional]",
                "13:pypi:hypothesis[dev]",
                "15:pypi:ruff[dev]"
            ]
        );
    }

    #[test]
    fn broken_toml_is_a_diagnostic() {
        let mut out = Extracted::default();
        pyproject("[project\nname = 1\n", &mut out);
        assert!(out.signals.is_empty());
        assert_eq!(out.diagnostics[0].code, "FW002");
    }

    #[test]
    fn setup_cfg_sections() {
        let text = "[metadata]\nname = x\n[options]\ninstall_requires =\n    torch>=2.0\n    numpy ; python_version>'3.8'\n[options.extras_require]\ndocs = sphinx\n";
        let mut out = Extracted::default();
        setup_cfg(text, &mut out);
        assert_eq!(
            keys(&out),
            ["5:pypi:torch[]", "6:pypi:numpy[]", "8:pypi:sphinx[dev]"]
        );
    }

    #[test]
    fn conda_environment() {
        let text = "name: env\nchannels: [pytorch]\ndependencies:\n  - python=3.11\n  - pytorch::pytorch=2.1\n  - pip\n  - pip:\n    - transformers>=4.40\n";
        let mut out = Extracted::default();
        conda_env(text, &mut out);
        assert_eq!(keys(&out), ["5:conda:pytorch[]", "8:pypi:transformers[]"]);
    }

    #[test]
    fn pipfile_sections() {
        let text = "[packages]\ntensorflow = \"*\"\n[dev-packages]\npytest = \"*\"\n";
        let mut out = Extracted::default();
        pipfile(text, &mut out);
        assert_eq!(keys(&out), ["2:pypi:tensorflow[]", "4:pypi:pytest[dev]"]);
    }
}
