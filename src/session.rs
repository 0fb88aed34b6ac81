//! [`Session`]: one buyer's rolling state; [`Session::on_event`] runs the pipeline.

use std::cell::RefCell;
use std::fmt;

use serde::Serialize;

use crate::action::{FollowUpKind, Tag};
use crate::decision::{Decision, Emotion, Factor, IntentScore, Slot};
use crate::engine::Engine;
use crate::event::{Event, Page, Speaker};
use crate::id::{Label, OrderId};
use crate::pipeline::Scratch;
use crate::pipeline::features::{State, question_hash};
use crate::pipeline::policy::MessageView;

pub use crate::snapshot::{SNAPSHOT_OLDEST, SNAPSHOT_VERSION, Snapshot};

/// Actions a session has room for before its decision buffer grows.
const ACTIONS_RESERVED: usize = 4;

/// One buyer's conversation: recent turns, counters, timers, open order facts, last scores,
/// cooldowns and tags. Memory is bounded whatever the traffic: 1.6 KiB fresh, 1.7 KiB for a
/// typical buyer at rest (`examples/memory.rs`), 2.6 KiB at the peak of 100 000 hostile events
/// for one buyer (`tests/memory.rs` holds it under 4 KiB). Recent turns, hashes, intents
/// and emotions are inline rings, the turn texts share one string, and the per-message buffers
/// belong to the thread, not the session. A typical snapshot is about 1 KiB of JSON.
///
/// Hostile input has a documented result, never a panic: a message past 512 characters is
/// read up to there and flagged [`Flags::truncated`](crate::Flags); empty, blank, zero-width,
/// control-character, emoji-only, right-to-left-override and markup messages are ordinary
/// text (intent `other` when nothing matches); a `page_leave` without its `page_view` changes
/// nothing and is flagged [`Flags::ignored`](crate::Flags); timestamps `0` and `u64::MAX` are
/// ordinary times; kept turns, paths and hashes are ring buffers.
///
/// Time comes only from the events: an event whose `at_ms` is earlier than one already seen is
/// processed at the latest time seen (and flagged [`Flags::out_of_order`](crate::Flags)), so
/// timers never run backwards. A duplicated message counts as a repeated question; a duplicated
/// order event only sets the same facts again. The session follows the buyer's most recent
/// order: an order event for another order number starts that order's facts afresh (risk
/// factors from the chat and the pages stay, as they describe the buyer).
///
/// # Examples
///
/// ```
/// use kefu::{Action, Engine, Event, HandOffReason};
/// let engine = Engine::new()?;
/// let mut s = engine.session();
/// let d = s.on_event(&Event::buyer_says(0, "都三天了还不发货，我要投诉"));
/// assert!(d.actions().contains(&Action::HandOff {
///     reason: HandOffReason::Complaint,
///     priority: kefu::Priority::Urgent,
/// }));
/// # Ok::<(), kefu::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Session {
    engine: Engine,
    state: State,
    decision: Decision,
    /// How many of the oldest kept turns came from a snapshot, and so are masked already:
    /// [`Session::brief`] and [`Session::snapshot`] do not mask them twice.
    premasked: u8,
}

thread_local! {
    /// Per-message buffers, one set per thread rather than per session: a shop holds many
    /// idle sessions and runs few at a time. Bounded by the message cap (512 characters).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
    /// Where the intent stage and the slot extractor write a message's results before they are
    /// copied into the session's decision, each list sized to its content: the stages work with
    /// longer candidate lists than they report, and the session should not keep their room.
    static MESSAGE: RefCell<(IntentScore, Vec<Slot>)> = RefCell::default();
}

impl Session {
    pub(crate) fn new(engine: Engine, state: State) -> Session {
        let mut decision = Decision::default();
        // Room for the actions of any one event, so that order and behaviour events never
        // allocate, even on a fresh session (tests/alloc.rs).
        decision.actions.reserve(ACTIONS_RESERVED);
        decision.fired.reserve(ACTIONS_RESERVED);
        Session { engine, state, decision, premasked: 0 }
    }

