//! Rebuilds the learned part of the emotion stage, `data/emotion_model.tsv` (DESIGN.md §3.4).
//!
//! ```text
//! # the default model (data/README.md gives the provenance of every input)
//! cargo run --release --example train_emotion -- --corpora ../shared/corpora \
//!     --add data/train/kefu_emotion.tsv --add data/train/kefu_emotion2.tsv \
//!     --add data/train/kefu_emotion3.tsv --add-valence-weight 0 --out data/emotion_model.tsv
//! # tuning: hold out 1 row in 5 of every *train* split (by a hash of its text), train on the
//! # rest, score the model alone, and write the held-out rows for `eval_emotion --model`
//! cargo run --release --example train_emotion -- --corpora ../shared/corpora --holdout /tmp/ho \
//!     --out /tmp/ho/model.tsv
//! # 5-fold CV folds of the shop messages; the hand-labelled rows of --add train every fold
//! # (tools/emotion_cv/README.md scores them)
//! cargo run --release --example train_emotion -- --corpora ../shared/corpora \
//!     --add data/train/kefu_emotion.tsv --add data/train/kefu_emotion2.tsv \
//!     --add data/train/kefu_emotion3.tsv --add-valence-weight 0 \
//!     --folds 5 /tmp/ecv/folds --out /tmp/ecv/model.tsv
//! ```
//!
//! Two linear models over the engine's own features (jieba words and character n-grams of the
//! normalised text, see `kefu::train::IntentTrainer`) are fitted and written into one file:
//!
//! - **valence** (`negative`, `neutral`, `positive`): the `train.tsv` of the three review
//!   corpora (`online_shopping_10_cats`, `waimai_10k`, `chnsenticorp_htl_all`), the bundled shop
//!   messages (`data/train/cs_messages_train.tsv`: satisfaction is positive, neutral neutral, the
//!   rest negative) and the Weibo emotion sets `smp2020_ewect_usual` and
//!   `nlpcc2014_emotion_sentence` mapped the same way (surprise dropped);
//! - **emotion** (the 6 ids of TAXONOMY.md): the shop messages, plus the four Weibo emotion
//!   sets mapped with the corpora README's table at a lower weight (`--ext-weight`).
//!
//! Only `train.tsv` files are read: dev splits never enter training or tuning. The output holds
//! weights only, never a line of text. Options: `--cs FILE` (default
//! `data/train/cs_messages_train.tsv`), `--features SPEC`, `--epochs N`, `--l2 X`, `--lr X`,
//! `--prune X`, `--min-count N`, `--idf`, `--algorithm lr|svm|cnb|ensemble`, `--ext-weight X` (Weibo rows in the emotion model, default
//! 0.1), `--cs-weight X` (shop messages in the valence model, default 3), `--weibo-valence X`
//! (Weibo rows in the valence model, default 0.3), `--emotion-l2 X`, `--emotion-prune X`,
//! `--holdout-fold I` (with `--holdout`: hold out the fifth whose text hash is I mod 5,
//! default 0, for cross-validation over all five), `--max-features N` (keep the N features with the largest weights, default 120000: the file
//! is embedded in the crate), `--valence-features N --emotion-features M` (instead: the union of
//! the valence model's N and the emotion model's M features with the largest weights, each
//! ranked over its own classes only, so one model's weights cannot evict the other's features;
//! a feature kept by one model only has weight 0 for the other's classes), `--folds K DIR` (also write K cross-validation folds of the shop
//! messages to DIR: `foldI.tsv` held out, `foldI_model.tsv` trained without it, for
//! `eval_emotion --model`).
//! `--add FILE` (repeatable): extra emotion-labelled shop messages, one `emotion<TAB>text` per
//! line (a header line `emotion<TAB>text` is optional, lines starting with `#` and blank lines
//! are skipped; a bad label or a missing column is an error naming the file and line). They are
//! trained like the rows of `--cs`: weight 1 in the emotion model, and in the valence model
//! mapped the same way (satisfaction positive, neutral neutral, the rest negative) at
//! `--cs-weight`. With `--folds` they go into the training rows of every fold and never into a
//! held-out `foldI.tsv` (the folds stay the `--cs` rows only, comparable with runs without
//! `--add`); with `--holdout` they are all trained on, none held out. `--add-valence-weight X`
//! sets their weight in the valence model instead (0: emotion model only; the default model
//! uses 0, because these short shop messages cost review-valence accuracy on the hold-out,
//! data/README.md).
//! `--nb ALPHA BETA` / `--emotion-nb ALPHA BETA` (naive-Bayes-weighted features for the valence /
//! emotion model, `kefu::train::IntentTrainer::nb_scale`; default `--nb 1 0.5`, `--nb 1 0` is
//! off; emotion: off), `--valence-lr X` (default 0.1) and `--valence-epochs N` (the valence
//! model's own learning rate and epochs), `--review-weights X,Y,Z` (row weights of the three
//! review corpora, default 1), `--calibration-folds N` (0: no temperature fit, for fast screening of the
//! model-alone hold-out figures, which do not depend on it).
//!
//! The last line is `valence_rows=… emotion_rows=… features=… bytes=…`, preceded with
//! `--holdout` by the model-alone figures on the held-out rows.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Instant;

