//! Stage 5: the session's rolling state — counters, timers, open order facts — and the risk
//! feature vector derived from it. Every update is O(1) and the state is bounded.

use serde::{Deserialize, Serialize};

use crate::action::{HandOffReason, Priority, Tag};
use crate::decision::{EmotionScore, Factor};
use crate::event::{Page, Speaker};
use crate::id::{IntentId, Label, OrderId};
use crate::pipeline::policy::PolicyParams;

/// Turns kept for [`Session::brief`](crate::Session::brief).
pub(crate) const TURNS_KEPT: usize = 6;
/// Bytes of each kept turn's text.
pub(crate) const TURN_TEXT_BYTES: usize = 120;
/// Intents and emotions kept for the brief's paths.
pub(crate) const PATH_KEPT: usize = 8;
/// Recent buyer messages remembered (as hashes) to spot repeated questions.
pub(crate) const HASHES_KEPT: usize = 8;

/// A bounded ring of small `Copy` values kept inline, oldest first: pushing onto a full ring
/// drops the oldest. It never allocates, and its slice is contiguous (the values shift down,
/// which costs nothing at these sizes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Ring<T: Copy + Default, const N: usize> {
    items: [T; N],
    len: u8,
}

impl<T: Copy + Default, const N: usize> Default for Ring<T, N> {
    fn default() -> Self {
        Ring { items: [T::default(); N], len: 0 }
    }
}

impl<T: Copy + Default, const N: usize> Ring<T, N> {
    /// The kept values, oldest first.
    pub(crate) fn as_slice(&self) -> &[T] {
        &self.items[..usize::from(self.len)]
    }

    pub(crate) fn iter(&self) -> std::slice::Iter<'_, T> {
        self.as_slice().iter()
    }

    pub(crate) fn len(&self) -> usize {
        usize::from(self.len)
    }

    pub(crate) fn push(&mut self, v: T) {
        let n = usize::from(self.len);
        if n >= N {
            self.items.copy_within(1.., 0);
            self.items[N - 1] = v;
        } else {
            self.items[n] = v;
            self.len += 1;
        }
    }
}

/// One chat turn kept for the brief; its text is a range of [`Turns::text`].
#[derive(Debug, Clone, Copy, PartialEq)]
struct TurnMeta {
    at_ms: u64,
    /// Bytes of text (at most [`TURN_TEXT_BYTES`], a little more for restored masked text).
    len: u16,
    from: Speaker,
}

impl Default for TurnMeta {
    fn default() -> Self {
        TurnMeta { at_ms: 0, len: 0, from: Speaker::Buyer }
    }
}

/// The last [`TURNS_KEPT`] chat turns: their times and speakers inline, their texts end to end
/// in one string, sized to what it held at most (one allocation per session instead of one per
/// turn plus the ring's own).
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Turns {
    meta: Ring<TurnMeta, TURNS_KEPT>,
    text: String,
}

impl Turns {
    pub(crate) fn len(&self) -> usize {
        self.meta.len()
    }

    /// `(at_ms, from, text)` of each kept turn, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (u64, Speaker, &str)> + '_ {
        let mut start = 0;
        self.meta.iter().map(move |m| {
            let end = start + usize::from(m.len);
            // Every range ends on a char boundary: texts are pushed whole.
            let text = self.text.get(start..end).unwrap_or_default();
            start = end;
            (m.at_ms, m.from, text)
        })
    }

    /// Keeps `text` whole (the caller cuts it to its bound), dropping the oldest turn when
    /// full. Allocates only when the texts together are longer than ever before.
    pub(crate) fn push(&mut self, at_ms: u64, from: Speaker, text: &str) {
        let len = text.len().min(usize::from(u16::MAX));
        let text = text.get(..len).unwrap_or_default();
        if self.meta.len() >= TURNS_KEPT
            && let Some(oldest) = self.meta.as_slice().first()
        {
            self.text.drain(..usize::from(oldest.len));
        }
        if self.text.capacity() < self.text.len() + text.len() {
            self.text.reserve_exact(text.len());
        }
        self.text.push_str(text);
        self.meta.push(TurnMeta { at_ms, len: text.len() as u16, from });
    }
}

