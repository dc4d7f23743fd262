//! Times the Python scanner alone over files held in memory:
//! `cargo run --release --example pyscan_speed -- LIST` where LIST names
//! one `.py` path a line (`rg --files -t py DIR > LIST`).
use fwlint::extract::pyscan;
use fwlint::signal::Extracted;
use std::time::Instant;

fn main() {
    let list = std::env::args()
        .nth(1)
        .expect("usage: pyscan_speed LIST [ROUNDS]");
    let rounds: usize = std::env::args()
        .nth(2)
        .map_or(3, |r| r.parse().expect("ROUNDS"));
    let sources: Vec<String> = std::fs::read_to_string(list)
        .expect("read LIST")
        .lines()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect();
    let bytes: usize = sources.iter().map(String::len).sum();
    let prefixes = ["gs://"];
    for _ in 0..rounds {
        let start = Instant::now();
        let mut signals = 0;
        for s in &sources {
            let mut out = Extracted::default();
            pyscan::extract(s, false, &prefixes, &mut out);
            signals += out.signals.len() + out.diagnostics.len();
        }
        let secs = start.elapsed().as_secs_f64();
        println!(
            "{} files, {:.0} MB, {signals} signals: {:.3} s, {:.0} MB/s",
            sources.len(),
            bytes as f64 / 1e6,
            secs,
            bytes as f64 / 1e6 / secs
        );
    }
}
