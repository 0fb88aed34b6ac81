//! Naive-Bayes-weighted features for the linear trainers (NB-SVM / NB-LR, Wang & Manning 2012,
//! "Baselines and Bigrams").
//!
//! Before fitting, every feature's value is multiplied by how much its presence tells the
//! classes apart on the training rows: for class `c` against the rest, the log-count ratio
//!
//! ```text
//! r[f][c] = ln( (p[f][c] / |p[c]|_1) / (q[f][c] / |q[c]|_1) )
//! p[f][c] = alpha + weighted number of rows of class c containing f
//! q[f][c] = alpha + weighted number of rows of the other classes containing f
//! ```
//!
//! and the feature's factor is `(1 - beta) + beta * max_c |r[f][c]|` (one factor per feature,
//! shared by all classes, so the model stays one linear model over the same features). The
//! factor folds into the written weights exactly like the IDF factor does, so the runtime model,
//! its feature set and its hashing are unchanged: only the fitted weights differ. Rule features
//! keep a factor of 1.

use super::{Encoded, IntentTrainer};
use crate::error::Error;
use crate::pipeline::intent::RULE_PREFIX;

/// The NB-weighting settings: smoothing `alpha` (> 0) and interpolation `beta` in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct NbScale {
    alpha: f32,
    beta: f32,
}

impl IntentTrainer {
    /// Scales every feature by its naive-Bayes log-count ratio before fitting (NB-LR / NB-SVM):
    /// `alpha` smooths the counts (> 0, at most 1000), `beta` in [0, 1] interpolates between
    /// plain features (0) and fully NB-scaled ones (1). The factors fold into the written
    /// weights, so the model file keeps its format and features. Default: off.
    ///
    /// ```
    /// use kefu::train::{Algorithm, IntentTrainer};
    /// let mut t = IntentTrainer::new();
    /// t.algorithm(Algorithm::LogisticRegression).nb_scale(1.0, 1.0);
    /// let m = t.train(&[("pos", "很好吃"), ("neg", "太难吃了"), ("pos", "好吃"), ("neg", "难吃")])?;
    /// assert_eq!(m.predict("好吃").0, "pos");
    /// # Ok::<(), kefu::Error>(())
    /// ```
    pub fn nb_scale(&mut self, alpha: f32, beta: f32) -> &mut Self {
        self.nb = Some(NbScale { alpha, beta });
        self
    }
}

/// `Ok` when the settings are in range (or NB weighting is off).
pub(super) fn check(nb: Option<NbScale>) -> Result<(), Error> {
    let Some(s) = nb else { return Ok(()) };
    let bad = |setting: &str, value: f32, expected: &str| {
        Err(Error::InvalidSetting {
            setting: format!("IntentTrainer::nb_scale {setting}"),
            value: value.to_string(),
            expected: expected.into(),
        })
    };
    if !(s.alpha.is_finite() && s.alpha > 0.0 && s.alpha <= 1000.0) {
        return bad("alpha", s.alpha, "a number above 0, at most 1000");
    }
    if !(s.beta.is_finite() && (0.0..=1.0).contains(&s.beta)) {
        return bad("beta", s.beta, "a number from 0 to 1");
    }
    Ok(())
}

/// Multiplies the values of `d`'s documents by the NB factors (see the module docs) and records
/// the factors in `d.scale` (combined with an IDF factor already there).
pub(super) fn apply(d: &mut Encoded, k: usize, s: Option<NbScale>) {
    let Some(NbScale { alpha, beta }) = s else { return };
    let v = d.vocab.len();
    if v == 0 || k < 2 {
        return;
    }
    // Weighted number of rows of each class containing each feature (presence, not count).
    let mut cnt = vec![0.0f64; v * k];
    for doc in &d.docs {
        for &(f, _) in &doc.feats {
            cnt[f as usize * k + doc.label as usize] += doc.weight as f64;
        }
    }
    let a = alpha as f64;
    let mut feat_tot = vec![0.0f64; v];
    let mut class_tot = vec![0.0f64; k];
    for f in 0..v {
        for c in 0..k {
            feat_tot[f] += cnt[f * k + c];
            class_tot[c] += cnt[f * k + c];
        }
    }
    let all: f64 = class_tot.iter().sum();
    // L1 norms of the smoothed p and q vectors of each class.
    let p_norm: Vec<f64> = class_tot.iter().map(|&t| t + a * v as f64).collect();
    let q_norm: Vec<f64> = class_tot.iter().map(|&t| all - t + a * v as f64).collect();
    let mut factor = vec![1.0f32; v];
    for (f, x) in factor.iter_mut().enumerate() {
        let mut m = 0.0f64;
        for c in 0..k {
            let p = (cnt[f * k + c] + a) / p_norm[c];
            let q = (feat_tot[f] - cnt[f * k + c] + a) / q_norm[c];
            m = m.max((p / q).ln().abs());
        }
        *x = ((1.0 - beta as f64) + beta as f64 * m) as f32;
    }
    for (name, &f) in &d.vocab {
        if name.starts_with(RULE_PREFIX) {
            factor[f as usize] = 1.0;
        }
    }
    for doc in &mut d.docs {
        doc.feats.iter_mut().for_each(|(f, x)| *x *= factor[*f as usize]);
    }
    if d.scale.is_empty() {
        d.scale = factor;
    } else {
        d.scale.iter_mut().zip(&factor).for_each(|(s, x)| *s *= x);
    }
}

#[cfg(test)]
mod tests {
    use crate::error::Error;
    use crate::train::{Algorithm, IntentTrainer};

    const EX: [(&str, &str); 6] = [
        ("pos", "很好吃,下次还来"),
        ("neg", "太难吃了"),
        ("pos", "好吃又便宜"),
        ("neg", "难吃还贵"),
        ("pos", "味道很好"),
        ("neg", "味道很差"),
    ];

    #[test]
    fn scaled_model_scores_as_its_text_says() {
        let mut t = IntentTrainer::new();
        t.algorithm(Algorithm::LogisticRegression).epochs(30).prune(0.0).nb_scale(1.0, 1.0);
        let m = t.train(&EX).unwrap();
        assert_eq!(m.predict("好吃").0, "pos");
        assert_eq!(m.predict("难吃").0, "neg");
        // The factors are folded into the written weights: the text loads into an engine-side
        // model that scores the same, and differs from the unscaled fit.
        let plain = {
            let mut t = IntentTrainer::new();
            t.algorithm(Algorithm::LogisticRegression).epochs(30).prune(0.0);
            t.train(&EX).unwrap()
        };
        assert_ne!(m.to_tsv(), plain.to_tsv());
        let again = t.train(&EX).unwrap();
        assert_eq!(m.to_tsv(), again.to_tsv(), "deterministic");
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        for (a, b) in [(0.0, 1.0), (f32::NAN, 0.5), (1.0, 1.5), (1.0, -0.1), (2000.0, 0.5)] {
            let mut t = IntentTrainer::new();
            t.nb_scale(a, b);
            let e = t.train(&EX).unwrap_err();
            assert!(matches!(e, Error::InvalidSetting { .. }), "{a} {b}: {e:?}");
        }
    }
}
