//! The regex rules of one rules list, searched with a character prefilter.
//!
//! A `RegexSet` of a dozen rules over Chinese text runs every byte of every message through
//! one lazy DFA of the union of all rules; perf put it at about 9 % of a chat message's time
//! although few messages match any rule. No rule can match unless the message holds a
//! character of each of a few sets: `(钱|款).{0,6}(没|还没|不)(到|退)` needs one of 钱 款, one
//! of 不 没 and one of 到 退; `(给|打|写|安排)(你们)?.{0,2}(差|负|中)评` needs 评 among others.
//! Those sets ([`clauses`]) are read off each rule's syntax tree when it compiles, and each
//! distinct set gets a bit; at run time one pass over the message's characters (one table
//! lookup each) says which sets are present, a rule runs only when all of its sets are, and it
//! runs alone (where the regex crate's own literal prefilters apply). A rule with no such set
//! (`^\d+$`) always runs. The rules that match are exactly those the set reports, in the
//! same order.
//!
//! Lists of more than 64 regex rules keep the plain set (a rule's bit in a `u64` mask names
//! it).

use regex::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Largest set of characters kept for one rule: a rule that any of hundreds of characters can
/// start is checked on every message anyway.
const MAX_CHARS: usize = 24;

/// Compiled regex rules; see the module docs.
#[derive(Debug, Clone)]
pub(crate) enum RegexRules {
    Filtered(Filtered),
    Set(RegexSet),
}

#[derive(Debug, Clone)]
pub(crate) struct Filtered {
    regexes: Vec<Regex>,
    /// Rules that run on every message.
    always: u64,
    /// Rules anchored at the start, and `(char, rules)` for the characters their matches can
    /// begin with: `^(好的?|嗯+|ok)…$` runs only on a message that begins with 好, 嗯 or o.
    anchored: u64,
    first: Vec<(u32, u64)>,
    /// Per rule: the clauses it needs (bits of `triggers`' masks), 0 for none. A rule can
    /// match only where every clause it needs is present.
    needs: Vec<u64>,
    /// `(char, clauses that char makes present)`, sorted by char after a first entry
    /// `(u32::MAX, 0)` that stands for "none". A clause is a set of characters one of which
    /// every match of some rule contains ([`clauses`]).
    triggers: Vec<(u32, u64)>,
    /// Per `c % 4096`: the index in `triggers` of the one trigger character in that bucket
    /// (0: none), or [`SHARED`] when several share it. A character costs one lookup and one
    /// comparison, with no branch on whether it is a trigger.
    buckets: Box<[u16; 4096]>,
}

/// A bucket of [`Filtered::buckets`] that several trigger characters share: they are
/// searched for in the sorted list.
const SHARED: u16 = u16::MAX;

/// Sizes of the compiled regexes (see `intent.rs`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub size: usize,
    pub set_size: usize,
    pub dfa_size: usize,
}

