//! Stage 7: policy — thresholds, cooldowns and budgets turn scores into actions, each with the
//! id of the rule that fired (`policy.tsv`, format `policy v1`; size charts in
//! `size_chart.tsv`, format `size_chart v1`).

use crate::action::{Action, Fit, FollowUpKind, HandOffReason, Priority, RetainTrigger, Tag};
use crate::data::{Source, records};
use crate::decision::{Decision, Emotion, Factor, Risk};
use crate::error::Error;
use crate::event::{Offer, Page};
use crate::id::{IntentId, Label};
use crate::pipeline::catalog::Catalog;
use crate::pipeline::features::State;
use crate::pipeline::keywords::Keywords;

const FORMAT: &str = "policy v1";
const SIZE_FORMAT: &str = "size_chart v1";

/// Every threshold of the policy (and of the intent stage), with its default in `policy.tsv`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PolicyParams {
    pub intent_min_confidence: f32,
    pub intent_min_margin: f32,
    pub suggest_min_confidence: f32,
    pub anger_hand_off_intensity: f32,
    pub anger_urgent_intensity: f32,
    pub anger_calm_hand_off_intensity: f32,
    pub calm_history_turns: u8,
    pub escalation_min_intensity: f32,
    pub escalation_min_rise: f32,
    pub unresolved_turns: u16,
    pub hand_off_cooldown_ms: u64,
    pub high_value_fen: u64,
    pub high_value_negative_intensity: f32,
    pub negative_route_intensity: f32,
    pub retain_risk: f32,
    pub retain_window_ms: u64,
    pub retain_cooldown_ms: u64,
    pub retain_budget_per_order: u8,
    pub retain_min_factor: f32,
    pub golden_window_ms: u64,
    pub early_window_ms: u64,
    pub slow_response_ms: u64,
    pub long_dwell_ms: u64,
    pub follow_up_delay_ms: u64,
    pub follow_up_risk: f32,
    pub tag_price_count: u8,
    pub tag_quality_count: u8,
    pub tag_size_count: u8,
    pub impulse_paid_within_ms: u64,
    pub vip_fen: u64,
    pub repurchase_min_stars: u8,
    /// Merchant intercept words and the count at which each hands off.
    pub intercepts: Vec<(String, u16)>,
}

