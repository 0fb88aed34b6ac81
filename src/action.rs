//! [`Action`]: what the host should do about a buyer, with small closed payloads.
//!
//! Actions carry ids, never free text: wording belongs to the shop's templates and to
//! [`Session::brief`](crate::Session::brief). On the wire each is an object with a snake_case
//! `type` (DESIGN.md §4).

use serde::{Deserialize, Serialize};

use crate::event::Offer;
use crate::id::Label;

/// How urgently a human should look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// In turn.
    Normal,
    /// Before normal work.
    High,
    /// Now.
    Urgent,
}

/// Why a conversation goes to a human.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HandOffReason {
    /// The buyer asked for a human (转人工).
    Requested,
    /// The buyer is angry beyond the configured intensity.
    Anger,
    /// The buyer threatens escalation or accuses the shop (投诉, 12315, 差评).
    Complaint,
    /// Several buyer turns in a row went unanswered by a human.
    Unresolved,
    /// A merchant intercept word reached its trigger count.
    InterceptWord,
    /// A high-value order with a negative buyer.
    HighValue,
}

/// Which queue a buyer message belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Queue {
    /// Before the purchase: product, size, price, stock.
    PreSale,
    /// Shipping and parcels.
    Logistics,
    /// After the purchase: refunds, returns, quality, complaints.
    AfterSale,
}

/// What made a retention offer fire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RetainTrigger {
    /// Refund risk crossed the outreach threshold.
    RiskThreshold,
    /// The return policy was opened again inside the window after payment.
    ReturnPolicyRepeat,
}

/// How a recommended size relates to the size the buyer mentioned or ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fit {
    /// The recommended size is the one the buyer has (or none was mentioned).
    Fits,
    /// The buyer should take a larger size.
    SizeUp,
    /// The buyer should take a smaller size.
    SizeDown,
}

/// A buyer profile tag that evidence has accumulated for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Tag {
    /// 价格敏感型: bargains, asks for coupons, price protection.
    PriceSensitive,
    /// 品质考究型: asks about material, authenticity, quality.
    QualityFocused,
    /// 尺码焦虑: keeps asking about size.
    SizeAnxious,
    /// 易冲动下单: paid very soon after arriving.
    ImpulseBuyer,
    /// VIP: a high order amount.
    Vip,
}

impl Tag {
    /// Number of tags.
    pub const COUNT: usize = 5;
    /// Every tag.
    pub const ALL: [Tag; Tag::COUNT] =
        [Tag::PriceSensitive, Tag::QualityFocused, Tag::SizeAnxious, Tag::ImpulseBuyer, Tag::Vip];

    /// The snake_case id.
    pub fn as_str(self) -> &'static str {
        match self {
            Tag::PriceSensitive => "price_sensitive",
            Tag::QualityFocused => "quality_focused",
            Tag::SizeAnxious => "size_anxious",
            Tag::ImpulseBuyer => "impulse_buyer",
            Tag::Vip => "vip",
        }
    }
}

/// What a scheduled follow-up is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowUpKind {
    /// A care message after a risky order that ended well.
    Care,
    /// A repurchase offer to a satisfied buyer.
    Repurchase,
}

/// Something the host should do. Each action is produced by a policy rule; the rule's id is in
/// [`Decision::fired`](crate::Decision::fired) beside it.
///
/// ```
/// use kefu::{Action, HandOffReason, Priority};
/// let a = Action::HandOff { reason: HandOffReason::Requested, priority: Priority::Normal };
/// assert_eq!(serde_json::to_string(&a).unwrap(),
///            r#"{"type":"hand_off","reason":"requested","priority":"normal"}"#);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Action {
    /// Put a human agent on this conversation.
    HandOff {
        /// Why.
        reason: HandOffReason,
        /// How soon.
        priority: Priority,
    },
    /// Reach out proactively to keep the order.
    Retain {
        /// What to offer.
        offer: Offer,
        /// What fired.
        trigger: RetainTrigger,
    },
    /// Route the message to a queue.
    Route {
        /// Which queue.
        queue: Queue,
        /// How soon.
        priority: Priority,
    },
    /// Reply with the shop's template for a confident intent.
    SuggestReply {
        /// The intent.
        intent: Label,
        /// The template id (from `intents.tsv` or the builder).
        template: Label,
    },
    /// Tell the buyer which size to take.
    AdviseSize {
        /// The size label from the size chart.
        size: Label,
        /// How it relates to the size the buyer mentioned.
        fit: Fit,
    },
    /// Tag the buyer's profile.
    Tag {
        /// Which tag.
        tag: Tag,
    },
    /// Schedule a message for later.
    FollowUp {
        /// When, in the host's milliseconds.
        at_ms: u64,
        /// What for.
        kind: FollowUpKind,
    },
}

impl Action {
    /// The snake_case `type` of the action on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::HandOff { .. } => "hand_off",
            Action::Retain { .. } => "retain",
            Action::Route { .. } => "route",
            Action::SuggestReply { .. } => "suggest_reply",
            Action::AdviseSize { .. } => "advise_size",
            Action::Tag { .. } => "tag",
            Action::FollowUp { .. } => "follow_up",
        }
    }
}
