//! Stage 3b: slots — order number, phone, height/weight, size label, amount, time phrase.
//!
//! Reads the normalised text of stage 1 (half-width, lower case, simplified, one space between
//! words). What is recognised:
//!
//! | slot | written as | value |
//! |---|---|---|
//! | [`Slot::OrderNumber`] | a digit run of 12 to 24 digits that is not a phone | the digits |
//! | [`Slot::Phone`] | `1[3-9]` + 9 digits, not inside a longer digit run; `138-1234-5678`, `138 1234 5678`, `+86`/`86` prefix | the 11 digits |
//! | [`Slot::HeightCm`] | `170cm`, `170厘米`, `1.70m`, `1.7米`, `1米7`, `一米七五`, `身高170`, a bare 140..=210 followed by a weight (`170 120斤`, `170/120`) or by `穿` | cm |
//! | [`Slot::WeightJin`] | `120斤`, `60kg`, `60公斤`, `体重58`, the bare number after a bare height | jin (kg × 2); a bare weight below 75 is read as kg |
//! | [`Slot::Size`] | `s m l xs xl xxl xxxl 2xl 3xl …` as a word of its own, `38码`, `110码`, `38号` (32..=48), `均码` | upper case, `x` runs counted (`xxl` -> `2XL`) |
//! | [`Slot::AmountFen`] | `¥199`, `199元`, `199.9块`, `50块钱`, `199rmb`, `两百块`, `一百五十元` | fen |
//! | [`Slot::Time`] | `今天`, `明天下午`, `后天`, `周五`, `下周三`, `下午3点`, `3点半`, `三天`, `48小时`, `两个星期`, `15号`, `3月15号` | the phrase as written (at most 32 bytes) |
//!
//! Not recognised, on purpose: `大一码` (a change, not a label), a bare number without a unit
//! or context (`降了100`: amount? height?), model numbers glued to letters (`iphone13`, `128g`).
//! At most [`MAX_SLOTS`] slots per message.

use regex::Regex;

use crate::decision::Slot;
use crate::error::Error;
use crate::id::Label;

/// The most slots one message yields (a bound on the decision's size).
pub(crate) const MAX_SLOTS: usize = 16;

/// Compiled slot patterns.
#[derive(Debug, Clone)]
pub(crate) struct SlotExtractor {
    /// A number with an optional currency prefix and unit.
    number: Regex,
    /// `1米7`, `一米七五`.
    metre: Regex,
    /// A Chinese-numeral amount: `两百块`.
    amount_cn: Regex,
    /// Time phrases.
    time: Regex,
    /// The prefilter's characters ([`CUES`]) by `(c * mult) >> 24`: one lookup and one
    /// comparison per character of a message, with no branch on the character.
    cues: Box<[(u32, u8); 256]>,
    mult: u32,
}

/// Prefilter flags of a character (see `extract`).
const CN: u8 = 1;
const TIME_CUE: u8 = 2;
const METRE_CUE: u8 = 4;
const YUAN_CUE: u8 = 8;
/// 码: `均码` is possible.
const SIZE_CUE: u8 = 16;
/// An ASCII digit, an ASCII letter.
const DIGIT: u8 = 32;
const ALPHA: u8 = 64;

/// [`DIGIT`] or [`ALPHA`] of each ASCII character; entry 128 (0) stands for every other.
const ASCII: [u8; 129] = {
    let mut t = [0u8; 129];
    let mut i = 0;
    while i < 128 {
        let b = i as u8;
        t[i] = if b.is_ascii_digit() {
            DIGIT
        } else if b.is_ascii_alphabetic() {
            ALPHA
        } else {
            0
        };
        i += 1;
    }
    t
};

