//! How much of a tree's YAML the block reader reads itself, whether it
//! reads it as serde_saphyr does, and what each costs (single thread,
//! files read first; YAML files fwlint would read, at most 256 KiB):
//!
//!     cargo run --release --example yaml_read -- TREE...
//!
//! Exits 1 if any file is read otherwise. Used in BENCHMARKS.md.

use fwlint::extract::{yaml_block, yaml_tree::Node};
use std::time::{Duration, Instant};

fn yaml_files(root: &str) -> Vec<(String, String)> {
    ignore::WalkBuilder::new(root)
        .hidden(false)
        .build()
        .filter_map(Result::ok)
        .filter(|e| {
            e.path()
                .extension()
                .is_some_and(|x| x == "yaml" || x == "yml")
        })
        .filter(|e| e.metadata().is_ok_and(|m| m.len() <= 256 * 1024))
        .filter_map(|e| {
            let text = std::fs::read_to_string(e.path()).ok()?;
            Some((e.path().display().to_string(), text))
        })
        .collect()
}

fn main() {
    let roots: Vec<String> = std::env::args().skip(1).collect();
    if roots.is_empty() {
        eprintln!("usage: yaml_read TREE...");
        std::process::exit(2);
    }
    let mut files: Vec<(String, String)> = roots.iter().flat_map(|r| yaml_files(r)).collect();
    files.sort();
    let (mut saphyr, mut block) = (Duration::ZERO, Duration::ZERO);
    let (mut bytes, mut read_bytes, mut read, mut otherwise) = (0, 0, 0, 0);
    for (path, text) in &files {
        let start = Instant::now();
        let theirs = serde_saphyr::from_str_multiple::<Node, Vec<Node>>(text).ok();
        saphyr += start.elapsed();
        let start = Instant::now();
        let ours = yaml_block::documents(text);
        block += start.elapsed();
        bytes += text.len();
        if let Some(ours) = ours {
            read += 1;
            read_bytes += text.len();
            if Some(&ours) != theirs.as_ref() {
                otherwise += 1;
                println!("read otherwise: {path}");
            }
        }
    }
    println!(
        "{} YAML files, {bytes} bytes; the block reader read {read} files, {read_bytes} bytes; \
         {otherwise} read otherwise; serde_saphyr {:.1} ms, block reader {:.1} ms (all files)",
        files.len(),
        saphyr.as_secs_f64() * 1e3,
        block.as_secs_f64() * 1e3,
    );
    if otherwise > 0 {
        std::process::exit(1);
    }
}
