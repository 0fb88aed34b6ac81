//! Trains a fresh intent classifier on one labeled TSV and evaluates it (DESIGN.md §8).
//!
//! ```text
//! # any label set, e.g. JDDC's 123 Chinese intent names: train on A, score on B
//! cargo run --release --example train_intents -- --train A.tsv --eval B.tsv [--out DIR_or_FILE]
//! # no --eval: K-fold cross-validation on --train (default K = 5)
//! cargo run --release --example train_intents -- --train A.tsv --cv 5
//! # the default model of data/intent_model.tsv (see data/README.md)
//! cargo run --release --example train_intents -- --train data/train/cs_messages_train.tsv \
//!     --add data/train/kefu_extra.tsv --add data/train/kefu_extra2.tsv --add data/train/kefu_extra3.tsv \
//!     --add data/train/kefu_extra4.tsv --add data/train/kefu_extra5.tsv \
//!     --add data/train/kefu_extra6.tsv --add data/train/kefu_extra9.tsv \
//!     --add data/train/kefu_extra10.tsv --add data/train/kefu_extra11.tsv --rules data/rules.tsv \
//!     --extra data/train/jddc_train.tsv --extra-map data/train/jddc_taxonomy_map.tsv \
//!     --out data/intent_model.tsv
//! ```
//!
//! Input files have a header naming an `intent` or `label` column and a `text` column. Options:
//!
//! - `--map MAP.tsv`: rename the labels of `--train` and `--eval` (`from<TAB>to`; empty `to`
//!   drops the row); `--extra FILE` (+ `--extra-map MAP.tsv`, `--extra-weight W`, default 0.1)
//!   adds training rows that are never evaluated on; `--add FILE` (repeatable) adds rows of
//!   weight 1 (labels renamed by `--map` where it has them, kept otherwise) that are never
//!   evaluated on either; `--train-weight W`
//!   weighs the `--train` rows (default 1; e.g. cross-validate on JDDC at the weight the default
//!   model gives it, with the cs rows as `--add`);
//! - `--rules RULES.tsv` (repeatable): rules whose evidence the model learns to weigh jointly
//!   with the n-grams (`kefu::train::IntentTrainer::rules`); the default model uses
//!   `data/rules.tsv`;
//! - `--algorithm lr|cnb|ensemble|svm`, `--epochs N`, `--l2 X`, `--lr X`, `--alpha X`, `--c X` (SVM cost), `--members lr,svm,cnb` (ensemble members), `--seed N`,
//!   `--prune X`, `--min-count N`, `--idf`, `--no-average`, `--calibration-folds K`, `--features "w wb c1 c2 c3 bounds sqrt"`, `--nb ALPHA,BETA` (NB-weighted features), `--hidden N` (a hidden layer of N ReLU units mixed with the linear model), `--hidden-mix X`, `--hidden-epochs N`, `--hidden-nets N`: see `kefu::train::IntentTrainer`;
//! - `--min-confidence X`: with `--engine`, override the policy's `intent_min_confidence`;
//! - `--errors FILE`: write the wrong predictions to FILE
//!   (`gold<TAB>predicted<TAB>confidence<TAB>text`), for error analysis: the out-of-fold errors
//!   of `--train` with cross-validation, the errors on `--eval` otherwise (never read a dev
//!   split's errors: that would tune on it);
//! - `--probs FILE`: with cross-validation, write every `--train` row's out-of-fold
//!   probabilities (`fold<TAB>gold<TAB>label:p<TAB>…`), to try fusing other components with
//!   the model outside the crate (data/README.md, JDDC kNN and MLP rows);
//! - `--sweep`: with cross-validation, also score every fold through engines with a grid of
//!   `intent_min_confidence` × `intent_min_margin` values and print accuracy, macro-F1 and ECE
//!   of each (to choose the thresholds of `policy.tsv` by CV);
//! - `--engine`: score through a `kefu::Engine` loaded with the model (default rules and
//!   thresholds included; labels must be intents of the default catalogue); `--no-rules` does the
//!   same without the default rules (reads the other defaults from `data/`).
//!
//! Bad lines are reported on stderr with their line number and skipped; the exit code is 1 if
//! any line was bad. The last line is `accuracy=… macro_f1=… n=…`.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::Instant;

