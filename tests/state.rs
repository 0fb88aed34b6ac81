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
    let mut snap = s.snapshot();
    snap.version = 99;
    let err = engine.restore(snap).unwrap_err().to_string();
    assert!(err.contains("99"), "{err}");
    let json = serde_json::to_string(&s.snapshot()).unwrap();
    let truncated = &json[..json.len() / 2];
    assert!(serde_json::from_str::<kefu::Snapshot>(truncated).is_err());
    // A snapshot that parses but holds what no session writes is refused, not half restored.
    let bloated = json.replace("\"state\":{", "\"state\":{\"negative\":7.5,");
    assert_ne!(bloated, json, "the test edits a field that exists");
    let err = engine.restore(serde_json::from_str(&bloated).unwrap()).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
}

#[test]
fn snapshots_leave_out_defaults_and_fields_missing_on_read_are_defaults() {
    let engine = Engine::new().unwrap();
    let fresh = engine.session();
    let json = serde_json::to_string(&fresh.snapshot()).unwrap();
    assert_eq!(json, r#"{"version":1,"state":{}}"#);
    // A snapshot written before a field existed restores with that field at its default.
    let mut a = engine.restore(serde_json::from_str(&json).unwrap()).unwrap();
    let mut b = engine.session();
    let events = script();
    assert_eq!(decisions(&mut a, &events), decisions(&mut b, &events));
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
