//! [`Event`]: everything a host feeds into a [`Session`](crate::Session).
//!
//! On the wire an event is one JSON object with a snake_case `type`, `at_ms`, an optional
//! `buyer` and its fields in snake_case (DESIGN.md §2). [`Envelope::from_json`] parses one line
//! of a JSON-lines log and keeps the `buyer`.

use std::borrow::Cow;

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::id::{Label, OrderId};

/// Who wrote a chat message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Speaker {
    /// The buyer.
    Buyer,
    /// A human agent of the shop. An agent reply resolves the buyer's open question.
    Agent,
    /// An automatic reply. A bot reply does not resolve anything.
    Bot,
}

/// A page of the shop's front end whose views are behaviour signals.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Page {
    /// The order detail page.
    OrderDetail,
    /// The return / refund policy.
    ReturnPolicy,
    /// The product page.
    ProductPage,
    /// The live-stream room.
    LiveRoom,
    /// The reviews of the product.
    Reviews,
    /// The size chart.
    SizeChart,
}

impl Page {
    /// Number of pages.
    pub const COUNT: usize = 6;
    /// Every page, in declaration order.
    pub const ALL: [Page; Page::COUNT] = [
        Page::OrderDetail,
        Page::ReturnPolicy,
        Page::ProductPage,
        Page::LiveRoom,
        Page::Reviews,
        Page::SizeChart,
    ];
    /// Position in [`Page::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

/// After-sale reason codes, mirroring the platforms' refund reasons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RefundReason {
    /// 多拍/错拍/不想要: ordered by mistake or no longer wanted.
    NoLongerWanted,
    /// 不喜欢/效果不好: does not like it, effect not as hoped.
    NotAsExpected,
    /// 尺寸不符: size does not fit.
    SizeMismatch,
    /// 质量问题: defective.
    QualityIssue,
    /// 发错货: wrong item shipped.
    WrongItem,
    /// 破损: damaged in transit.
    Damaged,
    /// 少件/漏发: missing parts.
    MissingParts,
    /// 未按约定时间发货: shipped late.
    ShippedLate,
    /// 价格变化/降价: price dropped.
    PriceChange,
    /// Anything else.
    Other,
}

/// A retention offer the shop can make (also what a buyer may accept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Offer {
    /// Personal size advice.
    SizeHelp,
    /// Proof of quality or effect: real photos, inspection reports, buyer shows.
    QualityProof,
    /// A firm shipping or delivery promise.
    ShippingPromise,
    /// A coupon or small discount.
    Coupon,
}

/// One thing that happened to a buyer, stamped with the host's clock (`at_ms`, milliseconds).
///
/// Text is borrowed when it can be (`Cow`), so parsing a JSON line without escapes copies
/// nothing. Events are tolerated out of order and duplicated: see [`Session`](crate::Session).
///
/// ```
/// use kefu::{Event, Page};
/// let e = Event::buyer_says(1_000, "在吗");
/// assert_eq!(e.at_ms(), 1_000);
/// let json = serde_json::to_string(&Event::PageView { at_ms: 5, page: Page::ReturnPolicy, product: None }).unwrap();
/// assert_eq!(json, r#"{"type":"page_view","at_ms":5,"page":"return_policy"}"#);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Event<'a> {
    /// A chat message.
    Message {
        /// When it was sent.
        at_ms: u64,
        /// Who wrote it.
        from: Speaker,
        /// What was written, as typed.
        #[serde(borrow)]
        text: Cow<'a, str>,
    },
    /// An order was placed (not yet paid).
    OrderCreated {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
        /// Order amount in fen (0.01 CNY), when known.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        amount_fen: Option<u64>,
        /// Product (SPU/SKU id), used to pick a size chart.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<Label>,
    },
    /// An order was paid: the golden window starts.
    OrderPaid {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
        /// Amount paid in fen.
        amount_fen: u64,
        /// Product (SPU/SKU id), used to pick a size chart.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<Label>,
    },
    /// The parcel left the warehouse.
    OrderShipped {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
    },
    /// The parcel was delivered.
    OrderDelivered {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
    },
    /// The order was cancelled.
    OrderCancelled {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
    },
    /// The parcel has not moved for `hours`.
    LogisticsStalled {
        /// When this was noticed.
        at_ms: u64,
        /// Order number.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        order: Option<OrderId>,
        /// Hours without a logistics update.
        hours: u32,
    },
    /// The buyer filed a refund or return.
    RefundRequested {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
        /// The platform's reason code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<RefundReason>,
    },
    /// The buyer withdrew the refund request.
    RefundWithdrawn {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
    },
    /// The after-sale case was closed.
    RefundClosed {
        /// When.
        at_ms: u64,
        /// Order number.
        order: OrderId,
        /// Whether money went back to the buyer.
        refunded: bool,
    },
    /// The buyer opened a page.
    PageView {
        /// When.
        at_ms: u64,
        /// Which page.
        page: Page,
        /// Product shown, for product pages and size charts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        product: Option<Label>,
    },
    /// The buyer left a page; dwell is derived from the matching [`Event::PageView`].
    PageLeave {
        /// When.
        at_ms: u64,
        /// Which page.
        page: Page,
    },
    /// The buyer accepted a retention offer.
    OfferAccepted {
        /// When.
        at_ms: u64,
        /// Which offer.
        offer: Offer,
    },
    /// The buyer rated the service or the order (1 to 5 stars).
    Rating {
        /// When.
        at_ms: u64,
        /// Stars, 1 to 5 (values outside are clamped).
        stars: u8,
    },
    /// An agent closed the buyer's question.
    Resolved {
        /// When.
        at_ms: u64,
    },
}