use kefu::train::{Algorithm, Evaluation, IntentModel, IntentTrainer};

#[path = "common/labeled.rs"]
mod labeled;
use kefu::{Engine, Event};
use labeled::{ece, read_map, read_rows, write_errors};

const USAGE: &str = "usage: train_intents --train A.tsv [--eval B.tsv | --cv K] [--out DIR_or_FILE] [--map MAP.tsv] [--rules RULES.tsv] [--add FILE] [--extra FILE --extra-map MAP.tsv --extra-weight W] [--algorithm lr|cnb|ensemble|svm] [--epochs N] [--l2 X] [--lr X] [--alpha X] [--seed N] [--prune X] [--features SPEC] [--nb ALPHA,BETA] [--hidden N] [--hidden-mix X] [--hidden-epochs N] [--hidden-nets N] [--engine | --no-rules] [--train-weight W] [--errors FILE] [--probs FILE] [--sweep]";

#[derive(Default)]
struct Args {
    train: Option<String>,
    eval: Option<String>,
    out: Option<String>,
    map: Option<String>,
    extra: Option<String>,
    extra_map: Option<String>,
    extra_weight: f32,
    train_weight: f32,
    add: Vec<String>,
    cv: usize,
    engine: bool,
    no_rules: bool,
    policy: Option<String>,
    errors: Option<String>,
    probs: Option<String>,
    sweep: bool,
}

fn parse_args(t: &mut IntentTrainer) -> Result<Args, String> {
    let mut a = Args { extra_weight: 0.1, train_weight: 1.0, cv: 5, ..Args::default() };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut val = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let num = |s: String| s.parse::<f32>().map_err(|_| format!("`{s}` is not a number"));
        match flag.as_str() {
            "--train" => a.train = Some(val()?),
            "--eval" => a.eval = Some(val()?),
            "--out" => a.out = Some(val()?),
            "--map" => a.map = Some(val()?),
            "--extra" => a.extra = Some(val()?),
            "--extra-map" => a.extra_map = Some(val()?),
            "--extra-weight" => a.extra_weight = num(val()?)?,
            "--train-weight" => a.train_weight = num(val()?)?,
            "--add" => a.add.push(val()?),
            "--rules" => {
                let f = val()?;
                let text = std::fs::read_to_string(&f).map_err(|e| format!("{f}: {e}"))?;
                t.rules(&f, &text);
            }
            "--cv" => a.cv = num(val()?)? as usize,
            "--engine" => a.engine = true,
            "--errors" => a.errors = Some(val()?),
            "--probs" => a.probs = Some(val()?),
            "--sweep" => {
                a.engine = true;
                a.sweep = true;
            }
            "--min-count" => {
                t.min_count(num(val()?)? as u32);
            }
            "--idf" => {
                t.idf(true);
            }
            "--no-average" => {
                t.average(false);
            }
            "--min-confidence" => {
                a.engine = true;
                a.policy =
                    Some(format!("#format policy v1\nintent_min_confidence\t{}\n", num(val()?)?));
            }
            "--no-rules" => {
                a.engine = true;
                a.no_rules = true;
            }
            "--algorithm" => {
                t.algorithm(match val()?.as_str() {
                    "lr" => Algorithm::LogisticRegression,
                    "cnb" => Algorithm::ComplementNaiveBayes,
                    "ensemble" => Algorithm::Ensemble,
                    "svm" => Algorithm::LinearSvm,
                    x => return Err(format!("unknown algorithm `{x}`")),
                });
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
            "--members" => {
                let mut m = Vec::new();
                for x in val()?.split(',') {
                    m.push(match x {
                        "lr" => Algorithm::LogisticRegression,
                        "cnb" => Algorithm::ComplementNaiveBayes,
                        "svm" => Algorithm::LinearSvm,
                        x => return Err(format!("unknown ensemble member `{x}`")),
                    });
                }
                t.ensemble(&m);
            }
            "--c" => {
                t.svm_c(num(val()?)?);
            }
            "--alpha" => {
                t.alpha(num(val()?)?);
            }
            "--seed" => {
                t.seed(num(val()?)? as u64);
            }
            "--prune" => {
                t.prune(num(val()?)?);
            }
            "--calibration-folds" => {
                t.calibration_folds(num(val()?)? as u32);
            }
            "--features" => {
                t.features(&val()?).map_err(|e| e.to_string())?;
            }
            "--nb" => {
                let v = val()?;
                let (a, b) =
                    v.split_once(',').ok_or_else(|| format!("--nb `{v}`: expected ALPHA,BETA"))?;
                t.nb_scale(num(a.into())?, num(b.into())?);
            }
            "--hidden" => {
                t.hidden(num(val()?)? as u32);
            }
            "--hidden-mix" => {
                t.hidden_mix(num(val()?)?);
            }
            "--hidden-nets" => {
                t.hidden_nets(num(val()?)? as u32);
            }
            "--hidden-epochs" => {
                t.hidden_epochs(num(val()?)? as u32);
            }
            _ => return Err(format!("unknown argument `{flag}`")),
        }
    }
    if a.train.is_none() {
        return Err("--train is required".into());
    }
    Ok(a)
}

