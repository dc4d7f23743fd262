#![no_main]
//! The artifact extractor family on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fwlint_fuzz::run("artifact", data));
