//! Wire input: the `replay` tool and `Envelope::from_json` on hostile logs. Every valid line is
//! answered, every bad line is reported once with its line number and the field at fault.

use std::sync::LazyLock;

use kefu::{Engine, Envelope, Error};

#[path = "../examples/replay.rs"]
#[allow(dead_code)]
mod replay;

static ENGINE: LazyLock<Engine> = LazyLock::new(|| Engine::new().expect("default data builds"));

fn run(input: &[u8]) -> (replay::Summary, Vec<String>, Vec<String>) {
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let sum = replay::run(&ENGINE, input, &mut out, &mut err).expect("replay runs");
    let lines = |b: Vec<u8>| String::from_utf8(b).unwrap().lines().map(str::to_owned).collect();
    (sum, lines(out), lines(err))
}

/// `tests/fixtures/hostile.jsonl`: line number and the field its error must name (`None` for
/// lines that are not JSON objects at all).
const BAD: &[(usize, Option<&str>)] = &[
    (3, None),
    (4, Some("at_ms")),
    (5, Some("type")),
    (6, Some("page")),
    (7, Some("at_ms")),
    (8, Some("amount_fen")),
    (9, None),
    (10, Some("stars")),
    (12, Some("deep")),
    (13, None),
    (16, Some("reason")),
    (17, Some("buyer")),
    (20, Some("from")),
    (21, Some("hours")),
    (22, Some("order")),
    (23, Some("text")),
];
const GOOD: usize = 7;

#[test]
fn replay_answers_every_valid_line_and_reports_every_bad_one() {
    let log = include_bytes!("fixtures/hostile.jsonl");
    let (sum, out, err) = run(log);
    assert_eq!(sum.events, GOOD as u64, "{err:#?}");
    assert_eq!(out.len(), GOOD);
    assert_eq!(sum.errors, BAD.len() as u64, "{err:#?}");
    assert_eq!(err.len(), BAD.len(), "one line per bad line: {err:#?}");
    for (msg, &(line, field)) in err.iter().zip(BAD) {
        assert!(msg.starts_with(&format!("line {line}: ")), "{msg} should be line {line}");
        if let Some(f) = field {
            assert!(msg.contains(&format!("field `{f}`")), "{msg} should name `{f}`");
        }
    }
    for o in &out {
        let v: serde_json::Value = serde_json::from_str(o).expect("output lines are JSON");
        let risk = v["risk"]["probability"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&risk), "{o}");
    }
    assert_eq!(sum.buyers, 3, "b1, b3 and b4 had valid lines");
}

#[test]
fn huge_lines_are_skipped_without_being_held_and_the_rest_is_answered() {
    let ok = br#"{"type":"resolved","buyer":"b","at_ms":1}"#;
    let mut log = Vec::new();
    log.extend_from_slice(ok);
    log.push(b'\n');
    // A 5 MiB line (over the 4 MiB limit), a 1 MiB message (under it), no final newline.
    log.extend_from_slice(b"{\"type\":\"message\",\"at_ms\":2,\"from\":\"buyer\",\"text\":\"");
    log.extend(std::iter::repeat_n(b'a', 5 << 20));
    log.extend_from_slice(b"\"}\n");
    log.extend_from_slice(
        b"{\"type\":\"message\",\"buyer\":\"b\",\"at_ms\":3,\"from\":\"buyer\",\"text\":\"",
    );
    log.extend("退".repeat(350_000).as_bytes());
    log.extend_from_slice(b"\"}\n");
    log.extend_from_slice(ok);
    let (sum, out, err) = run(&log);
    assert_eq!((sum.events, sum.errors), (3, 1), "{err:?}");
    assert_eq!(out.len(), 3);
    assert!(err[0].starts_with("line 2: ") && err[0].contains("longer than"), "{}", err[0]);
}

#[test]
fn a_log_of_garbage_is_all_reported() {
    // 10 000 lines of assorted junk: each one is one error, none is an answer.
    let junk: [&[u8]; 8] = [
        b"{",
        b"}",
        b"null",
        b"\"type\"",
        b"{\"type\":null}",
        b"{\"type\":\"message\"}",
        b"\xc3\x28",
        b"{\"type\":\"rating\",\"at_ms\":1,\"stars\":-1}",
    ];
    let mut log = Vec::new();
    for i in 0..10_000 {
        log.extend_from_slice(junk[i % junk.len()]);
        log.push(b'\n');
    }
    let (sum, out, err) = run(&log);
    assert_eq!((sum.events, sum.errors), (0, 10_000));
    assert!(out.is_empty());
    assert_eq!(err.len(), 10_000);
    assert!(err.iter().enumerate().all(|(i, e)| e.starts_with(&format!("line {}: ", i + 1))));
}

#[test]
fn every_error_is_an_invalid_event_naming_a_field_or_the_syntax() {
    let lines = [
        (r#"{"type":"message","at_ms":1,"from":"buyer"}"#, "text"),
        (r#"{"type":"message","at_ms":1,"from":"buyer","text":["a"]}"#, "text"),
        (r#"{"type":"page_view","at_ms":1,"page":{"name":"x"}}"#, "page"),
        (r#"{"type":"order_created","at_ms":1,"order":"1","amount_fen":-1}"#, "amount_fen"),
        (
            r#"{"type":"order_created","at_ms":1,"order":"1","product":"这个商品编号实在是太长了超过三十二字节"}"#,
            "product",
        ),
        (r#"{"type":"offer_accepted","at_ms":1,"offer":"free_car"}"#, "offer"),
        (r#"{"type":"resolved","at_ms":1.0}"#, "at_ms"),
        (r#"{"type":"resolved","at_ms":null}"#, "at_ms"),
        (r#"{"type":"resolved","at_ms":true}"#, "at_ms"),
    ];
    for (l, want) in lines {
        match Envelope::from_json(l) {
            Err(Error::InvalidEvent { field: Some(f), message }) => {
                assert_eq!(f, want, "{l}: {message}")
            }
            other => panic!("{l}: {other:?}"),
        }
    }
}
