//! Masking of personal data in anything that echoes buyer text (briefs, snapshots).
//!
//! Works on raw text (full-width digits included) with one compiled regex, so it runs in linear
//! time and never panics. Masked digits become `*`; separators and digit widths are kept:
//!
//! | data | example | masked |
//! |---|---|---|
//! | mainland mobile (`-`/space groups, `86`/`+86` prefix) | `138-1234-5678` | `138-****-5678` |
//! | landline (`0` + area code, 10-12 digits) | `010-12345678` | `010-****5678` |
//! | ID card (18 characters, valid check digit, plausible region and birth date; or any 15 or 18 after 身份证/证件号) | `11010519491231002X` | `110***********002X` |
//! | bank card (16-19 digits: grouped, or after 卡号/银行卡/账号, or an issuer prefix with a valid Luhn digit) | `6222 0212 3456 7890 123` | `**** **** **** ***0 123` |
//! | e-mail | `zhang.san@qq.com` | `z***@qq.com` |
//! | street address (road/street/complex + house, building, unit or room numbers) | `北京市朝阳区建国路88号` | `北京市朝阳区****` |
//!
//! Province, city and district (`省/市/区/县/州/旗`) are kept; everything from the street on is
//! replaced by `****`. Order and tracking numbers stay readable, as an agent needs them: a
//! number right after 订单/单号/运单/快递/物流/编号 (within 12 characters) is never taken for a
//! bank card or landline, and a bare ungrouped 16-19 digit number is a bank card only if it
//! starts like a card issuer (UnionPay 62/60, Visa 4, Mastercard 5 or 2221-2720, JCB/Amex 3,
//! old domestic 95/96) and passes the Luhn check. Limits: a bare order number of that shape is
//! still masked (about 5% of random 16-19 digit numbers, against 10% for Luhn alone); an
//! address needs a house, building, unit or room number after its street to be recognised;
//! digits split by other characters (`138.1234.5678`) are not joined.

use regex::{Captures, Regex};

use crate::error::Error;

/// Masks phone numbers, ID-card numbers, bank cards, e-mail and street addresses.
#[derive(Debug, Clone)]
pub(crate) struct Masker {
    re: Regex,
}

/// Characters that can glue digit groups together (`138-1234-5678`, `6222 0212 …`).
const SEP: &str = r"[ \-\u{00A0}\u{3000}\u{200B}]";

/// Whether `c` is one of the separators of [`SEP`].
fn is_sep(c: char) -> bool {
    matches!(c, ' ' | '-' | '\u{00A0}' | '\u{3000}' | '\u{200B}')
}

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
                r"(?P<email>[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{{2,}}(?:@[A-Za-z0-9._%+\-@]*)?)",
                r"|(?P<addr>(?P<keep>(?:{place}{{2,6}}?(?:省|自治区|特别行政区))?",
                r"(?:{place}{{1,6}}?(?:市|自治州|地区|盟))?(?:{place}{{1,6}}?(?:区|县|旗))?)",
                r"{name}{{1,10}}?(?:路|街|大道|巷|弄|胡同|小区|花园|公寓|大厦|广场|苑|村|镇|乡)",
                r"(?:\s?{number}(?:号院|号楼|号|栋|幢|单元|室|楼|层|座|门|期|段))+[0-9０-９A-Za-z\-]*)",
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
                    // `a@b.cn@c.cn`: the first domain is kept and the chained rest masked
                    // too, so that masking masked text changes nothing.
                    let (local, rest) = m.as_str().split_once('@').unwrap_or(("", ""));
                    let (domain, chained) = rest.split_once('@').unwrap_or((rest, ""));
                    out.extend(local.chars().next());
                    out.push_str("***@");
                    out.push_str(domain);
                    if !chained.is_empty() {
                        out.push_str("@***");
                    }
                } else if c.name("addr").is_some() {
                    out.push_str(c.name("keep").map_or("", |k| k.as_str()));
                    out.push_str("****");
                } else if let Some(m) = c.name("num") {
                    let before = &text[..m.start()];
                    let mut run = m.as_str();
                    // Up to 4 digits right after `*` are the kept tail of a number masked
                    // before (`138****5678 6929384756102`): they stay as they are and do not
                    // join the next group, so masking masked text changes nothing.
                    let mut b = before.chars().rev();
                    let after_star = match b.next() {
                        Some('*') => true,
                        Some(c) if is_sep(c) => b.next() == Some('*'),
                        _ => false,
                    };
                    if after_star {
                        let head = run.find(is_sep).unwrap_or(run.len());
                        if run[..head].chars().count() <= 4 {
                            let rest = run[head..].trim_start_matches(is_sep);
                            out.push_str(&run[..run.len() - rest.len()]);
                            run = rest;
                        }
                    }
                    // Likewise up to 5 digits right before `**` are the kept head of a masked
                    // number (`170****5170`): they do not join the groups before them.
                    let after = &text[m.end()..];
                    let after = after.strip_prefix(is_sep).unwrap_or(after);
                    let mut head = "";
                    if after.starts_with("**")
                        && let Some(i) = run.rfind(is_sep)
                    {
                        let last = &run[i..];
                        if last.trim_start_matches(is_sep).chars().count() <= 5 {
                            head = last;
                            run = &run[..i];
                        }
                    }
                    if !run.is_empty() {
                        mask_number(run, cue_before(before), &mut out);
                    }
                    out.push_str(head);
                }
                out
            })
            .into_owned()
    }
}

