//! Scripted conversations through the default engine and the actions they must (and must not)
//! produce.

use kefu::{
    Action, Engine, Event, Fit, HandOffReason, Offer, Page, Priority, RetainTrigger, Session, Tag,
};

const T0: u64 = 1_732_240_000_000;
const S: u64 = 1_000;

fn engine() -> Engine {
    Engine::new().expect("default data builds")
}

/// Every action of every event, in order.
fn run(s: &mut Session, events: &[Event<'_>]) -> Vec<Action> {
    events.iter().flat_map(|e| s.on_event(e).actions().to_vec()).collect()
}

fn hand_offs(actions: &[Action]) -> Vec<(HandOffReason, Priority)> {
    actions
        .iter()
        .filter_map(|a| match *a {
            Action::HandOff { reason, priority } => Some((reason, priority)),
            _ => None,
        })
        .collect()
}

fn order() -> kefu::OrderId {
    "6929384756102".try_into().unwrap()
}

#[test]
fn explicit_request_for_a_human_hands_off_in_simplified_and_traditional() {
    let e = engine();
    for text in ["转人工", "轉人工", "我要转人工客服", "人工客服在吗", "別用機器人回覆，我要人工"]
    {
        let mut s = e.session();
        let got = hand_offs(&run(&mut s, &[Event::buyer_says(T0, text)]));
        assert!(
            got.iter().any(|(r, _)| *r == HandOffReason::Requested),
            "{text}: expected hand_off requested, got {got:?} (intent {:?})",
            s.decision().intent()
        );
    }
}

#[test]
fn an_angry_accusation_hands_off_on_anger() {
    let e = engine();
    for text in ["你们什么破服务！！！气死我了", "垃圾东西，恶心死了，太坑人了！！！"]
    {
        let mut s = e.session();
        let got = hand_offs(&run(&mut s, &[Event::buyer_says(T0, text)]));
        assert!(
            got.iter().any(|(r, p)| matches!(r, HandOffReason::Anger | HandOffReason::Complaint)
                && *p >= Priority::High),
            "{text}: expected an anger or complaint hand-off of high priority, got {got:?}, emotion {:?}",
            s.decision().emotion()
        );
    }
}

#[test]
fn a_12315_threat_is_an_urgent_complaint() {
    let mut s = engine().session();
    let got = hand_offs(&run(
        &mut s,
        &[
            Event::order_paid(T0, order(), 8_900),
            Event::buyer_says(T0 + 60 * S, "再不处理我就打12315投诉你们"),
        ],
    ));
    assert_eq!(got, vec![(HandOffReason::Complaint, Priority::Urgent)]);
    assert_eq!(s.decision().intent().unwrap().id, "complaint");
}

#[test]
fn three_turns_answered_only_by_a_bot_hand_off_as_unresolved() {
    let mut s = engine().session();
    let script = [
        Event::buyer_says(T0, "我的快递到哪了"),
        Event::bot_says(T0 + 2 * S, "亲，您可以在订单详情查看物流哦"),
        Event::buyer_says(T0 + 40 * S, "订单详情里没有物流信息"),
        Event::bot_says(T0 + 42 * S, "亲，您可以在订单详情查看物流哦"),
    ];
    assert!(hand_offs(&run(&mut s, &script)).is_empty(), "two turns are not yet unresolved");
    let third = s.on_event(&Event::buyer_says(T0 + 80 * S, "物流三天没动了，到底怎么回事"));
    let got = hand_offs(third.actions());
    assert!(got.iter().any(|(r, _)| *r == HandOffReason::Unresolved), "got {got:?}");
    assert_eq!(s.brief().unresolved_turns, 3);

    // An agent's answer resets the count: the next buyer turn is the first again.
    let mut s = engine().session();
    let mut script = script.to_vec();
    script.push(Event::agent_says(T0 + 60 * S, "亲，我帮您查一下"));
    script.push(Event::buyer_says(T0 + 80 * S, "好的，麻烦快点"));
    assert!(hand_offs(&run(&mut s, &script)).is_empty());
}

#[test]
fn a_second_return_policy_view_in_the_window_triggers_retention() {
    let mut s = engine().session();
    let first = run(
        &mut s,
        &[
            Event::order_paid(T0, order(), 19_900),
            Event::page_view(T0 + 30 * S, Page::ReturnPolicy),
        ],
    );
    assert!(!first.iter().any(|a| matches!(a, Action::Retain { .. })), "first view: {first:?}");
    let d = s.on_event(&Event::page_view(T0 + 70 * S, Page::ReturnPolicy));
    assert!(
        d.actions().iter().any(|a| matches!(
            a,
            Action::Retain { trigger: RetainTrigger::ReturnPolicyRepeat, .. }
        )),
        "second view: {:?}",
        d.actions()
    );
    assert!(d.fired().iter().any(|r| r == "retain.return_policy_repeat"));
    // The cooldown keeps a third view from offering again.
    let d = s.on_event(&Event::page_view(T0 + 90 * S, Page::ReturnPolicy));
    assert!(!d.actions().iter().any(|a| matches!(a, Action::Retain { .. })));
}

#[test]
fn a_return_policy_view_long_after_paying_is_not_the_window_trigger() {
    let mut s = engine().session();
    let got = run(
        &mut s,
        &[
            Event::order_paid(T0, order(), 19_900),
            Event::page_view(T0 + 3 * 3_600 * S, Page::ReturnPolicy),
            Event::page_view(T0 + 3 * 3_600 * S + 30 * S, Page::ReturnPolicy),
        ],
    );
    assert!(
        !got.iter().any(|a| matches!(
            a,
            Action::Retain { trigger: RetainTrigger::ReturnPolicyRepeat, .. }
        )),
        "{got:?}"
    );
}

#[test]
fn a_calm_pre_sale_chat_triggers_neither_hand_off_nor_retention() {
    let mut s = engine().session();
    let script = [
        Event::buyer_says(T0, "你好，在吗"),
        Event::agent_says(T0 + 20 * S, "亲，在的，请问有什么可以帮您"),
        Event::buyer_says(T0 + 60 * S, "这款卫衣是什么面料的"),
        Event::agent_says(T0 + 80 * S, "亲，是纯棉的哦"),
        Event::buyer_says(T0 + 120 * S, "有黑色的吗"),
        Event::agent_says(T0 + 140 * S, "有的亲"),
        Event::buyer_says(T0 + 180 * S, "好的，谢谢"),
    ];
    let got = run(&mut s, &script);
    assert!(
        !got.iter().any(|a| matches!(a, Action::HandOff { .. } | Action::Retain { .. })),
        "{got:?}"
    );
    // Every buyer message is routed, to the pre-sale queue.
    let routes: Vec<_> = got.iter().filter(|a| matches!(a, Action::Route { .. })).collect();
    assert_eq!(routes.len(), 4);
}

#[test]
fn repeated_bargaining_tags_price_sensitive_once() {
    let mut s = engine().session();
    let got = run(
        &mut s,
        &[
            Event::buyer_says(T0, "能便宜点吗"),
            Event::agent_says(T0 + 20 * S, "亲，已经是活动价了"),
            Event::buyer_says(T0 + 60 * S, "别家才卖99，有优惠券吗"),
            Event::buyer_says(T0 + 90 * S, "再便宜十块我就拍"),
        ],
    );
    let tags: Vec<_> =
        got.iter().filter(|a| matches!(a, Action::Tag { tag: Tag::PriceSensitive })).collect();
    assert_eq!(tags.len(), 1, "{got:?}");
}

#[test]
fn height_and_weight_with_a_size_chart_advise_a_size() {
    let chart = "#format size_chart v1\nhoodie\tM\t155\t165\t90\t110\nhoodie\tL\t163\t172\t108\t128\nhoodie\tXL\t170\t180\t125\t150\n";
    let e = Engine::builder().size_chart("shop_sizes.tsv", chart).build().unwrap();
    let mut s = e.session();
    s.on_event(&Event::PageView {
        at_ms: T0,
        page: Page::ProductPage,
        product: Some("hoodie".try_into().unwrap()),
    });
    let d = s.on_event(&Event::buyer_says(T0 + 10 * S, "我170 120斤穿什么码"));
    assert!(
        d.actions().contains(&Action::AdviseSize { size: "L".try_into().unwrap(), fit: Fit::Fits }),
        "{:?} slots {:?}",
        d.actions(),
        d.slots()
    );
    // The same body again does not repeat the advice.
    let d = s.on_event(&Event::buyer_says(T0 + 20 * S, "170 120斤的话穿什么码"));
    assert!(!d.actions().iter().any(|a| matches!(a, Action::AdviseSize { .. })));
}

#[test]
fn size_advice_compares_with_the_size_the_buyer_mentioned() {
    let mut s = engine().session();
    let d = s.on_event(&Event::buyer_says(T0, "我170 130斤，拍了M码会不会小"));
    assert!(
        d.actions().iter().any(|a| matches!(a, Action::AdviseSize { fit: Fit::SizeUp, .. })),
        "{:?} slots {:?}",
        d.actions(),
        d.slots()
    );
}

#[test]
fn effect_doubt_after_paying_raises_risk_and_is_explained() {
    let mut s = engine().session();
    s.on_event(&Event::order_paid(T0, order(), 19_900));
    let base = s.decision().risk().probability;
    let d = s.on_event(&Event::buyer_says(T0 + 40 * S, "这件衣服显胖吗？"));
    assert_eq!(d.intent().unwrap().id, "effect_doubt");
    assert!(d.risk().probability > base);
    assert!(d.risk().top_factors(3).any(|(f, _)| f == kefu::Factor::EffectDoubt));
    assert!(!d.intent().unwrap().evidence.is_empty(), "an intent carries its evidence");
}

#[test]
fn retention_offer_follows_the_top_factor() {
    let mut s = engine().session();
    let got = run(
        &mut s,
        &[
            Event::order_paid(T0, order(), 19_900),
            Event::buyer_says(T0 + 30 * S, "这个会不会显胖啊，我有点担心"),
            Event::page_view(T0 + 50 * S, Page::ReturnPolicy),
        ],
    );
    let offers: Vec<Offer> = got
        .iter()
        .filter_map(|a| match a {
            Action::Retain { offer, .. } => Some(*offer),
            _ => None,
        })
        .collect();
    assert_eq!(offers, vec![Offer::QualityProof], "{got:?}");
}

#[test]
fn a_happy_rating_schedules_one_repurchase_follow_up_seven_days_later() {
    let mut s = engine().session();
    let got = run(
        &mut s,
        &[
            Event::order_paid(T0, order(), 19_900),
            Event::Rating { at_ms: T0 + 86_400 * S, stars: 5 },
            Event::Rating { at_ms: T0 + 86_401 * S, stars: 5 },
        ],
    );
    let follow: Vec<_> = got.iter().filter(|a| matches!(a, Action::FollowUp { .. })).collect();
    assert_eq!(
        follow,
        vec![&Action::FollowUp {
            at_ms: T0 + 86_400 * S + 7 * 86_400 * S,
            kind: kefu::FollowUpKind::Repurchase
        }]
    );
}

#[test]
fn impulse_and_vip_tags_come_from_order_events() {
    let mut s = engine().session();
    let got = run(
        &mut s,
        &[Event::page_view(T0, Page::LiveRoom), Event::order_paid(T0 + 50 * S, order(), 288_800)],
    );
    assert!(got.contains(&Action::Tag { tag: Tag::ImpulseBuyer }), "{got:?}");
    assert!(got.contains(&Action::Tag { tag: Tag::Vip }), "{got:?}");
}

#[test]
fn the_brief_masks_personal_data() {
    let mut s = engine().session();
    run(
        &mut s,
        &[
            Event::buyer_says(T0, "我电话13812345678，地址北京市朝阳区建国路88号"),
            Event::buyer_says(T0 + S, "转人工"),
        ],
    );
    let brief = s.brief().to_string();
    assert!(!brief.contains("13812345678"), "{brief}");
    assert!(!brief.contains("建国路88号"), "{brief}");
    assert!(brief.contains("human_agent"), "{brief}");
    let snap = serde_json::to_string(&s.snapshot()).unwrap();
    assert!(!snap.contains("13812345678"), "snapshots are masked too: {snap}");
}

#[test]
fn non_message_events_have_no_intent_and_allocate_no_actions_when_calm() {
    let mut s = engine().session();
    let d = s.on_event(&Event::page_view(T0, Page::Reviews));
    assert!(d.intent().is_none() && d.emotion().is_none());
    assert!(d.actions().is_empty());
    assert!(d.risk().probability > 0.0);
}

#[test]
fn out_of_order_events_are_flagged_and_the_clock_does_not_go_back() {
    let mut s = engine().session();
    s.on_event(&Event::buyer_says(T0 + 10 * S, "在吗"));
    let d = s.on_event(&Event::buyer_says(T0, "在吗？"));
    assert!(d.flags().out_of_order);
    assert_eq!(d.at_ms(), T0 + 10 * S);
    let d = s.on_event(&Event::PageLeave { at_ms: T0 + 20 * S, page: Page::OrderDetail });
    assert!(d.flags().ignored, "a page_leave without page_view is ignored");
}
