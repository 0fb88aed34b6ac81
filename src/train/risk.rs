//! Refund-risk training from a shop's raw event logs (DESIGN.md §8).
//!
//! A shop hands in its history as JSON lines (the wire format of DESIGN.md §2, one session per
//! `buyer`). [`RiskData::read`] runs every event through the real engine pipeline, so what a
//! buyer says feeds the features through the intent and emotion stages exactly as at run time,
//! and takes each buyer's risk features after their **last event before any
//! `refund_requested`**; the label is whether such a request came. [`RiskTrainer`] fits an
//! L2-regularised logistic regression over those features by Newton's method (deterministic,
//! 20 000 buyers in well under a second once the log is read) and gives [`RiskWeights`], whose
//! [`to_tsv`](RiskWeights::to_tsv) is a `risk_model v1` file that
//! [`EngineBuilder::risk_weights`](crate::EngineBuilder::risk_weights) loads.
//! [`RiskEvaluation`] reports per-buyer AUC, log-loss and calibration by decile.
//!
//! [`RiskData::read_with_horizon`] freezes the features a fixed time after payment, for full
//! shop histories in which buyers who keep their order go on producing events.
//!
//! Events are taken in file order, so a log should be sorted by time (or grouped by buyer with
//! each buyer's events in time order). A buyer whose first event is the refund request has no
//! features before it and is left out (counted in [`RiskData::no_history`]).
//!
//! # Examples
//!
//! ```
//! use kefu::Engine;
//! use kefu::train::{RiskData, RiskTrainer};
//!
//! let engine = Engine::new()?;
//! let mut log = String::new();
//! for i in 0..40u64 {
//!     let t = 1_700_000_000_000 + i * 10_000_000;
//!     log += &format!(r#"{{"type":"order_paid","buyer":"b{i}","at_ms":{t},"order":"{i}","amount_fen":9900}}"#);
//!     log.push('\n');
//!     if i % 2 == 0 {
//!         let t2 = t + 30_000;
//!         log += &format!(r#"{{"type":"page_view","buyer":"b{i}","at_ms":{t2},"page":"return_policy"}}"#);
//!         log.push('\n');
//!     }
//!     if i % 4 == 0 {
//!         let t3 = t + 600_000;
//!         log += &format!(r#"{{"type":"refund_requested","buyer":"b{i}","at_ms":{t3},"order":"{i}"}}"#);
//!         log.push('\n');
//!     }
//! }
//! let data = RiskData::read(&engine, log.as_bytes());
//! assert!(data.errors.is_empty());
//! assert_eq!(data.examples.len(), 40);
//! let weights = RiskTrainer::new().train(&data.examples)?;
//! let report = weights.evaluate(&data.examples);
//! assert!(report.auc > 0.7, "{report}");
//!
//! // The weights load into an engine.
//! let shop = Engine::builder().risk_weights("shop_risk.tsv", &weights.to_tsv()).build()?;
//! # let _ = shop;
//! # Ok::<(), kefu::Error>(())
//! ```

// Small dense linear algebra reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use std::collections::HashMap;
use std::fmt;
use std::io::BufRead;

use crate::decision::Factor;
use crate::engine::Engine;
use crate::error::Error;
use crate::event::{Envelope, Event};
use crate::session::Session;

const D: usize = Factor::COUNT;

/// One buyer of a log: the risk features after their last event before any refund request,
/// and whether a refund request came.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskExample {
    /// The `buyer` of the log (empty for lines without one).
    pub buyer: String,
    /// Feature values, index by [`Factor::index`].
    pub features: [f32; Factor::COUNT],
    /// A `refund_requested` followed.
    pub refunded: bool,
}

