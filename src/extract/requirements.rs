//! pip requirement strings (PEP 508, URLs, `-e`) and requirements files.

use crate::signal::{Context, Extracted, Signal, SignalKind, to_u32};

/// The distribution name a requirement line installs, if it names one.
/// `torch[cuda]>=2 ; python_version>"3.8"` → `torch`; `-e git+https://…#egg=foo`
/// → `foo`; `https://…/torch-2.1.0-cp311-….whl` → `torch`.
pub fn requirement_name(spec: &str) -> Option<String> {
    let spec = spec.trim().trim_matches(|c| c == '"' || c == '\'');
    if spec.is_empty() || spec.starts_with('#') {
        return None;
    }
    if let Some(egg) = spec.split("#egg=").nth(1) {
        return valid_name(egg.split(['&', ' ', '[']).next().unwrap_or(""));
    }
    if let Some((name, _url)) = spec.split_once('@')
        && let Some(name) = valid_name(name.trim())
    {
        // PEP 508 direct reference: `name @ url`.
        return Some(name);
    }
    if spec.contains("://") || spec.starts_with("git+") {
        let path = spec.split(['?', '#']).next().unwrap_or("");
        let file = path.rsplit('/').next().unwrap_or("");
        if file.ends_with(".whl") || file.ends_with(".tar.gz") || file.ends_with(".zip") {
            return valid_name(file.split('-').next().unwrap_or(""));
        }
        return None;
    }
    if spec.starts_with(['.', '/', '~']) {
        return None;
    }
    let end = spec
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(spec.len());
    valid_name(&spec[..end])
}

/// `pypi:name` / `conda:name` with the name normalised per PEP 503.
pub fn dependency_key(ecosystem: &str, name: &str) -> String {
    format!("{ecosystem}:{}", crate::ruleset::normalize_dist(name))
}

fn valid_name(name: &str) -> Option<String> {
    let name = name.trim_end_matches(['.', '-', '_']);
    let ok = !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    ok.then(|| name.to_string())
}

/// Whether a requirements file (or group) is for development only.
pub fn is_dev_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    [
        "dev", "test", "lint", "doc", "ci", "style", "typing", "bench",
    ]
    .iter()
    .any(|w| {
        lower
            .split(|c: char| !c.is_ascii_alphanumeric())
            .any(|part| part == *w || part == format!("{w}s"))
    })
}

/// A requirements file: one requirement per logical line; `-r` includes are
/// reported as `include` signals for the pipeline to follow.
pub fn extract(rel: &str, text: &str, out: &mut Extracted) {
    let file_name = rel.rsplit('/').next().unwrap_or(rel);
    let parent = rel.rsplit('/').nth(1).unwrap_or("");
    let dev = is_dev_name(file_name.trim_end_matches(".txt").trim_end_matches(".in"))
        || (parent.eq_ignore_ascii_case("requirements") && is_dev_name(file_name));
    let context: &[Context] = if dev { &[Context::Dev] } else { &[] };
    let mut pending = String::new();
    let mut start_line = 0;
    for (i, raw) in text.lines().enumerate() {
        if pending.is_empty() {
            start_line = i + 1;
        }
        let line = strip_comment(raw);
        if let Some(body) = line.strip_suffix('\\') {
            pending.push_str(body);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let logical = std::mem::take(&mut pending);
        requirement_line(logical.trim(), to_u32(start_line), context, out);
    }
    if !pending.is_empty() {
        requirement_line(pending.trim(), to_u32(start_line), context, out);
    }
}

fn strip_comment(line: &str) -> &str {
    if line.trim_start().starts_with('#') {
        return "";
    }
    // pip treats ` #` (whitespace then hash) as a comment start.
    match line.find(" #").or_else(|| line.find("\t#")) {
        Some(i) => &line[..i],
        None => line,
    }
}

fn requirement_line(line: &str, number: u32, context: &[Context], out: &mut Extracted) {
    if line.is_empty() {
        return;
    }
    let column = 1;
    if let Some(rest) = option_value(line, &["-r", "--requirement"]) {
        out.push(Signal::new(SignalKind::Include, rest, number, column));
        return;
    }
    if let Some(rest) = option_value(line, &["-e", "--editable"]) {
        if let Some(name) = requirement_name(rest) {
            let signal = Signal::new(
                SignalKind::Dependency,
                super::requirements::dependency_key("pypi", &name),
                number,
                column,
            );
            out.push(signal.with_context(context));
        }
        return;
    }
    if line.starts_with('-') {
        // -c constraints, --index-url, --find-links, --hash…: not requirements.
        return;
    }
    let spec = line.split(" --").next().unwrap_or(line);
    if let Some(name) = requirement_name(spec) {
        let signal = Signal::new(
            SignalKind::Dependency,
            super::requirements::dependency_key("pypi", &name),
            number,
            column,
        );
        out.push(signal.with_context(context));
    }
}

fn option_value<'a>(line: &'a str, names: &[&str]) -> Option<&'a str> {
    names.iter().find_map(|n| {
        let rest = line.strip_prefix(n)?;
        let rest = rest.strip_prefix('=').unwrap_or(rest).trim();
        (!rest.is_empty()).then_some(rest)
    })
}

