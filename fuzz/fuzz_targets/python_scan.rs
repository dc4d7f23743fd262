#![no_main]
//! Differential: on any source ruff's parser accepts, the token scan must
//! read the same signals (place, kind, key, context, names) and report no
//! syntax error — as a plain file and as a notebook cell.

#[path = "../../tests/common/scan.rs"]
mod scan;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(source) = std::str::from_utf8(data) else {
        return;
    };
    for notebook in [false, true] {
        if let Some(Err(why)) = scan::compare(source, notebook) {
            panic!("scan and parser disagree (notebook: {notebook}):\n{why}\n---\n{source}");
        }
    }
});
