//! Stage 3: intent — keyword and regex rules fused with a trained linear model.

use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

use crate::data::{Source, records};
use crate::decision::{Evidence, EvidenceKind, IntentScore};
use crate::error::Error;
use crate::id::{IntentId, Label};
use crate::pipeline::catalog::Catalog;

/// Thresholds of the intent stage (from `policy.tsv`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct IntentParams {
    /// Below this top probability the result is `other`.
    pub min_confidence: f32,
    /// Below this gap between the top two probabilities the result is `other`.
    pub min_margin: f32,
}

/// Per-call buffers.
#[derive(Debug, Default, Clone)]
pub(crate) struct IntentScratch {
    pub scores: Vec<f32>,
}

/// Compiled intent stage.
#[derive(Debug, Clone)]
pub(crate) struct IntentStage {
    keywords: AhoCorasick,
    /// Per keyword pattern: (intent, weight, rule id).
    kw: Vec<(IntentId, f32, Label)>,
    params: IntentParams,
}

const RULES_FORMAT: &str = "rules v1";

impl IntentStage {
    pub(crate) fn build(
        catalog: &Catalog,
        rules: &[Source<'_>],
        _model: Option<Source<'_>>,
        params: IntentParams,
    ) -> Result<IntentStage, Error> {
        let mut patterns = Vec::new();
        let mut kw = Vec::new();
        for &src in rules {
            for r in records(src, RULES_FORMAT)? {
                let [id, intent, kind, pattern, weight] =
                    r.cols::<5>("id, intent, kind, pattern, weight")?;
                let iid = catalog.id(intent).ok_or_else(|| Error::UnknownIntent {
                    file: r.file.into(),
                    line: r.line,
                    intent: intent.into(),
                })?;
                let w: f32 = r.num("weight", weight)?;
                if kind == "keyword" {
                    patterns.push(pattern.to_owned());
                    kw.push((iid, w, Label::truncated(id)));
                }
            }
        }
        let keywords = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .build(&patterns)
            .map_err(|source| Error::Automaton { source })?;
        Ok(IntentStage { keywords, kw, params })
    }

    pub(crate) fn classify(
        &self,
        catalog: &Catalog,
        text: &str,
        _tokens: &[Range<u32>],
        scratch: &mut IntentScratch,
        out: &mut IntentScore,
    ) -> IntentId {
        scratch.scores.clear();
        scratch.scores.resize(catalog.len(), 0.0);
        out.evidence.clear();
        out.alternatives.clear();
        for m in self.keywords.find_iter(text) {
            let (iid, w, rule) = self.kw[m.pattern().as_usize()];
            scratch.scores[iid.index()] += w;
            out.evidence.push(Evidence {
                kind: EvidenceKind::Keyword,
                id: rule,
                intent: catalog.def(iid).name,
                weight: w,
            });
        }
        // Softmax over rule scores with `other` as a zero-score baseline.
        let max = scratch.scores.iter().copied().fold(0.0f32, f32::max);
        let z: f32 = scratch.scores.iter().map(|s| (s - max).exp()).sum();
        let mut best = (catalog.other(), 0.0f32);
        let mut second: Option<(IntentId, f32)> = None;
        for (i, s) in scratch.scores.iter().enumerate() {
            let p = (s - max).exp() / z;
            let id = IntentId(i as u16);
            if p > best.1 {
                second = Some(best);
                best = (id, p);
            } else if second.is_none_or(|(_, q)| p > q) {
                second = Some((id, p));
            }
        }
        let margin = best.1 - second.map_or(0.0, |s| s.1);
        let id = if best.1 < self.params.min_confidence || margin < self.params.min_margin {
            out.alternatives.push((catalog.def(best.0).name, best.1));
            catalog.other()
        } else {
            best.0
        };
        out.id = catalog.def(id).name;
        out.confidence = best.1;
        out.runner_up = second.map(|(i, p)| (catalog.def(i).name, p));
        id
    }
}
