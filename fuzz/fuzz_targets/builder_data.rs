//! Merchant data: every data format the builder reads, and its shortcuts.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kefu::__fuzz::data_text(data));