impl RegexRules {
    /// Compiles `patterns`, each already known to compile alone under `limits.size`. The
    /// separate regexes share the set's budgets: each may take `limits.set_size / n` of
    /// compiled size and `limits.dfa_size / n` of lazy DFA cache, so the rules of one list
    /// never hold more than the set would. A rule too large for its share sends the whole
    /// list back to the set.
    pub(crate) fn new(patterns: &[String], limits: Limits) -> Result<RegexRules, regex::Error> {
        let set = || {
            RegexSetBuilder::new(patterns)
                .size_limit(limits.set_size)
                .dfa_size_limit(limits.dfa_size)
                .build()
                .map(RegexRules::Set)
        };
        let n = patterns.len().max(1);
        if n > 64 {
            return set();
        }
        let mut regexes = Vec::with_capacity(n);
        let mut always = 0u64;
        let mut anchored = 0u64;
        let mut first: Vec<(u32, u64)> = Vec::new();
        // Per rule, its clauses, smallest first.
        let mut wanted: Vec<Vec<Vec<u32>>> = Vec::with_capacity(n);
        for (i, p) in patterns.iter().enumerate() {
            let built = RegexBuilder::new(p)
                .size_limit(limits.size.min(limits.set_size / n))
                .dfa_size_limit(limits.dfa_size / n)
                .build();
            match built {
                Ok(rx) => regexes.push(rx),
                Err(_) => return set(),
            }
            let bit = 1u64 << i;
            let hir = regex_syntax::parse(p).ok();
            let starts = hir
                .as_ref()
                .filter(|h| h.properties().look_set_prefix().contains(Look::Start))
                .and_then(first_chars);
            if let Some(chars) = starts {
                anchored |= bit;
                first.extend(chars.into_iter().map(|c| (c, bit)));
            }
            let mut cl = hir.as_ref().map(clauses).unwrap_or_default();
            cl.sort_by_key(Vec::len);
            if cl.is_empty() {
                always |= bit;
            }
            wanted.push(cl);
        }
        // One bit per distinct clause, at most 64: every rule's smallest clause first, then
        // every rule's second, and so on, so each rule with clauses keeps at least one.
        let mut kept: Vec<&Vec<u32>> = Vec::new();
        let mut needs = vec![0u64; wanted.len()];
        let deepest = wanted.iter().map(Vec::len).max().unwrap_or(0);
        'rank: for rank in 0..deepest {
            for (need, cl) in needs.iter_mut().zip(&wanted) {
                let Some(c) = cl.get(rank) else { continue };
                let bit = match kept.iter().position(|k| *k == c) {
                    Some(b) => b,
                    None if kept.len() < 64 => {
                        kept.push(c);
                        kept.len() - 1
                    }
                    None => break 'rank,
                };
                *need |= 1 << bit;
            }
        }
        let by_char = kept
            .iter()
            .enumerate()
            .flat_map(|(b, c)| c.iter().map(move |&ch| (ch, 1u64 << b)))
            .collect();
        let (mut triggers, first) = (merge(by_char), merge(first));
        triggers.insert(0, (u32::MAX, 0));
        let mut buckets = Box::new([0u16; 4096]);
        for (i, &(c, _)) in triggers.iter().enumerate().skip(1) {
            let b = &mut buckets[c as usize & 4095];
            // At most 64 clauses of at most `MAX_CHARS` characters: the index fits.
            *b = if *b == 0 { i as u16 } else { SHARED };
        }
        Ok(RegexRules::Filtered(Filtered {
            regexes,
            always,
            anchored,
            first,
            needs,
            triggers,
            buckets,
        }))
    }

    /// Calls `f` with the index of every pattern that matches `text`, in index order.
    #[inline]
    pub(crate) fn for_each_match(&self, text: &str, mut f: impl FnMut(usize)) {
        match self {
            RegexRules::Set(set) => {
                // `is_match` allocates nothing; `matches` only runs when some rule matched.
                if set.is_match(text) {
                    set.matches(text).iter().for_each(f);
                }
            }
            RegexRules::Filtered(r) => {
                let mut present = 0u64;
                if r.triggers.len() > 1 {
                    let sorted = &r.triggers[1..];
                    for c in text.chars() {
                        let c = c as u32;
                        let i = r.buckets[c as usize & 4095];
                        if i == SHARED {
                            if let Ok(i) = sorted.binary_search_by_key(&c, |t| t.0) {
                                present |= sorted[i].1;
                            }
                        } else if let Some(&(t, mask)) = r.triggers.get(usize::from(i)) {
                            present |= if t == c { mask } else { 0 };
                        }
                    }
                }
                let mut possible = r.always;
                for (i, &need) in r.needs.iter().enumerate() {
                    possible |= u64::from(need != 0 && present & need == need) << i;
                }
                if r.anchored != 0 {
                    // An anchored rule needs its first character at the start.
                    let c = text.chars().next().map_or(u32::MAX, |c| c as u32);
                    let ok = match r.first.binary_search_by_key(&c, |t| t.0) {
                        Ok(i) => r.first[i].1,
                        Err(_) => 0,
                    };
                    possible &= !r.anchored | ok;
                }
                while possible != 0 {
                    let i = possible.trailing_zeros() as usize;
                    possible &= possible - 1;
                    if r.regexes.get(i).is_some_and(|rx| rx.is_match(text)) {
                        f(i);
                    }
                }
            }
        }
    }
}

/// `(char, bit)` pairs sorted by char, one entry per char with the bits or-ed.
fn merge(mut pairs: Vec<(u32, u64)>) -> Vec<(u32, u64)> {
    pairs.sort_unstable();
    let mut out: Vec<(u32, u64)> = Vec::new();
    for (c, bit) in pairs {
        match out.last_mut() {
            Some(last) if last.0 == c => last.1 |= bit,
            _ => out.push((c, bit)),
        }
    }
    out
}

/// The characters a non-empty match of `hir` can begin with (`None`: no such small set, or
/// the match may be empty). Zero-width assertions at the front are skipped.
pub(crate) fn first_chars(hir: &Hir) -> Option<Vec<u32>> {
    let mut set = starts(hir)?;
    set.sort_unstable();
    set.dedup();
    (!set.is_empty() && set.len() <= MAX_CHARS).then_some(set)
}

/// Characters one of which every match of `hir` contains (`None`: no such small set): the
/// smallest of its [`clauses`].
#[cfg(test)]
pub(crate) fn required(hir: &Hir) -> Option<Vec<u32>> {
    clauses(hir).into_iter().min_by_key(Vec::len)
}

