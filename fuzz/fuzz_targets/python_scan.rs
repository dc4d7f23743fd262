#![no_main]
//! Differential: on any source ruff's parser accepts, the token scan must
//! read the same signals (place, kind, key, context, names) and report no
//! syntax error — as a plain file and as a notebook cell. On any source at
//! all, skimming lines must change nothing, syntax errors included.

#[path = "../../tests/common/scan.rs"]
mod scan;

use fwlint::extract::pyscan;
use fwlint::signal::Extracted;

fn read(source: &str, notebook: bool, skim: bool) -> String {
    let mut out = Extracted::default();
    if skim {
        pyscan::extract(source, notebook, scan::URIS, &mut out);
    } else {
        pyscan::extract_unskimmed(source, notebook, scan::URIS, &mut out);
    }
    format!("{:?}\n{:?}", out.signals, out.diagnostics)
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for notebook in [false, true] {
        let (skimmed, full) = (read(source, notebook, true), read(source, notebook, false));
        assert_eq!(skimmed, full, "skimming changed the reading (notebook: {notebook}):\n{source}");
        if let Some(Err(why)) = scan::compare(source, notebook) {
            panic!("scan and parser disagree (notebook: {notebook}):\n{why}\n---\n{source}");
        }
    }
});
