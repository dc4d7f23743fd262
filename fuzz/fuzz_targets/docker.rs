#![no_main]
//! The docker extractor family on arbitrary bytes.

libfuzzer_sys::fuzz_target!(|data: &[u8]| fwlint_fuzz::run("docker", data));
