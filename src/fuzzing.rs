//! Entry points for the coverage-guided fuzz targets of `fuzz/` and for the regression tests
//! that replay what they found. Not part of the API: names and behaviour may change in any
//! release.
//!
//! Each function takes raw bytes, never panics on its own account, and checks the crate's
//! invariants on the way, panicking (so the fuzzer reports a crash) only when one is broken:
//!
//! - [`event_line`]: a line either fails to parse with [`Error::InvalidEvent`] or parses to an
//!   event whose JSON parses back to the same event.
//! - [`snapshot_json`]: arbitrary bytes as a snapshot either fail cleanly or restore a session
//!   that then runs and snapshots again.
//! - [`data_text`]: every merchant data format (intents, rules, intent model, emotion lexicon
//!   and model, risk weights, policy, size chart) and the builder's shortcuts parse or fail
//!   with an error.
//! - [`session`]: a sequence of events decoded from the bytes ([`decode_events`]) runs through
//!   one session; scores stay in range, the brief renders, a snapshot round trip taken
//!   half-way gives the same decisions and brief as the session that never left, and masking
//!   masked text never reveals a digit.
//! - [`matchers`]: the keyword matcher reports what a plain leftmost-longest scan reports, and
//!   the prefiltered regex rules match what a `RegexSet` of the same rules matches.

use std::sync::OnceLock;

use crate::data::Source;
use crate::engine::Engine;
use crate::error::Error;
use crate::event::{Envelope, Event, Offer, Page, RefundReason};
use crate::id::{Label, OrderId};
use crate::pipeline::catalog::Catalog;
use crate::pipeline::emotion::EmotionStage;
use crate::pipeline::intent::{IntentParams, IntentStage, LinearModel};
use crate::pipeline::normalize::Normalizer;
use crate::pipeline::policy::{Known, Policy, PolicyParams, SizeCharts};
use crate::pipeline::risk::RiskModel;
use crate::session::Snapshot;

/// Most events [`decode_events`] yields (a bound on the cost of one fuzz input).
pub const MAX_EVENTS: usize = 24;

/// The engine on the default data, built once per process.
pub fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    // The default data is checked by the crate's tests; an error here is a broken build.
    ENGINE.get_or_init(|| Engine::new().expect("the default data builds"))
}

/// Parses `data` as one wire line; a parsed event must survive a JSON round trip unchanged.
pub fn event_line(data: &[u8]) {
    let Ok(line) = std::str::from_utf8(data) else { return };
    match Envelope::from_json(line) {
        Ok(env) => {
            let json = serde_json::to_string(&env.event).expect("an event serializes");
            let back = Envelope::from_json(&json)
                .unwrap_or_else(|e| panic!("{json} does not parse back: {e}"));
            assert_eq!(back.event, env.event, "round trip of {json}");
        }
        Err(Error::InvalidEvent { .. }) => {}
        Err(e) => panic!("a wire line failed with a non-event error: {e}"),
    }
}

/// Reads `data` as a JSON snapshot and restores it; a restored session must run and snapshot.
pub fn snapshot_json(data: &[u8]) {
    let engine = engine();
    let Ok(snap) = serde_json::from_slice::<Snapshot>(data) else { return };
    let Ok(mut s) = engine.restore(snap) else { return };
    let d = s.on_event(&Event::buyer_says(0, "在吗"));
    assert!((0.0..=1.0).contains(&d.risk().probability));
    let _ = s.brief().to_string();
    let json = serde_json::to_string(&s.snapshot()).expect("a snapshot serializes");
    let again: Snapshot = serde_json::from_str(&json).expect("a written snapshot reads back");
    if let Err(e) = engine.restore(again) {
        panic!("a snapshot this build wrote is refused: {e}\n{json}");
    }
}