use kefu::Emotion;
use kefu::train::{Algorithm, IntentModel, IntentTrainer};

const USAGE: &str = "usage: train_emotion --corpora DIR [--out FILE] [--holdout DIR] [--cs FILE] [--features SPEC] [--epochs N] [--l2 X] [--lr X] [--prune X] [--min-count N] [--idf] [--algorithm lr|svm|cnb|ensemble] [--ext-weight X] [--cs-weight X] [--weibo-valence X] [--emotion-l2 X] [--emotion-prune X] [--max-features N] [--valence-features N --emotion-features M] [--folds K DIR] [--holdout-fold I] [--nb A B] [--emotion-nb A B] [--review-weights X,Y,Z] [--valence-epochs N] [--valence-lr X] [--calibration-folds N] [--add FILE]... [--add-valence-weight X]";

const REVIEWS: [&str; 3] = ["online_shopping_10_cats", "waimai_10k", "chnsenticorp_htl_all"];
const WEIBO: [&str; 4] = [
    "smp2020_ewect_usual",
    "clue_emotion2020",
    "nlpcc2014_emotion_sentence",
    "covid19_weibo_emotion",
];
/// Weibo sets whose `neutral`/`none` rows say what a text without emotion looks like.
const WEIBO_VALENCE: [&str; 2] = ["smp2020_ewect_usual", "nlpcc2014_emotion_sentence"];

struct Args {
    corpora: String,
    cs: String,
    out: Option<String>,
    holdout: Option<String>,
    ext_weight: f32,
    cs_weight: f32,
    weibo_valence: f32,
    emotion_l2: Option<f32>,
    emotion_prune: Option<f32>,
    max_features: usize,
    /// Separate caps (`--valence-features`, `--emotion-features`): both must be given.
    caps: (Option<usize>, Option<usize>),
    folds: Option<(usize, String)>,
    nb: Option<(f32, f32)>,
    emotion_nb: Option<(f32, f32)>,
    review_weights: [f32; 3],
    holdout_fold: u64,
    valence_epochs: Option<u32>,
    valence_lr: Option<f32>,
    add: Vec<String>,
    add_valence: Option<f32>,
}