/// A line of a log that could not be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineError {
    /// 1-based line number.
    pub line: usize,
    /// What is wrong with it.
    pub message: String,
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Labeled buyers read from a JSON-lines event log.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RiskData {
    /// One example per buyer, in order of first appearance.
    pub examples: Vec<RiskExample>,
    /// Lines that were skipped, with why.
    pub errors: Vec<LineError>,
    /// Events fed to sessions (events after a buyer's refund request are not).
    pub events: u64,
    /// Buyers left out because a refund request was their first event.
    pub no_history: usize,
    /// The horizon after payment the features were frozen at, if any.
    pub horizon_ms: Option<u64>,
}

/// Per-buyer reading state.
struct Buyer {
    session: Option<Session>,
    features: Option<[f32; D]>,
    refunded: bool,
    paid_at_ms: Option<u64>,
}

impl RiskData {
    /// Reads a JSON-lines log, running every event through `engine`'s pipeline (one session
    /// per `buyer`). Bad lines (invalid UTF-8 or JSON, unknown event types) are recorded in
    /// [`errors`](RiskData::errors) and skipped; a read error stops reading and is recorded too.
    pub fn read(engine: &Engine, input: impl BufRead) -> RiskData {
        RiskData::read_with_horizon(engine, input, None)
    }

    /// [`RiskData::read`], with the features frozen `horizon_ms` after each buyer's first
    /// payment: later events are not fed (a later refund request still labels the buyer).
    ///
    /// In a shop's full history, buyers who keep their order go on producing events (shipping,
    /// delivery, ratings) long after those who asked for a refund stopped, so "features at the
    /// last event" would see them later, and the time factors would learn that lateness itself
    /// means no refund. A horizon (say 2 hours, the early window) compares every buyer at the
    /// same point: what they did in the first `horizon_ms` after paying.
    pub fn read_with_horizon(
        engine: &Engine,
        input: impl BufRead,
        horizon_ms: Option<u64>,
    ) -> RiskData {
        let mut data = RiskData { horizon_ms, ..RiskData::default() };
        let mut buyers: HashMap<String, usize> = HashMap::new();
        let mut state: Vec<(String, Buyer)> = Vec::new();
        for (i, line) in input.split(b'\n').enumerate() {
            let n = i + 1;
            let bytes = match line {
                Ok(b) => b,
                Err(e) => {
                    data.errors.push(LineError { line: n, message: format!("read error: {e}") });
                    break;
                }
            };
            let Ok(text) = std::str::from_utf8(&bytes) else {
                data.errors.push(LineError { line: n, message: "not valid UTF-8".into() });
                continue;
            };
            let text = text.trim();
            if text.is_empty() {
                continue;
            }
            match Envelope::from_json(text) {
                Ok(env) => {
                    let name = env.buyer.as_deref().unwrap_or("");
                    let k = match buyers.get(name) {
                        Some(&k) => k,
                        None => {
                            buyers.insert(name.to_owned(), state.len());
                            let b = Buyer {
                                session: Some(engine.session()),
                                features: None,
                                refunded: false,
                                paid_at_ms: None,
                            };
                            state.push((name.to_owned(), b));
                            state.len() - 1
                        }
                    };
                    data.feed(&mut state[k].1, &env.event);
                }
                Err(e) => data.errors.push(LineError { line: n, message: e.to_string() }),
            }
        }
        for (buyer, b) in state {
            match b.features {
                Some(features) => {
                    data.examples.push(RiskExample { buyer, features, refunded: b.refunded })
                }
                None => data.no_history += 1,
            }
        }
        data
    }

    fn feed(&mut self, b: &mut Buyer, event: &Event<'_>) {
        if b.refunded {
            return;
        }
        if matches!(event, Event::RefundRequested { .. }) {
            b.refunded = true;
            // Nothing after the request counts: free the session now.
            b.session = None;
            return;
        }
        if let (Some(h), Some(paid)) = (self.horizon_ms, b.paid_at_ms)
            && event.at_ms() > paid.saturating_add(h)
        {
            return;
        }
        if let Event::OrderPaid { at_ms, .. } = event {
            b.paid_at_ms.get_or_insert(*at_ms);
        }
        if let Some(s) = b.session.as_mut() {
            s.on_event(event);
            self.events += 1;
            b.features = Some(s.risk_features());
        }
    }