/// Sets of characters such that every match of `hir` contains a character of each set (a
/// conjunction of clauses; empty: nothing is known). `(钱|款).{0,6}(没|还没|不)(到|退)` gives
/// {钱, 款}, {没, 还, 不} and {到, 退}; a literal gives each of its characters. Each set holds
/// at most [`MAX_CHARS`] characters, and at most [`MAX_CLAUSES`] sets are kept, the smallest.
pub(crate) fn clauses(hir: &Hir) -> Vec<Vec<u32>> {
    let mut out = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(Class::Bytes(_)) => Vec::new(),
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) => s.chars().map(|c| vec![c as u32]).collect(),
            Err(_) => Vec::new(),
        },
        HirKind::Class(Class::Unicode(cls)) => class_chars(cls).into_iter().collect(),
        HirKind::Repetition(rep) if rep.min > 0 => clauses(&rep.sub),
        HirKind::Repetition(_) => Vec::new(),
        HirKind::Capture(cap) => clauses(&cap.sub),
        // Every part must match: all their clauses hold.
        HirKind::Concat(parts) => parts.iter().flat_map(clauses).collect(),
        // Some branch matches: the union of one clause of each branch holds (the smallest).
        HirKind::Alternation(branches) => {
            let mut union = Vec::new();
            for b in branches {
                let Some(c) = clauses(b).into_iter().min_by_key(Vec::len) else {
                    return Vec::new();
                };
                union.extend(c);
                if union.len() > MAX_CHARS {
                    return Vec::new();
                }
            }
            union.sort_unstable();
            union.dedup();
            vec![union]
        }
    };
    for c in &mut out {
        c.sort_unstable();
        c.dedup();
    }
    out.retain(|c| !c.is_empty() && c.len() <= MAX_CHARS);
    out.sort_unstable_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    out.dedup();
    out.truncate(MAX_CLAUSES);
    out
}

/// Most clauses kept for one rule.
const MAX_CLAUSES: usize = 8;

/// The characters of a Unicode class, if it has at most [`MAX_CHARS`].
fn class_chars(cls: &regex_syntax::hir::ClassUnicode) -> Option<Vec<u32>> {
    let mut out = Vec::new();
    for r in cls.ranges() {
        let (a, b) = (r.start() as u32, r.end() as u32);
        if out.len() + (b - a) as usize >= MAX_CHARS {
            return None;
        }
        out.extend(a..=b);
    }
    Some(out)
}

