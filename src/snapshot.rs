//! [`Snapshot`]: a session's state in storable form, and the readers of every older format.

use serde::{Deserialize, Serialize};

use crate::action::{HandOffReason, Priority};
use crate::decision::Emotion;
use crate::engine::Engine;
use crate::error::Error;
use crate::event::{Page, Speaker};
use crate::id::{IntentId, Label, OrderId};
use crate::pipeline::features::{
    EmotionPoint, HASHES_KEPT, IntentCounts, OrderFacts, PATH_KEPT, State, TURNS_KEPT, fold_hash,
    is_default,
};

/// The snapshot format this build writes. It reads this one and every older one:
///
/// | version | what changed |
/// |---|---|
/// | 1 | first format: `version` and `state` |
/// | 2 | adds `check`, a checksum of the state, so a snapshot altered in storage is refused |
/// | 3 | the state moves to `session`, in a compact form: times relative to the last event, turns and emotions as arrays, 32-bit question hashes, no emotion times |
pub const SNAPSHOT_VERSION: u32 = 3;

/// The oldest snapshot format this build restores.
pub const SNAPSHOT_OLDEST: u32 = 1;

/// A session's state, for storing it and continuing on any node with [`Engine::restore`].
///
/// Serialize it with serde in any self-describing format (JSON, CBOR, MessagePack…). It
/// carries a format version ([`SNAPSHOT_VERSION`]) and a checksum of the state (`check`), so a
/// snapshot that was truncated, corrupted or edited in storage is refused by
/// [`Engine::restore`] instead of restoring a different session. The kept chat turns are
/// stored masked, so a snapshot holds no phone numbers, ID cards, bank cards, e-mails or
/// street addresses. A fresh session is `{"version":3,"check":…,"session":{}}`.
///
/// # Version 3 format
///
/// `session` is an object whose fields are left out at their default (zero, false, empty,
/// absent). Times are milliseconds: `at_ms` is the session clock (the latest event time seen)
/// and every other time is written as how long before `at_ms` it was (`…_ago`), which keeps
/// the numbers short.
///
/// | field | what |
/// |---|---|
/// | `at_ms` | latest event time |
/// | `first_ago` | the first event |
/// | `events`, `messages`, `buyer_messages` | counts |
/// | `unresolved` | buyer turns in a row without a human answer |
/// | `repeated_questions` | buyer messages that repeated a recent one |
/// | `waiting_ago` | the oldest buyer message still waiting for an agent |
/// | `last_latency_ms`, `max_latency_ms` | the shop's response latency |
/// | `questions` | 32-bit hashes of the last 8 buyer messages, oldest first |
/// | `turns` | the last 6 chat turns, oldest first, each `[ago, from, text]` (text masked) |
/// | `intents` | intents of the last 8 buyer messages, oldest first (names) |
/// | `counts` | how often each intent kind the policy and risk model care about was asked |
/// | `emotions` | the last 8 buyer emotions, oldest first, each `[label, valence, intensity]` |
/// | `negative`, `positive` | emotion levels, decaying over buyer turns |
/// | `order` | the current order: `id`, `product`, `amount_fen`, `created_ago`, `paid_ago`, `shipped_ago`, `delivered_ago`, `cancelled`, `refund_requested`, `refunded`, `retains`, `follow_up_care`, `peak_risk` |
/// | `page_views` | views per [`Page`], in [`Page::ALL`] order |
/// | `open_pages` | pages viewed and not left yet, each `[page, ago]` |
/// | `long_dwells`, `switches`, `last_browse` | dwell and product page / live room switching |
/// | `logistics_stalled`, `offers_accepted`, `resolved` | order and feedback facts |
/// | `product` | the product last viewed |
/// | `height_cm`, `weight_jin`, `size_mentioned`, `size_advised`, `advised_for` | size facts |
/// | `tags` | earned [`Tag`](crate::Tag)s, one bit each in declaration order |
/// | `last_hand_off` | `[ago, reason, priority]` of the last hand-off |
/// | `last_retain_ago` | the last retention offer |
/// | `peak_risk`, `last_risk` | refund risk: highest, and after the last event |
/// | `repurchase_sent` | whether the repurchase follow-up went out |
/// | `intercept_counts` | hits of each merchant intercept word |
///
/// Keep the checksum's number exact (a JSON number below 2³²: every store keeps it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Snapshot {
    /// Format version.
    pub version: u32,
    /// Checksum of the state (version 2 on); absent in version 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) check: Option<u32>,
    /// The state of versions 1 and 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) state: Option<legacy::State>,
    /// The state of version 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) session: Option<Saved>,
}