impl<'a> Event<'a> {
    /// A buyer chat message.
    pub fn buyer_says(at_ms: u64, text: impl Into<Cow<'a, str>>) -> Self {
        Event::Message { at_ms, from: Speaker::Buyer, text: text.into() }
    }

    /// A human agent's chat message.
    pub fn agent_says(at_ms: u64, text: impl Into<Cow<'a, str>>) -> Self {
        Event::Message { at_ms, from: Speaker::Agent, text: text.into() }
    }

    /// An automatic reply.
    pub fn bot_says(at_ms: u64, text: impl Into<Cow<'a, str>>) -> Self {
        Event::Message { at_ms, from: Speaker::Bot, text: text.into() }
    }

    /// An order paid for `amount_fen` (0.01 CNY).
    pub fn order_paid(at_ms: u64, order: OrderId, amount_fen: u64) -> Self {
        Event::OrderPaid { at_ms, order, amount_fen, product: None }
    }

    /// A page view.
    pub fn page_view(at_ms: u64, page: Page) -> Self {
        Event::PageView { at_ms, page, product: None }
    }

    /// When the event happened, in the host's milliseconds.
    pub fn at_ms(&self) -> u64 {
        match *self {
            Event::Message { at_ms, .. }
            | Event::OrderCreated { at_ms, .. }
            | Event::OrderPaid { at_ms, .. }
            | Event::OrderShipped { at_ms, .. }
            | Event::OrderDelivered { at_ms, .. }
            | Event::OrderCancelled { at_ms, .. }
            | Event::LogisticsStalled { at_ms, .. }
            | Event::RefundRequested { at_ms, .. }
            | Event::RefundWithdrawn { at_ms, .. }
            | Event::RefundClosed { at_ms, .. }
            | Event::PageView { at_ms, .. }
            | Event::PageLeave { at_ms, .. }
            | Event::OfferAccepted { at_ms, .. }
            | Event::Rating { at_ms, .. }
            | Event::Resolved { at_ms } => at_ms,
        }
    }