/// The characters the Chinese patterns need, and what each makes possible: `has_cn` (a
/// Chinese-unit pattern may match), time (every time phrase holds one: see TIME), 米 (every
/// METRE match), 块 / 元 (every AMOUNT_CN match), 码 (`均码`).
const CUES: [(char, u8); 23] = [
    ('米', CN | METRE_CUE),
    ('块', CN | YUAN_CUE),
    ('元', CN | YUAN_CUE),
    ('码', CN | SIZE_CUE),
    ('¥', CN),
    ('天', CN | TIME_CUE),
    ('周', CN | TIME_CUE),
    ('星', CN | TIME_CUE),
    ('礼', CN | TIME_CUE),
    ('点', CN | TIME_CUE),
    ('号', CN | TIME_CUE),
    ('晚', CN | TIME_CUE),
    ('早', CN | TIME_CUE),
    ('时', CN | TIME_CUE),
    ('末', CN | TIME_CUE),
    ('底', CN | TIME_CUE),
    ('初', CN | TIME_CUE),
    ('节', CN | TIME_CUE),
    ('年', CN | TIME_CUE),
    ('双', CN | TIME_CUE),
    ('钟', TIME_CUE),
    ('月', TIME_CUE),
    ('日', TIME_CUE),
];

/// The slot of character `c` in a [`cue_table`] built with `mult`.
#[inline(always)]
fn cue_slot(c: u32, mult: u32) -> usize {
    (c.wrapping_mul(mult) >> 24) as usize
}

/// The [`CUES`] table: the first odd multiplier (from a fixed start, so the table is the same
/// on every build) under which no two cue characters share a slot.
fn cue_table() -> (Box<[(u32, u8); 256]>, u32) {
    let mut mult: u32 = 0x9E37_79B1;
    loop {
        // An unused slot holds `u32::MAX`, which is no character.
        let mut t = Box::new([(u32::MAX, 0u8); 256]);
        let fits = CUES.iter().all(|&(c, f)| {
            let slot = &mut t[cue_slot(c as u32, mult)];
            let free = slot.0 == u32::MAX;
            *slot = (c as u32, f);
            free
        });
        if fits {
            return (t, mult);
        }
        mult = mult.wrapping_add(2);
    }
}

const NUMBER: &str = r"(¥|rmb)? ?([0-9]+(?:\.[0-9]+)?)(?: ?(cm|厘米|公分|kg|公斤|千克|斤|元|块钱|块|rmb|码|号|米|m))?";
const METRE: &str = r"([1一])米([0-9]{1,2}|[一二三四五六七八九]{1,2})";
const AMOUNT_CN: &str = r"([一二两三四五六七八九十百千万]+)(?:块钱|块|元)";
const TIME: &str = concat!(
    r"(?:(?:这|本|下下|下|上)?(?:周|星期|礼拜)[一二三四五六日天1-7]",
    r"|大后天|后天|明天|今天|今晚|明晚|明早|今早|昨天|前天|当天|周末|月底|月初|节后|年前|年后",
    r"|这周|本周|下周|这两天|这几天|双十一|双11|双12)",
    r"(?:上午|下午|中午|晚上|早上|傍晚)?",
    r"(?:(?:[0-9]{1,2}|[一二两三四五六七八九十]{1,3})点(?:半|[0-9]{1,2}分?)?)?",
    r"|(?:上午|下午|中午|晚上|早上|凌晨|傍晚)?(?:[0-9]{1,2}|[一二两三四五六七八九十]{1,3})点(?:半|[0-9]{1,2}分?)?",
    r"|(?:[0-9]{1,3}|[一二两三四五六七八九十几半]{1,3})个?多?(?:天|小时|分钟|周|星期|礼拜|月|工作日)",
    r"|(?:[0-9]{1,2}月)?[0-9]{1,2}[号日]",
);

impl SlotExtractor {
    /// Compiles the slot patterns.
    ///
    /// # Errors
    ///
    /// [`Error::Regex`] if a built-in pattern does not compile (a bug caught by the tests).
    pub(crate) fn new() -> Result<SlotExtractor, Error> {
        let re = |name: &str, p: &str| {
            Regex::new(p).map_err(|source| Error::Regex {
                file: "slots".into(),
                line: 0,
                rule: name.into(),
                source,
            })
        };
        let (cues, mult) = cue_table();
        Ok(SlotExtractor {
            cues,
            mult,
            number: re("number", NUMBER)?,
            metre: re("metre", METRE)?,
            amount_cn: re("amount_cn", AMOUNT_CN)?,
            time: re("time", TIME)?,
        })
    }