    /// Refund rate among the examples (0 when there are none).
    pub fn refund_rate(&self) -> f64 {
        let n = self.examples.len();
        if n == 0 {
            0.0
        } else {
            self.examples.iter().filter(|e| e.refunded).count() as f64 / n as f64
        }
    }
}

/// Fits refund-risk weights by L2-regularised logistic regression.
///
/// Minimises `Σ log-loss + l2/2 · Σ weight²` (the bias is not penalised) by Newton's method
/// with a step-halving line search: deterministic, no learning rate, converged to machine
/// precision in a few iterations over the 20-odd features.
///
/// ```
/// use kefu::train::RiskTrainer;
/// let mut t = RiskTrainer::new();
/// t.l2(2.0).max_iterations(50);
/// assert!(t.train(&[]).is_err(), "no buyers, nothing to fit");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct RiskTrainer {
    l2: f64,
    max_iterations: u32,
}

impl Default for RiskTrainer {
    fn default() -> Self {
        RiskTrainer { l2: 1.0, max_iterations: 100 }
    }
}

impl RiskTrainer {
    /// A trainer with the defaults: `l2 = 1.0` (on the summed log-loss, so it fades as the
    /// log grows), at most 100 Newton iterations.
    pub fn new() -> RiskTrainer {
        RiskTrainer::default()
    }

    /// L2 penalty on the weights (not the bias); finite and at least 0.
    pub fn l2(&mut self, l2: f64) -> &mut Self {
        self.l2 = l2;
        self
    }

    /// Most Newton iterations (1 to 10 000).
    pub fn max_iterations(&mut self, n: u32) -> &mut Self {
        self.max_iterations = n;
        self
    }

    /// Fits the weights.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidSetting`] for an `l2` that is negative or not finite, an iteration count
    /// out of range, no examples, or examples of one class only (nothing to learn from).
    pub fn train(&self, examples: &[RiskExample]) -> Result<RiskWeights, Error> {
        let invalid = |setting: &str, value: String, expected: &str| Error::InvalidSetting {
            setting: setting.into(),
            value,
            expected: expected.into(),
        };
        if !self.l2.is_finite() || self.l2 < 0.0 {
            return Err(invalid("RiskTrainer::l2", self.l2.to_string(), "a finite value >= 0"));
        }
        if !(1..=10_000).contains(&self.max_iterations) {
            return Err(invalid(
                "RiskTrainer::max_iterations",
                self.max_iterations.to_string(),
                "1 to 10000",
            ));
        }
        let positives = examples.iter().filter(|e| e.refunded).count();
        if positives == 0 || positives == examples.len() {
            return Err(invalid(
                "RiskTrainer::train examples",
                format!("{} buyers, {positives} refunded", examples.len()),
                "buyers with and without a refund request",
            ));
        }
        // Parameters: [bias, w_0 .. w_{D-1}].
        const P: usize = D + 1;
        let rows: Vec<[f64; P]> = examples
            .iter()
            .map(|e| {
                let mut r = [1.0; P];
                for j in 0..D {
                    let v = f64::from(e.features[j]);
                    r[j + 1] = if v.is_finite() { v } else { 0.0 };
                }
                r
            })
            .collect();
        let ys: Vec<f64> = examples.iter().map(|e| f64::from(u8::from(e.refunded))).collect();
        // Start from the base rate.
        let rate = positives as f64 / examples.len() as f64;
        let mut beta = [0.0; P];
        beta[0] = (rate / (1.0 - rate)).ln();
        let objective = |b: &[f64; P]| -> f64 {
            let mut f = 0.0;
            for (r, &y) in rows.iter().zip(&ys) {
                let z = dot(r, b);
                // log(1 + e^z) - y z, stable for any z.
                f += softplus(z) - y * z;
            }
            f + 0.5 * self.l2 * b[1..].iter().map(|w| w * w).sum::<f64>()
        };
        let mut f = objective(&beta);
        let mut iterations = 0;
        for _ in 0..self.max_iterations {
            iterations += 1;
            let mut g = [0.0; P];
            let mut h = [[0.0; P]; P];
            for (r, &y) in rows.iter().zip(&ys) {
                let p = sigmoid(dot(r, &beta));
                let w = p * (1.0 - p);
                for a in 0..P {
                    g[a] += (p - y) * r[a];
                    if r[a] == 0.0 {
                        continue;
                    }
                    let wa = w * r[a];
                    for c in a..P {
                        h[a][c] += wa * r[c];
                    }
                }
            }
            for a in 0..P {
                for c in 0..a {
                    h[a][c] = h[c][a];
                }
                // A tiny ridge keeps a feature that never varies from making H singular.
                h[a][a] += if a == 0 { 1e-9 } else { self.l2 + 1e-9 };
                if a > 0 {
                    g[a] += self.l2 * beta[a];
                }
            }
            let Some(step) = cholesky_solve(&h, &g) else { break };
            // Step-halving: Newton's step, shortened until the objective goes down.
            let mut t = 1.0;
            let mut next = beta;
            let mut improved = false;
            for _ in 0..30 {
                for a in 0..P {
                    next[a] = beta[a] - t * step[a];
                }
                let fn_ = objective(&next);
                if fn_ <= f {
                    improved = fn_ < f;
                    f = fn_;
                    beta = next;
                    break;
                }
                t *= 0.5;
            }
            let size = step.iter().map(|s| (t * s).abs()).fold(0.0, f64::max);
            if !improved || size < 1e-9 {
                break;
            }
        }
        let clamp = |v: f64| v.clamp(-20.0, 20.0) as f32;
        Ok(RiskWeights {
            bias: clamp(beta[0]),
            weights: std::array::from_fn(|j| clamp(beta[j + 1])),
            n: examples.len(),
            positives,
            iterations,
            l2: self.l2,
        })
    }
}