/// Parses `data[1..]` in the data format chosen by `data[0]` (intents, rules, intent model,
/// emotion lexicon, risk weights, policy, size chart, emotion model, then the shortcuts); every outcome but a panic is
/// fine. Formats that take several sources are tried alone and after the default data.
pub fn data_text(data: &[u8]) {
    let Some((&which, rest)) = data.split_first() else { return };
    let text = String::from_utf8_lossy(rest);
    let fuzz: Source<'_> = ("fuzz.tsv", &text);
    let with_defaults = which & 0x80 != 0;
    let d = defaults();
    let srcs = |def: Source<'static>| if with_defaults { vec![def, fuzz] } else { vec![fuzz] };
    // Compiling the default rules or lexicon costs milliseconds: those formats are fuzzed
    // alone (the parsing code is the same).
    let alone = [fuzz];
    match which & 0x7f {
        0 => drop(Catalog::parse(&srcs(d.intents))),
        1 => {
            let params = IntentParams { min_confidence: 0.5, min_margin: 0.1 };
            drop(IntentStage::build(&d.catalog, &d.normalizer, &alone, None, params));
        }
        2 => {
            if let Ok(m) = LinearModel::parse(fuzz) {
                let params = IntentParams { min_confidence: 0.5, min_margin: 0.1 };
                drop(IntentStage::build(&d.catalog, &d.normalizer, &[], Some(fuzz), params));
                drop(m);
            }
        }
        3 => drop(EmotionStage::build(&alone, None)),
        4 => drop(RiskModel::parse(&srcs(d.risk))),
        5 => {
            if let Ok(p) = PolicyParams::parse(&srcs(d.policy)) {
                let known = Known::resolve(&d.catalog);
                drop(Policy::new(p, known, SizeCharts::default()));
            }
        }
        6 => drop(SizeCharts::parse(&srcs(d.sizes))),
        7 => drop(EmotionStage::build(&[], Some(fuzz))),
        _ => {
            // The builder's shortcuts: keyword, regex, template, intercept word.
            let mut parts = text.splitn(2, '\u{1}');
            let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
            let params = IntentParams { min_confidence: 0.5, min_margin: 0.1 };
            match which % 4 {
                0 | 1 => {
                    let rule = [(a.to_owned(), b.to_owned(), crate::MERCHANT_RULE_WEIGHT)];
                    let (k, r) =
                        if which % 4 == 0 { (&rule[..], &[][..]) } else { (&[][..], &rule[..]) };
                    if let Ok(Some(g)) = crate::engine::merchant_rules(k, r) {
                        let src = [("EngineBuilder::keyword/regex", g.as_str())];
                        drop(IntentStage::build(&d.catalog, &d.normalizer, &src, None, params));
                    }
                }
                2 => drop(d.catalog.id(a).map(|_| Label::try_from(b))),
                _ => {
                    let words = [(a.to_owned(), u16::from(which))];
                    if let Some(g) = crate::engine::intercept_lines(&words) {
                        let srcs = [d.policy, ("EngineBuilder::intercept_word", g.as_str())];
                        if let Ok(p) = PolicyParams::parse(&srcs) {
                            drop(Policy::new(p, Known::resolve(&d.catalog), SizeCharts::default()));
                        }
                    }
                }
            }
        }
    }
}

/// Runs the events of `data` ([`decode_events`]) through one session, checking scores, the
/// brief and that a snapshot round trip half-way changes no decision.
pub fn session(data: &[u8]) {
    let engine = engine();
    let events = decode_events(data);
    let cut = events.len() / 2;
    let mut straight = engine.session();
    for e in &events[..cut] {
        check(straight.on_event(e));
    }
    let json = serde_json::to_string(&straight.snapshot()).expect("a snapshot serializes");
    let snap: Snapshot = serde_json::from_str(&json).expect("a written snapshot reads back");
    let mut moved = engine
        .restore(snap)
        .unwrap_or_else(|e| panic!("a snapshot this build wrote is refused: {e}\n{json}"));
    for e in &events[cut..] {
        let a = serde_json::to_string(straight.on_event(e)).expect("a decision serializes");
        let b = serde_json::to_string(moved.on_event(e)).expect("a decision serializes");
        assert_eq!(a, b, "decisions diverge after a snapshot round trip on {e:?}");
        check(straight.decision());
    }
    assert_eq!(moved.brief(), straight.brief(), "briefs diverge after a snapshot round trip");
    let _ = straight.brief().to_string();
    for e in &events {
        if let Event::Message { text, .. } = e {
            let mut end = text.len().min(1_024);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            // Masking again may mask more (digit soups segment differently) but never less.
            let once = engine.mask(&text[..end]);
            let digits = |s: &str| s.chars().filter(char::is_ascii_digit).count();
            assert!(digits(&engine.mask(&once)) <= digits(&once), "masking revealed digits");
        }
    }
}

fn check(d: &crate::Decision) {
    assert!((0.0..=1.0).contains(&d.risk().probability), "risk {:?}", d.risk());
    if let Some(i) = d.intent() {
        assert!((0.0..=1.0).contains(&i.confidence), "{i:?}");
    }
    if let Some(e) = d.emotion() {
        assert!((-1.0..=1.0).contains(&e.valence) && (0.0..=1.0).contains(&e.intensity), "{e:?}");
    }
}

