//! The bare baseline the pipeline is compared with (DESIGN.md §8 `throughput`): jieba-rs with
//! the same user dictionary, and one leftmost-longest automaton over the same vocabulary (the
//! dictionary words and the rule keywords of `data/`). Shared by the `throughput` example and
//! the criterion benches so both measure the same thing.

use aho_corasick::{AhoCorasick, MatchKind};
use jieba_rs::Jieba;

/// jieba-rs cut plus one automaton pass.
pub struct Baseline {
    jieba: Jieba,
    keywords: AhoCorasick,
}

impl Baseline {
    /// Builds it from the embedded `data/user_dict.txt` and `data/rules.tsv`.
    pub fn new() -> Result<Baseline, aho_corasick::BuildError> {
        let mut jieba = Jieba::new();
        let mut words: Vec<&str> = Vec::new();
        for line in include_str!("../../data/user_dict.txt").lines().skip(1) {
            if let Some(w) =
                line.split(['\t', ' ']).next().filter(|w| !w.is_empty() && !w.starts_with('#'))
            {
                jieba.add_word(w, Some(20_000), None);
                words.push(w);
            }
        }
        for line in include_str!("../../data/rules.tsv").lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.len() >= 4 && cols[2] == "keyword" && !line.starts_with('#') {
                words.push(cols[3]);
            }
        }
        let keywords =
            AhoCorasick::builder().match_kind(MatchKind::LeftmostLongest).build(&words)?;
        Ok(Baseline { jieba, keywords })
    }

    /// Tokens plus keyword matches in `text`.
    pub fn run(&self, text: &str) -> usize {
        self.jieba.cut(text, false).len() + self.keywords.find_iter(text).count()
    }
}