/// The checksum of a state: FNV-1a over its JSON form, folded to 32 bits (a JSON number
/// every store keeps exactly). The JSON form leaves out fields at their default, so a field
/// added in a later build does not change the checksum of older snapshots.
fn checksum<T: Serialize>(state: &T) -> u32 {
    struct Fnv(u64);
    impl std::io::Write for Fnv {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            for &b in buf {
                self.0 ^= u64::from(b);
                self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
            }
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325);
    // Writing to a hasher cannot fail, and a state always serializes (no maps with non-string
    // keys, no non-finite floats: the readers refuse them).
    let _ = serde_json::to_writer(&mut h, state);
    fold_hash(h.0)
}

fn refuse<T>(message: impl Into<String>) -> Result<T, Error> {
    Err(Error::Snapshot { message: message.into() })
}

impl Snapshot {
    /// The snapshot of `state`, whose first `premasked` turns are masked already.
    pub(crate) fn of(state: &State, engine: &Engine, premasked: usize) -> Snapshot {
        let saved = Saved::of(state, engine, premasked);
        Snapshot {
            version: SNAPSHOT_VERSION,
            check: Some(checksum(&saved)),
            state: None,
            session: Some(saved),
        }
    }

    /// The state this snapshot holds, checked: version, checksum, bounds, ranges, times, and
    /// that it fits `engine` (its intents and intercept words).
    pub(crate) fn into_state(self, engine: &Engine) -> Result<State, Error> {
        let state = match (self.version, self.check, self.state, self.session) {
            // Version 1 had no checksum. A `check` on it means its version was altered.
            (1, Some(_), _, _) => {
                return refuse("version 1 has no `check` field; the version was altered");
            }
            (1, None, Some(st), None) => st.into_state(engine)?,
            (2, None, _, _) => return refuse("version 2 needs its `check` field; it is missing"),
            (2, Some(c), Some(st), None) => {
                if c != checksum(&st) {
                    return refuse(ALTERED);
                }
                st.into_state(engine)?
            }
            (3, None, _, _) => return refuse("version 3 needs its `check` field; it is missing"),
            (3, Some(c), None, Some(saved)) => {
                if c != checksum(&saved) {
                    return refuse(ALTERED);
                }
                saved.into_state(engine)?
            }
            (v @ SNAPSHOT_OLDEST..=SNAPSHOT_VERSION, ..) => {
                let want = if v < 3 { "`state`" } else { "`session`" };
                return refuse(format!("version {v} keeps its state in {want} alone"));
            }
            (v, ..) => {
                return refuse(format!(
                    "format version {v} is not supported; this build reads versions {SNAPSHOT_OLDEST} to {SNAPSHOT_VERSION}"
                ));
            }
        };
        if let Some(why) = state.invalid() {
            return refuse(why);
        }
        let intercepts = engine.0.policy.params.intercepts.len();
        if !state.intercept_counts.is_empty() && state.intercept_counts.len() != intercepts {
            return refuse(format!(
                "it counts {} intercept words but this engine has {intercepts}",
                state.intercept_counts.len()
            ));
        }
        Ok(state)
    }
}

const ALTERED: &str =
    "its checksum does not match its state: it was altered or corrupted in storage";

/// The intent id of `name` in `engine`.
fn intent_id(engine: &Engine, name: &str) -> Result<IntentId, Error> {
    engine.intent_id(name).map_or_else(
        || refuse(format!("it names intent `{name}`, which this engine does not have")),
        Ok,
    )
}

/// `n` items at most, or the reason they are refused.
fn bounded(n: usize, cap: usize, what: &str) -> Result<(), Error> {
    if n > cap { refuse(format!("too many {what}")) } else { Ok(()) }
}

