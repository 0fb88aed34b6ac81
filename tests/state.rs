//! Session state: snapshot and restore, determinism, thread safety, hostile text.

use kefu::{Engine, Envelope, Event, Page, Session};

const T0: u64 = 1_732_240_000_000;

fn script() -> Vec<Event<'static>> {
    let lines = include_str!("../data/samples/shop_day.jsonl");
    lines
        .lines()
        .map(|l| Envelope::from_json(l).expect("sample lines parse").event.into_owned())
        .collect()
}

fn decisions(s: &mut Session, events: &[Event<'_>]) -> Vec<String> {
    events.iter().map(|e| serde_json::to_string(s.on_event(e)).unwrap()).collect()
}

#[test]
fn snapshot_restore_gives_identical_decisions_afterwards() {
    let engine = Engine::new().unwrap();
    let events = script();
    for cut in [0, 1, 5, events.len() / 2, events.len() - 1] {
        let mut straight = engine.session();
        let mut moved = engine.session();
        decisions(&mut straight, &events[..cut]);
        decisions(&mut moved, &events[..cut]);
        let json = serde_json::to_string(&moved.snapshot()).unwrap();
        let mut restored = engine.restore(serde_json::from_str(&json).unwrap()).unwrap();
        assert_eq!(
            decisions(&mut straight, &events[cut..]),
            decisions(&mut restored, &events[cut..]),
            "decisions diverge after a round trip at event {cut}"
        );
    }
}

#[test]
fn restore_rejects_other_versions_and_corrupt_snapshots() {
    let engine = Engine::new().unwrap();
    let mut s = engine.session();
    s.on_event(&Event::buyer_says(T0, "在吗"));
    for v in [0, kefu::SNAPSHOT_VERSION + 1, 99, u32::MAX] {
        let mut snap = s.snapshot();
        snap.version = v;
        let err = engine.restore(snap).unwrap_err().to_string();
        assert!(err.contains(&v.to_string()) && err.contains("version"), "{err}");
    }
    let json = serde_json::to_string(&s.snapshot()).unwrap();
    let truncated = &json[..json.len() / 2];
    assert!(serde_json::from_str::<kefu::Snapshot>(truncated).is_err());
    // An edited state fails its checksum.
    let edited = json.replace("\"events\":1", "\"events\":2");
    assert_ne!(edited, json, "the test edits a field that exists");
    let err = engine.restore(serde_json::from_str(&edited).unwrap()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
    // A version 1 snapshot (no checksum) that holds what no session writes is refused too.
    let v1 = r#"{"version":1,"state":{"negative":7.5}}"#;
    let err = engine.restore(serde_json::from_str(v1).unwrap()).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
    // Versions 2 and 3 without their checksum, and version 1 with one, are refused.
    for no_check in [r#"{"version":2,"state":{}}"#, r#"{"version":3,"session":{}}"#] {
        assert!(engine.restore(serde_json::from_str(no_check).unwrap()).is_err(), "{no_check}");
    }
    let v1_with_check = json.replacen("\"version\":3", "\"version\":1", 1);
    assert_ne!(v1_with_check, json);
    assert!(engine.restore(serde_json::from_str(&v1_with_check).unwrap()).is_err());
    // A version 3 snapshot relabelled as version 2 (or the reverse) is refused: each version
    // keeps its state under its own key.
    let as_v2 = json.replacen("\"version\":3", "\"version\":2", 1);
    let err = engine.restore(serde_json::from_str(&as_v2).unwrap()).unwrap_err();
    assert!(err.to_string().contains("`state`"), "{err}");
    // Times after the session clock, intents the engine does not have: refused.
    assert!(engine.restore(with_check(r#"{"at_ms":5,"first_ago":5}"#)).is_ok());
    let err = engine.restore(with_check(r#"{"at_ms":5,"first_ago":6}"#)).unwrap_err();
    assert!(err.to_string().contains("epoch"), "{err}");
    let err =
        engine.restore(with_check(r#"{"at_ms":5,"intents":["no_such_intent"]}"#)).unwrap_err();
    assert!(err.to_string().contains("no_such_intent"), "{err}");
}

/// A version 3 snapshot of `session` (JSON in the form the crate writes: fields in order, no
/// spaces) with the checksum it should have, so the test reaches the checks behind it.
fn with_check(session: &str) -> kefu::Snapshot {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in session.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let check = (h ^ (h >> 32)) as u32;
    serde_json::from_str(&format!(r#"{{"version":3,"check":{check},"session":{session}}}"#))
        .unwrap()
}

/// Restores `json` if it parses and passes every check.
fn try_restore(engine: &Engine, json: &[u8]) -> Option<Session> {
    let snap: kefu::Snapshot = serde_json::from_slice(json).ok()?;
    engine.restore(snap).ok()
}

#[test]
fn every_truncation_and_every_byte_corruption_is_refused() {
    let engine = Engine::new().unwrap();
    let mut s = engine.session();
    decisions(&mut s, &script()[..30]);
    let original = s.snapshot();
    let json = serde_json::to_vec(&original).unwrap();
    for end in 0..json.len() {
        assert!(try_restore(&engine, &json[..end]).is_none(), "truncated at {end} restored");
    }
    for i in 0..json.len() {
        for b in [b'0', b'7', b'9', b'"', b'x', b'{', b'-', b'.'] {
            if json[i] == b {
                continue;
            }
            let mut bad = json.clone();
            bad[i] = b;
            if let Some(back) = try_restore(&engine, &bad) {
                // Only a change that means the same state may restore: a float digit past
                // f32 precision (`0.92108417` -> `0.92108419`).
                assert_eq!(
                    back.snapshot(),
                    original,
                    "byte {i} -> {} restored another state",
                    b as char
                );
            }
        }
    }
}

/// Restores an old snapshot (`json`, of format `version`, taken after the first `taken` events
/// of the sample day), checks that everything it held is read back, and that a session
/// restored from a current snapshot of it decides exactly as the one restored from it. Its
/// scores came from an older build's models, so it is compared with what it holds, not with
/// a replay.
fn old_snapshot_restores_and_continues_like_a_current_one(json: &str, version: u32, taken: usize) {
    let raw: serde_json::Value = serde_json::from_str(json).unwrap();
    let engine = Engine::new().unwrap();
    let snap: kefu::Snapshot = serde_json::from_str(json).unwrap();
    assert_eq!(snap.version, version);
    let mut from_old = engine.restore(snap).unwrap();
    let brief = from_old.brief();
    let state = &raw["state"];
    let path: Vec<&str> = brief.intent_path.iter().map(|l| l.as_str()).collect();
    let want: Vec<&str> =
        state["intent_path"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(path, want);
    let turns: Vec<(u64, &str)> = brief.turns.iter().map(|t| (t.at_ms, t.text.as_str())).collect();
    let want: Vec<(u64, &str)> = state["turns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| (t["at_ms"].as_u64().unwrap(), t["text"].as_str().unwrap()))
        .collect();
    assert_eq!(turns, want);
    let emotions: Vec<(String, f32, f32)> =
        brief.emotions.iter().map(|(e, v, i)| (e.as_str().to_owned(), *v, *i)).collect();
    let want: Vec<(String, f32, f32)> = state["trajectory"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let f = |k: &str| p[k].as_f64().unwrap() as f32;
            (p["label"].as_str().unwrap().to_owned(), f("valence"), f("intensity"))
        })
        .collect();
    assert_eq!(emotions, want);
    let order = brief.order.unwrap();
    assert_eq!(order.order, state["order"]["id"].as_str().unwrap());
    assert_eq!(order.paid_at_ms, state["order"]["paid_at_ms"].as_u64());
    assert_eq!(brief.unresolved_turns as u64, state["unresolved"].as_u64().unwrap_or(0));
    assert_eq!(brief.last_latency_ms, state["last_latency_ms"].as_u64());
    // Snapshots of it are written in the current version, and a session restored from that
    // decides exactly as the one restored from the old version.
    let now = from_old.snapshot();
    assert_eq!(now.version, kefu::SNAPSHOT_VERSION);
    let mut from_now = engine.restore(now).unwrap();
    assert_eq!(from_now.brief(), from_old.brief());
    let events = script();
    assert_eq!(
        decisions(&mut from_old, &events[taken..]),
        decisions(&mut from_now, &events[taken..])
    );
    assert_eq!(from_old.snapshot(), from_now.snapshot());
}

#[test]
fn a_version_1_snapshot_restores_and_continues_like_a_current_one() {
    // Written by the version 1 build after the first 23 events of the sample day.
    old_snapshot_restores_and_continues_like_a_current_one(
        include_str!("fixtures/snapshot_v1.json"),
        1,
        23,
    );
}

#[test]
fn a_version_2_snapshot_restores_and_continues_like_a_current_one() {
    // Written by the version 2 build after the first 40 events of the sample day.
    let v2 = include_str!("fixtures/snapshot_v2.json");
    old_snapshot_restores_and_continues_like_a_current_one(v2, 2, 40);
    // Its checksum is checked as version 2 computed it: an edit is refused.
    let edited = v2.replacen("\"events\": 40", "\"events\": 41", 1);
    assert_ne!(edited, v2);
    let err = Engine::new().unwrap().restore(serde_json::from_str(&edited).unwrap()).unwrap_err();
    assert!(err.to_string().contains("checksum"), "{err}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]

    /// Any event sequence, cut anywhere: the decisions after a snapshot round trip equal the
    /// decisions of the session that never left.
    #[test]
    fn decisions_after_restore_equal_decisions_without_the_round_trip(
        bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..400),
        cut in 0usize..25,
    ) {
        let engine = kefu::__fuzz::engine();
        let events = kefu::__fuzz::decode_events(&bytes);
        let cut = cut.min(events.len());
        let mut straight = engine.session();
        decisions(&mut straight, &events[..cut]);
        let json = serde_json::to_string(&straight.snapshot()).unwrap();
        let mut moved = engine.restore(serde_json::from_str(&json).unwrap()).unwrap();
        proptest::prop_assert_eq!(moved.brief(), straight.brief());
        proptest::prop_assert_eq!(
            decisions(&mut moved, &events[cut..]),
            decisions(&mut straight, &events[cut..])
        );
        proptest::prop_assert_eq!(moved.snapshot(), straight.snapshot());
    }
}

#[test]
fn snapshots_of_the_sample_buyers_are_about_a_kilobyte() {
    // Each buyer of the sample day in their own session, as `replay` runs them.
    let engine = Engine::new().unwrap();
    let mut sessions: Vec<(String, Session)> = Vec::new();
    for line in include_str!("../data/samples/shop_day.jsonl").lines() {
        let env = Envelope::from_json(line).expect("sample lines parse");
        let buyer = env.buyer.as_deref().unwrap_or("").to_owned();
        let i = match sessions.iter().position(|(b, _)| *b == buyer) {
            Some(i) => i,
            None => {
                sessions.push((buyer, engine.session()));
                sessions.len() - 1
            }
        };
        sessions[i].1.on_event(&env.event);
    }
    let mut sizes: Vec<usize> =
        sessions.iter().map(|(_, s)| serde_json::to_string(&s.snapshot()).unwrap().len()).collect();
    sizes.sort_unstable();
    let median = sizes[sizes.len() / 2];
    eprintln!(
        "snapshot JSON of the {} sample buyers: {sizes:?} bytes, median {median}",
        sizes.len()
    );
    assert_eq!(sizes.len(), 8);
    assert!(median <= 1024, "median snapshot {median} bytes");
    assert!(sizes.iter().all(|&n| n <= 1536), "{sizes:?}");
}

#[test]
fn same_input_same_output_across_engines() {
    let events = script();
    let a = decisions(&mut Engine::new().unwrap().session(), &events);
    let b = decisions(&mut Engine::new().unwrap().session(), &events);
    assert_eq!(a, b);
}

#[test]
fn engine_and_events_are_thread_safe() {
    fn send_sync<T: Send + Sync>() {}
    fn send<T: Send>() {}
    send_sync::<Engine>();
    send_sync::<Event<'static>>();
    send_sync::<kefu::Action>();
    send_sync::<kefu::Error>();
    send_sync::<kefu::Decision>();
    send::<Session>();
}

#[test]
fn one_engine_serves_many_threads_with_the_same_results() {
    let engine = Engine::new().unwrap();
    let events = script();
    let expected = decisions(&mut engine.session(), &events);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let engine = engine.clone();
                let events = &events;
                scope.spawn(move || decisions(&mut engine.session(), events))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), expected);
        }
    });
}

#[test]
fn hostile_text_gets_a_result_and_state_stays_bounded() {
    let engine = Engine::new().unwrap();
    let mut s = engine.session();
    let long = "退款".repeat(500_000);
    let texts = [
        "",
        "   ",
        "\u{200b}\u{200b}",
        "😡😡😡😡😡😡",
        "\u{202e}款退要我",
        "\u{0}\u{1}\u{7f}",
        "<script>alert(1)</script>' OR 1=1 --",
        "ｓｈｏｐ　ＡＢＣ！！？？",
        long.as_str(),
    ];
    for (i, t) in texts.iter().enumerate() {
        let d = s.on_event(&Event::buyer_says(T0 + i as u64, *t));
        assert!(d.intent().is_some(), "{i}");
        let e = d.emotion().unwrap();
        assert!((-1.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.intensity));
    }
    assert!(s.decision().flags().truncated, "a 1 MB message is capped and flagged");
    for i in 0..10_000u64 {
        s.on_event(&Event::buyer_says(T0 + 100 + i, "在吗"));
        s.on_event(&Event::page_view(T0 + 100 + i, Page::OrderDetail));
    }
    let snap = serde_json::to_string(&s.snapshot()).unwrap();
    assert!(snap.len() < 4_096, "snapshot grew to {} bytes", snap.len());
    for t in [0, u64::MAX, 5, u64::MAX] {
        let d = s.on_event(&Event::page_view(t, Page::ReturnPolicy));
        assert!((0.0..=1.0).contains(&d.risk().probability));
    }
}
