//! A simulated shop: labeled JSON-lines event logs from a documented generative model with
//! known weights, so the refund-risk trainer can be checked against ground truth. Used by the
//! `simulate` and `train_risk` examples and by the risk tests (`tests/risk.rs`).
//!
//! # The generative model
//!
//! Each buyer has three latent traits, drawn independently from normal distributions whose
//! means are shop parameters ([`Shop`]):
//!
//! - **regret** `r ~ N(regret_mean, 1)`: second thoughts after paying. Drives re-reading the
//!   order, opening the return policy (and again), a quick post-payment session inside the
//!   golden 120 seconds, product-page <-> live-room switching and talk of cancelling.
//! - **worry** `w ~ N(worry_mean, 1)`: doubt about fit and effect. Drives effect-doubt and
//!   size questions, long dwell on order and return pages, and whether the buyer chats.
//! - **temper** `t ~ N(0, 1)`: how easily the buyer gets upset. Drives negative wording, urging
//!   when the parcel is late, and (negatively) thanking.
//!
//! Traits shape *behaviour* (events and chat); the shop shapes it too (how fast agents answer,
//! how often parcels stall, whether buyers give height and weight so that size advice can be
//! given, retention offers, order amounts). Buyer messages are real labeled messages of
//! `data/train/cs_messages_train.tsv`, drawn by intent and by emotion (negative, neutral or
//! satisfied wording), so what buyers say carries the signal that a reader of the text must
//! recover; a buyer who gives height and weight writes `身高…体重…斤穿什么码`.
//!
//! The refund decision is then drawn from a logistic law over the buyer's observable
//! behaviour at the end of the log, the same for every shop (it is the buyers' psychology):
//! `P(refund) = sigmoid(BIAS + Σ WEIGHTS[k] · g_k)`, with `g` as defined in [`Truth::g`]
//! (flags and capped counts: inside the golden window / the first two hours at the last event,
//! extra order-detail views, return policy opened and re-opened, switches, long dwells, asked an
//! effect-doubt question, asked about size without / with advice, negative and positive wording
//! (decayed by half per later buyer message), last agent answer slower than 30 s, parcel
//! stalled, urged shipping, talked of cancelling or refunding, reported a defect or complained,
//! accepted an offer, questions resolved, ln(amount / 100 CNY)). A refunder's log ends with a
//! `refund_requested` a few minutes after their last event; everyone else's log simply ends, so
//! the features at a buyer's last event before any request are those the decision was drawn
//! from and nothing after the decision leaks into them.
//!
//! `P(refund)` is the generating model's own prediction: its AUC on a sample is the best any
//! model of the observable behaviour can reach there.

#![allow(dead_code)]

use std::fmt::Write as _;

/// Names of the behaviour features `g`, in the order of [`WEIGHTS`] (the engine's factor
/// names, where the engine has the same signal).
pub const NAMES: [&str; 20] = [
    "golden_window",
    "early_window",
    "order_detail_views",
    "return_policy_opened",
    "return_policy_repeat",
    "page_switches",
    "long_dwell",
    "effect_doubt",
    "size_uncertain",
    "size_advice_given",
    "negative_emotion",
    "positive_emotion",
    "slow_response",
    "logistics_stalled",
    "urged_shipping",
    "cancel_refund_intent",
    "quality_complaint",
    "offer_accepted",
    "resolved",
    "order_amount",
];

/// Intercept of the refund law.
pub const BIAS: f64 = -3.95;

/// Weights of the refund law (log-odds per unit of `g`), the same in every shop.
pub const WEIGHTS: [f64; 20] = [
    0.6,  // golden_window
    0.4,  // early_window
    0.3,  // order_detail_views, per extra view (cap 5)
    0.8,  // return_policy_opened
    1.0,  // return_policy_repeat, per extra open (cap 3)
    0.2,  // page_switches (cap 6)
    0.5,  // long_dwell (cap 3)
    1.1,  // effect_doubt
    0.9,  // size_uncertain
    -0.6, // size_advice_given
    1.0,  // negative_emotion (0 to 1)
    -0.8, // positive_emotion (0 to 1)
    0.7,  // slow_response
    0.8,  // logistics_stalled
    0.5,  // urged_shipping
    2.2,  // cancel_refund_intent
    1.4,  // quality_complaint
    -1.2, // offer_accepted
    -0.4, // resolved, per question (cap 2)
    0.15, // order_amount, ln(amount / 100 CNY) clamped to [-2, 3]
];

