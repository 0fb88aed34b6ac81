//! [`Error`]: what can go wrong building an [`Engine`](crate::Engine), parsing an event or
//! restoring a snapshot. The hot path ([`Session::on_event`](crate::Session::on_event)) cannot
//! fail.

/// Everything that can fail in kefu. Messages name the file and line, the offending value and
/// what to do; an underlying cause is in [`std::error::Error::source`].
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A data line could not be read.
    #[error("{file}:{line}: {message}")]
    Parse {
        /// Data file name (`rules.tsv`, or the name given to the builder).
        file: String,
        /// 1-based line number.
        line: usize,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A data file is missing its `#format NAME vN` header or has another version.
    #[error(
        "{file} is format `{found}`, this build reads `#format {expected}`; re-export it or fix its first line"
    )]
    FormatVersion {
        /// Data file name.
        file: String,
        /// The header found (empty when missing).
        found: String,
        /// The header expected, e.g. `rules v1`.
        expected: String,
    },
    /// A rule or model names an intent that no intent file declares.
    #[error(
        "{file}:{line}: unknown intent `{intent}`; declare it in intents.tsv (or with EngineBuilder::intents) or drop the line"
    )]
    UnknownIntent {
        /// Data file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The undeclared intent.
        intent: String,
    },
    /// An id is declared twice.
    #[error("{file}:{line}: duplicate id `{id}`; ids must be unique, rename or drop one of them")]
    Duplicate {
        /// Data file name.
        file: String,
        /// 1-based line number of the second declaration.
        line: usize,
        /// The id.
        id: String,
    },
    /// A number is outside its allowed range.
    #[error("{file}:{line}: `{key}` = {value} is out of range; expected {range}")]
    OutOfRange {
        /// Data file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The setting.
        key: String,
        /// The value given.
        value: String,
        /// The allowed range, in words.
        range: String,
    },
    /// A regex rule does not compile (or is too large).
    #[error(
        "{file}:{line}: rule `{rule}` is not a valid regex (or exceeds the size limit); fix the pattern"
    )]
    Regex {
        /// Data file name.
        file: String,
        /// 1-based line number.
        line: usize,
        /// The rule id.
        rule: String,
        /// The regex crate's error.
        #[source]
        source: regex::Error,
    },
    /// Some input is larger than the engine accepts.
    #[error("{file}: {what} exceeds the limit of {limit}; split or shorten it")]
    TooLarge {
        /// Data file name.
        file: String,
        /// What is too large.
        what: String,
        /// The limit.
        limit: usize,
    },
    /// A setting given through code (not a file) is out of range.
    #[error("`{setting}` = {value} is invalid; expected {expected}")]
    InvalidSetting {
        /// The setter, e.g. `IntentTrainer::learning_rate`.
        setting: String,
        /// The value given.
        value: String,
        /// What is allowed.
        expected: String,
    },
    /// A label (id, size, order number) is longer than 32 bytes.
    #[error("`{value}` is longer than 32 bytes; use a shorter id")]
    LabelTooLong {
        /// The value.
        value: String,
    },
    /// An event on the wire is not valid.
    #[error("invalid event: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    InvalidEvent {
        /// The field at fault (`type`, `at_ms`, `text`, `buyer` …), when one is; `None` when
        /// the line is not a JSON object at all.
        field: Option<String>,
        /// What is wrong (with the column, for JSON syntax errors).
        message: String,
    },
    /// A snapshot cannot be restored.
    #[error("snapshot cannot be restored: {message}")]
    Snapshot {
        /// What is wrong.
        message: String,
    },
}

impl Error {
    /// A [`Error::Parse`] for `file:line`.
    pub(crate) fn parse(file: &str, line: usize, message: impl Into<String>) -> Error {
        Error::Parse { file: file.to_owned(), line, message: message.into() }
    }
}
