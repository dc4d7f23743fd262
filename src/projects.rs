//! Report parts too many to hold: the report's projects, in path order
//! ([`Projects`]), and the finished units a check waits to judge
//! ([`Slots`]). A monorepo's report has tens of thousands of projects
//! (142 MB of JSON for 35,720 units), so past a limit they go to an unnamed
//! temporary file, never inside the scanned tree, and are read back one at
//! a time: memory stays flat.

use crate::Project;
use std::borrow::Cow;
use std::fs::File;
use std::io::Write;

/// Projects kept in memory before the rest go to a file.
pub const HELD: usize = 1024;

pub struct Projects {
    /// Written first: `count` records, each a little-endian `u32` length
    /// and a `postcard` body.
    spilled: Option<(File, u64)>,
    count: usize,
    /// After the spilled ones.
    held: Vec<Project>,
    limit: usize,
    may_spill: bool,
}

impl Projects {
    /// Projects that go to a temporary file past `limit` in memory, if
    /// `may_spill` (not when the temporary folder is inside the tree).
    pub fn new(limit: usize, may_spill: bool) -> Self {
        Projects {
            spilled: None,
            count: 0,
            held: Vec::new(),
            limit,
            may_spill: may_spill && cfg!(unix),
        }
    }

    pub fn len(&self) -> usize {
        self.count + self.held.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn push(&mut self, project: Project) {
        self.held.push(project);
        if self.may_spill && self.held.len() > self.limit {
            self.spill();
        }
    }

    /// Moves the held projects to the file. If the file cannot be made or
    /// written, the rest stay in memory: nothing is lost.
    fn spill(&mut self) {
        if self.spilled.is_none() {
            match tempfile::tempfile() {
                Ok(file) => self.spilled = Some((file, 0)),
                Err(_) => {
                    self.may_spill = false;
                    return;
                }
            }
        }
        let Some((file, end)) = self.spilled.as_mut() else {
            return;
        };
        let mut record = Vec::new();
        let mut written = 0;
        for p in &self.held {
            let Some(len) = write_record(file, p, &mut record) else {
                break;
            };
            *end += len;
            written += 1;
        }
        self.count += written;
        if written < self.held.len() {
            self.may_spill = false;
        }
        self.held.drain(..written);
    }

    /// The projects in order: those read back from the file, then the
    /// held ones.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Project>> {
        let file = self.spilled.as_ref().map(|(f, _)| f);
        let mut at = 0u64;
        let back = (0..self.count).map_while(move |_| {
            let read = file.and_then(|f| read_record::<Project>(f, &mut at));
            if read.is_none() {
                eprintln!(
                    "fwlint: error: a project could not be read back from the temporary file"
                );
            }
            read.map(Cow::Owned)
        });
        back.chain(self.held.iter().map(Cow::Borrowed))
    }
}

/// Appends `value` to `file` as one record (a little-endian `u32` length
/// and a `postcard` body); its length in bytes, or `None` if it could not
/// be written whole.
fn write_record<T: serde::Serialize>(file: &mut File, value: &T, buf: &mut Vec<u8>) -> Option<u64> {
    buf.clear();
    buf.extend_from_slice(&[0; 4]);
    postcard::to_io(value, &mut *buf).ok()?;
    let len = u32::try_from(buf.len() - 4).ok()?;
    buf[..4].copy_from_slice(&len.to_le_bytes());
    file.write_all(buf).ok()?;
    Some(buf.len() as u64)
}

/// The record at `at`, moving `at` past it.
#[cfg(unix)]
fn read_record<T: serde::de::DeserializeOwned>(file: &File, at: &mut u64) -> Option<T> {
    use std::os::unix::fs::FileExt;
    let mut len = [0; 4];
    file.read_exact_at(&mut len, *at).ok()?;
    let mut body = vec![0; u32::from_le_bytes(len) as usize];
    file.read_exact_at(&mut body, *at + 4).ok()?;
    *at += 4 + body.len() as u64;
    postcard::from_bytes(&body).ok()
}

#[cfg(not(unix))]
fn read_record<T>(_: &File, _: &mut u64) -> Option<T> {
    // Never spilled (see `Projects::new`).
    None
}

