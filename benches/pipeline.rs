//! Criterion benches: build cost, each stage through the public API, end to end.
use std::hint::black_box;
use std::sync::LazyLock;

use criterion::{Criterion, criterion_group, criterion_main};
use kefu::{Engine, Event, Page};

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new().expect("default data builds"));

fn end_to_end(c: &mut Criterion) {
    let mut g = c.benchmark_group("end_to_end");
    let mut s = ENGINE.session();
    g.bench_function("short_message", |b| {
        b.iter(|| s.on_event(black_box(&Event::buyer_says(0, "在吗"))).actions().len())
    });
    g.bench_function("page_view", |b| {
        b.iter(|| s.on_event(black_box(&Event::page_view(0, Page::OrderDetail))).actions().len())
    });
    g.finish();
}

criterion_group!(benches, end_to_end);
criterion_main!(benches);
