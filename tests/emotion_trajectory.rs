//! Emotion over the conversation: a calm buyer's one-off outburst, escalation over two turns,
//! and the policy thresholds that decide both (data/policy.tsv).

use kefu::{Action, Emotion, Engine, Event, HandOffReason, Priority, Session};

const T0: u64 = 1_732_240_000_000;
const S: u64 = 1_000;

/// Every hand-off of `events` fed to `s`: (event index, reason, priority).
fn hand_offs(s: &mut Session, events: &[Event<'_>]) -> Vec<(usize, HandOffReason, Priority)> {
    let mut out = Vec::new();
    for (i, e) in events.iter().enumerate() {
        for a in s.on_event(e).actions() {
            if let Action::HandOff { reason, priority } = *a {
                out.push((i, reason, priority));
            }
        }
    }
    out
}

fn anger_hand_offs(s: &mut Session, events: &[Event<'_>]) -> Vec<(usize, Priority)> {
    hand_offs(s, events)
        .into_iter()
        .filter(|&(_, reason, _)| reason == HandOffReason::Anger)
        .map(|(i, _, priority)| (i, priority))
        .collect()
}

/// Two calm questions answered by an agent, then `last`.
fn calm_then(last: &str) -> Vec<Event<'_>> {
    vec![
        Event::buyer_says(T0, "你好，在吗"),
        Event::agent_says(T0 + 10 * S, "亲，在的"),
        Event::buyer_says(T0 + 30 * S, "这款卫衣是什么面料的"),
        Event::agent_says(T0 + 40 * S, "纯棉的哦"),
        Event::buyer_says(T0 + 90 * S, last),
    ]
}

const OUTBURST: &str = "快递太慢了，气死了！";

#[test]
fn a_calm_buyer_cursing_the_courier_once_stays_with_the_bot() {
    let e = Engine::new().unwrap();
    let mut s = e.session();
    let got = anger_hand_offs(&mut s, &calm_then(OUTBURST));
    let emo = s.decision().emotion().copied().unwrap();
    assert_eq!(emo.label, Emotion::Anger, "{emo:?}");
    assert!(got.is_empty(), "{got:?} ({emo:?})");
    // Still routed with at least high priority: the buyer is upset.
    assert!(s.decision().actions().iter().any(|a| matches!(
        a,
        Action::Route { priority, .. } if *priority >= Priority::High
    )));
    // The same words as a first message: no history, so calm too.
    let mut s = e.session();
    assert!(anger_hand_offs(&mut s, &[Event::buyer_says(T0, OUTBURST)]).is_empty());
}

#[test]
fn the_same_outburst_after_an_unhappy_turn_goes_to_a_human() {
    let e = Engine::new().unwrap();
    let mut s = e.session();
    let script = [
        Event::buyer_says(T0, "东西坏了，很失望"),
        Event::agent_says(T0 + 20 * S, "亲，非常抱歉，我们马上处理"),
        Event::buyer_says(T0 + 60 * S, OUTBURST),
    ];
    let got = anger_hand_offs(&mut s, &script);
    assert_eq!(got, vec![(2, Priority::High)], "{:?}", s.decision().emotion());
    assert!(s.brief().to_string().contains("anger"), "{}", s.brief());
}

#[test]
fn anger_said_twice_goes_to_a_human_below_the_calm_threshold() {
    // Read as anger between `anger_hand_off_intensity` (0.35) and the calm threshold (0.75):
    // the bot keeps a calm buyer, and the same anger a minute later goes to a human (not an
    // escalation: no rise).
    const ANGRY: &str = "你们怎么做事的，少发了两件";
    let e = Engine::new().unwrap();
    let emo = e.emotion_of(ANGRY);
    assert_eq!(emo.label, Emotion::Anger, "{emo:?}");
    assert!((0.35..0.75).contains(&emo.intensity), "{emo:?}");
    let mut s = e.session();
    let script = [
        Event::buyer_says(T0, "你好"),
        Event::agent_says(T0 + 5 * S, "亲，在的"),
        Event::buyer_says(T0 + 20 * S, ANGRY),
        Event::buyer_says(T0 + 80 * S, ANGRY),
    ];
    let got = hand_offs(&mut s, &script);
    assert_eq!(got, vec![(3, HandOffReason::Anger, Priority::High)], "{emo:?}");
    assert!(s.decision().fired().iter().any(|r| r == "hand_off.anger"));
}

#[test]
fn two_rising_negative_turns_escalate() {
    let e = Engine::new().unwrap();
    let script = [
        Event::buyer_says(T0, "还不发货吗"),
        Event::agent_says(T0 + 30 * S, "亲，在安排了"),
        Event::buyer_says(T0 + 600 * S, "都三天了还没发货？"),
    ];
    let mut s = e.session();
    let got = anger_hand_offs(&mut s, &script);
    assert_eq!(got, vec![(2, Priority::High)], "{:?}", s.decision().emotion());
    assert!(
        s.decision().actions().iter().any(|a| matches!(a, Action::HandOff { .. })),
        "{:?}",
        s.decision().actions()
    );
    // Calmer the second time: no escalation.
    let calmer = [
        Event::buyer_says(T0, "都三天了还没发货？"),
        Event::agent_says(T0 + 30 * S, "亲，在安排了"),
        Event::buyer_says(T0 + 600 * S, "还不发货吗"),
    ];
    let mut s = e.session();
    assert!(anger_hand_offs(&mut s, &calmer).is_empty());
}

#[test]
fn trajectory_thresholds_live_in_the_policy() {
    let script = [
        Event::buyer_says(T0, "还不发货吗"),
        Event::agent_says(T0 + 30 * S, "亲，在安排了"),
        Event::buyer_says(T0 + 600 * S, "都三天了还没发货？"),
    ];
    // A rise of 0.9 is needed: no escalation.
    let e = Engine::builder()
        .policy("merchant.tsv", "#format policy v1\nescalation_min_rise\t0.9\n")
        .build()
        .unwrap();
    let mut s = e.session();
    assert!(anger_hand_offs(&mut s, &script).is_empty());
    // A calm buyer's outburst hands off when the calm threshold is the plain one.
    let e = Engine::builder()
        .policy("merchant.tsv", "#format policy v1\nanger_calm_hand_off_intensity\t0.6\n")
        .build()
        .unwrap();
    let mut s = e.session();
    let got = anger_hand_offs(&mut s, &calm_then(OUTBURST));
    assert_eq!(got.len(), 1, "{got:?} {:?}", s.decision().emotion());
    // Out-of-range values are refused with the key named.
    let err = Engine::builder()
        .policy("merchant.tsv", "#format policy v1\ncalm_history_turns\t9\n")
        .build()
        .unwrap_err()
        .to_string();
    assert!(err.contains("calm_history_turns"), "{err}");
}
