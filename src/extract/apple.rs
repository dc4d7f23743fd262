//! iOS and macOS apps: CocoaPods `Podfile` and SwiftPM `Package.swift`.
//! Keys: `cocoapods:Name` (subspecs dropped), `swiftpm:owner/repo`.

use crate::signal::{Extracted, Signal, SignalKind, to_u32};

fn first_literal(s: &str) -> Option<(usize, &str)> {
    let start = s.find(['"', '\''])?;
    let quote = s.as_bytes()[start] as char;
    let body = &s[start + 1..];
    let end = body.find(quote)?;
    Some((start, &body[..end]))
}

/// `pod 'TensorFlowLiteSwift/Metal', '~> 2.14'` → `cocoapods:TensorFlowLiteSwift`.
pub fn podfile(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        let line = raw.split('#').next().unwrap_or("").trim_start();
        let Some(rest) = line.strip_prefix("pod") else {
            continue;
        };
        if !rest.starts_with([' ', '\t', '(']) {
            continue;
        }
        if let Some((_, name)) = first_literal(rest) {
            let base = name.split('/').next().unwrap_or(name);
            if !base.is_empty() {
                let column = to_u32(raw.len() - raw.trim_start().len() + 1);
                out.push(Signal::new(
                    SignalKind::Dependency,
                    format!("cocoapods:{base}"),
                    to_u32(i + 1),
                    column,
                ));
            }
        }
    }
}

/// `.package(url: "https://github.com/pytorch/executorch.git", …)` → `swiftpm:pytorch/executorch`.
pub fn package_swift(text: &str, out: &mut Extracted) {
    for (i, raw) in text.lines().enumerate() {
        if raw.trim_start().starts_with("//") {
            continue;
        }
        let Some(at) = raw.find(".package(") else {
            continue;
        };
        let Some(url_at) = raw[at..].find("url:") else {
            continue;
        };
        let Some((_, url)) = first_literal(&raw[at + url_at..]) else {
            continue;
        };
        let path = url.trim_end_matches('/').trim_end_matches(".git");
        let mut parts = path.rsplit('/');
        let (Some(repo), Some(owner)) = (parts.next(), parts.next()) else {
            continue;
        };
        let key = format!(
            "swiftpm:{}/{}",
            owner.to_ascii_lowercase(),
            repo.to_ascii_lowercase()
        );
        out.push(Signal::new(
            SignalKind::Dependency,
            key,
            to_u32(i + 1),
            to_u32(at + 1),
        ));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podfile_pods() {
        let text = "platform :ios, '15.0'\ntarget 'App' do\n  use_frameworks!\n  pod 'TensorFlowLiteSwift/Metal', '~> 2.14.0'\n  # pod 'LibTorch-Lite'\n  pod 'Alamofire'\nend\n";
        let mut out = Extracted::default();
        podfile(text, &mut out);
        let got: Vec<_> = out.line_keys();
        assert_eq!(
            got,
            ["4:cocoapods:TensorFlowLiteSwift", "6:cocoapods:Alamofire"]
        );
    }

    #[test]
    fn swift_packages() {
        let text = "let package = Package(\n  dependencies: [\n    .package(url: \"https://github.com/pytorch/executorch.git\", branch: \"swiftpm-0.4.0\"),\n  ]\n)\n";
        let mut out = Extracted::default();
        package_swift(text, &mut out);
        assert_eq!(out.signals[0].key, "swiftpm:pytorch/executorch");
        assert_eq!(out.signals[0].line, 3);
    }
}