/// One point of the emotion trajectory (the brief shows it; the policy reads it for
/// escalation).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct EmotionPoint {
    pub label: crate::decision::Emotion,
    pub valence: f32,
    pub intensity: f32,
}

impl Default for EmotionPoint {
    fn default() -> Self {
        EmotionPoint { label: crate::decision::Emotion::Neutral, valence: 0.0, intensity: 0.0 }
    }
}

/// Facts about the buyer's current order.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct OrderFacts {
    #[serde(skip_serializing_if = "is_default")]
    pub id: OrderId,
    #[serde(skip_serializing_if = "is_default")]
    pub product: Option<Label>,
    #[serde(skip_serializing_if = "is_default")]
    pub amount_fen: u64,
    #[serde(skip_serializing_if = "is_default")]
    pub created_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    pub paid_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    pub shipped_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    pub delivered_at_ms: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    pub cancelled: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub refund_requested: bool,
    #[serde(skip_serializing_if = "is_default")]
    pub refunded: bool,
    /// Retention offers made for this order (the per-order budget).
    #[serde(skip_serializing_if = "is_default")]
    pub retains: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub follow_up_care: bool,
    /// Highest refund risk seen while the order was at stake (decides the care follow-up).
    #[serde(skip_serializing_if = "is_default")]
    pub peak_risk: f32,
}

impl OrderFacts {
    /// Paid and neither cancelled nor refunded: an order that can still be lost.
    pub(crate) fn at_stake(&self) -> bool {
        self.paid_at_ms.is_some() && !self.cancelled && !self.refund_requested && !self.refunded
    }

    /// Delivered and kept: no refund open or made, not cancelled. A risky order that ends this
    /// way earns a care follow-up.
    pub(crate) fn ended_kept(&self) -> bool {
        self.delivered_at_ms.is_some()
            && !self.cancelled
            && !self.refund_requested
            && !self.refunded
    }
}

/// Counts of intent kinds the policy and the risk model care about.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct IntentCounts {
    #[serde(skip_serializing_if = "is_default")]
    pub bargain: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub quality: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub size: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub effect_doubt: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub cancel_refund: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub complaint_or_defect: u8,
    /// Defect reports alone (quality_issue), which a quality proof can answer.
    #[serde(skip_serializing_if = "is_default")]
    pub defect: u8,
    #[serde(skip_serializing_if = "is_default")]
    pub shipping: u8,
    /// Urging alone (urge_shipping): a late parcel pressing on the buyer.
    #[serde(skip_serializing_if = "is_default")]
    pub urged: u8,
}

/// One buyer's whole rolling state: what a snapshot carries (in the form of
/// [`Snapshot`](crate::Snapshot)). Recent turns, hashes, intents and emotions are kept in
/// inline rings; only the turn texts live on the heap.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct State {
    pub first_at_ms: Option<u64>,
    pub last_at_ms: u64,
    pub events: u64,

    // Chat.
    pub messages: u32,
    pub buyer_messages: u32,
    /// Buyer turns in a row with no agent reply or `resolved` in between.
    pub unresolved: u16,
    pub repeated_questions: u16,
    /// Time of the oldest buyer message still waiting for an agent.
    pub waiting_since_ms: Option<u64>,
    pub last_latency_ms: Option<u64>,
    pub max_latency_ms: u64,
    /// Hashes of the recent buyer messages ([`question_hash`]).
    pub recent_hashes: Ring<u32, HASHES_KEPT>,
    pub turns: Turns,
    pub intent_path: Ring<IntentId, PATH_KEPT>,
    pub counts: IntentCounts,
    pub trajectory: Ring<EmotionPoint, PATH_KEPT>,
    /// Negative and positive emotion levels, decaying over buyer turns.
    pub negative: f32,
    pub positive: f32,

    // Order and behaviour.
    pub order: Option<OrderFacts>,
    pub page_views: [u16; Page::COUNT],
    pub page_open_at_ms: [Option<u64>; Page::COUNT],
    pub long_dwells: u16,
    pub switches: u16,
    pub last_browse: Option<Page>,
    pub logistics_stalled: bool,
    pub offers_accepted: u16,
    pub resolved: u16,

    /// The product last viewed (product page or size chart), for picking a size chart.
    pub product: Option<Label>,

    // Size.
    pub height_cm: Option<u16>,
    pub weight_jin: Option<u16>,
    pub size_mentioned: Option<Label>,
    pub size_advised: bool,
    /// The (height, weight) the last size advice was for.
    pub advised_for: Option<(u16, u16)>,

    // Policy memory.
    pub tags: u8,
    pub last_hand_off: Option<(u64, HandOffReason, Priority)>,
    pub last_retain_ms: Option<u64>,
    pub peak_risk: f32,
    /// Risk after the previous event, to see the outreach threshold being crossed.
    pub last_risk: f32,
    pub repurchase_sent: bool,
    pub intercept_counts: Vec<u16>,
}