/// An engine on the default data with `model`, with or without the default rules.
fn engine(model: &IntentModel, no_rules: bool, policy: Option<&str>) -> Result<Engine, String> {
    let mut b = Engine::builder();
    if no_rules {
        b.defaults(false);
        for (file, set) in [
            ("data/user_dict.txt", 0),
            ("data/intents.tsv", 1),
            ("data/emotion.tsv", 2),
            ("data/risk_model.tsv", 3),
            ("data/policy.tsv", 4),
            ("data/size_chart.tsv", 5),
        ] {
            let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
            match set {
                0 => b.user_dict(file, &text),
                1 => b.intents(file, &text),
                2 => b.emotion_lexicon(file, &text),
                3 => b.risk_weights(file, &text),
                4 => b.policy(file, &text),
                _ => b.size_chart(file, &text),
            };
        }
    }
    if let Some(p) = policy {
        b.policy("--min-confidence", p);
    }
    b.intent_model("trained", &model.to_tsv()).build().map_err(|e| e.to_string())
}

/// Predicted labels of `rows` with their confidence, by the model alone or through an engine.
fn predict(
    model: &IntentModel,
    rows: &[(String, String)],
    a: &Args,
) -> Result<Vec<(String, f32)>, String> {
    if !a.engine {
        return Ok(rows
            .iter()
            .map(|(_, t)| {
                let (l, p) = model.predict(t);
                (l.to_owned(), p)
            })
            .collect());
    }
    let e = engine(model, a.no_rules, a.policy.as_deref())?;
    Ok(rows.iter().map(|(_, t)| classify(&e, t)).collect())
}

/// The intent and confidence `e` gives `text` as a buyer's first message.
fn classify(e: &Engine, text: &str) -> (String, f32) {
    let mut s = e.session();
    s.on_event(&Event::buyer_says(0, text))
        .intent()
        .map_or(("other".into(), 1.0), |i| (i.id.to_string(), i.confidence))
}

/// `(gold, predicted, confidence, text)` of each row, for [`write_errors`].
fn error_rows<'a>(
    rows: &'a [(String, String)],
    pred: &'a [(String, f32)],
) -> impl Iterator<Item = (&'a str, &'a str, f32, &'a str)> {
    rows.iter().zip(pred).map(|((g, t), (p, c))| (g.as_str(), p.as_str(), *c, t.as_str()))
}

