//! The token scan against the parser-based reading on every `.py` file of
//! any trees (what `tests/python_scan.rs` does on the standard library), with
//! the time each takes:
//!
//!     cargo run --release --example scan_vs_parse -- TREE...
//!
//! Files the parser finds a syntax error in are counted apart: the two
//! recover differently there, by design.
#[path = "../tests/common/scan.rs"]
mod scan;

use fwlint::extract::python;
use fwlint::signal::Extracted;
use std::time::{Duration, Instant};

fn main() {
    let (mut files, mut same, mut rejected) = (0, 0, 0);
    let mut differ = Vec::new();
    let (mut t_scan, mut t_parse) = (Duration::ZERO, Duration::ZERO);
    for root in std::env::args().skip(1) {
        for entry in ignore::WalkBuilder::new(&root).build().flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|x| x != "py") || !path.is_file() {
                continue;
            }
            let Ok(bytes) = std::fs::read(path) else {
                continue;
            };
            files += 1;
            let text = python::decode(&bytes, &mut Extracted::default());
            let start = Instant::now();
            scan::run(|o| python::extract(&text, false, scan::URIS, o));
            t_scan += start.elapsed();
            let start = Instant::now();
            scan::run(|o| python::extract_by_parsing(&text, false, scan::URIS, o));
            t_parse += start.elapsed();
            match scan::compare(&text, false) {
                None => rejected += 1,
                Some(Ok(())) => same += 1,
                Some(Err(why)) => differ.push(format!("{}: {why}", path.display())),
            }
        }
    }
    for d in differ.iter().take(12) {
        println!("DIFF {d}");
    }
    println!(
        "{files} files: {same} same, {} differ, {rejected} rejected by the parser",
        differ.len()
    );
    println!("scan {t_scan:?}, parse {t_parse:?}");
}