/// The parameters of one simulated shop.
#[derive(Debug, Clone, PartialEq)]
pub struct Shop {
    /// Mean of the regret trait.
    pub regret_mean: f64,
    /// Mean of the worry trait.
    pub worry_mean: f64,
    /// Shift of the log-odds that a buyer chats at all.
    pub chat_logit: f64,
    /// Share of buyers shopping apparel (who may ask about size).
    pub apparel_share: f64,
    /// Share of size askers who give height and weight (so the shop can advise a size).
    pub body_share: f64,
    /// Share of buyers who came through the live room.
    pub live_share: f64,
    /// Share of buyers the shop answers slower than 30 s.
    pub slow_share: f64,
    /// Share of agent answers followed by `resolved`.
    pub resolve_rate: f64,
    /// Scale of the chance that a hesitating buyer accepts a retention offer.
    pub offer_rate: f64,
    /// Share of buyers whose log goes on after shipping.
    pub late_share: f64,
    /// Share of those whose parcel stalls.
    pub stall_rate: f64,
    /// Share of delivered buyers who report a defect.
    pub defect_rate: f64,
    /// Median order amount in CNY.
    pub median_yuan: f64,
}

impl Shop {
    /// Shop A: an apparel-heavy live-stream shop with quick agents.
    pub fn a() -> Shop {
        Shop {
            regret_mean: 0.0,
            worry_mean: 0.0,
            chat_logit: 0.3,
            apparel_share: 0.7,
            body_share: 0.5,
            live_share: 0.6,
            slow_share: 0.25,
            resolve_rate: 0.3,
            offer_rate: 0.25,
            late_share: 0.3,
            stall_rate: 0.2,
            defect_rate: 0.1,
            median_yuan: 99.0,
        }
    }

    /// Shop B: a general-goods shop, slower agents, pricier orders, more stalled parcels,
    /// more worried buyers who less often give their measurements.
    pub fn b() -> Shop {
        Shop {
            regret_mean: -0.2,
            worry_mean: 0.3,
            chat_logit: 0.0,
            apparel_share: 0.4,
            body_share: 0.3,
            live_share: 0.3,
            slow_share: 0.45,
            resolve_rate: 0.2,
            offer_rate: 0.15,
            late_share: 0.4,
            stall_rate: 0.3,
            defect_rate: 0.15,
            median_yuan: 199.0,
        }
    }

    /// A shop by name (`a` or `b`).
    pub fn named(name: &str) -> Option<Shop> {
        match name {
            "a" | "A" => Some(Shop::a()),
            "b" | "B" => Some(Shop::b()),
            _ => None,
        }
    }
}

/// What the simulator knows about one buyer.
#[derive(Debug, Clone, PartialEq)]
pub struct Truth {
    /// The `buyer` of the log.
    pub buyer: String,
    /// Behaviour features at the buyer's last event before the decision (order of [`NAMES`]).
    pub g: [f64; 20],
    /// The generating model's refund probability.
    pub p: f64,
    /// Whether the buyer requested a refund.
    pub refunded: bool,
}

/// A simulated log: JSON lines sorted by time, and the truth per buyer (in buyer order).
#[derive(Debug, Clone, PartialEq)]
pub struct Sim {
    /// One event per line, sorted by time.
    pub jsonl: String,
    /// Events written.
    pub events: usize,
    /// Per buyer.
    pub truth: Vec<Truth>,
}

/// Simulates `buyers` buyers of `shop` from `seed`. Deterministic.
pub fn simulate(shop: &Shop, buyers: usize, seed: u64) -> Sim {
    let corpus = Corpus::load();
    let mut rng = Rng::new(seed);
    let mut lines: Vec<(u64, u32, u32, String)> = Vec::with_capacity(buyers * 16);
    let mut truth = Vec::with_capacity(buyers);
    let day0: u64 = 1_732_000_000_000;
    for b in 0..buyers {
        // Arrivals spread over 30 days.
        let start = day0 + rng.below(30 * 86_400_000);
        let (events, t) = buyer(shop, &corpus, &mut rng, b, start);
        for (k, (at, json)) in events.into_iter().enumerate() {
            lines.push((at, b as u32, k as u32, json));
        }
        truth.push(t);
    }
    lines.sort_by_key(|l| (l.0, l.1, l.2));
    let mut jsonl = String::with_capacity(lines.iter().map(|l| l.3.len() + 1).sum());
    for l in &lines {
        jsonl.push_str(&l.3);
        jsonl.push('\n');
    }
    Sim { jsonl, events: lines.len(), truth }
}

