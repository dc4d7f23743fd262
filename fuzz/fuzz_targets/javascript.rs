#![no_main]
//! The javascript extractor family on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fwlint_fuzz::run("javascript", data));