impl PolicyParams {
    /// Parses `key  value  [note]` lines. Every key must be known and in range; later sources
    /// override earlier ones key by key. `intercept` lines are `intercept  WORD  COUNT`.
    pub(crate) fn parse(sources: &[Source<'_>]) -> Result<PolicyParams, Error> {
        let mut p = PolicyParams::zero();
        let mut seen = [false; KEYS.len()];
        for &src in sources {
            for r in records(src, FORMAT)? {
                let [key, value] = r.cols::<2>("key, value, note")?;
                if key == "intercept" {
                    let count = r.col(2).unwrap_or("1");
                    let n: u16 = r.num("intercept count", count)?;
                    if value.is_empty() || n == 0 {
                        return Err(r.error("intercept needs a word and a count of at least 1"));
                    }
                    p.intercepts.retain(|(w, _)| w != value);
                    p.intercepts.push((value.to_owned(), n));
                    continue;
                }
                let Some(k) = KEYS.iter().position(|(name, ..)| *name == key) else {
                    return Err(r.error(format!(
                        "unknown policy key `{key}`; known keys: intercept, {}",
                        KEYS.iter().map(|k| k.0).collect::<Vec<_>>().join(", ")
                    )));
                };
                let (_, lo, hi, setter) = KEYS[k];
                let v: f64 = r.num(key, value)?;
                if !(lo..=hi).contains(&v) {
                    return Err(Error::OutOfRange {
                        file: r.file.into(),
                        line: r.line,
                        key: key.into(),
                        value: value.into(),
                        range: format!("{lo} to {hi}"),
                    });
                }
                setter(&mut p, v);
                seen[k] = true;
            }
        }
        if let Some(k) = seen.iter().position(|s| !s) {
            return Err(Error::parse(
                sources.first().map_or("policy.tsv", |s| s.0),
                1,
                format!(
                    "policy key `{}` is not set; add a line `{}<TAB>VALUE`",
                    KEYS[k].0, KEYS[k].0
                ),
            ));
        }
        Ok(p)
    }

    fn zero() -> PolicyParams {
        PolicyParams {
            intent_min_confidence: 0.0,
            intent_min_margin: 0.0,
            suggest_min_confidence: 0.0,
            anger_hand_off_intensity: 0.0,
            anger_urgent_intensity: 0.0,
            anger_calm_hand_off_intensity: 0.0,
            calm_history_turns: 0,
            escalation_min_intensity: 0.0,
            escalation_min_rise: 0.0,
            unresolved_turns: 0,
            hand_off_cooldown_ms: 0,
            high_value_fen: 0,
            high_value_negative_intensity: 0.0,
            negative_route_intensity: 0.0,
            retain_risk: 0.0,
            retain_window_ms: 0,
            retain_cooldown_ms: 0,
            retain_budget_per_order: 0,
            retain_min_factor: 0.0,
            golden_window_ms: 0,
            early_window_ms: 0,
            slow_response_ms: 0,
            long_dwell_ms: 0,
            follow_up_delay_ms: 0,
            follow_up_risk: 0.0,
            tag_price_count: 0,
            tag_quality_count: 0,
            tag_size_count: 0,
            impulse_paid_within_ms: 0,
            vip_fen: 0,
            repurchase_min_stars: 0,
            intercepts: Vec::new(),
        }
    }
}

type Setter = fn(&mut PolicyParams, f64);
const DAY_MS: f64 = 86_400_000.0;
const MAX_FEN: f64 = 1e12;

/// Key, allowed range, setter. Ranges keep every value meaningful (a probability in [0, 1], a
/// duration under a year).
const KEYS: &[(&str, f64, f64, Setter)] = &[
    ("intent_min_confidence", 0.0, 1.0, |p, v| p.intent_min_confidence = v as f32),
    ("intent_min_margin", 0.0, 1.0, |p, v| p.intent_min_margin = v as f32),
    ("suggest_min_confidence", 0.0, 1.0, |p, v| p.suggest_min_confidence = v as f32),
    ("anger_hand_off_intensity", 0.0, 1.0, |p, v| p.anger_hand_off_intensity = v as f32),
    ("anger_urgent_intensity", 0.0, 1.0, |p, v| p.anger_urgent_intensity = v as f32),
    ("anger_calm_hand_off_intensity", 0.0, 1.0, |p, v| p.anger_calm_hand_off_intensity = v as f32),
    ("calm_history_turns", 0.0, 7.0, |p, v| p.calm_history_turns = v as u8),
    ("escalation_min_intensity", 0.0, 1.0, |p, v| p.escalation_min_intensity = v as f32),
    ("escalation_min_rise", 0.0, 1.0, |p, v| p.escalation_min_rise = v as f32),
    ("unresolved_turns", 1.0, 100.0, |p, v| p.unresolved_turns = v as u16),
    ("hand_off_cooldown_ms", 0.0, DAY_MS, |p, v| p.hand_off_cooldown_ms = v as u64),
    ("high_value_fen", 0.0, MAX_FEN, |p, v| p.high_value_fen = v as u64),
    ("high_value_negative_intensity", 0.0, 1.0, |p, v| p.high_value_negative_intensity = v as f32),
    ("negative_route_intensity", 0.0, 1.0, |p, v| p.negative_route_intensity = v as f32),
    ("retain_risk", 0.0, 1.0, |p, v| p.retain_risk = v as f32),
    ("retain_window_ms", 0.0, 30.0 * DAY_MS, |p, v| p.retain_window_ms = v as u64),
    ("retain_cooldown_ms", 0.0, 30.0 * DAY_MS, |p, v| p.retain_cooldown_ms = v as u64),
    ("retain_budget_per_order", 0.0, 20.0, |p, v| p.retain_budget_per_order = v as u8),
    ("retain_min_factor", 0.0, 10.0, |p, v| p.retain_min_factor = v as f32),
    ("golden_window_ms", 0.0, DAY_MS, |p, v| p.golden_window_ms = v as u64),
    ("early_window_ms", 0.0, 30.0 * DAY_MS, |p, v| p.early_window_ms = v as u64),
    ("slow_response_ms", 0.0, DAY_MS, |p, v| p.slow_response_ms = v as u64),
    ("long_dwell_ms", 0.0, DAY_MS, |p, v| p.long_dwell_ms = v as u64),
    ("follow_up_delay_ms", 0.0, 365.0 * DAY_MS, |p, v| p.follow_up_delay_ms = v as u64),
    ("follow_up_risk", 0.0, 1.0, |p, v| p.follow_up_risk = v as f32),
    ("tag_price_count", 1.0, 100.0, |p, v| p.tag_price_count = v as u8),
    ("tag_quality_count", 1.0, 100.0, |p, v| p.tag_quality_count = v as u8),
    ("tag_size_count", 1.0, 100.0, |p, v| p.tag_size_count = v as u8),
    ("impulse_paid_within_ms", 0.0, DAY_MS, |p, v| p.impulse_paid_within_ms = v as u64),
    ("vip_fen", 0.0, MAX_FEN, |p, v| p.vip_fen = v as u64),
    ("repurchase_min_stars", 1.0, 5.0, |p, v| p.repurchase_min_stars = v as u8),
];

/// Reads the emotion trajectory (whose last point is the current message): whether the
/// buyer was calm before it (none of the `calm_history_turns` earlier buyer turns negative at
/// `escalation_min_intensity`; a first message counts as calm), and whether the conversation
/// is escalating (this turn and the one before are both negative at `escalation_min_intensity`
/// and this one is angrier: intensity up by `escalation_min_rise`, or the same intensity
/// turned into anger).
fn emotion_history(s: &State, m: &MessageView, p: &PolicyParams) -> (bool, bool) {
    let negative = |e: Emotion, i: f32| e.is_negative() && i >= p.escalation_min_intensity;
    let mut earlier = s.trajectory.iter().rev().skip(1);
    let calm = earlier
        .clone()
        .take(usize::from(p.calm_history_turns))
        .all(|x| !negative(x.label, x.intensity));
    let escalating = negative(m.emotion, m.intensity)
        && earlier.next().is_some_and(|prev| {
            negative(prev.label, prev.intensity)
                && (m.intensity >= prev.intensity + p.escalation_min_rise
                    || (m.emotion == Emotion::Anger
                        && prev.label != Emotion::Anger
                        && m.intensity >= prev.intensity))
        });
    (calm, escalating)
}

/// One size of a size chart: the size fits buyers up to these height and weight bounds.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SizeRow {
    pub size: Label,
    pub height_cm: (u16, u16),
    pub weight_jin: (u16, u16),
}

