//! Stage 1: normalise a raw message into the text every later stage reads.
//!
//! One pass over at most [`MAX_MESSAGE_CHARS`] characters, each handled by a small `match`:
//!
//! | input | output | cue |
//! |---|---|---|
//! | full-width forms U+FF01..=U+FF5E (`！？，：（）ＡＢ１２`), U+3000 | their ASCII twin (`!?,:()ab12`, space) | |
//! | `￥` (U+FFE5) | `¥` | |
//! | ASCII upper case | lower case | |
//! | traditional Han (fast2s table, O(1) lookup) | simplified | `traditional` |
//! | `!`/`?` runs (`！！！`, `？？？`, `?!?!`) | one `!`, one `?`, or `?!`/`!?` (first seen first) | `exclaim`, `question` per mark; `folded` |
//! | `...`, `。。。`, `……`, `…` | one `…` (U+2026); a single `.` or `。` stays as it is | `ellipsis`; `folded` |
//! | `~` runs (`～～～`, `〜`) | one `~` | `ellipsis`; `folded` |
//! | other punctuation runs (`,,,`, `、、`, `——`) | one mark | `folded` |
//! | a character repeated 3+ times (`哈哈哈哈`, `啊啊啊`) | two of it (`哈哈`) | `folded` |
//! | emoji, kaomoji (`QAQ`, `T_T`, `^_^`, `(╯°□°)╯︵┻━┻`), platform codes (`[怒]`, `[流泪]`, `[赞]`) | a space | `emoji[emotion]`, `symbols` |
//! | zero-width, bidi overrides, BOM, variation selectors, C0/C1 controls | nothing | `invisible` |
//! | whitespace runs (incl. newline, tab, NBSP) | one space; none at either end | |
//!
//! Kept as they are, on purpose:
//!
//! - Chinese punctuation without an ASCII twin (`。` `、` `“”` `《》` `【】`): `，` (U+FF0C) is a
//!   full-width form and so becomes `,`, while `、` and `。` are not. Every full-width form maps
//!   to its half-width twin and nothing else does, so the rule has no exceptions to remember.
//! - ASCII letters and digits are never folded: order numbers (`6929…000`), phones, `12315`,
//!   `111斤`, size labels (`xxxl`), URLs and e-mail addresses keep every character. Chinese
//!   numerals (`〇一二…十百千万两`) are not folded either (`二〇〇〇年`).
//! - Characters outside the ranges above (Cyrillic, kana, CJK extensions) pass through
//!   unchanged; only ASCII is case-folded.
//!
//! Limits: at most [`MAX_MESSAGE_CHARS`] input characters are read (the rest is ignored and
//! [`Cues::truncated`] is set); counters saturate at 255. A zero-width character inside a run
//! does not break it (`哈\u{200b}哈\u{200b}哈` folds like `哈哈哈`).

use crate::decision::Emotion;

/// The most characters of one message that are read; the rest is ignored and flagged.
pub(crate) const MAX_MESSAGE_CHARS: usize = 512;

/// The most bytes [`Normalizer::run`] writes (every kept character is at most 4 bytes).
pub(crate) const MAX_NORMALIZED_BYTES: usize = 4 * MAX_MESSAGE_CHARS;

/// Surface signals counted while normalising (before they are folded away).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Cues {
    /// Characters kept (after the cap).
    pub chars: u32,
    /// The message was longer than [`MAX_MESSAGE_CHARS`].
    pub truncated: bool,
    /// `!` / `！` count (saturating).
    pub exclaim: u8,
    /// `?` / `？` count (saturating).
    pub question: u8,
    /// Ellipses and trailing tildes (`...`, `。。。`, `～`): one per run.
    pub ellipsis: u8,
    /// Characters removed by folding repeated runs (punctuation and repeated characters).
    pub folded: u8,
    /// Emoji cues per emotion (index by [`Emotion::index`]). The `Neutral` slot counts
    /// symbols whose reading is ambiguous in Chinese chat (🙂 and `[微笑]` are often
    /// sarcastic, 😂 wry).
    pub emoji: [u8; Emotion::COUNT],
    /// Traditional characters converted to simplified.
    pub traditional: u8,
    /// Emoji, kaomoji and platform emotion codes removed, with or without an emotion cue.
    pub symbols: u8,
    /// Invisible characters dropped (zero-width, bidi controls, BOM, C0/C1 controls).
    pub invisible: u8,
}

/// Full/half width, ASCII case, traditional -> simplified, folded runs, emoji cues, cap.
#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    /// Simplified form of each traditional character in U+4E00..=U+9FFF (0 = unchanged).
    t2s: Vec<char>,
}

