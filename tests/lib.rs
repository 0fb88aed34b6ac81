//! The single integration test binary: scripted conversations in, expected actions out.
mod builder;
mod conversations;
mod emotion_trajectory;
mod intent_robustness;
mod properties;
mod risk;
mod samples;
mod state;
