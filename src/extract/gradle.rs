//! Android builds: Gradle Groovy and Kotlin DSL dependency declarations, and
//! version catalogs (`gradle/libs.versions.toml`). Keys: `maven:group:artifact`.

use super::manifest::Locator;
use crate::signal::{Context, Extracted, Signal, SignalKind, to_u32};
use toml::Value;

/// Configurations whose dependencies ship with tests only.
fn is_test_configuration(name: &str) -> bool {
    name.starts_with("test") || name.starts_with("androidTest")
}

fn is_configuration(word: &str) -> bool {
    let lower = word.to_ascii_lowercase();
    [
        "implementation",
        "api",
        "compileonly",
        "runtimeonly",
        "kapt",
        "ksp",
        "classpath",
        "compile",
    ]
    .iter()
    .any(|c| lower.ends_with(c))
}

/// `group:artifact[:version]` → `group:artifact`.
fn coordinates(s: &str) -> Option<String> {
    let mut parts = s.split(':');
    let (group, artifact) = (parts.next()?, parts.next()?);
    let ok = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    };
    (ok(group) && ok(artifact)).then(|| format!("{group}:{artifact}"))
}

/// String literals of a line, single- or double-quoted.
fn literals(line: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = line;
    let mut offset = 0;
    while let Some(start) = rest.find(['"', '\'']) {
        let quote = rest.as_bytes()[start] as char;
        let body = &rest[start + 1..];
        let Some(end) = body.find(quote) else { break };
        out.push((offset + start, &body[..end]));
        offset += start + end + 2;
        rest = &body[end + 1..];
    }
    out
}

/// `build.gradle` / `build.gradle.kts`.
pub fn build_script(text: &str, out: &mut Extracted) {
    let mut in_block_comment = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if in_block_comment {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") {
            in_block_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("//") {
            continue;
        }
        let word: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if word.is_empty() || !is_configuration(&word) {
            continue;
        }
        let ctx: &[Context] = if is_test_configuration(&word) {
            &[Context::Test]
        } else {
            &[]
        };
        let lits = literals(line);
        let key = lits
            .iter()
            .find_map(|(_, l)| coordinates(l))
            .or_else(|| map_notation(line));
        if let Some(key) = key {
            let column = to_u32(raw.len() - raw.trim_start().len() + 1);
            let signal = Signal::new(
                SignalKind::Dependency,
                format!("maven:{key}"),
                to_u32(i + 1),
                column,
            );
            out.push(signal.with_context(ctx));
        }
    }
}

/// `group: 'org.tensorflow', name: 'tensorflow-lite'` (Groovy map notation).
fn map_notation(line: &str) -> Option<String> {
    let value = |key: &str| {
        let at = line
            .find(&format!("{key}:"))
            .or_else(|| line.find(&format!("{key} =")))?;
        literals(&line[at..]).first().map(|(_, v)| v.to_string())
    };
    let (group, name) = (value("group")?, value("name")?);
    coordinates(&format!("{group}:{name}"))
}

/// `gradle/libs.versions.toml`: the `[libraries]` table.
pub fn version_catalog(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_toml(text, "TOML", out) else {
        return;
    };
    let loc = Locator::new(text);
    let Some(libraries) = doc.get("libraries").and_then(Value::as_table) else {
        return;
    };
    for lib in libraries.values() {
        // The key, and the text that locates it (the alias may also be a version name).
        let found = match lib {
            Value::String(s) => coordinates(s).map(|k| (k, s.as_str())),
            Value::Table(t) => match (t.get("module"), t.get("group"), t.get("name")) {
                (Some(Value::String(m)), _, _) => coordinates(m).map(|k| (k, m.as_str())),
                (_, Some(Value::String(g)), Some(Value::String(n))) => {
                    coordinates(&format!("{g}:{n}")).map(|k| (k, n.as_str()))
                }
                _ => None,
            },
            _ => None,
        };
        if let Some((key, written)) = found {
            let (line, column) = loc.find(written);
            out.push(Signal::new(
                SignalKind::Dependency,
                format!("maven:{key}"),
                line,
                column,
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(out: &Extracted) -> Vec<String> {
        out.signals
            .iter()
            .map(|s| format!("{}:{}{:?}", s.line, s.key, s.context))
            .collect()
    }

    #[test]
    fn groovy_and_kotlin_dependencies() {
        let text = r#"
dependencies {
    // implementation 'org.pytorch:pytorch_android:1.13.1'
    implementation 'org.tensorflow:tensorflow-lite:2.14.0'
    implementation("com.google.ai.edge.litert:litert-gpu:1.0.1")
    implementation group: 'com.google.mediapipe', name: 'tasks-vision', version: '0.10.14'
    testImplementation "junit:junit:4.13.2"
    androidTestImplementation("androidx.test.ext:junit:1.1.5")
    implementation(libs.androidx.core)
    /*
    implementation 'org.pytorch:executorch:0.4'
    */
}
"#;
        let mut out = Extracted::default();
        build_script(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "4:maven:org.tensorflow:tensorflow-lite[]",
                "5:maven:com.google.ai.edge.litert:litert-gpu[]",
                "6:maven:com.google.mediapipe:tasks-vision[]",
                "7:maven:junit:junit[Test]",
                "8:maven:androidx.test.ext:junit[Test]"
            ]
        );
    }

    #[test]
    fn version_catalog_libraries() {
        let text = "[versions]\ntflite = \"2.14.0\"\n[libraries]\ntflite = { module = \"org.tensorflow:tensorflow-lite\", version.ref = \"tflite\" }\npytorch-lite = { group = \"org.pytorch\", name = \"pytorch_android_lite\", version = \"1.13.1\" }\nokhttp = \"com.squareup.okhttp3:okhttp:4.12.0\"\n";
        let mut out = Extracted::default();
        version_catalog(text, &mut out);
        let mut got = keys(&out);
        got.sort();
        assert_eq!(
            got,
            [
                "4:maven:org.tensorflow:tensorflow-lite[]",
                "5:maven:org.pytorch:pytorch_android_lite[]",
                "6:maven:com.squareup.okhttp3:okhttp[]"
            ]
        );
    }
}
