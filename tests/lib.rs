//! The single integration test binary: scripted conversations in, expected actions out.
mod builder;
mod concurrency;
mod conversations;
mod hostile;
mod properties;
mod samples;
mod state;
mod wire;