fn parse_args(t: &mut IntentTrainer) -> Result<Args, String> {
    let mut a = Args {
        corpora: String::new(),
        cs: "data/train/cs_messages_train.tsv".into(),
        out: None,
        holdout: None,
        ext_weight: 0.1,
        cs_weight: 3.0,
        weibo_valence: 0.3,
        emotion_l2: None,
        emotion_prune: None,
        max_features: 120_000,
        caps: (None, None),
        folds: None,
        // Chosen by 5-fold cross-validation over the review train splits (data/README.md).
        nb: Some((1.0, 0.5)),
        emotion_nb: None,
        review_weights: [1.0; 3],
        holdout_fold: 0,
        valence_epochs: None,
        valence_lr: Some(0.1),
        add: Vec::new(),
        add_valence: None,
    };
    // Defaults chosen on the held-out fifth of the train splits (data/README.md).
    t.features("w c1 c2 sqrt").map_err(|e| e.to_string())?;
    t.l2(1e-6).prune(0.2).min_count(3).epochs(10);
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |s: String| s.parse::<f32>().map_err(|_| format!("`{s}` is not a number"));
        match flag.as_str() {
            "--corpora" => a.corpora = val()?,
            "--cs" => a.cs = val()?,
            "--add" => a.add.push(val()?),
            "--add-valence-weight" => a.add_valence = Some(num(val()?)?),
            "--out" => a.out = Some(val()?),
            "--holdout" => a.holdout = Some(val()?),
            "--ext-weight" => a.ext_weight = num(val()?)?,
            "--cs-weight" => a.cs_weight = num(val()?)?,
            "--weibo-valence" => a.weibo_valence = num(val()?)?,
            "--emotion-l2" => a.emotion_l2 = Some(num(val()?)?),
            "--emotion-prune" => a.emotion_prune = Some(num(val()?)?),
            "--max-features" => a.max_features = num(val()?)? as usize,
            "--valence-features" => a.caps.0 = Some(num(val()?)? as usize),
            "--emotion-features" => a.caps.1 = Some(num(val()?)? as usize),
            "--folds" => {
                let k = num(val()?)? as usize;
                a.folds = Some((k, val()?));
            }
            "--nb" => a.nb = Some((num(val()?)?, num(val()?)?)),
            "--emotion-nb" => a.emotion_nb = Some((num(val()?)?, num(val()?)?)),
            "--review-weights" => {
                let v = val()?;
                let w: Vec<f32> =
                    v.split(',').map(|x| num(x.to_owned())).collect::<Result<_, _>>()?;
                a.review_weights = w.try_into().map_err(|_| format!("`{v}`: need 3 weights"))?;
            }
            "--valence-epochs" => a.valence_epochs = Some(num(val()?)? as u32),
            "--valence-lr" => a.valence_lr = Some(num(val()?)?),
            "--holdout-fold" => a.holdout_fold = (num(val()?)? as u64).min(4),
            "--calibration-folds" => {
                t.calibration_folds(num(val()?)? as u32);
            }
            "--features" => {
                t.features(&val()?).map_err(|e| e.to_string())?;
            }
            "--epochs" => {
                t.epochs(num(val()?)? as u32);
            }
            "--l2" => {
                t.l2(num(val()?)?);
            }
            "--lr" => {
                t.learning_rate(num(val()?)?);
            }
            "--prune" => {
                t.prune(num(val()?)?);
            }
            "--algorithm" => {
                t.algorithm(match val()?.as_str() {
                    "lr" => Algorithm::LogisticRegression,
                    "cnb" => Algorithm::ComplementNaiveBayes,
                    "ensemble" => Algorithm::Ensemble,
                    "svm" => Algorithm::LinearSvm,
                    x => {
                        return Err(format!(
                            "unknown algorithm `{x}`; use lr, svm, cnb or ensemble"
                        ));
                    }
                });
            }
            "--idf" => {
                t.idf(true);
            }
            "--min-count" => {
                t.min_count(num(val()?)? as u32);
            }
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    if a.caps.0.is_some() != a.caps.1.is_some() {
        return Err("--valence-features and --emotion-features go together".into());
    }
    if a.corpora.is_empty() {
        return Err("--corpora is required".into());
    }
    Ok(a)
}

/// `(label, text)` rows of a TSV with a header naming `text` and `emotion` or `label`.
fn read(path: &str, bad: &mut usize) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines().enumerate();
    let header: Vec<&str> = lines.next().map_or("", |l| l.1).split('\t').map(str::trim).collect();
    let col = |n: &str| header.iter().position(|h| *h == n);
    let (Some(li), Some(ti)) = (col("emotion").or_else(|| col("label")), col("text")) else {
        return Err(format!("{path}:1: need a `text` and an `emotion` or `label` column"));
    };
    let mut rows = Vec::new();
    for (i, line) in lines {
        let f: Vec<&str> = line.trim_end_matches('\r').split('\t').collect();
        match (f.get(li), f.get(ti)) {
            (Some(l), Some(t)) if !l.trim().is_empty() && !t.trim().is_empty() => {
                rows.push((l.trim().to_owned(), (*t).to_owned()))
            }
            _ if line.trim().is_empty() => {}
            _ => {
                eprintln!("{path}:{}: expected a label and a text", i + 1);
                *bad += 1;
            }
        }
    }
    Ok(rows)
}

