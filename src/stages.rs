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
        self.scratch.norm.len()
    }

    /// Stage 2 alone: jieba-rs cut of the prepared text; returns the token count.
    pub fn tokenize(&mut self) -> usize {
        let sc = &mut self.scratch;
        self.engine.0.tokenizer.cut(&sc.norm, &mut sc.tokens);
        sc.tokens.len()
    }

    /// Stage 3 alone: rules and model on the prepared text; returns the confidence.
    pub fn intent(&mut self) -> f32 {
        let (inner, sc, d) = (&*self.engine.0, &mut self.scratch, &mut self.decision);
        d.clear(0);
        inner.intent.classify(&inner.catalog, &sc.norm, &sc.tokens, &mut sc.intent, &mut d.intent);
        d.intent.confidence
    }

    /// Slot extraction alone on the prepared text; returns the number of slots.
    pub fn slots(&mut self) -> usize {
        let d = &mut self.decision;
        d.slots.clear();
        self.engine.0.slots.extract(&self.scratch.norm, &mut d.slots);
        d.slots.len()
    }

    /// Stage 4 alone: emotion of the prepared text; returns the intensity.
    pub fn emotion(&mut self) -> f32 {
        let (inner, sc) = (&*self.engine.0, &self.scratch);
        inner.emotion.score(&sc.norm, &sc.tokens, &self.cues, &mut self.decision.emotion);
        self.decision.emotion.intensity
    }
}
