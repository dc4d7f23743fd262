#![no_main]
//! The native extractor family on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fwlint_fuzz::run("native", data));
