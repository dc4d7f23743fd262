//! Embedded and native code: C/C++ and Arduino `#include`s and `xxd`-style
//! model arrays, CMake packages, PlatformIO `lib_deps`, Arduino
//! `library.properties` and ESP-IDF component manifests.
//! Keys: `header:path/of/header.h`, `cmake:Package`, `platformio:owner/name`,
//! `arduino:Name`, `idf:namespace/name`, and `model-array:tflite`.

use crate::signal::{Extracted, Signal, SignalKind, to_u32};

/// `#include <tensorflow/lite/micro/micro_interpreter.h>` and model arrays.
pub fn c_source(text: &str, out: &mut Extracted) {
    let mut in_comment = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_start();
        if in_comment {
            in_comment = !line.contains("*/");
            continue;
        }
        if line.starts_with("/*") && !line.contains("*/") {
            in_comment = true;
            continue;
        }
        if let Some(rest) = line.strip_prefix('#') {
            let rest = rest.trim_start();
            if let Some(target) = rest.strip_prefix("include") {
                let target = target.trim();
                let close = match target.chars().next() {
                    Some('<') => '>',
                    Some('"') => '"',
                    _ => continue,
                };
                if let Some(end) = target[1..].find(close) {
                    let header = &target[1..1 + end];
                    out.push(Signal::new(
                        SignalKind::Dependency,
                        format!("header:{header}"),
                        to_u32(i + 1),
                        1,
                    ));
                }
            }
            continue;
        }
        if let Some(kind) = model_array(line) {
            let column = to_u32(raw.len() - line.len() + 1);
            out.push(Signal::new(
                SignalKind::Dependency,
                format!("model-array:{kind}"),
                to_u32(i + 1),
                column,
            ));
        }
    }
}

/// `const unsigned char g_person_detect_model_tflite[] = {` → `tflite`: the
/// array a model is compiled into with `xxd -i model.tflite`.
fn model_array(line: &str) -> Option<&'static str> {
    if !(line.contains("char") && line.contains("[]") && line.contains('=')) {
        return None;
    }
    let name = line
        .split("[]")
        .next()?
        .rsplit(|c: char| !(c.is_alphanumeric() || c == '_'))
        .next()?;
    let lower = name.to_ascii_lowercase();
    if lower.contains("tflite") {
        Some("tflite")
    } else if lower.contains("model") {
        Some("model")
    } else {
        None
    }
}

/// `find_package(Torch REQUIRED)`, `FetchContent_Declare(tflite-micro …)`.
pub fn cmake(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim();
        let lower = line.to_ascii_lowercase();
        for command in [
            "find_package(",
            "fetchcontent_declare(",
            "externalproject_add(",
        ] {
            if let Some(at) = lower.find(command) {
                let args = &line[at + command.len()..];
                let name: String = args
                    .trim_start()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
                    .collect();
                if !name.is_empty() {
                    out.push(Signal::new(
                        SignalKind::Dependency,
                        format!("cmake:{name}"),
                        to_u32(i + 1),
                        to_u32(at + 1),
                    ));
                }
            }
        }
    }
}

/// INI-style values of `key` (continuation lines indented), as `(line, value)`.
fn ini_values<'t>(text: &'t str, keys: &[&str]) -> Vec<(usize, &'t str)> {
    let mut out = Vec::new();
    let mut active = false;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split([';', '#']).next().unwrap_or("");
        if line.trim().is_empty() {
            continue;
        }
        if raw.starts_with([' ', '\t']) {
            if active {
                out.extend(
                    line.split(',')
                        .map(|v| (i + 1, v.trim()))
                        .filter(|(_, v)| !v.is_empty()),
                );
            }
            continue;
        }
        active = false;
        if let Some((key, value)) = line.split_once('=')
            && keys.contains(&key.trim())
        {
            active = true;
            out.extend(
                value
                    .split(',')
                    .map(|v| (i + 1, v.trim()))
                    .filter(|(_, v)| !v.is_empty()),
            );
        }
    }
    out
}

/// `platformio.ini`: `lib_deps = tensorflow/tflite-micro @ ^1.0` → `platformio:tensorflow/tflite-micro`.
pub fn platformio(text: &str, out: &mut Extracted) {
    for (line, value) in ini_values(text, &["lib_deps"]) {
        let name = value.split(['@', ' ']).next().unwrap_or("").trim();
        let name = name.rsplit_once('/').map_or(name.to_string(), |(o, n)| {
            format!(
                "{}/{}",
                o.rsplit('/').next().unwrap_or(o),
                n.trim_end_matches(".git")
            )
        });
        if !name.is_empty() {
            let key = format!("platformio:{}", name.to_ascii_lowercase());
            out.push(Signal::new(SignalKind::Dependency, key, to_u32(line), 1));
        }
    }
}

