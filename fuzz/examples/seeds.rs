//! Builds each target's seed corpus from the fixtures: every fixture file of
//! a kind the target covers, prefixed with the byte that selects its name
//! (Python sources and YAML also go, as they are, to the `python_scan` and
//! `yaml_block` targets).
//! Usage: seeds FIXTURES_DIR CORPUS_DIR

use fwlint::walk::classify;
use fwlint_fuzz::TARGETS;
use std::path::Path;

fn visit(dir: &Path, root: &Path, out: &Path, count: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            visit(&path, root, out, count);
            continue;
        }
        if !kind.is_file() {
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let file_kind = classify(&rel);
        // The differential targets take the file as it is.
        for (target, like) in [("python_scan", "src/model.py"), ("yaml_block", "deploy.yaml")] {
            if file_kind == classify(like)
                && let Ok(bytes) = std::fs::read(&path)
            {
                let dir = out.join(target);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(rel.replace('/', "__")), &bytes).unwrap();
                *count += 1;
            }
        }
        for (target, names) in TARGETS {
            let Some(pick) = names.iter().position(|n| classify(n) == file_kind) else {
                continue;
            };
            let Ok(bytes) = std::fs::read(&path) else {
                continue;
            };
            let mut seed = vec![u8::try_from(pick).unwrap()];
            seed.extend(bytes.iter().take(64 * 1024));
            let dir = out.join(target);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(rel.replace('/', "__")), seed).unwrap();
            *count += 1;
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, fixtures, corpus] = args.as_slice() else {
        eprintln!("usage: seeds FIXTURES_DIR CORPUS_DIR");
        std::process::exit(2);
    };
    let mut count = 0;
    let root = Path::new(fixtures);
    visit(root, root, Path::new(corpus), &mut count);
    println!("{count} seeds");
}
