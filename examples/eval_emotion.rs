//! Evaluates the default engine's emotion scorer on a labeled TSV (DESIGN.md §8).
//!
//! ```text
//! cargo run --release --example eval_emotion -- /work/shared/corpora/cs_messages/dev.tsv
//! cargo run --release --example eval_emotion -- reviews/dev.tsv            # label = positive/negative
//! cargo run --release --example eval_emotion -- weibo/dev.tsv --map MAP.tsv
//! cargo run --release --example eval_emotion -- FILE.tsv --misses          # also list the errors
//! cargo run --release --example eval_emotion -- FILE.tsv --scores OUT.tsv   # every row's scores
//! cargo run --release --example eval_emotion -- FILE.tsv --hand-off          # hand-offs per emotion
//! cargo run --release --example eval_emotion -- FILE.tsv --model M.tsv --lexicon L.tsv
//! ```
//!
//! `--hand-off` (6-class files) also plays each message as a buyer's first message after a
//! greeting and the agent's answer, in a fresh session, and, when that hands nothing off, the
//! same message again a minute later; it reports per gold emotion how many conversations went
//! to a human and for which reason: the anger hand-off as the policy applies it (intensity,
//! calm history, escalation; `data/policy.tsv`), next to complaint and the other reasons.
//!
//! `--scores OUT.tsv` writes one line per scored message (gold label, predicted emotion, the
//! six emotion scores, valence, intensity, text), to study fusions outside the crate.
//! `--model M.tsv` replaces the learned emotion model (`emotion_model v1`, as written by
//! `train_emotion`) and `--lexicon L.tsv` adds lexicon entries or params (`emotion v1`) on top
//! of the defaults: both for tuning on held-out rows of the train splits. `--base-lexicon
//! B.tsv` replaces the default lexicon `data/emotion.tsv` itself (every other default file is
//! kept): the honest cross-validation of `train_emotion --folds` scores each fold with the
//! lexicon minus the entries that only that fold's rows use (data/README.md).
//!
//! The file has a header line naming its columns; it needs a `text` column and either
//!
//! - an `emotion` column with the 6 ids of TAXONOMY.md: 6-class report (per-class precision,
//!   recall, F1, confusion matrix) plus anger precision/recall; or
//! - a `label` column of `positive`/`negative`: valence-sign accuracy. `valence > 0` is a
//!   positive prediction, `valence < 0` a negative one, and `valence == 0` (no evidence either
//!   way) is an abstention that counts as wrong; the number of abstentions is reported.
//! - a `label` column with other ids (the Weibo sets of the corpora README): mapped to the 6
//!   emotions with the README's suggested table (angry/anger/disgust -> anger, sad/sadness ->
//!   disappointment, fear -> anxiety, happy/happiness/like/optimism/gratitude -> satisfaction,
//!   neutral/none -> neutral, surprise dropped) or with `--map MAP.tsv` (`from<TAB>to` per line;
//!   an empty `to` drops the row). Mapped labels give the 6-class report.
//!
//! Each text runs as a buyer message in a fresh session (`Engine::new()` unless `--model` or
//! `--lexicon` is given; public API only). Bad
//! lines are reported on stderr with their line number and skipped; the exit code is 1 if any
//! line was bad. The last line is `accuracy=… macro_f1=… n=…`, followed for the 6-class report
//! by ` anger_precision=… anger_recall=…` and for valence by ` abstain=…`.

use std::collections::HashMap;
use std::process::ExitCode;

use kefu::{Action, Emotion, Engine, Event, HandOffReason};

const USAGE: &str = "usage: eval_emotion FILE.tsv [--map MAP.tsv] [--misses] [--hand-off] [--scores OUT.tsv] [--model M.tsv] [--lexicon L.tsv] [--base-lexicon B.tsv]";

fn builtin_map(label: &str) -> Option<Option<Emotion>> {
    let e = match label {
        "angry" | "anger" | "disgust" => Emotion::Anger,
        "sad" | "sadness" => Emotion::Disappointment,
        "fear" => Emotion::Anxiety,
        "happy" | "happiness" | "like" | "optimism" | "gratitude" => Emotion::Satisfaction,
        "neutral" | "none" => Emotion::Neutral,
        "surprise" => return Some(None),
        other => return Emotion::from_name(other).map(Some),
    };
    Some(Some(e))
}

