//! Order and behaviour events allocate nothing, and a chat message little: a counting global
//! allocator (per thread, so the test harness's other threads do not disturb the count) around
//! `Session::on_event`.
//!
//! Deterministic, not timed. Its own test binary, because a global allocator applies to the
//! whole binary.

#[path = "common/counting.rs"]
mod counting;

use kefu::{Engine, Event, Offer, OrderId, Page, RefundReason, Session};

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

/// Allocations made on this thread while `f` runs.
fn allocations<R>(f: impl FnOnce() -> R) -> (u64, R) {
    let before = counting::allocs();
    let r = f();
    (counting::allocs() - before, r)
}

fn order(s: &str) -> OrderId {
    s.try_into().expect("order number fits")
}

/// Every order and behaviour event kind, for one order, starting at `t0` ms.
fn order_and_behaviour(t0: u64, id: &str) -> Vec<Event<'static>> {
    let o = order(id);
    let product = Some("tshirt-01".try_into().expect("fits"));
    vec![
        Event::OrderCreated { at_ms: t0, order: o, amount_fen: Some(12_900), product },
        Event::OrderPaid { at_ms: t0 + 5_000, order: o, amount_fen: 12_900, product },
        Event::page_view(t0 + 20_000, Page::OrderDetail),
        Event::PageLeave { at_ms: t0 + 130_000, page: Page::OrderDetail },
        Event::page_view(t0 + 140_000, Page::ReturnPolicy),
        Event::PageLeave { at_ms: t0 + 150_000, page: Page::ReturnPolicy },
        Event::page_view(t0 + 160_000, Page::ProductPage),
        Event::page_view(t0 + 170_000, Page::LiveRoom),
        Event::page_view(t0 + 180_000, Page::ProductPage),
        Event::page_view(t0 + 190_000, Page::ReturnPolicy),
        Event::PageLeave { at_ms: t0 + 300_000, page: Page::ReturnPolicy },
        Event::page_view(t0 + 310_000, Page::SizeChart),
        Event::page_view(t0 + 320_000, Page::Reviews),
        Event::PageLeave { at_ms: t0 + 330_000, page: Page::Reviews },
        // A page left that was never opened, and a duplicated, out-of-order event.
        Event::PageLeave { at_ms: t0 + 340_000, page: Page::LiveRoom },
        Event::page_view(t0 + 100, Page::OrderDetail),
        Event::OfferAccepted { at_ms: t0 + 400_000, offer: Offer::Coupon },
        Event::LogisticsStalled { at_ms: t0 + 3_600_000, order: Some(o), hours: 30 },
        Event::OrderShipped { at_ms: t0 + 4_000_000, order: o },
        Event::OrderDelivered { at_ms: t0 + 90_000_000, order: o },
        Event::RefundRequested {
            at_ms: t0 + 91_000_000,
            order: o,
            reason: Some(RefundReason::SizeMismatch),
        },
        Event::RefundWithdrawn { at_ms: t0 + 92_000_000, order: o },
        Event::RefundClosed { at_ms: t0 + 93_000_000, order: o, refunded: false },
        Event::Rating { at_ms: t0 + 94_000_000, stars: 5 },
        Event::Resolved { at_ms: t0 + 95_000_000 },
        Event::OrderCancelled { at_ms: t0 + 96_000_000, order: o },
    ]
}

/// A session that has chatted and been through one whole order, so its buffers have grown.
fn warm(engine: &Engine) -> Session {
    let mut s = engine.session();
    let chat = [
        "在吗",
        "我165 120斤穿什么码",
        "这个真的有效果吗，不会是智商税吧",
        "怎么还不发货？？？",
        "气死了，我要退款",
        "好的谢谢",
        "发什么快递",
        "能便宜点吗",
    ];
    let mut t = 0;
    for (i, text) in chat.iter().enumerate() {
        t += 10_000;
        s.on_event(&Event::buyer_says(t, *text));
        if i % 2 == 0 {
            t += 40_000;
            s.on_event(&Event::agent_says(t, "亲，马上为您处理"));
        }
    }
    for e in order_and_behaviour(t + 1_000, "DD20261122000001") {
        s.on_event(&e);
    }
    s
}

#[test]
fn order_and_behaviour_events_allocate_nothing_on_a_warm_session() {
    let engine = Engine::new().expect("default data builds");
    let mut s = warm(&engine);
    // A second order, a day later: every event kind again, each with its own count.
    for e in order_and_behaviour(200_000_000, "DD20261123000002") {
        let (n, _) = allocations(|| s.on_event(&e).actions().len());
        assert_eq!(n, 0, "{e:?} allocated {n} times");
    }
}

#[test]
fn order_and_behaviour_events_on_a_fresh_session_allocate_nothing() {
    // A session reserves room for its decisions' actions when it is created.
    let engine = Engine::new().expect("default data builds");
    let mut s = engine.session();
    for e in order_and_behaviour(1_000, "DD20261122000003") {
        let (n, _) = allocations(|| s.on_event(&e).actions().len());
        assert_eq!(n, 0, "{e:?} allocated {n} times");
    }
}

#[test]
fn the_counter_sees_allocations() {
    // Guards the test itself: a message does allocate (tokens, turn text), and the counter
    // must see it, or the zero counts above would prove nothing.
    let engine = Engine::new().expect("default data builds");
    let mut s = engine.session();
    let (n, _) =
        allocations(|| s.on_event(&Event::buyer_says(0, "你好，请问什么时候发货")).actions().len());
    assert!(n > 0);
    let (n, v) = allocations(|| vec![1u8; 3]);
    assert_eq!((n, v.len()), (1, 3));
}

/// Allocations per buyer message on a warm session, over the bundled sample messages (after
/// one pass so every per-thread buffer has grown): printed, and bounded so a regression on
/// the chat path shows. What remains: jieba-rs's `cut` returns a fresh `Vec` and the kept turn
/// owns its text.
#[test]
fn chat_messages_allocate_little() {
    let engine = Engine::new().expect("default data builds");
    let mut s = warm(&engine);
    let messages: Vec<&str> = include_str!("../data/samples/messages.txt").lines().collect();
    let mut t = 1_000_000_000;
    for m in &messages {
        t += 10_000;
        s.on_event(&Event::buyer_says(t, *m));
    }
    let (mut total, mut worst) = (0, 0);
    for m in &messages {
        t += 10_000;
        let (n, _) = allocations(|| s.on_event(&Event::buyer_says(t, *m)).actions().len());
        total += n;
        worst = worst.max(n);
    }
    let per = total as f64 / messages.len() as f64;
    println!("allocations per chat message: mean {per:.2}, worst {worst}");
    assert!(per <= 2.5 && worst <= 12, "mean {per:.2}, worst {worst}");
}
