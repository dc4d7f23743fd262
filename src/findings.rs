//! The report's findings, in report order and without repeats, however
//! many: a monorepo gives tens of thousands (40,225 for the million-file
//! benchmark tree, about 1.3 KiB each with their evidence). A [`Sorter`]
//! takes them in any order and, past a limit, writes sorted runs to an
//! unnamed temporary file; [`Sorter::finish`] merges the runs into
//! [`Findings`], read back one at a time. Memory stays flat.

use crate::judge::Finding;
use crate::projects::{HELD, Records, Spilled};
use std::borrow::Cow;
use std::cmp::{Ordering, Reverse};
use std::collections::BinaryHeap;
use std::fs::File;

/// Findings sorted in memory before they go to the file as one run.
const RUN: usize = 4096;

/// Bytes read ahead from each run while merging: runs are many only when
/// findings are, and each reader holds one buffer.
const MERGE_AHEAD: usize = 8 * 1024;

/// Report order: path, cell, line, column, code, project, message. The
/// message makes diagnostics' findings, taken as the threads give them,
/// come out in one order.
pub fn order(a: &Finding, b: &Finding) -> Ordering {
    (
        &a.path, a.cell, a.line, a.column, &a.code, &a.project, &a.message,
    )
        .cmp(&(
            &b.path, b.cell, b.line, b.column, &b.code, &b.project, &b.message,
        ))
}

/// Findings in report order, each once.
pub struct Findings {
    sorted: Spilled<Finding>,
    may_spill: bool,
}

impl Findings {
    /// Findings held in memory, never spilled (tests, small reports).
    pub fn from_vec(findings: Vec<Finding>) -> Findings {
        let mut sorter = Sorter::new(false);
        sorter.extend(findings);
        sorter.finish()
    }

    pub fn len(&self) -> usize {
        self.sorted.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sorted.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = Cow<'_, Finding>> {
        self.sorted.iter()
    }

    /// Those `keep` keeps, as it changes them (not their order: no sort).
    pub fn filtered(&self, mut keep: impl FnMut(&mut Finding) -> bool) -> Findings {
        let mut sorted = Spilled::new(HELD, self.may_spill);
        for f in self.iter() {
            let mut f = f.into_owned();
            if keep(&mut f) {
                sorted.push(f);
            }
        }
        Findings {
            sorted,
            may_spill: self.may_spill,
        }
    }

    /// These and `more`, in report order.
    pub fn with(self, more: Vec<Finding>) -> Findings {
        if more.is_empty() {
            return self;
        }
        let mut sorter = Sorter::new(self.may_spill);
        sorter.extend(self.iter().map(Cow::into_owned));
        sorter.extend(more);
        sorter.finish()
    }
}

impl<'a> IntoIterator for &'a Findings {
    type Item = Cow<'a, Finding>;
    type IntoIter = Box<dyn Iterator<Item = Cow<'a, Finding>> + 'a>;

    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

impl std::fmt::Debug for Findings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Findings taken in any order.
pub struct Sorter {
    held: Vec<Finding>,
    file: Option<(File, u64)>,
    /// Where each sorted run starts in the file, and its length.
    runs: Vec<(u64, usize)>,
    may_spill: bool,
}

impl Sorter {
    /// Runs go to a temporary file if `may_spill` (not when the temporary
    /// folder is inside the scanned tree).
    pub fn new(may_spill: bool) -> Sorter {
        Sorter {
            held: Vec::new(),
            file: None,
            runs: Vec::new(),
            may_spill: may_spill && cfg!(unix),
        }
    }

    pub fn push(&mut self, finding: Finding) {
        self.held.push(finding);
        if self.may_spill && self.held.len() >= RUN {
            self.spill_run();
        }
    }

    /// Sorts the held findings and writes them as one run. If the file
    /// cannot be made or written, what is left stays held.
    fn spill_run(&mut self) {
        sort(&mut self.held);
        let Some((file, end)) = crate::projects::opened(&mut self.file) else {
            self.may_spill = false;
            return;
        };
        let start = *end;
        let written = crate::projects::write_records(file, end, &self.held);
        if written < self.held.len() {
            self.may_spill = false;
        }
        self.runs.push((start, written));
        self.held.drain(..written);
    }

