//! The single integration test binary: scripted conversations in, expected actions out.
mod builder;
mod conversations;
mod properties;
mod samples;
mod state;
mod wire;
