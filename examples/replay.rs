//! Replays a JSON-lines event log through the default engine, one session per `buyer`, and
//! prints one JSON line per event: `buyer`, `at_ms`, `intent`, `emotion`, `risk`, `actions`
//! (and `fired`, the policy rule behind each action).
//!
//! ```text
//! cargo run --release --example replay -- data/samples/shop_day.jsonl
//! cargo run --release --example replay -- - < my_log.jsonl
//! ```
//!
//! Bad lines are reported on stderr with their line number and skipped; the exit code is 1 if
//! any line was bad. The last line is `events=… buyers=… actions=… errors=…`.

use std::collections::HashMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::process::ExitCode;

use kefu::{Engine, Envelope, Session};
use serde_json::json;

fn main() -> ExitCode {
    let path = std::env::args().nth(1).unwrap_or_else(|| "data/samples/shop_day.jsonl".into());
    let input: Box<dyn Read> = if path == "-" {
        Box::new(io::stdin())
    } else {
        match std::fs::File::open(&path) {
            Ok(f) => Box::new(f),
            Err(e) => {
                eprintln!("replay: cannot open {path}: {e}");
                return ExitCode::FAILURE;
            }
        }
    };
    let engine = match Engine::new() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("replay: {e}");
            return ExitCode::FAILURE;
        }
    };

    let mut sessions: HashMap<String, Session> = HashMap::new();
    let (mut events, mut actions, mut errors) = (0u64, 0u64, 0u64);
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for (i, line) in BufReader::new(input).split(b'\n').enumerate() {
        let n = i + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                eprintln!("replay: read error after line {n}: {e}");
                errors += 1;
                break;
            }
        };
        let Ok(text) = std::str::from_utf8(&bytes) else {
            eprintln!("line {n}: not valid UTF-8");
            errors += 1;
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let env = match Envelope::from_json(text) {
            Ok(e) => e,
            Err(e) => {
                eprintln!("line {n}: {e}");
                errors += 1;
                continue;
            }
        };
        let buyer = env.buyer.as_deref().unwrap_or("").to_owned();
        let session = sessions.entry(buyer.clone()).or_insert_with(|| engine.session());
        let d = session.on_event(&env.event);
        events += 1;
        actions += d.actions().len() as u64;
        let record = json!({
            "buyer": buyer,
            "at_ms": d.at_ms(),
            "intent": d.intent().map(|i| json!({
                "id": i.id,
                "confidence": round3(i.confidence),
            })),
            "emotion": d.emotion().map(|e| json!({
                "label": e.label,
                "valence": round3(e.valence),
                "intensity": round3(e.intensity),
            })),
            "risk": d.risk(),
            "actions": d.actions(),
            "fired": d.fired(),
        });
        if writeln!(out, "{record}").is_err() {
            return ExitCode::FAILURE;
        }
    }
    let _ = writeln!(
        out,
        "events={events} buyers={} actions={actions} errors={errors}",
        sessions.len()
    );
    let _ = out.flush();
    if errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}
