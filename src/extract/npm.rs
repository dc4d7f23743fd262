//! `package.json` (web apps, Node, React Native, Expo) and Flutter's
//! `pubspec.yaml`. Keys: `npm:name`, `pub:name`.

use super::manifest::Locator;
use crate::signal::{Context, Extracted, Signal, SignalKind};

const NPM_SECTIONS: [(&str, Option<Context>); 4] = [
    ("dependencies", None),
    ("peerDependencies", None),
    ("optionalDependencies", Some(Context::Optional)),
    ("devDependencies", Some(Context::Dev)),
];

pub fn package_json(text: &str, out: &mut Extracted) {
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(e) => {
            super::diagnose_json(out, &e, "invalid JSON");
            return;
        }
    };
    let loc = Locator::new(text);
    for (section, ctx) in NPM_SECTIONS {
        let Some(deps) = doc.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for name in deps.keys() {
            let (line, column) = loc.find_key(name);
            let signal = Signal::new(SignalKind::Dependency, format!("npm:{name}"), line, column);
            out.push(signal.with_context(ctx.as_slice()));
        }
    }
}

pub fn pubspec(text: &str, out: &mut Extracted) {
    let Some(doc) = super::manifest::parse_yaml(text, out) else {
        return;
    };
    let loc = Locator::new(text);
    for (section, ctx) in [
        ("dependencies", None),
        ("dev_dependencies", Some(Context::Dev)),
    ] {
        let Some(deps) = doc.get(section).and_then(|d| d.as_object()) else {
            continue;
        };
        for name in deps.keys() {
            let (line, column) = loc.find(&format!("{name}:"));
            let signal = Signal::new(SignalKind::Dependency, format!("pub:{name}"), line, column);
            out.push(signal.with_context(ctx.as_slice()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_json_sections() {
        let text = "{\n  \"name\": \"pose-web\",\n  \"dependencies\": {\n    \"@tensorflow/tfjs\": \"^4.20.0\",\n    \"react\": \"^18\"\n  },\n  \"devDependencies\": {\"vite\": \"^5\"}\n}\n";
        let mut out = Extracted::default();
        package_json(text, &mut out);
        let got: Vec<_> = out
            .signals
            .iter()
            .map(|s| format!("{}:{}{:?}", s.line, s.key, s.context))
            .collect();
        assert_eq!(
            got,
            [
                "4:npm:@tensorflow/tfjs[]",
                "5:npm:react[]",
                "7:npm:vite[Dev]"
            ]
        );
    }

    #[test]
    fn pubspec_dependencies() {
        let text = "name: plant_doctor\ndependencies:\n  flutter:\n    sdk: flutter\n  tflite_flutter: ^0.10.4\ndev_dependencies:\n  flutter_test:\n    sdk: flutter\n";
        let mut out = Extracted::default();
        pubspec(text, &mut out);
        let got: Vec<_> = out.line_keys();
        assert_eq!(
            got,
            [
                "3:pub:flutter",
                "5:pub:tflite_flutter",
                "7:pub:flutter_test"
            ]
        );
    }
}