impl State {
    pub(crate) fn has_tag(&self, t: Tag) -> bool {
        self.tags & (1 << t as u8) != 0
    }

    pub(crate) fn set_tag(&mut self, t: Tag) {
        self.tags |= 1 << t as u8;
    }

    /// Advances the session clock; returns the effective time and whether `at_ms` went back.
    pub(crate) fn tick(&mut self, at_ms: u64) -> (u64, bool) {
        self.events = self.events.saturating_add(1);
        if self.first_at_ms.is_none() {
            self.first_at_ms = Some(at_ms);
            self.last_at_ms = at_ms;
            return (at_ms, false);
        }
        if at_ms < self.last_at_ms {
            (self.last_at_ms, true)
        } else {
            self.last_at_ms = at_ms;
            (at_ms, false)
        }
    }

    /// Records a chat message (text already normalised for buyers, raw for others).
    pub(crate) fn on_message(&mut self, now: u64, from: Speaker, raw: &str) {
        self.messages = self.messages.saturating_add(1);
        match from {
            Speaker::Buyer => {
                self.buyer_messages = self.buyer_messages.saturating_add(1);
                self.unresolved = self.unresolved.saturating_add(1);
                self.waiting_since_ms.get_or_insert(now);
            }
            Speaker::Agent => {
                self.unresolved = 0;
                if let Some(since) = self.waiting_since_ms.take() {
                    let latency = now.saturating_sub(since);
                    self.last_latency_ms = Some(latency);
                    self.max_latency_ms = self.max_latency_ms.max(latency);
                }
            }
            // A bot answers nothing: the buyer is still waiting for a person.
            Speaker::Bot => {}
        }
        let mut end = raw.len().min(TURN_TEXT_BYTES);
        while !raw.is_char_boundary(end) {
            end -= 1;
        }
        self.turns.push(now, from, &raw[..end]);
    }

    /// Remembers a buyer message by hash; returns whether it repeats a recent one.
    pub(crate) fn note_question(&mut self, hash: u32) -> bool {
        let repeated = self.recent_hashes.as_slice().contains(&hash);
        if repeated {
            self.repeated_questions = self.repeated_questions.saturating_add(1);
        }
        self.recent_hashes.push(hash);
        repeated
    }

    pub(crate) fn note_intent(&mut self, id: IntentId) {
        self.intent_path.push(id);
    }

    pub(crate) fn note_emotion(&mut self, e: &EmotionScore) {
        // Only a message whose dominant emotion is negative (or satisfied) moves the levels: a
        // neutral question with a faint negative cue is not an unhappy buyer.
        let neg = if e.label.is_negative() { e.intensity.max(-e.valence).min(1.0) } else { 0.0 };
        let pos = if e.label == crate::decision::Emotion::Satisfaction {
            e.intensity.max(e.valence).min(1.0)
        } else {
            0.0
        };
        // Decay per buyer turn: a calm message halves the memory of an earlier outburst.
        self.negative = (self.negative * 0.5).max(neg);
        self.positive = (self.positive * 0.5).max(pos);
        self.trajectory.push(EmotionPoint {
            label: e.label,
            valence: e.valence,
            intensity: e.intensity,
        });
    }

    pub(crate) fn resolve(&mut self) {
        self.unresolved = 0;
        self.waiting_since_ms = None;
        self.resolved = self.resolved.saturating_add(1);
    }