/// The threshold grid of `--sweep`.
const SWEEP_CONFIDENCE: [f32; 7] = [0.0, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5];
const SWEEP_MARGIN: [f32; 3] = [0.0, 0.05, 0.1];

fn run() -> Result<bool, String> {
    let mut trainer = IntentTrainer::new();
    let a = parse_args(&mut trainer)?;
    let mut bad = 0usize;
    let map = a.map.as_deref().map(|m| read_map(m, &mut bad)).transpose()?;
    let train = read_rows(a.train.as_deref().unwrap_or_default(), map.as_ref(), &mut bad)?;
    let extra = match &a.extra {
        Some(p) => {
            let m = a.extra_map.as_deref().map(|m| read_map(m, &mut bad)).transpose()?;
            read_rows(p, m.as_ref(), &mut bad)?
        }
        None => Vec::new(),
    };
    let mut added = Vec::new();
    for p in &a.add {
        // `--map` renames the labels it knows and keeps the others (the default intents of
        // cs rows added to a JDDC run).
        for (l, t) in read_rows(p, None, &mut bad)? {
            match map.as_ref().and_then(|m| m.get(&l)) {
                Some(to) if to.is_empty() => {}
                Some(to) => added.push((to.clone(), t)),
                None => added.push((l, t)),
            }
        }
    }
    let examples = |rows: &[&(String, String)]| -> Vec<(String, String, f32)> {
        rows.iter()
            .map(|(l, t)| (l.clone(), t.clone(), a.train_weight))
            .chain(added.iter().map(|(l, t)| (l.clone(), t.clone(), 1.0)))
            .chain(extra.iter().map(|(l, t)| (l.clone(), t.clone(), a.extra_weight)))
            .collect()
    };
    let fit = |rows: &[&(String, String)]| -> Result<IntentModel, String> {
        let ex = examples(rows);
        let ex: Vec<(&str, &str, f32)> =
            ex.iter().map(|(l, t, w)| (l.as_str(), t.as_str(), *w)).collect();
        trainer.train_weighted(&ex).map_err(|e| e.to_string())
    };

    let started = Instant::now();
    let all: Vec<&(String, String)> = train.iter().collect();
    let model = fit(&all)?;
    eprintln!(
        "trained on {} rows (+{} added, +{} extra) with {} labels in {:.2} s",
        train.len(),
        added.len(),
        extra.len(),
        model.labels().len(),
        started.elapsed().as_secs_f64()
    );
    if let Some(out) = &a.out {
        let path = if std::path::Path::new(out).is_dir() {
            format!("{}/intent_model.tsv", out.trim_end_matches('/'))
        } else {
            out.clone()
        };
        std::fs::write(&path, model.to_tsv()).map_err(|e| format!("{path}: {e}"))?;
        eprintln!("wrote {path} ({} bytes)", model.to_tsv().len());
    }

    let (gold, pred): (Vec<String>, Vec<(String, f32)>) = match &a.eval {
        Some(p) => {
            let rows = read_rows(p, map.as_ref(), &mut bad)?;
            let started = Instant::now();
            let pred = predict(&model, &rows, &a)?;
            let s = started.elapsed().as_secs_f64();
            eprintln!(
                "scored {} rows in {:.1} ms ({:.1} µs a row, normalisation and segmentation included)",
                rows.len(),
                s * 1e3,
                s * 1e6 / rows.len().max(1) as f64
            );
            if let Some(path) = &a.errors {
                write_errors(path, error_rows(&rows, &pred))?;
            }
            (rows.into_iter().map(|r| r.0).collect(), pred)
        }
        None => {
            // Stratified folds: the i-th row of each label goes to fold i mod K.
            let k = a.cv.max(2);
            let mut seen: HashMap<&str, usize> = HashMap::new();
            let fold: Vec<usize> = train
                .iter()
                .map(|(l, _)| {
                    let c = seen.entry(l.as_str()).or_default();
                    *c += 1;
                    *c % k
                })
                .collect();
            let mut pred = vec![(String::new(), 0.0); train.len()];
            let grid: Vec<(f32, f32)> = if a.sweep {
                SWEEP_CONFIDENCE
                    .iter()
                    .flat_map(|&c| SWEEP_MARGIN.iter().map(move |&m| (c, m)))
                    .collect()
            } else {
                Vec::new()
            };
            let mut swept = vec![vec![(String::new(), 0.0); train.len()]; grid.len()];
            let mut oof: Vec<Vec<(String, f32)>> = vec![Vec::new(); train.len()];
            for f in 0..k {
                let tr: Vec<&(String, String)> =
                    train.iter().zip(&fold).filter(|(_, x)| **x != f).map(|(r, _)| r).collect();
                let test: Vec<usize> = (0..train.len()).filter(|&i| fold[i] == f).collect();
                let m = fit(&tr)?;
                let rows: Vec<(String, String)> = test.iter().map(|&i| train[i].clone()).collect();
                for (i, p) in test.iter().zip(predict(&m, &rows, &a)?) {
                    pred[*i] = p;
                }
                if a.probs.is_some() {
                    let mut out = Vec::new();
                    for &i in &test {
                        m.probabilities(&train[i].1, &mut out);
                        oof[i] = m.labels().iter().cloned().zip(out.iter().copied()).collect();
                    }
                }
                for (g, &(c, mm)) in grid.iter().enumerate() {
                    let policy = format!(
                        "#format policy v1\nintent_min_confidence\t{c}\nintent_min_margin\t{mm}\n"
                    );
                    let e = engine(&m, a.no_rules, Some(&policy))?;
                    for &i in &test {
                        swept[g][i] = classify(&e, &train[i].1);
                    }
                }
            }
            eprintln!("{k}-fold cross-validation on {}", a.train.as_deref().unwrap_or_default());
            for (&(c, mm), p) in grid.iter().zip(&swept) {
                let ev = Evaluation::new(
                    train.iter().map(|r| r.0.as_str()).zip(p.iter().map(|x| x.0.as_str())),
                );
                let calib: Vec<(f32, bool)> =
                    train.iter().zip(p).map(|(g, x)| (x.1, g.0 == x.0)).collect();
                println!(
                    "sweep min_confidence={c:.2} min_margin={mm:.2} accuracy={:.4} macro_f1={:.4} ece={:.4}",
                    ev.accuracy,
                    ev.macro_f1,
                    ece(&calib)
                );
            }
            if let Some(path) = &a.probs {
                // Out-of-fold probabilities, one row per --train row: fold, gold, label:p ...
                let mut out = String::new();
                for (i, ((g, _), ps)) in train.iter().zip(&oof).enumerate() {
                    out.push_str(&format!("{}\t{g}", fold[i]));
                    for (l, p) in ps {
                        out.push_str(&format!("\t{l}:{p:.6}"));
                    }
                    out.push('\n');
                }
                std::fs::write(path, out).map_err(|e| format!("{path}: {e}"))?;
            }
            if let Some(path) = &a.errors {
                write_errors(path, error_rows(&train, &pred))?;
            }
            (train.iter().map(|r| r.0.clone()).collect(), pred)
        }
    };
    let ev =
        Evaluation::new(gold.iter().map(String::as_str).zip(pred.iter().map(|p| p.0.as_str())));
    let calib: Vec<(f32, bool)> = gold.iter().zip(&pred).map(|(g, p)| (p.1, *g == p.0)).collect();
    let s = ev.to_string();
    let cut = s.rfind('\n').map_or(0, |i| i + 1);
    print!("{}", &s[..cut]);
    println!("calibration (10 equal-width bins): ece={:.4}", ece(&calib));
    println!("{}", &s[cut..]);
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
