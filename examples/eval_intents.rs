//! Evaluates the default engine's intent classifier on a labeled TSV (DESIGN.md §8).
//!
//! ```text
//! cargo run --release --example eval_intents -- /work/shared/corpora/cs_messages/dev.tsv
//! cargo run --release --example eval_intents -- jddc_intent/dev.tsv --map jddc_intent/taxonomy_map.tsv
//! ```
//!
//! The file has a header naming an `intent` (or `label`) column and a `text` column. `--map
//! MAP.tsv` renames labels (`from<TAB>to` per line after a header; an empty `to` drops the row).
//! `--errors OUT.tsv` writes each wrong answer as `gold<TAB>predicted<TAB>confidence<TAB>text`
//! (for error analysis of a training or hand-written set; reading a dev split's errors would
//! tune on it). Each text runs as a buyer message in a fresh session of `Engine::new()` (public API only).
//! Prints per-intent precision, recall and F1 and the most frequent confusions. Bad lines are
//! reported on stderr with their line number and skipped; the exit code is 1 if any line was
//! bad. On stderr it also reports the intent stage's median cost per message (see
//! `intent_stage_cost`; it reads `data/` from the working directory). The line before the last gives the expected calibration error (ECE, 10 equal-width
//! bins) of the returned intent's confidence (`ece`) and of the most probable intent's
//! probability (`ece_top`). The last line is `accuracy=… macro_f1=… n=…`.

use std::process::ExitCode;
use std::time::Instant;

use kefu::train::{Evaluation, IntentClassifier};
use kefu::{Engine, Event};

#[path = "common/labeled.rs"]
mod labeled;
use labeled::{ece, read_map, read_numbered, write_errors};

const USAGE: &str = "usage: eval_intents FILE.tsv [--map MAP.tsv] [--errors OUT.tsv]";

fn run() -> Result<bool, String> {
    let mut path = None;
    let mut map_path = None;
    let mut errors_path = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--map" => map_path = Some(args.next().ok_or("--map needs a file")?),
            "--errors" => errors_path = Some(args.next().ok_or("--errors needs a file")?),
            _ if path.is_none() && !a.starts_with("--") => path = Some(a),
            _ => return Err(format!("unknown argument `{a}`")),
        }
    }
    let path = path.ok_or("no input file")?;
    let mut bad = 0usize;
    let map = map_path.as_deref().map(|m| read_map(m, &mut bad)).transpose()?;
    let rows = read_numbered(&path, map.as_ref(), &mut bad)?;

    let engine = Engine::new().map_err(|e| e.to_string())?;
    let mut gold: Vec<String> = Vec::new();
    let mut pred: Vec<String> = Vec::new();
    // (confidence, correct) of the returned intent, and of the most probable intent before
    // the `other` fallback, for the calibration figures.
    let mut calib: Vec<(f32, bool)> = Vec::new();
    let mut calib_top: Vec<(f32, bool)> = Vec::new();
    // (row, confidence of the returned intent) of each scored row, for `--errors`.
    let mut scored: Vec<(usize, f32)> = Vec::new();
    let started = Instant::now();
    for (i, (n, label, t)) in rows.iter().enumerate() {
        if engine.intent_id(label).is_none() {
            eprintln!("{path}:{n}: `{label}` is not an intent of the default engine");
            bad += 1;
            continue;
        }
        let mut s = engine.session();
        let d = s.on_event(&Event::buyer_says(0, t.as_str()));
        let p = d.intent().map_or_else(|| "other".to_owned(), |x| x.id.to_string());
        if let Some(i) = d.intent() {
            calib.push((i.confidence, p == *label));
            // On a fallback, the most probable intent is the first alternative (when it beats
            // `other` itself).
            let top = match i.alternatives.first() {
                Some((id, q)) if *q > i.confidence => (*q, id.as_str() == label),
                _ => (i.confidence, p == *label),
            };
            calib_top.push(top);
        }
        scored.push((i, d.intent().map_or(0.0, |x| x.confidence)));
        pred.push(p);
        gold.push(label.to_owned());
    }
    let elapsed = started.elapsed();
    if !gold.is_empty() {
        eprintln!(
            "{} messages in {:.1} ms ({:.1} µs per message, whole pipeline incl. a new session)",
            gold.len(),
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e6 / gold.len() as f64
        );
    }
    if let Some(out) = &errors_path {
        let wrong = scored.iter().zip(&pred).map(|(&(i, c), p)| {
            let (_, gold, text) = &rows[i];
            (gold.as_str(), p.as_str(), c, text.as_str())
        });
        write_errors(out, wrong)?;
    }
    let texts: Vec<&str> = rows.iter().map(|r| r.2.as_str()).collect();
    match intent_stage_cost(&engine, &texts) {
        Ok((stage, with, without)) => eprintln!(
            "intent stage: median {stage:.0} ns per message (normalise + cut + intent {with:.0} ns, normalise + cut {without:.0} ns)"
        ),
        Err(e) => eprintln!("intent stage cost not measured: {e}"),
    }
    let ev = Evaluation::new(gold.iter().map(String::as_str).zip(pred.iter().map(String::as_str)));
    let (body, summary) = {
        let s = ev.to_string();
        let cut = s.rfind('\n').map_or(0, |i| i + 1);
        (s[..cut].to_owned(), s[cut..].to_owned())
    };
    print!("{body}");
    println!(
        "calibration (10 equal-width bins): ece={:.4} (returned intent, after the `other` fallback) ece_top={:.4} (most probable intent)",
        ece(&calib),
        ece(&calib_top)
    );
    println!("{summary}");
    Ok(bad == 0)
}

