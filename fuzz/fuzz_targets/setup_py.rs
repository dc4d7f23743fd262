#![no_main]
//! The setup_py extractor family on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fwlint_fuzz::run("setup_py", data));
