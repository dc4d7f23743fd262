#![no_main]
//! The whole pipeline (walk, extract, infer, judge, every report format) on a
//! tree built from the input: chunks separated by 0xFF, each chunk's first
//! byte picking a file name and its second a folder.

use fwlint::report;
use fwlint::{Settings, check};
use fwlint_fuzz::{TARGETS, rules};

const FOLDERS: [&str; 4] = ["", "app/", "services/api/", "docs/"];

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    // As the binary does: parsers recurse, so workers get roomy stacks.
    let _ = rayon::ThreadPoolBuilder::new()
        .stack_size(16 * 1024 * 1024)
        .build_global();
    let names: Vec<&str> = TARGETS
        .iter()
        .flat_map(|(_, n)| n.iter().copied())
        .collect();
    let dir = tempfile::tempdir().expect("a temporary folder");
    for chunk in data.split(|&b| b == 0xFF).take(16) {
        let [pick, folder, content @ ..] = chunk else {
            continue;
        };
        let name = names[usize::from(*pick) % names.len()];
        let path = dir
            .path()
            .join(FOLDERS[usize::from(*folder) % FOLDERS.len()])
            .join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
    let settings = Settings {
        paths: vec![dir.path().to_path_buf()],
        ..Settings::default()
    };
    let rules = rules();
    let report = check(&settings, rules).expect("the root exists");
    let _ = report::json::render(&report, 0);
    let _ = report::sarif::render(&report, rules);
    let _ = report::gitlab::render(&report);
    let _ = report::junit::render(&report);
    let _ = report::markdown::render(&report, rules);
    let _ = report::github::render(&report);
});