    /// A session continued from a restored state. The risk of its last event (what
    /// [`Session::brief`] shows) is computed again from the state at that event's time, as the
    /// session that took the snapshot had it; the rest of [`Session::decision`] is empty until
    /// the next event.
    pub(crate) fn restored(engine: Engine, state: State) -> Session {
        let mut s = Session::new(engine, state);
        s.premasked = s.state.turns.len() as u8;
        if s.state.first_at_ms.is_some() {
            let inner = &*s.engine.0;
            let now = s.state.last_at_ms;
            s.decision.clear(now);
            s.decision.risk = inner.risk.score(&s.state.features(now, &inner.policy.params));
        }
        s
    }

    /// The engine this session runs on.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The decision of the last event (empty before the first).
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// Feeds one event through the pipeline and returns what it decided. Infallible: any input
    /// gets a documented result (see [`Flags`](crate::Flags)).
    pub fn on_event(&mut self, event: &Event<'_>) -> &Decision {
        let inner = &*self.engine.0;
        let st = &mut self.state;
        let d = &mut self.decision;
        let turns_before = st.turns.len();
        let (now, out_of_order) = st.tick(event.at_ms());
        if !matches!(event, Event::Message { from: Speaker::Buyer, .. }) {
            // Only buyer messages fill these lists: a session at rest after anything else
            // keeps no room for them.
            d.release_message_parts();
        }
        d.clear(now);
        d.flags.out_of_order = out_of_order;
        let policy = &inner.policy;
        let mut policy_reopened = false;

        match event {
            Event::Message { from: Speaker::Buyer, text, .. } => {
                SCRATCH.with_borrow_mut(|sc| buyer_message(inner, now, text, st, d, sc));
            }
            Event::Message { from, text, .. } => st.on_message(now, *from, text),
            Event::OrderCreated { order, amount_fen, product, .. } => {
                let o = st.order_mut(*order);
                o.created_at_ms.get_or_insert(now);
                if let Some(a) = amount_fen {
                    o.amount_fen = *a;
                }
                if product.is_some() {
                    o.product = *product;
                }
            }
            Event::OrderPaid { order, amount_fen, product, .. } => {
                let o = st.order_mut(*order);
                let first = o.paid_at_ms.is_none();
                o.paid_at_ms.get_or_insert(now);
                o.amount_fen = *amount_fen;
                if product.is_some() {
                    o.product = *product;
                }
                if first {
                    policy.on_paid(now, *amount_fen, st, d);
                }
            }
            Event::OrderShipped { order, .. } => {
                st.order_mut(*order).shipped_at_ms.get_or_insert(now);
                st.logistics_stalled = false;
            }
            Event::OrderDelivered { order, .. } => {
                st.order_mut(*order).delivered_at_ms.get_or_insert(now);
                st.logistics_stalled = false;
                policy.follow_up(now, FollowUpKind::Care, st, d);
            }
            Event::OrderCancelled { order, .. } => st.order_mut(*order).cancelled = true,
            Event::LogisticsStalled { order, .. } => {
                if let Some(o) = order {
                    st.order_mut(*o);
                }
                st.logistics_stalled = true;
            }
            Event::RefundRequested { order, .. } => st.order_mut(*order).refund_requested = true,
            Event::RefundWithdrawn { order, .. } => {
                st.order_mut(*order).refund_requested = false;
                policy.follow_up(now, FollowUpKind::Care, st, d);
            }
            Event::RefundClosed { order, refunded, .. } => {
                let o = st.order_mut(*order);
                o.refund_requested = false;
                o.refunded = *refunded;
                if !refunded {
                    policy.follow_up(now, FollowUpKind::Care, st, d);
                }
            }
            Event::PageView { page, product, .. } => {
                st.on_page_view(now, *page);
                if product.is_some() && matches!(page, Page::ProductPage | Page::SizeChart) {
                    st.product = *product;
                }
                policy_reopened =
                    *page == Page::ReturnPolicy && st.page_views[Page::ReturnPolicy.index()] >= 2;
            }
            Event::PageLeave { page, .. } => {
                if st.on_page_leave(now, *page, policy.params.long_dwell_ms).is_none() {
                    d.flags.ignored = true;
                }
            }
            Event::OfferAccepted { .. } => {
                st.offers_accepted = st.offers_accepted.saturating_add(1)
            }
            Event::Rating { stars, .. } => {
                if (*stars).clamp(1, 5) >= policy.params.repurchase_min_stars {
                    policy.follow_up(now, FollowUpKind::Repurchase, st, d);
                }
            }
            Event::Resolved { .. } => st.resolve(),
        }

        let x = st.features(now, &policy.params);
        let risk = inner.risk.score(&x);
        d.risk = risk;
        policy.retain(now, &risk, policy_reopened, st, d);
        // A message pushes out the oldest turn once the ring is full, and snapshot turns are
        // the oldest: fewer of them remain.
        if self.premasked > 0 && matches!(event, Event::Message { .. }) {
            let evicted = (turns_before + 1).saturating_sub(st.turns.len());
            self.premasked = self.premasked.saturating_sub(evicted as u8);
        }
        d
    }

