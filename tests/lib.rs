//! The single integration test binary.
mod conversations;
