//! Default data (`data/*`, embedded with `include_str!` behind the `default-data` feature) and
//! the line reader every data format shares.
//!
//! Every data file is UTF-8 text whose first line is `#format NAME vN`. Blank lines and lines
//! starting with `#` are comments; records are tab-separated columns. Parsing (text -> specs)
//! lives beside each stage; compiling (specs -> automata, tables) happens in
//! [`EngineBuilder::build`](crate::EngineBuilder::build).

use crate::error::Error;

/// A named data text: `(file name used in errors, contents)`.
pub(crate) type Source<'a> = (&'a str, &'a str);

#[cfg(feature = "default-data")]
pub(crate) mod embedded {
    pub(crate) const USER_DICT: &str = include_str!("../data/user_dict.txt");
    pub(crate) const INTENTS: &str = include_str!("../data/intents.tsv");
    pub(crate) const RULES: &str = include_str!("../data/rules.tsv");
    pub(crate) const INTENT_MODEL: &str = include_str!("../data/intent_model.tsv");
    pub(crate) const EMOTION: &str = include_str!("../data/emotion.tsv");
    pub(crate) const EMOTION_MODEL: &str = include_str!("../data/emotion_model.tsv");
    pub(crate) const RISK: &str = include_str!("../data/risk_model.tsv");
    pub(crate) const POLICY: &str = include_str!("../data/policy.tsv");
    pub(crate) const SIZE_CHART: &str = include_str!("../data/size_chart.tsv");
}

/// One record of a data file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Record<'a> {
    pub file: &'a str,
    /// 1-based line number.
    pub line: usize,
    pub text: &'a str,
}

impl<'a> Record<'a> {
    /// The tab-separated columns.
    pub fn fields(&self) -> std::str::Split<'a, char> {
        self.text.split('\t')
    }

    /// The first `N` columns, or an error naming the columns expected.
    pub fn cols<const N: usize>(&self, names: &str) -> Result<[&'a str; N], Error> {
        let mut it = self.fields();
        let mut out = [""; N];
        for slot in &mut out {
            match it.next() {
                Some(f) => *slot = f.trim(),
                None => {
                    return Err(self.error(format!(
                        "expected {N} tab-separated columns ({names}), found fewer"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// Column `i` (0-based), trimmed, if present and not empty.
    pub fn col(&self, i: usize) -> Option<&'a str> {
        self.fields().nth(i).map(str::trim).filter(|s| !s.is_empty())
    }

    /// A parse error at this record.
    pub fn error(&self, message: impl Into<String>) -> Error {
        Error::parse(self.file, self.line, message)
    }

    /// Parses a number, with an error naming the column.
    pub fn num<T: std::str::FromStr>(&self, what: &str, s: &str) -> Result<T, Error> {
        s.trim().parse().map_err(|_| self.error(format!("`{what}` must be a number, found `{s}`")))
    }
}

/// The largest data text the builder accepts (a bound on build time and memory).
pub(crate) const MAX_DATA_BYTES: usize = 32 << 20;

/// Checks the `#format NAME vN` header and yields the records after it.
pub(crate) fn records<'a>(
    src: Source<'a>,
    format: &str,
) -> Result<impl Iterator<Item = Record<'a>>, Error> {
    let (file, text) = src;
    if text.len() > MAX_DATA_BYTES {
        return Err(Error::TooLarge {
            file: file.to_owned(),
            what: format!("{} bytes", text.len()),
            limit: MAX_DATA_BYTES,
        });
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let first = text.lines().next().unwrap_or("").trim();
    let expected = format!("#format {format}");
    if first != expected {
        return Err(Error::FormatVersion {
            file: file.to_owned(),
            found: first.chars().take(40).collect(),
            expected: format.to_owned(),
        });
    }
    Ok(text.lines().enumerate().skip(1).filter_map(move |(i, l)| {
        let l = l.strip_suffix('\r').unwrap_or(l);
        (!l.trim().is_empty() && !l.starts_with('#')).then_some(Record {
            file,
            line: i + 1,
            text: l,
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_checked() {
        assert!(records(("x.tsv", "#format rules v1\na\tb\n"), "rules v1").is_ok());
        let e = records(("x.tsv", "#format rules v0\n"), "rules v1").err().unwrap();
        assert!(e.to_string().contains("x.tsv"), "{e}");
        assert!(records(("x.tsv", ""), "rules v1").is_err());
    }

    #[test]
    fn comments_and_blanks_are_skipped_with_line_numbers_kept() {
        let r: Vec<_> = records(("x", "#format t v1\n# c\n\na\tb\r\n"), "t v1").unwrap().collect();
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].line, 4);
        assert_eq!(r[0].cols::<2>("a, b").unwrap(), ["a", "b"]);
        assert!(r[0].cols::<3>("a, b, c").unwrap_err().to_string().starts_with("x:4:"));
    }
}
