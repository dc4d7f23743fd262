//! Fleet audits: finding the repositories below some folders, and picking a
//! deterministic shard of them.

use std::path::{Path, PathBuf};

/// Files that make a top-level folder a project even without `.git`.
const MANIFESTS: &[&str] = &[
    "pyproject.toml",
    "setup.py",
    "setup.cfg",
    "requirements.txt",
    "environment.yml",
    "Pipfile",
    "package.json",
    "Cargo.toml",
    "build.gradle",
    "build.gradle.kts",
    "settings.gradle",
    "Podfile",
    "Package.swift",
    "pubspec.yaml",
    "CMakeLists.txt",
    "platformio.ini",
    "Dockerfile",
    "fwlint.toml",
];

fn is_repo(dir: &Path) -> bool {
    // `.git` is a folder, or a file in worktrees and submodules.
    std::fs::symlink_metadata(dir.join(".git")).is_ok()
}

fn has_manifest(dir: &Path) -> bool {
    MANIFESTS.iter().any(|m| dir.join(m).is_file())
}

/// Repositories below `dir`: folders with `.git` down to `depth` levels
/// (not looking inside one once found), and top-level folders with a
/// manifest. `dir` itself, when it is a repository, is the only one.
/// Symbolic links are not followed; unreadable folders are reported.
pub fn discover(dir: &Path, depth: usize, errors: &mut Vec<(PathBuf, String)>) -> Vec<PathBuf> {
    if is_repo(dir) {
        return vec![dir.to_path_buf()];
    }
    let mut found = Vec::new();
    visit(dir, 1, depth, &mut found, errors);
    found.sort();
    found
}

fn visit(
    dir: &Path,
    level: usize,
    depth: usize,
    found: &mut Vec<PathBuf>,
    errors: &mut Vec<(PathBuf, String)>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push((dir.to_path_buf(), e.to_string()));
            return;
        }
    };
    let mut children: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
        .map(|e| e.path())
        .collect();
    children.sort();
    for child in children {
        if is_repo(&child) || (level == 1 && has_manifest(&child)) {
            found.push(child);
        } else if level < depth {
            visit(&child, level + 1, depth, found, errors);
        }
    }
}

/// Paths listed in a file, one a line; blank lines and `#` comments skipped.
/// Relative paths are relative to the working directory, as on the command line.
pub fn read_list(text: &str) -> Vec<PathBuf> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(PathBuf::from)
        .collect()
}

/// `I/N` with 1 ≤ I ≤ N.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    pub index: u64,
    pub count: u64,
}

impl Shard {
    pub fn parse(text: &str) -> Result<Shard, String> {
        let bad = || format!("`{text}` is not a shard; expected I/N with 1 <= I <= N, e.g. 2/8");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: u64 = i.trim().parse().map_err(|_| bad())?;
        let count: u64 = n.trim().parse().map_err(|_| bad())?;
        if index == 0 || index > count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }

    /// Whether this shard takes the repository at `path`. By a hash of the
    /// path, so shards agree without coordinating and each repository lands
    /// in exactly one.
    pub fn takes(&self, path: &Path) -> bool {
        fnv1a(path.to_string_lossy().as_bytes()) % self.count == self.index - 1
    }
}

fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_partition_the_repositories() {
        let paths: Vec<PathBuf> = (0..200)
            .map(|i| PathBuf::from(format!("org/repo-{i}")))
            .collect();
        let shards: Vec<Shard> = (1..=4).map(|i| Shard { index: i, count: 4 }).collect();
        for p in &paths {
            assert_eq!(shards.iter().filter(|s| s.takes(p)).count(), 1);
        }
        for s in &shards {
            let n = paths.iter().filter(|p| s.takes(p)).count();
            assert!((25..=75).contains(&n), "shard {s:?} takes {n} of 200");
        }
    }

    #[test]
    fn shard_syntax_is_checked() {
        assert_eq!(Shard::parse("2/8"), Ok(Shard { index: 2, count: 8 }));
        for bad in ["0/3", "4/3", "x/2", "3", "1/0"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn repositories_are_git_folders_or_top_level_projects() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        for p in [
            "a/.git",
            "group/b/.git",
            "group/b/nested/.git",
            "deep/x/y/z/.git",
            ".hidden/.git",
        ] {
            std::fs::create_dir_all(d.join(p)).unwrap();
        }
        std::fs::create_dir_all(d.join("c")).unwrap();
        std::fs::write(d.join("c/pyproject.toml"), "").unwrap();
        std::fs::create_dir_all(d.join("group/notes")).unwrap();
        std::fs::write(d.join("group/notes/requirements.txt"), "").unwrap();
        let mut errors = Vec::new();
        let found = discover(d, 2, &mut errors);
        let rel: Vec<String> = found
            .iter()
            .map(|p| p.strip_prefix(d).unwrap().display().to_string())
            .collect();
        assert_eq!(rel, ["a", "c", "group/b"]);
        assert_eq!(discover(&d.join("a"), 2, &mut errors), [d.join("a")]);
        assert_eq!(
            discover(d, 4, &mut errors).len(),
            4,
            "depth reaches deep/x/y/z"
        );
        assert!(errors.is_empty());
    }

    #[test]
    fn lists_skip_comments_and_blanks() {
        assert_eq!(
            read_list("# fleet\nrepos/a\n\n  repos/b  \n"),
            [PathBuf::from("repos/a"), PathBuf::from("repos/b")]
        );
    }
}
