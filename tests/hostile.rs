//! Hostile input and hostile configuration: each case has a documented behaviour (capped,
//! ignored with a flag, clamped or refused with a file:line error), and none panics.

use std::sync::LazyLock;

use kefu::{Engine, EngineBuilder, Error, Event, Page};

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new().expect("default data builds"));

const T0: u64 = 1_732_240_000_000;

#[test]
fn hostile_messages_get_an_ordinary_result() {
    let mega = "退款".repeat(500_000); // 3 MB, 1 M characters
    let emoji = "😡🙂👍🔥".repeat(1_000);
    let mixed = "订单order注文주문заказ طلب 🛒 ① ⅻ 𠀀".repeat(10);
    // (what, text, flagged truncated)
    let cases: [(&str, &str, bool); 13] = [
        ("empty", "", false),
        ("whitespace", " \t\r\n\u{3000}\u{a0}", false),
        ("zero-width", "\u{200b}\u{200c}\u{200d}\u{feff}\u{2060}", false),
        ("control characters", "\u{0}\u{1}\u{7}\u{1b}[31m\u{7f}\u{85}", false),
        ("RTL override", "\u{202e}款退要我\u{202c}\u{2066}", false),
        ("SQL", "'; DROP TABLE orders; -- 退款", false),
        ("HTML", "<img src=x onerror=alert(1)><b>投诉</b>&amp;&#x4e2d;", false),
        ("mixed scripts", &mixed, false),
        ("only emoji", &emoji, true),
        ("lone combining marks", "\u{301}\u{302}\u{303}", false),
        ("1 MB", &mega, true),
        ("private use and noncharacters", "\u{e000}\u{fdd0}\u{fffe}\u{10ffff}", false),
        ("one char past the cap", &"好".repeat(513), true),
    ];
    for (what, text, truncated) in cases {
        let mut s = ENGINE.session();
        let d = s.on_event(&Event::buyer_says(T0, text));
        assert_eq!(d.flags().truncated, truncated, "{what}");
        assert!(!d.flags().out_of_order && !d.flags().ignored, "{what}");
        let intent = d.intent().unwrap_or_else(|| panic!("{what}: a message always has an intent"));
        assert!((0.0..=1.0).contains(&intent.confidence), "{what}");
        let e = d.emotion().unwrap();
        assert!((-1.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.intensity), "{what}");
        assert!((0.0..=1.0).contains(&d.risk().probability), "{what}");
        // The brief keeps at most 120 bytes of a turn.
        let brief = s.brief();
        assert!(brief.turns.iter().all(|t| t.text.len() <= 4 * 120), "{what}");
        let _ = brief.to_string();
    }
}

#[test]
fn markup_and_injection_text_comes_back_as_inert_data() {
    // kefu never interprets text: the brief shows it as typed (masked), JSON escapes it.
    let mut s = ENGINE.session();
    let text = "<script>alert('x')</script>\"},{\"type\":\"resolved";
    s.on_event(&Event::buyer_says(T0, text));
    let json = serde_json::to_string(&s.brief()).unwrap();
    let back: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(back["turns"][0]["text"], text);
}

#[test]
fn timestamps_out_of_order_duplicated_zero_and_max() {
    let mut s = ENGINE.session();
    s.on_event(&Event::buyer_says(T0, "在吗"));
    // Earlier than seen: processed at the latest time, flagged.
    let d = s.on_event(&Event::buyer_says(T0 - 60_000, "发货了吗"));
    assert!(d.flags().out_of_order);
    assert_eq!(d.at_ms(), T0, "the session clock never goes back");
    // The same message twice at the same time: one repeated question, not an error.
    let before = s.brief().repeated_questions;
    s.on_event(&Event::buyer_says(T0 + 1_000, "发货了吗"));
    assert!(!s.decision().flags().out_of_order);
    assert_eq!(s.brief().repeated_questions, before + 1);
    // u64::MAX and 0: ordinary times; windows and latencies saturate instead of overflowing.
    let mut s = ENGINE.session();
    s.on_event(&Event::order_paid(0, "1".try_into().unwrap(), u64::MAX));
    let d = s.on_event(&Event::buyer_says(u64::MAX, "我要退款"));
    assert!(!d.flags().out_of_order);
    assert!((0.0..=1.0).contains(&d.risk().probability));
    let d = s.on_event(&Event::agent_says(0, "好的"));
    assert!(d.flags().out_of_order);
    assert_eq!(d.at_ms(), u64::MAX);
    let d = s.on_event(&Event::page_view(u64::MAX, Page::ReturnPolicy));
    assert!((0.0..=1.0).contains(&d.risk().probability));
    let _ = s.brief().to_string();
    // A first event at u64::MAX, then everything else is out of order.
    let mut s = ENGINE.session();
    s.on_event(&Event::Resolved { at_ms: u64::MAX });
    for t in [0, 1, u64::MAX - 1] {
        assert!(s.on_event(&Event::buyer_says(t, "在吗")).flags().out_of_order);
    }
}