/// Values put by index in any order and taken by index: held in memory
/// while few, past the limit written to a temporary file.
pub struct Slots<T> {
    held: std::collections::BTreeMap<usize, T>,
    file: Option<(File, u64)>,
    /// Index → offset of the spilled record.
    spilled: std::collections::BTreeMap<usize, u64>,
    limit: usize,
    may_spill: bool,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned> Slots<T> {
    pub fn new(limit: usize, may_spill: bool) -> Self {
        Slots {
            held: Default::default(),
            file: None,
            spilled: Default::default(),
            limit,
            may_spill: may_spill && cfg!(unix),
        }
    }

    pub fn put(&mut self, i: usize, value: T) {
        self.held.insert(i, value);
        if self.may_spill && self.held.len() > self.limit {
            self.spill();
        }
    }

    /// Writes the held values out; those that cannot be stay held.
    fn spill(&mut self) {
        if self.file.is_none() {
            let Ok(file) = tempfile::tempfile() else {
                self.may_spill = false;
                return;
            };
            self.file = Some((file, 0));
        }
        let Some((file, end)) = self.file.as_mut() else {
            return;
        };
        let mut buf = Vec::new();
        while let Some(entry) = self.held.first_entry() {
            let Some(len) = write_record(file, entry.get(), &mut buf) else {
                self.may_spill = false;
                return;
            };
            let (i, _) = entry.remove_entry();
            self.spilled.insert(i, *end);
            *end += len;
        }
    }

    pub fn take(&mut self, i: usize) -> Option<T> {
        if let Some(v) = self.held.remove(&i) {
            return Some(v);
        }
        let mut at = self.spilled.remove(&i)?;
        let file = &self.file.as_ref()?.0;
        let got = read_record(file, &mut at);
        if got.is_none() {
            eprintln!("fwlint: error: a unit could not be read back from the temporary file");
        }
        got
    }
}

impl std::fmt::Debug for Projects {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::infer::{Evidence, FrameworkUse, UnitAnalysis};
    use crate::judge::{Status, Verdict};

    fn project(i: usize) -> Project {
        Project {
            analysis: UnitAnalysis {
                path: format!("svc/{i}"),
                frameworks: vec![FrameworkUse {
                    id: "pytorch".into(),
                    // Not exact in binary: must come back bit for bit.
                    score: 0.1 * i as f64 + 1.0 / 3.0,
                    files: i,
                    evidence: vec![Evidence::at("svc/train.py", i as u32)],
                }],
                ..UnitAnalysis::default()
            },
            verdict: Verdict {
                status: Status::Misaligned,
                summary: format!("summary {i}"),
            },
        }
    }

    #[test]
    fn projects_past_the_limit_come_back_in_order_and_exact() {
        let mut spilled = Projects::new(2, true);
        let mut held = Projects::new(2, false);
        for i in 0..7 {
            spilled.push(project(i));
            held.push(project(i));
        }
        assert!(
            cfg!(not(unix)) || spilled.spilled.is_some(),
            "nothing spilled"
        );
        assert_eq!(spilled.len(), 7);
        let back: Vec<Project> = spilled.iter().map(Cow::into_owned).collect();
        let want: Vec<Project> = (0..7).map(project).collect();
        assert_eq!(format!("{back:?}"), format!("{want:?}"));
        // Twice: reading back does not consume the file.
        assert_eq!(format!("{spilled:?}"), format!("{held:?}"));
        assert_eq!(format!("{spilled:?}"), format!("{held:?}"));
    }

    #[test]
    fn slots_taken_in_order_after_any_order_of_puts() {
        let mut slots = Slots::new(2, true);
        let order = [4, 0, 6, 2, 1, 5, 3];
        for i in order {
            slots.put(i, project(i));
        }
        assert!(
            cfg!(not(unix)) || !slots.spilled.is_empty(),
            "nothing spilled"
        );
        for i in 0..7 {
            let got = slots.take(i).map(|p| format!("{p:?}"));
            assert_eq!(got, Some(format!("{:?}", project(i))), "slot {i}");
        }
        assert!(slots.take(3).is_none(), "taken twice");
        assert!(slots.take(9).is_none(), "never put");
    }
}