/// The intent stage's cost: the median time of [`IntentClassifier::classify`] (normalise, cut,
/// rules, model, evidence) on `engine`, minus the same on an engine built from the same
/// `data/` files (read from the working directory) with no intent rules and no model, so that
/// normalising and cutting cancel out. Messages are timed one call at a time while streaming
/// through them in order (caches as warm as in a live pipeline); both engines are run
/// interleaved three times and the middle run is kept. Returns (stage, with, without) in ns.
fn intent_stage_cost(engine: &Engine, texts: &[&str]) -> Result<(f64, f64, f64), String> {
    let mut b = Engine::builder();
    b.defaults(false);
    for file in ["user_dict.txt", "intents.tsv", "emotion.tsv", "risk_model.tsv", "policy.tsv"] {
        let path = format!("data/{file}");
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        match file {
            "user_dict.txt" => b.user_dict(&path, &text),
            "intents.tsv" => b.intents(&path, &text),
            "emotion.tsv" => b.emotion_lexicon(&path, &text),
            "risk_model.tsv" => b.risk_weights(&path, &text),
            _ => b.policy(&path, &text),
        };
    }
    let bare = b.build().map_err(|e| e.to_string())?;
    let median = |e: &Engine| {
        let mut c = IntentClassifier::new(e);
        let mut ns: Vec<f64> = Vec::with_capacity(texts.len() * 5);
        for round in 0..6 {
            for t in texts {
                let start = Instant::now();
                std::hint::black_box(c.classify(t).confidence);
                // The first round warms the buffers.
                if round > 0 {
                    ns.push(start.elapsed().as_nanos() as f64);
                }
            }
        }
        ns.sort_by(f64::total_cmp);
        ns.get(ns.len() / 2).copied().unwrap_or(0.0)
    };
    let (mut a, mut z) = (Vec::new(), Vec::new());
    for _ in 0..3 {
        a.push(median(engine));
        z.push(median(&bare));
    }
    a.sort_by(f64::total_cmp);
    z.sort_by(f64::total_cmp);
    Ok((a[1] - z[1], a[1], z[1]))
}

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("error: {e}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}