/// The reason of the hand-off in a decision's actions, if any.
fn hand_off(actions: &[Action]) -> Option<HandOffReason> {
    actions.iter().find_map(|a| match a {
        Action::HandOff { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// `msg` as a buyer's first message after a greeting and the agent's answer; when that hands
/// nothing off, the same message again a minute later. The reason and whether it came on the
/// repeat.
fn conversation(engine: &Engine, msg: &str) -> Option<(HandOffReason, bool)> {
    let mut s = engine.session();
    s.on_event(&Event::buyer_says(0, "你好"));
    s.on_event(&Event::agent_says(5_000, "亲，在的，请问有什么可以帮您"));
    if let Some(r) = hand_off(s.on_event(&Event::buyer_says(20_000, msg)).actions()) {
        return Some((r, false));
    }
    hand_off(s.on_event(&Event::buyer_says(80_000, msg)).actions()).map(|r| (r, true))
}

/// Per gold emotion: messages, conversations handed off on the first message and on the
/// repeat, and the reasons of all of them.
#[derive(Clone, Default)]
struct HandOffs {
    n: usize,
    first: usize,
    repeat: usize,
    reasons: std::collections::BTreeMap<String, usize>,
}

fn f3(x: f64) -> String {
    format!("{x:.4}")
}

fn main() -> ExitCode {
    let mut path = None;
    let mut map_path = None;
    let mut misses = false;
    let mut scores_path: Option<String> = None;
    let mut model_path: Option<String> = None;
    let mut lexicon_path: Option<String> = None;
    let mut base_lexicon: Option<String> = None;
    let mut hand_offs: Option<Vec<HandOffs>> = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        // The options that take a file name, and where each one goes.
        let slot = match a.as_str() {
            "--misses" => {
                misses = true;
                continue;
            }
            "--hand-off" => {
                hand_offs = Some(vec![HandOffs::default(); Emotion::COUNT]);
                continue;
            }
            "--map" => &mut map_path,
            "--scores" => &mut scores_path,
            "--base-lexicon" => &mut base_lexicon,
            "--model" => &mut model_path,
            "--lexicon" => &mut lexicon_path,
            _ if path.is_none() && !a.starts_with("--") => {
                path = Some(a);
                continue;
            }
            _ => {
                eprintln!("eval_emotion: unknown argument `{a}`\n{USAGE}");
                return ExitCode::FAILURE;
            }
        };
        match args.next() {
            Some(v) => *slot = Some(v),
            None => {
                eprintln!("eval_emotion: {a} needs a file\n{USAGE}");
                return ExitCode::FAILURE;
            }
        }
    }
    let Some(path) = path else {
        eprintln!("{USAGE}");
        return ExitCode::FAILURE;
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("eval_emotion: cannot read {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut bad = 0usize;
    let mut user_map: Option<HashMap<String, Option<Emotion>>> = None;
    if let Some(mp) = &map_path {
        let m = match std::fs::read_to_string(mp) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("eval_emotion: cannot read {mp}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut map = HashMap::new();
        for (i, line) in m.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let mut cols = line.split('\t');
            let from = cols.next().unwrap_or("").trim();
            let to = cols.next().unwrap_or("").trim();
            if to.is_empty() {
                map.insert(from.to_owned(), None);
            } else if let Some(e) = Emotion::from_name(to) {
                map.insert(from.to_owned(), Some(e));
            } else {
                eprintln!("{mp}:{}: unknown emotion `{to}`", i + 1);
                bad += 1;
            }
        }
        user_map = Some(map);
    }

    let mut builder = Engine::builder();
    if let Some(b) = &base_lexicon {
        let t = match std::fs::read_to_string(b) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("eval_emotion: cannot read {b}: {e}");
                return ExitCode::FAILURE;
            }
        };
        // Every default file but the emotion lexicon, then the given one in its place.
        builder
            .defaults(false)
            .user_dict("data/user_dict.txt", include_str!("../data/user_dict.txt"))
            .intents("data/intents.tsv", include_str!("../data/intents.tsv"))
            .rules("data/rules.tsv", include_str!("../data/rules.tsv"))
            .intent_model("data/intent_model.tsv", include_str!("../data/intent_model.tsv"))
            .emotion_model("data/emotion_model.tsv", include_str!("../data/emotion_model.tsv"))
            .risk_weights("data/risk_model.tsv", include_str!("../data/risk_model.tsv"))
            .policy("data/policy.tsv", include_str!("../data/policy.tsv"))
            .size_chart("data/size_chart.tsv", include_str!("../data/size_chart.tsv"))
            .emotion_lexicon(b, &t);
    }
    for (p, is_model) in [(&model_path, true), (&lexicon_path, false)] {
        let Some(p) = p else { continue };
        match std::fs::read_to_string(p) {
            Ok(t) if is_model => builder.emotion_model(p, &t),
            Ok(t) => builder.emotion_lexicon(p, &t),
            Err(e) => {
                eprintln!("eval_emotion: cannot read {p}: {e}");
                return ExitCode::FAILURE;
            }
        };
    }
    let engine = match builder.build() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("eval_emotion: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut lines = text.lines().enumerate();
    let Some((_, header)) = lines.next() else {
        eprintln!("{path}: empty file, expected a header line");
        return ExitCode::FAILURE;
    };
    let header: Vec<&str> =
        header.trim_start_matches('\u{feff}').split('\t').map(str::trim).collect();
    let col = |name: &str| header.iter().position(|h| *h == name);
    let Some(text_col) = col("text") else {
        eprintln!("{path}:1: no `text` column in the header");
        return ExitCode::FAILURE;
    };
    let (label_col, six) = match (col("emotion"), col("label")) {
        (Some(c), _) => (c, true),
        (None, Some(c)) => (c, false),
        _ => {
            eprintln!("{path}:1: need an `emotion` or a `label` column");
            return ExitCode::FAILURE;
        }
    };

    // confusion[gold][pred]; for valence: index 0 = negative, 1 = positive, 2 = abstain.
    let mut conf = [[0usize; Emotion::COUNT]; Emotion::COUNT];
    let mut vconf = [[0usize; 3]; 2];
    let mut valence_mode: Option<bool> = None;
    // One row per scored message for `--scores`.
    let mut scores = String::from(
        "gold\tpredicted\tanger\tanxiety\timpatience\tdisappointment\tsatisfaction\tneutral\tvalence\tintensity\ttext\n",
    );
    for (i, line) in lines {
        let n = i + 1;
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        let (Some(label), Some(msg)) = (cols.get(label_col), cols.get(text_col)) else {
            eprintln!("{path}:{n}: expected {} columns, found {}", header.len(), cols.len());
            bad += 1;
            continue;
        };
        let label = label.trim();
        let is_polar = matches!(label, "positive" | "negative");
        if !six {
            match valence_mode {
                None => valence_mode = Some(is_polar),
                Some(v) if v != is_polar => {
                    eprintln!("{path}:{n}: label `{label}` mixes polarity and emotion labels");
                    bad += 1;
                    continue;
                }
                _ => {}
            }
        }
        let mut s = engine.session();
        let d = s.on_event(&Event::buyer_says(0, *msg));
        let Some(emo) = d.emotion() else {
            eprintln!("{path}:{n}: no emotion for a buyer message");
            bad += 1;
            continue;
        };
        if scores_path.is_some() {
            scores.push_str(&format!("{label}\t{}", emo.label.as_str()));
            for x in emo.scores.iter().chain([&emo.valence, &emo.intensity]) {
                scores.push_str(&format!("\t{x:.6}"));
            }
            scores.push_str(&format!("\t{msg}\n"));
        }
        if !six && is_polar {
            let gold = usize::from(label == "positive");
            let pred = if emo.valence > 0.0 {
                1
            } else if emo.valence < 0.0 {
                0
            } else {
                2
            };
            vconf[gold][pred] += 1;
            if misses && pred != gold {
                println!(
                    "miss\t{label}\tvalence={:.3}\t{}\t{msg}",
                    emo.valence,
                    emo.label.as_str()
                );
            }
            continue;
        }
        let gold = if six {
            Emotion::from_name(label).map(Some)
        } else if let Some(m) = &user_map {
            m.get(label).copied()
        } else {
            builtin_map(label)
        };
        let gold = match gold {
            Some(Some(g)) => g,
            Some(None) => continue,
            None => {
                eprintln!("{path}:{n}: unknown label `{label}` (use --map to rename it)");
                bad += 1;
                continue;
            }
        };
        conf[gold.index()][emo.label.index()] += 1;
        if let Some(h) = hand_offs.as_mut().and_then(|h| h.get_mut(gold.index())) {
            h.n += 1;
            if let Some((reason, repeat)) = conversation(&engine, msg) {
                *if repeat { &mut h.repeat } else { &mut h.first } += 1;
                *h.reasons.entry(format!("{reason:?}")).or_default() += 1;
            }
        }
        if misses && gold != emo.label {
            println!(
                "miss\t{}\t{}\tv={:.2}\ti={:.2}\t{msg}",
                gold.as_str(),
                emo.label.as_str(),
                emo.valence,
                emo.intensity
            );
        }
    }

    if let Some(out) = &scores_path
        && let Err(e) = std::fs::write(out, &scores)
    {
        eprintln!("eval_emotion: cannot write {out}: {e}");
        return ExitCode::FAILURE;
    }
    if valence_mode == Some(true) {
        if hand_offs.is_some() {
            eprintln!("eval_emotion: --hand-off needs emotion labels; ignored for a valence file");
        }
        let n: usize = vconf.iter().flatten().sum();
        let correct = vconf[0][0] + vconf[1][1];
        let abstain = vconf[0][2] + vconf[1][2];
        let mut f1s = [0.0f64; 2];
        for (c, f) in f1s.iter_mut().enumerate() {
            let tp = vconf[c][c] as f64;
            let pred = (vconf[0][c] + vconf[1][c]) as f64;
            let gold: f64 = vconf[c].iter().sum::<usize>() as f64;
            let p = if pred > 0.0 { tp / pred } else { 0.0 };
            let r = if gold > 0.0 { tp / gold } else { 0.0 };
            *f = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
            let name = ["negative", "positive"][c];
            println!("{name:<10} p={} r={} f1={} n={gold}", f3(p), f3(r), f3(*f));
        }
        println!("abstain (valence == 0): negative {} positive {}", vconf[0][2], vconf[1][2]);
        let acc = if n > 0 { correct as f64 / n as f64 } else { 0.0 };
        let decided = n - abstain;
        let dacc = if decided > 0 { correct as f64 / decided as f64 } else { 0.0 };
        println!("accuracy on decided messages: {} (n={decided})", f3(dacc));
        if bad > 0 {
            eprintln!("eval_emotion: {bad} bad line(s)");
        }
        println!(
            "accuracy={} macro_f1={} n={n} abstain={abstain}",
            f3(acc),
            f3((f1s[0] + f1s[1]) / 2.0)
        );
        return if bad > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS };
    }

    let n: usize = conf.iter().flatten().sum();
    let correct: usize = (0..Emotion::COUNT).map(|i| conf[i][i]).sum();
    let mut f1_sum = 0.0;
    let mut classes = 0usize;
    let mut anger = (0.0, 0.0);
    println!("{:<15} {:>7} {:>7} {:>7} {:>5}", "emotion", "prec", "recall", "f1", "n");
    for e in Emotion::ALL {
        let c = e.index();
        let tp = conf[c][c] as f64;
        let pred: usize = (0..Emotion::COUNT).map(|g| conf[g][c]).sum();
        let gold: usize = conf[c].iter().sum();
        let p = if pred > 0 { tp / pred as f64 } else { 0.0 };
        let r = if gold > 0 { tp / gold as f64 } else { 0.0 };
        let f = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        // Macro-F1 over the classes present in the gold labels (a mapped Weibo set has no
        // impatience, for instance).
        if gold > 0 {
            f1_sum += f;
            classes += 1;
        }
        if e == Emotion::Anger {
            anger = (p, r);
        }
        println!("{:<15} {:>7} {:>7} {:>7} {gold:>5}", e.as_str(), f3(p), f3(r), f3(f));
    }
    println!("confusion (rows gold, columns predicted):");
    print!("{:<15}", "");
    for e in Emotion::ALL {
        print!(" {:>6}", &e.as_str()[..6.min(e.as_str().len())]);
    }
    println!();
    for g in Emotion::ALL {
        print!("{:<15}", g.as_str());
        for p in Emotion::ALL {
            print!(" {:>6}", conf[g.index()][p.index()]);
        }
        println!();
    }
    if let Some(h) = &hand_offs {
        println!(
            "hand-offs (first message after a greeting; else the same message a minute later):"
        );
        println!(
            "{:<15} {:>5} {:>7} {:>7} {:>7}  reasons",
            "gold", "n", "first", "repeat", "total"
        );
        for e in Emotion::ALL {
            let h = &h[e.index()];
            let share = |k: usize| f3(if h.n > 0 { k as f64 / h.n as f64 } else { 0.0 });
            let reasons: Vec<String> = h.reasons.iter().map(|(r, k)| format!("{r} {k}")).collect();
            println!(
                "{:<15} {:>5} {:>7} {:>7} {:>7}  {}",
                e.as_str(),
                h.n,
                share(h.first),
                share(h.repeat),
                share(h.first + h.repeat),
                reasons.join(", ")
            );
        }
    }
    if bad > 0 {
        eprintln!("eval_emotion: {bad} bad line(s)");
    }
    let acc = if n > 0 { correct as f64 / n as f64 } else { 0.0 };
    let macro_f1 = if classes > 0 { f1_sum / classes as f64 } else { 0.0 };
    println!(
        "accuracy={} macro_f1={} n={n} anger_precision={} anger_recall={}",
        f3(acc),
        f3(macro_f1),
        f3(anger.0),
        f3(anger.1)
    );
    if bad > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