/// Fragments of realistic buyer text, so short fuzz inputs reach the rules and the masker.
const FRAGMENTS: &[&str] = &[
    "在吗",
    "退款",
    "我要投诉",
    "12315",
    "转人工",
    "显胖吗",
    "170",
    "120斤",
    "穿多大码",
    "什么时候发货",
    "质量太差了",
    "😡",
    "！！！",
    "？？",
    "不",
    "但是",
    "谢谢",
    "13812345678",
    "北京市朝阳区建国路88号",
    "6222021234567890128",
    "11010519491231002X",
    "a@b.cn",
    "\u{202e}",
    "\u{200b}",
    "差评",
    "便宜点",
    "XL",
    "6929384756102",
    "优惠券",
    "物流",
    "坏了",
    "七天无理由",
];

/// Decodes fuzz bytes into at most [`MAX_EVENTS`] events of every kind, with times that jump,
/// repeat, go back, and hit `0` and `u64::MAX`. Every byte string decodes to something.
pub fn decode_events(data: &[u8]) -> Vec<Event<'static>> {
    let mut r = Reader { data, pos: 0 };
    let mut out = Vec::new();
    let mut t: u64 = 1_732_240_000_000;
    let orders: [OrderId; 3] = [
        Label::truncated("6929384756102"),
        Label::truncated("3718394857261038475"),
        Label::truncated("x"),
    ];
    while out.len() < MAX_EVENTS {
        let Some(op) = r.byte() else { break };
        let b = r.byte().unwrap_or(0);
        let (step, k) = (u64::from(b), usize::from(b));
        t = match op >> 5 {
            0 => t.saturating_add(step * 1_000),
            1 => 0,
            2 => u64::MAX,
            3 => t.saturating_sub(step * 1_000),
            4 => t,
            _ => t.saturating_add(step * 37_000),
        };
        let at_ms = t;
        let order = orders[k % orders.len()];
        let page = Page::ALL[k % Page::COUNT];
        let e = match op & 0x1f {
            0..=5 => Event::buyer_says(at_ms, r.text()),
            6 => Event::agent_says(at_ms, r.text()),
            7 => Event::bot_says(at_ms, r.text()),
            8 => Event::OrderCreated {
                at_ms,
                order,
                amount_fen: r.u64().filter(|a| a % 2 == 0),
                product: Some(Label::truncated("sku1")),
            },
            9 | 10 => Event::OrderPaid {
                at_ms,
                order,
                amount_fen: r.u64().unwrap_or(0),
                product: (step % 2 == 0).then(|| Label::truncated("sku1")),
            },
            11 => Event::OrderShipped { at_ms, order },
            12 => Event::OrderDelivered { at_ms, order },
            13 => Event::OrderCancelled { at_ms, order },
            14 => Event::LogisticsStalled {
                at_ms,
                order: (step % 2 == 0).then_some(order),
                hours: r.u64().unwrap_or(0) as u32,
            },
            15 => Event::RefundRequested { at_ms, order, reason: Some(REASONS[k % REASONS.len()]) },
            16 => Event::RefundWithdrawn { at_ms, order },
            17 => Event::RefundClosed { at_ms, order, refunded: step % 2 == 0 },
            18..=21 => Event::PageView {
                at_ms,
                page,
                product: (step % 3 == 0).then(|| Label::truncated("sku1")),
            },
            22..=24 => Event::PageLeave { at_ms, page },
            25 => Event::OfferAccepted { at_ms, offer: OFFERS[k % OFFERS.len()] },
            26 => Event::Rating { at_ms, stars: r.byte().unwrap_or(0) },
            27 => Event::Resolved { at_ms },
            _ => Event::buyer_says(at_ms, r.fragments()),
        };
        out.push(e);
    }
    out
}

const REASONS: [RefundReason; 10] = [
    RefundReason::NoLongerWanted,
    RefundReason::NotAsExpected,
    RefundReason::SizeMismatch,
    RefundReason::QualityIssue,
    RefundReason::WrongItem,
    RefundReason::Damaged,
    RefundReason::MissingParts,
    RefundReason::ShippedLate,
    RefundReason::PriceChange,
    RefundReason::Other,
];