/// Characters fast2s maps although they are standard simplified characters too (members of
/// GB2312 whose conversion corrupts simplified text: 呵呵 -> 嗬嗬, 捍卫, 彷徨, 薰衣草, 哪吒, 大阪,
/// 黏, 磐石, 呱呱 …). They are left as written.
const T2S_KEEP: &str = "磐仝祗黏阪薰吒捍甯彷煅醯呵呱";

const CJK_START: u32 = 0x4E00;
const CJK_END: u32 = 0x9FFF;

impl Normalizer {
    /// Builds the traditional -> simplified table (one `char` per CJK unified ideograph).
    pub(crate) fn new() -> Normalizer {
        let mut t2s = vec!['\0'; (CJK_END - CJK_START + 1) as usize];
        let mut buf = [0u8; 4];
        for (i, slot) in t2s.iter_mut().enumerate() {
            let Some(c) = char::from_u32(CJK_START + i as u32) else { continue };
            if T2S_KEEP.contains(c) {
                continue;
            }
            let s = fast2s::convert(c.encode_utf8(&mut buf));
            let mut it = s.chars();
            if let (Some(t), None) = (it.next(), it.next())
                && t != c
            {
                *slot = t;
            }
        }
        Normalizer { t2s }
    }

    fn simplify(&self, c: char) -> Option<char> {
        let u = c as u32;
        if (CJK_START..=CJK_END).contains(&u) {
            let t = self.t2s[(u - CJK_START) as usize];
            (t != '\0').then_some(t)
        } else {
            None
        }
    }

    /// Writes the normalised `raw` into `out` (cleared first) and returns its cues.
    ///
    /// One pass, O(min(n, [`MAX_MESSAGE_CHARS`])); allocates nothing when `out` already has
    /// the capacity; never panics. See the module docs for every rule.
    pub(crate) fn run(&self, raw: &str, out: &mut String) -> Cues {
        out.clear();
        out.reserve(raw.len().saturating_mul(2).min(MAX_NORMALIZED_BYTES));
        let mut w = Writer {
            out,
            cues: Cues::default(),
            last: '\0',
            run: 0,
            space: false,
            pend: Pend::None,
        };
        let mut rest = raw;
        let mut read = 0usize;
        // The previous input character (folded), for word boundaries of ASCII kaomoji.
        let mut prev = ' ';
        while let Some(c0) = rest.chars().next() {
            if read >= MAX_MESSAGE_CHARS {
                w.cues.truncated = true;
                break;
            }
            let c = fold(c0);
            if may_start_symbol(c)
                && let Some((bytes, n, emotion)) = symbol_at(rest, prev)
                && read + n <= MAX_MESSAGE_CHARS
            {
                w.symbol(emotion);
                rest = &rest[bytes..];
                read += n;
                prev = ' ';
                continue;
            }
            rest = &rest[c0.len_utf8()..];
            read += 1;
            prev = c;
            match classify(c) {
                Class::Invisible => w.cues.invisible = w.cues.invisible.saturating_add(1),
                Class::Space => w.space(),
                Class::Emoji(e) => w.symbol(e),
                Class::Modifier => {}
                Class::Char(c) => {
                    let c = match self.simplify(c) {
                        Some(s) => {
                            w.cues.traditional = w.cues.traditional.saturating_add(1);
                            s
                        }
                        None => c,
                    };
                    w.char(c);
                }
            }
        }
        w.flush();
        w.cues
    }
}

/// Width and ASCII case: the folding every comparison in this module uses (and the
/// tokenizer applies to dictionary words).
#[inline]
pub(crate) fn fold(c: char) -> char {
    match c {
        '\u{3000}' => ' ',
        // Full-width forms are ASCII + 0xFEE0; the result is always a valid char.
        '\u{FF01}'..='\u{FF5E}' => {
            char::from_u32(c as u32 - 0xFEE0).unwrap_or(c).to_ascii_lowercase()
        }
        '\u{FFE5}' => '¥',
        '\u{301C}' => '~',
        '❗' | '❕' | '‼' => '!',
        '❓' | '❔' | '⁉' => '?',
        _ => c.to_ascii_lowercase(),
    }
}

/// What one (folded) input character becomes.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    /// Dropped without a trace (but counted).
    Invisible,
    /// Joins a whitespace run.
    Space,
    /// An emoji: a space in the text, a cue if it carries an emotion.
    Emoji(Option<Emotion>),
    /// Part of an emoji sequence (skin tone, keycap, tag): dropped silently.
    Modifier,
    /// Kept (after traditional -> simplified).
    Char(char),
}