/// `(emotion, text)` rows of an `--add` file: `emotion<TAB>text` per line, an optional header
/// `emotion<TAB>text`, `#` comments and blank lines skipped. Errors name the file and line.
fn read_added(path: &str) -> Result<Vec<(String, String)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("--add {path}: {e}"))?;
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((label, t)) = line.split_once('\t') else {
            return Err(format!("{path}:{}: expected `emotion<TAB>text`", i + 1));
        };
        let label = label.trim();
        if i == 0 && label == "emotion" && t.trim() == "text" {
            continue;
        }
        if Emotion::from_name(label).is_none() {
            let ids: Vec<&str> = Emotion::ALL.iter().map(|e| e.as_str()).collect();
            return Err(format!(
                "{path}:{}: unknown emotion `{label}`; use one of {}",
                i + 1,
                ids.join(", ")
            ));
        }
        if t.trim().is_empty() || t.contains('\t') {
            return Err(format!("{path}:{}: expected `emotion<TAB>text`", i + 1));
        }
        rows.push((label.to_owned(), t.to_owned()));
    }
    Ok(rows)
}

/// The corpora README's mapping of the Weibo labels to the 6 emotions (surprise: none).
fn weibo_emotion(label: &str) -> Option<&'static str> {
    Some(match label {
        "angry" | "anger" | "disgust" => "anger",
        "sad" | "sadness" => "disappointment",
        "fear" => "anxiety",
        "happy" | "happiness" | "like" | "optimism" | "gratitude" => "satisfaction",
        "neutral" | "none" => "neutral",
        _ => return None,
    })
}

fn valence_of(emotion: &str) -> &'static str {
    match emotion {
        "satisfaction" => "positive",
        "neutral" => "neutral",
        _ => "negative",
    }
}

/// Whether a row is in the held-out fifth number `fold` (FNV-1a of its text mod 5; depends on
/// the text only).
fn held_out(text: &str, fold: u64) -> bool {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in text.as_bytes() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h % 5 == fold
}

type Rows = Vec<(String, String, f32)>;

/// A parsed `intent_model v1` text: features line, labels, bias and rows, weights divided by
/// the temperature.
struct Parsed {
    features: String,
    labels: Vec<String>,
    bias: Vec<f32>,
    rows: Vec<(String, Vec<(usize, f32)>)>,
}

fn parse_model(tsv: &str) -> Result<Parsed, String> {
    let mut p = Parsed { features: String::new(), labels: vec![], bias: vec![], rows: vec![] };
    let mut t = 1.0f32;
    for line in tsv.lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()) {
        let mut cols = line.split('\t');
        let key = cols.next().unwrap_or("");
        match key {
            "@intents" => p.labels = cols.map(str::to_owned).collect(),
            "@features" => p.features = cols.collect::<Vec<_>>().join("\t"),
            "@temperature" => t = cols.next().and_then(|x| x.parse().ok()).unwrap_or(1.0),
            "@bias" => p.bias = cols.filter_map(|x| x.parse().ok()).collect(),
            k if k.starts_with('@') => return Err(format!("unknown directive {k}")),
            f => {
                let mut e = Vec::new();
                for c in cols {
                    let (n, w) = c.rsplit_once(':').ok_or_else(|| format!("bad entry {c}"))?;
                    let k = p.labels.iter().position(|l| l == n).ok_or("unknown label")?;
                    e.push((k, w.parse::<f32>().map_err(|_| format!("bad weight {w}"))?));
                }
                p.rows.push((f.to_owned(), e));
            }
        }
    }
    p.bias.iter_mut().for_each(|b| *b /= t);
    p.rows.iter_mut().for_each(|r| r.1.iter_mut().for_each(|e| e.1 /= t));
    Ok(p)
}