/// [`first_chars`] without the final sort and bound.
fn starts(hir: &Hir) -> Option<Vec<u32>> {
    match hir.kind() {
        HirKind::Empty | HirKind::Look(_) | HirKind::Class(Class::Bytes(_)) => None,
        HirKind::Literal(lit) => {
            std::str::from_utf8(&lit.0).ok()?.chars().next().map(|c| vec![c as u32])
        }
        HirKind::Class(Class::Unicode(cls)) => class_chars(cls),
        HirKind::Repetition(rep) if rep.min > 0 => starts(&rep.sub),
        HirKind::Repetition(_) => None,
        HirKind::Capture(cap) => starts(&cap.sub),
        // The first part that is not a zero-width assertion begins every match, unless it
        // may be empty.
        HirKind::Concat(parts) => parts
            .iter()
            .find(|p| !matches!(p.kind(), HirKind::Look(_)))
            .filter(|p| p.properties().minimum_len() != Some(0))
            .and_then(starts),
        // Every branch must give its characters.
        HirKind::Alternation(branches) => {
            let mut out = Vec::new();
            for b in branches {
                out.extend(starts(b)?);
                if out.len() > MAX_CHARS {
                    return None;
                }
            }
            Some(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const LIMITS: Limits = Limits { size: 1 << 20, set_size: 8 << 20, dfa_size: 16 << 20 };

    fn chars(p: &str) -> Option<String> {
        required(&regex_syntax::parse(p).unwrap())
            .map(|v| v.into_iter().filter_map(char::from_u32).collect())
    }

    fn starts(p: &str) -> Option<String> {
        first_chars(&regex_syntax::parse(p).unwrap())
            .map(|v| v.into_iter().filter_map(char::from_u32).collect())
    }

    #[test]
    fn first_characters() {
        assert_eq!(starts("^(好的?|嗯+|ok)[!！]*$").as_deref(), Some("o嗯好"));
        assert_eq!(starts("^a*b"), None);
        assert_eq!(starts("^(a|b?)c"), None);
        assert_eq!(starts("^[x-z]"), Some("xyz".into()));
    }

    #[test]
    fn clauses_of_a_rule() {
        let cl = |p: &str| -> Vec<String> {
            clauses(&regex_syntax::parse(p).unwrap())
                .into_iter()
                .map(|c| c.into_iter().filter_map(char::from_u32).collect())
                .collect()
        };
        assert_eq!(cl("(钱|款).{0,6}(没|还没|不)(到|退)"), ["不没", "到退", "款钱"]);
        assert_eq!(cl("显示签收.{0,6}(没|未)"), ["收", "显", "示", "签", "未没"]);
        assert_eq!(cl("(转|找)(个)?人$"), ["人", "找转"]);
        assert!(cl(r"^\d+$").is_empty());
        assert!(cl("(a|b*)c?").is_empty());
    }

    #[test]
    fn required_characters() {
        assert_eq!(chars("(钱|款).{0,6}(没|还没|不)(到|退)").as_deref(), Some("不没"));
        assert_eq!(chars("(给|打|写|安排)(你们)?.{0,2}(差|负|中)评").as_deref(), Some("评"));
        assert_eq!(chars("^(在|你好|hi)[?？]*$").as_deref(), Some("h你在"));
        assert_eq!(chars("(?i)ok").as_deref(), Some("Oo"));
        assert_eq!(chars(r"^\d+$"), None);
        assert_eq!(chars("a*"), None);
        assert_eq!(chars("(a|b*)c?"), None);
        assert_eq!(chars("a+b"), Some("a".into()));
    }

    /// The rules that match, in order, as a `RegexSet` reports them.
    fn check(patterns: &[String], text: &str) -> Result<(), TestCaseError> {
        let set = RegexSet::new(patterns).unwrap();
        let want: Vec<usize> = set.matches(text).iter().collect();
        let rules = RegexRules::new(patterns, LIMITS).unwrap();
        let mut got = Vec::new();
        rules.for_each_match(text, |i| got.push(i));
        prop_assert_eq!(got, want);
        Ok(())
    }

    #[test]
    fn default_rules_match_as_the_set_does() {
        let patterns: Vec<String> = include_str!("../../data/rules.tsv")
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let c: Vec<&str> = l.split('\t').collect();
                (c.len() >= 4 && c[2] == "regex").then(|| c[3].to_owned())
            })
            .collect();
        assert!(patterns.len() >= 5);
        for text in [
            "都三天了还没发货",
            "怎么还不发",
            "显示签收了没收到",
            "钱还没到账",
            "还有xl码吗",
            "转人工",
            "你好",
            "好的",
            "170 120斤",
            "给你差评",
            "",
        ] {
            check(&patterns, text).unwrap();
        }
        let rules = RegexRules::new(&patterns, LIMITS).unwrap();
        assert!(matches!(rules, RegexRules::Filtered(ref f) if f.always == 0));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]
        #[test]
        fn same_matches_as_the_set(
            patterns in prop::collection::vec(
                prop::sample::select(vec![
                    "a", "ab?c", "(a|b)+", "^a", "b$", "[a-c]{2}", "不.?错", "(退|款)", "x*",
                    "(?i)A", r"\d", "(钱|款).{0,2}到", "^(好|ok)[!！]*$", "é|😡", "^a+b", "^(b|不)?错", "(?m)^好",
                    "退款.?到账", "(还有|有没有).{0,3}色(吗|没)", "(a|好的?)+b?错",
                ]).prop_map(String::from),
                1..8,
            ),
            text in "[abcxA1不错退款到账还有没色吗好的ok!é😡 \n]{0,16}",
        ) {
            check(&patterns, &text)?;
        }
    }

    #[test]
    fn a_rule_over_its_share_falls_back_to_the_set() {
        // A rule that fits the set's whole budget but not half of it (searched for, so the
        // test does not depend on how large regex compiles a pattern).
        let set_size = 256 << 10;
        let fits = |p: &str, size: usize| RegexBuilder::new(p).size_limit(size).build().is_ok();
        let big = (1..200)
            .map(|k| format!(r"\w{{{k}}}"))
            .find(|p| !fits(p, set_size / 2) && fits(p, set_size / 4 * 3))
            .expect("some repetition lands between the two limits");
        let patterns = vec![big, "ab".to_owned()];
        let limits = Limits { size: 1 << 20, set_size, dfa_size: 16 << 20 };
        let rules = RegexRules::new(&patterns, limits).unwrap();
        assert!(matches!(rules, RegexRules::Set(_)));
        let mut got = Vec::new();
        rules.for_each_match("ab", |i| got.push(i));
        let want: Vec<usize> = RegexSet::new(&patterns).unwrap().matches("ab").iter().collect();
        assert!(got.contains(&1));
        assert_eq!(got, want);
    }

    #[test]
    fn long_lists_keep_the_set() {
        let patterns: Vec<String> = (0..70).map(|i| format!("k{i}x")).collect();
        let rules = RegexRules::new(&patterns, LIMITS).unwrap();
        assert!(matches!(rules, RegexRules::Set(_)));
        let mut got = Vec::new();
        rules.for_each_match("k3x k69x", |i| got.push(i));
        assert_eq!(got, [3, 69]);
    }
}