#[inline]
fn classify(c: char) -> Class {
    let u = c as u32;
    // Fast path: printable ASCII and the BMP Han block are by far the most frequent.
    if (0x21..0x7F).contains(&u) || (CJK_START..=CJK_END).contains(&u) {
        return Class::Char(c);
    }
    match u {
        0x200B
        | 0x200C
        | 0x200E
        | 0x200F
        | 0x202A..=0x202E
        | 0x2060..=0x2064
        | 0x2066..=0x206F
        | 0xFEFF
        | 0x00AD
        | 0x180E
        | 0xFFF9..=0xFFFC => Class::Invisible,
        0x200D
        | 0xFE00..=0xFE0F
        | 0xE0000..=0xE007F
        | 0xE0100..=0xE01EF
        | 0x20E3
        | 0x1F3FB..=0x1F3FF => Class::Modifier,
        _ if super::is_space(c) => Class::Space,
        _ if c.is_control() => Class::Invisible,
        0x1F000..=0x1FAFF | 0x2600..=0x27BF | 0x2B00..=0x2BFF | 0x2300..=0x23FF => {
            Class::Emoji(emoji_emotion(c))
        }
        _ => Class::Char(c),
    }
}

/// The emotion an emoji signals in buyer chat, if any.
fn emoji_emotion(c: char) -> Option<Emotion> {
    use Emotion::*;
    Some(match c {
        '😡' | '🤬' | '💢' | '😠' | '👿' | '😤' | '🖕' | '👊' | '🔪' | '💣' | '😾' | '🤮' => {
            Anger
        }
        '😭' | '😢' | '💔' | '😞' | '😔' | '😿' | '🙁' | '☹' | '😩' | '😫' | '😪' | '🥲' | '😕' => {
            Disappointment
        }
        '😰' | '😟' | '🥺' | '😨' | '😱' | '😥' | '😣' | '😖' | '😧' | '😦' | '🤔' | '😬'
        | '😵' | '🙀' | '😳' | '🆘' => Anxiety,
        '⏰' | '⏳' | '⌛' | '⏱' | '⌚' | '🙄' | '😒' | '😑' | '💤' | '🕐' => {
            Impatience
        }
        '😊' | '👍' | '❤' | '🙏' | '😄' | '😁' | '😀' | '😃' | '😆' | '🥰' | '😍' | '😘' | '🤗'
        | '👏' | '👌' | '💯' | '🌹' | '🎉' | '☺' | '💕' | '💖' | '💗' | '💓' | '💞' | '💝'
        | '🥳' | '😋' | '🤩' | '🌟' | '⭐' | '🤝' | '💐' | '🫶' | '😻' | '💪' | '✌' | '🆗'
        | '😉' | '👑' | '🧡' | '💛' | '💚' | '💙' | '💜' | '🎁' => Satisfaction,
        '🙂' | '😂' | '🤣' | '😅' | '😓' | '🙃' | '😐' | '😶' => Neutral,
        _ => return None,
    })
}

/// Kaomoji, written folded (half-width, lower case), longest first within a shared start.
const KAOMOJI: &[(&str, Emotion)] = &[
    ("(╯°□°)╯︵┻━┻", Emotion::Anger),
    ("(╯‵□′)╯︵┻━┻", Emotion::Anger),
    ("(╯°□°)╯", Emotion::Anger),
    ("(╯‵□′)╯", Emotion::Anger),
    ("╯︵┻━┻", Emotion::Anger),
    ("┻━┻", Emotion::Anger),
    ("(#`д´)", Emotion::Anger),
    ("(`д´)", Emotion::Anger),
    ("/(ㄒoㄒ)/~~", Emotion::Disappointment),
    ("o(╥﹏╥)o", Emotion::Disappointment),
    ("(╥﹏╥)", Emotion::Disappointment),
    ("(╥_╥)", Emotion::Disappointment),
    ("(ㄒoㄒ)", Emotion::Disappointment),
    ("(t_t)", Emotion::Disappointment),
    ("╥﹏╥", Emotion::Disappointment),
    ("╥_╥", Emotion::Disappointment),
    ("ㄒoㄒ", Emotion::Disappointment),
    ("ಥ_ಥ", Emotion::Disappointment),
    ("t_t", Emotion::Disappointment),
    ("t.t", Emotion::Disappointment),
    ("t^t", Emotion::Disappointment),
    ("tat", Emotion::Disappointment),
    ("qaq", Emotion::Disappointment),
    ("qwq", Emotion::Disappointment),
    ("orz", Emotion::Disappointment),
    (":-(", Emotion::Disappointment),
    (":(", Emotion::Disappointment),
    ("(⊙_⊙)", Emotion::Anxiety),
    ("⊙﹏⊙", Emotion::Anxiety),
    ("⊙_⊙", Emotion::Anxiety),
    (">_<", Emotion::Anxiety),
    ("@_@", Emotion::Anxiety),
    ("o_o", Emotion::Anxiety),
    ("-_-||", Emotion::Impatience),
    ("-_-", Emotion::Impatience),
    ("=_=", Emotion::Impatience),
    ("-.-", Emotion::Impatience),
    ("=.=", Emotion::Impatience),
    ("¬_¬", Emotion::Impatience),
    ("o(∩_∩)o", Emotion::Satisfaction),
    ("(*^▽^*)", Emotion::Satisfaction),
    ("(^_^)", Emotion::Satisfaction),
    ("(≧∇≦)", Emotion::Satisfaction),
    ("≧▽≦", Emotion::Satisfaction),
    ("^_^", Emotion::Satisfaction),
    ("^o^", Emotion::Satisfaction),
    ("^ω^", Emotion::Satisfaction),
    ("^▽^", Emotion::Satisfaction),
    ("^^", Emotion::Satisfaction),
    (":-)", Emotion::Satisfaction),
    (":)", Emotion::Satisfaction),
    (":d", Emotion::Satisfaction),
];