/// The state of version 3: see [`Snapshot`] for the fields.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Saved {
    #[serde(skip_serializing_if = "is_default")]
    at_ms: u64,
    #[serde(skip_serializing_if = "is_default")]
    first_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    events: u64,
    #[serde(skip_serializing_if = "is_default")]
    messages: u32,
    #[serde(skip_serializing_if = "is_default")]
    buyer_messages: u32,
    #[serde(skip_serializing_if = "is_default")]
    unresolved: u16,
    #[serde(skip_serializing_if = "is_default")]
    repeated_questions: u16,
    #[serde(skip_serializing_if = "is_default")]
    waiting_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    last_latency_ms: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    max_latency_ms: u64,
    #[serde(skip_serializing_if = "is_default")]
    questions: Vec<u32>,
    #[serde(skip_serializing_if = "is_default")]
    turns: Vec<(u64, Speaker, String)>,
    #[serde(skip_serializing_if = "is_default")]
    intents: Vec<Label>,
    #[serde(skip_serializing_if = "is_default")]
    counts: IntentCounts,
    #[serde(skip_serializing_if = "is_default")]
    emotions: Vec<(Emotion, f32, f32)>,
    #[serde(skip_serializing_if = "is_default")]
    negative: f32,
    #[serde(skip_serializing_if = "is_default")]
    positive: f32,
    #[serde(skip_serializing_if = "is_default")]
    order: Option<SavedOrder>,
    #[serde(skip_serializing_if = "is_default")]
    page_views: [u16; Page::COUNT],
    #[serde(skip_serializing_if = "is_default")]
    open_pages: Vec<(Page, u64)>,
    #[serde(skip_serializing_if = "is_default")]
    long_dwells: u16,
    #[serde(skip_serializing_if = "is_default")]
    switches: u16,
    #[serde(skip_serializing_if = "is_default")]
    last_browse: Option<Page>,
    #[serde(skip_serializing_if = "is_default")]
    logistics_stalled: bool,
    #[serde(skip_serializing_if = "is_default")]
    offers_accepted: u16,
    #[serde(skip_serializing_if = "is_default")]
    resolved: u16,
    #[serde(skip_serializing_if = "is_default")]
    product: Option<Label>,
    #[serde(skip_serializing_if = "is_default")]
    height_cm: Option<u16>,
    #[serde(skip_serializing_if = "is_default")]
    weight_jin: Option<u16>,
    #[serde(skip_serializing_if = "is_default")]
    size_mentioned: Option<Label>,
    #[serde(skip_serializing_if = "is_default")]
    size_advised: bool,
    #[serde(skip_serializing_if = "is_default")]
    advised_for: Option<(u16, u16)>,
    #[serde(skip_serializing_if = "is_default")]
    tags: u8,
    #[serde(skip_serializing_if = "is_default")]
    last_hand_off: Option<(u64, HandOffReason, Priority)>,
    #[serde(skip_serializing_if = "is_default")]
    last_retain_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    peak_risk: f32,
    #[serde(skip_serializing_if = "is_default")]
    last_risk: f32,
    #[serde(skip_serializing_if = "is_default")]
    repurchase_sent: bool,
    #[serde(skip_serializing_if = "is_default")]
    intercept_counts: Vec<u16>,
}

/// The order of version 3: [`OrderFacts`] with times relative to the last event.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
struct SavedOrder {
    #[serde(skip_serializing_if = "is_default")]
    id: OrderId,
    #[serde(skip_serializing_if = "is_default")]
    product: Option<Label>,
    #[serde(skip_serializing_if = "is_default")]
    amount_fen: u64,
    #[serde(skip_serializing_if = "is_default")]
    created_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    paid_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    shipped_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    delivered_ago: Option<u64>,
    #[serde(skip_serializing_if = "is_default")]
    cancelled: bool,
    #[serde(skip_serializing_if = "is_default")]
    refund_requested: bool,
    #[serde(skip_serializing_if = "is_default")]
    refunded: bool,
    #[serde(skip_serializing_if = "is_default")]
    retains: u8,
    #[serde(skip_serializing_if = "is_default")]
    follow_up_care: bool,
    #[serde(skip_serializing_if = "is_default")]
    peak_risk: f32,
}

