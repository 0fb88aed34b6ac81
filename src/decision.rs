//! [`Decision`]: what one event produced — intent, slots, emotion, refund risk and actions.

use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Deserialize, Serialize, Serializer};

use crate::action::Action;
use crate::id::Label;

/// The six emotions of TAXONOMY.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Emotion {
    /// 愤怒: insults, accusations, threats.
    Anger,
    /// 焦虑担心: worry about fit, effect, authenticity, money.
    Anxiety,
    /// 急躁催促: urging, time pressure.
    Impatience,
    /// 失望: let down, without aggression.
    Disappointment,
    /// 满意: thanks, praise.
    Satisfaction,
    /// 中性: plain question or statement.
    Neutral,
}

impl Emotion {
    /// Number of emotions.
    pub const COUNT: usize = 6;
    /// Every emotion, in index order.
    pub const ALL: [Emotion; Emotion::COUNT] = [
        Emotion::Anger,
        Emotion::Anxiety,
        Emotion::Impatience,
        Emotion::Disappointment,
        Emotion::Satisfaction,
        Emotion::Neutral,
    ];

    /// Position in [`Emotion::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case id.
    pub fn as_str(self) -> &'static str {
        match self {
            Emotion::Anger => "anger",
            Emotion::Anxiety => "anxiety",
            Emotion::Impatience => "impatience",
            Emotion::Disappointment => "disappointment",
            Emotion::Satisfaction => "satisfaction",
            Emotion::Neutral => "neutral",
        }
    }

    /// Parses a snake_case id.
    pub fn from_name(s: &str) -> Option<Emotion> {
        Emotion::ALL.into_iter().find(|e| e.as_str() == s)
    }

    /// Whether the emotion is a negative one (anger, anxiety, impatience, disappointment).
    pub fn is_negative(self) -> bool {
        !matches!(self, Emotion::Satisfaction | Emotion::Neutral)
    }
}

/// Where a piece of intent evidence came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// A keyword rule matched (the id is the rule id).
    Keyword,
    /// A regex rule matched (the id is the rule id).
    Regex,
    /// A feature of the trained model (the id is the feature, e.g. `w:退款` or `c2:发货`).
    Feature,
}

/// One reason behind an intent score.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    /// Rule, keyword or model feature.
    pub kind: EvidenceKind,
    /// Rule id or feature text.
    pub id: Label,
    /// The intent it speaks for.
    pub intent: Label,
    /// How much it added to that intent's score (log-odds units).
    pub weight: f32,
}

/// The intent of a buyer message.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct IntentScore {
    /// The intent id (`other` when no intent is confident enough).
    pub id: Label,
    /// Calibrated probability of `id` in [0, 1].
    pub confidence: f32,
    /// The best other intent and its probability.
    pub runner_up: Option<(Label, f32)>,
    /// When the result fell back to `other`: the intents it hesitated between, best first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<(Label, f32)>,
    /// Why: matched rules and the strongest model features, strongest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<Evidence>,
}

/// The emotion of a buyer message.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct EmotionScore {
    /// The dominant emotion.
    pub label: Emotion,
    /// Negative to positive, in [-1, 1].
    pub valence: f32,
    /// How strongly it is felt, in [0, 1].
    pub intensity: f32,
    /// The score of each emotion (index by [`Emotion::index`]), summing to 1.
    #[serde(skip)]
    pub scores: [f32; Emotion::COUNT],
}

impl Default for EmotionScore {
    fn default() -> Self {
        let mut scores = [0.0; Emotion::COUNT];
        scores[Emotion::Neutral.index()] = 1.0;
        EmotionScore { label: Emotion::Neutral, valence: 0.0, intensity: 0.0, scores }
    }
}

/// A value found in a buyer message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Slot {
    /// An order number (long digit run).
    OrderNumber(Label),
    /// A mainland mobile number.
    Phone(Label),
    /// Body height in centimetres.
    HeightCm(u16),
    /// Body weight in jin (500 g), the unit buyers use; kilograms are converted.
    WeightJin(u16),
    /// A clothing size label (`M`, `XL`, `2XL`, `38`…), normalised to upper case.
    Size(Label),
    /// A money amount in fen.
    AmountFen(u64),
    /// A time phrase (`明天`, `三天`, `下午3点`…), as written.
    Time(Label),
}

