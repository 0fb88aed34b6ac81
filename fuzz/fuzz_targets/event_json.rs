//! Wire input: one JSON line as an event (first byte even) or as a snapshot to restore (odd).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    match data.split_first() {
        Some((b, rest)) if b % 2 == 1 => kefu::__fuzz::snapshot_json(rest),
        _ => kefu::__fuzz::event_line(data),
    }
});
