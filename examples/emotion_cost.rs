//! What the emotion stage costs inside the pipeline, per buyer message (DESIGN.md §7, issue
//! target: ≤ 1 µs median per chat message).
//!
//! ```text
//! cargo run --release --example emotion_cost [FILE]    # one message per line
//! ```
//!
//! Three engines run the same messages in the same rounds, interleaved, through
//! [`Engine::emotion_of`] (normalise, segment, emotion: exactly what a session runs before
//! its emotion stage): the default data (read from `data/`), the same data with the emotion lexicon alone (no
//! learned model), and the same data with an empty emotion lexicon and no model. A message's
//! cost in an engine is its fastest of `ROUNDS` runs; the emotion stage's cost is the
//! difference to the empty engine, and the figure is its median over the messages. The whole
//! pipeline (a warm session of the first engine) is timed alongside. Default input:
//! `data/samples/messages.txt`; data files are read from `data/` (run from the crate root).
//!
//! Last line: `emotion_median_ns=… lexicon_median_ns=… model_median_ns=… pipeline_median_ns=… n=…`.

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use kefu::{Engine, Event};

const ROUNDS: usize = 20;
const INSTANCES: usize = 4;

/// An engine on the files of `data/`, with `emotion` as its whole emotion lexicon and `model`
/// as its learned emotion model, if any.
fn engine_with(emotion: &str, model: Option<&str>) -> Result<Engine, String> {
    let mut b = Engine::builder();
    b.defaults(false);
    for file in [
        "data/user_dict.txt",
        "data/intents.tsv",
        "data/rules.tsv",
        "data/intent_model.tsv",
        "data/risk_model.tsv",
        "data/policy.tsv",
        "data/size_chart.tsv",
    ] {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{file}: {e}"))?;
        match file {
            "data/user_dict.txt" => b.user_dict(file, &text),
            "data/intents.tsv" => b.intents(file, &text),
            "data/rules.tsv" => b.rules(file, &text),
            "data/intent_model.tsv" => b.intent_model(file, &text),
            "data/risk_model.tsv" => b.risk_weights(file, &text),
            "data/policy.tsv" => b.policy(file, &text),
            _ => b.size_chart(file, &text),
        };
    }
    b.emotion_lexicon("emotion", emotion);
    if let Some(m) = model {
        b.emotion_model("emotion_model", m);
    }
    b.build().map_err(|e| e.to_string())
}

fn median(v: &mut [i64]) -> i64 {
    v.sort_unstable();
    v.get(v.len() / 2).copied().unwrap_or(0)
}

fn run() -> Result<(), String> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "data/samples/messages.txt".into());
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let messages: Vec<&str> = text.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
    if messages.is_empty() {
        return Err(format!("{path} has no messages"));
    }
    let lexicon = std::fs::read_to_string("data/emotion.tsv")
        .map_err(|e| format!("data/emotion.tsv: {e}"))?;
    let model = std::fs::read_to_string("data/emotion_model.tsv")
        .map_err(|e| format!("data/emotion_model.tsv: {e}"))?;
    // All three are built the same way, from the same files, so they differ only in emotion.
    // Engines of one build differ by a few hundred ns per message in their segmenter (hash
    // seeds, memory layout), as much as the emotion stage costs: average over several
    // instances of each kind, built in turns.
    let mut engines: Vec<[Engine; 3]> = Vec::new();
    for _ in 0..INSTANCES {
        let empty = engine_with("#format emotion v1\n", None)?;
        let lex = engine_with(&lexicon, None)?;
        let full = engine_with(&lexicon, Some(&model))?;
        engines.push([full, lex, empty]);
    }
    let mut session = engines[0][0].session();
    let events: Vec<Event<'_>> = messages.iter().map(|m| Event::buyer_says(0, *m)).collect();
    let n = messages.len();
    // best[instance][kind][message]: fastest run in nanoseconds; pipeline[message] likewise.
    let mut best = vec![[vec![i64::MAX; n], vec![i64::MAX; n], vec![i64::MAX; n]]; INSTANCES];
    let mut pipeline = vec![i64::MAX; n];
    for round in 0..ROUNDS {
        for (i, ev) in events.iter().enumerate() {
            let t = Instant::now();
            black_box(session.on_event(black_box(ev)).actions().len());
            pipeline[i] = pipeline[i].min(t.elapsed().as_nanos() as i64);
            for j in 0..INSTANCES {
                for k in 0..3 {
                    // Rotate the order so no kind always runs first.
                    let k = (k + round + i) % 3;
                    let t = Instant::now();
                    black_box(engines[j][k].emotion_of(black_box(messages[i])));
                    let ns = t.elapsed().as_nanos() as i64;
                    best[j][k][i] = best[j][k][i].min(ns);
                }
            }
        }
    }
    let mean = |k: usize, i: usize| best.iter().map(|b| b[k][i]).sum::<i64>() / INSTANCES as i64;
    let diff = |a: usize, b: usize| -> i64 {
        let mut d: Vec<i64> = (0..n).map(|i| mean(a, i) - mean(b, i)).collect();
        median(&mut d)
    };
    let emotion = diff(0, 2);
    let lexicon = diff(1, 2);
    let model = diff(0, 1);
    let pipeline = median(&mut pipeline);
    println!(
        "messages: {n} from {path}, fastest of {ROUNDS} rounds each, {INSTANCES} engines per kind"
    );
    println!("whole pipeline (default data, warm session): median {pipeline} ns per message");
    println!(
        "emotion stage: median {emotion} ns (lexicon alone {lexicon} ns, model adds {model} ns)"
    );
    println!(
        "emotion_median_ns={emotion} lexicon_median_ns={lexicon} model_median_ns={model} pipeline_median_ns={pipeline} n={n}"
    );
    Ok(())
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("emotion_cost: {e}");
            ExitCode::FAILURE
        }
    }
}
