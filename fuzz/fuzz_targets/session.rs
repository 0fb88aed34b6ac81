//! `Session::on_event` over arbitrary text and event sequences, with a snapshot round trip.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kefu::__fuzz::session(data));