const OFFERS: [Offer; 4] =
    [Offer::SizeHelp, Offer::QualityProof, Offer::ShippingPromise, Offer::Coupon];

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = *self.data.get(self.pos)?;
        self.pos += 1;
        Some(b)
    }

    fn u64(&mut self) -> Option<u64> {
        let end = self.pos.checked_add(8)?;
        let bytes = self.data.get(self.pos..end)?;
        self.pos = end;
        let mut b = [0u8; 8];
        b.copy_from_slice(bytes);
        Some(u64::from_le_bytes(b))
    }

    /// A length byte, then that many bytes as (lossy) UTF-8; length 255 repeats the rest of
    /// the input up to 4 KiB, for long messages.
    fn text(&mut self) -> String {
        let n = usize::from(self.byte().unwrap_or(0));
        let end = (self.pos + n).min(self.data.len());
        let raw = &self.data[self.pos..end];
        self.pos = end;
        let s = String::from_utf8_lossy(raw).into_owned();
        if n == 255 && !s.is_empty() { s.repeat((4_096 / s.len()).max(1)) } else { s }
    }

    /// A count byte, then that many fragment indices.
    fn fragments(&mut self) -> String {
        let n = usize::from(self.byte().unwrap_or(0) % 16);
        let mut s = String::new();
        for _ in 0..n {
            let Some(i) = self.byte() else { break };
            s.push_str(FRAGMENTS[usize::from(i) % FRAGMENTS.len()]);
        }
        s
    }
}

/// The default sources and the pieces that parsing the others needs, built once.
struct Defaults {
    intents: Source<'static>,
    risk: Source<'static>,
    policy: Source<'static>,
    sizes: Source<'static>,
    catalog: Catalog,
    normalizer: Normalizer,
}

fn defaults() -> &'static Defaults {
    use crate::data::embedded as e;
    static D: OnceLock<Defaults> = OnceLock::new();
    D.get_or_init(|| Defaults {
        intents: ("data/intents.tsv", e::INTENTS),
        risk: ("data/risk_model.tsv", e::RISK),
        policy: ("data/policy.tsv", e::POLICY),
        sizes: ("data/size_chart.tsv", e::SIZE_CHART),
        catalog: Catalog::parse(&[("data/intents.tsv", e::INTENTS)])
            .expect("the default intents parse"),
        normalizer: Normalizer::new(),
    })
}

/// Keyword and regex rule matching on arbitrary lists and text: the bytes are split at the
/// first `\u{1}` into patterns (one a line) and a text.
pub fn matchers(data: &[u8]) {
    use crate::pipeline::keywords::Keywords;
    use crate::pipeline::regex_rules::{Limits, RegexRules};

    let input = String::from_utf8_lossy(data);
    let (list, text) = input.split_once('\u{1}').unwrap_or((&input, "好评差评不错退款"));
    let patterns: Vec<&str> = list.lines().take(64).collect();

    // Keywords: at each character, the longest pattern starting there (the first of equal
    // ones); after a match the scan resumes at its end.
    if let Ok(Some(kw)) = Keywords::new(&patterns) {
        let got: Vec<(usize, usize, usize)> =
            kw.find_iter(text).map(|h| (h.pattern, h.start, h.end)).collect();
        let mut want = Vec::new();
        let mut i = 0;
        while i < text.len() {
            let rest = &text[i..];
            let best = patterns
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.is_empty() && rest.starts_with(**p))
                .max_by(|a, b| a.1.len().cmp(&b.1.len()).then(b.0.cmp(&a.0)));
            match best {
                Some((k, p)) => {
                    want.push((k, i, i + p.len()));
                    i += p.len();
                }
                None => i += rest.chars().next().map_or(1, char::len_utf8),
            }
        }
        assert_eq!(got, want, "keyword matches differ from the plain scan");
    }

    // Regex rules: the rules that compile alone, against a set of the same rules.
    let limits = Limits { size: 1 << 16, set_size: 1 << 20, dfa_size: 1 << 20 };
    let rules: Vec<String> = patterns
        .iter()
        .filter(|p| regex::RegexBuilder::new(p).size_limit(limits.size).build().is_ok())
        .map(|p| (*p).to_owned())
        .collect();
    if rules.is_empty() {
        return;
    }
    let (Ok(filtered), Ok(set)) = (
        RegexRules::new(&rules, limits),
        regex::RegexSetBuilder::new(&rules).size_limit(limits.set_size).build(),
    ) else {
        return;
    };
    let mut got = Vec::new();
    filtered.for_each_match(text, |i| got.push(i));
    let want: Vec<usize> = set.matches(text).iter().collect();
    assert_eq!(got, want, "regex rule matches differ from the set");
}