/// A refund-risk factor: one input of the risk model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Factor {
    /// Inside the golden 120 seconds after payment.
    GoldenWindow,
    /// Inside two hours after payment.
    EarlyWindow,
    /// Order-detail views beyond the first.
    OrderDetailViews,
    /// The return policy was opened.
    ReturnPolicyOpened,
    /// The return policy was opened again.
    ReturnPolicyRepeat,
    /// Switches between product page and live room.
    PageSwitches,
    /// Dwell over 90 s on order-detail or return-policy pages.
    LongDwell,
    /// The buyer asked an effect-doubt question.
    EffectDoubt,
    /// The buyer asked about size and no size advice was given.
    SizeUncertain,
    /// Size advice was given.
    SizeAdviceGiven,
    /// The buyer's emotion is negative (scaled by intensity).
    NegativeEmotion,
    /// The buyer's emotion is positive.
    PositiveEmotion,
    /// The shop answered slower than 30 s.
    SlowResponse,
    /// Logistics stalled.
    LogisticsStalled,
    /// The buyer urged shipping (催发货): pressing because the parcel is late.
    UrgedShipping,
    /// The buyer talked about cancelling, refunding or returning.
    CancelRefundIntent,
    /// The buyer reported a quality problem or complained.
    QualityComplaint,
    /// The buyer accepted a retention offer.
    OfferAccepted,
    /// An agent resolved the buyer's question.
    Resolved,
    /// Order amount (log scale, 0 at 100 CNY).
    OrderAmount,
}

impl Factor {
    /// Number of factors.
    pub const COUNT: usize = 20;
    /// Every factor, in index order.
    pub const ALL: [Factor; Factor::COUNT] = [
        Factor::GoldenWindow,
        Factor::EarlyWindow,
        Factor::OrderDetailViews,
        Factor::ReturnPolicyOpened,
        Factor::ReturnPolicyRepeat,
        Factor::PageSwitches,
        Factor::LongDwell,
        Factor::EffectDoubt,
        Factor::SizeUncertain,
        Factor::SizeAdviceGiven,
        Factor::NegativeEmotion,
        Factor::PositiveEmotion,
        Factor::SlowResponse,
        Factor::LogisticsStalled,
        Factor::UrgedShipping,
        Factor::CancelRefundIntent,
        Factor::QualityComplaint,
        Factor::OfferAccepted,
        Factor::Resolved,
        Factor::OrderAmount,
    ];

    /// Position in [`Factor::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case id (as in `risk_model.tsv`).
    pub fn as_str(self) -> &'static str {
        match self {
            Factor::GoldenWindow => "golden_window",
            Factor::EarlyWindow => "early_window",
            Factor::OrderDetailViews => "order_detail_views",
            Factor::ReturnPolicyOpened => "return_policy_opened",
            Factor::ReturnPolicyRepeat => "return_policy_repeat",
            Factor::PageSwitches => "page_switches",
            Factor::LongDwell => "long_dwell",
            Factor::EffectDoubt => "effect_doubt",
            Factor::SizeUncertain => "size_uncertain",
            Factor::SizeAdviceGiven => "size_advice_given",
            Factor::NegativeEmotion => "negative_emotion",
            Factor::PositiveEmotion => "positive_emotion",
            Factor::SlowResponse => "slow_response",
            Factor::LogisticsStalled => "logistics_stalled",
            Factor::UrgedShipping => "urged_shipping",
            Factor::CancelRefundIntent => "cancel_refund_intent",
            Factor::QualityComplaint => "quality_complaint",
            Factor::OfferAccepted => "offer_accepted",
            Factor::Resolved => "resolved",
            Factor::OrderAmount => "order_amount",
        }
    }

    /// Parses a snake_case id.
    pub fn from_name(s: &str) -> Option<Factor> {
        Factor::ALL.into_iter().find(|f| f.as_str() == s)
    }
}

/// Refund risk after an event: probability and each factor's contribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Risk {
    /// Probability that this buyer's order will be refunded, in [0, 1].
    pub probability: f32,
    /// Contribution of each factor to the log-odds (index by [`Factor::index`]).
    pub contributions: [f32; Factor::COUNT],
}

impl Default for Risk {
    fn default() -> Self {
        Risk { probability: 0.0, contributions: [0.0; Factor::COUNT] }
    }
}

impl Risk {
    /// The factors that contributed most (by absolute log-odds), strongest first, skipping
    /// those under 0.01.
    pub fn top_factors(&self, n: usize) -> impl Iterator<Item = (Factor, f32)> + '_ {
        let mut idx: [usize; Factor::COUNT] = std::array::from_fn(|i| i);
        idx.sort_by(|&a, &b| {
            self.contributions[b].abs().total_cmp(&self.contributions[a].abs()).then(a.cmp(&b))
        });
        idx.into_iter()
            .map(|i| (Factor::ALL[i], self.contributions[i]))
            .filter(|(_, c)| c.abs() >= 0.01)
            .take(n)
    }
}

impl Serialize for Risk {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        struct Top<'a>(&'a Risk);
        impl Serialize for Top<'_> {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                let mut seq = s.serialize_seq(None)?;
                for (f, c) in self.0.top_factors(3) {
                    seq.serialize_element(&(f, round(c, 1000.0)))?;
                }
                seq.end()
            }
        }
        let mut st = s.serialize_struct("Risk", 2)?;
        st.serialize_field("probability", &round(self.probability, 10_000.0))?;
        st.serialize_field("factors", &Top(self))?;
        st.end()
    }
}