/// Fitted refund-risk weights: the model of [`RiskTrainer::train`].
#[derive(Debug, Clone, PartialEq)]
pub struct RiskWeights {
    /// Intercept (log-odds of a buyer with every feature at 0).
    pub bias: f32,
    /// Weight of each factor, index by [`Factor::index`].
    pub weights: [f32; Factor::COUNT],
    /// Buyers it was fitted on.
    pub n: usize,
    /// How many of them requested a refund.
    pub positives: usize,
    /// Newton iterations used.
    pub iterations: u32,
    /// The L2 penalty used.
    pub l2: f64,
}

impl RiskWeights {
    /// The refund probability for a feature vector, as the engine computes it.
    pub fn predict(&self, features: &[f32; Factor::COUNT]) -> f64 {
        let z = f64::from(self.bias)
            + self
                .weights
                .iter()
                .zip(features)
                .map(|(w, x)| f64::from(*w) * f64::from(*x))
                .sum::<f64>();
        sigmoid(z)
    }

    /// AUC, log-loss and calibration of these weights on `examples`.
    pub fn evaluate(&self, examples: &[RiskExample]) -> RiskEvaluation {
        let scored: Vec<(f64, bool)> =
            examples.iter().map(|e| (self.predict(&e.features), e.refunded)).collect();
        RiskEvaluation::new(&scored)
    }

    /// The weights as a `risk_model v1` file, every factor on its own line.
    pub fn to_tsv(&self) -> String {
        let mut out = String::from("#format risk_model v1\n");
        out += &format!(
            "# Fitted by kefu::train::RiskTrainer on {} buyers ({} refund requests, {:.1}%), \
             l2 = {}, {} Newton iterations.\n# factor\tweight\trationale\n",
            self.n,
            self.positives,
            100.0 * self.positives as f64 / self.n.max(1) as f64,
            self.l2,
            self.iterations
        );
        out += &format!("bias\t{:.4}\tfitted intercept\n", self.bias);
        for f in Factor::ALL {
            out += &format!("{}\t{:.4}\tfitted\n", f.as_str(), self.weights[f.index()]);
        }
        out
    }
}

