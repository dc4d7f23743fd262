//! The binaries' allocator: mimalloc for the many small allocations of a
//! scan (signals, keys, paths, made on every thread), the system allocator
//! for large blocks (whole files read, big notebooks).
//!
//! mimalloc alone made a check of the 100k-file benchmark tree 10 % faster,
//! but it keeps freed memory for a while before giving it back: the tree of
//! a few huge files then peaked at 113 MiB instead of 79, the 100k tree at
//! up to 66 MiB instead of 56. The system allocator reuses freed blocks
//! and, once told to by [`init`], maps the largest on their own and unmaps
//! them when freed; with blocks from 256 KiB up left to it, the peaks were
//! 80 and 52-55 MiB, and the speed stayed.
//! Each block is freed by the allocator that made it: `GlobalAlloc` hands
//! `dealloc` the layout `alloc` was given, and `realloc` the old one.

use std::alloc::{GlobalAlloc, Layout, System};

use mimalloc::MiMalloc;

/// Blocks from this size up go to the system allocator.
const LARGE: usize = 256 << 10;

pub struct Allocator;

/// Blocks from this size up are mapped on their own by the system allocator.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MAPPED: usize = 4 << 20;

/// Has the system allocator map each block from [`MAPPED`] up on its own
/// and unmap it when freed. Left to itself, glibc raises that threshold to
/// the size of the largest block freed so far, and later blocks up to that
/// size come from per-thread arenas that keep freed memory: 17 MiB of the
/// 47 MiB peak on the tree of a few huge files. Not from [`LARGE`] up: a
/// map and its page faults for every file of 256 KiB to 4 MiB cost 7 % on
/// the 100k-file tree, and arenas reuse such blocks at once.
pub fn init() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a tuning parameter; it is called before any
    // thread is started.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, MAPPED as libc::c_int);
    }
}

fn large(size: usize) -> bool {
    size >= LARGE
}

/// The allocator that serves, and so frees, blocks of this size.
fn by_size(size: usize) -> &'static dyn GlobalAlloc {
    if large(size) { &System } else { &MiMalloc }
}

// SAFETY: every call is forwarded to an allocator that upholds the
// `GlobalAlloc` contract; the size of a block alone decides which one, and
// the caller passes that same size back (the contract's own rule), so a
// block is always freed or resized by the allocator that made it.
unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's guarantees on `layout` are passed on.
        unsafe { by_size(layout.size()).alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        unsafe { by_size(layout.size()).alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` came from the allocator `layout.size()` names.
        unsafe { by_size(layout.size()).dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let old = by_size(layout.size());
        // SAFETY: `ptr` came from `old`. When the new size belongs to the
        // other allocator the block moves: a new one from it, the bytes both
        // hold copied, the old one freed by its own. (Sizes are compared,
        // not the allocators: both are zero-sized, their references equal.)
        unsafe {
            if large(layout.size()) == large(new_size) {
                return old.realloc(ptr, layout, new_size);
            }
            let new_layout = Layout::from_size_align_unchecked(new_size, layout.align());
            let moved = by_size(new_size).alloc(new_layout);
            if !moved.is_null() {
                std::ptr::copy_nonoverlapping(ptr, moved, layout.size().min(new_size));
                old.dealloc(ptr, layout);
            }
            moved
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A block keeps its bytes as it grows past the threshold and shrinks
    /// back under it, moving between the two allocators each time.
    #[test]
    fn a_block_keeps_its_bytes_across_the_threshold() {
        let small = Layout::from_size_align(1000, 8).unwrap();
        // SAFETY: each block is used within its size and freed once, with
        // the layout it has at that moment.
        unsafe {
            let ptr = Allocator.alloc(small);
            assert!(!ptr.is_null());
            for i in 0..1000 {
                *ptr.add(i) = (i % 251) as u8;
            }
            let grown = Allocator.realloc(ptr, small, 3 * LARGE);
            assert!(!grown.is_null());
            assert!((0..1000).all(|i| *grown.add(i) == (i % 251) as u8));
            *grown.add(3 * LARGE - 1) = 7;
            let large = Layout::from_size_align(3 * LARGE, 8).unwrap();
            let shrunk = Allocator.realloc(grown, large, 500);
            assert!(!shrunk.is_null());
            assert!((0..500).all(|i| *shrunk.add(i) == (i % 251) as u8));
            Allocator.dealloc(shrunk, Layout::from_size_align(500, 8).unwrap());
            let zeroed = Allocator.alloc_zeroed(large);
            assert!(!zeroed.is_null());
            assert!((0..3 * LARGE).all(|i| *zeroed.add(i) == 0));
            Allocator.dealloc(zeroed, large);
        }
    }
}
