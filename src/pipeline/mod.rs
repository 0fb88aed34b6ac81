//! The stages every event runs through, in order (DESIGN.md §3):
//!
//! 1. [`normalize`]: width, case, traditional -> simplified, folded runs, emoji cues, cap;
//! 2. [`tokenize`]: jieba-rs with the e-commerce user dictionary, tokens as byte spans;
//! 3. [`intent`] and [`slots`]: rules + trained linear model, fused; values in the text;
//! 4. [`emotion`]: lexicon with negation, degree, contrast, punctuation and emoji, fused with a
//!    learned linear model;
//! 5. [`features`]: the session's counters, timers and risk features;
//! 6. [`risk`]: logistic refund-risk model with per-factor contributions;
//! 7. [`policy`]: thresholds, cooldowns and budgets turn scores into actions.
//!
//! Stages are compiled once in [`EngineBuilder::build`](crate::EngineBuilder::build) and share
//! nothing mutable; per-call buffers live in [`Scratch`], owned by the session.

use std::ops::Range;

pub(crate) mod catalog;
pub(crate) mod emotion;
pub(crate) mod features;
pub(crate) mod hidden;
pub(crate) mod intent;
pub(crate) mod keywords;
pub(crate) mod mask;
pub(crate) mod normalize;
pub(crate) mod policy;
pub(crate) mod regex_rules;
pub(crate) mod risk;
pub(crate) mod slots;
pub(crate) mod tokenize;

pub(crate) use normalize::Cues;

/// Reused per-message buffers: cleared, never rebuilt.
#[derive(Debug, Default, Clone)]
pub(crate) struct Scratch {
    /// The normalised message.
    pub norm: String,
    /// Token byte spans into `norm`.
    pub tokens: Vec<Range<u32>>,
    /// Buffers of the intent stage.
    pub intent: intent::IntentScratch,
}

/// [`char::is_whitespace`], answered without the Unicode table search for ASCII and for every
/// character above U+3000 (the CJK blocks most messages are made of): no White_Space character
/// lies above U+3000 (tested over every `char`).
#[inline(always)]
pub(crate) fn is_space(c: char) -> bool {
    match c as u32 {
        0..0x80 => matches!(c, '\t'..='\r' | ' '),
        0x3001.. => false,
        _ => c.is_whitespace(),
    }
}

/// Asks the processor to start loading the cache line holding `r` (a hint: no effect on
/// results). Table lookups of one message do not depend on each other; issuing every load
/// first lets their cache misses overlap instead of being paid one after the other.
#[inline(always)]
pub(crate) fn prefetch<T>(r: &T) {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse"))]
    // SAFETY: the intrinsic needs SSE, which the cfg guarantees (it is part of the x86_64
    // baseline); a prefetch never faults, whatever the address, and reads nothing into the
    // program, so no memory is accessed through the pointer.
    unsafe {
        use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        _mm_prefetch::<_MM_HINT_T0>((r as *const T).cast::<i8>());
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse")))]
    let _ = r;
}

#[cfg(test)]
mod tests {
    /// The fast path agrees with `char::is_whitespace` everywhere.
    #[test]
    fn is_space_is_is_whitespace() {
        for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
            assert_eq!(super::is_space(c), c.is_whitespace(), "{c:?}");
        }
    }
}
