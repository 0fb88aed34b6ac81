//! The bundled sample log: every action kind fires, calm buyers get no hand-off or retention.

use std::collections::{BTreeSet, HashMap};

use kefu::{Action, Engine, Envelope, Session};

#[test]
fn every_action_kind_fires_on_the_sample_day_and_calm_buyers_stay_calm() {
    let engine = Engine::new().unwrap();
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let mut kinds = BTreeSet::new();
    let mut by_buyer: HashMap<String, Vec<Action>> = HashMap::new();
    for (i, line) in include_str!("../data/samples/shop_day.jsonl").lines().enumerate() {
        let env = Envelope::from_json(line).unwrap_or_else(|e| panic!("line {}: {e}", i + 1));
        let buyer = env.buyer.as_deref().unwrap_or("").to_owned();
        let s = sessions.entry(buyer.clone()).or_insert_with(|| engine.session());
        let d = s.on_event(&env.event);
        kinds.extend(d.actions().iter().map(Action::kind));
        by_buyer.entry(buyer).or_default().extend_from_slice(d.actions());
    }
    let all = ["hand_off", "retain", "route", "suggest_reply", "advise_size", "tag", "follow_up"];
    for k in all {
        assert!(kinds.contains(k), "no `{k}` action on the sample day; fired: {kinds:?}");
    }
    for calm in ["calm_presale", "bargain", "vip_happy", "size_anxious"] {
        let bad: Vec<_> = by_buyer[calm]
            .iter()
            .filter(|a| matches!(a, Action::HandOff { .. } | Action::Retain { .. }))
            .collect();
        assert!(bad.is_empty(), "{calm} is calm but got {bad:?}");
    }
    for (buyer, kind) in [
        ("angry_late", "hand_off"),
        ("wants_human", "hand_off"),
        ("bot_loop", "hand_off"),
        ("golden_regret", "retain"),
    ] {
        assert!(
            by_buyer[buyer].iter().any(|a| a.kind() == kind),
            "{buyer} should get {kind}: {:?}",
            by_buyer[buyer]
        );
    }
}
