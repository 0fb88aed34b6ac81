//! Merchant configuration through the builder: overrides that work, errors that say where.

use kefu::{Engine, Event};

#[test]
fn a_merchant_keyword_changes_the_intent_without_retraining() {
    // Shop jargon the default data does not teach (the default model now reads 拍下不发 as
    // urge_shipping on its own, so the wording had to change).
    let text = "压单是什么意思";
    let base = Engine::new().unwrap();
    let before = base.session().on_event(&Event::buyer_says(0, text)).intent().unwrap().id;
    assert_ne!(before, "urge_shipping", "the default engine alone must not know this wording");
    let shop = Engine::builder().keyword("urge_shipping", "压单").build().unwrap();
    let mut s = shop.session();
    let d = s.on_event(&Event::buyer_says(0, text));
    let intent = d.intent().unwrap();
    assert_eq!(intent.id, "urge_shipping", "before the rule it was {before}");
    assert!(intent.evidence.iter().any(|e| e.id.starts_with("merchant.keyword")), "{intent:?}");
    // The merchant rule adds its documented weight as log-odds: the probability is real.
    assert!(intent.confidence > 0.5 && intent.confidence < 1.0, "{intent:?}");
    let w = intent.evidence.iter().find(|e| e.id.starts_with("merchant.")).unwrap().weight;
    assert_eq!(w, kefu::MERCHANT_RULE_WEIGHT);
}

#[test]
fn a_merchant_intent_with_its_rules_and_template() {
    let engine = Engine::builder()
        .intents(
            "shop_intents.tsv",
            "#format intents v1\nengraving\tpre_sale\tnormal\ttpl_engraving\n",
        )
        .rules("shop_rules.tsv", "#format rules v1\nshop.engrave\tengraving\tkeyword\t刻字\t8\n")
        .build()
        .unwrap();
    assert!(engine.intent_id("engraving").is_some());
    let mut s = engine.session();
    let d = s.on_event(&Event::buyer_says(0, "戒指可以刻字吗"));
    assert_eq!(d.intent().unwrap().id, "engraving");
    assert!(d.actions().iter().any(
        |a| matches!(a, kefu::Action::SuggestReply { template, .. } if *template == "tpl_engraving")
    ));
}

#[test]
fn intercept_words_hand_off_at_their_count() {
    let engine = Engine::builder().intercept_word("过敏", 2).build().unwrap();
    let mut s = engine.session();
    let first = s.on_event(&Event::buyer_says(0, "用了有点过敏")).actions().to_vec();
    assert!(!first.iter().any(|a| matches!(a, kefu::Action::HandOff { .. })), "{first:?}");
    let second = s.on_event(&Event::buyer_says(1_000, "脸过敏了怎么办")).actions().to_vec();
    assert!(
        second.iter().any(|a| matches!(
            a,
            kefu::Action::HandOff { reason: kefu::HandOffReason::InterceptWord, .. }
        )),
        "{second:?}"
    );
}

#[test]
fn bad_merchant_data_names_file_line_and_fix() {
    type Configure = fn(&mut kefu::EngineBuilder) -> &mut kefu::EngineBuilder;
    let cases: &[(&str, Configure, &str)] = &[
        (
            "unknown intent",
            |b| b.rules("r.tsv", "#format rules v1\nx\tno_such\tkeyword\t哈\t1\n"),
            "r.tsv:2: unknown intent `no_such`",
        ),
        (
            "bad regex",
            |b| b.rules("r.tsv", "#format rules v1\nx\tgreeting\tregex\t(\t1\n"),
            "r.tsv:2",
        ),
        ("bad version", |b| b.rules("r.tsv", "#format rules v9\n"), "r.tsv is format"),
        ("threshold", |b| b.policy("p.tsv", "#format policy v1\nretain_risk\t7\n"), "p.tsv:2"),
        (
            "unknown key",
            |b| b.policy("p.tsv", "#format policy v1\nretian_risk\t0.5\n"),
            "unknown policy key",
        ),
        (
            "risk factor",
            |b| b.risk_weights("w.tsv", "#format risk_model v1\nmoon_phase\t1\n"),
            "w.tsv:2: unknown factor",
        ),
        (
            "duplicate intent",
            |b| {
                b.intents("i.tsv", "#format intents v1\na\tpre_sale\tnormal\na\tpre_sale\tnormal\n")
            },
            "i.tsv:3: duplicate id `a`",
        ),
        (
            "bad queue",
            |b| b.intents("i.tsv", "#format intents v1\na\tnowhere\tnormal\n"),
            "i.tsv:2: queue `nowhere`",
        ),
        (
            "size chart",
            |b| b.size_chart("s.tsv", "#format size_chart v1\n*\tM\t170\t160\t1\t2\n"),
            "s.tsv:2",
        ),
        ("template", |b| b.template("no_such", "t"), "unknown intent `no_such`"),
        ("keyword intent", |b| b.keyword("Not An Id", "x"), "snake_case"),
    ];
    for (what, configure, needle) in cases {
        let mut b = Engine::builder();
        configure(&mut b);
        let err = b.build().err().unwrap_or_else(|| panic!("{what}: built without error"));
        let msg = err.to_string();
        assert!(msg.contains(needle), "{what}: `{msg}` should contain `{needle}`");
    }
}

#[test]
fn one_builder_serves_many_builds() {
    let mut b = Engine::builder();
    b.keyword("urge_shipping", "压单");
    let a = b.build().unwrap();
    b.keyword("complaint", "找你们领导");
    let c = b.build().unwrap();
    let merchant = |e: &Engine| {
        let mut s = e.session();
        let d = s.on_event(&Event::buyer_says(0, "找你们领导"));
        d.intent().unwrap().evidence.iter().filter(|e| e.id.starts_with("merchant.")).count()
    };
    assert_eq!(merchant(&a), 0, "the first build does not see rules added after it");
    assert_eq!(merchant(&c), 1, "the second build has the new rule");
}