/// Observed against predicted refund rate in one tenth of the buyers, by predicted risk.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decile {
    /// Buyers in the decile.
    pub n: usize,
    /// Mean predicted probability.
    pub predicted: f64,
    /// Share that requested a refund.
    pub observed: f64,
}

/// Per-buyer quality of refund-risk predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskEvaluation {
    /// Buyers scored.
    pub n: usize,
    /// Buyers that requested a refund.
    pub positives: usize,
    /// Area under the ROC curve (ties count half); 0.5 when one class is missing.
    pub auc: f64,
    /// Mean log-loss (natural log), probabilities clamped to [1e-7, 1 - 1e-7].
    pub log_loss: f64,
    /// Ten groups of equal size by predicted risk, lowest first (fewer when n < 10).
    pub deciles: Vec<Decile>,
}

impl RiskEvaluation {
    /// Scores `(predicted probability, refunded)` pairs.
    ///
    /// ```
    /// use kefu::train::RiskEvaluation;
    /// let e = RiskEvaluation::new(&[(0.9, true), (0.2, false), (0.6, false), (0.7, true)]);
    /// assert_eq!(e.auc, 1.0);
    /// assert_eq!(e.positives, 2);
    /// ```
    pub fn new(scored: &[(f64, bool)]) -> RiskEvaluation {
        let n = scored.len();
        let positives = scored.iter().filter(|s| s.1).count();
        let mut sorted: Vec<(f64, bool)> =
            scored.iter().map(|&(p, y)| (if p.is_nan() { 0.0 } else { p }, y)).collect();
        sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
        // AUC by the rank-sum formula, tied scores sharing their mean rank.
        let mut rank_sum = 0.0;
        let mut i = 0;
        while i < n {
            let mut j = i;
            while j < n && sorted[j].0 == sorted[i].0 {
                j += 1;
            }
            let mean_rank = (i + 1 + j) as f64 / 2.0;
            rank_sum += mean_rank * sorted[i..j].iter().filter(|s| s.1).count() as f64;
            i = j;
        }
        let negatives = n - positives;
        let auc = if positives == 0 || negatives == 0 {
            0.5
        } else {
            let p = positives as f64;
            (rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64)
        };
        let log_loss = if n == 0 {
            0.0
        } else {
            sorted
                .iter()
                .map(|&(p, y)| {
                    let p = p.clamp(1e-7, 1.0 - 1e-7);
                    if y { -p.ln() } else { -(1.0 - p).ln() }
                })
                .sum::<f64>()
                / n as f64
        };
        let groups = n.min(10);
        let deciles = (0..groups)
            .map(|k| {
                let part = &sorted[k * n / groups..(k + 1) * n / groups];
                let m = part.len().max(1) as f64;
                Decile {
                    n: part.len(),
                    predicted: part.iter().map(|s| s.0).sum::<f64>() / m,
                    observed: part.iter().filter(|s| s.1).count() as f64 / m,
                }
            })
            .collect();
        RiskEvaluation { n, positives, auc, log_loss, deciles }
    }

    /// The largest gap between predicted and observed refund rate over the deciles.
    pub fn max_calibration_gap(&self) -> f64 {
        self.deciles.iter().map(|d| (d.predicted - d.observed).abs()).fold(0.0, f64::max)
    }
}

impl fmt::Display for RiskEvaluation {
    /// The decile table, then `auc=… logloss=… n=…`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "decile\tn\tpredicted\tobserved")?;
        for (k, d) in self.deciles.iter().enumerate() {
            writeln!(f, "{}\t{}\t{:.4}\t{:.4}", k + 1, d.n, d.predicted, d.observed)?;
        }
        write!(f, "auc={:.4} logloss={:.4} n={}", self.auc, self.log_loss, self.n)
    }
}

fn dot<const P: usize>(r: &[f64; P], b: &[f64; P]) -> f64 {
    r.iter().zip(b).map(|(x, w)| x * w).sum()
}