    /// Appends the slots found in the normalised `text` to `out`, in order of kind: order
    /// number, phone, height, weight, size, amount, time. Never panics; linear in `text`.
    pub(crate) fn extract(&self, text: &str, out: &mut Vec<Slot>) {
        let start = out.len();
        // One pass over the characters, with no branch on them, decides which patterns can
        // match at all: ASCII digits and letters; `has_cn`, any character a Chinese-unit
        // pattern needs; and, for each regex, whether a character every one of its matches
        // contains is present (skipping it is then exact).
        let mut flags = 0u8;
        for c in text.chars() {
            let u = c as u32;
            let (k, f) = self.cues[cue_slot(u, self.mult)];
            flags |= f & u8::from(k == u).wrapping_neg();
            flags |= ASCII[(u as usize).min(128)];
        }
        let (has_digit, has_alpha) = (flags & DIGIT != 0, flags & ALPHA != 0);
        let (has_cn, has_metre, has_yuan, has_time) =
            (flags & CN != 0, flags & METRE_CUE != 0, flags & YUAN_CUE != 0, flags & TIME_CUE != 0);
        if !has_digit && !has_alpha && !has_cn {
            return;
        }
        let mut body = Body::default();
        if has_digit || has_cn {
            self.numbers(text, has_digit, has_metre, &mut body, out);
        }
        if has_alpha {
            sizes(text, out);
        }
        if flags & SIZE_CUE != 0 && text.contains("均码") {
            push(out, Slot::Size(Label::truncated("均码")));
        }
        // Every amount in Chinese numerals ends in 块 or 元.
        if has_yuan {
            for m in self.amount_cn.captures_iter(text) {
                if let Some(v) = cn_number(&m[1]) {
                    push(out, Slot::AmountFen(v * 100));
                }
            }
        }
        // Every time phrase holds one of the `has_time` characters (see TIME).
        if (has_digit || has_cn) && has_time {
            for m in self.time.find_iter(text) {
                let t = m.as_str();
                // `39号` is a shoe size, not a day of the month.
                let day = t.strip_suffix(['号', '日']).and_then(|d| d.parse::<u32>().ok());
                if day.is_some_and(|d| d > 31) {
                    continue;
                }
                push(out, Slot::Time(Label::truncated(t)));
            }
        }
        // Kind order is stable whatever order the text gave them in.
        out[start..].sort_by_key(kind);
    }