/// `x` rounded to `1 / scale`, as an `f64` so JSON shows no `f32` noise.
fn round(x: f32, scale: f64) -> f64 {
    (f64::from(x) * scale).round() / scale
}

/// Notes about how an event was taken, for hosts that log anomalies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Flags {
    /// The message was longer than the cap; the rest was ignored.
    pub truncated: bool,
    /// `at_ms` was earlier than an event already seen; the session clock did not go back.
    pub out_of_order: bool,
    /// The event referred to something the session never saw (a `page_leave` without
    /// `page_view`) and changed nothing.
    pub ignored: bool,
}

impl Flags {
    fn any(&self) -> bool {
        self.truncated || self.out_of_order || self.ignored
    }
}

/// What one event produced. Borrowed from the [`Session`](crate::Session), whose buffers it
/// reuses; clone it to keep it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Decision {
    pub(crate) at_ms: u64,
    /// Whether this decision is for a buyer message (so intent and emotion are set).
    pub(crate) message: bool,
    pub(crate) intent: IntentScore,
    pub(crate) slots: Vec<Slot>,
    pub(crate) emotion: EmotionScore,
    pub(crate) risk: Risk,
    pub(crate) actions: Vec<Action>,
    pub(crate) fired: Vec<Label>,
    pub(crate) flags: Flags,
}

impl Decision {
    /// The event time this decision is for (after clamping out-of-order events).
    pub fn at_ms(&self) -> u64 {
        self.at_ms
    }

    /// The intent of a buyer message; `None` for other events.
    pub fn intent(&self) -> Option<&IntentScore> {
        self.message.then_some(&self.intent)
    }

    /// Values found in a buyer message.
    pub fn slots(&self) -> &[Slot] {
        &self.slots
    }

    /// The emotion of a buyer message; `None` for other events.
    pub fn emotion(&self) -> Option<&EmotionScore> {
        self.message.then_some(&self.emotion)
    }

    /// Refund risk after this event.
    pub fn risk(&self) -> &Risk {
        &self.risk
    }

    /// What the host should do, in the order the policy produced them.
    pub fn actions(&self) -> &[Action] {
        &self.actions
    }

    /// The id of the policy rule behind each action (same order as [`Decision::actions`]).
    pub fn fired(&self) -> &[Label] {
        &self.fired
    }

    /// Anomalies in how the event was taken.
    pub fn flags(&self) -> Flags {
        self.flags
    }

    pub(crate) fn clear(&mut self, at_ms: u64) {
        self.at_ms = at_ms;
        self.message = false;
        self.intent.alternatives.clear();
        self.intent.evidence.clear();
        self.slots.clear();
        self.actions.clear();
        self.fired.clear();
        self.flags = Flags::default();
    }

    /// Takes a buyer message's intent and slots, each list sized to its content (the stages
    /// fill longer candidate lists than they keep).
    pub(crate) fn set_message_parts(&mut self, intent: &IntentScore, slots: &[Slot]) {
        self.intent.id = intent.id;
        self.intent.confidence = intent.confidence;
        self.intent.runner_up = intent.runner_up;
        copy_exact(&mut self.intent.alternatives, &intent.alternatives);
        copy_exact(&mut self.intent.evidence, &intent.evidence);
        copy_exact(&mut self.slots, slots);
    }

    /// Frees the lists only a buyer message fills, when this decision is for one (any other
    /// decision has freed them already); call it before [`Decision::clear`].
    pub(crate) fn release_message_parts(&mut self) {
        if self.message {
            self.intent.alternatives = Vec::new();
            self.intent.evidence = Vec::new();
            self.slots = Vec::new();
        }
    }

    pub(crate) fn push(&mut self, rule: &str, action: Action) {
        self.actions.push(action);
        self.fired.push(Label::truncated(rule));
    }
}

/// `dst` becomes a copy of `src`, growing to exactly `src.len()` when it has less room.
fn copy_exact<T: Copy>(dst: &mut Vec<T>, src: &[T]) {
    dst.clear();
    dst.reserve_exact(src.len());
    dst.extend_from_slice(src);
}

impl Serialize for Decision {
    /// `at_ms`, `intent` {`id`, `confidence`, …}, `emotion` {`label`, `valence`,
    /// `intensity`}, `risk` {`probability`, `factors`}, `actions`, and `slots`, `fired`,
    /// `flags` when not empty.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Decision", 8)?;
        st.serialize_field("at_ms", &self.at_ms)?;
        st.serialize_field("intent", &self.intent())?;
        st.serialize_field("emotion", &self.emotion())?;
        st.serialize_field("risk", &self.risk)?;
        st.serialize_field("actions", &self.actions)?;
        if !self.slots.is_empty() {
            st.serialize_field("slots", &self.slots)?;
        }
        if !self.fired.is_empty() {
            st.serialize_field("fired", &self.fired)?;
        }
        if self.flags.any() {
            st.serialize_field("flags", &self.flags)?;
        }
        st.end()
    }
}
