//! Stage 1: normalise a raw message into the text every later stage reads.

use crate::decision::Emotion;

/// The most characters of one message that are read; the rest is ignored and flagged.
pub(crate) const MAX_MESSAGE_CHARS: usize = 512;

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
    /// Ellipses and trailing tildes (`...`, `。。。`, `～`).
    pub ellipsis: u8,
    /// Characters removed by folding repeated runs.
    pub folded: u8,
    /// Emoji cues per emotion (index by [`Emotion::index`]).
    pub emoji: [u8; Emotion::COUNT],
    /// Traditional characters converted to simplified.
    pub traditional: u8,
}

/// Full/half width, ASCII case, traditional -> simplified, folded runs, emoji cues, cap.
#[derive(Debug, Clone)]
pub(crate) struct Normalizer {
    /// Simplified form of each traditional character in U+4E00..=U+9FFF (0 = unchanged).
    t2s: Vec<char>,
}

const CJK_START: u32 = 0x4E00;
const CJK_END: u32 = 0x9FFF;

impl Normalizer {
    pub(crate) fn new() -> Normalizer {
        let mut t2s = vec!['\0'; (CJK_END - CJK_START + 1) as usize];
        let mut buf = [0u8; 4];
        for (i, slot) in t2s.iter_mut().enumerate() {
            let Some(c) = char::from_u32(CJK_START + i as u32) else { continue };
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
    pub(crate) fn run(&self, raw: &str, out: &mut String) -> Cues {
        out.clear();
        let mut cues = Cues::default();
        for (n, c) in raw.chars().enumerate() {
            if n >= MAX_MESSAGE_CHARS {
                cues.truncated = true;
                break;
            }
            let c = match c {
                '\u{3000}' => ' ',
                '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
                _ => c,
            };
            let c = c.to_ascii_lowercase();
            let c = match self.simplify(c) {
                Some(s) => {
                    cues.traditional = cues.traditional.saturating_add(1);
                    s
                }
                None => c,
            };
            match c {
                '!' => cues.exclaim = cues.exclaim.saturating_add(1),
                '?' => cues.question = cues.question.saturating_add(1),
                _ => {}
            }
            out.push(c);
            cues.chars += 1;
        }
        cues
    }
}