/// Arguments of a `pip install …` command line (notebook `%pip`, Dockerfile
/// `RUN`): each requirement it names, options skipped.
pub fn pip_install_args(args: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut skip_next = false;
    for word in args.split_whitespace() {
        if skip_next {
            skip_next = false;
            continue;
        }
        if word.starts_with('-') {
            // Options that take a value: the next word is not a requirement.
            skip_next = matches!(
                word,
                "-r" | "-c"
                    | "-i"
                    | "-f"
                    | "--index-url"
                    | "--extra-index-url"
                    | "--find-links"
                    | "--requirement"
                    | "--constraint"
                    | "-t"
                    | "--target"
                    | "--prefix"
            );
            continue;
        }
        if let Some(name) = requirement_name(word) {
            names.push(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_requirement_forms() {
        let cases = [
            ("torch>=2.0", Some("torch")),
            (
                "tensorflow-cpu==2.15 ; sys_platform == 'linux'",
                Some("tensorflow-cpu"),
            ),
            ("transformers[torch]~=4.40", Some("transformers")),
            (
                "peft @ git+https://github.com/huggingface/peft",
                Some("peft"),
            ),
            (
                "git+https://github.com/org/repo.git#egg=fancy_lib",
                Some("fancy_lib"),
            ),
            (
                "https://download.pytorch.org/whl/cu118/torch-2.1.0%2Bcu118-cp311-cp311-linux_x86_64.whl",
                Some("torch"),
            ),
            ("./local/package", None),
            ("", None),
        ];
        for (spec, want) in cases {
            assert_eq!(requirement_name(spec).as_deref(), want, "{spec}");
        }
    }

    #[test]
    fn requirements_file_lines() {
        let text = "# core\ntorch>=2.0  # the framework\n-r base.txt\n-c constraints.txt\n--extra-index-url https://download.pytorch.org/whl/cu118\n-e git+https://x/y.git#egg=mylib\nnumpy \\\n  >=1.24\n";
        let mut out = Extracted::default();
        extract("requirements.txt", text, &mut out);
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{}:{}:{}", s.line, s.kind.as_str(), s.key))
            .collect();
        assert_eq!(
            got,
            [
                "2:dependency:pypi:torch",
                "3:include:base.txt",
                "6:dependency:pypi:mylib",
                "7:dependency:pypi:numpy"
            ]
        );
    }

    #[test]
    fn keys_are_pep503_normalised() {
        let mut out = Extracted::default();
        extract(
            "requirements.txt",
            "SentencePiece\nPyYAML>=6\ntensorflow_cpu\n",
            &mut out,
        );
        let keys: Vec<_> = out.signals.iter().map(|s| s.key.as_str()).collect();
        assert_eq!(
            keys,
            ["pypi:sentencepiece", "pypi:pyyaml", "pypi:tensorflow-cpu"]
        );
    }

    #[test]
    fn dev_files_mark_context() {
        let mut out = Extracted::default();
        extract("requirements-dev.txt", "pytest\n", &mut out);
        assert_eq!(out.signals[0].context, [Context::Dev]);
        let mut out = Extracted::default();
        extract("requirements/test.txt", "pytest\n", &mut out);
        assert_eq!(out.signals[0].context, [Context::Dev]);
        let mut out = Extracted::default();
        extract("requirements/base.txt", "torch\n", &mut out);
        assert!(out.signals[0].context.is_empty());
    }

    #[test]
    fn pip_install_command() {
        assert_eq!(
            pip_install_args(
                "-q -U transformers==4.41 'peft>=0.10' -r reqs.txt --index-url https://x torch"
            ),
            ["transformers", "peft", "torch"]
        );
    }
}