/// Emotion codes of the chat platforms (`[怒]`, Douyin/Taobao/WeChat style), by inner text.
const CODES: &[(&str, Emotion)] = &[
    ("怒", Emotion::Anger),
    ("发怒", Emotion::Anger),
    ("生气", Emotion::Anger),
    ("愤怒", Emotion::Anger),
    ("抓狂", Emotion::Anger),
    ("怒骂", Emotion::Anger),
    ("鄙视", Emotion::Anger),
    ("菜刀", Emotion::Anger),
    ("炸弹", Emotion::Anger),
    ("流泪", Emotion::Disappointment),
    ("大哭", Emotion::Disappointment),
    ("哭", Emotion::Disappointment),
    ("泪", Emotion::Disappointment),
    ("难过", Emotion::Disappointment),
    ("伤心", Emotion::Disappointment),
    ("委屈", Emotion::Disappointment),
    ("心碎", Emotion::Disappointment),
    ("失望", Emotion::Disappointment),
    ("衰", Emotion::Disappointment),
    ("快哭了", Emotion::Disappointment),
    ("可怜", Emotion::Anxiety),
    ("惊恐", Emotion::Anxiety),
    ("害怕", Emotion::Anxiety),
    ("紧张", Emotion::Anxiety),
    ("疑问", Emotion::Anxiety),
    ("纠结", Emotion::Anxiety),
    ("惊讶", Emotion::Anxiety),
    ("白眼", Emotion::Impatience),
    ("无语", Emotion::Impatience),
    ("撇嘴", Emotion::Impatience),
    ("再见", Emotion::Impatience),
    ("赞", Emotion::Satisfaction),
    ("强", Emotion::Satisfaction),
    ("点赞", Emotion::Satisfaction),
    ("爱心", Emotion::Satisfaction),
    ("比心", Emotion::Satisfaction),
    ("送心", Emotion::Satisfaction),
    ("玫瑰", Emotion::Satisfaction),
    ("握手", Emotion::Satisfaction),
    ("抱拳", Emotion::Satisfaction),
    ("愉快", Emotion::Satisfaction),
    ("憨笑", Emotion::Satisfaction),
    ("呲牙", Emotion::Satisfaction),
    ("大笑", Emotion::Satisfaction),
    ("偷笑", Emotion::Satisfaction),
    ("鼓掌", Emotion::Satisfaction),
    ("害羞", Emotion::Satisfaction),
    ("可爱", Emotion::Satisfaction),
    ("调皮", Emotion::Satisfaction),
    ("胜利", Emotion::Satisfaction),
    ("亲亲", Emotion::Satisfaction),
    ("拥抱", Emotion::Satisfaction),
    ("爱你", Emotion::Satisfaction),
    ("感谢", Emotion::Satisfaction),
    ("谢谢", Emotion::Satisfaction),
    ("加油", Emotion::Satisfaction),
    ("庆祝", Emotion::Satisfaction),
    ("ok", Emotion::Satisfaction),
    ("微笑", Emotion::Neutral),
    ("汗", Emotion::Neutral),
    ("流汗", Emotion::Neutral),
    ("捂脸", Emotion::Neutral),
    ("尴尬", Emotion::Neutral),
    ("笑哭", Emotion::Neutral),
];

