//! Session memory stays under its documented cap whatever one buyer sends. A separate test
//! binary: it installs a counting allocator (per thread, so tests running in parallel do not
//! disturb each other's counts).

#[path = "common/counting.rs"]
mod counting;

use counting::live;
use kefu::{Engine, Event, Page, Session};

#[global_allocator]
static ALLOC: counting::Counting = counting::Counting;

/// The documented cap of [`Session`]: inline size plus heap (measured: 1 588 bytes fresh,
/// 2 280 after 100 000 events, 2 576 at the peak; 1 848 / 6 032 before the state was kept in
/// inline rings and the turn texts in one string). The per-message buffers are
/// per thread; the engine's warm-up above grows them before the measurement starts.
const CAP: usize = 4 * 1024;

/// Heap bytes held by `s` (measured as what this thread allocated and kept since `before`),
/// plus its inline size.
fn footprint(before: isize, _s: &Session) -> usize {
    (live() - before) as usize + size_of::<Session>()
}

/// Event `i` of a hostile day for one buyer: chat of every kind (a 600 KB message every
/// thousand events), agent replies, page views and leaves without views, a new order every ten
/// events, messages from the past.
fn event(i: u64, long: &str) -> Event<'_> {
    const TEXTS: [&str; 5] = [
        "这件衣服显胖吗？我170 120斤穿什么码",
        "都三天了还不发货，我要投诉12315！！！",
        "😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡😡",
        "在吗",
        "\u{202e}\u{200b}\u{0}<script>alert(1)</script>' OR 1=1 --",
    ];
    let at = 1_732_240_000_000 + i * 1_000;
    match i % 10 {
        0..=3 => Event::buyer_says(at, TEXTS[(i / 10 % 5) as usize]),
        4 => Event::agent_says(at, "亲，马上为您处理"),
        5 => Event::page_view(at, Page::ALL[(i % 6) as usize]),
        6 => Event::PageLeave { at_ms: at, page: Page::ALL[(i / 10 % 6) as usize] },
        7 => Event::order_paid(at, kefu::Label::truncated(&format!("69293847{i}")), 19_900),
        8 => Event::buyer_says(at - 5_000_000, format!("重复的问题{}", i % 100)),
        _ => Event::buyer_says(at, if i % 1_000 == 9 { long } else { "谢谢" }),
    }
}

#[test]
fn memory_per_session_stays_under_its_cap_after_100_000_events() {
    let engine = Engine::new().unwrap();
    let long = "退款".repeat(300_000);
    // Warm the engine first: its regexes grow per-thread caches on first use, which belong to
    // the engine, not to a session.
    let mut warm = engine.session();
    for i in 0..2_000 {
        warm.on_event(&event(i, &long));
    }
    let _ = (warm.brief().to_string(), serde_json::to_string(&warm.snapshot()));
    drop(warm);

    let before = live();
    let mut s = engine.session();
    let fresh = footprint(before, &s);
    let mut peak = fresh;
    for i in 0..100_000u64 {
        s.on_event(&event(i, &long));
        if i % 1_000 == 0 {
            peak = peak.max(footprint(before, &s));
        }
    }
    let after = footprint(before, &s);
    peak = peak.max(after);
    let snap = serde_json::to_string(&s.snapshot()).unwrap();
    eprintln!(
        "session memory: fresh {fresh} B, after 100 000 events {after} B, peak {peak} B; snapshot {} B",
        snap.len()
    );
    assert!(peak <= CAP, "a session grew to {peak} bytes, over its cap of {CAP}");
    assert!(snap.len() <= 2 * 1024, "snapshot of {} bytes", snap.len());
    drop((s, snap));
    assert!(live() - before <= 1024, "dropping a session frees what it held");
}
