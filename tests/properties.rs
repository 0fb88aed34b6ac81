//! Property tests: no input breaks parsing or a session.

use kefu::{Engine, Envelope, Event, Page};
use proptest::prelude::*;
use std::sync::LazyLock;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new().expect("default data builds"));

fn page() -> impl Strategy<Value = Page> {
    prop::sample::select(Page::ALL.to_vec())
}

fn event() -> impl Strategy<Value = Event<'static>> {
    prop_oneof![
        (any::<u64>(), ".{0,80}").prop_map(|(t, s)| Event::buyer_says(t, s)),
        (any::<u64>(), "[在吗退款发货显胖投诉人工谢谢！？😡 0-9]{0,30}")
            .prop_map(|(t, s)| Event::buyer_says(t, s)),
        (any::<u64>(), ".{0,40}").prop_map(|(t, s)| Event::agent_says(t, s)),
        (any::<u64>(), ".{0,40}").prop_map(|(t, s)| Event::bot_says(t, s)),
        (any::<u64>(), page()).prop_map(|(t, p)| Event::page_view(t, p)),
        (any::<u64>(), page()).prop_map(|(at_ms, page)| Event::PageLeave { at_ms, page }),
        (any::<u64>(), any::<u64>()).prop_map(|(t, a)| Event::order_paid(
            t,
            "6929384756102".try_into().unwrap(),
            a
        )),
        (any::<u64>(), any::<u32>()).prop_map(|(at_ms, hours)| Event::LogisticsStalled {
            at_ms,
            order: None,
            hours
        }),
        (any::<u64>(), any::<u8>()).prop_map(|(at_ms, stars)| Event::Rating { at_ms, stars }),
        any::<u64>().prop_map(|at_ms| Event::Resolved { at_ms }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_event_sequence_gives_bounded_scores(events in prop::collection::vec(event(), 1..40)) {
        let mut s = ENGINE.session();
        for e in &events {
            let d = s.on_event(e);
            prop_assert!((0.0..=1.0).contains(&d.risk().probability));
            if let Some(i) = d.intent() {
                prop_assert!((0.0..=1.0).contains(&i.confidence));
            }
            if let Some(em) = d.emotion() {
                prop_assert!((-1.0..=1.0).contains(&em.valence));
                prop_assert!((0.0..=1.0).contains(&em.intensity));
            }
        }
        let json = serde_json::to_string(&s.snapshot()).unwrap();
        let back = ENGINE.restore(serde_json::from_str(&json).unwrap()).unwrap();
        prop_assert_eq!(back.snapshot(), s.snapshot());
    }

    #[test]
    fn any_line_parses_or_errors_without_panic(line in ".{0,200}") {
        let _ = Envelope::from_json(&line);
    }

    #[test]
    fn events_round_trip_through_json(e in event()) {
        let json = serde_json::to_string(&e).unwrap();
        let back = Envelope::from_json(&json).unwrap().event;
        prop_assert_eq!(back, e);
    }
}