/// Whether a kaomoji or a platform code can start with `c` (folded). A test checks this
/// covers every entry of [`KAOMOJI`]; it keeps the per-character cost at one `match`.
#[inline]
fn may_start_symbol(c: char) -> bool {
    matches!(
        c,
        '[' | '('
            | '/'
            | ':'
            | '^'
            | '-'
            | '='
            | '>'
            | '@'
            | 'o'
            | 't'
            | 'q'
            | '╯'
            | '┻'
            | '╥'
            | 'ㄒ'
            | 'ಥ'
            | '⊙'
            | '¬'
            | '≧'
    )
}

/// A kaomoji or platform code at the start of `s`: (bytes, chars, emotion).
///
/// `prev` is the folded character before `s`; kaomoji that start with an ASCII letter need a
/// character other than an ASCII letter or digit before them (`tat` but not `start`), those
/// ending in one the same after them (`qaq` but not `qaqb`), and those ending in `(` anything
/// but a letter, digit or Han character after them (`:(` but not `备注:(急)`).
fn symbol_at(s: &str, prev: char) -> Option<(usize, usize, Option<Emotion>)> {
    if s.starts_with(['[', '［']) {
        return code_at(s).map(|(b, n, e)| (b, n, Some(e)));
    }
    let mut best: Option<(usize, usize, Emotion)> = None;
    for &(pat, emotion) in KAOMOJI {
        if best.is_some_and(|(_, n, _)| n >= pat.chars().count()) {
            continue;
        }
        let Some((bytes, n)) = prefix_folded(s, pat) else { continue };
        let first = pat.chars().next().unwrap_or(' ');
        let last = pat.chars().next_back().unwrap_or(' ');
        let next = s[bytes..].chars().next().map(fold).unwrap_or(' ');
        if (first.is_ascii_alphanumeric() && prev.is_ascii_alphanumeric())
            || (last.is_ascii_alphanumeric() && next.is_ascii_alphanumeric())
            || (last == '(' && next.is_alphanumeric())
        {
            continue;
        }
        best = Some((bytes, n, emotion));
    }
    best.map(|(b, n, e)| (b, n, Some(e)))
}

/// A platform emotion code `[..]` (ASCII or full-width brackets) at the start of `s`.
fn code_at(s: &str) -> Option<(usize, usize, Emotion)> {
    let open = s.chars().next()?.len_utf8();
    let inner_start = open;
    // The longest code is 3 characters; look no further than 4.
    for (i, (at, c)) in s[inner_start..].char_indices().enumerate() {
        if i > 4 {
            return None;
        }
        if fold(c) == ']' {
            let inner = &s[inner_start..inner_start + at];
            let (_, e) = CODES.iter().find(|(k, _)| eq_folded(inner, k))?;
            let end = inner_start + at + c.len_utf8();
            return Some((end, i + 2, *e));
        }
    }
    None
}

/// `s` starts with `pat` when compared folded: (bytes of `s`, chars) matched.
fn prefix_folded(s: &str, pat: &str) -> Option<(usize, usize)> {
    let mut it = s.char_indices();
    let mut n = 0;
    for p in pat.chars() {
        let (_, c) = it.next()?;
        if fold(c) != p {
            return None;
        }
        n += 1;
    }
    let bytes = it.next().map_or(s.len(), |(i, _)| i);
    Some((bytes, n))
}

fn eq_folded(s: &str, pat: &str) -> bool {
    prefix_folded(s, pat).is_some_and(|(b, _)| b == s.len())
}

/// A punctuation run waiting for its end before it is written.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Pend {
    None,
    /// `.`, `。` or `…`: `n` marks, the first one `first`.
    Dots {
        n: u32,
        first: char,
    },
    /// `!` and `?`: `n` marks, in order of first appearance.
    Marks {
        n: u32,
        first: char,
        second: Option<char>,
    },
}

/// The output side of [`Normalizer::run`]: folding state and counters.
struct Writer<'a> {
    out: &'a mut String,
    cues: Cues,
    /// The last character written (`'\0'` after a space or at the start).
    last: char,
    /// How many times in a row `last` occurred in the input.
    run: u32,
    /// A space is owed before the next character (never at the start or the end).
    space: bool,
    pend: Pend,
}

