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

/// Values kept in memory before the rest go to a file.
pub const HELD: usize = 128;

/// The report's projects, in path order.
pub type Projects = Spilled<Project>;

/// Values in the order pushed: held in memory while few, past the limit
/// written to a temporary file and read back one at a time.
pub struct Spilled<T> {
    /// Written first: `count` records, each a little-endian `u32` length
    /// and a `postcard` body.
    spilled: Option<(File, u64)>,
    count: usize,
    /// After the spilled ones.
    held: Vec<T>,
    limit: usize,
    may_spill: bool,
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Clone> Spilled<T> {
    /// Values that go to a temporary file past `limit` in memory, if
    /// `may_spill` (not when the temporary folder is inside the tree).
    pub fn new(limit: usize, may_spill: bool) -> Self {
        Spilled {
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

    pub fn push(&mut self, value: T) {
        self.held.push(value);
        if self.may_spill && self.held.len() > self.limit {
            self.spill();
        }
    }

    /// Moves the held values to the file. If the file cannot be made or
    /// written, the rest stay in memory: nothing is lost.
    fn spill(&mut self) {
        let Some((file, end)) = opened(&mut self.spilled) else {
            self.may_spill = false;
            return;
        };
        let written = write_records(file, end, &self.held);
        self.count += written;
        if written < self.held.len() {
            self.may_spill = false;
        }
        self.held.drain(..written);
    }

    /// The values in order: those read back from the file, then the held
    /// ones.
    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, T>> {
        let mut back = self
            .spilled
            .as_ref()
            .map(|(f, _)| Records::new(f, 0, self.count, READ_AHEAD));
        let back = std::iter::from_fn(move || back.as_mut()?.read()).map(Cow::Owned);
        back.chain(self.held.iter().map(Cow::Borrowed))
    }
}

/// Bytes read from a spilled file at a time.
pub const READ_AHEAD: usize = 64 * 1024;

/// `count` records read in order from `at`, a buffer of `ahead` bytes at a
/// time. A record that cannot be read back ends them, with a message.
pub struct Records<'f> {
    file: &'f File,
    at: u64,
    left: usize,
    buf: Vec<u8>,
    pos: usize,
    ahead: usize,
}

impl<'f> Records<'f> {
    pub fn new(file: &'f File, at: u64, count: usize, ahead: usize) -> Self {
        Records {
            file,
            at,
            left: count,
            buf: Vec::new(),
            pos: 0,
            ahead,
        }
    }

    pub fn read<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let got = self.record();
        if got.is_none() {
            self.left = 0;
            eprintln!("fwlint: error: a record could not be read back from the temporary file");
        }
        got
    }

    fn record<T: serde::de::DeserializeOwned>(&mut self) -> Option<T> {
        self.fill(4)?;
        let head: [u8; 4] = self.buf[self.pos..self.pos + 4].try_into().ok()?;
        let len = u32::from_le_bytes(head) as usize;
        self.fill(4 + len)?;
        let body = &self.buf[self.pos + 4..self.pos + 4 + len];
        self.pos += 4 + len;
        postcard::from_bytes(body).ok()
    }

    /// At least `n` unread bytes in the buffer, or `None` at the file's end.
    fn fill(&mut self, n: usize) -> Option<()> {
        while self.buf.len() - self.pos < n {
            self.buf.drain(..self.pos);
            self.pos = 0;
            let have = self.buf.len();
            self.buf.resize(have + n.max(self.ahead), 0);
            let got = read_at(self.file, &mut self.buf[have..], self.at)?;
            self.buf.truncate(have + got);
            self.at += got as u64;
            if got == 0 {
                return None;
            }
        }
        Some(())
    }
}

#[cfg(unix)]
fn read_at(file: &File, buf: &mut [u8], at: u64) -> Option<usize> {
    use std::os::unix::fs::FileExt;
    loop {
        match file.read_at(buf, at) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            other => return other.ok(),
        }
    }
}

#[cfg(not(unix))]
fn read_at(_: &File, _: &mut [u8], _: u64) -> Option<usize> {
    // Never spilled (see `Spilled::new`).
    None
}

/// The spill file with its end, made (unnamed) when first needed; `None`
/// if it cannot be made.
pub(crate) fn opened(file: &mut Option<(File, u64)>) -> Option<&mut (File, u64)> {
    if file.is_none() {
        *file = Some((tempfile::tempfile().ok()?, 0));
    }
    file.as_mut()
}

/// Appends the `values` to `file` as records from `end`, moving `end`
/// past them; how many were written whole (all, unless a write failed).
pub(crate) fn write_records<T: serde::Serialize>(
    file: &mut File,
    end: &mut u64,
    values: &[T],
) -> usize {
    let mut buf = Vec::new();
    for (written, value) in values.iter().enumerate() {
        let Some(len) = write_record(file, value, &mut buf) else {
            return written;
        };
        *end += len;
    }
    values.len()
}

/// Appends `value` to `file` as one record (a little-endian `u32` length
/// and a `postcard` body); its length in bytes, or `None` if it could not
/// be written whole.
pub(crate) fn write_record<T: serde::Serialize>(
    file: &mut File,
    value: &T,
    buf: &mut Vec<u8>,
) -> Option<u64> {
    buf.clear();
    buf.extend_from_slice(&[0; 4]);
    postcard::to_io(value, &mut *buf).ok()?;
    let len = u32::try_from(buf.len() - 4).ok()?;
    buf[..4].copy_from_slice(&len.to_le_bytes());
    file.write_all(buf).ok()?;
    Some(buf.len() as u64)
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
        let Some((file, end)) = opened(&mut self.file) else {
            self.may_spill = false;
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
        let at = self.spilled.remove(&i)?;
        let file = &self.file.as_ref()?.0;
        Records::new(file, at, 1, 0).read()
    }
}

impl<T: serde::Serialize + serde::de::DeserializeOwned + Clone + std::fmt::Debug> std::fmt::Debug
    for Spilled<T>
{
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