/// Size charts by product; product `*` is the shop-wide default.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct SizeCharts {
    pub charts: Vec<(Label, Vec<SizeRow>)>,
}

impl SizeCharts {
    /// Parses `product  size  height_min  height_max  weight_min_jin  weight_max_jin` lines,
    /// smallest size first. A later source's rows for a product replace an earlier source's.
    pub(crate) fn parse(sources: &[Source<'_>]) -> Result<SizeCharts, Error> {
        let mut out = SizeCharts::default();
        for &src in sources {
            let mut fresh: Vec<(Label, Vec<SizeRow>)> = Vec::new();
            for r in records(src, SIZE_FORMAT)? {
                let [product, size, h0, h1, w0, w1] = r.cols::<6>(
                    "product, size, height_min_cm, height_max_cm, weight_min_jin, weight_max_jin",
                )?;
                let product = Label::new(product).ok_or_else(|| {
                    r.error(format!("product `{product}` is longer than 32 bytes"))
                })?;
                let size = Label::new(&size.to_ascii_uppercase())
                    .ok_or_else(|| r.error(format!("size `{size}` is longer than 32 bytes")))?;
                let row = SizeRow {
                    size,
                    height_cm: (r.num("height_min_cm", h0)?, r.num("height_max_cm", h1)?),
                    weight_jin: (r.num("weight_min_jin", w0)?, r.num("weight_max_jin", w1)?),
                };
                if row.height_cm.0 > row.height_cm.1 || row.weight_jin.0 > row.weight_jin.1 {
                    return Err(r.error("a minimum is larger than its maximum"));
                }
                match fresh.iter_mut().find(|(p, _)| *p == product) {
                    Some((_, rows)) => {
                        if rows.iter().any(|x| x.size == row.size) {
                            return Err(Error::Duplicate {
                                file: r.file.into(),
                                line: r.line,
                                id: format!("{product}/{}", row.size),
                            });
                        }
                        rows.push(row)
                    }
                    None => fresh.push((product, vec![row])),
                }
            }
            for (p, rows) in fresh {
                out.charts.retain(|(q, _)| *q != p);
                out.charts.push((p, rows));
            }
        }
        Ok(out)
    }

    fn chart(&self, product: Option<Label>) -> Option<&[SizeRow]> {
        let find = |p: &str| self.charts.iter().find(|(q, _)| q == p).map(|(_, r)| r.as_slice());
        product.and_then(|p| find(&p)).or_else(|| find("*"))
    }

    /// The smallest size whose height and weight bounds both hold the buyer (the largest when
    /// none does), and how it compares with the size the buyer mentioned.
    pub(crate) fn advise(
        &self,
        product: Option<Label>,
        height_cm: u16,
        weight_jin: u16,
        mentioned: Option<Label>,
    ) -> Option<(Label, Fit)> {
        let rows = self.chart(product)?;
        let pick = rows
            .iter()
            .position(|r| height_cm <= r.height_cm.1 && weight_jin <= r.weight_jin.1)
            .unwrap_or(rows.len().checked_sub(1)?);
        let fit = match mentioned.and_then(|m| rows.iter().position(|r| r.size == m)) {
            Some(m) if pick > m => Fit::SizeUp,
            Some(m) if pick < m => Fit::SizeDown,
            _ => Fit::Fits,
        };
        Some((rows[pick].size, fit))
    }
}

/// The default intents the policy reasons about, resolved once per engine.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known {
    pub size_fit: Option<IntentId>,
    pub effect_doubt: Option<IntentId>,
    pub price_bargain: Option<IntentId>,
    pub price_protection: Option<IntentId>,
    pub product_info: Option<IntentId>,
    pub authenticity: Option<IntentId>,
    pub quality_issue: Option<IntentId>,
    pub complaint: Option<IntentId>,
    pub human_agent: Option<IntentId>,
    pub cancel_order: Option<IntentId>,
    pub refund_request: Option<IntentId>,
    pub return_exchange: Option<IntentId>,
    pub urge_shipping: Option<IntentId>,
    pub shipping_time: Option<IntentId>,
    pub logistics_status: Option<IntentId>,
}