/// What the words just before a number say it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cue {
    None,
    /// 订单号, 运单, 快递 …: an order or tracking number, which an agent needs to read.
    Order,
    /// 卡号, 银行卡, 账号 …: a card or account number.
    Card,
    /// 身份证, 证件号 …: an identity card number.
    Id,
}

/// Characters (other than `*`) before a number searched for a cue.
const CUE_WINDOW: usize = 12;

/// Cue words; of two ending at the same place the first listed wins (`身份证编号` is an ID).
const CUES: &[(&str, Cue)] = &[
    ("身份证", Cue::Id),
    ("证件号", Cue::Id),
    ("身份号", Cue::Id),
    ("证编号", Cue::Id),
    ("卡号", Cue::Card),
    ("银行卡", Cue::Card),
    ("信用卡", Cue::Card),
    ("储蓄卡", Cue::Card),
    ("账号", Cue::Card),
    ("帐号", Cue::Card),
    ("账户", Cue::Card),
    ("订单", Cue::Order),
    ("单号", Cue::Order),
    ("运单", Cue::Order),
    ("快递", Cue::Order),
    ("物流", Cue::Order),
    ("货号", Cue::Order),
    ("交易号", Cue::Order),
    ("编号", Cue::Order),
    ("order", Cue::Order),
];

/// The cue nearest the end of `before` within [`CUE_WINDOW`] characters, not counting `*`
/// (so that masked text, where `zhang@` became `z***@`, finds the cues it had before).
fn cue_before(before: &str) -> Cue {
    let start = before
        .char_indices()
        .rev()
        .filter(|&(_, c)| c != '*')
        .nth(CUE_WINDOW - 1)
        .map_or(0, |(i, _)| i);
    let tail = &before[start..];
    let mut best = (0, Cue::None);
    for &(word, cue) in CUES {
        if let Some(i) = tail.rfind(word) {
            let end = i + word.len();
            if end > best.0 {
                best = (end, cue);
            }
        }
    }
    best.1
}

