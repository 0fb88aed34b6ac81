//! A counting global allocator for the test binaries that measure allocations (`alloc`) and
//! memory (`memory`). Counters are per thread, so tests running in parallel do not disturb
//! each other's counts. Each binary installs it with
//! `#[global_allocator] static A: counting::Counting = counting::Counting;`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Forwards to [`System`], counting on the calling thread.
pub struct Counting;

thread_local! {
    /// Allocations (and reallocations) made by this thread.
    static ALLOCS: Cell<u64> = const { Cell::new(0) };
    /// Bytes allocated minus bytes freed by this thread.
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

// `try_with`: the allocator also runs while thread-locals are torn down.
fn add(n: isize, alloc: bool) {
    let _ = LIVE.try_with(|l| l.set(l.get() + n));
    if alloc {
        let _ = ALLOCS.try_with(|c| c.set(c.get() + 1));
    }
}

// SAFETY: every call is forwarded unchanged to `System`; the counters only touch
// const-initialised thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize, true);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize, true);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        add(new_size as isize - layout.size() as isize, true);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize), false);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

/// Allocations made so far on this thread.
#[allow(dead_code)] // each binary uses one of the two counters
pub fn allocs() -> u64 {
    ALLOCS.with(Cell::get)
}

/// Heap bytes this thread holds (allocated minus freed) so far.
#[allow(dead_code)]
pub fn live() -> isize {
    LIVE.with(Cell::get)
}