impl Known {
    pub(crate) fn resolve(c: &Catalog) -> Known {
        Known {
            size_fit: c.id("size_fit"),
            effect_doubt: c.id("effect_doubt"),
            price_bargain: c.id("price_bargain"),
            price_protection: c.id("price_protection"),
            product_info: c.id("product_info"),
            authenticity: c.id("authenticity"),
            quality_issue: c.id("quality_issue"),
            complaint: c.id("complaint"),
            human_agent: c.id("human_agent"),
            cancel_order: c.id("cancel_order"),
            refund_request: c.id("refund_request"),
            return_exchange: c.id("return_exchange"),
            urge_shipping: c.id("urge_shipping"),
            shipping_time: c.id("shipping_time"),
            logistics_status: c.id("logistics_status"),
        }
    }

    fn is(id: IntentId, k: Option<IntentId>) -> bool {
        k == Some(id)
    }

    /// Updates the intent counters of `s` for a buyer message of intent `id`.
    pub(crate) fn count(&self, id: IntentId, s: &mut State) {
        let c = &mut s.counts;
        let bump = |n: &mut u8| *n = n.saturating_add(1);
        if Self::is(id, self.price_bargain) || Self::is(id, self.price_protection) {
            bump(&mut c.bargain);
        }
        if Self::is(id, self.product_info) || Self::is(id, self.authenticity) {
            bump(&mut c.quality);
        }
        if Self::is(id, self.size_fit) {
            bump(&mut c.size);
        }
        if Self::is(id, self.effect_doubt) {
            bump(&mut c.effect_doubt);
        }
        if Self::is(id, self.cancel_order)
            || Self::is(id, self.refund_request)
            || Self::is(id, self.return_exchange)
        {
            bump(&mut c.cancel_refund);
        }
        if Self::is(id, self.quality_issue) || Self::is(id, self.complaint) {
            bump(&mut c.complaint_or_defect);
        }
        if Self::is(id, self.quality_issue) {
            bump(&mut c.defect);
        }
        if Self::is(id, self.urge_shipping)
            || Self::is(id, self.shipping_time)
            || Self::is(id, self.logistics_status)
        {
            bump(&mut c.shipping);
        }
        if Self::is(id, self.urge_shipping) {
            bump(&mut c.urged);
        }
    }
}

