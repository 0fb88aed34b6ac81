//! Stage 2: jieba-rs segmentation with the e-commerce user dictionary; tokens are byte spans.
//!
//! The text cut is the normalised text of stage 1 (simplified, half-width, lower case), so
//! dictionary words are folded the same way when they are added (ASCII lower case, full-width
//! forms to half-width); a traditional-character word in a user dictionary never matches.

use std::ops::Range;

use jieba_rs::Jieba;

use crate::data::{Source, records};
use crate::error::Error;
use crate::pipeline::normalize;

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

/// The most words all user dictionaries and extra words may add together (a bound on build
/// time and memory: jieba keeps a trie node per character).
pub(crate) const MAX_USER_WORDS: usize = 200_000;

/// The most characters of one dictionary word (jieba's DAG is quadratic in a word's length
/// only through the text, but a 10 000-character "word" is a data error, not a word).
const MAX_WORD_CHARS: usize = 64;

/// The largest frequency accepted (the default dictionary totals about 60 million).
const MAX_FREQ: u64 = 1_000_000_000;

/// The name extra words carry in errors.
const WORDS_SOURCE: &str = "EngineBuilder::words";

impl Tokenizer {
    /// Builds the segmenter from user dictionaries (format `user_dict v1`) and extra words.
    ///
    /// A dictionary line is `word [freq [tag]]`, fields separated by tabs or spaces. A word
    /// without a frequency keeps the one jieba has for it, or gets jieba's suggested frequency
    /// (just enough to keep it whole); a later line for the same word wins.
    ///
    /// # Errors
    ///
    /// [`Error::FormatVersion`] for a missing or other header; [`Error::Parse`] (file:line)
    /// for a fourth field (a word cannot hold a space or tab), a frequency that is not a whole
    /// number in 1..=1 000 000 000, a tag that is not ASCII letters, a word of more than 64
    /// characters or with a control character; extra words get the same checks, named
    /// `EngineBuilder::words:N`. [`Error::TooLarge`] past [`MAX_USER_WORDS`] words in all.
    pub(crate) fn build(
        dicts: &[Source<'_>],
        words: &[String],
        hmm: bool,
    ) -> Result<Tokenizer, Error> {
        // Count first, so an oversized dictionary fails before jieba grows.
        let mut total = 0usize;
        for &src in dicts {
            total += records(src, FORMAT)?.count();
            if total > MAX_USER_WORDS {
                return Err(too_large(src.0));
            }
        }
        if total + words.len() > MAX_USER_WORDS {
            return Err(too_large(WORDS_SOURCE));
        }
        let mut jieba = Jieba::new();
        let mut word = String::new();
        for &src in dicts {
            for r in records(src, FORMAT)? {
                let mut it = r.text.split(['\t', ' ']).filter(|s| !s.is_empty());
                let Some(w) = it.next() else { continue };
                let freq = it.next().map(|f| parse_freq(f).map_err(|m| r.error(m))).transpose()?;
                let tag = it.next();
                if let Some(t) = tag
                    && !t.bytes().all(|b| b.is_ascii_alphabetic())
                {
                    return Err(r.error(format!(
                        "tag `{t}` must be ASCII letters (a jieba part of speech such as n, v, nz)"
                    )));
                }
                if let Some(extra) = it.next() {
                    return Err(r.error(format!(
                        "unexpected `{extra}` after the tag; a line is `word [freq [tag]]` and a word cannot contain a space or tab"
                    )));
                }
                fold_word(w, &mut word).map_err(|m| r.error(m))?;
                jieba.add_word(&word, freq, tag);
            }
        }
        for (i, w) in words.iter().enumerate() {
            let w = w.trim();
            if w.is_empty() {
                continue;
            }
            if w.contains(char::is_whitespace) {
                return Err(Error::parse(
                    WORDS_SOURCE,
                    i + 1,
                    format!("word `{w}` contains a space or tab; add its parts as separate words"),
                ));
            }
            fold_word(w, &mut word).map_err(|m| Error::parse(WORDS_SOURCE, i + 1, m))?;
            jieba.add_word(&word, None, None);
        }
        Ok(Tokenizer { jieba, hmm })
    }

    /// Cuts `text` into byte spans that tile its non-whitespace bytes, in order (whitespace
    /// tokens are dropped). Texts over 4 GiB are cut up to the last char boundary before 4 GiB
    /// (normalised messages are at most a few KiB).
    pub(crate) fn cut(&self, text: &str, out: &mut Vec<Range<u32>>) {
        out.clear();
        let mut end = text.len().min(u32::MAX as usize);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        // jieba's `cut` returns a fresh Vec: the one allocation accepted per message.
        for t in self.jieba.cut(&text[..end], self.hmm) {
            // Same as `!trim().is_empty()`, but stops at the first character.
            if !t.word.chars().all(super::is_space) {
                out.push(t.byte_start as u32..t.byte_end as u32);
            }
        }
    }
}

fn too_large(file: &str) -> Error {
    Error::TooLarge {
        file: file.to_owned(),
        what: format!("more than {MAX_USER_WORDS} user words"),
        limit: MAX_USER_WORDS,
    }
}

fn parse_freq(f: &str) -> Result<usize, String> {
    match f.parse::<u64>() {
        Ok(n) if (1..=MAX_FREQ).contains(&n) => Ok(n as usize),
        _ => Err(format!(
            "freq `{f}` must be a whole number from 1 to {MAX_FREQ}; a word cannot contain a space or tab"
        )),
    }
}

/// Writes `w` folded as the normaliser folds text (width, ASCII case) into `out`.
fn fold_word(w: &str, out: &mut String) -> Result<(), String> {
    out.clear();
    for (n, c) in w.chars().enumerate() {
        if n >= MAX_WORD_CHARS {
            return Err(format!("word `{w:.20}…` is longer than {MAX_WORD_CHARS} characters"));
        }
        if c.is_control() || c.is_whitespace() {
            return Err(format!("word `{}` contains a control character", w.escape_debug()));
        }
        out.push(normalize::fold(c));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::pipeline::normalize::Normalizer;

    const DICT: &str = include_str!("../../data/user_dict.txt");

    static TOK: LazyLock<Tokenizer> =
        LazyLock::new(|| Tokenizer::build(&[("user_dict.txt", DICT)], &[], false).unwrap());
    static NORM: LazyLock<Normalizer> = LazyLock::new(Normalizer::new);

    fn tokens(text: &str) -> Vec<&str> {
        let mut spans = Vec::new();
        TOK.cut(text, &mut spans);
        spans.iter().map(|r| &text[r.start as usize..r.end as usize]).collect()
    }

    /// Asserts `spans` tile the non-whitespace bytes of `text`, in order.
    fn assert_tiles(text: &str, spans: &[Range<u32>]) {
        let mut at = 0usize;
        for r in spans {
            let (s, e) = (r.start as usize, r.end as usize);
            assert!(s >= at && s < e && e <= text.len(), "{r:?} out of order in {text:?}");
            assert!(text[at..s].chars().all(char::is_whitespace), "gap {at}..{s} in {text:?}");
            assert!(!text[s..e].trim().is_empty(), "whitespace token in {text:?}");
            at = e;
        }
        assert!(text[at..].chars().all(char::is_whitespace), "untiled tail in {text:?}");
    }

    /// (normalised message, words that must come out whole).
    const WHOLE: &[(&str, &[&str])] = &[
        ("支持七天无理由吗", &["七天无理由"]),
        ("有运费险吗", &["运费险"]),
        ("这件衣服显胖吗", &["显胖"]),
        ("帮我转人工", &["转人工"]),
        ("我要仅退款", &["仅退款"]),
        ("降价了有价保吗", &["价保"]),
        ("尺码拍错了", &["尺码", "拍错了"]),
        ("你们发错货了", &["发错货"]),
        ("色差好大", &["色差"]),
        ("洗了一次就起球", &["起球"]),
        ("会掉色吗", &["掉色"]),
        ("可以验机吗", &["验机"]),
        ("是不是偏大", &["偏大"]),
        ("鞋子偏小", &["偏小"]),
        ("降价了能补差价吗", &["补差价"]),
        ("催发货", &["催发货"]),
        ("能开发票吗", &["开发票"]),
        ("要开专票,抬头写公司", &["专票", "抬头"]),
        ("包邮吗", &["包邮"]),
        ("能发顺丰吗", &["顺丰"]),
        ("快递到哪了", &["快递"]),
        ("物流一直不更新", &["物流"]),
        ("显示签收了但我没收到", &["签收"]),
        ("退货地址是哪里", &["退货地址"]),
        ("能换货吗", &["换货"]),
        ("保质期多久", &["保质期"]),
        ("有质检报告吗", &["质检报告"]),
        ("是正品吗", &["正品"]),
        ("这个yyds", &["yyds"]),
        ("亲,在吗", &["亲", "在吗"]),
        ("宝,能便宜点不", &["宝"]),
        ("有yhq吗", &["yhq"]),
        ("我要打12315投诉", &["12315", "投诉"]),
        ("170 120斤穿什么码", &["穿什么码"]),
        ("帮我取消订但", &["订但"]),
    ];

    #[test]
    fn key_words_stay_whole() {
        for &(text, words) in WHOLE {
            let toks = tokens(text);
            for w in words {
                assert!(
                    toks.contains(w),
                    "{text}: {toks:?} splits `{w}`; help: add {w} to data/user_dict.txt (or raise its freq)"
                );
            }
        }
    }

    #[test]
    fn every_dictionary_word_is_whole_alone() {
        for r in records(("user_dict.txt", DICT), FORMAT).unwrap() {
            let w = r.text.split(['\t', ' ']).next().unwrap();
            assert_eq!(
                tokens(w),
                [w],
                "help: raise the freq of {w} in data/user_dict.txt:{} or drop the line",
                r.line
            );
        }
    }

    #[test]
    fn dictionary_is_a_real_one() {
        let n = records(("user_dict.txt", DICT), FORMAT).unwrap().count();
        assert!(n >= 300, "data/user_dict.txt has {n} words");
    }

    #[test]
    fn tokens_tile_the_text() {
        let long = "都三天了还不发货,我要投诉!".repeat(40);
        let texts = [
            "",
            " ",
            "在吗",
            "170 120斤穿什么码",
            "订单号6929384756102 怎么还没发货?!",
            "hello 亲 ok thx 3q",
            "好吧… 算了 ~",
            "😡 [怒] 💢",
            "iphone 15 pro max 256g",
            "¥199 买贵了, 能退差价吗",
            "Привет مرحبا ｶﾀｶﾅ 𠀀𠀁",
            &long,
        ];
        let mut spans = Vec::new();
        let mut norm = String::new();
        for t in texts {
            TOK.cut(t, &mut spans);
            assert_tiles(t, &spans);
            NORM.run(t, &mut norm);
            TOK.cut(&norm, &mut spans);
            assert_tiles(&norm, &spans);
        }
    }

    #[test]
    fn corpus_tokens_tile() {
        // The bundled chat messages (the cs_messages training texts).
        let text = include_str!("../../data/samples/messages.txt");
        let (mut spans, mut norm) = (Vec::new(), String::new());
        for line in text.lines() {
            NORM.run(line, &mut norm);
            TOK.cut(&norm, &mut spans);
            assert_tiles(&norm, &spans);
        }
    }

    /// Bad dictionary lines: (text after the header, what the error must say).
    const BAD: &[(&str, &str)] = &[
        ("七天 无理由\t100", "d.txt:2: freq `无理由`"),
        ("显胖\t-5", "d.txt:2: freq `-5`"),
        ("显胖\t0", "d.txt:2: freq `0`"),
        ("显胖\t1.5\tv", "d.txt:2: freq `1.5`"),
        ("显胖\t99999999999\tv", "d.txt:2: freq"),
        ("显胖\t100\tv\textra", "d.txt:2: unexpected `extra`"),
        ("显胖\t100\t形容词", "d.txt:2: tag `形容词`"),
        ("a\u{7}b\t100", "d.txt:2: word"),
    ];

    #[test]
    fn bad_lines_name_file_and_line() {
        for &(line, want) in BAD {
            let text = format!("#format user_dict v1\n{line}\n");
            let e = Tokenizer::build(&[("d.txt", &text)], &[], false).unwrap_err();
            assert!(matches!(e, Error::Parse { .. }), "{line:?}: {e:?}");
            assert!(e.to_string().starts_with(want), "{line:?}: {e}");
        }
        let long = format!("#format user_dict v1\n\n{}\n", "长".repeat(65));
        let e = Tokenizer::build(&[("d.txt", &long)], &[], false).unwrap_err();
        assert!(e.to_string().starts_with("d.txt:3: word"), "{e}");
        let e = Tokenizer::build(&[], &["七天 无理由".into()], false).unwrap_err();
        assert!(e.to_string().starts_with("EngineBuilder::words:1:"), "{e}");
        let e = Tokenizer::build(&[("d.txt", "显胖\t100\n")], &[], false).unwrap_err();
        assert!(matches!(e, Error::FormatVersion { .. }), "{e:?}");
    }

    #[test]
    fn too_many_words() {
        let mut text = String::from("#format user_dict v1\n");
        for i in 0..=MAX_USER_WORDS {
            text.push_str(&format!("w{i}\t10\n"));
        }
        let e = Tokenizer::build(&[("big.txt", &text)], &[], false).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
        assert!(e.to_string().starts_with("big.txt:"), "{e}");
        let words = vec![String::from("w"); MAX_USER_WORDS + 1];
        let e = Tokenizer::build(&[], &words, false).unwrap_err();
        assert!(matches!(e, Error::TooLarge { .. }), "{e:?}");
    }

    #[test]
    fn words_are_folded_like_the_text() {
        let t = Tokenizer::build(
            &[("d.txt", "#format user_dict v1\nＹＹＤＳ好物\t10000\n")],
            &["超A货".into(), "  ".into()],
            false,
        )
        .unwrap();
        let mut spans = Vec::new();
        let text = "这个yyds好物是超a货吗";
        t.cut(text, &mut spans);
        let toks: Vec<&str> =
            spans.iter().map(|r| &text[r.start as usize..r.end as usize]).collect();
        assert!(toks.contains(&"yyds好物") && toks.contains(&"超a货"), "{toks:?}");
    }
}