#[test]
fn a_page_leave_without_its_view_is_ignored_with_a_flag() {
    let mut s = ENGINE.session();
    s.on_event(&Event::buyer_says(T0, "这个能退吗"));
    let before = s.brief();
    for page in Page::ALL {
        let d = s.on_event(&Event::PageLeave { at_ms: T0 + 1, page });
        assert!(d.flags().ignored, "{page:?}");
        assert!(d.actions().is_empty(), "{page:?}");
    }
    let after = s.brief();
    assert_eq!(before.intent_path, after.intent_path);
    assert_eq!(before.turns, after.turns);
    // A leave after its view is not ignored; a second leave is.
    s.on_event(&Event::page_view(T0 + 2, Page::ReturnPolicy));
    assert!(
        !s.on_event(&Event::PageLeave { at_ms: T0 + 3, page: Page::ReturnPolicy }).flags().ignored
    );
    assert!(
        s.on_event(&Event::PageLeave { at_ms: T0 + 4, page: Page::ReturnPolicy }).flags().ignored
    );
}

#[test]
fn thousands_of_events_for_one_buyer_keep_the_session_bounded() {
    let mut s = ENGINE.session();
    for i in 0..20_000u64 {
        let t = T0 + i;
        match i % 4 {
            0 => s.on_event(&Event::buyer_says(t, format!("第{i}次问：在吗"))),
            1 => s.on_event(&Event::page_view(t, Page::OrderDetail)),
            2 => s.on_event(&Event::order_paid(t, kefu::Label::truncated(&i.to_string()), i)),
            _ => s.on_event(&Event::Rating { at_ms: t, stars: (i % 256) as u8 }),
        };
    }
    let brief = s.brief();
    assert!(brief.turns.len() <= 6 && brief.intent_path.len() <= 8 && brief.emotions.len() <= 8);
    let snap = serde_json::to_string(&s.snapshot()).unwrap();
    assert!(snap.len() < 4_096, "snapshot grew to {} bytes", snap.len());
}

