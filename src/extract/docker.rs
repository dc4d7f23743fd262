//! Containers: Dockerfile `FROM` images and `pip install` lines, and compose
//! files' `image:` keys. Keys: `image:repository` (tag and digest dropped).

use super::manifest::Locator;
use super::requirements::{dependency_key, pip_install_args};
use crate::signal::{Extracted, Signal, SignalKind, to_u32};
use std::collections::HashMap;

/// `docker.io/library/python:3.11-slim` → `python`; `nvcr.io/nvidia/tritonserver:24.05-py3`
/// → `nvcr.io/nvidia/tritonserver`.
pub fn image_name(reference: &str) -> Option<String> {
    let r = reference
        .split('@')
        .next()
        .unwrap_or(reference)
        .to_ascii_lowercase();
    let name = match r.rfind(':') {
        Some(colon) if !r[colon..].contains('/') => &r[..colon],
        _ => r.as_str(),
    };
    let name = name.strip_prefix("docker.io/").unwrap_or(name);
    let name = name.strip_prefix("library/").unwrap_or(name);
    let valid = !name.is_empty()
        && !name.contains('$')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/' | ':'));
    valid.then(|| name.to_string())
}

/// What earlier instructions tell later `FROM` lines: `ARG` defaults
/// (`FROM ${BASE}`) and stage names (`FROM builder` is not an image).
#[derive(Default)]
struct Stages {
    /// Each ARG's default, expanded when declared (the last one wins).
    args: HashMap<String, String>,
    names: Vec<String>,
}

/// Longer expansions are no image reference; the bound also stops
/// `ARG A=$A$A` repeated from doubling a value into gigabytes.
const MAX_EXPANSION: usize = 1024;

impl Stages {
    /// `${NAME}`, `${NAME:-default}` and `$NAME` replaced in one pass by known
    /// defaults (replacements are not scanned again); unknown ones stay as
    /// written. `None` when the result outgrows [`MAX_EXPANSION`].
    fn expand(&self, word: &str) -> Option<String> {
        let mut out = String::new();
        let mut rest = word;
        while let Some(dollar) = rest.find('$') {
            out.push_str(&rest[..dollar]);
            let after = &rest[dollar + 1..];
            let (written, name, default) = match after.strip_prefix('{') {
                Some(inner) => match inner.find('}') {
                    Some(close) => {
                        let body = &inner[..close];
                        let (name, default) = match body.split_once(":-") {
                            Some((n, d)) => (n, Some(d)),
                            None => (body, None),
                        };
                        (&rest[dollar..dollar + close + 3], name, default)
                    }
                    None => (&rest[dollar..], "", None),
                },
                None => {
                    let len = after
                        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .unwrap_or(after.len());
                    (&rest[dollar..=dollar + len], &after[..len], None)
                }
            };
            match (self.args.get(name), default) {
                (Some(value), _) => out.push_str(value),
                (None, Some(default)) => out.push_str(default),
                (None, None) => out.push_str(written),
            }
            if out.len() > MAX_EXPANSION {
                return None;
            }
            rest = &rest[dollar + written.len()..];
        }
        out.push_str(rest);
        (out.len() <= MAX_EXPANSION).then_some(out)
    }
}

pub fn dockerfile(text: &str, out: &mut Extracted) {
    let mut stages = Stages::default();
    let mut logical = String::new();
    let mut start = 0;
    for (i, raw) in text.lines().enumerate() {
        if logical.is_empty() {
            start = i + 1;
            if raw.trim_start().starts_with('#') {
                continue;
            }
        }
        match raw.trim_end().strip_suffix('\\') {
            Some(body) => {
                logical.push_str(body);
                logical.push(' ');
            }
            None => {
                logical.push_str(raw);
                instruction(logical.trim(), to_u32(start), &mut stages, out);
                logical.clear();
            }
        }
    }
    if !logical.is_empty() {
        instruction(logical.trim(), to_u32(start), &mut stages, out);
    }
}