    /// A page view; returns whether it was a product page <-> live room switch.
    pub(crate) fn on_page_view(&mut self, now: u64, page: Page) -> bool {
        let i = page.index();
        self.page_views[i] = self.page_views[i].saturating_add(1);
        self.page_open_at_ms[i] = Some(now);
        let mut switched = false;
        if matches!(page, Page::ProductPage | Page::LiveRoom) {
            if let Some(prev) = self.last_browse
                && prev != page
            {
                self.switches = self.switches.saturating_add(1);
                switched = true;
            }
            self.last_browse = Some(page);
        }
        switched
    }

    /// A page leave; `None` when the page was never opened (the event is ignored).
    pub(crate) fn on_page_leave(
        &mut self,
        now: u64,
        page: Page,
        long_dwell_ms: u64,
    ) -> Option<u64> {
        let opened = self.page_open_at_ms[page.index()].take()?;
        let dwell = now.saturating_sub(opened);
        if dwell > long_dwell_ms && matches!(page, Page::OrderDetail | Page::ReturnPolicy) {
            self.long_dwells = self.long_dwells.saturating_add(1);
        }
        Some(dwell)
    }

    /// The order this event is about, created if the session has none or a different one.
    pub(crate) fn order_mut(&mut self, id: OrderId) -> &mut OrderFacts {
        let keep = matches!(self.order, Some(o) if o.id == id);
        if !keep {
            // Size advice given before the first order is advice for that order; a later,
            // different order needs its own.
            if self.order.is_some() {
                self.size_advised = false;
            }
            self.order = Some(OrderFacts { id, ..OrderFacts::default() });
        }
        // Just set above when absent.
        self.order.get_or_insert_with(OrderFacts::default)
    }

    /// Why a restored state cannot be a session's, if it cannot: scores outside their ranges
    /// or times after the last event (a snapshot edited or corrupted in storage). The rings
    /// are bounded by their types; the snapshot reader checks lengths before filling them.
    pub(crate) fn invalid(&self) -> Option<String> {
        let unit = |x: f32| (0.0..=1.0).contains(&x);
        let past = |t: Option<u64>| t.is_none_or(|t| t <= self.last_at_ms);
        let order_times = self.order.is_none_or(|o| {
            [o.created_at_ms, o.paid_at_ms, o.shipped_at_ms, o.delivered_at_ms]
                .into_iter()
                .all(past)
        });
        let checks = [
            (
                self.turns.iter().all(|(_, _, t)| t.len() <= 4 * TURN_TEXT_BYTES),
                "a turn text too long",
            ),
            (self.intercept_counts.len() <= u16::MAX as usize, "too many intercept counts"),
            (
                unit(self.negative)
                    && unit(self.positive)
                    && unit(self.peak_risk)
                    && unit(self.last_risk)
                    && self.order.is_none_or(|o| unit(o.peak_risk)),
                "a score outside [0, 1]",
            ),
            (
                self.trajectory
                    .iter()
                    .all(|p| (-1.0..=1.0).contains(&p.valence) && unit(p.intensity)),
                "an emotion outside its range",
            ),
            (
                past(self.first_at_ms)
                    && past(self.waiting_since_ms)
                    && past(self.last_retain_ms)
                    && past(self.last_hand_off.map(|h| h.0))
                    && self.page_open_at_ms.into_iter().all(past)
                    && self.turns.iter().all(|(at, _, _)| at <= self.last_at_ms)
                    && order_times,
                "a time after the last event",
            ),
        ];
        checks.iter().find(|(ok, _)| !ok).map(|(_, why)| (*why).to_owned())
    }