/// Everything the policy reads about the current buyer message.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MessageView {
    pub intent: IntentId,
    pub confidence: f32,
    pub emotion: Emotion,
    pub intensity: f32,
    /// Whether this message gave a new height or weight.
    pub new_body: bool,
}

/// Compiled policy.
#[derive(Debug, Clone)]
pub(crate) struct Policy {
    pub params: PolicyParams,
    pub known: Known,
    pub sizes: SizeCharts,
    /// Matches the intercept words of `params.intercepts` (same order).
    pub intercepts: Option<Keywords>,
}

impl Policy {
    pub(crate) fn new(
        params: PolicyParams,
        known: Known,
        sizes: SizeCharts,
    ) -> Result<Policy, Error> {
        let words: Vec<&str> = params.intercepts.iter().map(|(w, _)| w.as_str()).collect();
        let intercepts = Keywords::new(&words)?;
        Ok(Policy { params, known, sizes, intercepts })
    }

    /// Actions for a buyer message (after risk is known).
    pub(crate) fn on_buyer_message(
        &self,
        catalog: &Catalog,
        now: u64,
        m: &MessageView,
        norm: &str,
        s: &mut State,
        d: &mut Decision,
    ) {
        let p = &self.params;
        let def = catalog.def(m.intent);

        // Route: every buyer message goes to its queue; urgency from the intent, raised for a
        // clearly negative buyer.
        let mut priority = def.priority;
        if m.emotion.is_negative() && m.intensity >= p.negative_route_intensity {
            priority = priority.max(Priority::High);
        }
        d.push("route.intent_queue", Action::Route { queue: def.queue, priority });

        self.hand_off(now, m, norm, s, d);

        if let Some(template) = def.template
            && m.confidence >= p.suggest_min_confidence
            && m.intent != catalog.other()
        {
            d.push("reply.template", Action::SuggestReply { intent: def.name, template });
        }

        if let (Some(h), Some(w)) = (s.height_cm, s.weight_jin)
            && (m.new_body || Known::is(m.intent, self.known.size_fit))
            && s.advised_for != Some((h, w))
        {
            let product = s.order.and_then(|o| o.product).or(s.product);
            if let Some((size, fit)) = self.sizes.advise(product, h, w, s.size_mentioned) {
                s.advised_for = Some((h, w));
                s.size_advised = true;
                d.push("size.chart", Action::AdviseSize { size, fit });
            }
        }

        self.tags(s, d);
    }

