//! Replays a JSON-lines event log through the default engine, one session per `buyer`, and
//! prints one JSON line per event: `buyer`, `at_ms`, `intent`, `emotion`, `risk`, `actions`
//! (and `fired`, the policy rule behind each action).
//!
//! ```text
//! cargo run --release --example replay -- data/samples/shop_day.jsonl
//! cargo run --release --example replay -- - < my_log.jsonl
//! ```
//!
//! Bad lines are reported on stderr, one line each, with the line number and the field at
//! fault (`line 7: invalid event: field `at_ms`: invalid value: integer `-1`, expected u64`),
//! and skipped: invalid JSON, wrong types, unknown `type` or enum values, negative or
//! overflowing numbers, invalid UTF-8, nesting deeper than 128, lines longer than 4 MiB (never
//! held in memory), more than 100 000 buyers. Every valid line is answered. The exit code is 1
//! if any line was bad. The last line is `events=… buyers=… actions=… errors=…`.

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

    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let stderr = io::stderr();
    let summary = match run(&engine, input, &mut out, &mut stderr.lock()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _ = writeln!(out, "{summary}");
    let _ = out.flush();
    if summary.errors > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

/// What a replay did: the last line it prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Summary {
    /// Valid lines, each answered with one output line.
    pub events: u64,
    /// Sessions (distinct `buyer` values).
    pub buyers: usize,
    /// Actions in all.
    pub actions: u64,
    /// Bad lines, each reported with one line on `err`.
    pub errors: u64,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "events={} buyers={} actions={} errors={}",
            self.events, self.buyers, self.actions, self.errors
        )
    }
}

/// Replays the JSON lines of `input`: one JSON line per valid event on `out`, one line per bad
/// input line on `err`. Fails only when reading `input` or writing `out` fails.
pub fn run(
    engine: &Engine,
    input: impl Read,
    out: &mut impl Write,
    err: &mut impl Write,
) -> io::Result<Summary> {
    let mut sessions: HashMap<String, Session> = HashMap::new();
    let mut sum = Summary::default();
    let mut reader = BufReader::new(input);
    let mut bytes = Vec::new();
    for n in 1.. {
        match read_line(&mut reader, &mut bytes) {
            Ok(Line::End) => break,
            Ok(Line::Whole) => {}
            Ok(Line::TooLong(len)) => {
                writeln!(err, "line {n}: {len} bytes, longer than the limit of {MAX_LINE_BYTES}")?;
                sum.errors += 1;
                continue;
            }
            Err(e) => {
                writeln!(err, "line {n}: read error: {e}")?;
                sum.errors += 1;
                break;
            }
        }
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t,
            Err(e) => {
                writeln!(err, "line {n}: not valid UTF-8 (at byte {})", e.valid_up_to())?;
                sum.errors += 1;
                continue;
            }
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let env = match Envelope::from_json(text) {
            Ok(e) => e,
            Err(e) => {
                writeln!(err, "line {n}: {e}")?;
                sum.errors += 1;
                continue;
            }
        };
        let buyer = env.buyer.as_deref().unwrap_or("");
        if !sessions.contains_key(buyer) && sessions.len() >= MAX_BUYERS {
            writeln!(
                err,
                "line {n}: field `buyer`: more than {MAX_BUYERS} buyers in one log; split it"
            )?;
            sum.errors += 1;
            continue;
        }
        let session = match sessions.get_mut(buyer) {
            Some(s) => s,
            None => sessions.entry(buyer.to_owned()).or_insert_with(|| engine.session()),
        };
        let d = session.on_event(&env.event);
        sum.events += 1;
        sum.actions += d.actions().len() as u64;
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
        writeln!(out, "{record}")?;
    }
    sum.buyers = sessions.len();
    Ok(sum)
}

/// Longest line read; longer lines are skipped without being held in memory.
const MAX_LINE_BYTES: usize = 4 << 20;
/// Most buyers (sessions) one replay keeps.
const MAX_BUYERS: usize = 100_000;

enum Line {
    Whole,
    TooLong(usize),
    End,
}

/// Reads one `\n`-terminated line into `buf` (without the `\n`), holding at most
/// [`MAX_LINE_BYTES`]; the rest of a longer line is read and dropped.
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Line> {
    buf.clear();
    let (mut len, mut any) = (0usize, false);
    loop {
        let chunk = match r.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            break;
        }
        any = true;
        let (part, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(i) => (&chunk[..i], Some(i + 1)),
            None => (chunk, None),
        };
        len += part.len();
        if len <= MAX_LINE_BYTES {
            buf.extend_from_slice(part);
        }
        let used = done.unwrap_or(part.len());
        r.consume(used);
        if done.is_some() {
            break;
        }
    }
    Ok(if !any {
        Line::End
    } else if len > MAX_LINE_BYTES {
        Line::TooLong(len)
    } else {
        Line::Whole
    })
}

fn round3(x: f32) -> f64 {
    (f64::from(x) * 1000.0).round() / 1000.0
}
