//! Stage 2: jieba-rs segmentation with the e-commerce user dictionary; tokens are byte spans.

use std::ops::Range;

use jieba_rs::Jieba;

use crate::data::{Source, records};
use crate::error::Error;

/// Segmenter: jieba-rs's default dictionary plus the shop's words.
#[derive(Clone)]
pub(crate) struct Tokenizer {
    jieba: Jieba,
    hmm: bool,
}

impl std::fmt::Debug for Tokenizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokenizer").field("hmm", &self.hmm).finish_non_exhaustive()
    }
}

/// A word of `user_dict.txt`: `word [freq [tag]]`, separated by tabs or spaces.
const FORMAT: &str = "user_dict v1";

impl Tokenizer {
    /// Builds the segmenter from user dictionaries (format `user_dict v1`) and extra words.
    pub(crate) fn build(
        dicts: &[Source<'_>],
        words: &[String],
        hmm: bool,
    ) -> Result<Tokenizer, Error> {
        let mut jieba = Jieba::new();
        for &src in dicts {
            for r in records(src, FORMAT)? {
                let mut it = r.text.split(['\t', ' ']).filter(|s| !s.is_empty());
                let word = it.next().unwrap_or("");
                let freq = match it.next() {
                    Some(f) => Some(r.num::<usize>("freq", f)?),
                    None => None,
                };
                jieba.add_word(word, freq, it.next());
            }
        }
        for w in words {
            jieba.add_word(w.trim(), None, None);
        }
        Ok(Tokenizer { jieba, hmm })
    }

    /// Cuts `text` into byte spans that tile it (whitespace tokens are dropped).
    pub(crate) fn cut(&self, text: &str, out: &mut Vec<Range<u32>>) {
        out.clear();
        for t in self.jieba.cut(text, self.hmm) {
            if !t.word.trim().is_empty() {
                out.push(t.byte_start as u32..t.byte_end as u32);
            }
        }
    }
}
