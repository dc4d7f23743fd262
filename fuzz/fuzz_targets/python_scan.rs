#![no_main]
//! Differential: on any source ruff's parser accepts, the token scan must
//! read the same signals (place, kind, key, context, names) and report no
//! syntax error — as a plain file and as a notebook cell. On any source at
//! all, skimming lines must change nothing, syntax errors included, and
//! stopping after the last `import` or call word must change no signal.

#[path = "../../tests/common/scan.rs"]
mod scan;

use fwlint::extract::pyscan::{self, Reading};
use fwlint::signal::Extracted;

fn read(source: &str, notebook: bool, skim: bool, stop_early: bool) -> Extracted {
    let mut out = Extracted::default();
    let reading = Reading { skim, stop_early };
    pyscan::extract_reading(source, notebook, scan::URIS, reading, &mut out);
    out
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for notebook in [false, true] {
        let skimmed = read(source, notebook, true, false);
        let full = read(source, notebook, false, false);
        assert_eq!(
            (&skimmed.signals, &skimmed.diagnostics),
            (&full.signals, &full.diagnostics),
            "skimming changed the reading (notebook: {notebook}):\n{source}"
        );
        let early = read(source, notebook, true, true);
        assert_eq!(early.signals, full.signals, "stopping early changed the signals:\n{source}");
        if let Some(Err(why)) = scan::compare(source, notebook) {
            panic!("scan and parser disagree (notebook: {notebook}):\n{why}\n---\n{source}");
        }
    }
});
