//! **kefu** (客服) reads a Chinese e-commerce shop's customer-service traffic as it happens and
//! tells the host service what to do about each buyer, in microseconds: hand off to a human,
//! make a retention offer, route, suggest a reply, advise a size, tag, follow up.
//!
//! A host builds one [`Engine`] at start-up, keeps one [`Session`] per buyer, feeds every
//! [`Event`] (chat messages, order lifecycle, behaviour signals) into it and acts on the
//! [`Action`]s of the returned [`Decision`].
//!
//! ```
//! use kefu::{Action, Engine, Event, HandOffReason, Priority};
//!
//! let engine = Engine::new()?;                 // embedded default data, no files
//! let mut session = engine.session();          // one buyer
//! session.on_event(&Event::order_paid(0, "6929384756102".try_into()?, 19_900));
//! let d = session.on_event(&Event::buyer_says(40_000, "都三天了还不发货，我要投诉12315"));
//! assert_eq!(d.intent().unwrap().id, "complaint");
//! assert!(d.actions().contains(&Action::HandOff {
//!     reason: HandOffReason::Complaint,
//!     priority: Priority::Urgent,
//! }));
//! println!("{}", session.brief());            // what the human agent sees
//! # Ok::<(), kefu::Error>(())
//! ```
//!
//! # Pipeline
//!
//! Every buyer message runs through normalise (width, case, traditional -> simplified, folded
//! runs, emoji cues) -> tokenize (jieba-rs with an e-commerce dictionary) -> intent (keyword
//! automaton + regex set + trained linear model, fused) and slots -> emotion (lexicon with
//! negation, degree words, contrast, punctuation and emoji, fused with a trained linear model;
//! the trajectory over the session drives the anger hand-off) -> session features -> refund risk
//! (logistic, explainable per factor) -> policy (thresholds, cooldowns, budgets). Order and
//! behaviour events skip the text stages.
//!
//! # Default data
//!
//! `data/` holds every table in a plain, versioned TSV format (first line `#format NAME vN`),
//! embedded by the `default-data` feature; [`EngineBuilder`] adds or overrides any of it per
//! merchant. `data/README.md` documents each file, its origin and licence, and the commands
//! that rebuild the trained artefacts.
//!
//! # Crate features
//!
//! - `default-data` (on by default): embeds `data/` so [`Engine::new`] needs no files.
//!
//! # Performance
//!
//! Build the engine once (about 0.2 s: jieba's dictionary and the trained models) and share it: it is an
//! `Arc`, `Send + Sync`. Keep one session per buyer: it reuses its buffers, so a message costs
//! a few microseconds and order or behaviour events allocate nothing. Never build an engine
//! per request.

#![deny(missing_docs)]
#![deny(rustdoc::broken_intra_doc_links)]
#![warn(missing_debug_implementations)]

mod action;
mod data;
mod decision;
mod engine;
mod error;
mod event;
#[cfg(feature = "default-data")]
#[doc(hidden)]
pub mod __fuzz {
    //! Hidden entry points for fuzzing; see `src/fuzzing.rs`.
    pub use crate::fuzzing::*;
}
#[cfg(feature = "default-data")]
mod fuzzing;
mod id;
mod pipeline;
mod session;
mod snapshot;
mod stages;
pub mod train;

pub use action::{Action, Fit, FollowUpKind, HandOffReason, Priority, Queue, RetainTrigger, Tag};
pub use decision::{
    Decision, Emotion, EmotionScore, Evidence, EvidenceKind, Factor, Flags, IntentScore, Risk, Slot,
};
pub use engine::{Engine, EngineBuilder, MERCHANT_RULE_WEIGHT};
pub use error::Error;
pub use event::{Envelope, Event, MAX_BUYER_BYTES, Offer, Page, RefundReason, Speaker};
pub use id::{IntentId, Label, OrderId};
pub use session::{
    Brief, BriefTurn, OrderBrief, SNAPSHOT_OLDEST, SNAPSHOT_VERSION, Session, Snapshot,
};
#[doc(hidden)]
pub use stages::Stages;

#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