    fn hand_off(&self, now: u64, m: &MessageView, norm: &str, s: &mut State, d: &mut Decision) {
        let p = &self.params;
        let k = &self.known;
        let mut best: Option<(HandOffReason, Priority, &'static str)> = None;
        let mut consider = |r: HandOffReason, pr: Priority, rule: &'static str| {
            if best.is_none_or(|(_, bp, _)| pr > bp) {
                best = Some((r, pr, rule));
            }
        };
        if Known::is(m.intent, k.complaint) {
            consider(HandOffReason::Complaint, Priority::Urgent, "hand_off.complaint");
        }
        // Anger over the conversation: the trajectory's last point is this message.
        let (calm, escalating) = emotion_history(s, m, p);
        let anger_threshold = if calm {
            p.anger_calm_hand_off_intensity.max(p.anger_hand_off_intensity)
        } else {
            p.anger_hand_off_intensity
        };
        if m.emotion == Emotion::Anger && m.intensity >= anger_threshold {
            let pr = if m.intensity >= p.anger_urgent_intensity {
                Priority::Urgent
            } else {
                Priority::High
            };
            consider(HandOffReason::Anger, pr, "hand_off.anger");
        }
        if escalating {
            consider(HandOffReason::Anger, Priority::High, "hand_off.escalation");
        }
        if Known::is(m.intent, k.human_agent) {
            let pr = if m.emotion.is_negative() { Priority::High } else { Priority::Normal };
            consider(HandOffReason::Requested, pr, "hand_off.requested");
        }
        if let Some(o) = s.order
            && o.amount_fen >= p.high_value_fen
            && p.high_value_fen > 0
            && m.emotion.is_negative()
            && m.intensity >= p.high_value_negative_intensity
        {
            consider(HandOffReason::HighValue, Priority::High, "hand_off.high_value");
        }
        if s.unresolved >= p.unresolved_turns {
            consider(HandOffReason::Unresolved, Priority::High, "hand_off.unresolved");
        }
        if let Some(ac) = &self.intercepts {
            let mut hit = false;
            if s.intercept_counts.len() != p.intercepts.len() {
                s.intercept_counts.resize(p.intercepts.len(), 0);
            }
            for mt in ac.find_iter(norm) {
                let i = mt.pattern;
                let c = &mut s.intercept_counts[i];
                *c = c.saturating_add(1);
                hit |= *c == p.intercepts[i].1;
            }
            if hit {
                consider(HandOffReason::InterceptWord, Priority::High, "hand_off.intercept_word");
            }
        }
        let Some((reason, priority, rule)) = best else { return };
        // Cooldown: one hand-off per window unless the new one is more urgent.
        if let Some((at, _, prev)) = s.last_hand_off
            && now.saturating_sub(at) < p.hand_off_cooldown_ms
            && priority <= prev
        {
            return;
        }
        s.last_hand_off = Some((now, reason, priority));
        d.push(rule, Action::HandOff { reason, priority });
    }

    fn tags(&self, s: &mut State, d: &mut Decision) {
        let p = &self.params;
        let c = s.counts;
        let candidates = [
            (Tag::PriceSensitive, c.bargain >= p.tag_price_count, "tag.price_sensitive"),
            (Tag::QualityFocused, c.quality >= p.tag_quality_count, "tag.quality_focused"),
            (
                Tag::SizeAnxious,
                c.size >= p.tag_size_count
                    || (c.size >= 1
                        && s.page_views[Page::SizeChart.index()] >= u16::from(p.tag_size_count)),
                "tag.size_anxious",
            ),
        ];
        for (tag, hit, rule) in candidates {
            if hit && !s.has_tag(tag) {
                s.set_tag(tag);
                d.push(rule, Action::Tag { tag });
            }
        }
    }