#[test]
fn masking_a_megabyte_of_digits_and_addresses_terminates() {
    // The masker is one regex pass (linear); these are its worst shapes.
    for text in [
        "1".repeat(1 << 20),
        "1 ".repeat(1 << 19),
        "1-".repeat(1 << 19),
        "北京市朝阳区建国路".repeat(40_000),
        "a@".repeat(1 << 19),
        "小区3栋".repeat(100_000),
    ] {
        let masked = ENGINE.mask(&text);
        assert!(masked.len() <= 2 * text.len() + 16);
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration

fn build_err(configure: impl FnOnce(&mut EngineBuilder) -> &mut EngineBuilder) -> Error {
    let mut b = Engine::builder();
    configure(&mut b);
    b.build().expect_err("the builder refuses it")
}

#[test]
fn bad_merchant_data_is_refused_with_file_and_line() {
    let cases: Vec<(&str, Error, &str)> = vec![
        (
            "invalid regex",
            build_err(|b| b.rules("r.tsv", "#format rules v1\n\nx\tgreeting\tregex\t[a-\t1\n")),
            "r.tsv:3: rule `x` is not a valid regex",
        ),
        (
            "regex over the size limit",
            build_err(|b| {
                b.rules("r.tsv", "#format rules v1\nbig\tgreeting\tregex\t\\w{1000}{1000}\t1\n")
            }),
            "r.tsv:2: rule `big`",
        ),
        (
            "unknown intent",
            build_err(|b| b.rules("r.tsv", "#format rules v1\nx\tno_such\tkeyword\t哈\t1\n")),
            "r.tsv:2: unknown intent `no_such`",
        ),
        (
            "duplicate rule id within a file",
            build_err(|b| {
                b.rules(
                    "r.tsv",
                    "#format rules v1\nx\tgreeting\tkeyword\t哈\t1\nx\tgreeting\tkeyword\t嘿\t1\n",
                )
            }),
            "r.tsv:3: duplicate id `x`",
        ),
        (
            "duplicate intent id",
            build_err(|b| {
                b.intents("i.tsv", "#format intents v1\na\tpre_sale\tnormal\na\tpre_sale\tnormal\n")
            }),
            "i.tsv:3: duplicate id `a`",
        ),
        (
            "threshold above 1",
            build_err(|b| b.policy("p.tsv", "#format policy v1\nretain_risk\t1.5\n")),
            "p.tsv:2: `retain_risk` = 1.5 is out of range",
        ),
        (
            "negative threshold",
            build_err(|b| b.policy("p.tsv", "#format policy v1\nretain_risk\t-0.1\n")),
            "p.tsv:2",
        ),
        (
            "NaN threshold",
            build_err(|b| b.policy("p.tsv", "#format policy v1\nretain_risk\tNaN\n")),
            "p.tsv:2",
        ),
        (
            "infinite risk weight",
            build_err(|b| b.risk_weights("w.tsv", "#format risk_model v1\nbias\tinf\n")),
            "w.tsv:2",
        ),
        (
            "rule weight not a number",
            build_err(|b| b.rules("r.tsv", "#format rules v1\nx\tgreeting\tkeyword\t哈\theavy\n")),
            "r.tsv:2: `weight` must be a number",
        ),
        (
            "pattern over 1 KiB",
            build_err(|b| b.keyword("greeting", &"哈".repeat(400))),
            "more than the limit of 1024",
        ),
        ("wrong format header", build_err(|b| b.policy("p.tsv", "policy\n")), "p.tsv is format"),
    ];
    for (what, err, needle) in cases {
        let msg = err.to_string();
        assert!(msg.contains(needle), "{what}: `{msg}` should contain `{needle}`");
    }
}

#[test]
fn a_merchant_rule_reusing_a_default_rule_id_is_a_duplicate() {
    let first_id = include_str!("../data/rules.tsv")
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .and_then(|l| l.split('\t').next())
        .unwrap();
    let text = format!("#format rules v1\n{first_id}\tgreeting\tkeyword\t哈哈哈\t1\n");
    let err = build_err(|b| b.rules("shop.tsv", &text));
    assert!(err.to_string().starts_with("shop.tsv:2: duplicate id"), "{err}");
}

#[test]
fn oversized_data_is_refused_before_anything_is_compiled() {
    let many_rules: String = std::iter::once("#format rules v1\n".to_owned())
        .chain((0..EngineBuilder::MAX_RULES).map(|i| format!("r{i}\tgreeting\tkeyword\tw{i}\t1\n")))
        .collect();
    let err = build_err(|b| b.rules("big.tsv", &many_rules));
    assert!(matches!(&err, Error::TooLarge { file, .. } if file == "big.tsv"), "{err}");

    let many_regexes: String = std::iter::once("#format rules v1\n".to_owned())
        .chain(
            (0..=EngineBuilder::MAX_REGEX_RULES)
                .map(|i| format!("x{i}\tgreeting\tregex\ta{i}\t1\n")),
        )
        .collect();
    let err = build_err(|b| b.rules("rx.tsv", &many_regexes));
    assert!(err.to_string().contains("regex rules"), "{err}");

    let mut b = Engine::builder();
    for i in 0..=EngineBuilder::MAX_INTERCEPT_WORDS {
        b.intercept_word(&format!("词{i}"), 2);
    }
    let err = b.build().expect_err("too many intercept words");
    assert!(err.to_string().contains("intercept words"), "{err}");

    let many_intents: String = std::iter::once("#format intents v1\n".to_owned())
        .chain((0..EngineBuilder::MAX_INTENTS).map(|i| format!("i{i}\tpre_sale\tnormal\n")))
        .collect();
    let err = build_err(|b| b.intents("i.tsv", &many_intents));
    assert!(err.to_string().contains("number of intents"), "{err}");

    let huge = format!("#format emotion v1\n{}", "#".repeat(33 << 20));
    let err = build_err(|b| b.emotion_lexicon("e.tsv", &huge));
    assert!(matches!(&err, Error::TooLarge { file, .. } if file == "e.tsv"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// Fuzzing regressions

/// Every input under `tests/fixtures/fuzz/TARGET/` (crashes the fuzzers found, once fixed)
/// runs through its target's entry point again.
#[test]
fn fuzz_regressions_stay_fixed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz");
    type Target = (&'static str, fn(&[u8]));
    let targets: [Target; 4] = [
        ("event_json", |d| match d.split_first() {
            Some((b, rest)) if b % 2 == 1 => kefu::__fuzz::snapshot_json(rest),
            _ => kefu::__fuzz::event_line(d),
        }),
        ("session", kefu::__fuzz::session),
        ("builder_data", kefu::__fuzz::data_text),
        ("matchers", kefu::__fuzz::matchers),
    ];
    let mut ran = 0;
    for (target, run) in targets {
        let Ok(dir) = std::fs::read_dir(root.join(target)) else { continue };
        for entry in dir {
            let bytes = std::fs::read(entry.unwrap().path()).unwrap();
            run(&bytes);
            ran += 1;
        }
    }
    // The seeds checked in beside the crashes: one per target at least.
    assert!(ran >= 4, "{ran} regression inputs found under {}", root.display());
}