fn sigmoid(z: f64) -> f64 {
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

fn softplus(z: f64) -> f64 {
    if z > 0.0 { z + (-z).exp().ln_1p() } else { z.exp().ln_1p() }
}

/// Solves `h x = g` for a symmetric positive definite `h`; `None` when it is not.
fn cholesky_solve<const P: usize>(h: &[[f64; P]; P], g: &[f64; P]) -> Option<[f64; P]> {
    let mut l = [[0.0; P]; P];
    for i in 0..P {
        for j in 0..=i {
            let s: f64 = (0..j).map(|k| l[i][k] * l[j][k]).sum();
            if i == j {
                let d = h[i][i] - s;
                if d <= 0.0 || !d.is_finite() {
                    return None;
                }
                l[i][j] = d.sqrt();
            } else {
                l[i][j] = (h[i][j] - s) / l[j][j];
            }
        }
    }
    let mut y = [0.0; P];
    for i in 0..P {
        let s: f64 = (0..i).map(|k| l[i][k] * y[k]).sum();
        y[i] = (g[i] - s) / l[i][i];
    }
    let mut x = [0.0; P];
    for i in (0..P).rev() {
        let s: f64 = (i + 1..P).map(|k| l[k][i] * x[k]).sum();
        x[i] = (y[i] - s) / l[i][i];
    }
    Some(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(x: &[(Factor, f32)], refunded: bool) -> RiskExample {
        let mut features = [0.0; D];
        for &(f, v) in x {
            features[f.index()] = v;
        }
        RiskExample { buyer: String::new(), features, refunded }
    }

    #[test]
    fn recovers_known_weights() {
        // A deterministic design: every combination of two flags, labels in the exact
        // proportions of a model with bias -2, effect_doubt +1.5, offer_accepted -1.
        let mut ex = Vec::new();
        for (doubt, offer) in [(0.0, 0.0), (1.0, 0.0), (0.0, 1.0), (1.0, 1.0)] {
            let z: f64 = -2.0 + 1.5 * doubt - 1.0 * offer;
            let p = sigmoid(z);
            let n = 10_000;
            let k = (p * n as f64).round() as usize;
            for i in 0..n {
                ex.push(example(
                    &[(Factor::EffectDoubt, doubt as f32), (Factor::OfferAccepted, offer as f32)],
                    i < k,
                ));
            }
        }
        let w = RiskTrainer::new().l2(0.0).train(&ex).unwrap();
        assert!((w.bias + 2.0).abs() < 0.01, "{w:?}");
        assert!((w.weights[Factor::EffectDoubt.index()] - 1.5).abs() < 0.01, "{w:?}");
        assert!((w.weights[Factor::OfferAccepted.index()] + 1.0).abs() < 0.01, "{w:?}");
        assert_eq!(w.weights[Factor::LongDwell.index()], 0.0, "a feature never seen");
        let again = RiskTrainer::new().l2(0.0).train(&ex).unwrap();
        assert_eq!(w, again, "deterministic");
    }

    #[test]
    fn separable_data_stays_finite_under_l2() {
        let ex = [
            example(&[(Factor::CancelRefundIntent, 1.0)], true),
            example(&[(Factor::CancelRefundIntent, 1.0)], true),
            example(&[], false),
            example(&[], false),
            example(&[], false),
        ];
        let w = RiskTrainer::new().train(&ex).unwrap();
        assert!(w.weights.iter().all(|x| x.is_finite() && x.abs() <= 20.0), "{w:?}");
        assert!(w.weights[Factor::CancelRefundIntent.index()] > 0.5, "{w:?}");
    }

    #[test]
    fn settings_and_degenerate_data_are_refused() {
        let ex = [example(&[], true), example(&[], false)];
        for (l2, iters) in [(-1.0, 10), (f64::NAN, 10), (1.0, 0)] {
            let e = RiskTrainer::new().l2(l2).max_iterations(iters).train(&ex).unwrap_err();
            assert!(matches!(e, Error::InvalidSetting { .. }), "{e:?}");
        }
        let one_class = [example(&[], false), example(&[], false)];
        assert!(RiskTrainer::new().train(&one_class).is_err());
    }

    #[test]
    fn auc_counts_ties_half_and_deciles_split_evenly() {
        let e = RiskEvaluation::new(&[(0.5, true), (0.5, false)]);
        assert_eq!(e.auc, 0.5);
        let e = RiskEvaluation::new(&[(0.1, true), (0.9, false)]);
        assert_eq!(e.auc, 0.0);
        let scored: Vec<(f64, bool)> = (0..100).map(|i| (i as f64 / 100.0, i % 3 == 0)).collect();
        let e = RiskEvaluation::new(&scored);
        assert_eq!(e.deciles.len(), 10);
        assert!(e.deciles.iter().all(|d| d.n == 10));
        assert!((e.deciles[0].predicted - 0.045).abs() < 1e-9);
        assert_eq!(RiskEvaluation::new(&[]).deciles.len(), 0);
    }

    #[cfg(feature = "default-data")]
    #[test]
    fn bad_lines_are_reported_and_skipped() {
        let engine = Engine::new().unwrap();
        let log = "{\"type\":\"order_paid\",\"buyer\":\"a\",\"at_ms\":1,\"order\":\"1\",\"amount_fen\":100}\n\
                   not json\n\
                   {\"type\":\"refund_requested\",\"buyer\":\"a\",\"at_ms\":5,\"order\":\"1\"}\n\
                   {\"type\":\"page_view\",\"buyer\":\"a\",\"at_ms\":9,\"page\":\"return_policy\"}\n\
                   {\"type\":\"refund_requested\",\"buyer\":\"b\",\"at_ms\":5,\"order\":\"2\"}\n";
        let d = RiskData::read(&engine, log.as_bytes());
        assert_eq!(d.errors.len(), 1);
        assert_eq!(d.errors[0].line, 2);
        assert_eq!(d.examples.len(), 1);
        assert!(d.examples[0].refunded);
        assert_eq!(d.examples[0].features[Factor::ReturnPolicyOpened.index()], 0.0, "after");
        assert_eq!(d.no_history, 1);
        assert_eq!(d.events, 1);
    }

    #[cfg(feature = "default-data")]
    #[test]
    fn a_horizon_freezes_features_but_keeps_later_labels() {
        let engine = Engine::new().unwrap();
        let h = 7_200_000;
        let log = format!(
            "{{\"type\":\"order_paid\",\"buyer\":\"a\",\"at_ms\":1000,\"order\":\"1\",\"amount_fen\":100}}\n\
             {{\"type\":\"page_view\",\"buyer\":\"a\",\"at_ms\":60000,\"page\":\"return_policy\"}}\n\
             {{\"type\":\"logistics_stalled\",\"buyer\":\"a\",\"at_ms\":{},\"hours\":48}}\n\
             {{\"type\":\"refund_requested\",\"buyer\":\"a\",\"at_ms\":{},\"order\":\"1\"}}\n",
            h * 20,
            h * 30
        );
        let all = RiskData::read(&engine, log.as_bytes());
        let cut = RiskData::read_with_horizon(&engine, log.as_bytes(), Some(h));
        let stalled = Factor::LogisticsStalled.index();
        let early = Factor::EarlyWindow.index();
        assert_eq!(all.examples[0].features[stalled], 1.0);
        assert_eq!(all.examples[0].features[early], 0.0);
        assert_eq!(cut.examples[0].features[stalled], 0.0, "after the horizon");
        assert_eq!(cut.examples[0].features[early], 1.0, "as at the last event inside it");
        assert_eq!(cut.examples[0].features[Factor::ReturnPolicyOpened.index()], 1.0);
        assert!(cut.examples[0].refunded, "the refund after the horizon still labels");
        assert_eq!((all.events, cut.events), (3, 2));
    }
}