    /// Tags that order events reveal (impulse, VIP).
    pub(crate) fn on_paid(&self, now: u64, amount_fen: u64, s: &mut State, d: &mut Decision) {
        let p = &self.params;
        // Arrival is the live-room entry or the session's first event; when the payment itself
        // is the first event, nothing shows how long the buyer deliberated.
        let arrived = s.page_open_at_ms[Page::LiveRoom.index()].or(s.first_at_ms).unwrap_or(now);
        let deliberated = s.events > 1 && arrived < now;
        if deliberated && now - arrived <= p.impulse_paid_within_ms && !s.has_tag(Tag::ImpulseBuyer)
        {
            s.set_tag(Tag::ImpulseBuyer);
            d.push("tag.impulse_buyer", Action::Tag { tag: Tag::ImpulseBuyer });
        }
        if p.vip_fen > 0 && amount_fen >= p.vip_fen && !s.has_tag(Tag::Vip) {
            s.set_tag(Tag::Vip);
            d.push("tag.vip", Action::Tag { tag: Tag::Vip });
        }
    }

    /// Retention, for any event, once risk is known: when risk crosses the outreach threshold
    /// (from below, so a buyer who stays risky is not offered something at every event), or on
    /// a return-policy view that is not the first inside the window after paying.
    /// `policy_reopened` is true when this event is such a view.
    pub(crate) fn retain(
        &self,
        now: u64,
        risk: &Risk,
        policy_reopened: bool,
        s: &mut State,
        d: &mut Decision,
    ) {
        let p = &self.params;
        let crossed = s.last_risk < p.retain_risk && risk.probability >= p.retain_risk;
        s.last_risk = risk.probability;
        s.peak_risk = s.peak_risk.max(risk.probability);
        let Some(order) = s.order.as_mut() else { return };
        if !order.at_stake() {
            return;
        }
        order.peak_risk = order.peak_risk.max(risk.probability);
        if order.retains >= p.retain_budget_per_order {
            return;
        }
        let in_window =
            order.paid_at_ms.is_some_and(|paid| now.saturating_sub(paid) <= p.retain_window_ms);
        let trigger = if policy_reopened && in_window {
            RetainTrigger::ReturnPolicyRepeat
        } else if crossed {
            RetainTrigger::RiskThreshold
        } else {
            return;
        };
        if s.last_retain_ms.is_some_and(|at| now.saturating_sub(at) < p.retain_cooldown_ms) {
            return;
        }
        order.retains += 1;
        s.last_retain_ms = Some(now);
        let offer = offer_for(risk, p.retain_min_factor, s.counts.defect > 0, s.counts.urged > 0);
        let rule = match trigger {
            RetainTrigger::ReturnPolicyRepeat => "retain.return_policy_repeat",
            RetainTrigger::RiskThreshold => "retain.risk_threshold",
        };
        d.push(rule, Action::Retain { offer, trigger });
    }

    /// Follow-ups, `follow_up_delay_ms` (7 days) after the event that calls this: a care
    /// message once a risky order (its peak risk while at stake reached `follow_up_risk`) has
    /// ended without refund — delivered, no refund open or made, not cancelled — and a
    /// repurchase offer after a happy rating. Each at most once.
    pub(crate) fn follow_up(&self, now: u64, kind: FollowUpKind, s: &mut State, d: &mut Decision) {
        let p = &self.params;
        let at_ms = now.saturating_add(p.follow_up_delay_ms);
        match kind {
            FollowUpKind::Care => {
                let Some(o) = s.order.as_mut() else { return };
                if o.peak_risk >= p.follow_up_risk && o.ended_kept() && !o.follow_up_care {
                    o.follow_up_care = true;
                    d.push("follow_up.care", Action::FollowUp { at_ms, kind });
                }
            }
            FollowUpKind::Repurchase => {
                if !s.repurchase_sent {
                    s.repurchase_sent = true;
                    d.push("follow_up.repurchase", Action::FollowUp { at_ms, kind });
                }
            }
        }
    }
}