    /// The same event owning its text, so it can outlive the buffer it was parsed from.
    pub fn into_owned(self) -> Event<'static> {
        match self {
            Event::Message { at_ms, from, text } => {
                Event::Message { at_ms, from, text: Cow::Owned(text.into_owned()) }
            }
            Event::OrderCreated { at_ms, order, amount_fen, product } => {
                Event::OrderCreated { at_ms, order, amount_fen, product }
            }
            Event::OrderPaid { at_ms, order, amount_fen, product } => {
                Event::OrderPaid { at_ms, order, amount_fen, product }
            }
            Event::OrderShipped { at_ms, order } => Event::OrderShipped { at_ms, order },
            Event::OrderDelivered { at_ms, order } => Event::OrderDelivered { at_ms, order },
            Event::OrderCancelled { at_ms, order } => Event::OrderCancelled { at_ms, order },
            Event::LogisticsStalled { at_ms, order, hours } => {
                Event::LogisticsStalled { at_ms, order, hours }
            }
            Event::RefundRequested { at_ms, order, reason } => {
                Event::RefundRequested { at_ms, order, reason }
            }
            Event::RefundWithdrawn { at_ms, order } => Event::RefundWithdrawn { at_ms, order },
            Event::RefundClosed { at_ms, order, refunded } => {
                Event::RefundClosed { at_ms, order, refunded }
            }
            Event::PageView { at_ms, page, product } => Event::PageView { at_ms, page, product },
            Event::PageLeave { at_ms, page } => Event::PageLeave { at_ms, page },
            Event::OfferAccepted { at_ms, offer } => Event::OfferAccepted { at_ms, offer },
            Event::Rating { at_ms, stars } => Event::Rating { at_ms, stars },
            Event::Resolved { at_ms } => Event::Resolved { at_ms },
        }
    }
}

/// One line of a JSON-lines event log: the event and the buyer it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope<'a> {
    /// The `buyer` field, when present: which session the event belongs to.
    pub buyer: Option<Cow<'a, str>>,
    /// The event itself.
    pub event: Event<'a>,
}

/// The longest `buyer` id a wire line may carry, in bytes.
pub const MAX_BUYER_BYTES: usize = 128;

impl<'a> Envelope<'a> {
    /// Parses one JSON object in the wire format of DESIGN.md §2.
    ///
    /// Unknown fields are ignored. Everything else that is wrong gives one
    /// [`Error::InvalidEvent`] naming the field at fault: JSON syntax (with its column),
    /// a line that is not an object, a missing, unknown or non-string `type`, a missing field,
    /// a mistyped value, a negative or overflowing number, an unknown enum value, a `buyer`
    /// that is not a string or is longer than [`MAX_BUYER_BYTES`]. Nesting deeper than 128
    /// levels is refused (serde_json's recursion limit), so no line can exhaust the stack.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidEvent`] when `line` is not a valid event.
    ///
    /// # Examples
    ///
    /// ```
    /// use kefu::{Envelope, Error, Event};
    /// let e = Envelope::from_json(r#"{"type":"message","buyer":"b1","at_ms":7,"from":"buyer","text":"在吗"}"#).unwrap();
    /// assert_eq!(e.buyer.as_deref(), Some("b1"));
    /// assert_eq!(e.event, Event::buyer_says(7, "在吗"));
    /// assert!(Envelope::from_json(r#"{"type":"teleport","at_ms":1}"#).is_err());
    /// let err = Envelope::from_json(r#"{"type":"rating","at_ms":-5,"stars":4}"#).unwrap_err();
    /// assert!(matches!(&err, Error::InvalidEvent { field: Some(f), .. } if f == "at_ms"));
    /// ```
    pub fn from_json(line: &'a str) -> Result<Envelope<'a>, Error> {
        #[derive(Deserialize)]
        struct Buyer<'b> {
            #[serde(borrow, default)]
            buyer: Option<Cow<'b, str>>,
        }
        let event: Event<'a> = serde_json::from_str(line).map_err(|e| diagnose(line, &e))?;
        let buyer = match serde_json::from_str::<Buyer<'a>>(line) {
            Ok(Buyer { buyer }) => buyer,
            Err(e) => return Err(invalid(Some("buyer"), strip_position(&e))),
        };
        if let Some(b) = &buyer
            && b.len() > MAX_BUYER_BYTES
        {
            return Err(invalid(
                Some("buyer"),
                format!("{} bytes, longer than the limit of {MAX_BUYER_BYTES}", b.len()),
            ));
        }
        Ok(Envelope { buyer, event })
    }
}

fn invalid(field: Option<&str>, message: impl Into<String>) -> Error {
    Error::InvalidEvent { field: field.map(str::to_owned), message: message.into() }
}

/// serde_json's message without its ` at line 1 column N` suffix (the field is named instead).
fn strip_position(e: &serde_json::Error) -> String {
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_owned(),
        None => s,
    }
}