/// Messages of the labeled corpus by intent and wording.
struct Corpus {
    rows: Vec<(&'static str, Mood, &'static str)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mood {
    Negative,
    Neutral,
    Satisfied,
}

impl Corpus {
    fn load() -> Corpus {
        let text: &'static str = include_str!("../../data/train/cs_messages_train.tsv");
        let rows = text
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut c = l.split('\t');
                let (intent, emotion, msg) = (c.next()?, c.next()?, c.next()?);
                // Body measurements would make the engine advise a size: only the simulator's
                // own size-advice message carries them.
                if msg.chars().any(|ch| ch.is_ascii_digit() || "斤米".contains(ch)) {
                    return None;
                }
                let mood = match emotion {
                    "neutral" => Mood::Neutral,
                    "satisfaction" => Mood::Satisfied,
                    _ => Mood::Negative,
                };
                Some((intent, mood, msg))
            })
            .collect();
        Corpus { rows }
    }

    /// A message of `intent`, of `mood` when the corpus has one; the mood it has.
    fn pick(&self, rng: &mut Rng, intent: &str, mood: Mood) -> (&'static str, Mood) {
        let count = |m: Option<Mood>| {
            self.rows.iter().filter(|r| r.0 == intent && m.is_none_or(|m| r.1 == m)).count()
        };
        let want = if count(Some(mood)) > 0 { Some(mood) } else { None };
        let n = count(want);
        let k = rng.below(n.max(1) as u64) as usize;
        self.rows
            .iter()
            .filter(|r| r.0 == intent && want.is_none_or(|m| r.1 == m))
            .nth(k)
            .map_or(("你好", Mood::Neutral), |r| (r.2, r.1))
    }
}

/// One buyer's log builder and behaviour tally.
struct Log {
    buyer: String,
    order: String,
    t: u64,
    events: Vec<(u64, String)>,
    paid_at: u64,
    amount_fen: u64,
    detail_views: u32,
    policy_views: u32,
    switches: u32,
    long_dwells: u32,
    effect_doubt: bool,
    size_asked: bool,
    size_advised: bool,
    negative: f64,
    positive: f64,
    last_latency_ms: Option<u64>,
    stalled: bool,
    urged: bool,
    cancel: bool,
    complaint: bool,
    offer: bool,
    resolved: u32,
}

