//! Stage 6: refund risk — a logistic model over session features, with the contribution of
//! each factor (`risk_model.tsv`, format `risk_model v1`).

use crate::data::{Source, records};
use crate::decision::{Factor, Risk};
use crate::error::Error;

const FORMAT: &str = "risk_model v1";

/// Logistic refund-risk model: `p = sigmoid(bias + Σ weight_f · x_f)`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct RiskModel {
    pub bias: f32,
    pub weights: [f32; Factor::COUNT],
}

impl RiskModel {
    /// Parses `factor  weight  [rationale]` lines; `bias` is the intercept. Later sources
    /// override single weights of earlier ones, so a merchant file may change only a few.
    pub(crate) fn parse(sources: &[Source<'_>]) -> Result<RiskModel, Error> {
        let mut m = RiskModel { bias: 0.0, weights: [0.0; Factor::COUNT] };
        let mut has_bias = false;
        for &src in sources {
            for r in records(src, FORMAT)? {
                let [name, w] = r.cols::<2>("factor, weight, rationale")?;
                let w: f32 = r.num("weight", w)?;
                if !w.is_finite() || w.abs() > 20.0 {
                    return Err(Error::OutOfRange {
                        file: r.file.into(),
                        line: r.line,
                        key: name.into(),
                        value: w.to_string(),
                        range: "a finite weight in [-20, 20]".into(),
                    });
                }
                if name == "bias" {
                    m.bias = w;
                    has_bias = true;
                } else {
                    let f = Factor::from_name(name).ok_or_else(|| {
                        r.error(format!(
                            "unknown factor `{name}`; known: bias, {}",
                            Factor::ALL.map(Factor::as_str).join(", ")
                        ))
                    })?;
                    m.weights[f.index()] = w;
                }
            }
        }
        if !has_bias {
            return Err(Error::parse(
                sources.first().map_or("risk_model.tsv", |s| s.0),
                1,
                "no `bias` line; add `bias<TAB>-1.93` (the log-odds of a 12.7% base rate)",
            ));
        }
        Ok(m)
    }

    /// Scores a feature vector. Allocation-free.
    pub(crate) fn score(&self, x: &[f32; Factor::COUNT]) -> Risk {
        let mut contributions = [0.0; Factor::COUNT];
        let mut z = self.bias;
        for i in 0..Factor::COUNT {
            contributions[i] = self.weights[i] * x[i];
            z += contributions[i];
        }
        Risk { probability: sigmoid(z), contributions }
    }
}

/// The logistic function, safe for any finite or infinite input.
pub(crate) fn sigmoid(z: f32) -> f32 {
    if z >= 0.0 { 1.0 / (1.0 + (-z).exp()) } else { z.exp() / (1.0 + z.exp()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "default-data")]
    #[test]
    fn default_base_rate_is_12_7_percent() {
        let m = RiskModel::parse(&[("risk_model.tsv", crate::data::embedded::RISK)]).unwrap();
        let p = m.score(&[0.0; Factor::COUNT]).probability;
        assert!((p - 0.127).abs() < 0.002, "base rate {p}, help: bias must be ln(0.127/0.873)");
    }

    #[test]
    fn contributions_sum_to_the_logit() {
        let mut m = RiskModel { bias: -2.0, weights: [0.0; Factor::COUNT] };
        m.weights[Factor::EffectDoubt.index()] = 0.8;
        m.weights[Factor::OfferAccepted.index()] = -1.0;
        let mut x = [0.0; Factor::COUNT];
        x[Factor::EffectDoubt.index()] = 1.0;
        x[Factor::OfferAccepted.index()] = 1.0;
        let r = m.score(&x);
        let z: f32 = -2.0 + r.contributions.iter().sum::<f32>();
        assert!((r.probability - sigmoid(z)).abs() < 1e-6);
        assert_eq!(r.top_factors(1).next().unwrap().0, Factor::OfferAccepted);
    }

    #[test]
    fn sigmoid_is_finite_everywhere() {
        for z in [f32::NEG_INFINITY, -1e30, -50.0, 0.0, 50.0, 1e30, f32::INFINITY] {
            let p = sigmoid(z);
            assert!((0.0..=1.0).contains(&p), "{z} -> {p}");
        }
    }
}