impl Saved {
    fn of(st: &State, engine: &Engine, premasked: usize) -> Saved {
        let now = st.last_at_ms;
        // Every kept time is at most the clock (`State::invalid` refuses any other).
        let ago = |t: u64| now.saturating_sub(t);
        let name = |id: IntentId| engine.intent_name(id).unwrap_or_default();
        Saved {
            at_ms: now,
            first_ago: st.first_at_ms.map(ago),
            events: st.events,
            messages: st.messages,
            buyer_messages: st.buyer_messages,
            unresolved: st.unresolved,
            repeated_questions: st.repeated_questions,
            waiting_ago: st.waiting_since_ms.map(ago),
            last_latency_ms: st.last_latency_ms,
            max_latency_ms: st.max_latency_ms,
            questions: st.recent_hashes.as_slice().to_vec(),
            turns: st
                .turns
                .iter()
                .enumerate()
                .map(|(i, (at, from, text))| {
                    let text = if i < premasked { text.to_owned() } else { engine.mask(text) };
                    (ago(at), from, text)
                })
                .collect(),
            intents: st.intent_path.iter().map(|&id| name(id)).collect(),
            counts: st.counts,
            emotions: st.trajectory.iter().map(|p| (p.label, p.valence, p.intensity)).collect(),
            negative: st.negative,
            positive: st.positive,
            order: st.order.map(|o| SavedOrder {
                id: o.id,
                product: o.product,
                amount_fen: o.amount_fen,
                created_ago: o.created_at_ms.map(ago),
                paid_ago: o.paid_at_ms.map(ago),
                shipped_ago: o.shipped_at_ms.map(ago),
                delivered_ago: o.delivered_at_ms.map(ago),
                cancelled: o.cancelled,
                refund_requested: o.refund_requested,
                refunded: o.refunded,
                retains: o.retains,
                follow_up_care: o.follow_up_care,
                peak_risk: o.peak_risk,
            }),
            page_views: st.page_views,
            open_pages: Page::ALL
                .into_iter()
                .filter_map(|p| st.page_open_at_ms[p.index()].map(|t| (p, ago(t))))
                .collect(),
            long_dwells: st.long_dwells,
            switches: st.switches,
            last_browse: st.last_browse,
            logistics_stalled: st.logistics_stalled,
            offers_accepted: st.offers_accepted,
            resolved: st.resolved,
            product: st.product,
            height_cm: st.height_cm,
            weight_jin: st.weight_jin,
            size_mentioned: st.size_mentioned,
            size_advised: st.size_advised,
            advised_for: st.advised_for,
            tags: st.tags,
            last_hand_off: st.last_hand_off.map(|(t, r, p)| (ago(t), r, p)),
            last_retain_ago: st.last_retain_ms.map(ago),
            peak_risk: st.peak_risk,
            last_risk: st.last_risk,
            repurchase_sent: st.repurchase_sent,
            intercept_counts: st.intercept_counts.clone(),
        }
    }

