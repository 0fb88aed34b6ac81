//! Keyword and regex rule matching against plain references.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| kefu::__fuzz::matchers(data));