/// Arduino `library.properties`: `depends=Arduino_TensorFlowLite, …`.
pub fn arduino_library(text: &str, out: &mut Extracted) {
    for (line, value) in ini_values(text, &["depends"]) {
        let name = value.split('(').next().unwrap_or("").trim();
        if !name.is_empty() {
            out.push(Signal::new(
                SignalKind::Dependency,
                format!("arduino:{name}"),
                to_u32(line),
                1,
            ));
        }
    }
}

/// ESP-IDF `idf_component.yml`: `dependencies: {espressif/esp-tflite-micro: …}`.
pub fn idf_component(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_yaml(text, out) else {
        return;
    };
    let loc = super::manifest::Locator::new(text);
    let Some(deps) = doc.get("dependencies").and_then(|d| d.as_object()) else {
        return;
    };
    for name in deps.keys() {
        let (line, column) = loc.find(name);
        out.push(Signal::new(
            SignalKind::Dependency,
            format!("idf:{name}"),
            line,
            column,
        ));
    }
}

/// Zephyr `west.yml`: `manifest.projects[].name` → `west:name`.
pub fn west_manifest(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_yaml(text, out) else {
        return;
    };
    let loc = super::manifest::Locator::new(text);
    let projects = doc.pointer("/manifest/projects").and_then(|p| p.as_array());
    for name in projects
        .into_iter()
        .flatten()
        .filter_map(|p| p.get("name").and_then(|n| n.as_str()))
    {
        let (line, column) = loc.find(name);
        out.push(Signal::new(
            SignalKind::Dependency,
            format!("west:{name}"),
            line,
            column,
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(out: &Extracted) -> Vec<String> {
        out.line_keys()
    }

    #[test]
    fn includes_and_model_arrays() {
        let text = "/* #include \"torch/script.h\"\n*/\n#include \"tensorflow/lite/micro/micro_interpreter.h\"\n#include <Arduino.h>\n// #include <torch/torch.h>\nalignas(16) const unsigned char g_person_detect_model_tflite[] = {\n  0x1c, 0x00,\n};\n";
        let mut out = Extracted::default();
        c_source(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "3:header:tensorflow/lite/micro/micro_interpreter.h",
                "4:header:Arduino.h",
                "6:model-array:tflite"
            ]
        );
    }

    #[test]
    fn cmake_packages() {
        let text = "cmake_minimum_required(VERSION 3.18)\n# find_package(TensorFlowLite)\nfind_package(Torch REQUIRED)\nFetchContent_Declare(tflite-micro GIT_REPOSITORY https://github.com/tensorflow/tflite-micro)\n";
        let mut out = Extracted::default();
        cmake(text, &mut out);
        assert_eq!(keys(&out), ["3:cmake:Torch", "4:cmake:tflite-micro"]);
    }

    #[test]
    fn platformio_and_arduino() {
        let text = "[env:esp32]\nplatform = espressif32\nlib_deps =\n    tanakamasayuki/TensorFlowLite_ESP32 @ ^1.0.0\n    https://github.com/tensorflow/tflite-micro-arduino-examples.git\n";
        let mut out = Extracted::default();
        platformio(text, &mut out);
        assert_eq!(
            keys(&out),
            [
                "4:platformio:tanakamasayuki/tensorflowlite_esp32",
                "5:platformio:tensorflow/tflite-micro-arduino-examples"
            ]
        );
        let mut out = Extracted::default();
        arduino_library(
            "name=KWS\ndepends=Arduino_TensorFlowLite, Arduino_LSM9DS1 (>=1.0)\n",
            &mut out,
        );
        assert_eq!(
            keys(&out),
            [
                "2:arduino:Arduino_TensorFlowLite",
                "2:arduino:Arduino_LSM9DS1"
            ]
        );
    }

    #[test]
    fn west_projects() {
        let mut out = Extracted::default();
        west_manifest(
            "manifest:\n  projects:\n    - name: zephyr\n      revision: v3.6.0\n    - name: tflite-micro\n      path: modules/lib/tflite-micro\n",
            &mut out,
        );
        assert_eq!(out.line_keys(), ["3:west:zephyr", "5:west:tflite-micro"]);
    }

    #[test]
    fn idf_components() {
        let mut out = Extracted::default();
        idf_component(
            "dependencies:\n  idf: \">=5.0\"\n  espressif/esp-tflite-micro: \"^1.3.0\"\n",
            &mut out,
        );
        let mut got = keys(&out);
        got.sort();
        assert_eq!(got, ["2:idf:idf", "3:idf:espressif/esp-tflite-micro"]);
    }
}
