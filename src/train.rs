//! Training: fit an intent classifier from labeled text.
