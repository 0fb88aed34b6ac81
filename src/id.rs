//! Small identifiers: [`Label`] (a short inline string) and [`IntentId`].
//!
//! Everything an [`Action`](crate::Action) or a [`Decision`](crate::Decision) names (intents,
//! templates, size labels, order numbers, rule ids) is a [`Label`]: at most [`Label::CAPACITY`]
//! bytes stored inline, so producing a decision never allocates a string and every action is
//! `Copy`.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A short string (at most [`Label::CAPACITY`] bytes of UTF-8) stored inline.
///
/// Used for intent ids, template ids, size labels, rule ids and order numbers. It dereferences
/// to `&str`, compares with `&str`, and serializes as a plain JSON string.
///
/// ```
/// use kefu::Label;
/// let l = Label::new("refund_request").unwrap();
/// assert_eq!(l, "refund_request");
/// assert!(Label::new(&"x".repeat(40)).is_none());
/// assert_eq!(Label::truncated("退款退款退款退款退款退款退款").len(), 30);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    len: u8,
    bytes: [u8; Label::CAPACITY],
}

impl Label {
    /// The most bytes a label holds.
    pub const CAPACITY: usize = 32;

    /// The empty label.
    pub const EMPTY: Label = Label { len: 0, bytes: [0; Label::CAPACITY] };

    /// A label holding `s`, or `None` when `s` is longer than [`Label::CAPACITY`] bytes.
    pub fn new(s: &str) -> Option<Label> {
        if s.len() > Self::CAPACITY {
            return None;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..s.len()].copy_from_slice(s.as_bytes());
        Some(Label { len: s.len() as u8, bytes })
    }

    /// A label holding the longest prefix of `s` that fits, cut at a character boundary.
    pub fn truncated(s: &str) -> Label {
        let mut end = s.len().min(Self::CAPACITY);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        // The prefix fits by construction.
        Label::new(&s[..end]).unwrap_or(Label::EMPTY)
    }

    /// The label as a string slice.
    pub fn as_str(&self) -> &str {
        // Only ever filled from a `&str` cut at a char boundary.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or_default()
    }
}

impl Default for Label {
    fn default() -> Self {
        Label::EMPTY
    }
}

impl Deref for Label {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Label {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl Borrow<str> for Label {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl fmt::Debug for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<str> for Label {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Label {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl TryFrom<&str> for Label {
    type Error = crate::Error;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Label::new(s).ok_or_else(|| crate::Error::LabelTooLong { value: s.to_owned() })
    }
}

impl Serialize for Label {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Label {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Label;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a string of at most {} bytes", Label::CAPACITY)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Label, E> {
                Label::new(v).ok_or_else(|| E::invalid_length(v.len(), &self))
            }
            // Order numbers sometimes arrive as JSON numbers.
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Label, E> {
                Ok(Label::truncated(&v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// An order number as the platform spells it (at most 32 bytes).
pub type OrderId = Label;

/// Index of an intent in an [`Engine`](crate::Engine)'s intent table.
///
/// Intents are open (a merchant may declare its own), so they are numbered per engine; the
/// name is [`Engine::intent_name`](crate::Engine::intent_name), and the reverse is
/// [`Engine::intent_id`](crate::Engine::intent_id).
#[repr(transparent)]
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
pub struct IntentId(pub(crate) u16);

impl IntentId {
    /// The position of this intent in the engine's table.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_round_trips_through_json() {
        let l = Label::new("七天无理由").unwrap();
        let j = serde_json::to_string(&l).unwrap();
        assert_eq!(j, "\"七天无理由\"");
        let back: Label = serde_json::from_str(&j).unwrap();
        assert_eq!(back, l);
        let n: Label = serde_json::from_str("6929384756102").unwrap();
        assert_eq!(n, "6929384756102");
        assert!(serde_json::from_str::<Label>(&format!("\"{}\"", "9".repeat(33))).is_err());
    }

    #[test]
    fn truncation_respects_char_boundaries() {
        for n in 0..40 {
            let s = "退".repeat(n);
            let l = Label::truncated(&s);
            assert!(l.len() <= Label::CAPACITY);
            assert!(s.starts_with(l.as_str()));
        }
    }
}
