//! Each text stage alone, for the criterion benches (`benches/pipeline.rs`): hidden from the
//! docs, not part of the API's stability promise.

use crate::decision::Decision;
use crate::engine::Engine;
use crate::pipeline::{Cues, Scratch};

/// Runs one stage at a time on buffers that the earlier stages filled for the same text, so
/// a bench times exactly that stage.
#[doc(hidden)]
#[derive(Debug)]
pub struct Stages {
    engine: Engine,
    scratch: Scratch,
    cues: Cues,
    decision: Decision,
    /// Whether the intent scratch holds the features of the prepared text.
    intent_ready: bool,
}

#[doc(hidden)]
impl Stages {
    /// Stages of `engine`, with empty buffers.
    pub fn new(engine: &Engine) -> Stages {
        Stages {
            engine: engine.clone(),
            scratch: Scratch::default(),
            cues: Cues::default(),
            decision: Decision::default(),
            intent_ready: false,
        }
    }

    /// Normalises and tokenizes `text`, so that the later stages can run on it.
    pub fn prepare(&mut self, text: &str) {
        self.normalize(text);
        self.tokenize();
    }

    /// Stage 1 alone: normalisation of `text`; returns the normalised length in bytes.
    pub fn normalize(&mut self, text: &str) -> usize {
        self.cues = self.engine.0.normalizer.run(text, &mut self.scratch.norm);
        self.intent_ready = false;
        self.scratch.norm.len()
    }

    /// Stage 2 alone: jieba-rs cut of the prepared text; returns the token count.
    pub fn tokenize(&mut self) -> usize {
        let sc = &mut self.scratch;
        self.engine.0.tokenizer.cut(&sc.norm, &mut sc.tokens);
        self.intent_ready = false;
        sc.tokens.len()
    }

    /// Stage 3 alone: rules and model on the prepared text; returns the confidence.
    pub fn intent(&mut self) -> f32 {
        let (inner, sc, d) = (&*self.engine.0, &mut self.scratch, &mut self.decision);
        d.clear(0);
        inner.intent.classify(&inner.catalog, &sc.norm, &sc.tokens, &mut sc.intent, &mut d.intent);
        self.intent_ready = true;
        d.intent.confidence
    }

    /// Slot extraction alone on the prepared text; returns the number of slots.
    pub fn slots(&mut self) -> usize {
        let d = &mut self.decision;
        d.slots.clear();
        self.engine.0.slots.extract(&self.scratch.norm, &mut d.slots);
        d.slots.len()
    }

    /// Stage 4 alone: emotion of the prepared text, hashing the message's features itself
    /// (what [`Engine::emotion_of`] runs); returns the intensity.
    pub fn emotion(&mut self) -> f32 {
        let (inner, sc) = (&*self.engine.0, &self.scratch);
        inner.emotion.score(&sc.norm, &sc.tokens, &self.cues, &mut self.decision.emotion);
        self.decision.emotion.intensity
    }

    /// Stage 4 as a session runs it: the learned model reads the feature hashes and weight
    /// rows that [`Stages::intent`] found for the same text, when the two models share their
    /// features (the default data). Without [`Stages::intent`] on the prepared text it hashes
    /// the features itself, as [`Stages::emotion`]; the result is the same either way.
    /// Returns the intensity.
    pub fn emotion_in_session(&mut self) -> f32 {
        let (inner, sc) = (&*self.engine.0, &self.scratch);
        let shared = if self.intent_ready { inner.intent.features(&sc.intent) } else { None };
        let out = &mut self.decision.emotion;
        inner.emotion.score_with(&sc.norm, &sc.tokens, &self.cues, shared, out);
        self.decision.emotion.intensity
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decision::EmotionScore;

    /// The emotion model reading the intent stage's feature hashes (the session's path) gives
    /// exactly what it gives hashing the message itself, on every sample message.
    #[test]
    fn shared_features_change_no_emotion() {
        let engine = Engine::new().expect("default data builds");
        let mut st = Stages::new(&engine);
        let inner = &*engine.0;
        let mut shared = 0;
        let texts = include_str!("../data/samples/messages.txt").lines();
        for text in texts.chain(["", "外观不错，但是用了两天就坏了!!", "😡😡 气死了"])
        {
            st.prepare(text);
            st.intent();
            let sc = &st.scratch;
            let h = inner.intent.features(&sc.intent);
            shared += usize::from(h.is_some());
            let (mut a, mut b) = (EmotionScore::default(), EmotionScore::default());
            inner.emotion.score(&sc.norm, &sc.tokens, &st.cues, &mut a);
            inner.emotion.score_with(&sc.norm, &sc.tokens, &st.cues, h, &mut b);
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "{text}");
            st.emotion_in_session();
            assert_eq!(format!("{:?}", st.decision.emotion), format!("{a:?}"), "{text}");
        }
        assert!(shared > 1000, "the default engine shares its features");
    }

    /// Without the intent stage on the prepared text, the features the intent stage found for
    /// an earlier text are not read.
    #[test]
    fn emotion_in_session_never_reads_another_texts_features() {
        let engine = Engine::new().expect("default data builds");
        let mut st = Stages::new(&engine);
        st.prepare("你们是骗子吧！！！");
        st.intent();
        let mut alone = Stages::new(&engine);
        for text in ["谢谢亲，很满意", "在吗", "外观不错，但是用了两天就坏了"]
        {
            st.prepare(text);
            st.emotion_in_session();
            alone.prepare(text);
            alone.emotion();
            assert_eq!(
                format!("{:?}", st.decision.emotion),
                format!("{:?}", alone.decision.emotion)
            );
        }
    }
}