    /// The risk features after the last event (what [`Decision::risk`] was scored on), for
    /// the risk trainer.
    pub(crate) fn risk_features(&self) -> [f32; Factor::COUNT] {
        self.state.features(self.state.last_at_ms, &self.engine.0.policy.params)
    }

    /// The session's state for storage; restore it with [`Engine::restore`]. Kept chat turns
    /// are masked.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot::of(&self.state, &self.engine, usize::from(self.premasked))
    }

    /// What a human agent needs at a glance on hand-off: intent path, order facts, emotion
    /// trajectory, risk and its top factors, tags and the last turns, with personal data
    /// masked. `Display` renders it as a short text.
    pub fn brief(&self) -> Brief {
        let st = &self.state;
        let risk = self.decision.risk;
        Brief {
            intent_path: st
                .intent_path
                .iter()
                .map(|&id| self.engine.intent_name(id).unwrap_or_default())
                .collect(),
            order: st.order.map(|o| OrderBrief {
                order: o.id,
                amount_fen: o.amount_fen,
                paid_at_ms: o.paid_at_ms,
                shipped: o.shipped_at_ms.is_some(),
                delivered: o.delivered_at_ms.is_some(),
                cancelled: o.cancelled,
                refund_requested: o.refund_requested,
            }),
            emotions: st.trajectory.iter().map(|p| (p.label, p.valence, p.intensity)).collect(),
            risk: risk.probability,
            factors: risk.top_factors(3).collect(),
            tags: Tag::ALL.into_iter().filter(|t| st.has_tag(*t)).collect(),
            unresolved_turns: st.unresolved,
            repeated_questions: st.repeated_questions,
            last_latency_ms: st.last_latency_ms,
            turns: st
                .turns
                .iter()
                .enumerate()
                .map(|(i, (at_ms, from, text))| BriefTurn {
                    at_ms,
                    from,
                    text: if i < usize::from(self.premasked) {
                        text.to_owned()
                    } else {
                        self.engine.mask(text)
                    },
                })
                .collect(),
        }
    }
}

/// Stages 1 to 4 and 7 for a buyer message.
fn buyer_message(
    inner: &crate::engine::Inner,
    now: u64,
    text: &str,
    st: &mut State,
    d: &mut Decision,
    sc: &mut Scratch,
) {
    let cues = inner.normalizer.run(text, &mut sc.norm);
    d.flags.truncated = cues.truncated;
    d.message = true;
    inner.tokenizer.cut(&sc.norm, &mut sc.tokens);
    let intent = MESSAGE.with_borrow_mut(|(score, slots)| {
        let id = inner.intent.classify(&inner.catalog, &sc.norm, &sc.tokens, &mut sc.intent, score);
        slots.clear();
        inner.slots.extract(&sc.norm, slots);
        d.set_message_parts(score, slots);
        id
    });
    let shared = inner.intent.features(&sc.intent);
    inner.emotion.score_with(&sc.norm, &sc.tokens, &cues, shared, &mut d.emotion);

    st.on_message(now, Speaker::Buyer, text);
    st.note_question(question_hash(&sc.norm));
    st.note_intent(intent);
    st.note_emotion(&d.emotion);
    inner.policy.known.count(intent, st);
    let mut new_body = false;
    for slot in &d.slots {
        match *slot {
            Slot::HeightCm(h) => {
                new_body |= st.height_cm != Some(h);
                st.height_cm = Some(h);
            }
            Slot::WeightJin(w) => {
                new_body |= st.weight_jin != Some(w);
                st.weight_jin = Some(w);
            }
            Slot::Size(s) => st.size_mentioned = Some(s),
            _ => {}
        }
    }
    let view = MessageView {
        intent,
        confidence: d.intent.confidence,
        emotion: d.emotion.label,
        intensity: d.emotion.intensity,
        new_body,
    };
    inner.policy.on_buyer_message(&inner.catalog, now, &view, &sc.norm, st, d);
}

