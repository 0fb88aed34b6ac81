//! Fits refund-risk weights from raw event logs and evaluates them per buyer (DESIGN.md §8).
//!
//! ```text
//! cargo run --release --example train_risk -- --train A.jsonl --eval B.jsonl [--out FILE]
//!     [--l2 X] [--folds K] [--horizon-ms H] [--truth B_truth.tsv] [--ignore-chat]
//! ```
//!
//! Both logs are JSON lines in the wire format `replay` reads, one session per `buyer`. The
//! label of a buyer is a later `refund_requested`; the features are the engine's risk features
//! after the buyer's last event before any refund request, computed by running every event
//! through the default engine's pipeline (so the intent and emotion of the chat feed them).
//! Bad lines are reported on stderr with their line number and skipped; the exit code is 1 if
//! any line was bad.
//!
//! It prints the fitted weights, the figures on the training log (in-sample and by K-fold
//! cross-validation, K = `--folds`, default 5), then the decile table on the evaluation log;
//! `--truth` (the `simulate` example's ground truth for the evaluation log) adds the generating
//! model's own AUC and calibration on the same buyers; `--ignore-chat` leaves out every factor
//! that comes from what buyers say, to show what the text is worth. `--out` writes the weights
//! as a `risk_model v1` file that `Engine::builder().risk_weights(..)` loads. The last line is
//! `auc=… logloss=… n=…` on the evaluation log. `--horizon-ms H` freezes each buyer's features
//! H ms after their payment (for full shop histories in which buyers who keep their order go on
//! producing events long after the refunders stopped; see `RiskData::read_with_horizon`).

use std::collections::HashMap;
use std::io::BufReader;
use std::process::ExitCode;
use std::time::Instant;

use kefu::train::{RiskData, RiskEvaluation, RiskExample, RiskTrainer, RiskWeights};
use kefu::{Engine, Factor};

/// Factors read from what buyers say (intent and emotion of their messages).
const CHAT: [Factor; 8] = [
    Factor::EffectDoubt,
    Factor::SizeUncertain,
    Factor::SizeAdviceGiven,
    Factor::NegativeEmotion,
    Factor::PositiveEmotion,
    Factor::UrgedShipping,
    Factor::CancelRefundIntent,
    Factor::QualityComplaint,
];

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("train_risk: {e}");
            ExitCode::FAILURE
        }
    }
}

struct Args {
    train: String,
    eval: String,
    out: Option<String>,
    truth: Option<String>,
    l2: f64,
    folds: usize,
    horizon_ms: Option<u64>,
    ignore_chat: bool,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        train: String::new(),
        eval: String::new(),
        out: None,
        truth: None,
        l2: 1.0,
        folds: 5,
        horizon_ms: None,
        ignore_chat: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{k} needs a value"));
        match k.as_str() {
            "--train" => a.train = value()?,
            "--eval" => a.eval = value()?,
            "--out" => a.out = Some(value()?),
            "--truth" => a.truth = Some(value()?),
            "--l2" => a.l2 = value()?.parse().map_err(|e| format!("--l2: {e}"))?,
            "--folds" => a.folds = value()?.parse().map_err(|e| format!("--folds: {e}"))?,
            "--horizon-ms" => {
                a.horizon_ms = Some(value()?.parse().map_err(|e| format!("--horizon-ms: {e}"))?)
            }
            "--ignore-chat" => a.ignore_chat = true,
            _ => return Err(format!("unknown argument `{k}`; see examples/train_risk.rs")),
        }
    }
    if a.train.is_empty() || a.eval.is_empty() {
        return Err("usage: train_risk --train A.jsonl --eval B.jsonl [--out FILE]".into());
    }
    Ok(a)
}

