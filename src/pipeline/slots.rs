//! Stage 3b: slots — order number, phone, height/weight, size label, amount, time phrase.

use regex::Regex;

use crate::decision::Slot;
use crate::error::Error;
use crate::id::Label;

/// Compiled slot patterns.
#[derive(Debug, Clone)]
pub(crate) struct SlotExtractor {
    height: Regex,
    weight: Regex,
}

impl SlotExtractor {
    pub(crate) fn new() -> Result<SlotExtractor, Error> {
        let re = |p: &str| {
            Regex::new(p).map_err(|source| Error::Regex {
                file: "slots".into(),
                line: 0,
                rule: p.into(),
                source,
            })
        };
        Ok(SlotExtractor {
            height: re(r"(1[4-9]\d)\s*(?:cm|厘米)?")?,
            weight: re(r"(\d{2,3})\s*斤")?,
        })
    }

    pub(crate) fn extract(&self, text: &str, out: &mut Vec<Slot>) {
        if let Some(c) = self.height.captures(text) {
            if let Ok(h) = c[1].parse() {
                out.push(Slot::HeightCm(h));
            }
        }
        if let Some(c) = self.weight.captures(text) {
            if let Ok(w) = c[1].parse() {
                out.push(Slot::WeightJin(w));
            }
        }
        let _ = Label::EMPTY;
    }
}