    /// Digit-based slots: phone, order number, height, weight, amount, shoe/kid size.
    fn numbers(
        &self,
        text: &str,
        has_digit: bool,
        has_metre: bool,
        body: &mut Body,
        out: &mut Vec<Slot>,
    ) {
        let b = text.as_bytes();
        let mut skip_until = 0usize;
        // Every match of METRE holds 米.
        let metres = has_metre.then(|| self.metre.captures_iter(text));
        for m in metres.into_iter().flatten() {
            let sub = &m[2];
            let cm = match sub.parse::<u16>() {
                Ok(d) if sub.len() == 1 => 100 + d * 10,
                Ok(d) => 100 + d,
                Err(_) => {
                    let digits: Vec<u16> = sub.chars().filter_map(cn_digit).collect();
                    match digits[..] {
                        [d] => 100 + d * 10,
                        [d, e] => 100 + d * 10 + e,
                        _ => continue,
                    }
                }
            };
            body.height(cm, out);
            skip_until = m.get(0).map_or(0, |m| m.end());
        }
        if !has_digit {
            return;
        }
        // Bare numbers waiting for context: (value, end byte).
        let mut bare_height: Option<(u16, usize)> = None;
        let mut i = 0;
        while let Some(m) = self.number.captures_at(text, i) {
            let whole = m.get(0).map_or(0..0, |g| g.range());
            i = whole.end.max(whole.start + 1);
            while i < b.len() && !text.is_char_boundary(i) {
                i += 1;
            }
            let Some(num) = m.get(2) else { continue };
            if num.start() < skip_until {
                continue;
            }
            let s = num.start();
            let prev = b.get(s.wrapping_sub(1)).copied().unwrap_or(b' ');
            // Glued to a word or a longer number: model numbers, `iphone13`, `v2.0`.
            if prev.is_ascii_alphabetic() || prev == b'.' {
                continue;
            }
            let digits = num.as_str();
            let unit = m.get(3).map(|u| u.as_str());
            let after = b.get(whole.end).copied().unwrap_or(b' ');
            if unit.is_some_and(|u| u.is_ascii()) && after.is_ascii_alphabetic() {
                continue; // `60kgs`? `1.5mm`: not ours.
            }
            let value: f64 = digits.parse().unwrap_or(0.0);
            let int = !digits.contains('.');
            if m.get(1).is_some() || matches!(unit, Some("元" | "块钱" | "块" | "rmb")) {
                if value < 1e12 {
                    push(out, Slot::AmountFen((value * 100.0).round() as u64));
                }
                continue;
            }
            match unit {
                Some("cm" | "厘米" | "公分") if int && (40.0..=250.0).contains(&value) => {
                    body.height(value as u16, out);
                    bare_height = None;
                }
                Some("米" | "m") if (1.0..=2.5).contains(&value) && !int => {
                    body.height((value * 100.0).round() as u16, out);
                    bare_height = None;
                }
                Some("kg" | "公斤" | "千克") if (3.0..=300.0).contains(&value) => {
                    if let Some((h, _)) = bare_height.take() {
                        body.height(h, out);
                    }
                    body.weight((value * 2.0).round() as u16, out);
                }
                Some("斤") if (5.0..=600.0).contains(&value) => {
                    if let Some((h, _)) = bare_height.take() {
                        body.height(h, out);
                    }
                    body.weight(value.round() as u16, out);
                }
                Some("码") if int && (1..=3).contains(&digits.len()) => {
                    push(out, Slot::Size(Label::truncated(digits)));
                }
                Some("号") if int && (32.0..=48.0).contains(&value) => {
                    push(out, Slot::Size(Label::truncated(digits)));
                }
                Some(_) => {}
                None if after.is_ascii_alphabetic() => {}
                None => {
                    let before = &text[..s];
                    let run_start = s;
                    let run = digits;
                    if let Some(p) = phone(run) {
                        push(out, Slot::Phone(Label::truncated(p)));
                        continue;
                    }
                    if let Some(p) = split_phone(text, run_start) {
                        push(out, Slot::Phone(Label::truncated(&p)));
                        i = run_start + 13;
                        continue;
                    }
                    if (12..=24).contains(&run.len()) && int {
                        push(out, Slot::OrderNumber(Label::truncated(run)));
                        continue;
                    }
                    if !int || run.len() > 3 {
                        continue;
                    }
                    let v = value as u16;
                    let tail = before.trim_end();
                    if tail.ends_with("身高") || tail.ends_with('高') {
                        if (40..=250).contains(&v) {
                            body.height(v, out);
                        }
                        continue;
                    }
                    if tail.ends_with("体重") || tail.ends_with('重') {
                        body.weight(bare_weight(v), out);
                        continue;
                    }
                    if let Some((h, end)) = bare_height
                        && text[end..s].chars().all(|c| matches!(c, ' ' | '/' | ',' | '、' | '+'))
                        && (35..=300).contains(&v)
                    {
                        body.height(h, out);
                        body.weight(bare_weight(v), out);
                        bare_height = None;
                        continue;
                    }
                    if (140..=210).contains(&v) {
                        if text[whole.end..].trim_start().starts_with('穿') {
                            body.height(v, out);
                        } else {
                            bare_height = Some((v, whole.end));
                        }
                    }
                }
            }
        }
    }
}

/// A bare body weight: below 75 it is kilograms (no adult weighs under 75 jin), else jin.
fn bare_weight(v: u16) -> u16 {
    if v < 75 { v.saturating_mul(2) } else { v }
}

/// Height and weight seen once each (the first wins).
#[derive(Debug, Default)]
struct Body {
    height: bool,
    weight: bool,
}