/// The order as the brief shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OrderBrief {
    /// Order number.
    pub order: OrderId,
    /// Amount in fen.
    pub amount_fen: u64,
    /// When it was paid.
    pub paid_at_ms: Option<u64>,
    /// Shipped yet.
    pub shipped: bool,
    /// Delivered yet.
    pub delivered: bool,
    /// Cancelled.
    pub cancelled: bool,
    /// A refund is open.
    pub refund_requested: bool,
}

/// One chat turn in a brief, masked.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BriefTurn {
    /// When.
    pub at_ms: u64,
    /// Who.
    pub from: Speaker,
    /// What, with personal data masked.
    pub text: String,
}

/// A summary of a session for a human agent ([`Session::brief`]).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Brief {
    /// Intents of the recent buyer messages, oldest first.
    pub intent_path: Vec<Label>,
    /// The current order.
    pub order: Option<OrderBrief>,
    /// Emotion of the recent buyer messages (label, valence, intensity), oldest first.
    pub emotions: Vec<(Emotion, f32, f32)>,
    /// Current refund risk.
    pub risk: f32,
    /// Its strongest factors.
    pub factors: Vec<(Factor, f32)>,
    /// Tags earned so far.
    pub tags: Vec<Tag>,
    /// Buyer turns in a row without a human answer.
    pub unresolved_turns: u16,
    /// Buyer messages that repeated an earlier one.
    pub repeated_questions: u16,
    /// The shop's last response latency.
    pub last_latency_ms: Option<u64>,
    /// The last turns, masked, oldest first.
    pub turns: Vec<BriefTurn>,
}

impl fmt::Display for Brief {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path: Vec<&str> = self.intent_path.iter().map(|l| l.as_str()).collect();
        writeln!(f, "intents: {}", if path.is_empty() { "-".into() } else { path.join(" > ") })?;
        if let Some(o) = &self.order {
            let state = if o.refund_requested {
                "refund requested"
            } else if o.cancelled {
                "cancelled"
            } else if o.delivered {
                "delivered"
            } else if o.shipped {
                "shipped"
            } else if o.paid_at_ms.is_some() {
                "paid"
            } else {
                "created"
            };
            writeln!(f, "order: {} ¥{:.2} {state}", o.order, o.amount_fen as f64 / 100.0)?;
        }
        let emo: Vec<String> = self
            .emotions
            .iter()
            .map(|(e, v, i)| format!("{}({v:+.1},{i:.1})", e.as_str()))
            .collect();
        writeln!(f, "emotion: {}", if emo.is_empty() { "-".into() } else { emo.join(" > ") })?;
        let factors: Vec<String> =
            self.factors.iter().map(|(x, c)| format!("{} {c:+.2}", x.as_str())).collect();
        writeln!(f, "risk: {:.0}% [{}]", self.risk * 100.0, factors.join(", "))?;
        if !self.tags.is_empty() {
            let tags: Vec<&str> = self.tags.iter().map(|t| t.as_str()).collect();
            writeln!(f, "tags: {}", tags.join(", "))?;
        }
        writeln!(
            f,
            "unresolved turns: {}, repeated questions: {}",
            self.unresolved_turns, self.repeated_questions
        )?;
        for t in &self.turns {
            let who = match t.from {
                Speaker::Buyer => "buyer",
                Speaker::Agent => "agent",
                Speaker::Bot => "bot",
            };
            writeln!(f, "  [{who}] {}", t.text)?;
        }
        Ok(())
    }
}