impl Log {
    fn push(&mut self, fields: &str, kind: &str) {
        let line =
            format!(r#"{{"type":"{kind}","buyer":"{}","at_ms":{}{}}}"#, self.buyer, self.t, fields);
        self.events.push((self.t, line));
    }

    fn page(&mut self, rng: &mut Rng, page: &str, long: bool) {
        self.push(&format!(r#","page":"{page}""#), "page_view");
        match page {
            "order_detail" => self.detail_views += 1,
            "return_policy" => self.policy_views += 1,
            _ => {}
        }
        let dwell = if long { 95_000 + rng.below(200_000) } else { 3_000 + rng.below(50_000) };
        self.t += dwell;
        if long && matches!(page, "order_detail" | "return_policy") {
            self.long_dwells += 1;
        }
        self.push(&format!(r#","page":"{page}""#), "page_leave");
        self.t += 1_000 + rng.below(10_000);
    }

    /// A buyer message, the agent's answer after the shop's latency, maybe `resolved`.
    fn say(&mut self, rng: &mut Rng, shop: &Shop, slow: bool, text: &str, mood: Mood) {
        let text_json = serde_json_string(text);
        self.push(&format!(r#","from":"buyer","text":{text_json}"#), "message");
        let (neg, pos) = match mood {
            Mood::Negative => (1.0, 0.0),
            Mood::Satisfied => (0.0, 1.0),
            Mood::Neutral => (0.0, 0.0),
        };
        self.negative = (self.negative * 0.5).max(neg);
        self.positive = (self.positive * 0.5).max(pos);
        let latency = if slow { 35_000 + rng.below(240_000) } else { 3_000 + rng.below(25_000) };
        self.t += latency;
        self.push(r#","from":"agent","text":"亲，这边帮您看一下哦""#, "message");
        self.last_latency_ms = Some(latency);
        self.t += 2_000 + rng.below(20_000);
        if rng.chance(shop.resolve_rate) {
            self.push("", "resolved");
            self.resolved += 1;
            self.t += 1_000 + rng.below(5_000);
        }
    }

    fn g(&self) -> [f64; 20] {
        let since = self.t_last().saturating_sub(self.paid_at);
        let yuan = self.amount_fen as f64 / 100.0;
        let f = |b: bool| f64::from(u8::from(b));
        [
            f(since <= 120_000),
            f(since <= 7_200_000),
            (f64::from(self.detail_views) - 1.0).clamp(0.0, 5.0),
            f(self.policy_views > 0),
            (f64::from(self.policy_views) - 1.0).clamp(0.0, 3.0),
            f64::from(self.switches).min(6.0),
            f64::from(self.long_dwells).min(3.0),
            f(self.effect_doubt),
            f(self.size_asked && !self.size_advised),
            f(self.size_advised),
            self.negative,
            self.positive,
            f(self.last_latency_ms.is_some_and(|l| l > 30_000)),
            f(self.stalled),
            f(self.urged),
            f(self.cancel),
            f(self.complaint),
            f(self.offer),
            f64::from(self.resolved).min(2.0),
            (yuan / 100.0).ln().clamp(-2.0, 3.0),
        ]
    }

    fn t_last(&self) -> u64 {
        self.events.last().map_or(self.t, |e| e.0)
    }
}

fn buyer(
    shop: &Shop,
    corpus: &Corpus,
    rng: &mut Rng,
    b: usize,
    start: u64,
) -> (Vec<(u64, String)>, Truth) {
    let r = shop.regret_mean + rng.normal();
    let w = shop.worry_mean + rng.normal();
    let temper = rng.normal();
    let mut log = Log {
        buyer: format!("b{b}"),
        order: format!("{}", 7_000_000_000_000u64 + b as u64),
        t: start,
        events: Vec::new(),
        paid_at: 0,
        amount_fen: 0,
        detail_views: 0,
        policy_views: 0,
        switches: 0,
        long_dwells: 0,
        effect_doubt: false,
        size_asked: false,
        size_advised: false,
        negative: 0.0,
        positive: 0.0,
        last_latency_ms: None,
        stalled: false,
        urged: false,
        cancel: false,
        complaint: false,
        offer: false,
        resolved: 0,
    };
    let apparel = rng.chance(shop.apparel_share);
    let chats = rng.chance(sigmoid(shop.chat_logit + 0.6 * w + 0.3 * temper));
    let slow = rng.chance(shop.slow_share);
    let mood = |rng: &mut Rng, bias: f64| {
        if rng.chance(sigmoid(bias + temper + 0.4 * w)) { Mood::Negative } else { Mood::Neutral }
    };

    // Before paying: browsing, switches between the product page and the live room, pre-sale
    // questions.
    log.page(rng, "product_page", false);
    if rng.chance(shop.live_share) {
        let k = rng.poisson((0.2 + 0.4 * r).exp()).min(8);
        for i in 0..k {
            let page = if i % 2 == 0 { "live_room" } else { "product_page" };
            log.page(rng, page, false);
            log.switches += 1;
        }
    }
    let say_intent = |log: &mut Log, rng: &mut Rng, intent: &str, m: Mood| {
        let (text, got) = corpus.pick(rng, intent, m);
        log.say(rng, shop, slow, text, got);
    };
    if chats && rng.chance(0.5) {
        let intent =
            ["product_info", "stock", "authenticity", "shipping_time"][rng.below(4) as usize];
        say_intent(&mut log, rng, intent, Mood::Neutral);
    }
    let asks_size = apparel && chats && rng.chance(sigmoid(-0.3 + w));
    let gives_body = asks_size && rng.chance(shop.body_share);
    if asks_size && rng.chance(0.5) {
        ask_size(&mut log, corpus, rng, shop, slow, gives_body);
    }

    // The order.
    log.amount_fen =
        ((shop.median_yuan * (0.8 * rng.normal()).exp()) * 100.0).round().max(100.0) as u64;
    log.push(
        &format!(r#","order":"{}","amount_fen":{}"#, log.order, log.amount_fen),
        "order_created",
    );
    log.t += 5_000 + rng.below(40_000);
    log.paid_at = log.t;
    log.push(&format!(r#","order":"{}","amount_fen":{}"#, log.order, log.amount_fen), "order_paid");
    log.t += 2_000 + rng.below(8_000);

    // After paying. A quick regretter acts inside the golden window.
    let quick = rng.chance(sigmoid(-1.8 + 1.2 * r));
    let details = rng.poisson((-0.6 + 0.5 * r).exp()).min(6);
    let mut policy_opens = 0;
    if rng.chance(sigmoid(-1.8 + 1.2 * r)) {
        policy_opens = 1;
        while policy_opens < 4 && rng.chance(sigmoid(-1.2 + r)) {
            policy_opens += 1;
        }
    }
    let long_p = if quick { 0.0 } else { sigmoid(-1.5 + 0.8 * w + 0.4 * r) };
    for _ in 0..details {
        let long = rng.chance(long_p);
        log.page(rng, "order_detail", long);
    }
    for _ in 0..policy_opens {
        let long = rng.chance(long_p);
        log.page(rng, "return_policy", long);
    }
    if chats && !quick {
        if asks_size && !log.size_asked {
            ask_size(&mut log, corpus, rng, shop, slow, gives_body);
        }
        if rng.chance(sigmoid(-0.8 + 1.2 * w)) {
            let m = mood(rng, -0.5);
            say_intent(&mut log, rng, "effect_doubt", m);
            log.effect_doubt = true;
        }
    }
    if chats && rng.chance(sigmoid(-3.2 + 1.3 * r)) {
        let intent = ["cancel_order", "refund_request", "return_exchange"][rng.below(3) as usize];
        let m = mood(rng, -0.8);
        say_intent(&mut log, rng, intent, m);
        log.cancel = true;
    }
    if !quick && rng.chance(shop.offer_rate * sigmoid(r + w - 0.5)) {
        let offer =
            ["coupon", "size_help", "quality_proof", "shipping_promise"][rng.below(4) as usize];
        log.push(&format!(r#","offer":"{offer}""#), "offer_accepted");
        log.offer = true;
        log.t += 5_000;
    }
    if chats && !quick && rng.chance(sigmoid(-1.0 - 0.7 * temper)) {
        say_intent(&mut log, rng, "thanks_confirm", Mood::Satisfied);
    }

    // Some logs go on: shipping, a stalled parcel and urging, delivery and a defect report.
    if rng.chance(shop.late_share) {
        log.t += 20 * 3_600_000 + rng.below(10 * 3_600_000);
        if rng.chance(shop.stall_rate) {
            log.push(&format!(r#","order":"{}","hours":48"#, log.order), "logistics_stalled");
            log.stalled = true;
            log.t += 3_600_000;
            if rng.chance(sigmoid(0.3 + temper)) {
                let m = mood(rng, 0.0);
                say_intent(&mut log, rng, "urge_shipping", m);
                log.urged = true;
            }
        } else {
            log.push(&format!(r#","order":"{}""#, log.order), "order_shipped");
            log.t += 48 * 3_600_000 + rng.below(24 * 3_600_000);
            log.push(&format!(r#","order":"{}""#, log.order), "order_delivered");
            log.t += 3_600_000 + rng.below(6 * 3_600_000);
            if rng.chance(shop.defect_rate) {
                let intent = if rng.chance(0.7) { "quality_issue" } else { "complaint" };
                let m = mood(rng, 0.5);
                say_intent(&mut log, rng, intent, m);
                log.complaint = true;
            }
        }
    }

    // The decision, drawn from the behaviour at the last event.
    let g = log.g();
    let z = BIAS + WEIGHTS.iter().zip(&g).map(|(w, x)| w * x).sum::<f64>();
    let p = sigmoid(z);
    let refunded = rng.chance(p);
    if refunded {
        log.t = log.t_last() + 30_000 + rng.below(20 * 60_000);
        let reason = ["no_longer_wanted", "not_as_expected", "size_mismatch", "shipped_late"]
            [rng.below(4) as usize];
        log.push(&format!(r#","order":"{}","reason":"{reason}""#, log.order), "refund_requested");
    }
    let buyer = log.buyer.clone();
    (log.events, Truth { buyer, g, p, refunded })
}

fn ask_size(log: &mut Log, corpus: &Corpus, rng: &mut Rng, shop: &Shop, slow: bool, body: bool) {
    log.size_asked = true;
    if body {
        let h = 150 + rng.below(35);
        let w = 85 + rng.below(80);
        let mut text = String::new();
        let _ = write!(text, "身高{h}体重{w}斤穿什么码");
        log.say(rng, shop, slow, &text, Mood::Neutral);
        log.size_advised = true;
    } else {
        let (text, m) = corpus.pick(rng, "size_fit", Mood::Neutral);
        log.say(rng, shop, slow, text, m);
    }
}

fn serde_json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// The logistic function.
pub fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

/// SplitMix64: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Standard normal (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Poisson by Knuth's product of uniforms (small means only).
    fn poisson(&mut self, mean: f64) -> u32 {
        let l = (-mean.min(30.0)).exp();
        let (mut k, mut p) = (0, 1.0);
        loop {
            p *= self.unit();
            if p <= l {
                return k;
            }
            k += 1;
        }
    }
}