fn instruction(line: &str, number: u32, stages: &mut Stages, out: &mut Extracted) {
    let (word, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
    match word.to_ascii_uppercase().as_str() {
        "ARG" => {
            for decl in rest.split_whitespace() {
                if let Some((name, value)) = decl.split_once('=') {
                    match stages.expand(value.trim_matches(['"', '\''])) {
                        Some(value) => stages.args.insert(name.to_string(), value),
                        None => stages.args.remove(name),
                    };
                }
            }
        }
        "FROM" => {
            let words: Vec<&str> = rest
                .split_whitespace()
                .filter(|w| !w.starts_with("--"))
                .collect();
            if let [_, alias, name, ..] = words.as_slice()
                && alias.eq_ignore_ascii_case("as")
            {
                stages.names.push(name.to_ascii_lowercase());
            }
            let image = words.first().and_then(|w| stages.expand(w));
            let image =
                image.filter(|i| !stages.names.iter().any(|n| n == &i.to_ascii_lowercase()));
            if let Some(name) = image.as_deref().and_then(image_name) {
                out.push(Signal::new(
                    SignalKind::Image,
                    format!("image:{name}"),
                    number,
                    1,
                ));
            }
        }
        "RUN" => {
            for command in rest.split(['&', ';', '|']) {
                let words: Vec<&str> = command.split_whitespace().collect();
                let Some(at) = words
                    .windows(2)
                    .position(|w| w[0].starts_with("pip") && w[1] == "install")
                else {
                    continue;
                };
                for name in pip_install_args(&words[at + 2..].join(" ")) {
                    out.push(Signal::new(
                        SignalKind::Dependency,
                        dependency_key("pypi", &name),
                        number,
                        1,
                    ));
                }
            }
        }
        _ => {}
    }
}

/// `docker-compose.yml`: `services.<name>.image`.
pub fn compose(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_yaml(text, out) else {
        return;
    };
    let loc = Locator::new(text);
    let Some(services) = doc.get("services").and_then(|s| s.as_object()) else {
        return;
    };
    for service in services.values() {
        let Some(image) = service.get("image").and_then(|i| i.as_str()) else {
            continue;
        };
        if let Some(name) = image_name(image) {
            let (line, column) = loc.find(image);
            out.push(Signal::new(
                SignalKind::Image,
                format!("image:{name}"),
                line,
                column,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        assert_eq!(
            image_name("tensorflow/serving:2.15.0-gpu").as_deref(),
            Some("tensorflow/serving")
        );
        assert_eq!(
            image_name("docker.io/library/python:3.11").as_deref(),
            Some("python")
        );
        assert_eq!(
            image_name("nvcr.io/nvidia/tritonserver:24.05-py3").as_deref(),
            Some("nvcr.io/nvidia/tritonserver")
        );
        assert_eq!(
            image_name("localhost:5000/app").as_deref(),
            Some("localhost:5000/app")
        );
        assert_eq!(image_name("${BASE_IMAGE}"), None);
    }

    #[test]
    fn dockerfile_instructions() {
        let text = "# syntax=docker/dockerfile:1\nFROM --platform=linux/amd64 pytorch/torchserve:0.11.0-gpu AS base\nRUN apt-get update && \\\n    pip install --no-cache-dir torch-model-archiver transformers==4.41\nCOPY . /app\n";
        let mut out = Extracted::default();
        dockerfile(text, &mut out);
        let got: Vec<_> = out.line_keys();
        assert_eq!(
            got,
            [
                "2:image:pytorch/torchserve",
                "3:pypi:torch-model-archiver",
                "3:pypi:transformers"
            ]
        );
    }

    #[test]
    fn arg_defaults_and_stage_names() {
        let text = "ARG BASE_IMAGE=tensorflow/tensorflow:2.15.0-gpu\nARG PY=\"3.11\"\nFROM ${BASE_IMAGE} AS build\nFROM python:$PY-slim\nFROM build\nFROM ${RUNTIME:-nvcr.io/nvidia/pytorch:24.01-py3}\nFROM $UNKNOWN\n";
        let mut out = Extracted::default();
        dockerfile(text, &mut out);
        assert_eq!(
            out.line_keys(),
            [
                "3:image:tensorflow/tensorflow",
                "4:image:python",
                "6:image:nvcr.io/nvidia/pytorch"
            ]
        );
    }

    #[test]
    fn expansion_is_one_pass_and_bounded() {
        // Each `ARG A=$A$A` would double the value: 2^40 bytes unbounded.
        let mut text = "ARG A=x\n".to_string();
        text.push_str(&"ARG A=$A$A\n".repeat(40));
        text.push_str("FROM $A\nARG AB=python:3.12\nFROM $AB\nFROM ${AB}-slim\n");
        text.push_str("ARG R=$R$R\nFROM $R\n");
        let mut out = Extracted::default();
        dockerfile(&text, &mut out);
        // `$AB` is not `$A` followed by `B`; `$R$R` with R unknown stays literal.
        assert_eq!(out.line_keys(), ["44:image:python", "45:image:python"]);
    }

    #[test]
    fn compose_images() {
        let text = "services:\n  tfserving:\n    image: tensorflow/serving:2.15.0\n    ports: [\"8501:8501\"]\n  api:\n    build: .\n";
        let mut out = Extracted::default();
        compose(text, &mut out);
        assert_eq!(out.signals[0].key, "image:tensorflow/serving");
        assert_eq!(out.signals[0].line, 3);
    }
}