/// Masks a digit run (groups joined by separators): from its left, the longest run of whole
/// groups that is personal data is masked, or else the first group is kept, and so on
/// (`138 1234 5678 6929384756102` masks the phone and keeps the order number). Only prefixes
/// of at most 24 digits are tried, so this is linear in the run.
fn mask_number(run: &str, cue: Cue, out: &mut String) {
    let mut rest = run;
    let mut ends: Vec<usize> = Vec::new();
    let mut tmp = String::new();
    while !rest.is_empty() {
        // Byte ends of the first groups of `rest`, while they hold at most 24 digits.
        ends.clear();
        let (mut digits, mut in_group) = (0, false);
        for (i, c) in rest.char_indices() {
            if is_sep(c) {
                if in_group {
                    ends.push(i);
                }
                in_group = false;
            } else {
                digits += 1;
                in_group = true;
            }
            if digits > 24 {
                break;
            }
        }
        if in_group && digits <= 24 {
            ends.push(rest.len());
        }
        let first = ends.first().copied().unwrap_or(rest.len());
        let masked = ends.iter().rev().find(|&&e| {
            tmp.clear();
            mask_digits(&rest[..e], cue, &mut tmp)
        });
        let end = match masked {
            Some(&e) => {
                out.push_str(&tmp);
                e
            }
            None => {
                out.push_str(&rest[..first]);
                first
            }
        };
        rest = &rest[end..];
        let t = rest.trim_start_matches(is_sep);
        out.push_str(&rest[..rest.len() - t.len()]);
        rest = t;
    }
}

/// Masks `run` into `out` if its digits are a phone, landline, ID or bank card number, keeping
/// its separators and the width of its digits.
fn mask_digits(run: &str, cue: Cue, out: &mut String) -> bool {
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
    // Whether the digit groups are fours but the last (1 to 4), as cards are written.
    let fours = {
        let mut sizes = run.split(|c: char| !c.is_alphanumeric()).filter(|g| !g.is_empty());
        let mut last = sizes.next().map_or(0, |g| g.chars().count());
        let mut ok = true;
        for g in sizes {
            ok &= last == 4;
            last = g.chars().count();
        }
        ok && (1..=4).contains(&last)
    };
    let x = d.last() == Some(&b'X');
    let id = |d: &[u8]| n == 18 && id_check(d) && id_plausible(d);
    if x && !(n == 18 && (cue == Cue::Id || id(d))) {
        return false;
    }
    let mobile = |d: &[u8]| d.len() == 11 && d[0] == b'1' && (b'3'..=b'9').contains(&d[1]);
    let (keep_head, keep_tail) = if mobile(d) {
        (3, 4)
    } else if n == 13 && d.starts_with(b"86") && mobile(&d[2..]) {
        (5, 4)
    } else if (n == 18 || n == 15) && cue == Cue::Id || id(d) {
        (3, 4)
    } else if (16..=19).contains(&n) && bank_card(d, grouped.then_some(fours), cue) {
        (0, 4)
    } else if (10..=12).contains(&n) && d[0] == b'0' && d[1] != b'0' && cue != Cue::Order {
        (if d[1] <= b'2' { 3 } else { 4 }, 4)
    } else {
        return false;
    };
    let mut i = 0;
    for c in run.chars() {
        if c.is_alphanumeric() {
            out.push(if i < keep_head || i >= n - keep_tail { c } else { '*' });
            i += 1;
        } else {
            out.push(c);
        }
    }
    true
}

/// Whether 16-19 digits are a bank card: after a card cue always; after an order cue never;
/// otherwise when grouped in fours (`6222 0212 …`), or when ungrouped, they pass the Luhn check and start like a
/// card issuer (UnionPay 62/60, Visa 4, Mastercard 5 and 2221-2720, JCB/Amex 3, the old
/// domestic 95/96 cards), which leaves most bare order numbers readable.
fn bank_card(d: &[u8], grouped: Option<bool>, cue: Cue) -> bool {
    match cue {
        Cue::Card => return true,
        Cue::Order => return false,
        Cue::None | Cue::Id => {}
    }
    if let Some(fours) = grouped {
        // Card groups are fours (the last may be shorter): `6222 0212 3456 7890 123`.
        return fours;
    }
    let issuer = match d[0] {
        b'3' | b'4' | b'5' | b'6' => true,
        b'9' => matches!(d[1], b'5' | b'6'),
        b'2' => {
            let p = d[..4].iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
            d.len() == 16 && (2221..=2720).contains(&p)
        }
        _ => false,
    };
    issuer && luhn(d)
}

