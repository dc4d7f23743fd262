#![no_main]
//! Differential: whatever YAML the block reader reads, serde_saphyr reads
//! too, into the same documents; what it leaves alone is not checked here.

use fwlint::extract::yaml_block;
use fwlint::extract::yaml_tree::Node;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ours) = yaml_block::documents(text) {
        let theirs = serde_saphyr::from_str_multiple::<Node, Vec<Node>>(text);
        assert_eq!(Some(&ours), theirs.as_ref().ok(), "read otherwise:\n{text}");
    }
});