    /// The risk features at time `now` (index by [`Factor::index`]). O(1), allocation-free: a
    /// fixed array from fixed-size counters. A page of order detail or return policy still open
    /// for longer than the long-dwell threshold counts as a long dwell already, so a buyer who
    /// reads the return policy for minutes is seen before leaving it.
    pub(crate) fn features(&self, now: u64, p: &PolicyParams) -> [f32; Factor::COUNT] {
        let mut x = [0.0f32; Factor::COUNT];
        let mut set = |f: Factor, v: f32| x[f.index()] = v;
        if let Some(o) = &self.order {
            if let Some(paid) = o.paid_at_ms {
                let since = now.saturating_sub(paid);
                set(Factor::GoldenWindow, f32::from(since <= p.golden_window_ms));
                set(Factor::EarlyWindow, f32::from(since <= p.early_window_ms));
            }
            if o.amount_fen > 0 {
                // ln(amount / 100 CNY), clamped: cheap and luxury orders saturate.
                let yuan = o.amount_fen as f32 / 100.0;
                set(Factor::OrderAmount, (yuan / 100.0).ln().clamp(-2.0, 3.0));
            }
        }
        let views = |pg: Page| f32::from(self.page_views[pg.index()]);
        set(Factor::OrderDetailViews, (views(Page::OrderDetail) - 1.0).clamp(0.0, 5.0));
        set(Factor::ReturnPolicyOpened, views(Page::ReturnPolicy).min(1.0));
        set(Factor::ReturnPolicyRepeat, (views(Page::ReturnPolicy) - 1.0).clamp(0.0, 3.0));
        set(Factor::PageSwitches, f32::from(self.switches).min(6.0));
        let open_long = [Page::OrderDetail, Page::ReturnPolicy]
            .into_iter()
            .filter(|pg| {
                self.page_open_at_ms[pg.index()]
                    .is_some_and(|at| now.saturating_sub(at) > p.long_dwell_ms)
            })
            .count() as f32;
        set(Factor::LongDwell, (f32::from(self.long_dwells) + open_long).min(3.0));
        set(Factor::EffectDoubt, f32::from(self.counts.effect_doubt > 0));
        set(Factor::SizeUncertain, f32::from(self.counts.size > 0 && !self.size_advised));
        set(Factor::SizeAdviceGiven, f32::from(self.size_advised));
        set(Factor::NegativeEmotion, self.negative);
        set(Factor::PositiveEmotion, self.positive);
        let waiting = self.waiting_since_ms.map_or(0, |s| now.saturating_sub(s));
        let slow = self.last_latency_ms.unwrap_or(0).max(waiting) > p.slow_response_ms;
        set(Factor::SlowResponse, f32::from(slow));
        set(Factor::LogisticsStalled, f32::from(self.logistics_stalled));
        set(Factor::UrgedShipping, f32::from(self.counts.urged > 0));
        set(Factor::CancelRefundIntent, f32::from(self.counts.cancel_refund > 0));
        set(Factor::QualityComplaint, f32::from(self.counts.complaint_or_defect > 0));
        set(Factor::OfferAccepted, f32::from(self.offers_accepted).min(1.0));
        set(Factor::Resolved, f32::from(self.resolved).min(2.0));
        x
    }
}

/// Snapshots leave out fields at their default (and read them back as defaults), which keeps
/// them small and lets a later version add fields that older snapshots simply lack.
pub(crate) fn is_default<T: Default + PartialEq>(x: &T) -> bool {
    *x == T::default()
}