    fn into_state(self, engine: &Engine) -> Result<State, Error> {
        let now = self.at_ms;
        let at =
            |ago: u64| now.checked_sub(ago).map_or_else(|| refuse("a time before the epoch"), Ok);
        let at_opt = |ago: Option<u64>| ago.map(at).transpose();
        bounded(self.turns.len(), TURNS_KEPT, "turns")?;
        bounded(self.questions.len(), HASHES_KEPT, "question hashes")?;
        bounded(self.intents.len(), PATH_KEPT, "intents in the path")?;
        bounded(self.emotions.len(), PATH_KEPT, "emotions in the trajectory")?;
        let mut st = State {
            first_at_ms: at_opt(self.first_ago)?,
            last_at_ms: now,
            events: self.events,
            messages: self.messages,
            buyer_messages: self.buyer_messages,
            unresolved: self.unresolved,
            repeated_questions: self.repeated_questions,
            waiting_since_ms: at_opt(self.waiting_ago)?,
            last_latency_ms: self.last_latency_ms,
            max_latency_ms: self.max_latency_ms,
            counts: self.counts,
            negative: self.negative,
            positive: self.positive,
            page_views: self.page_views,
            long_dwells: self.long_dwells,
            switches: self.switches,
            last_browse: self.last_browse,
            logistics_stalled: self.logistics_stalled,
            offers_accepted: self.offers_accepted,
            resolved: self.resolved,
            product: self.product,
            height_cm: self.height_cm,
            weight_jin: self.weight_jin,
            size_mentioned: self.size_mentioned,
            size_advised: self.size_advised,
            advised_for: self.advised_for,
            tags: self.tags,
            last_retain_ms: at_opt(self.last_retain_ago)?,
            peak_risk: self.peak_risk,
            last_risk: self.last_risk,
            repurchase_sent: self.repurchase_sent,
            intercept_counts: self.intercept_counts,
            ..State::default()
        };
        for h in self.questions {
            st.recent_hashes.push(h);
        }
        for (ago, from, text) in &self.turns {
            check_turn(text)?;
            st.turns.push(at(*ago)?, *from, text);
        }
        for name in &self.intents {
            st.intent_path.push(intent_id(engine, name)?);
        }
        for (label, valence, intensity) in self.emotions {
            st.trajectory.push(EmotionPoint { label, valence, intensity });
        }
        if let Some(o) = self.order {
            st.order = Some(OrderFacts {
                id: o.id,
                product: o.product,
                amount_fen: o.amount_fen,
                created_at_ms: at_opt(o.created_ago)?,
                paid_at_ms: at_opt(o.paid_ago)?,
                shipped_at_ms: at_opt(o.shipped_ago)?,
                delivered_at_ms: at_opt(o.delivered_ago)?,
                cancelled: o.cancelled,
                refund_requested: o.refund_requested,
                refunded: o.refunded,
                retains: o.retains,
                follow_up_care: o.follow_up_care,
                peak_risk: o.peak_risk,
            });
        }
        let mut seen = [false; Page::COUNT];
        for (page, ago) in self.open_pages {
            if std::mem::replace(&mut seen[page.index()], true) {
                return refuse("a page open twice");
            }
            st.page_open_at_ms[page.index()] = Some(at(ago)?);
        }
        st.last_hand_off = match self.last_hand_off {
            Some((ago, r, p)) => Some((at(ago)?, r, p)),
            None => None,
        };
        Ok(st)
    }
}

/// Masking may lengthen a turn a little; anything far beyond was not written by us.
fn check_turn(text: &str) -> Result<(), Error> {
    if text.len() > 4 * crate::pipeline::features::TURN_TEXT_BYTES {
        refuse("a turn text too long")
    } else {
        Ok(())
    }
}

/// The formats of versions 1 and 2, read and checksummed as those builds wrote them.
pub(crate) mod legacy {
    use super::*;

    /// One chat turn.
    #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
    pub(crate) struct Turn {
        at_ms: u64,
        from: Speaker,
        text: String,
    }

    /// One point of the emotion trajectory (its time is not kept any more).
    #[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
    pub(crate) struct EmotionPoint {
        at_ms: u64,
        label: Emotion,
        valence: f32,
        intensity: f32,
    }

