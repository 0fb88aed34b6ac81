//! Whole-pipeline cost per buyer message against the bare cost of its parts, measured in the
//! same run: jieba-rs cut + one aho-corasick pass (the dictionary words and rule keywords of
//! `data/`) over the same messages.
//!
//! ```text
//! cargo run --release --example throughput [FILE]     # one message per line
//! cargo run --release --example throughput -- --profile [FILE]
//! ```
//!
//! `--profile [ROUNDS]` only feeds the messages through the pipeline (one thread, no timing, no
//! baseline), for instruction counts under `valgrind --tool=callgrind`:
//!
//! ```text
//! CARGO_PROFILE_RELEASE_DEBUG=true cargo build --release --example throughput
//! valgrind --tool=callgrind --toggle-collect='*measured_rounds*' \
//!     target/release/examples/throughput --profile
//! callgrind_annotate --inclusive=yes callgrind.out.PID | head -60
//! ```
//!
//! Only the rounds after the warm-up are collected, so the total divided by
//! `ROUNDS x messages` is the steady-state instruction count per message.
//!
//! Default input: `data/samples/messages.txt` (the 1,176 training messages of cs_messages).
//! Last line: `median_ns=… p99_ns=… baseline_median_ns=… ratio=… msgs_per_s=…`.

use std::hint::black_box;
use std::process::ExitCode;
use std::sync::Barrier;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use kefu::{Engine, Event};

#[path = "common/baseline.rs"]
mod baseline;
use baseline::Baseline;

const ROUNDS: usize = 20;
/// Default rounds over the messages in `--profile` mode (after one warm-up round).
const PROFILE_ROUNDS: usize = 2;

