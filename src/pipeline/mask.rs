//! Masking of personal data in anything that echoes buyer text (briefs, snapshots).
//!
//! Works on raw text (full-width digits included) with one compiled regex, so it runs in linear
//! time and never panics:
//!
//! | data | example | masked |
//! |---|---|---|
//! | mainland mobile (`-`/space groups, `86` prefix) | `138-1234-5678` | `138****5678` |
//! | landline (`0` + area code, 10-12 digits) | `010-12345678` | `010****5678` |
//! | ID card (17 digits + digit or `X`, valid check digit) | `11010519491231002X` | `110***********002X` |
//! | bank card (16-19 digits, grouped, or ungrouped with a valid Luhn digit) | `6222 0212 3456 7890 123` | `***************0123` |
//! | e-mail | `zhang.san@qq.com` | `z***@qq.com` |
//! | street address (road/street/complex + house, building, unit or room numbers) | `北京市朝阳区建国路88号` | `北京市朝阳区****` |
//!
//! Province, city and district (`省/市/区/县/州/旗`) are kept; everything from the street on is
//! replaced by `****`. Order numbers (12-24 digits that are none of the above) stay readable: an
//! agent needs them. Limits: an ungrouped 16-19 digit order number that happens to pass the
//! Luhn check (about one in ten) is masked as a bank card; an address needs a house, building,
//! unit or room number after its street to be recognised; a masked number loses its separators
//! (`138-1234-5678` -> `138****5678`); digits split by other characters
//! (`138.1234.5678`) are not joined.

use regex::{Captures, Regex};

use crate::error::Error;

/// Masks phone numbers, ID-card numbers, bank cards, e-mail and street addresses.
#[derive(Debug, Clone)]
pub(crate) struct Masker {
    re: Regex,
}

/// Characters that can glue digit groups together (`138-1234-5678`, `6222 0212 …`).
const SEP: &str = r"[ \-\u{00A0}\u{3000}\u{200B}]";

/// Han characters that do not belong to a place name: they start the sentence around it.
const NOT_PLACE: &str = "是在的到寄发址我你他她改成为送收给写填住了吧吗呢啊和或";

impl Masker {
    /// Compiles the masking pattern.
    ///
    /// # Errors
    ///
    /// [`Error::Regex`] if the built-in pattern does not compile (a bug caught by the tests).
    pub(crate) fn new() -> Result<Masker, Error> {
        let place = format!(r"[\p{{Han}}&&[^{NOT_PLACE}]]");
        let name = format!(r"(?:{place}|[A-Za-z0-9０-９])");
        let number = r"[0-9０-９A-Za-z一二三四五六七八九十百零\-#]{1,8}";
        let pattern = format!(
            concat!(
                r"(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{{2,}})",
                r"|(?P<addr>(?P<keep>(?:{place}{{2,6}}?(?:省|自治区|特别行政区))?",
                r"(?:{place}{{1,6}}?(?:市|自治州|地区|盟))?(?:{place}{{1,6}}?(?:区|县|旗))?)",
                r"{name}{{1,10}}?(?:路|街|大道|巷|弄|胡同|小区|花园|公寓|大厦|广场|苑|村|镇|乡)",
                r"(?:\s?{number}(?:号院|号楼|号|栋|幢|单元|室|楼|层|座|门|期))+[0-9０-９A-Za-z\-]*)",
                r"|(?P<num>[0-9０-９](?:{sep}?[0-9０-９])*[xXｘＸ]?)",
            ),
            place = place,
            name = name,
            number = number,
            sep = SEP,
        );
        let re = Regex::new(&pattern).map_err(|source| Error::Regex {
            file: "mask".into(),
            line: 0,
            rule: "mask".into(),
            source,
        })?;
        Ok(Masker { re })
    }

    /// `text` with personal data replaced by `*` (see the module docs for what and how).
    pub(crate) fn mask(&self, text: &str) -> String {
        self.re
            .replace_all(text, |c: &Captures<'_>| {
                let mut out = String::new();
                if let Some(m) = c.name("email") {
                    let (local, domain) = m.as_str().split_once('@').unwrap_or(("", ""));
                    out.extend(local.chars().next());
                    out.push_str("***@");
                    out.push_str(domain);
                } else if c.name("addr").is_some() {
                    out.push_str(c.name("keep").map_or("", |k| k.as_str()));
                    out.push_str("****");
                } else if let Some(m) = c.name("num") {
                    mask_number(m.as_str(), &mut out);
                }
                out
            })
            .into_owned()
    }
}

/// Masks a digit run (groups joined by separators); tries the space-separated parts on their
/// own when the whole is not personal data (`13812345678 6929384756102`).
fn mask_number(run: &str, out: &mut String) {
    if mask_digits(run, out) {
        return;
    }
    for (i, part) in run.split(' ').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        if !mask_digits(part, out) {
            out.push_str(part);
        }
    }
}