fn read(engine: &Engine, path: &str, a: &Args) -> Result<(RiskData, bool), String> {
    let f = std::fs::File::open(path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let start = Instant::now();
    let mut data = RiskData::read_with_horizon(engine, BufReader::new(f), a.horizon_ms);
    for e in &data.errors {
        eprintln!("{path}: {e}");
    }
    if a.ignore_chat {
        for ex in &mut data.examples {
            for f in CHAT {
                ex.features[f.index()] = 0.0;
            }
        }
    }
    println!(
        "{path}: buyers={} refund_rate={:.4} events={} no_history={} bad_lines={} read_s={:.2}",
        data.examples.len(),
        data.refund_rate(),
        data.events,
        data.no_history,
        data.errors.len(),
        start.elapsed().as_secs_f64()
    );
    let ok = data.errors.is_empty();
    Ok((data, ok))
}

fn run() -> Result<bool, String> {
    let a = args()?;
    let engine = Engine::new().map_err(|e| e.to_string())?;
    let (train, ok_train) = read(&engine, &a.train, &a)?;
    let (eval, ok_eval) = read(&engine, &a.eval, &a)?;

    let mut trainer = RiskTrainer::new();
    trainer.l2(a.l2);
    let start = Instant::now();
    let weights = trainer.train(&train.examples).map_err(|e| e.to_string())?;
    let fit_s = start.elapsed().as_secs_f64();
    println!(
        "fitted on {} buyers in {fit_s:.3} s ({} Newton iterations)",
        weights.n, weights.iterations
    );
    println!("factor\tweight");
    println!("bias\t{:+.3}", weights.bias);
    for f in Factor::ALL {
        println!("{}\t{:+.3}", f.as_str(), weights.weights[f.index()]);
    }

    let fit = weights.evaluate(&train.examples);
    println!("train (in-sample): auc={:.4} logloss={:.4} n={}", fit.auc, fit.log_loss, fit.n);
    if a.folds >= 2 {
        let cv = cross_validate(&trainer, &train.examples, a.folds).map_err(|e| e.to_string())?;
        println!(
            "train ({}-fold CV): auc={:.4} logloss={:.4} max_decile_gap={:.4} n={}",
            a.folds,
            cv.auc,
            cv.log_loss,
            cv.max_calibration_gap(),
            cv.n
        );
    }

    if let Some(path) = &a.out {
        std::fs::write(path, weights.to_tsv()).map_err(|e| format!("{path}: {e}"))?;
        println!("wrote {path}");
    }

    let report = weights.evaluate(&eval.examples);
    let prior = default_weights().evaluate(&eval.examples);
    println!(
        "default prior weights (data/risk_model.tsv) on the eval log: auc={:.4} logloss={:.4} max_decile_gap={:.4}",
        prior.auc,
        prior.log_loss,
        prior.max_calibration_gap()
    );
    if let Some(path) = &a.truth {
        truth_report(path, &eval, &report)?;
    }
    println!("eval max_decile_gap={:.4}", report.max_calibration_gap());
    println!("{report}");
    Ok(ok_train && ok_eval)
}

/// The default engine's hand-set prior weights, for comparison.
fn default_weights() -> RiskWeights {
    let mut w = RiskWeights {
        bias: 0.0,
        weights: [0.0; Factor::COUNT],
        n: 0,
        positives: 0,
        iterations: 0,
        l2: 0.0,
    };
    for line in include_str!("../data/risk_model.tsv").lines().filter(|l| !l.starts_with('#')) {
        let mut c = line.split('\t');
        let (Some(name), Some(Ok(v))) = (c.next(), c.next().map(str::parse::<f32>)) else {
            continue;
        };
        match Factor::from_name(name) {
            Some(f) => w.weights[f.index()] = v,
            None if name == "bias" => w.bias = v,
            None => {}
        }
    }
    w
}

/// Out-of-fold predictions of a K-fold split in log order (buyer k goes to fold k mod K).
fn cross_validate(
    trainer: &RiskTrainer,
    examples: &[RiskExample],
    folds: usize,
) -> Result<RiskEvaluation, kefu::Error> {
    let mut scored = Vec::with_capacity(examples.len());
    for k in 0..folds {
        let fit: Vec<RiskExample> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, e)| e.clone())
            .collect();
        let w: RiskWeights = trainer.train(&fit)?;
        for (_, e) in examples.iter().enumerate().filter(|(i, _)| i % folds == k) {
            scored.push((w.predict(&e.features), e.refunded));
        }
    }
    Ok(RiskEvaluation::new(&scored))
}

/// The generating model's own figures on the evaluation buyers, beside the trained model's.
fn truth_report(path: &str, eval: &RiskData, trained: &RiskEvaluation) -> Result<(), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut p: HashMap<&str, f64> = HashMap::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let c: Vec<&str> = line.split('\t').collect();
        match (c.first(), c.get(1).and_then(|v| v.parse::<f64>().ok())) {
            (Some(b), Some(v)) => {
                p.insert(b, v);
            }
            _ => eprintln!("{path}: line {}: expected buyer<TAB>p<TAB>refunded", i + 1),
        }
    }
    let scored: Vec<(f64, bool)> = eval
        .examples
        .iter()
        .filter_map(|e| p.get(e.buyer.as_str()).map(|&v| (v, e.refunded)))
        .collect();
    let g = RiskEvaluation::new(&scored);
    println!(
        "generating model on the eval buyers: auc={:.4} logloss={:.4} max_decile_gap={:.4} n={}",
        g.auc,
        g.log_loss,
        g.max_calibration_gap(),
        g.n
    );
    println!("auc_gap={:+.4} (trained - generating)", trained.auc - g.auc);
    Ok(())
}