/// The type of a wire field, for error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    U64,
    U32,
    U8,
    Bool,
    Text,
    Label,
    Speaker,
    Page,
    Reason,
    Offer,
}

/// A wire field: name, type, required.
type Field = (&'static str, Kind, bool);

/// Every event type on the wire with its fields.
const WIRE: &[(&str, &[Field])] = {
    use Kind::*;
    const AT: Field = ("at_ms", U64, true);
    const ORDER: Field = ("order", Label, true);
    &[
        ("message", &[AT, ("from", Speaker, true), ("text", Text, true)]),
        ("order_created", &[AT, ORDER, ("amount_fen", U64, false), ("product", Label, false)]),
        ("order_paid", &[AT, ORDER, ("amount_fen", U64, true), ("product", Label, false)]),
        ("order_shipped", &[AT, ORDER]),
        ("order_delivered", &[AT, ORDER]),
        ("order_cancelled", &[AT, ORDER]),
        ("logistics_stalled", &[AT, ("order", Label, false), ("hours", U32, true)]),
        ("refund_requested", &[AT, ORDER, ("reason", Reason, false)]),
        ("refund_withdrawn", &[AT, ORDER]),
        ("refund_closed", &[AT, ORDER, ("refunded", Bool, true)]),
        ("page_view", &[AT, ("page", Page, true), ("product", Label, false)]),
        ("page_leave", &[AT, ("page", Page, true)]),
        ("offer_accepted", &[AT, ("offer", Offer, true)]),
        ("rating", &[AT, ("stars", U8, true)]),
        ("resolved", &[AT]),
    ]
};

/// Why `value` is not a `kind`, if it is not.
fn check_kind(kind: Kind, value: &serde_json::Value) -> Result<(), serde_json::Error> {
    use serde_json::from_value as v;
    let value = value.clone();
    match kind {
        Kind::U64 => v::<u64>(value).map(drop),
        Kind::U32 => v::<u32>(value).map(drop),
        Kind::U8 => v::<u8>(value).map(drop),
        Kind::Bool => v::<bool>(value).map(drop),
        Kind::Text => v::<String>(value).map(drop),
        Kind::Label => v::<Label>(value).map(drop),
        Kind::Speaker => v::<Speaker>(value).map(drop),
        Kind::Page => v::<Page>(value).map(drop),
        Kind::Reason => v::<RefundReason>(value).map(drop),
        Kind::Offer => v::<Offer>(value).map(drop),
    }
}

/// The object key whose value holds byte column `column` (1-based) of `line`, when the text
/// before it ends inside a `"key": value` pair: names the field of a syntax error such as a
/// number out of range (`"amount_fen":1e400`).
fn key_before(line: &str, column: usize) -> Option<&str> {
    let mut end = column.min(line.len());
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    let before = &line[..end];
    // The nearest `"key":` before the column, looking back over a few colons.
    for (i, _) in before.rmatch_indices(':').take(8) {
        let head = before[..i].trim_end();
        let Some(head) = head.strip_suffix('"') else { continue };
        let Some(start) = head.rfind('"') else { continue };
        let key = &head[start + 1..];
        if !key.is_empty()
            && key.len() <= 32
            && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Some(key);
        }
    }
    None
}

