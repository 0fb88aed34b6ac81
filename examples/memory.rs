//! Memory figures: resident memory with one engine, heap bytes per session at rest, and the
//! size of a typical snapshot.
//!
//! ```text
//! cargo run --release --example memory [SESSIONS]     # default 10000
//! ```
//!
//! A counting global allocator tracks live heap bytes; resident memory comes from
//! `/proc/self/status` (Linux; printed as 0 elsewhere). Each session replays a typical buyer:
//! a greeting, a size question, an order paid, a few page views, a shipping question, an agent
//! reply for every buyer message. Last line:
//! `rss_mb=… engine_heap_mb=… session_bytes=… snapshot_bytes=… sessions=…`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicI64, Ordering};

use kefu::{Engine, Event, Page, Session};

struct Counting;

static LIVE: AtomicI64 = AtomicI64::new(0);

// SAFETY: every call is forwarded unchanged to `System`; the counter is an atomic.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(new_size as i64 - layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as i64, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> i64 {
    LIVE.load(Ordering::Relaxed)
}

/// Resident set size in bytes, from `/proc/self/status` (0 where there is none).
fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// One typical buyer, `i` varying the order number and the timing.
fn typical(engine: &Engine, i: u64) -> Session {
    typical_first(engine, i, usize::MAX)
}

/// The first `k` events of [`typical`].
fn typical_first(engine: &Engine, i: u64, k: usize) -> Session {
    let mut s = engine.session();
    let t = i * 1_000;
    let order = format!("DD2026112{i:07}");
    let order = order.as_str().try_into().expect("order number fits");
    let events = [
        Event::buyer_says(t, "在吗"),
        Event::agent_says(t + 15_000, "亲，在的"),
        Event::buyer_says(t + 20_000, "我165 120斤穿什么码"),
        Event::agent_says(t + 35_000, "亲，建议您选L码"),
        Event::order_paid(t + 100_000, order, 15_900),
        Event::page_view(t + 130_000, Page::OrderDetail),
        Event::page_view(t + 160_000, Page::ReturnPolicy),
        Event::PageLeave { at_ms: t + 200_000, page: Page::ReturnPolicy },
        Event::buyer_says(t + 300_000, "什么时候发货呀"),
        Event::agent_says(t + 315_000, "亲，48小时内发货"),
        Event::buyer_says(t + 900_000, "好的谢谢"),
        Event::agent_says(t + 915_000, "不客气哦"),
    ];
    for e in events.iter().take(k) {
        s.on_event(e);
    }
    s
}

/// Bytes per session (inline size plus live heap) of `n` sessions made by `make`.
fn bytes_per_session(n: u64, make: impl Fn(u64) -> Session) -> (f64, Vec<Session>) {
    let before = live();
    let sessions: Vec<Session> = (1..=n).map(make).collect();
    let heap = live() - before - (sessions.capacity() * size_of::<Session>()) as i64;
    (heap as f64 / n as f64 + size_of::<Session>() as f64, sessions)
}

fn main() -> ExitCode {
    let n: u64 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 10_000,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("memory: SESSIONS must be a positive integer");
            return ExitCode::FAILURE;
        }
    };
    let (heap0, rss0) = (live(), rss_bytes());
    let engine = match Engine::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("memory: {e}");
            return ExitCode::FAILURE;
        }
    };
    // Grow the engine's lazily built per-thread caches (regex) before counting sessions.
    drop(typical(&engine, 0));
    let (engine_heap, rss_engine) = (live() - heap0, rss_bytes());
    println!(
        "engine_heap_bytes={engine_heap} rss_before_engine_mb={:.1} rss_with_engine_mb={:.1}",
        rss0 as f64 / 1e6,
        rss_engine as f64 / 1e6
    );

    // The same buyer stopped after their last message, before the agent's reply: the session
    // then still holds that message's intent evidence and slots.
    let (after_buyer, waiting) = bytes_per_session(n, |i| typical_first(&engine, i, 11));
    drop(waiting);
    let (per_session, sessions) = bytes_per_session(n, |i| typical(&engine, i));
    println!(
        "sessions={n} inline_bytes={} heap_bytes_per_session={:.0} rss_with_sessions_mb={:.1} session_bytes_after_buyer_message={after_buyer:.0}",
        size_of::<Session>(),
        per_session - size_of::<Session>() as f64,
        rss_bytes() as f64 / 1e6
    );
    let json: Vec<usize> = sessions
        .iter()
        .map(|s| serde_json::to_string(&s.snapshot()).map_or(0, |j| j.len()))
        .collect();
    let snapshot = json.iter().sum::<usize>() as f64 / json.len() as f64;
    if std::env::var_os("KEFU_SHOW_SNAPSHOT").is_some() {
        println!("{}", serde_json::to_string(&sessions[0].snapshot()).unwrap_or_default());
    }
    println!(
        "rss_mb={:.1} engine_heap_mb={:.1} session_bytes={per_session:.0} snapshot_bytes={snapshot:.0} sessions={n}",
        rss_engine as f64 / 1e6,
        engine_heap as f64 / 1e6
    );
    ExitCode::SUCCESS
}