    /// The findings in report order, each once. Sorting is stable and
    /// runs are merged in the order they were written, so the order is
    /// that of one sort of everything pushed.
    pub fn finish(mut self) -> Findings {
        sort(&mut self.held);
        let mut out = Spilled::new(HELD, self.may_spill);
        let file = self.file.as_ref().map(|(f, _)| f);
        let mut sources: Vec<Source> = file
            .map(|f| {
                self.runs
                    .iter()
                    .map(|&(at, n)| Source::Run(Records::new(f, at, n, MERGE_AHEAD)))
                    .collect()
            })
            .unwrap_or_default();
        sources.push(Source::Held(std::mem::take(&mut self.held).into_iter()));
        let mut heads = BinaryHeap::new();
        for (i, source) in sources.iter_mut().enumerate() {
            if let Some(f) = source.next() {
                heads.push(Reverse(Head(f, i)));
            }
        }
        let mut last: Option<Finding> = None;
        while let Some(Reverse(Head(f, i))) = heads.pop() {
            if let Some(next) = sources[i].next() {
                heads.push(Reverse(Head(next, i)));
            }
            if last.as_ref() == Some(&f) {
                continue;
            }
            if let Some(done) = last.replace(f) {
                out.push(done);
            }
        }
        if let Some(done) = last {
            out.push(done);
        }
        Findings {
            sorted: out,
            may_spill: self.may_spill,
        }
    }
}

impl Extend<Finding> for Sorter {
    fn extend<I: IntoIterator<Item = Finding>>(&mut self, findings: I) {
        for f in findings {
            self.push(f);
        }
    }
}

/// Stable, so that equal keys keep the order pushed, and without
/// repeats next to each other.
fn sort(findings: &mut Vec<Finding>) {
    findings.sort_by(order);
    findings.dedup();
}

enum Source<'f> {
    Run(Records<'f>),
    Held(std::vec::IntoIter<Finding>),
}

impl Source<'_> {
    fn next(&mut self) -> Option<Finding> {
        match self {
            Source::Run(records) => records.read(),
            Source::Held(held) => held.next(),
        }
    }
}

/// A run's next finding, ordered by report order, then by run: the
/// earlier run first, as a stable sort would.
struct Head(Finding, usize);

impl Ord for Head {
    fn cmp(&self, other: &Self) -> Ordering {
        order(&self.0, &other.0).then(self.1.cmp(&other.1))
    }
}

impl PartialOrd for Head {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for Head {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Head {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ruleset::Severity;
    use proptest::prelude::*;

    fn finding(path: u8, line: u8, message: u8) -> Finding {
        Finding {
            code: "FW201".into(),
            name: "mixed-frameworks".into(),
            severity: Severity::Info,
            message: format!("message {message}"),
            path: format!("p{path}/model.py"),
            cell: None,
            line: u32::from(line),
            column: 1,
            project: "p".into(),
            evidence: Vec::new(),
        }
    }

    /// What the report did before findings were spilled: one stable sort
    /// of everything, then repeats next to each other dropped.
    fn one_sort(mut all: Vec<Finding>) -> Vec<Finding> {
        all.sort_by(order);
        all.dedup();
        all
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Many runs, ties on the sort key with different messages, and
        /// repeats within and across runs: the same findings in the same
        /// order as one sort.
        #[test]
        fn spilled_runs_merge_as_one_sort(keys in proptest::collection::vec((0u8..6, 0u8..4, 0u8..3), 0..12_000)) {
            let all: Vec<Finding> = keys.iter().map(|&(p, l, m)| finding(p, l, m)).collect();
            let mut sorter = Sorter::new(true);
            sorter.extend(all.iter().cloned());
            prop_assert!(cfg!(not(unix)) || all.len() < RUN || !sorter.runs.is_empty(), "nothing spilled");
            let merged = sorter.finish();
            let got: Vec<Finding> = merged.iter().map(Cow::into_owned).collect();
            prop_assert_eq!(merged.len(), got.len());
            prop_assert_eq!(got, one_sort(all));
        }
    }
}