/// Masks `run` into `out` if its digits are a phone, landline, ID or bank card number.
fn mask_digits(run: &str, out: &mut String) -> bool {
    let mut d = [0u8; 24];
    let mut n = 0;
    for c in run.chars() {
        let b = match c {
            '0'..='9' => c as u8,
            '０'..='９' => b'0' + (c as u32 - '０' as u32) as u8,
            'x' | 'X' | 'ｘ' | 'Ｘ' => b'X',
            _ => continue,
        };
        if n == d.len() {
            return false;
        }
        d[n] = b;
        n += 1;
    }
    let d = &d[..n];
    let grouped = run.chars().any(|c| !c.is_alphanumeric());
    let x = d.last() == Some(&b'X');
    if x && !(n == 18 && id_check(d)) {
        return false;
    }
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]);
    let (keep_head, keep_tail) = if mobile(d) {
        (3, 4)
    } else if n == 13 && d.starts_with(b"86") && mobile(&d[2..]) {
        (5, 4)
    } else if n == 18 && id_check(d) {
        (3, 4)
    } else if (16..=19).contains(&n) && (grouped || luhn(d)) {
        (0, 4)
    } else if (10..=12).contains(&n) && d[0] == b'0' && d[1] != b'0' {
        (if d[1] <= b'2' { 3 } else { 4 }, 4)
    } else {
        return false;
    };
    for (i, &b) in d.iter().enumerate() {
        out.push(if i < keep_head || i >= n - keep_tail { char::from(b) } else { '*' });
    }
    true
}

/// The ID card check digit (ISO 7064 MOD 11-2) of 18 characters.
fn id_check(d: &[u8]) -> bool {
    const W: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    if d.len() != 18 || !d[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let sum: u32 = d.iter().zip(W).map(|(&c, w)| u32::from(c - b'0') * w).sum();
    let check = b"10X98765432"[(sum % 11) as usize];
    d[17] == check
}

/// The Luhn check bank cards carry.
fn luhn(d: &[u8]) -> bool {
    let mut sum = 0;
    for (i, &c) in d.iter().rev().enumerate() {
        if !c.is_ascii_digit() {
            return false;
        }
        let mut v = u32::from(c - b'0');
        if i % 2 == 1 {
            v *= 2;
            if v > 9 {
                v -= 9;
            }
        }
        sum += v;
    }
    sum % 10 == 0
}

#[cfg(test)]
mod tests {
    use std::sync::LazyLock;

    use super::*;

    static M: LazyLock<Masker> = LazyLock::new(|| Masker::new().unwrap());

    const CASES: &[(&str, &str)] = &[
        ("在吗", "在吗"),
        ("", ""),
        // mobiles
        ("电话13812345678", "电话138****5678"),
        ("电话:138-1234-5678", "电话:138****5678"),
        ("138 1234 5678 打这个", "138****5678 打这个"),
        ("１３８１２３４５６７８", "138****5678"),
        ("+86 13812345678", "+86138****5678"),
        ("8613812345678", "86138****5678"),
        ("13812345678 6929384756102", "138****5678 6929384756102"),
        // landlines
        ("座机010-12345678", "座机010****5678"),
        ("0571-87654321", "0571****4321"),
        ("客服电话400-123-4567", "客服电话400-123-4567"),
        // ID cards
        ("身份证11010519491231002X", "身份证110***********002X"),
        ("身份证11010519491231002x", "身份证110***********002X"),
        // bank cards
        ("卡号6222 0212 3456 7890 123", "卡号***************0123"),
        ("卡号6222-0212-3456-7890", "卡号************7890"),
        ("6222021234567890128", "***************0128"),
        // e-mail
        ("邮箱zhang.san@qq.com", "邮箱z***@qq.com"),
        ("123456789@qq.com发我", "1***@qq.com发我"),
        // addresses
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("地址是北京市朝阳区建国路88号,谢谢", "地址是北京市朝阳区****,谢谢"),
        ("改成浙江省杭州市西湖区文三路90号3栋2单元501室", "改成浙江省杭州市西湖区****"),
        ("寄到上海市浦东新区世纪大道100号", "寄到上海市浦东新区****"),
        ("幸福小区3栋1203室", "****"),
        ("走这条路", "走这条路"),
        // left alone: order numbers, amounts, sizes, short numbers
        ("订单号6929384756102", "订单号6929384756102"),
        ("170 120斤", "170 120斤"),
        ("¥199", "¥199"),
        ("我要打12315", "我要打12315"),
        ("110105194912310021", "110105194912310021"),
    ];

    #[test]
    fn table() {
        for &(text, want) in CASES {
            assert_eq!(M.mask(text), want, "mask({text:?})");
        }
    }

    #[test]
    fn checks() {
        assert!(id_check(b"11010519491231002X"));
        assert!(!id_check(b"110105194912310021"));
        assert!(luhn(b"6222021234567890128"));
        assert!(!luhn(b"6222021234567890123"));
    }

    #[test]
    fn never_panics() {
        let inputs = [
            "1".repeat(100_000),
            "1 ".repeat(10_000),
            "北京市朝阳区".repeat(1000),
            "@".repeat(1000),
            "a@b.cc".repeat(1000),
            "路88号".repeat(1000),
            "Ｘ１".repeat(100),
            "\u{200b}1\u{200b}".repeat(100),
        ];
        for s in &inputs {
            let _ = M.mask(s);
        }
    }
}
