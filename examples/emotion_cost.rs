//! What the emotion stage costs inside the pipeline, per buyer message (DESIGN.md §7, issue
//! target: ≤ 1 µs median per chat message).
//!
//! ```text
//! cargo run --release --example emotion_cost [FILE]    # one message per line
//! ```
//!
//! Three measures, each the fastest of `ROUNDS` runs per message, averaged over `INSTANCES`
//! engines of each kind (engines of one build differ by a few hundred ns in their segmenter),
//! median over the messages:
//!
//! 1. **Whole pipeline, default minus empty emotion data**: one buyer message in a copy of a
//!    conversation just begun (a paid order, a greeting, the agent's answer), in an engine on
//!    the default data and in one whose emotion lexicon is empty and which has no emotion
//!    model. The difference is everything the emotion data costs a session: the stage, the
//!    intent lookups in the larger table the two models share, the policy acting on emotions.
//! 2. **The stage timed directly, as a session runs it** ([`Stages::emotion_in_session`],
//!    right after the intent stage on the same message): the model reads the feature hashes
//!    and weight rows the intent stage found. Also timed hashing for itself
//!    ([`Stages::emotion`], what [`Engine::emotion_of`] runs), for comparison.
//! 3. **Through [`Engine::emotion_of`]** (normalise, segment, emotion) in three engines: the
//!    default data, the lexicon alone (no model), and the empty data; the differences give the
//!    stage (default − empty), the lexicon (lexicon − empty) and the model (default − lexicon),
//!    each hashing for itself with 12 engines interleaved (colder caches than a session's). The
//!    figure this example printed before the direct timings existed.
//!
//! The whole pipeline (a warm session of a default engine) is timed alongside. Default input:
//! `data/samples/messages.txt`; data files are read from `data/` (run from the crate root).
//!
//! Last line: `emotion_median_ns=… lexicon_median_ns=… model_median_ns=…
//! pipeline_diff_median_ns=… in_session_median_ns=… standalone_median_ns=…
//! pipeline_median_ns=… n=…` (the first three are measure 3).

use std::hint::black_box;
use std::process::ExitCode;
use std::time::Instant;

use kefu::{Engine, Event, Stages};

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

/// Per message, the mean over the engines of each one's fastest run.
fn mean_runs<'a>(runs: impl Iterator<Item = &'a Vec<i64>>, n: usize) -> Vec<i64> {
    let runs: Vec<&Vec<i64>> = runs.collect();
    let count = runs.len().max(1) as i64;
    (0..n).map(|i| runs.iter().map(|r| r[i]).sum::<i64>() / count).collect()
}

/// Median over the messages of `a − b`.
fn median_diff(a: &[i64], b: &[i64]) -> i64 {
    let mut d: Vec<i64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    median(&mut d)
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
    let mut stages: Vec<Stages> = engines.iter().map(|e| Stages::new(&e[0])).collect();
    // The whole pipeline with and without the emotion data: each message is the next one of
    // a conversation that has just begun (a paid order, a greeting, the agent's answer),
    // in a copy of that session, so no message runs in a state an earlier one left (a
    // hand-off quietens the bot for the rest of a conversation).
    let begun = |e: &Engine| {
        let mut s = e.session();
        let order = "6929384756102".try_into().map_err(|e| format!("order id: {e:?}"))?;
        s.on_event(&Event::order_paid(0, order, 19_900));
        s.on_event(&Event::buyer_says(1_000, "你好"));
        s.on_event(&Event::agent_says(2_000, "亲，在的"));
        Ok::<_, String>(s)
    };
    let mut sessions: Vec<[kefu::Session; 2]> = Vec::new();
    for e in &engines {
        sessions.push([begun(&e[0])?, begun(&e[2])?]);
    }
    let next: Vec<Event<'_>> = messages.iter().map(|m| Event::buyer_says(3_000, *m)).collect();
    let events: Vec<Event<'_>> = messages.iter().map(|m| Event::buyer_says(0, *m)).collect();
    let n = messages.len();
    // best[instance][kind][message]: fastest run in nanoseconds; pipeline[message] likewise.
    let mut best = vec![[vec![i64::MAX; n], vec![i64::MAX; n], vec![i64::MAX; n]]; INSTANCES];
    let mut pipeline = vec![i64::MAX; n];
    // in_session / standalone[instance][message]: fastest run of the stage as a session runs
    // it, and hashing for itself.
    let mut in_session = vec![vec![i64::MAX; n]; INSTANCES];
    let mut standalone = vec![vec![i64::MAX; n]; INSTANCES];
    // piped[instance][kind][message]: fastest whole-pipeline run, default (0) or empty (1)
    // emotion data.
    let mut piped = vec![[vec![i64::MAX; n], vec![i64::MAX; n]]; INSTANCES];
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
                let st = &mut stages[j];
                st.prepare(messages[i]);
                black_box(st.intent());
                let t = Instant::now();
                black_box(st.emotion_in_session());
                in_session[j][i] = in_session[j][i].min(t.elapsed().as_nanos() as i64);
                let t = Instant::now();
                black_box(st.emotion());
                standalone[j][i] = standalone[j][i].min(t.elapsed().as_nanos() as i64);
            }
        }
    }
    // Measure 1 in a pass of its own: the stage timings above run the default engines only,
    // and would leave their caches warmer than the empty ones'.
    for round in 0..ROUNDS {
        for i in 0..n {
            for (j, pair) in sessions.iter().enumerate() {
                for k in 0..2 {
                    let k = (k + round + i) % 2;
                    let mut s = pair[k].clone();
                    let t = Instant::now();
                    black_box(s.on_event(black_box(&next[i])).actions().len());
                    piped[j][k][i] = piped[j][k][i].min(t.elapsed().as_nanos() as i64);
                }
            }
        }
    }
    let in_pipeline = median_diff(
        &mean_runs(piped.iter().map(|p| &p[0]), n),
        &mean_runs(piped.iter().map(|p| &p[1]), n),
    );
    let mut in_session = mean_runs(in_session.iter(), n);
    let mut standalone = mean_runs(standalone.iter(), n);
    let (in_session, standalone) = (median(&mut in_session), median(&mut standalone));
    let [full, lex, empty] = [0, 1, 2].map(|k| mean_runs(best.iter().map(|b| &b[k]), n));
    let emotion = median_diff(&full, &empty);
    let lexicon = median_diff(&lex, &empty);
    let model = median_diff(&full, &lex);
    let pipeline = median(&mut pipeline);
    println!(
        "messages: {n} from {path}, fastest of {ROUNDS} rounds each, {INSTANCES} engines per kind"
    );
    println!("whole pipeline (default data, warm session): median {pipeline} ns per message");
    println!(
        "1. emotion data in the whole pipeline (default minus empty): median {in_pipeline} ns"
    );
    println!(
        "2. stage timed directly: median {in_session} ns as a session runs it (reading the intent stage's features), {standalone} ns hashing for itself"
    );
    println!(
        "3. through Engine::emotion_of: stage {emotion} ns (lexicon alone {lexicon} ns, model adds {model} ns)"
    );
    println!(
        "emotion_median_ns={emotion} lexicon_median_ns={lexicon} model_median_ns={model} pipeline_diff_median_ns={in_pipeline} in_session_median_ns={in_session} standalone_median_ns={standalone} pipeline_median_ns={pipeline} n={n}"
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
