//! One `Engine` shared by many threads, each with its own independent sessions: results equal
//! the single-threaded ones, whatever the interleaving, and sessions move between threads.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use kefu::{Engine, Envelope, Event, Session};

/// The sample day split per buyer, each buyer's events in order.
fn buyers() -> BTreeMap<String, Vec<Event<'static>>> {
    let mut out: BTreeMap<String, Vec<Event<'static>>> = BTreeMap::new();
    for line in include_str!("../data/samples/shop_day.jsonl").lines() {
        let env = Envelope::from_json(line).unwrap();
        let buyer = env.buyer.as_deref().unwrap_or("").to_owned();
        out.entry(buyer).or_default().push(env.event.into_owned());
    }
    // More buyers from the fuzz decoder: every event kind, hostile times.
    for i in 0..24u8 {
        let bytes: Vec<u8> =
            (0..200u32).map(|j| (j as u8).wrapping_mul(31).wrapping_add(i)).collect();
        out.insert(format!("gen{i}"), kefu::__fuzz::decode_events(&bytes));
    }
    out
}

fn replay(s: &mut Session, events: &[Event<'_>]) -> Vec<String> {
    events.iter().map(|e| serde_json::to_string(s.on_event(e)).unwrap()).collect()
}

#[test]
fn many_threads_with_independent_sessions_decide_as_one_thread_does() {
    let engine = Engine::new().unwrap();
    let buyers = buyers();
    let expected: BTreeMap<&str, Vec<String>> =
        buyers.iter().map(|(b, ev)| (b.as_str(), replay(&mut engine.session(), ev))).collect();

    // 8 threads; thread t serves every buyer, one event at a time, interleaving its buyers.
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|t| {
                let engine = if t % 2 == 0 { engine.clone() } else { Engine::clone(&engine) };
                let buyers = &buyers;
                scope.spawn(move || {
                    let mut sessions: BTreeMap<&str, (Session, Vec<String>)> = buyers
                        .keys()
                        .map(|b| (b.as_str(), (engine.session(), Vec::new())))
                        .collect();
                    let longest = buyers.values().map(Vec::len).max().unwrap_or(0);
                    for i in 0..longest {
                        // A different buyer order per thread and per round.
                        let mut names: Vec<&str> = buyers.keys().map(String::as_str).collect();
                        let n = names.len();
                        names.rotate_left((i + t) % n);
                        for b in names {
                            if let Some(e) = buyers[b].get(i) {
                                let (s, out) = sessions.get_mut(b).unwrap();
                                out.push(serde_json::to_string(s.on_event(e)).unwrap());
                            }
                        }
                    }
                    sessions.into_iter().map(|(b, (_, out))| (b, out)).collect::<BTreeMap<_, _>>()
                })
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expected);
        }
    });
}

#[test]
fn sessions_move_between_threads_mid_conversation() {
    let engine = Engine::new().unwrap();
    let buyers = buyers();
    let expected: Vec<Vec<String>> =
        buyers.values().map(|ev| replay(&mut engine.session(), ev)).collect();
    // Each buyer's session sits in a shared pool; worker threads take any session, feed it its
    // next event and put it back, so consecutive events of a buyer run on different threads.
    type Slot = (Option<Session>, usize, Vec<String>);
    let pool: Arc<Mutex<Vec<Slot>>> = Arc::new(Mutex::new(
        buyers.values().map(|_| (Some(engine.session()), 0usize, Vec::new())).collect(),
    ));
    let events: Vec<&Vec<Event<'static>>> = buyers.values().collect();
    let next = Arc::new(Mutex::new(0usize));
    std::thread::scope(|scope| {
        for _ in 0..6 {
            let (pool, next, events) = (Arc::clone(&pool), Arc::clone(&next), &events);
            scope.spawn(move || {
                loop {
                    let k = {
                        let mut n = next.lock().unwrap();
                        *n += 1;
                        *n
                    };
                    let b = k % events.len();
                    // Take the session out of the pool (another thread may have used it last).
                    let (mut s, i, mut out) = {
                        let mut p = pool.lock().unwrap();
                        let slot = &mut p[b];
                        let Some(s) = slot.0.take() else {
                            continue; // in use on another thread
                        };
                        (s, slot.1, std::mem::take(&mut slot.2))
                    };
                    if let Some(e) = events[b].get(i) {
                        out.push(serde_json::to_string(s.on_event(e)).unwrap());
                    }
                    let done = {
                        let mut p = pool.lock().unwrap();
                        p[b] = (Some(s), (i + 1).min(events[b].len()), out);
                        p.iter()
                            .enumerate()
                            .all(|(j, slot)| slot.1 == events[j].len() && slot.0.is_some())
                    };
                    if done || k > 1_000_000 {
                        break;
                    }
                }
            });
        }
    });
    let got: Vec<Vec<String>> = Arc::try_unwrap(pool)
        .ok()
        .unwrap()
        .into_inner()
        .unwrap()
        .into_iter()
        .map(|s| s.2)
        .collect();
    assert_eq!(got, expected);
}

#[test]
fn snapshots_taken_on_one_thread_restore_on_another() {
    let engine = Engine::new().unwrap();
    let buyers = buyers();
    for events in buyers.values() {
        let half = events.len() / 2;
        let mut straight = engine.session();
        replay(&mut straight, &events[..half]);
        let json = serde_json::to_string(&straight.snapshot()).unwrap();
        let engine2 = engine.clone();
        let rest = &events[half..];
        let moved = std::thread::scope(|scope| {
            scope
                .spawn(move || {
                    let mut s = engine2.restore(serde_json::from_str(&json).unwrap()).unwrap();
                    replay(&mut s, rest)
                })
                .join()
                .unwrap()
        });
        assert_eq!(moved, replay(&mut straight, rest));
    }
}
