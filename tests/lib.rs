//! The single integration test binary: scripted conversations in, expected actions out.
mod builder;
mod concurrency;
mod conversations;
mod emotion_trajectory;
mod hostile;
mod intent_robustness;
mod properties;
mod risk;
mod samples;
mod state;
mod wire;