impl Writer<'_> {
    fn push(&mut self, c: char) {
        if self.space {
            self.space = false;
            if !self.out.is_empty() {
                self.out.push(' ');
                self.cues.chars += 1;
            }
        }
        self.out.push(c);
        self.cues.chars += 1;
    }

    fn fold_count(&mut self, n: u32) {
        self.cues.folded = self.cues.folded.saturating_add(n.min(255) as u8);
    }

    /// Writes a pending punctuation run.
    fn flush(&mut self) {
        match std::mem::replace(&mut self.pend, Pend::None) {
            Pend::None => {}
            Pend::Dots { n, first } => {
                if n == 1 && first != '…' {
                    self.push(first);
                    self.last = first;
                } else {
                    self.push('…');
                    self.last = '…';
                    self.cues.ellipsis = self.cues.ellipsis.saturating_add(1);
                    self.fold_count(n - 1);
                }
                self.run = 1;
            }
            Pend::Marks { n, first, second } => {
                self.push(first);
                self.last = first;
                let mut kept = 1;
                if let Some(s) = second {
                    self.push(s);
                    self.last = s;
                    kept = 2;
                }
                self.run = 1;
                self.fold_count(n - kept);
            }
        }
    }

    fn space(&mut self) {
        self.flush();
        self.space = true;
        self.last = '\0';
        self.run = 0;
    }

    fn symbol(&mut self, e: Option<Emotion>) {
        self.cues.symbols = self.cues.symbols.saturating_add(1);
        if let Some(e) = e {
            let n = &mut self.cues.emoji[e.index()];
            *n = n.saturating_add(1);
        }
        self.space();
    }

    fn char(&mut self, c: char) {
        match c {
            '.' | '。' | '…' => {
                if let Pend::Dots { n, .. } = &mut self.pend {
                    *n += 1;
                } else {
                    self.flush();
                    self.pend = Pend::Dots { n: 1, first: c };
                }
            }
            '!' | '?' => {
                if c == '!' {
                    self.cues.exclaim = self.cues.exclaim.saturating_add(1);
                } else {
                    self.cues.question = self.cues.question.saturating_add(1);
                }
                if let Pend::Marks { n, first, second } = &mut self.pend {
                    *n += 1;
                    if c != *first && second.is_none() {
                        *second = Some(c);
                    }
                } else {
                    self.flush();
                    self.pend = Pend::Marks { n: 1, first: c, second: None };
                }
            }
            _ => {
                self.flush();
                let same = c == self.last && !self.space;
                if is_punct(c) {
                    if same {
                        self.fold_count(1);
                        return;
                    }
                    if c == '~' {
                        self.cues.ellipsis = self.cues.ellipsis.saturating_add(1);
                    }
                } else if same && self.run >= 2 && foldable(c) {
                    self.fold_count(1);
                    return;
                }
                self.run = if same { self.run + 1 } else { 1 };
                self.last = c;
                self.push(c);
            }
        }
    }
}

/// Punctuation folded to one mark per run.
#[inline]
fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32, 0x3001..=0x3004 | 0x3008..=0x303F | 0x2010..=0x2027 | 0x2030..=0x205E | 0xFF5F..=0xFF65)
}

/// Chinese numerals, never folded (`二〇〇〇年`, `一一一`).
const NUMERALS: &str = "〇零一二三四五六七八九十百千万亿两";