    /// The state of versions 1 and 2, field for field.
    #[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
    #[serde(default)]
    pub(crate) struct State {
        #[serde(skip_serializing_if = "is_default")]
        first_at_ms: Option<u64>,
        #[serde(skip_serializing_if = "is_default")]
        last_at_ms: u64,
        #[serde(skip_serializing_if = "is_default")]
        events: u64,
        #[serde(skip_serializing_if = "is_default")]
        messages: u32,
        #[serde(skip_serializing_if = "is_default")]
        buyer_messages: u32,
        #[serde(skip_serializing_if = "is_default")]
        unresolved: u16,
        #[serde(skip_serializing_if = "is_default")]
        waiting_since_ms: Option<u64>,
        #[serde(skip_serializing_if = "is_default")]
        last_latency_ms: Option<u64>,
        #[serde(skip_serializing_if = "is_default")]
        max_latency_ms: u64,
        #[serde(skip_serializing_if = "is_default")]
        repeated_questions: u16,
        #[serde(skip_serializing_if = "is_default")]
        recent_hashes: Vec<u64>,
        #[serde(skip_serializing_if = "is_default")]
        turns: Vec<Turn>,
        #[serde(skip_serializing_if = "is_default")]
        intent_path: Vec<Label>,
        #[serde(skip_serializing_if = "is_default")]
        counts: IntentCounts,
        #[serde(skip_serializing_if = "is_default")]
        trajectory: Vec<EmotionPoint>,
        #[serde(skip_serializing_if = "is_default")]
        negative: f32,
        #[serde(skip_serializing_if = "is_default")]
        positive: f32,
        #[serde(skip_serializing_if = "is_default")]
        order: Option<OrderFacts>,
        #[serde(skip_serializing_if = "is_default")]
        page_views: [u16; Page::COUNT],
        #[serde(skip_serializing_if = "is_default")]
        page_open_at_ms: [Option<u64>; Page::COUNT],
        #[serde(skip_serializing_if = "is_default")]
        long_dwells: u16,
        #[serde(skip_serializing_if = "is_default")]
        switches: u16,
        #[serde(skip_serializing_if = "is_default")]
        last_browse: Option<Page>,
        #[serde(skip_serializing_if = "is_default")]
        logistics_stalled: bool,
        #[serde(skip_serializing_if = "is_default")]
        offers_accepted: u16,
        #[serde(skip_serializing_if = "is_default")]
        resolved: u16,
        #[serde(skip_serializing_if = "is_default")]
        product: Option<Label>,
        #[serde(skip_serializing_if = "is_default")]
        height_cm: Option<u16>,
        #[serde(skip_serializing_if = "is_default")]
        weight_jin: Option<u16>,
        #[serde(skip_serializing_if = "is_default")]
        size_mentioned: Option<Label>,
        #[serde(skip_serializing_if = "is_default")]
        size_advised: bool,
        #[serde(skip_serializing_if = "is_default")]
        advised_for: Option<(u16, u16)>,
        #[serde(skip_serializing_if = "is_default")]
        tags: u8,
        #[serde(skip_serializing_if = "is_default")]
        last_hand_off: Option<(u64, HandOffReason, Priority)>,
        #[serde(skip_serializing_if = "is_default")]
        last_retain_ms: Option<u64>,
        #[serde(skip_serializing_if = "is_default")]
        peak_risk: f32,
        #[serde(skip_serializing_if = "is_default")]
        last_risk: f32,
        #[serde(skip_serializing_if = "is_default")]
        repurchase_sent: bool,
        #[serde(skip_serializing_if = "is_default")]
        intercept_counts: Vec<u16>,
    }

    impl State {
        pub(super) fn into_state(self, engine: &Engine) -> Result<super::State, Error> {
            bounded(self.turns.len(), TURNS_KEPT, "turns")?;
            bounded(self.recent_hashes.len(), HASHES_KEPT, "question hashes")?;
            bounded(self.intent_path.len(), PATH_KEPT, "intents in the path")?;
            bounded(self.trajectory.len(), PATH_KEPT, "emotions in the trajectory")?;
            let mut st = super::State {
                first_at_ms: self.first_at_ms,
                last_at_ms: self.last_at_ms,
                events: self.events,
                messages: self.messages,
                buyer_messages: self.buyer_messages,
                unresolved: self.unresolved,
                repeated_questions: self.repeated_questions,
                waiting_since_ms: self.waiting_since_ms,
                last_latency_ms: self.last_latency_ms,
                max_latency_ms: self.max_latency_ms,
                counts: self.counts,
                negative: self.negative,
                positive: self.positive,
                order: self.order,
                page_views: self.page_views,
                page_open_at_ms: self.page_open_at_ms,
                long_dwells: self.long_dwells,
                switches: self.switches,
                last_browse: self.last_browse,
                logistics_stalled: self.logistics_stalled,
                offers_accepted: self.offers_accepted,
                resolved: self.resolved,
                product: self.product,
                height_cm: self.height_cm,
                weight_jin: self.weight_jin,
                size_mentioned: self.size_mentioned,
                size_advised: self.size_advised,
                advised_for: self.advised_for,
                tags: self.tags,
                last_hand_off: self.last_hand_off,
                last_retain_ms: self.last_retain_ms,
                peak_risk: self.peak_risk,
                last_risk: self.last_risk,
                repurchase_sent: self.repurchase_sent,
                intercept_counts: self.intercept_counts,
                ..super::State::default()
            };
            for h in self.recent_hashes {
                st.recent_hashes.push(fold_hash(h));
            }
            for t in &self.turns {
                check_turn(&t.text)?;
                st.turns.push(t.at_ms, t.from, &t.text);
            }
            for name in &self.intent_path {
                st.intent_path.push(intent_id(engine, name)?);
            }
            for p in self.trajectory {
                st.trajectory.push(super::EmotionPoint {
                    label: p.label,
                    valence: p.valence,
                    intensity: p.intensity,
                });
            }
            Ok(st)
        }
    }
}