/// How many features `merge` keeps.
#[derive(Clone, Copy)]
enum Cap {
    /// The `N` features whose largest absolute weight over all classes is largest.
    Joint(usize),
    /// The union of the valence model's top `.0` and the emotion model's top `.1` features
    /// (each ranked by its largest absolute weight over that model's classes only), so that
    /// the emotion weights cannot change which valence features survive; a feature kept by
    /// one model only has weight 0 for the other model's classes.
    Separate(usize, usize),
}

/// Writes both models as one `emotion_model v1` text, keeping the features `cap` selects.
fn merge(valence: &Parsed, emotion: &Parsed, header: &str, cap: Cap) -> Result<String, String> {
    if valence.features != emotion.features {
        return Err("the two models use different features".into());
    }
    let mut classes: Vec<String> = Vec::new();
    classes.extend(valence.labels.iter().map(|l| format!("valence_{l}")));
    classes.extend(emotion.labels.iter().cloned());
    let k = classes.len();
    let mut rows: HashMap<&str, Vec<f32>> = HashMap::new();
    let off = valence.labels.len();
    for (p, off) in [(valence, 0), (emotion, off)] {
        for (f, e) in &p.rows {
            let row = rows.entry(f).or_insert_with(|| vec![0.0; k]);
            e.iter().for_each(|&(c, w)| row[c + off] = w);
        }
    }
    let mut rows: Vec<(&str, Vec<f32>)> = rows.into_iter().collect();
    let peak = |r: &[f32]| r.iter().fold(0.0f32, |m, w| m.max(w.abs()));
    match cap {
        Cap::Joint(n) => {
            rows.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)).then(a.0.cmp(b.0)));
            rows.truncate(n);
        }
        Cap::Separate(nv, ne) => {
            // Rank each model's features by its own classes, zero the classes of a model that
            // does not keep the feature, and drop features neither keeps.
            let mut keep = vec![[false; 2]; rows.len()];
            for (m, (lo, hi), n) in [(0, (0, off), nv), (1, (off, k), ne)] {
                let mut idx: Vec<usize> =
                    (0..rows.len()).filter(|&i| peak(&rows[i].1[lo..hi]) > 0.0).collect();
                idx.sort_by(|&a, &b| {
                    peak(&rows[b].1[lo..hi])
                        .total_cmp(&peak(&rows[a].1[lo..hi]))
                        .then(rows[a].0.cmp(rows[b].0))
                });
                idx.into_iter().take(n).for_each(|i| keep[i][m] = true);
            }
            for (row, kept) in rows.iter_mut().zip(&keep) {
                if !kept[0] {
                    row.1[..off].iter_mut().for_each(|w| *w = 0.0);
                }
                if !kept[1] {
                    row.1[off..].iter_mut().for_each(|w| *w = 0.0);
                }
            }
            let mut it = keep.iter();
            rows.retain(|_| it.next().is_some_and(|k| k[0] || k[1]));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(b.0));
    let num = |w: f32| {
        let s = format!("{w:.3}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        if s == "-0" || s.is_empty() { "0".to_owned() } else { s.to_owned() }
    };
    let mut out = String::new();
    out.push_str("#format emotion_model v1\n");
    out.push_str(header);
    let _ = writeln!(out, "@classes\t{}", classes.join("\t"));
    let _ = writeln!(out, "@features\t{}", valence.features);
    let bias: Vec<String> = valence.bias.iter().chain(&emotion.bias).map(|&b| num(b)).collect();
    let _ = writeln!(out, "@bias\t{}", bias.join("\t"));
    for (f, row) in rows {
        let ws: Vec<String> = row.iter().map(|&w| num(w)).collect();
        let _ = writeln!(out, "{f}\t{}", ws.join("\t"));
    }
    Ok(out)
}