/// Turns serde's error for a line into one that names the field at fault. Only runs on bad
/// lines: serde's internally tagged enums buffer the object and lose the field name of a
/// type error, so the line is read again as a JSON value and each field checked on its own.
fn diagnose(line: &str, err: &serde_json::Error) -> Error {
    if err.is_eof() {
        return invalid(None, format!("not valid JSON: {err}"));
    }
    if err.is_syntax() {
        return invalid(key_before(line, err.column()), format!("not valid JSON: {err}"));
    }
    let value: serde_json::Value = match serde_json::from_str(line) {
        Ok(v) => v,
        Err(e) => return invalid(None, format!("not valid JSON: {e}")),
    };
    let Some(obj) = value.as_object() else {
        return invalid(None, "a line must be one JSON object");
    };
    let names = || WIRE.iter().map(|(n, _)| *n).collect::<Vec<_>>().join(", ");
    let ty = match obj.get("type") {
        None => return invalid(Some("type"), format!("missing; one of {}", names())),
        Some(serde_json::Value::String(t)) => t.as_str(),
        Some(other) => {
            return invalid(Some("type"), format!("must be a string, found `{other:.40}`"));
        }
    };
    let Some((_, fields)) = WIRE.iter().find(|(n, _)| *n == ty) else {
        let shown: String = ty.chars().take(40).collect();
        return invalid(Some("type"), format!("unknown event type `{shown}`; one of {}", names()));
    };
    for &(name, kind, required) in *fields {
        match obj.get(name) {
            None | Some(serde_json::Value::Null) if !required => {}
            None => return invalid(Some(name), "missing"),
            Some(v) => {
                if let Err(e) = check_kind(kind, v) {
                    return invalid(Some(name), strip_position(&e));
                }
            }
        }
    }
    // Not expected (every field checked out); serde's own message is the best there is.
    invalid(None, err.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn design_examples_parse() {
        let lines = [
            r#"{"type":"order_paid","buyer":"b1","at_ms":1732240000000,"order":"6929384756102","amount_fen":19900}"#,
            r#"{"type":"page_view","buyer":"b1","at_ms":1732240031000,"page":"return_policy"}"#,
            r#"{"type":"message","buyer":"b1","at_ms":1732240040000,"from":"buyer","text":"这件显胖吗"}"#,
            r#"{"type":"refund_requested","buyer":"b1","at_ms":1732243600000,"order":"6929384756102","reason":"size_mismatch"}"#,
        ];
        for l in lines {
            let e = Envelope::from_json(l).unwrap_or_else(|e| panic!("{l}: {e}"));
            assert_eq!(e.buyer.as_deref(), Some("b1"));
            // Round trip (without the buyer) is stable.
            let again = serde_json::to_string(&e.event).unwrap();
            assert_eq!(Envelope::from_json(&again).unwrap().event, e.event);
        }
    }

    #[test]
    fn errors_name_the_problem() {
        let cases = [
            (r#"{"type":"order_paid","at_ms":1,"order":"1"}"#, Some("amount_fen"), "missing"),
            (r#"{"type":"page_view","at_ms":1,"page":"cart"}"#, Some("page"), "cart"),
            (r#"{"type":"message","at_ms":-1,"from":"buyer","text":"x"}"#, Some("at_ms"), "-1"),
            (r#"{"type":"message","at_ms":1,"from":"buyer","text":7}"#, Some("text"), "string"),
            (r#"{"type":"message","at_ms":1,"from":"boss","text":"x"}"#, Some("from"), "boss"),
            (r#"{"type":"rating","at_ms":1,"stars":300}"#, Some("stars"), "300"),
            (r#"{"type":"rating","at_ms":1e30,"stars":3}"#, Some("at_ms"), "expected u64"),
            (
                r#"{"type":"rating","at_ms":99999999999999999999,"stars":3}"#,
                Some("at_ms"),
                "expected u64",
            ),
            (r#"{"type":"logistics_stalled","at_ms":1,"hours":4294967296}"#, Some("hours"), "u32"),
            (
                r#"{"type":"refund_closed","at_ms":1,"order":"1","refunded":"yes"}"#,
                Some("refunded"),
                "bool",
            ),
            (
                r#"{"type":"refund_requested","at_ms":1,"order":"1","reason":"moon"}"#,
                Some("reason"),
                "moon",
            ),
            (r#"{"type":"order_shipped","at_ms":1,"order":-3}"#, Some("order"), "-3"),
            (r#"{"type":"nope","at_ms":1}"#, Some("type"), "nope"),
            (r#"{"type":7,"at_ms":1}"#, Some("type"), "string"),
            (r#"{"at_ms":1}"#, Some("type"), "missing"),
            (r#"{"type":"resolved","at_ms":1,"buyer":5}"#, Some("buyer"), "string"),
            ("[1,2]", None, "object"),
            ("not json", None, "column"),
            (
                r#"{"type":"order_paid","at_ms":1,"order":"1","amount_fen":1e400}"#,
                Some("amount_fen"),
                "out of range",
            ),
            (
                r#"{"type":"message","at_ms":1,"from":"buyer","text":"\ud800"}"#,
                Some("text"),
                "escape",
            ),
            (r#"{"type":"resolved","at_ms":1"#, None, "EOF"),
        ];
        for (line, field, needle) in cases {
            let err = Envelope::from_json(line).unwrap_err();
            let Error::InvalidEvent { field: f, .. } = &err else { panic!("{line}: {err:?}") };
            assert_eq!(f.as_deref(), field, "{line}: {err}");
            let msg = err.to_string();
            assert!(msg.contains(needle), "{line}: `{msg}` should mention `{needle}`");
        }
    }

    #[test]
    fn long_buyer_ids_and_deep_nesting_are_refused() {
        let line = format!(r#"{{"type":"resolved","at_ms":1,"buyer":"{}"}}"#, "b".repeat(129));
        let err = Envelope::from_json(&line).unwrap_err();
        assert!(matches!(&err, Error::InvalidEvent { field: Some(f), .. } if f == "buyer"));
        let deep = format!(
            r#"{{"type":"resolved","at_ms":1,"x":{}{}}}"#,
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert!(Envelope::from_json(&deep).is_err(), "recursion is limited, not overflowed");
    }

    /// One event of every type with every optional field set.
    fn every_type() -> Vec<Event<'static>> {
        let o = Label::truncated("6929384756102");
        let p = Some(Label::truncated("sku1"));
        vec![
            Event::buyer_says(1, "在吗"),
            Event::OrderCreated { at_ms: 1, order: o, amount_fen: Some(100), product: p },
            Event::OrderPaid { at_ms: 1, order: o, amount_fen: 100, product: p },
            Event::OrderShipped { at_ms: 1, order: o },
            Event::OrderDelivered { at_ms: 1, order: o },
            Event::OrderCancelled { at_ms: 1, order: o },
            Event::LogisticsStalled { at_ms: 1, order: Some(o), hours: 48 },
            Event::RefundRequested { at_ms: 1, order: o, reason: Some(RefundReason::Damaged) },
            Event::RefundWithdrawn { at_ms: 1, order: o },
            Event::RefundClosed { at_ms: 1, order: o, refunded: true },
            Event::PageView { at_ms: 1, page: Page::SizeChart, product: p },
            Event::PageLeave { at_ms: 1, page: Page::SizeChart },
            Event::OfferAccepted { at_ms: 1, offer: Offer::Coupon },
            Event::Rating { at_ms: 1, stars: 5 },
            Event::Resolved { at_ms: 1 },
        ]
    }

    #[test]
    fn the_wire_table_matches_the_events() {
        let all = every_type();
        assert_eq!(all.len(), WIRE.len());
        for e in all {
            let v = serde_json::to_value(&e).unwrap();
            let obj = v.as_object().unwrap();
            let ty = obj["type"].as_str().unwrap();
            let (_, fields) = WIRE.iter().find(|(n, _)| *n == ty).expect("type in the table");
            let keys: Vec<&str> = obj.keys().map(String::as_str).filter(|k| *k != "type").collect();
            let mut table: Vec<&str> = fields.iter().map(|f| f.0).collect();
            table.sort_unstable();
            let mut keys = keys;
            keys.sort_unstable();
            assert_eq!(keys, table, "{ty}");
            for &(name, kind, required) in *fields {
                check_kind(kind, &obj[name]).unwrap();
                let mut without = obj.clone();
                without.remove(name);
                let line = serde_json::Value::Object(without).to_string();
                match Envelope::from_json(&line) {
                    Ok(_) => assert!(!required, "{ty} without `{name}` parsed"),
                    Err(Error::InvalidEvent { field, .. }) => {
                        assert!(required, "{ty} without optional `{name}` refused");
                        assert_eq!(field.as_deref(), Some(name));
                    }
                    Err(e) => panic!("{e}"),
                }
            }
        }
    }

    #[test]
    fn escaped_text_is_owned_plain_text_is_borrowed() {
        let e = Envelope::from_json(r#"{"type":"message","at_ms":1,"from":"buyer","text":"a\nb"}"#)
            .unwrap();
        assert!(matches!(e.event, Event::Message { text: Cow::Owned(_), .. }));
        let e = Envelope::from_json(r#"{"type":"message","at_ms":1,"from":"buyer","text":"在吗"}"#)
            .unwrap();
        assert!(matches!(e.event, Event::Message { text: Cow::Borrowed(_), .. }));
    }
}