/// FNV-1a over the characters that carry content (punctuation, spaces and emoji ignored), so
/// `发货了吗？` and `发货了吗` count as the same question.
/// Folded to 32 bits ([`fold_hash`]): eight kept hashes collide by chance about once in 500
/// million questions.
pub(crate) fn question_hash(norm: &str) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    // The UTF-8 bytes of every content character, read from the text itself.
    for (i, c) in norm.char_indices().filter(|&(_, c)| content_char(c)) {
        for &x in &norm.as_bytes()[i..i + c.len_utf8()] {
            h ^= u64::from(x);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fold_hash(h)
}

/// [`char::is_alphanumeric`], answered without the Unicode table search for the characters
/// most messages are made of: ASCII and the CJK Unified Ideographs block (all letters; tested).
#[inline]
fn content_char(c: char) -> bool {
    match c {
        '\0'..='\x7f' => c.is_ascii_alphanumeric(),
        '\u{4e00}'..='\u{9fff}' => true,
        _ => c.is_alphanumeric(),
    }
}

/// A 64-bit FNV hash folded to 32 bits (how snapshots of versions 1 and 2, which kept the 64
/// bits, are read).
pub(crate) fn fold_hash(h: u64) -> u32 {
    (h ^ (h >> 32)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path of `question_hash` agrees with `char::is_alphanumeric` everywhere.
    #[test]
    fn content_char_is_alphanumeric() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(content_char(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    #[test]
    fn bot_replies_do_not_resolve_agent_replies_do() {
        let mut s = State::default();
        s.on_message(0, Speaker::Buyer, "在吗");
        s.on_message(1_000, Speaker::Bot, "您好");
        s.on_message(2_000, Speaker::Buyer, "在吗？");
        assert_eq!(s.unresolved, 2);
        s.on_message(40_000, Speaker::Agent, "在的");
        assert_eq!(s.unresolved, 0);
        assert_eq!(s.last_latency_ms, Some(40_000), "latency runs from the first waiting turn");
    }

    #[test]
    fn turns_and_paths_stay_bounded() {
        let mut s = State::default();
        for i in 0..1000 {
            s.on_message(i, Speaker::Buyer, &"长".repeat(500));
            s.note_question(i as u32);
            s.note_intent(IntentId(0));
        }
        assert_eq!(s.turns.len(), TURNS_KEPT);
        assert!(s.turns.iter().all(|(_, _, t)| t.len() <= TURN_TEXT_BYTES));
        assert_eq!(s.recent_hashes.len(), HASHES_KEPT);
        assert_eq!(s.intent_path.len(), PATH_KEPT);
    }

    #[test]
    fn repeated_question_ignores_punctuation() {
        assert_eq!(question_hash("发货了吗？？"), question_hash("发货了吗"));
        assert_ne!(question_hash("发货了吗"), question_hash("到货了吗"));
    }

    /// Snapshots keep these hashes: the value of a message must never change. FNV-1a 64 over
    /// the UTF-8 bytes of the content characters, folded to 32 bits.
    #[test]
    fn question_hash_is_fnv_of_the_content_bytes() {
        fn reference(norm: &str) -> u32 {
            let bytes: Vec<u8> =
                norm.chars().filter(|&c| content_char(c)).collect::<String>().into_bytes();
            let mut h: u64 = 0xcbf2_9ce4_8422_2325;
            for x in bytes {
                h = (h ^ u64::from(x)).wrapping_mul(0x0100_0000_01b3);
            }
            fold_hash(h)
        }
        for t in ["", "发货了吗？？", "ab12 é😡退款！", "   ", "①②③ⅷ", "在吗在吗"]
        {
            assert_eq!(question_hash(t), reference(t), "{t:?}");
        }
        assert_eq!(question_hash("发货了吗"), 0x2eaa_8a83);
    }

    #[test]
    fn dwell_needs_a_view_and_counts_long_stays() {
        let mut s = State::default();
        assert_eq!(s.on_page_leave(10, Page::ReturnPolicy, 90_000), None);
        s.on_page_view(0, Page::ReturnPolicy);
        assert_eq!(s.on_page_leave(95_000, Page::ReturnPolicy, 90_000), Some(95_000));
        assert_eq!(s.long_dwells, 1);
    }

    #[cfg(feature = "default-data")]
    #[test]
    fn a_long_stay_counts_before_the_page_is_left() {
        let p = PolicyParams::parse(&[("policy.tsv", crate::data::embedded::POLICY)]).unwrap();
        let mut s = State::default();
        s.on_page_view(0, Page::ReturnPolicy);
        assert_eq!(s.features(60_000, &p)[Factor::LongDwell.index()], 0.0);
        assert_eq!(s.features(95_000, &p)[Factor::LongDwell.index()], 1.0);
        s.on_page_leave(96_000, Page::ReturnPolicy, p.long_dwell_ms);
        assert_eq!(s.features(200_000, &p)[Factor::LongDwell.index()], 1.0, "counted once");
    }

    #[test]
    fn product_live_switches_are_counted() {
        let mut s = State::default();
        assert!(!s.on_page_view(0, Page::ProductPage));
        assert!(s.on_page_view(1, Page::LiveRoom));
        assert!(!s.on_page_view(2, Page::Reviews));
        assert!(s.on_page_view(3, Page::ProductPage));
        assert_eq!(s.switches, 2);
    }
}
