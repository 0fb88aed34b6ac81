//! Criterion benches: engine build cost, each text stage alone, the bare baseline (jieba-rs cut
//! plus one aho-corasick pass), the whole pipeline on short and long buyer messages, order and
//! behaviour events, snapshot and restore. Inputs are fixed: add, never edit.

use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use kefu::{Engine, Event, Page, Session, Stages};

#[path = "../examples/common/baseline.rs"]
mod common_baseline;
use common_baseline::Baseline;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new().expect("default data builds"));

const SHORT: &str = "在吗";
const CHAT: &str = "这件衣服显胖吗？我165 120斤穿什么码";
const LONG: &str = "我上周五买的羽绒服到现在还没发货，客服一直说在催仓库，今天物流还是没动静，\
                    你们到底什么时候能发？再不发我就申请退款还要给差评，还要打12315投诉！！！";

fn build(c: &mut Criterion) {
    let mut g = c.benchmark_group("build");
    g.sample_size(10);
    g.bench_function("engine_new", |b| b.iter(|| Engine::new().expect("builds")));
    g.bench_function("session", |b| b.iter(|| black_box(ENGINE.session())));
    g.finish();
}

/// A session with some history, so the benches see a realistic state.
fn warm() -> Session {
    let mut s = ENGINE.session();
    s.on_event(&Event::order_paid(0, "6929384756102".try_into().expect("short"), 19_900));
    s.on_event(&Event::buyer_says(1_000, "你好"));
    s.on_event(&Event::agent_says(2_000, "亲，在的"));
    s
}

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    for (name, text) in [("short", SHORT), ("chat", CHAT), ("long", LONG)] {
        let mut s = warm();
        let ev = Event::buyer_says(3_000, text);
        g.throughput(Throughput::Bytes(text.len() as u64));
        g.bench_function(name, |b| b.iter(|| s.on_event(black_box(&ev)).actions().len()));
    }
    g.finish();
}

/// Each text stage alone, on buffers the earlier stages filled for the same message.
fn stages(c: &mut Criterion) {
    let mut g = c.benchmark_group("stage");
    for (name, text) in [("chat", CHAT), ("long", LONG)] {
        let mut st = Stages::new(&ENGINE);
        g.bench_function(format!("normalize/{name}"), |b| b.iter(|| st.normalize(black_box(text))));
        st.prepare(text);
        g.bench_function(format!("tokenize/{name}"), |b| b.iter(|| st.tokenize()));
        g.bench_function(format!("intent/{name}"), |b| b.iter(|| st.intent()));
        g.bench_function(format!("slots/{name}"), |b| b.iter(|| st.slots()));
        g.bench_function(format!("emotion/{name}"), |b| b.iter(|| st.emotion()));
        // As a session runs it: reading the features the intent stage found for this text.
        st.intent();
        g.bench_function(format!("emotion_in_session/{name}"), |b| {
            b.iter(|| st.emotion_in_session())
        });
    }
    g.finish();
}

/// The bare cost the pipeline is compared with (the `throughput` example's baseline).
fn baseline(c: &mut Criterion) {
    let base = Baseline::new().expect("keywords build");
    let mut g = c.benchmark_group("baseline");
    for (name, text) in [("chat", CHAT), ("long", LONG)] {
        g.bench_function(name, |b| b.iter(|| base.run(black_box(text))));
    }
    g.finish();
}

fn order_event(c: &mut Criterion) {
    let mut g = c.benchmark_group("order_event");
    let mut s = warm();
    let shipped =
        Event::OrderShipped { at_ms: 5_000, order: "6929384756102".try_into().expect("short") };
    g.bench_function("order_shipped", |b| {
        b.iter(|| s.on_event(black_box(&shipped)).actions().len())
    });
    let view = Event::page_view(6_000, Page::OrderDetail);
    g.bench_function("page_view", |b| b.iter(|| s.on_event(black_box(&view)).actions().len()));
    let leave = Event::PageLeave { at_ms: 7_000, page: Page::ReturnPolicy };
    g.bench_function("page_leave", |b| b.iter(|| s.on_event(black_box(&leave)).actions().len()));
    g.finish();
}

fn snapshot(c: &mut Criterion) {
    let mut g = c.benchmark_group("snapshot");
    let s = warm();
    g.bench_function("snapshot_json", |b| {
        b.iter(|| serde_json::to_string(&black_box(&s).snapshot()).expect("serializes"))
    });
    let json = serde_json::to_string(&s.snapshot()).expect("serializes");
    g.bench_function("restore_json", |b| {
        b.iter(|| ENGINE.restore(serde_json::from_str(black_box(&json)).expect("parses")).is_ok())
    });
    g.finish();
}

criterion_group!(benches, build, stages, baseline, end_to_end, order_event, snapshot);
criterion_main!(benches);