impl Body {
    fn height(&mut self, cm: u16, out: &mut Vec<Slot>) {
        if !std::mem::replace(&mut self.height, true) {
            push(out, Slot::HeightCm(cm));
        }
    }

    fn weight(&mut self, jin: u16, out: &mut Vec<Slot>) {
        if !std::mem::replace(&mut self.weight, true) {
            push(out, Slot::WeightJin(jin));
        }
    }
}

fn push(out: &mut Vec<Slot>, slot: Slot) {
    if out.len() < MAX_SLOTS && !out.contains(&slot) {
        out.push(slot);
    }
}

fn kind(s: &Slot) -> u8 {
    match s {
        Slot::OrderNumber(_) => 0,
        Slot::Phone(_) => 1,
        Slot::HeightCm(_) => 2,
        Slot::WeightJin(_) => 3,
        Slot::Size(_) => 4,
        Slot::AmountFen(_) => 5,
        Slot::Time(_) => 6,
    }
}

/// A mainland mobile number: the whole run is `1[3-9]` + 9 digits, or `86` + that.
fn phone(run: &str) -> Option<&str> {
    let run = match run.len() {
        13 if run.starts_with("86") => &run[2..],
        11 => run,
        _ => return None,
    };
    let b = run.as_bytes();
    (b[0] == b'1' && (b'3'..=b'9').contains(&b[1])).then_some(run)
}

/// `138-1234-5678` or `138 1234 5678` starting at byte `s`: the 11 digits.
fn split_phone(text: &str, s: usize) -> Option<String> {
    let b = text.as_bytes().get(s..)?;
    if b.len() < 13 {
        return None;
    }
    let sep = b[3];
    let shape = (sep == b'-' || sep == b' ')
        && b[8] == sep
        && b[..3].iter().chain(&b[4..8]).chain(&b[9..13]).all(u8::is_ascii_digit)
        && !b.get(13).is_some_and(u8::is_ascii_digit);
    if !shape || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
        return None;
    }
    let mut p = String::with_capacity(11);
    for &c in b[..3].iter().chain(&b[4..8]).chain(&b[9..13]) {
        p.push(char::from(c));
    }
    Some(p)
}

/// Size labels written as an ASCII word of their own: `m`, `xl`, `xxl`, `2xl`, `xs` …
fn sizes(text: &str, out: &mut Vec<Slot>) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let s = i;
        while i < b.len() && b[i].is_ascii_alphanumeric() {
            i += 1;
        }
        let prev = if s > 0 { b[s - 1] } else { b' ' };
        // `1.7m`, `i'm`: not a size.
        if prev == b'.' || prev == b'\'' {
            continue;
        }
        if let Some(l) = size_label(&text[s..i]) {
            push(out, Slot::Size(l));
        }
    }
}

/// `xxl` -> `2XL`, `3xl` -> `3XL`, `m` -> `M`; `None` for anything else.
fn size_label(w: &str) -> Option<Label> {
    let b = w.as_bytes();
    let (count, rest) = match b {
        [d @ b'2'..=b'6', b'x', rest @ ..] => (u32::from(d - b'0'), rest),
        _ => {
            let x = b.iter().take_while(|&&c| c == b'x').count();
            (x as u32, &b[x..])
        }
    };
    let end = match rest {
        [b's'] => 'S',
        [b'l'] => 'L',
        [b'm'] if count == 0 => 'M',
        _ => return None,
    };
    let label = match count {
        0 => end.to_string(),
        1 => format!("X{end}"),
        2..=6 => format!("{count}X{end}"),
        _ => return None,
    };
    Label::new(&label)
}

fn cn_digit(c: char) -> Option<u16> {
    Some(match c {
        '〇' | '零' => 0,
        '一' => 1,
        '二' | '两' => 2,
        '三' => 3,
        '四' => 4,
        '五' => 5,
        '六' => 6,
        '七' => 7,
        '八' => 8,
        '九' => 9,
        _ => return None,
    })
}