/// The offer follows the strongest actionable risk factor: a size question gets size help, a
/// doubt about effect or a defect report gets proof, slow answers, a stalled parcel or urging
/// get a shipping promise; otherwise a coupon (or a shipping promise when the buyer has urged
/// shipping, however weakly that weighs). A complaint alone is not answered with proof: it may
/// be about anything.
fn offer_for(risk: &Risk, min: f32, defect: bool, urged: bool) -> Offer {
    for (f, c) in risk.top_factors(Factor::COUNT) {
        if c < min {
            break;
        }
        match f {
            Factor::SizeUncertain => return Offer::SizeHelp,
            Factor::EffectDoubt => return Offer::QualityProof,
            Factor::QualityComplaint if defect => return Offer::QualityProof,
            Factor::SlowResponse | Factor::LogisticsStalled | Factor::UrgedShipping => {
                return Offer::ShippingPromise;
            }
            _ => {}
        }
    }
    if urged { Offer::ShippingPromise } else { Offer::Coupon }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> SizeCharts {
        SizeCharts::parse(&[(
            "sizes",
            "#format size_chart v1\n*\tS\t150\t160\t80\t100\n*\tM\t158\t166\t95\t115\n*\tL\t164\t172\t110\t130\n*\tXL\t170\t180\t125\t150\n",
        )])
        .unwrap()
    }

    #[test]
    fn size_advice_takes_the_smallest_size_that_holds_both() {
        let c = chart();
        let l = |s: &str| Label::new(s);
        assert_eq!(c.advise(None, 165, 120, None), Some((l("L").unwrap(), Fit::Fits)));
        assert_eq!(c.advise(None, 165, 120, l("M")), Some((l("L").unwrap(), Fit::SizeUp)));
        assert_eq!(c.advise(None, 155, 90, l("M")), Some((l("S").unwrap(), Fit::SizeDown)));
        assert_eq!(c.advise(None, 190, 200, None), Some((l("XL").unwrap(), Fit::Fits)));
    }

    #[test]
    fn bad_policy_values_name_the_line() {
        let e = PolicyParams::parse(&[("p.tsv", "#format policy v1\nretain_risk\t1.5\n")])
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("p.tsv:2:") && e.contains("retain_risk"), "{e}");
        let e = PolicyParams::parse(&[("p.tsv", "#format policy v1\nretain_rsk\t0.5\n")])
            .unwrap_err()
            .to_string();
        assert!(e.contains("unknown policy key `retain_rsk`"), "{e}");
    }

    #[test]
    fn offer_follows_the_top_actionable_factor() {
        let mut r = Risk::default();
        r.contributions[Factor::ReturnPolicyRepeat.index()] = 2.0;
        r.contributions[Factor::SizeUncertain.index()] = 0.6;
        assert_eq!(offer_for(&r, 0.3, false, false), Offer::SizeHelp);
        r.contributions[Factor::EffectDoubt.index()] = 0.8;
        assert_eq!(offer_for(&r, 0.3, false, false), Offer::QualityProof);
        assert_eq!(offer_for(&Risk::default(), 0.3, false, false), Offer::Coupon);
        assert_eq!(offer_for(&Risk::default(), 0.3, false, true), Offer::ShippingPromise);
        let mut c = Risk::default();
        c.contributions[Factor::QualityComplaint.index()] = 1.2;
        c.contributions[Factor::LogisticsStalled.index()] = 0.7;
        assert_eq!(
            offer_for(&c, 0.3, false, false),
            Offer::ShippingPromise,
            "a complaint about a late parcel"
        );
        assert_eq!(offer_for(&c, 0.3, true, false), Offer::QualityProof, "a defect report");
        let mut u = Risk::default();
        u.contributions[Factor::UrgedShipping.index()] = 0.5;
        u.contributions[Factor::GoldenWindow.index()] = 0.35;
        assert_eq!(offer_for(&u, 0.3, false, true), Offer::ShippingPromise, "urging");
    }
}