/// An 18-character ID number's region (first digit 1-8) and birth date (1900-2099, a real
/// month and day) are plausible.
fn id_plausible(d: &[u8]) -> bool {
    let num =
        |r: std::ops::Range<usize>| d[r].iter().fold(0u32, |a, &b| a * 10 + u32::from(b - b'0'));
    if !d[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (year, month, day) = (num(6..10), num(10..12), num(12..14));
    (b'1'..=b'8').contains(&d[0])
        && (1900..=2099).contains(&year)
        && (1..=12).contains(&month)
        && (1..=31).contains(&day)
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
        // mobiles: bare, grouped, full-width, with the country code
        ("电话13812345678", "电话138****5678"),
        ("电话:138-1234-5678", "电话:138-****-5678"),
        ("138 1234 5678 打这个", "138 **** 5678 打这个"),
        ("手机号是15900001111，快点联系我", "手机号是159****1111，快点联系我"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("+86 13812345678", "+86 138****5678"),
        ("+86 138 1234 5678", "+86 138 **** 5678"),
        ("+86-138-1234-5678", "+86-138-****-5678"),
        ("(+86)18612345678", "(+86)186****5678"),
        ("0086 13812345678", "0086 138****5678"),
        ("8613812345678", "86138****5678"),
        ("13812345678 6929384756102", "138****5678 6929384756102"),
        ("138 1234 5678 6929384756102", "138 **** 5678 6929384756102"),
        ("尾号5678 6929384756102", "尾号5678 6929384756102"),
        ("打19912345678或者17712345678", "打199****5678或者177****5678"),
        // landlines
        ("座机010-12345678", "座机010-****5678"),
        ("0571-87654321", "0571-****4321"),
        ("客服电话400-123-4567", "客服电话400-123-4567"),
        // ID cards
        ("身份证11010519491231002X", "身份证110***********002X"),
        ("身份证号：11010519491231002x", "身份证号：110***********002x"),
        ("我的身份证是 440305199001011234 ", "我的身份证是 440***********1234 "),
        ("11010519491231002X", "110***********002X"),
        ("身份证编号 110105491231002", "身份证编号 110********1002"),
        // bank cards
        ("卡号6222 0212 3456 7890 123", "卡号**** **** **** ***0 123"),
        ("卡号6222-0212-3456-7890", "卡号****-****-****-7890"),
        ("6222021234567890128", "***************0128"),
        ("退到我银行卡6217000010012345678吧", "退到我银行卡***************5678吧"),
        ("账号 6228480402564890018", "账号 ***************0018"),
        ("信用卡4367421234567893", "信用卡************7893"),
        // e-mail
        ("邮箱zhang.san@qq.com", "邮箱z***@qq.com"),
        ("123456789@qq.com发我", "1***@qq.com发我"),
        ("发到 li_si-88@163.com 谢谢", "发到 l***@163.com 谢谢"),
        ("a@b.cna@b.cn", "a***@b.cna@***"),
        // addresses
        ("北京市朝阳区建国路88号", "北京市朝阳区****"),
        ("地址是北京市朝阳区建国路88号,谢谢", "地址是北京市朝阳区****,谢谢"),
        ("改成浙江省杭州市西湖区文三路90号3栋2单元501室", "改成浙江省杭州市西湖区****"),
        ("寄到上海市浦东新区世纪大道100号", "寄到上海市浦东新区****"),
        ("幸福小区3栋1203室", "****"),
        ("北京市朝阳区望京街道阜通东大街6号院3号楼1单元1201室", "北京市朝阳区****"),
        ("广东省深圳市南山区深南大道10000号", "广东省深圳市南山区****"),
        ("四川省成都市武侯区人民南路四段12号", "四川省成都市武侯区****"),
        ("收货地址：江苏省南京市鼓楼区中山路1号", "收货地址：江苏省南京市鼓楼区****"),
        ("走这条路", "走这条路"),
        // left alone: order and tracking numbers, amounts, dates, sizes, short numbers
        ("订单号6929384756102", "订单号6929384756102"),
        ("订单号：3718394857261038475", "订单号：3718394857261038475"),
        ("订单 4367421234567893 怎么还没发", "订单 4367421234567893 怎么还没发"),
        ("快递单号SF1234567890123", "快递单号SF1234567890123"),
        ("运单号 YT7512345678901", "运单号 YT7512345678901"),
        ("物流单号0571234567", "物流单号0571234567"),
        ("1718394857261038475", "1718394857261038475"),
        ("170 120斤", "170 120斤"),
        ("身高170cm体重65kg穿什么码", "身高170cm体重65kg穿什么码"),
        ("38码", "38码"),
        ("¥199", "¥199"),
        ("实付1999.00元", "实付1999.00元"),
        ("2024-11-22下的单", "2024-11-22下的单"),
        ("20241122", "20241122"),
        ("2024年11月22日 14:30", "2024年11月22日 14:30"),
        ("我要打12315", "我要打12315"),
        ("110105194912310021", "110105194912310021"),
        ("1732240000000", "1732240000000"),
    ];

    #[test]
    fn table() {
        let bad: Vec<String> = CASES
            .iter()
            .filter(|(text, want)| M.mask(text) != *want)
            .map(|(text, want)| format!("mask({text:?}) = {:?}, want {want:?}", M.mask(text)))
            .collect();
        assert!(bad.is_empty(), "{bad:#?}");
    }

    /// A deterministic stream of digits (64-bit LCG).
    fn digits(seed: &mut u64, n: usize, first: &str) -> Vec<u8> {
        let mut d: Vec<u8> = first.bytes().collect();
        while d.len() < n {
            *seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            d.push(b'0' + ((*seed >> 33) % 10) as u8);
        }
        d
    }

    #[test]
    fn bare_order_numbers_mostly_stay_readable_and_cards_are_masked() {
        let mut seed = 7;
        let (mut masked, mut total) = (0, 0);
        for i in 0..20_000usize {
            let first = ["1", "2", "3", "4", "5", "6", "7", "8", "9"][i % 9];
            let d = digits(&mut seed, 16 + i % 4, first);
            let s = String::from_utf8(d).unwrap();
            total += 1;
            masked += usize::from(M.mask(&s) != s);
            let cued = format!("订单号{s}");
            assert_eq!(M.mask(&cued), cued, "after an order cue a number is never a card");
        }
        let rate = masked as f64 / total as f64;
        // Measured: 0.049 with first digits spread evenly (Luhn alone masks 0.10).
        assert!(rate < 0.06, "{masked} of {total} random order-like numbers masked");
        // Luhn-valid cards on real issuer prefixes are all masked bare.
        for bin in ["622202", "621700", "622848", "621483", "601382", "436742", "524094", "9558"] {
            for len in [16, 19] {
                let mut d = digits(&mut seed, len - 1, bin);
                let check = (0..10u8).find(|&c| {
                    d.push(b'0' + c);
                    let ok = luhn(&d);
                    d.pop();
                    ok
                });
                d.push(b'0' + check.unwrap());
                let s = String::from_utf8(d).unwrap();
                assert!(M.mask(&s).starts_with("****"), "card {s} unmasked");
            }
        }
    }

    #[test]
    fn masking_masked_text_changes_nothing() {
        // A snapshot stores masked turns and a brief masks them again: masking is idempotent.
        let mut inputs: Vec<String> = CASES.iter().map(|(t, _)| (*t).to_owned()).collect();
        // Found by the `session` fuzz target: a kept head joined the group before it.
        inputs.push("17012315\u{200b}17012315170".into());
        let parts = [
            "a@b.cn",
            "13812345678",
            " ",
            "-",
            "北京市朝阳区建国路88号",
            "x",
            "卡号",
            "订单",
            "6222021234567890128",
            "11010519491231002X",
            "@",
            ".",
            "3栋",
            "１３８",
        ];
        let mut seed = 1u64;
        for _ in 0..5_000 {
            let mut s = String::new();
            for _ in 0..6 {
                seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                s.push_str(parts[(seed >> 33) as usize % parts.len()]);
            }
            inputs.push(s);
        }
        for s in inputs {
            let once = M.mask(&s);
            assert_eq!(M.mask(&once), once, "mask is not idempotent on {s:?}");
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