/// A Chinese numeral below 100 000 000 (`两百`, `一百五十`, `三千五`, `十`).
fn cn_number(s: &str) -> Option<u64> {
    let (mut total, mut section, mut digit) = (0u64, 0u64, None::<u64>);
    let mut last_unit = 1u64;
    for c in s.chars() {
        if let Some(d) = cn_digit(c).filter(|&d| d > 0) {
            digit = Some(u64::from(d));
            continue;
        }
        let unit = match c {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            '零' | '〇' => {
                // `一百零五`: the digit after a zero is a unit digit.
                last_unit = 1;
                continue;
            }
            '万' => {
                total = (total + section + digit.take().unwrap_or(0)).saturating_mul(10_000);
                section = 0;
                last_unit = 10_000;
                continue;
            }
            _ => return None,
        };
        section += digit.take().unwrap_or(1) * unit;
        last_unit = unit;
    }
    // `三千五` = 3500: a trailing digit counts in the next lower unit.
    let tail = digit.map_or(0, |d| if last_unit >= 100 { d * last_unit / 10 } else { d });
    let v = total + section + tail;
    (v > 0 && v < 100_000_000).then_some(v)
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;
    use crate::pipeline::normalize::Normalizer;

    static X: LazyLock<SlotExtractor> = LazyLock::new(|| SlotExtractor::new().unwrap());
    static N: LazyLock<Normalizer> = LazyLock::new(Normalizer::new);

    #[test]
    fn every_cue_has_its_own_slot() {
        let (t, mult) = cue_table();
        for &(c, f) in &CUES {
            assert_eq!(t[cue_slot(c as u32, mult)], (c as u32, f));
        }
        assert_eq!(t.iter().filter(|e| e.0 != u32::MAX).count(), CUES.len());
    }

    /// The prefilters of `extract` skip a regex only where it cannot match: on every sample
    /// message and on phrases built from every alternative of the patterns, a match always
    /// holds one of the characters its prefilter looks for.
    #[test]
    fn prefilters_skip_only_what_cannot_match() {
        let time_chars = "天周星礼点号晚早时末底初节年双钟月日";
        let holds = |t: &str, set: &str| t.chars().any(|c| set.contains(c));
        let extra = [
            "三个月",
            "五分钟",
            "两个工作日",
            "48小时",
            "下下周一",
            "大后天晚上3点半",
            "月底",
            "节后",
            "年前",
            "双11",
            "3月15号",
            "15日",
            "一米七五",
            "1米7",
            "两百块",
            "一百元",
            "周末",
            "十点",
            "半天",
            "几个星期",
            "礼拜天",
        ];
        let mut norm = String::new();
        for raw in include_str!("../../data/samples/messages.txt").lines().chain(extra) {
            N.run(raw, &mut norm);
            let t = norm.as_str();
            for m in X.time.find_iter(t) {
                assert!(holds(m.as_str(), time_chars), "time {t}: {}", m.as_str());
            }
            for m in X.metre.find_iter(t) {
                assert!(m.as_str().contains('米'), "metre {t}");
            }
            for m in X.amount_cn.find_iter(t) {
                assert!(holds(m.as_str(), "块元"), "amount {t}");
            }
        }
    }

    fn slots(raw: &str) -> Vec<Slot> {
        let mut norm = String::new();
        N.run(raw, &mut norm);
        let mut out = Vec::new();
        X.extract(&norm, &mut out);
        out
    }

    fn l(s: &str) -> Label {
        Label::new(s).unwrap()
    }

    use Slot::*;

    #[test]
    fn table() {
        let cases: &[(&str, &[Slot])] = &[
            ("在吗", &[]),
            ("这件显胖吗", &[]),
            ("", &[]),
            // order numbers and phones
            ("订单号6929384756102", &[OrderNumber(l("6929384756102"))]),
            ("单号 692938475610200000000", &[OrderNumber(l("692938475610200000000"))]),
            ("6929384756102000000000000", &[]),
            ("电话13812345678", &[Phone(l("13812345678"))]),
            ("电话138-1234-5678", &[Phone(l("13812345678"))]),
            ("电话138 1234 5678", &[Phone(l("13812345678"))]),
            ("+8613812345678", &[Phone(l("13812345678"))]),
            ("12812345678", &[]),
            ("订单138123456789", &[OrderNumber(l("138123456789"))]),
            ("我要打12315", &[]),
            // height and weight
            ("170 120斤穿什么码", &[HeightCm(170), WeightJin(120)]),
            ("165cm 110斤", &[HeightCm(165), WeightJin(110)]),
            ("身高172体重58推荐什么码", &[HeightCm(172), WeightJin(116)]),
            ("1米7,60kg", &[HeightCm(170), WeightJin(120)]),
            ("一米七五 130斤", &[HeightCm(175), WeightJin(130)]),
            ("1.70m 60公斤", &[HeightCm(170), WeightJin(120)]),
            ("1.65米", &[HeightCm(165)]),
            ("170/120", &[HeightCm(170), WeightJin(120)]),
            ("160 98斤穿s可以吗", &[HeightCm(160), WeightJin(98), Size(l("S"))]),
            ("我170穿m还是l", &[HeightCm(170), Size(l("M")), Size(l("L"))]),
            ("111斤", &[WeightJin(111)]),
            ("宝宝90cm", &[HeightCm(90)]),
            ("降了170", &[]),
            // sizes
            ("xl码有吗", &[Size(l("XL"))]),
            ("有xxl吗", &[Size(l("2XL"))]),
            ("3xl和xxxl一样吗", &[Size(l("3XL"))]),
            ("平时穿38码", &[Size(l("38"))]),
            ("穿39号的鞋", &[Size(l("39"))]),
            ("均码吗", &[Size(l("均码"))]),
            ("要大一码吗", &[]),
            ("iphone13 128g", &[]),
            ("i'm ok", &[]),
            // amounts
            ("¥199", &[AmountFen(19900)]),
            ("¥ 199.9 买贵了", &[AmountFen(19990)]),
            ("199元", &[AmountFen(19900)]),
            ("便宜50块钱", &[AmountFen(5000)]),
            ("两百块", &[AmountFen(20000)]),
            ("一百五十元", &[AmountFen(15000)]),
            ("三千五块", &[AmountFen(350000)]),
            // time phrases
            ("今天能发吗", &[Time(l("今天"))]),
            ("明天下午3点前能到吗", &[Time(l("明天下午3点"))]),
            ("都三天了", &[Time(l("三天"))]),
            ("3天内发货", &[Time(l("3天"))]),
            ("周五之前", &[Time(l("周五"))]),
            ("下周三到", &[Time(l("下周三"))]),
            ("15号之前能到吗", &[Time(l("15号"))]),
            ("48小时发货", &[Time(l("48小时"))]),
            ("等了两个星期", &[Time(l("两个星期"))]),
            ("下午3点半", &[Time(l("下午3点半"))]),
        ];
        for &(raw, want) in cases {
            assert_eq!(slots(raw), want, "slots of {raw:?}");
        }
    }

    #[test]
    fn cn_numbers() {
        for (s, v) in [
            ("两百", 200),
            ("一百五十", 150),
            ("三千五", 3500),
            ("十", 10),
            ("十五", 15),
            ("一百零五", 105),
            ("五万", 50_000),
        ] {
            assert_eq!(cn_number(s), Some(v), "{s}");
        }
        assert_eq!(cn_number("万万万万万万万万万"), None);
    }

    #[test]
    fn no_panic_and_bounded() {
        let inputs = [
            "1".repeat(10_000),
            "1米".repeat(1000),
            "¥".repeat(100),
            "x".repeat(100),
            "m m m m m m m m m m m m m m m m m m m m m m".into(),
            "138-1234-567".into(),
            "138-1234-".into(),
            "1.".into(),
            ".5m".into(),
            "99999999999999999999999999元".into(),
            "十万万万万亿块".into(),
            "身高".into(),
            "170".into(),
        ];
        for s in &inputs {
            let mut out = Vec::new();
            X.extract(s, &mut out);
            assert!(out.len() <= MAX_SLOTS);
        }
    }
}