/// Characters whose runs of 3+ fold to 2: not ASCII letters or digits, not Chinese numerals.
/// Only asked on the third repeat of a character, so the scan of [`NUMERALS`] costs nothing.
#[inline]
fn foldable(c: char) -> bool {
    !c.is_ascii_alphanumeric() && !NUMERALS.contains(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Built once: the t2s table takes a few milliseconds.
    static N: std::sync::LazyLock<Normalizer> = std::sync::LazyLock::new(Normalizer::new);

    fn norm(s: &str) -> (String, Cues) {
        let mut out = String::new();
        let cues = N.run(s, &mut out);
        (out, cues)
    }

    /// Input -> normalised text. Each fixed bug adds a row.
    const CASES: &[(&str, &str)] = &[
        ("", ""),
        ("在吗", "在吗"),
        // width and case
        ("ＸＬ码有吗？", "xl码有吗?"),
        ("Ｈｅｌｌｏ　ＯＫ", "hello ok"),
        ("１２３４５", "12345"),
        ("（急）：今天发吗！", "(急):今天发吗!"),
        ("好的，谢谢。", "好的,谢谢。"),
        ("价格￥１９９", "价格¥199"),
        ("iPhone 15 Pro", "iphone 15 pro"),
        // traditional -> simplified
        ("請問下週會補貨嗎", "请问下周会补货吗"),
        ("我會去消保官檢舉你們", "我会去消保官检举你们"),
        ("發貨了沒", "发货了没"),
        ("乾性肌膚", "干性肌肤"),
        ("呵呵，捍卫薰衣草", "呵呵,捍卫薰衣草"),
        // repeated punctuation
        ("发货了吗？？？", "发货了吗?"),
        ("快点！！！！", "快点!"),
        ("什么意思？！？！", "什么意思?!"),
        ("凭什么只退一半！？", "凭什么只退一半!?"),
        ("好吧。。。", "好吧…"),
        ("好吧...", "好吧…"),
        ("好吧……", "好吧…"),
        ("好吧..", "好吧…"),
        ("1.70m", "1.70m"),
        ("收到了。谢谢", "收到了。谢谢"),
        ("好的～～～", "好的~"),
        ("亲,,,在吗", "亲,在吗"),
        ("等等——", "等等—"),
        // repeated characters
        ("哈哈哈哈哈", "哈哈"),
        ("啊啊啊啊气死了", "啊啊气死了"),
        ("哈哈", "哈哈"),
        ("好好好", "好好"),
        ("哈\u{200b}哈\u{200b}哈", "哈哈"),
        // digits, letters and numerals are never folded
        ("订单号6929384756000", "订单号6929384756000"),
        ("我要打12315", "我要打12315"),
        ("111斤穿什么码", "111斤穿什么码"),
        ("有xxxl吗", "有xxxl吗"),
        ("13800001111", "13800001111"),
        ("二〇〇〇年", "二〇〇〇年"),
        // emoji, kaomoji and codes become a space, trimmed at the ends
        ("好的👍谢谢", "好的 谢谢"),
        ("😡😡😡", ""),
        ("气死了😡", "气死了"),
        ("❤️喜欢", "喜欢"),
        ("👍🏻好评", "好评"),
        ("还没到QAQ", "还没到"),
        ("还没到T_T", "还没到"),
        ("tat", ""),
        ("start", "start"),
        ("qaqb", "qaqb"),
        ("收到了^_^谢谢", "收到了 谢谢"),
        ("(╯°□°)╯︵┻━┻退款", "退款"),
        ("备注:(急)", "备注:(急)"),
        ("好的:)", "好的"),
        ("[怒]还不发货", "还不发货"),
        ("［流泪］", ""),
        ("[赞][赞]", ""),
        ("[图片]", "[图片]"),
        ("[微笑]", ""),
        // invisible and whitespace
        ("\u{200b}\u{200d}\u{feff}", ""),
        ("退\u{202e}款", "退款"),
        ("  在吗 \n\t 亲  ", "在吗 亲"),
        ("a\u{0}b\u{7}c\u{85}d", "abc d"),
        ("\u{a0}你好\u{2028}", "你好"),
        ("❗️❗️急", "!急"),
    ];

    #[test]
    fn table() {
        for &(input, want) in CASES {
            let (got, cues) = norm(input);
            assert_eq!(got, want, "normalise({input:?})");
            assert_eq!(cues.chars as usize, got.chars().count(), "chars of {input:?}");
        }
    }

    #[test]
    fn cues_count_what_is_folded_away() {
        let (_, c) = norm("发货了吗？？？快点！！");
        assert_eq!((c.question, c.exclaim, c.folded), (3, 2, 3));
        let (_, c) = norm("哈哈哈哈哈");
        assert_eq!(c.folded, 3);
        let (_, c) = norm("好吧。。。唉...");
        assert_eq!((c.ellipsis, c.folded), (2, 4));
        let (_, c) = norm("好的～");
        assert_eq!(c.ellipsis, 1);
        let (_, c) = norm("請問發貨了嗎");
        assert_eq!(c.traditional, 5);
        let (_, c) = norm("\u{200b}在\u{feff}吗");
        assert_eq!(c.invisible, 2);
    }

    #[test]
    fn emoji_cues() {
        use Emotion::*;
        let cases: &[(&str, Emotion, u8)] = &[
            ("😡🤬💢", Anger, 3),
            ("[怒][发怒]", Anger, 2),
            ("(╯°□°)╯︵┻━┻", Anger, 1),
            ("😭😢💔", Disappointment, 3),
            ("[流泪]qaq T_T", Disappointment, 3),
            ("😰😟🥺", Anxiety, 3),
            ("⏰⏳", Impatience, 2),
            ("-_-", Impatience, 1),
            ("😊👍❤️🙏", Satisfaction, 4),
            ("[赞]^_^", Satisfaction, 2),
            ("🙂[微笑]", Neutral, 2),
        ];
        for &(input, e, n) in cases {
            let (out, c) = norm(input);
            assert_eq!(c.emoji[e.index()], n, "{input:?} -> {:?}", c.emoji);
            assert_eq!(
                c.emoji.iter().map(|&x| u32::from(x)).sum::<u32>(),
                u32::from(n),
                "{input:?}"
            );
            assert_eq!(out, "", "{input:?}");
        }
        let (_, c) = norm("🐶🌈");
        assert_eq!((c.symbols, c.emoji), (2, [0; Emotion::COUNT]));
    }

    #[test]
    fn cap_is_flagged() {
        let long = "好".repeat(MAX_MESSAGE_CHARS + 1);
        let (out, c) = norm(&long);
        assert!(c.truncated);
        assert_eq!(out, "好好");
        let exact = "a".repeat(MAX_MESSAGE_CHARS);
        let (out, c) = norm(&exact);
        assert!(!c.truncated);
        assert_eq!(out.len(), MAX_MESSAGE_CHARS);
        let digits: String = (0..1000).map(|i| char::from(b'0' + (i % 10) as u8)).collect();
        let (out, c) = norm(&digits);
        assert!(c.truncated);
        assert_eq!(out, digits[..MAX_MESSAGE_CHARS]);
    }

    #[test]
    fn every_kaomoji_is_reachable() {
        for (pat, _) in KAOMOJI {
            let first = pat.chars().next().unwrap();
            assert!(may_start_symbol(first), "help: add {first:?} to may_start_symbol");
            assert_eq!(pat.chars().map(fold).collect::<String>(), *pat, "write {pat} folded");
            let (out, c) = norm(&format!("好 {pat} 好"));
            assert_eq!((out.as_str(), c.symbols), ("好 好", 1), "{pat}");
        }
        for (code, _) in CODES {
            let (out, c) = norm(&format!("好[{code}]"));
            assert_eq!((out.as_str(), c.symbols), ("好", 1), "[{code}]");
        }
    }

    #[test]
    fn reuses_the_buffer() {
        let n = &*N;
        let mut out = String::with_capacity(MAX_NORMALIZED_BYTES);
        let ptr = out.as_ptr();
        for s in ["在吗", &"好".repeat(2000), "😡😡", "發貨了嗎？？？"] {
            n.run(s, &mut out);
            assert_eq!(out.as_ptr(), ptr, "reallocated on {s:.20}");
        }
    }

    /// No panic, output within bounds, idempotent, on tricky inputs (no proptest needed).
    #[test]
    fn tricky_inputs_hold_the_invariants() {
        let mega = "退款".repeat(1 << 19);
        let mut inputs: Vec<String> = vec![
            String::new(),
            " ".into(),
            "\u{3000}\n\t\r ".into(),
            "\u{200b}\u{200c}\u{200d}\u{200e}\u{200f}\u{feff}".into(),
            mega,
            "😡😭😰⏰😊🙂🐶👨‍👩‍👧‍👦🇨🇳".repeat(100),
            (0u32..0x20).chain(0x7F..0xA0).filter_map(char::from_u32).collect(),
            "Hello世界Привет🙂مرحبا١٢٣ｶﾀｶﾅ𠀀".into(),
            "[[[[[]]]]][怒".into(),
            "[".into(),
            "(╯°□°".into(),
            "..。。……!!??~~".repeat(200),
            "\u{0301}\u{20e3}\u{fe0f}".into(),
            "a".repeat(600),
        ];
        // Every character class at every position of a short message.
        let alphabet = ['哈', '!', '?', '.', '。', '~', ' ', '\u{200b}', '😡', '1', 'A', '發', ':'];
        for &a in &alphabet {
            for &b in &alphabet {
                for &c in &alphabet {
                    inputs.push([a, b, b, c, c, c].iter().collect());
                }
            }
        }
        let n = &*N;
        let mut out = String::new();
        let mut again = String::new();
        for s in &inputs {
            let c = n.run(s, &mut out);
            assert!(out.len() <= MAX_NORMALIZED_BYTES, "{s:.20}");
            assert_eq!(c.chars as usize, out.chars().count());
            assert!(!out.starts_with(' ') && !out.ends_with(' ') && !out.contains("  "), "{out:?}");
            assert!(!out.chars().any(|c| c.is_control() || c == '\u{200b}'), "{out:?}");
            assert_eq!(c.truncated, s.chars().count() > MAX_MESSAGE_CHARS, "{s:.20}");
            n.run(&out, &mut again);
            assert_eq!(again, out, "normalising twice changes {s:.40?}");
        }
    }
}