fn main() -> ExitCode {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let profile = args.first().is_some_and(|a| a == "--profile");
    let mut profile_rounds = PROFILE_ROUNDS;
    if profile {
        args.remove(0);
        if let Some(r) = args.first().and_then(|a| a.parse::<usize>().ok()) {
            profile_rounds = r;
            args.remove(0);
        }
    }
    let path = args.first().cloned().unwrap_or_else(|| "data/samples/messages.txt".into());
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("throughput: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let messages: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if messages.is_empty() {
        eprintln!("throughput: {path} has no messages");
        return ExitCode::FAILURE;
    }

    let t = Instant::now();
    let engine = match Engine::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("throughput: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!("engine_new_ms={:.1}", t.elapsed().as_secs_f64() * 1e3);

    if profile {
        // Every message once to warm the per-thread buffers and the regex caches, then
        // PROFILE_ROUNDS rounds in `measured_rounds`, which callgrind can collect alone.
        let mut session = engine.session();
        let mut at_ms = 0u64;
        let mut actions = feed(&mut session, &messages, 1, &mut at_ms);
        actions += measured_rounds(&mut session, &messages, profile_rounds, &mut at_ms);
        println!(
            "messages={} rounds={} actions={actions}",
            messages.len() * (profile_rounds + 1),
            profile_rounds + 1
        );
        return ExitCode::SUCCESS;
    }

    let baseline = match Baseline::new() {
        Ok(b) => b,
        Err(e) => {
            eprintln!("throughput: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut pipeline_ns = Vec::with_capacity(messages.len() * ROUNDS);
    let mut baseline_ns = Vec::with_capacity(messages.len() * ROUNDS);
    let mut session = engine.session();
    let mut at_ms = 0u64;
    for _ in 0..ROUNDS {
        for m in &messages {
            // Alternate the two measurements message by message so both see the same machine.
            let t = Instant::now();
            let n = baseline.run(black_box(m));
            baseline_ns.push(t.elapsed().as_nanos() as u64);
            black_box(n);

            at_ms += 1_000;
            let ev = Event::buyer_says(at_ms, *m);
            let t = Instant::now();
            let d = session.on_event(black_box(&ev));
            black_box(d.actions().len());
            pipeline_ns.push(t.elapsed().as_nanos() as u64);
        }
    }
    let (median, p99) = percentiles(&mut pipeline_ns);
    let (base_median, base_p99) = percentiles(&mut baseline_ns);
    println!(
        "messages={} rounds={ROUNDS} pipeline_median_ns={median} pipeline_p99_ns={p99} baseline_median_ns={base_median} baseline_p99_ns={base_p99}",
        messages.len()
    );

    // Messages per second on one thread and on every core, each worker thread with its own
    // session on one shared engine. The workers start once and are kept, as in a service's
    // thread pool: the one-thread figure is worker 0 alone, the all-thread figure every worker
    // at once, so both are taken on warm threads (buffers grown, caches filled) and neither
    // pays for starting a thread.
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let per_run = (ROUNDS * messages.len()) as f64;
    let messages = &messages;
    let (one, all) = warm_scaling(threads, per_run, || {
        let mut s = engine.session();
        let mut at = 0u64;
        move || {
            for _ in 0..ROUNDS {
                for m in messages {
                    at += 1_000;
                    black_box(s.on_event(&Event::buyer_says(at, *m)).actions().len());
                }
            }
        }
    });
    // The same for the bare baseline: how far this machine's cores scale on work that shares
    // nothing but read-only tables, the ceiling the engine's scaling is judged against.
    let (base_one, base_all) = warm_scaling(threads, per_run, || {
        || {
            for _ in 0..ROUNDS {
                for m in messages {
                    black_box(baseline.run(black_box(m)));
                }
            }
        }
    });
    println!(
        "msgs_per_s_1_thread={one:.0} msgs_per_s_{threads}_threads={all:.0} scaling={:.2} baseline_scaling={:.2}",
        all / one,
        base_all / base_one
    );
    println!(
        "median_ns={median} p99_ns={p99} baseline_median_ns={base_median} ratio={:.2} msgs_per_s={one:.0}",
        median as f64 / base_median.max(1) as f64
    );
    ExitCode::SUCCESS
}

/// Runs of each throughput measurement (see [`warm_scaling`]): a single run lasts a tenth of a
/// second, short enough for a neighbour on a shared machine to move it by a third.
const SCALING_REPEATS: usize = 11;

/// Messages per second of one worker alone and of `threads` workers at once: the median of
/// [`SCALING_REPEATS`] runs of each, taking turns, after one warm-up run of all of them.
///
/// Each worker thread calls `make` once and keeps what it returns (its session, say); a run
/// calls that closure once, and feeds `per_run` messages. The workers live for the whole
/// measurement and wait on a barrier between runs, so no run pays for starting a thread or
/// for warming a new thread's buffers.
fn warm_scaling<M, W>(threads: usize, per_run: f64, make: M) -> (f64, f64)
where
    M: Fn() -> W + Sync,
    W: FnMut(),
{
    // How many workers take part in the next run; 0 tells them to stop.
    let participants = AtomicUsize::new(0);
    let start = Barrier::new(threads + 1);
    let done = Barrier::new(threads + 1);
    std::thread::scope(|scope| {
        for worker in 0..threads {
            let (participants, start, done, make) = (&participants, &start, &done, &make);
            scope.spawn(move || {
                let mut run = make();
                loop {
                    start.wait();
                    let n = participants.load(Ordering::Acquire);
                    if n == 0 {
                        return;
                    }
                    if worker < n {
                        run();
                    }
                    done.wait();
                }
            });
        }
        let rate = |n: usize| {
            participants.store(n, Ordering::Release);
            let t = Instant::now();
            start.wait();
            done.wait();
            n as f64 * per_run / t.elapsed().as_secs_f64()
        };
        rate(threads);
        let (mut ones, mut alls) = (Vec::new(), Vec::new());
        for _ in 0..SCALING_REPEATS {
            ones.push(rate(1));
            alls.push(rate(threads));
        }
        participants.store(0, Ordering::Release);
        start.wait();
        let median = |v: &mut Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v[v.len() / 2]
        };
        (median(&mut ones), median(&mut alls))
    })
}

/// Median and 99th percentile of `xs` (sorted in place).
fn percentiles(xs: &mut [u64]) -> (u64, u64) {
    xs.sort_unstable();
    let at = |q: f64| xs[((xs.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

/// Feeds every message `rounds` times; returns the number of actions.
fn feed(session: &mut kefu::Session, messages: &[&str], rounds: usize, at_ms: &mut u64) -> usize {
    let mut actions = 0;
    for _ in 0..rounds {
        for m in messages {
            *at_ms += 1_000;
            actions += session.on_event(black_box(&Event::buyer_says(*at_ms, *m))).actions().len();
        }
    }
    actions
}

/// The rounds that `--profile` measures (a separate symbol for `--toggle-collect`).
#[inline(never)]
fn measured_rounds(
    session: &mut kefu::Session,
    messages: &[&str],
    rounds: usize,
    at_ms: &mut u64,
) -> usize {
    feed(session, messages, rounds, at_ms)
}