fn fit(t: &IntentTrainer, rows: &Rows) -> Result<IntentModel, String> {
    let ex: Vec<(&str, &str, f32)> =
        rows.iter().map(|(l, x, w)| (l.as_str(), x.as_str(), *w)).collect();
    t.train_weighted(&ex).map_err(|e| e.to_string())
}

fn prob_of(m: &IntentModel, text: &str, label: &str, buf: &mut Vec<f32>) -> f32 {
    m.probabilities(text, buf);
    m.labels().iter().position(|l| l == label).map_or(0.0, |i| buf[i])
}

fn run() -> Result<bool, String> {
    let mut trainer = IntentTrainer::new();
    // The emotion model was chosen by cross-validation with logistic regression: pinned here so
    // that a change of the intent trainer's default does not silently change this artefact.
    trainer.algorithm(Algorithm::LogisticRegression);
    let a = parse_args(&mut trainer)?;
    let mut bad = 0usize;
    let dir = a.corpora.trim_end_matches('/');
    let hold = a.holdout.is_some();
    let keep = |t: &str| !hold || !held_out(t, a.holdout_fold);
    let cap = match a.caps {
        (Some(nv), Some(ne)) => Cap::Separate(nv, ne),
        _ => Cap::Joint(a.max_features),
    };

    // Held-out rows per source (only with --holdout), for the figures and eval_emotion.
    let mut held: Vec<(String, Vec<(String, String)>)> = Vec::new();
    let mut valence: Rows = Vec::new();
    let mut emotion: Rows = Vec::new();
    for (name, w) in REVIEWS.into_iter().zip(a.review_weights) {
        let rows = read(&format!("{dir}/{name}/train.tsv"), &mut bad)?;
        let (tr, ho): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| keep(&r.1));
        valence.extend(tr.into_iter().map(|(l, t)| (l, t, w)));
        held.push((name.to_owned(), ho));
    }
    let cs = read(&a.cs, &mut bad)?;
    let (tr, ho): (Vec<_>, Vec<_>) = cs.into_iter().partition(|r| keep(&r.1));
    for (l, t) in tr {
        valence.push((valence_of(&l).to_owned(), t.clone(), a.cs_weight));
        emotion.push((l, t, 1.0));
    }
    held.push(("cs_messages".into(), ho));
    // The first `n_cs` emotion rows are the shop messages that the CV folds are cut from; the
    // added rows follow them and train every fold.
    let n_cs = emotion.len();
    let mut n_added = 0usize;
    let add_valence = a.add_valence.unwrap_or(a.cs_weight);
    for path in &a.add {
        for (l, t) in read_added(path)? {
            if add_valence > 0.0 {
                valence.push((valence_of(&l).to_owned(), t.clone(), add_valence));
            }
            emotion.push((l, t, 1.0));
            n_added += 1;
        }
    }
    for name in WEIBO {
        let rows = read(&format!("{dir}/{name}/train.tsv"), &mut bad)?;
        let (tr, ho): (Vec<_>, Vec<_>) = rows.into_iter().partition(|r| keep(&r.1));
        for (l, t) in tr {
            let Some(e) = weibo_emotion(&l) else { continue };
            if WEIBO_VALENCE.contains(&name) {
                valence.push((valence_of(e).to_owned(), t.clone(), a.weibo_valence));
            }
            if e != "neutral" {
                emotion.push((e.to_owned(), t, a.ext_weight));
            }
        }
        if name == "smp2020_ewect_usual" {
            held.push((name.to_owned(), ho));
        }
    }

    let started = Instant::now();
    let mut vt = trainer.clone();
    if let Some((alpha, beta)) = a.nb {
        vt.nb_scale(alpha, beta);
    }
    if let Some(n) = a.valence_epochs {
        vt.epochs(n);
    }
    if let Some(x) = a.valence_lr {
        vt.learning_rate(x);
    }
    let vm = fit(&vt, &valence)?;
    eprintln!("valence model: {} rows in {:.1} s", valence.len(), started.elapsed().as_secs_f64());
    let mut et = trainer.clone();
    if let Some(x) = a.emotion_l2 {
        et.l2(x);
    }
    if let Some(x) = a.emotion_prune {
        et.prune(x);
    }
    if let Some((alpha, beta)) = a.emotion_nb {
        et.nb_scale(alpha, beta);
    }
    let vp = parse_model(&vm.to_tsv())?;
    if let Some((k, fdir)) = &a.folds {
        // Cross-validation of the fusion on the shop messages: fold i holds the i-th row of
        // each emotion mod K; its model learns the emotion classes from the other folds (and
        // the Weibo rows). The valence classes do not take part in the label.
        let k = (*k).max(2);
        std::fs::create_dir_all(fdir).map_err(|e| format!("{fdir}: {e}"))?;
        let cs_rows: Vec<(usize, &(String, String, f32))> = {
            let mut seen: HashMap<&str, usize> = HashMap::new();
            emotion[..n_cs]
                .iter()
                .map(|r| {
                    let c = seen.entry(r.0.as_str()).or_default();
                    *c += 1;
                    (*c % k, r)
                })
                .collect()
        };
        for f in 0..k {
            let rows: Rows = cs_rows
                .iter()
                .filter(|(x, _)| *x != f)
                .map(|(_, r)| (*r).clone())
                .chain(emotion[n_cs..].iter().cloned())
                .collect();
            let m = fit(&et, &rows)?;
            let tsv = merge(&vp, &parse_model(&m.to_tsv())?, "", cap)?;
            let path = format!("{fdir}/fold{f}_model.tsv");
            std::fs::write(&path, tsv).map_err(|e| format!("{path}: {e}"))?;
            let mut held = String::from("emotion\ttext\n");
            for (_, r) in cs_rows.iter().filter(|(x, _)| *x == f) {
                let _ = writeln!(held, "{}\t{}", r.0, r.1);
            }
            let path = format!("{fdir}/fold{f}.tsv");
            std::fs::write(&path, held).map_err(|e| format!("{path}: {e}"))?;
            eprintln!("wrote fold {f} of {k}");
        }
    }
    let started = Instant::now();
    let em = fit(&et, &emotion)?;
    eprintln!("emotion model: {} rows in {:.1} s", emotion.len(), started.elapsed().as_secs_f64());

    let ep = parse_model(&em.to_tsv())?;
    let reviews = if a.review_weights.iter().all(|&w| w == a.review_weights[0]) {
        a.review_weights[0].to_string()
    } else {
        a.review_weights.map(|w| w.to_string()).join("/")
    };
    let nb =
        |s: Option<(f32, f32)>| s.map_or("off".to_owned(), |(x, y)| format!("alpha {x} beta {y}"));
    let header = format!(
        "# written by examples/train_emotion.rs from the train splits only (weights, no text)\n\
         # valence: {} rows (reviews {reviews}, shop messages {}, Weibo {}); emotion: {} rows (Weibo {})\n\
         # features: {}; trainer: {}\n",
        valence.len(),
        a.cs_weight,
        a.weibo_valence,
        emotion.len(),
        a.ext_weight,
        vp.features.replace('\t', " "),
        vm.to_tsv().lines().nth(1).unwrap_or("").trim_start_matches("# written by "),
    );
    let header = if n_added > 0 {
        let names: Vec<&str> = a.add.iter().map(|p| p.rsplit('/').next().unwrap_or(p)).collect();
        format!(
            "{header}# added shop messages (--add): {n_added} rows from {}; emotion weight 1, valence weight {}\n",
            names.join(", "),
            add_valence
        )
    } else {
        header
    };
    let header = if a.nb.is_some() || a.emotion_nb.is_some() {
        format!(
            "{header}# NB-weighted features (kefu::train::IntentTrainer::nb_scale): valence {}, emotion {}\n",
            nb(a.nb),
            nb(a.emotion_nb)
        )
    } else {
        header
    };
    let header = match cap {
        Cap::Joint(_) => header,
        Cap::Separate(nv, ne) => format!(
            "{header}# features kept: the union of the valence model's top {nv} and the emotion model's top {ne}\n"
        ),
    };
    let tsv = merge(&vp, &ep, &header, cap)?;
    let features = tsv.lines().filter(|l| !l.starts_with(['#', '@'])).count();
    // The hold-out directory first: `--out` may name a file inside it.
    if let Some(hdir) = &a.holdout {
        std::fs::create_dir_all(hdir).map_err(|e| format!("{hdir}: {e}"))?;
    }
    if let Some(out) = &a.out {
        std::fs::write(out, &tsv).map_err(|e| format!("{out}: {e}"))?;
        eprintln!("wrote {out}");
    }

    if let Some(hdir) = &a.holdout {
        let mut buf = Vec::new();
        for (name, rows) in &held {
            let path = format!("{hdir}/{name}.tsv");
            let mut f = String::from(if REVIEWS.contains(&name.as_str()) {
                "label\ttext\n"
            } else {
                "emotion\ttext\n"
            });
            if REVIEWS.contains(&name.as_str()) {
                let mut ok = 0usize;
                for (l, t) in rows {
                    let d = prob_of(&vm, t, "positive", &mut buf)
                        - prob_of(&vm, t, "negative", &mut buf);
                    ok += usize::from((d > 0.0) == (l == "positive"));
                    let _ = writeln!(f, "{l}\t{t}");
                }
                println!(
                    "holdout {name}: valence model alone accuracy={:.4} n={}",
                    ok as f64 / rows.len().max(1) as f64,
                    rows.len()
                );
            } else {
                let mut conf: HashMap<(String, String), usize> = HashMap::new();
                for (l, t) in rows {
                    let gold =
                        if name == "cs_messages" { Some(l.as_str()) } else { weibo_emotion(l) };
                    let Some(gold) = gold else { continue };
                    let pred = em.predict(t).0.to_owned();
                    *conf.entry((gold.to_owned(), pred)).or_default() += 1;
                    let _ = writeln!(f, "{gold}\t{t}");
                }
                let labels =
                    ["anger", "anxiety", "impatience", "disappointment", "satisfaction", "neutral"];
                let mut f1s = Vec::new();
                for l in labels {
                    let tp = *conf.get(&(l.to_owned(), l.to_owned())).unwrap_or(&0) as f64;
                    let pred: usize = conf.iter().filter(|(k, _)| k.1 == l).map(|x| x.1).sum();
                    let gold: usize = conf.iter().filter(|(k, _)| k.0 == l).map(|x| x.1).sum();
                    let p = if pred > 0 { tp / pred as f64 } else { 0.0 };
                    let r = if gold > 0 { tp / gold as f64 } else { 0.0 };
                    if gold > 0 {
                        f1s.push(if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 });
                    }
                    if l == "anger" {
                        println!("holdout {name}: emotion model alone anger p={p:.4} r={r:.4}");
                    }
                }
                println!(
                    "holdout {name}: emotion model alone macro_f1={:.4}",
                    f1s.iter().sum::<f64>() / f1s.len().max(1) as f64
                );
            }
            std::fs::write(&path, f).map_err(|e| format!("{path}: {e}"))?;
        }
    }
    println!(
        "valence_rows={} emotion_rows={} features={features} bytes={}",
        valence.len(),
        emotion.len(),
        tsv.len()
    );
    Ok(bad == 0)
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
