//! Writes a labeled synthetic shop log (JSON lines, the format `replay` and `train_risk` read)
//! from the documented generative model of `examples/common/sim.rs`, whose refund law has known
//! weights, and optionally the ground truth per buyer.
//!
//! ```text
//! cargo run --release --example simulate -- --shop a --buyers 20000 --seed 1 \
//!     --out target/shop_a.jsonl --truth target/shop_a_truth.tsv
//! ```
//!
//! Options: `--shop a|b` (shop parameters, default `a`), `--buyers N` (default 20000),
//! `--seed S` (default 1), `--out FILE` (default: standard output), `--truth FILE` (TSV with
//! header `buyer  p  refunded`: the generating model's refund probability and the outcome).
//! The last line (on standard error when the log goes to standard output) is
//! `buyers=… events=… refund_rate=… generating_auc=…`.

use std::io::Write;
use std::process::ExitCode;

use kefu::train::RiskEvaluation;

#[path = "common/sim.rs"]
mod sim;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simulate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let (mut shop, mut buyers, mut seed) = (sim::Shop::a(), 20_000usize, 1u64);
    let (mut out, mut truth) = (None::<String>, None::<String>);
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--shop" => {
                let v = value()?;
                shop =
                    sim::Shop::named(&v).ok_or_else(|| format!("unknown shop `{v}` (a or b)"))?;
            }
            "--buyers" => buyers = value()?.parse().map_err(|e| format!("--buyers: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--out" => out = Some(value()?),
            "--truth" => truth = Some(value()?),
            _ => {
                return Err(format!(
                    "unknown argument `{a}`; see the header of examples/simulate.rs"
                ));
            }
        }
    }
    let s = sim::simulate(&shop, buyers, seed);
    if let Some(path) = &truth {
        let mut t = String::from("buyer\tp\trefunded\n");
        for b in &s.truth {
            t += &format!("{}\t{:.6}\t{}\n", b.buyer, b.p, u8::from(b.refunded));
        }
        std::fs::write(path, t).map_err(|e| format!("{path}: {e}"))?;
    }
    let scored: Vec<(f64, bool)> = s.truth.iter().map(|b| (b.p, b.refunded)).collect();
    let eval = RiskEvaluation::new(&scored);
    let rate = eval.positives as f64 / eval.n.max(1) as f64;
    let summary = format!(
        "buyers={} events={} refund_rate={rate:.4} generating_auc={:.4}",
        eval.n, s.events, eval.auc
    );
    match &out {
        Some(path) => {
            std::fs::write(path, &s.jsonl).map_err(|e| format!("{path}: {e}"))?;
            println!("{summary}");
        }
        None => {
            let mut o = std::io::stdout().lock();
            o.write_all(s.jsonl.as_bytes()).map_err(|e| e.to_string())?;
            eprintln!("{summary}");
        }
    }
    Ok(())
}
