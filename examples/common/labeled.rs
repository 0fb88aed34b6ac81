//! Reading labeled TSV files for the intent examples (`eval_intents`, `train_intents`).
//!
//! A file has a header with an `intent` or `label` column and a `text` column; a map file has
//! a header and `from<TAB>to` lines, where an empty `to` drops the row.

// Each example includes this module and uses only part of it.
#![allow(dead_code)]

use std::collections::HashMap;

/// Rows of a labeled TSV as `(label, text)`; bad lines are reported and counted in `bad`.
pub fn read_rows(
    path: &str,
    map: Option<&HashMap<String, String>>,
    bad: &mut usize,
) -> Result<Vec<(String, String)>, String> {
    Ok(read_numbered(path, map, bad)?.into_iter().map(|(_, l, t)| (l, t)).collect())
}

/// Rows of a labeled TSV as `(line number, label, text)`; bad lines are reported and counted
/// in `bad`.
pub fn read_numbered(
    path: &str,
    map: Option<&HashMap<String, String>>,
    bad: &mut usize,
) -> Result<Vec<(usize, String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines().enumerate();
    let header = lines.next().map(|(_, h)| h).unwrap_or("");
    let cols: Vec<&str> =
        header.trim_start_matches('\u{feff}').split('\t').map(str::trim).collect();
    let li = cols
        .iter()
        .position(|c| *c == "intent")
        .or_else(|| cols.iter().position(|c| *c == "label"));
    let ti = cols.iter().position(|c| *c == "text");
    let (Some(li), Some(ti)) = (li, ti) else {
        return Err(format!(
            "{path}:1: the header needs an `intent` or `label` column and a `text` column"
        ));
    };
    let mut rows = Vec::new();
    for (i, line) in lines {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        let f: Vec<&str> = line.split('\t').collect();
        let (Some(label), Some(t)) = (f.get(li).map(|s| s.trim()), f.get(ti)) else {
            eprintln!(
                "{path}:{}: expected {} tab-separated columns, found {}",
                i + 1,
                cols.len(),
                f.len()
            );
            *bad += 1;
            continue;
        };
        if label.is_empty() {
            eprintln!("{path}:{}: empty label", i + 1);
            *bad += 1;
            continue;
        }
        let label = match map {
            Some(m) => match m.get(label) {
                Some(to) if to.is_empty() => continue,
                Some(to) => to.clone(),
                None => {
                    eprintln!("{path}:{}: label `{label}` is not in the map", i + 1);
                    *bad += 1;
                    continue;
                }
            },
            None => label.to_owned(),
        };
        rows.push((i + 1, label, t.to_string()));
    }
    Ok(rows)
}

pub fn read_map(path: &str, bad: &mut usize) -> Result<HashMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut m = HashMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        match line.split_once('\t') {
            Some((from, to)) => {
                m.insert(from.trim().to_owned(), to.trim().to_owned());
            }
            None => {
                // A lone label with no tab maps to nothing (drop).
                if line.contains(' ') {
                    eprintln!("{path}:{}: expected `from<TAB>to`", i + 1);
                    *bad += 1;
                } else {
                    m.insert(line.trim().to_owned(), String::new());
                }
            }
        }
    }
    Ok(m)
}

/// Expected calibration error: the mean over 10 equal-width confidence bins of
/// |accuracy - mean confidence|, weighted by the share of predictions in the bin.
pub fn ece(points: &[(f32, bool)]) -> f64 {
    let mut bins = [(0usize, 0f64, 0usize); 10]; // count, sum of confidence, correct
    for &(c, ok) in points {
        let b = ((c.clamp(0.0, 1.0) * 10.0) as usize).min(9);
        bins[b].0 += 1;
        bins[b].1 += c as f64;
        bins[b].2 += ok as usize;
    }
    let n = points.len().max(1) as f64;
    bins.iter()
        .filter(|b| b.0 > 0)
        .map(|&(k, conf, ok)| (k as f64 / n) * (ok as f64 / k as f64 - conf / k as f64).abs())
        .sum()
}

/// Writes the wrong predictions among `rows` (gold, predicted, confidence, text) to `path` as
/// `gold<TAB>predicted<TAB>confidence<TAB>text` after a header line, for error analysis.
pub fn write_errors<'a>(
    path: &str,
    rows: impl IntoIterator<Item = (&'a str, &'a str, f32, &'a str)>,
) -> Result<(), String> {
    let mut out = String::from("gold\tpredicted\tconfidence\ttext\n");
    for (g, p, c, t) in rows {
        if g != p {
            out.push_str(&format!("{g}\t{p}\t{c:.3}\t{t}\n"));
        }
    }
    std::fs::write(path, out).map_err(|e| format!("{path}: {e}"))
}
