//! Training: fit an intent classifier from labeled text.
//!
//! [`IntentTrainer`] fits a linear model over the same features the engine computes at run
//! time (by default jieba words and character 1- and 2-grams of the normalised text; word pairs,
//! trigrams and start/end markers are options) and writes it in the `intent_model v1` format that
//! [`EngineBuilder::intent_model`](crate::EngineBuilder::intent_model) loads. Any label set
//! works: the 21 intents of the default catalogue, a merchant's own, or a public corpus's.
//! For large label sets, an opt-in hidden layer of ReLU units ([`IntentTrainer::hidden`]) is
//! fitted next to the linear model and mixed into its scores.
//!
//! The default model in `data/intent_model.tsv` is rebuilt with
//!
//! ```text
//! cargo run --release --example train_intents -- --train data/train/cs_messages_train.tsv \
//!     --add data/train/kefu_extra.tsv --add data/train/kefu_extra2.tsv --add data/train/kefu_extra3.tsv \
//!     --add data/train/kefu_extra4.tsv --add data/train/kefu_extra5.tsv \
//!     --add data/train/kefu_extra6.tsv --add data/train/kefu_extra9.tsv \
//!     --add data/train/kefu_extra10.tsv --add data/train/kefu_extra11.tsv --rules data/rules.tsv \
//!     --extra data/train/jddc_train.tsv --extra-map data/train/jddc_taxonomy_map.tsv \
//!     --out data/intent_model.tsv
//! ```
//!
//! # Examples
//!
//! ```
//! use kefu::train::IntentTrainer;
//!
//! let examples = [
//!     ("refund_request", "我要退款"),
//!     ("refund_request", "退款什么时候到账"),
//!     ("refund_request", "钱退给我"),
//!     ("greeting", "在吗"),
//!     ("greeting", "你好"),
//!     ("greeting", "有人吗"),
//! ];
//! let model = IntentTrainer::new().epochs(30).train(&examples)?;
//! assert_eq!(model.predict("退款").0, "refund_request");
//!
//! // The model text loads into an engine whose catalogue knows its intents.
//! let engine = kefu::Engine::builder().intent_model("shop_model.tsv", &model.to_tsv()).build()?;
//! let mut s = engine.session();
//! let d = s.on_event(&kefu::Event::buyer_says(0, "在吗在吗"));
//! assert_eq!(d.intent().unwrap().id, "greeting");
//! # Ok::<(), kefu::Error>(())
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::{Arc, OnceLock};

use crate::error::Error;
use crate::pipeline::intent::{
    FeatureSpec, LinearModel, MODEL_FORMAT, RULE_DECISIVE, RULE_PREFIX, RuleMatcher,
    feature_string, rule_value,
};
use crate::pipeline::normalize::Normalizer;
use crate::pipeline::tokenize::Tokenizer;

/// The learning algorithm of an [`IntentTrainer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Algorithm {
    /// Multinomial logistic regression (softmax), L2-regularised, fitted by AdaGrad.
    LogisticRegression,
    /// Complement naive Bayes (Rennie et al. 2003): one counting pass, no iterations.
    ComplementNaiveBayes,
    /// The sum of the [`members`](IntentTrainer::ensemble) (default: logistic regression and
    /// the linear SVM), each scaled by its own calibrated temperature. The default: it scored
    /// best in cross-validation on both the bundled shop messages and JDDC (`data/README.md`).
    #[default]
    Ensemble,
    /// One-vs-rest linear support vector machines (L2-regularised squared hinge loss), fitted
    /// by dual coordinate descent (Hsieh et al. 2008, as in LIBLINEAR); the softmax of the
    /// margins, divided by the fitted temperature, gives the probabilities.
    LinearSvm,
}

/// Normaliser and segmenter, exactly as a default engine builds them.
struct Prep {
    normalizer: Normalizer,
    tokenizer: Tokenizer,
}

impl fmt::Debug for Prep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Prep").finish_non_exhaustive()
    }
}

impl Prep {
    fn build() -> Result<Prep, Error> {
        #[cfg(feature = "default-data")]
        let dicts = [("data/user_dict.txt", crate::data::embedded::USER_DICT)];
        #[cfg(not(feature = "default-data"))]
        let dicts: [(&str, &str); 0] = [];
        Ok(Prep { normalizer: Normalizer::new(), tokenizer: Tokenizer::build(&dicts, &[], false)? })
    }

    /// Normalises and cuts `text` into the given buffers.
    fn run(&self, text: &str, norm: &mut String, tokens: &mut Vec<std::ops::Range<u32>>) {
        self.normalizer.run(text, norm);
        self.tokenizer.cut(norm, tokens);
    }
}

/// Fits an intent classifier from `(label, text)` pairs.
///
/// Setters take `&mut self` and return it, and [`IntentTrainer::train`] takes `&self`, so one
/// trainer can fit many models. Training is deterministic for a given [`seed`](Self::seed).
///
/// # Examples
///
/// ```
/// use kefu::train::{Algorithm, IntentTrainer};
/// let mut t = IntentTrainer::new();
/// t.algorithm(Algorithm::LogisticRegression).epochs(20).l2(1e-4).seed(7);
/// let m = t.train(&[("a", "我要发票"), ("b", "怎么还不发货"), ("a", "开个发票")])?;
/// assert_eq!(m.labels(), ["a", "b"]);
/// # Ok::<(), kefu::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IntentTrainer {
    algorithm: Algorithm,
    epochs: u32,
    l2: f32,
    learning_rate: f32,
    alpha: f32,
    svm_c: f32,
    members: Vec<Algorithm>,
    seed: u64,
    calibration_folds: u32,
    prune: f32,
    average: bool,
    min_count: u32,
    idf: bool,
    nb: Option<nb::NbScale>,
    hidden: u32,
    hidden_mix: f32,
    hidden_epochs: u32,
    hidden_nets: u32,
    features: FeatureSpec,
    rules: Vec<(String, String)>,
    prep: OnceLock<Arc<Prep>>,
}

impl Default for IntentTrainer {
    fn default() -> Self {
        IntentTrainer {
            algorithm: Algorithm::default(),
            epochs: 20,
            l2: 1e-5,
            learning_rate: 0.2,
            alpha: 0.3,
            svm_c: 2.0,
            members: vec![Algorithm::LogisticRegression, Algorithm::LinearSvm],
            seed: 1,
            calibration_folds: 5,
            prune: 0.2,
            average: true,
            min_count: 2,
            idf: false,
            nb: None,
            hidden: 0,
            hidden_mix: 0.6,
            hidden_epochs: 10,
            hidden_nets: 1,
            features: FeatureSpec::default(),
            rules: Vec::new(),
            prep: OnceLock::new(),
        }
    }
}

impl IntentTrainer {
    /// A trainer with the defaults chosen by cross-validation on the bundled training data.
    pub fn new() -> IntentTrainer {
        IntentTrainer::default()
    }

    /// The learning algorithm (default: [`Algorithm::Ensemble`] of logistic regression and the
    /// linear SVM).
    pub fn algorithm(&mut self, a: Algorithm) -> &mut Self {
        self.algorithm = a;
        self
    }

    /// Passes over the data for logistic regression (default 20; 1 to 10,000).
    pub fn epochs(&mut self, n: u32) -> &mut Self {
        self.epochs = n;
        self
    }

    /// L2 penalty per update for logistic regression (default 1e-5; 0 to 1).
    pub fn l2(&mut self, l2: f32) -> &mut Self {
        self.l2 = l2;
        self
    }

    /// AdaGrad base learning rate for logistic regression (default 0.2; above 0, at most 100).
    pub fn learning_rate(&mut self, lr: f32) -> &mut Self {
        self.learning_rate = lr;
        self
    }

    /// Whether logistic regression returns the mean of its weights over the second half of
    /// the epochs instead of the last weights (default on).
    pub fn average(&mut self, yes: bool) -> &mut Self {
        self.average = yes;
        self
    }

    /// Features seen in fewer training messages than this are not written to the model
    /// (default 2). Their weights are still learned; dropping them keeps the file small at no
    /// measurable cost in cross-validation.
    pub fn min_count(&mut self, n: u32) -> &mut Self {
        self.min_count = n;
        self
    }

    /// Whether training scales each feature by its inverse document frequency,
    /// `ln((1 + n) / (1 + df)) + 1` (default off). The scale is folded into the written
    /// weights, so the model file and the engine are unchanged.
    pub fn idf(&mut self, yes: bool) -> &mut Self {
        self.idf = yes;
        self
    }

    /// Additive smoothing of complement naive Bayes (default 0.3; above 0, at most 1,000).
    pub fn alpha(&mut self, a: f32) -> &mut Self {
        self.alpha = a;
        self
    }

    /// Cost `C` of the linear SVM: larger fits the training data more closely (default 2;
    /// above 0, at most 1,000). An example's weight multiplies its cost.
    pub fn svm_c(&mut self, c: f32) -> &mut Self {
        self.svm_c = c;
        self
    }

    /// The members of [`Algorithm::Ensemble`] (default: logistic regression and the linear
    /// SVM). An `Ensemble` among them is ignored; an empty list keeps the default.
    pub fn ensemble(&mut self, members: &[Algorithm]) -> &mut Self {
        let m: Vec<Algorithm> =
            members.iter().copied().filter(|&a| a != Algorithm::Ensemble).collect();
        if !m.is_empty() {
            self.members = m;
        }
        self
    }

    /// Seed of the example order (default 1).
    pub fn seed(&mut self, seed: u64) -> &mut Self {
        self.seed = seed;
        self
    }

    /// Folds of the cross-validation that fits the temperature (default 5; below 2 the
    /// temperature stays 1; at most 50).
    pub fn calibration_folds(&mut self, k: u32) -> &mut Self {
        self.calibration_folds = k;
        self
    }

    /// Weights smaller than this in magnitude are dropped from the written model (default 0.2;
    /// 0 keeps every weight).
    pub fn prune(&mut self, p: f32) -> &mut Self {
        self.prune = p;
        self
    }

    /// The feature kinds, as on the model's `@features` line: any of `w` (words), `wb` (word
    /// pairs), `c1`, `c2`, `c3` (character n-grams up to that length), `bounds` (start/end
    /// markers), `digits0` (every digit reads as 0), `sqrt` (values 1/sqrt(feature count)).
    /// Default: `w c1 c2 sqrt` (the best of the sets tried in cross-validation, see
    /// `data/README.md`).
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] naming an unknown kind.
    pub fn features(&mut self, spec: &str) -> Result<&mut Self, Error> {
        self.features =
            FeatureSpec::parse(spec).map_err(|m| Error::parse("IntentTrainer::features", 1, m))?;
        Ok(self)
    }

    /// Adds a hidden layer of `units` ReLU units (0, the default: none) over the messages'
    /// L2-normalised TF-IDF vectors, fitted by Adam next to the linear model; the engine
    /// mixes the two models' scores as `(1 - mix) * linear + mix * hidden`
    /// ([`hidden_mix`](Self::hidden_mix)).
    ///
    /// The network errs differently from the linear models, so the mixture is more accurate
    /// than either on large label sets: on JDDC's 123 intents, 128 units raise 5-fold CV
    /// accuracy on train by more than a point (`data/README.md`). It costs a dense row of
    /// `units` weights per input feature in the model file and several microseconds per
    /// message, so the default 21-intent model goes without. At most 1024 units.
    ///
    /// # Examples
    ///
    /// ```
    /// use kefu::train::IntentTrainer;
    /// let ex = [("a", "我要发票"), ("b", "怎么还不发货"), ("a", "开个发票"), ("b", "快点发货")];
    /// let m = IntentTrainer::new().hidden(8).hidden_epochs(20).train(&ex)?;
    /// assert!(m.to_tsv().contains("@hidden\t8\t0.6"));
    /// assert_eq!(m.predict("发票").0, "a");
    /// # Ok::<(), kefu::Error>(())
    /// ```
    pub fn hidden(&mut self, units: u32) -> &mut Self {
        self.hidden = units;
        self
    }

    /// The weight `mix` of the hidden layer's scores, from 0 to 1 (default 0.6: the best of
    /// 0.5 / 0.6 / 0.7 / 0.8 in 5-fold CV on JDDC train with 128 units, `data/README.md`).
    pub fn hidden_mix(&mut self, mix: f32) -> &mut Self {
        self.hidden_mix = mix;
        self
    }

    /// Trains `n` networks of [`hidden`](Self::hidden) units each, from different random
    /// starts, and writes them as one layer of `n × units` units whose score is their mean
    /// (default 1). Averaging lowers the variance of a single network's random start.
    pub fn hidden_nets(&mut self, n: u32) -> &mut Self {
        self.hidden_nets = n;
        self
    }

    /// Passes of the hidden layer's training over the examples (default 10).
    pub fn hidden_epochs(&mut self, n: u32) -> &mut Self {
        self.hidden_epochs = n;
        self
    }

    /// Adds a `rules v1` text whose rules become evidence the model learns to weigh.
    ///
    /// Each rule that matches a message adds its weight to the rule feature `r:INTENT` of its
    /// intent (value `clamp(sum, -10, 10) / 5`, not scaled by the message length), and the
    /// model learns how much every intent's rule evidence speaks for each label, jointly with
    /// the n-gram weights; the temperature is then fitted on the fused scores, so the engine's
    /// rule + model probabilities are calibrated. The model lists the ids of these rules on
    /// its `@rules` line: an engine adds the learned weights for them, and the plain weight
    /// (log-odds) for any other rule, such as a merchant's keyword added later. Rules for an
    /// intent that no example carries are ignored, and so are rules of weight 10 or more (in
    /// magnitude): those decide on their own, so the engine adds their plain weight after the
    /// model (`投诉` → complaint). Call it once per file (default: none).
    ///
    /// # Examples
    ///
    /// ```
    /// use kefu::train::IntentTrainer;
    /// let rules = "#format rules v1\nr1\tinvoice\tkeyword\t发票\t5\n";
    /// let m = IntentTrainer::new()
    ///     .rules("shop_rules.tsv", rules)
    ///     .train(&[("invoice", "开个发票"), ("other", "你好"), ("invoice", "要专票"), ("other", "哈哈")])?;
    /// assert!(m.to_tsv().contains("@rules\tr1"));
    /// # Ok::<(), kefu::Error>(())
    /// ```
    pub fn rules(&mut self, file: &str, text: &str) -> &mut Self {
        self.rules.push((file.into(), text.into()));
        self
    }

    /// Every setting in its range, or the first that is not.
    fn check(&self) -> Result<(), Error> {
        let bad = |setting: &str, value: String, expected: &str| {
            Err(Error::InvalidSetting {
                setting: format!("IntentTrainer::{setting}"),
                value,
                expected: expected.into(),
            })
        };
        let finite_in = |x: f32, lo: f32, hi: f32| x.is_finite() && x >= lo && x <= hi;
        if !(1..=10_000).contains(&self.epochs) {
            return bad("epochs", self.epochs.to_string(), "1 to 10000");
        }
        if !finite_in(self.l2, 0.0, 1.0) {
            return bad("l2", self.l2.to_string(), "a number from 0 to 1");
        }
        if !(finite_in(self.learning_rate, 0.0, 100.0) && self.learning_rate > 0.0) {
            return bad(
                "learning_rate",
                self.learning_rate.to_string(),
                "a number above 0, at most 100",
            );
        }
        if !(finite_in(self.alpha, 0.0, 1000.0) && self.alpha > 0.0) {
            return bad("alpha", self.alpha.to_string(), "a number above 0, at most 1000");
        }
        if !(finite_in(self.svm_c, 0.0, 1000.0) && self.svm_c > 0.0) {
            return bad("svm_c", self.svm_c.to_string(), "a number above 0, at most 1000");
        }
        if !finite_in(self.prune, 0.0, f32::MAX) {
            return bad("prune", self.prune.to_string(), "a finite number of at least 0");
        }
        if self.calibration_folds > 50 {
            return bad("calibration_folds", self.calibration_folds.to_string(), "0 to 50");
        }
        if self.hidden as usize > crate::pipeline::hidden::MAX_UNITS {
            return bad("hidden", self.hidden.to_string(), "0 to 1024");
        }
        if self.hidden_nets == 0
            || self.hidden as usize * self.hidden_nets as usize > crate::pipeline::hidden::MAX_UNITS
        {
            return bad(
                "hidden_nets",
                self.hidden_nets.to_string(),
                "at least 1, with hidden units x nets at most 1024",
            );
        }
        if !finite_in(self.hidden_mix, 0.0, 1.0) {
            return bad("hidden_mix", self.hidden_mix.to_string(), "a number from 0 to 1");
        }
        if !(1..=10_000).contains(&self.hidden_epochs) {
            return bad("hidden_epochs", self.hidden_epochs.to_string(), "1 to 10000");
        }
        nb::check(self.nb)
    }

    fn prep(&self) -> Result<Arc<Prep>, Error> {
        if let Some(p) = self.prep.get() {
            return Ok(p.clone());
        }
        let p = Arc::new(Prep::build()?);
        Ok(self.prep.get_or_init(|| p).clone())
    }

    /// Fits a model on `(label, text)` pairs, each of weight 1.
    ///
    /// # Errors
    ///
    /// [`Error::Parse`] when there are no examples, fewer than two labels, or a label the model
    /// format cannot carry (empty, with a tab, newline or outer spaces, or starting with `@` or
    /// `#`); [`Error::InvalidSetting`] for a setting out of its documented range.
    pub fn train(&self, examples: &[(&str, &str)]) -> Result<IntentModel, Error> {
        let w: Vec<(&str, &str, f32)> = examples.iter().map(|&(l, t)| (l, t, 1.0)).collect();
        self.train_weighted(&w)
    }

    /// Fits a model on `(label, text, weight)` triples: a weight below 1 lets a large corpus
    /// from another shop or platform help without outvoting the shop's own examples.
    ///
    /// # Errors
    ///
    /// As [`IntentTrainer::train`]; also a weight that is negative or not finite, and
    /// [`Error::InvalidSetting`] for a setting out of its documented range.
    pub fn train_weighted(&self, examples: &[(&str, &str, f32)]) -> Result<IntentModel, Error> {
        const WHERE: &str = "IntentTrainer::train";
        self.check()?;
        let prep = self.prep()?;
        let mut labels: Vec<String> = Vec::new();
        let mut label_ix: HashMap<&str, u16> = HashMap::new();
        for (i, &(l, _, w)) in examples.iter().enumerate() {
            if l.trim().is_empty()
                || l.trim() != l
                || l.contains(|c: char| c.is_control())
                || l.starts_with(['@', '#'])
            {
                return Err(Error::parse(
                    WHERE,
                    i + 1,
                    format!(
                        "label `{l}` must be non-empty, without tabs, newlines or outer spaces, and not start with @ or #"
                    ),
                ));
            }
            if !(w.is_finite() && w >= 0.0) {
                return Err(Error::parse(
                    WHERE,
                    i + 1,
                    format!("weight {w} must be finite and >= 0"),
                ));
            }
            if !label_ix.contains_key(l) {
                if labels.len() >= u16::MAX as usize - 1 {
                    return Err(Error::TooLarge {
                        file: WHERE.into(),
                        what: "the number of labels".into(),
                        limit: u16::MAX as usize - 1,
                    });
                }
                label_ix.insert(l, labels.len() as u16);
                labels.push(l.to_owned());
            }
        }
        if labels.len() < 2 {
            return Err(Error::parse(WHERE, 1, "at least two distinct labels are needed"));
        }
        let srcs: Vec<(&str, &str)> =
            self.rules.iter().map(|(f, t)| (f.as_str(), t.as_str())).collect();
        let rules = if srcs.is_empty() {
            None
        } else {
            // Decisive rules stay out of the features: the engine adds them as log-odds.
            let m = RuleMatcher::build(&prep.normalizer, &srcs, |_, _, intent, w| {
                Ok(label_ix.get(intent).copied().filter(|_| w.abs() < RULE_DECISIVE))
            })?;
            Some(Arc::new(m))
        };
        let mut data = Encoded::new(
            &prep,
            self.features,
            rules.as_deref(),
            examples,
            &labels,
            &label_ix,
            self.idf,
        );
        let k = labels.len();
        // The hidden layer reads plain counts: it is fitted before any NB re-weighting.
        let hidden = (self.hidden > 0).then(|| self.fit_hidden(&data, k));
        nb::apply(&mut data, k, self.nb);
        let all: Vec<usize> = (0..data.docs.len()).collect();

        let (weights, bias, temperature) = match self.algorithm {
            Algorithm::LogisticRegression
            | Algorithm::ComplementNaiveBayes
            | Algorithm::LinearSvm => {
                let (w, b) = self.fit(self.algorithm, &data, &all, k);
                let t = self.temperature(&data, k, |tr| self.fit(self.algorithm, &data, tr, k));
                (w, b, t)
            }
            Algorithm::Ensemble => {
                // Each member is scaled by its own temperature, so none dominates by scale.
                let temps: Vec<f32> = self
                    .members
                    .iter()
                    .map(|&a| self.temperature(&data, k, |tr| self.fit(a, &data, tr, k)))
                    .collect();
                let combine = |tr: &[usize]| {
                    let mut w = vec![0.0f32; data.vocab.len() * k];
                    let mut b = vec![0.0f32; k];
                    for (&a, &t) in self.members.iter().zip(&temps) {
                        let (w2, b2) = self.fit(a, &data, tr, k);
                        w.iter_mut().zip(&w2).for_each(|(x, c)| *x += c / t);
                        b.iter_mut().zip(&b2).for_each(|(x, c)| *x += c / t);
                    }
                    (w, b)
                };
                let (w, b) = combine(&all);
                let t = self.temperature(&data, k, combine);
                (w, b, t)
            }
        };

        let tsv = self.write(
            &data,
            &labels,
            rules.as_deref(),
            &weights,
            &bias,
            temperature,
            examples.len(),
            hidden.as_ref(),
        );
        let linear = LinearModel::parse(("IntentTrainer::train", &tsv))?;
        Ok(IntentModel { tsv, linear, prep, rules })
    }

    /// Fits dense weights (`features x classes`) and biases on the documents `subset`.
    fn fit(&self, alg: Algorithm, d: &Encoded, subset: &[usize], k: usize) -> (Vec<f32>, Vec<f32>) {
        match alg {
            Algorithm::ComplementNaiveBayes => self.fit_cnb(d, subset, k),
            Algorithm::LinearSvm => self.fit_svm(d, subset, k),
            _ => self.fit_lr(d, subset, k),
        }
    }

    fn fit_lr(&self, d: &Encoded, subset: &[usize], k: usize) -> (Vec<f32>, Vec<f32>) {
        let v = d.vocab.len();
        let mut w = vec![0.0f32; v * k];
        // One AdaGrad accumulator per feature row (not per weight): a class whose gradient is
        // tiny then takes a tiny step, which keeps most weights near zero and prunable.
        let mut g2 = vec![0.0f32; v];
        let mut b = vec![0.0f32; k];
        let mut gb = vec![0.0f32; k];
        let mut order = subset.to_vec();
        let mut rng = Rng::new(self.seed);
        let mut z = vec![0.0f32; k];
        let lr = self.learning_rate;
        const EPS: f32 = 1e-6;
        // Averaging the weights of the second half of the epochs (Polyak averaging) smooths
        // the noise of the last SGD steps.
        let mut avg_w = vec![0.0f32; if self.average { v * k } else { 0 }];
        let mut avg_b = vec![0.0f32; k];
        let mut n_avg = 0u32;
        for epoch in 0..self.epochs {
            if self.average && epoch * 2 >= self.epochs {
                avg_w.iter_mut().zip(&w).for_each(|(a, x)| *a += x);
                avg_b.iter_mut().zip(&b).for_each(|(a, x)| *a += x);
                n_avg += 1;
            }
            rng.shuffle(&mut order);
            for &i in &order {
                let doc = &d.docs[i];
                if doc.weight == 0.0 {
                    continue;
                }
                z.copy_from_slice(&b);
                for &(f, x) in &doc.feats {
                    let row = &w[f as usize * k..(f as usize + 1) * k];
                    z.iter_mut().zip(row).for_each(|(zz, ww)| *zz += ww * x);
                }
                softmax(&mut z);
                // z now holds the gradient of the loss w.r.t. the scores.
                z[doc.label as usize] -= 1.0;
                z.iter_mut().for_each(|g| *g *= doc.weight);
                for c in 0..k {
                    let g = z[c];
                    gb[c] += g * g;
                    b[c] -= lr * g / (gb[c] + EPS).sqrt();
                }
                let gz: f32 = z.iter().map(|g| g * g).sum::<f32>() / k as f32;
                for &(f, x) in &doc.feats {
                    let base = f as usize * k;
                    let row = &mut w[base..base + k];
                    let acc = &mut g2[f as usize];
                    *acc += gz * x * x;
                    let step = lr / (*acc + EPS).sqrt();
                    for c in 0..k {
                        row[c] -= step * (z[c] * x + self.l2 * row[c]);
                    }
                }
            }
        }
        if self.average && n_avg > 0 {
            // The running sums include the state before each averaged epoch; add the final one.
            avg_w.iter_mut().zip(&w).for_each(|(a, x)| *a = (*a + x) / (n_avg + 1) as f32);
            avg_b.iter_mut().zip(&b).for_each(|(a, x)| *a = (*a + x) / (n_avg + 1) as f32);
            return (avg_w, avg_b);
        }
        (w, b)
    }

    /// One-vs-rest L2-loss linear SVMs by dual coordinate descent. The bias is the weight of a
    /// constant feature of value 1 (regularised like the others, as in LIBLINEAR's `-B 1`).
    fn fit_svm(&self, d: &Encoded, subset: &[usize], k: usize) -> (Vec<f32>, Vec<f32>) {
        let v = d.vocab.len();
        let mut w = vec![0.0f32; v * k];
        let mut b = vec![0.0f32; k];
        // Squared norm of each document, plus 1 for the bias feature.
        let qn: Vec<f32> = subset
            .iter()
            .map(|&i| 1.0 + d.docs[i].feats.iter().map(|(_, x)| x * x).sum::<f32>())
            .collect();
        let mut wc = vec![0.0f32; v];
        let mut alpha = vec![0.0f32; subset.len()];
        let mut order: Vec<usize> = (0..subset.len()).collect();
        let mut rng = Rng::new(self.seed);
        for c in 0..k {
            wc.iter_mut().for_each(|x| *x = 0.0);
            alpha.iter_mut().for_each(|x| *x = 0.0);
            let mut bc = 0.0f32;
            for _ in 0..self.epochs {
                rng.shuffle(&mut order);
                let mut max_pg = 0.0f32;
                for &j in &order {
                    let doc = &d.docs[subset[j]];
                    if doc.weight == 0.0 {
                        continue;
                    }
                    let y = if doc.label as usize == c { 1.0 } else { -1.0 };
                    // Diagonal term of the squared hinge loss: 1 / (2 C_i).
                    let dii = 0.5 / (self.svm_c * doc.weight);
                    let mut dot = bc;
                    for &(f, x) in &doc.feats {
                        dot += wc[f as usize] * x;
                    }
                    let g = y * dot - 1.0 + dii * alpha[j];
                    let pg = if alpha[j] == 0.0 { g.min(0.0) } else { g };
                    max_pg = max_pg.max(pg.abs());
                    if pg != 0.0 {
                        let old = alpha[j];
                        alpha[j] = (old - g / (qn[j] + dii)).max(0.0);
                        let step = (alpha[j] - old) * y;
                        for &(f, x) in &doc.feats {
                            wc[f as usize] += step * x;
                        }
                        bc += step;
                    }
                }
                if max_pg < 1e-3 {
                    break;
                }
            }
            for f in 0..v {
                w[f * k + c] = wc[f];
            }
            b[c] = bc;
        }
        (w, b)
    }

    fn fit_cnb(&self, d: &Encoded, subset: &[usize], k: usize) -> (Vec<f32>, Vec<f32>) {
        let v = d.vocab.len();
        let mut counts = vec![0.0f64; v * k];
        for &i in subset {
            let doc = &d.docs[i];
            for &(f, x) in &doc.feats {
                counts[f as usize * k + doc.label as usize] += (x * doc.weight) as f64;
            }
        }
        let mut class_tot = vec![0.0f64; k];
        let mut feat_tot = vec![0.0f64; v];
        for f in 0..v {
            for c in 0..k {
                class_tot[c] += counts[f * k + c];
                feat_tot[f] += counts[f * k + c];
            }
        }
        let all: f64 = class_tot.iter().sum();
        let alpha = self.alpha as f64;
        let mut w = vec![0.0f32; v * k];
        let mut row = vec![0.0f64; k];
        for f in 0..v {
            for c in 0..k {
                let comp = feat_tot[f] - counts[f * k + c];
                let denom = all - class_tot[c] + alpha * v as f64;
                row[c] = -((comp + alpha) / denom).ln();
            }
            // Centring a feature's weights across classes leaves every decision unchanged and
            // makes most of them small enough to prune.
            let mean = row.iter().sum::<f64>() / k as f64;
            for c in 0..k {
                w[f * k + c] = (row[c] - mean) as f32;
            }
        }
        (w, vec![0.0; k])
    }

    /// The temperature that minimises the log-loss of out-of-fold scores.
    fn temperature(
        &self,
        d: &Encoded,
        k: usize,
        fit: impl Fn(&[usize]) -> (Vec<f32>, Vec<f32>),
    ) -> f32 {
        let folds = self.calibration_folds as usize;
        let n = d.docs.len();
        if folds < 2 || n < 2 * folds {
            return 1.0;
        }
        let mut order: Vec<usize> = (0..n).collect();
        Rng::new(self.seed ^ 0x9e37_79b9_7f4a_7c15).shuffle(&mut order);
        let mut oof = vec![0.0f32; n * k];
        for fold in 0..folds {
            let train: Vec<usize> =
                order.iter().enumerate().filter(|(j, _)| j % folds != fold).map(|x| *x.1).collect();
            let (w, b) = fit(&train);
            for (j, &i) in order.iter().enumerate() {
                if j % folds == fold {
                    d.scores(i, &w, &b, k, &mut oof[i * k..(i + 1) * k]);
                }
            }
        }
        let nll = |t: f32| -> f64 {
            let mut z = vec![0.0f32; k];
            let mut s = 0.0f64;
            for (i, doc) in d.docs.iter().enumerate() {
                z.iter_mut().zip(&oof[i * k..(i + 1) * k]).for_each(|(a, b)| *a = b / t);
                softmax(&mut z);
                s -= doc.weight as f64 * (z[doc.label as usize].max(1e-12) as f64).ln();
            }
            s
        };
        // Golden-section search on log T in [ln 0.05, ln 20].
        let (mut lo, mut hi) = (0.05f32.ln(), 20f32.ln());
        let r = 0.618_034f32;
        let mut a = hi - r * (hi - lo);
        let mut c = lo + r * (hi - lo);
        let (mut fa, mut fc) = (nll(a.exp()), nll(c.exp()));
        for _ in 0..40 {
            if fa < fc {
                hi = c;
                c = a;
                fc = fa;
                a = hi - r * (hi - lo);
                fa = nll(a.exp());
            } else {
                lo = a;
                a = c;
                fa = fc;
                c = lo + r * (hi - lo);
                fc = nll(c.exp());
            }
        }
        ((lo + hi) / 2.0).exp()
    }

    /// The model text: header, then one line per feature with its non-negligible weights.
    #[allow(clippy::too_many_arguments)]
    fn write(
        &self,
        d: &Encoded,
        labels: &[String],
        rules: Option<&RuleMatcher<u16>>,
        w: &[f32],
        b: &[f32],
        t: f32,
        n: usize,
        hidden: Option<&mlp::Mlp>,
    ) -> String {
        use std::fmt::Write;
        let k = labels.len();
        let mut out = String::new();
        let alg = match self.algorithm {
            Algorithm::LogisticRegression => "logistic_regression",
            Algorithm::ComplementNaiveBayes => "complement_naive_bayes",
            Algorithm::Ensemble => "ensemble",
            Algorithm::LinearSvm => "linear_svm",
        };
        let _ = writeln!(out, "#format {MODEL_FORMAT}");
        let _ = writeln!(
            out,
            "# written by kefu::train::IntentTrainer: algorithm={alg} epochs={} l2={} learning_rate={} average={} alpha={} svm_c={} seed={} prune={} min_count={} idf={} examples={n} labels={k}",
            self.epochs,
            self.l2,
            self.learning_rate,
            self.average,
            self.alpha,
            self.svm_c,
            self.seed,
            self.prune,
            self.min_count,
            self.idf
        );
        if hidden.is_some() {
            let _ = writeln!(
                out,
                "# hidden layer: units={} nets={} mix={} epochs={}",
                self.hidden, self.hidden_nets, self.hidden_mix, self.hidden_epochs
            );
        }
        let _ = writeln!(
            out,
            "# score(intent) = (bias + sum over the message's features of value * weight) / temperature"
        );
        let _ = writeln!(out, "@intents\t{}", labels.join("\t"));
        let _ = writeln!(out, "@features\t{}", self.features.to_line());
        if let Some(r) = rules {
            let ids: Vec<&str> = r.rules.iter().map(|r| r.id.as_str()).collect();
            let _ = writeln!(out, "@rules\t{}", ids.join("\t"));
        }
        let _ = writeln!(out, "@temperature\t{t:.4}");
        let bias: Vec<String> = b.iter().map(|x| fmt_w(*x)).collect();
        let _ = writeln!(out, "@bias\t{}", bias.join("\t"));
        let mut rows: BTreeMap<&str, u32> = BTreeMap::new();
        for (s, &f) in &d.vocab {
            rows.insert(s.as_str(), f);
        }
        let mut row = vec![0.0f32; k];
        let mut sorted = vec![0.0f32; k];
        for (s, f) in rows {
            // Rule features stay whatever their count: a missing row would mean "no weight".
            if s.chars().any(|c| c.is_control() || c.is_whitespace())
                || (d.df[f as usize] < self.min_count && !s.starts_with(RULE_PREFIX))
            {
                continue;
            }
            // Adding a constant to every weight of a feature changes no probability (softmax
            // is shift-invariant); subtracting the row's median puts the many small weights of
            // the classes the feature says little about at zero, where pruning drops them.
            row.copy_from_slice(&w[f as usize * k..(f as usize + 1) * k]);
            // The engine feeds plain values: fold the training-time IDF factor in.
            if let Some(&idf) = d.scale.get(f as usize) {
                row.iter_mut().for_each(|x| *x *= idf);
            }
            sorted.copy_from_slice(&row);
            sorted.sort_unstable_by(f32::total_cmp);
            let median = sorted[k / 2];
            row.iter_mut().for_each(|x| *x -= median);
            if row.iter().all(|x| x.abs() < self.prune.max(5e-4)) {
                continue;
            }
            out.push_str(s);
            for (c, &x) in row.iter().enumerate() {
                if x.abs() >= self.prune.max(5e-4) {
                    let _ = write!(out, "\t{}:{}", labels[c], fmt_w(x));
                }
            }
            out.push('\n');
        }
        if let Some(h) = hidden {
            h.write(labels, &mut out);
        }
        out
    }
}

/// A weight with three decimals, without trailing zeros.
fn fmt_w(x: f32) -> String {
    fmt_decimals(x, 3)
}

/// `x` with `decimals` decimals, without trailing zeros (and `0`, never `-0`).
fn fmt_decimals(x: f32, decimals: usize) -> String {
    let s = format!("{x:.decimals$}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" || s.is_empty() { "0".into() } else { s.into() }
}

fn softmax(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut s = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        s += *v;
    }
    z.iter_mut().for_each(|v| *v /= s);
}

/// xorshift64*: small, deterministic, good enough to shuffle examples.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x2545_f491_4f6c_dd1d) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// A uniform number in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }
    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = (self.next() % (i as u64 + 1)) as usize;
            v.swap(i, j);
        }
    }
}

/// One training document: sparse feature values, label, weight.
struct Doc {
    feats: Vec<(u32, f32)>,
    label: u16,
    weight: f32,
}

/// The examples as sparse vectors over a vocabulary of feature strings.
struct Encoded {
    vocab: HashMap<String, u32>,
    /// Per feature: number of messages it occurs in.
    df: Vec<u32>,
    /// Per feature: the IDF factor training multiplied its values by (empty: none).
    scale: Vec<f32>,
    docs: Vec<Doc>,
}

impl Encoded {
    fn new(
        prep: &Prep,
        spec: FeatureSpec,
        rules: Option<&RuleMatcher<u16>>,
        examples: &[(&str, &str, f32)],
        labels: &[String],
        label_ix: &HashMap<&str, u16>,
        idf: bool,
    ) -> Encoded {
        let mut vocab: HashMap<String, u32> = HashMap::new();
        let mut docs = Vec::with_capacity(examples.len());
        let (mut norm, mut tokens, mut s) = (String::new(), Vec::new(), String::new());
        let mut sums = vec![0.0f32; labels.len()];
        for &(l, text, weight) in examples {
            prep.run(text, &mut norm, &mut tokens);
            let mut feats: Vec<(u32, f32)> = Vec::new();
            spec.for_each(&norm, &tokens, &mut |p, pieces| {
                feature_string(p, pieces, spec.fold_digits, &mut s);
                let n = vocab.len() as u32;
                let f = *vocab.entry(s.clone()).or_insert(n);
                feats.push((f, 1.0));
            });
            // The engine adds weight * value for every occurrence; merging duplicates into a
            // count gives the same sums.
            let scale = if spec.sqrt_scale && !feats.is_empty() {
                1.0 / (feats.len() as f32).sqrt()
            } else {
                1.0
            };
            feats.sort_unstable_by_key(|x| x.0);
            let mut merged: Vec<(u32, f32)> = Vec::with_capacity(feats.len());
            for (f, x) in feats {
                match merged.last_mut() {
                    Some(last) if last.0 == f => last.1 += x * scale,
                    _ => merged.push((f, x * scale)),
                }
            }
            if let Some(r) = rules {
                sums.iter_mut().for_each(|x| *x = 0.0);
                r.for_each_hit(&norm, |rule| sums[rule.target as usize] += rule.weight);
                for (c, &sum) in sums.iter().enumerate() {
                    if sum != 0.0 {
                        feature_string(RULE_PREFIX, &[&labels[c]], false, &mut s);
                        let n = vocab.len() as u32;
                        let f = *vocab.entry(s.clone()).or_insert(n);
                        merged.push((f, rule_value(sum)));
                    }
                }
            }
            docs.push(Doc { feats: merged, label: label_ix[l], weight });
        }
        let mut df = vec![0u32; vocab.len()];
        for d in &docs {
            for &(f, _) in &d.feats {
                df[f as usize] += 1;
            }
        }
        let n = docs.len() as f32;
        let scale: Vec<f32> = if idf {
            df.iter().map(|&d| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0).collect()
        } else {
            Vec::new()
        };
        if idf {
            for d in &mut docs {
                d.feats.iter_mut().for_each(|(f, x)| *x *= scale[*f as usize]);
            }
        }
        Encoded { vocab, df, scale, docs }
    }

    fn scores(&self, i: usize, w: &[f32], b: &[f32], k: usize, out: &mut [f32]) {
        out.copy_from_slice(b);
        for &(f, x) in &self.docs[i].feats {
            let row = &w[f as usize * k..(f as usize + 1) * k];
            out.iter_mut().zip(row).for_each(|(o, ww)| *o += ww * x);
        }
    }
}

/// A trained intent model: its text in the `intent_model v1` format, and a predictor that
/// normalises, segments and scores exactly as an engine loading that text would (rules aside).
#[derive(Debug, Clone)]
pub struct IntentModel {
    tsv: String,
    linear: LinearModel,
    prep: Arc<Prep>,
    rules: Option<Arc<RuleMatcher<u16>>>,
}

impl IntentModel {
    /// The model in the `intent_model v1` format, for
    /// [`EngineBuilder::intent_model`](crate::EngineBuilder::intent_model) or a file.
    pub fn to_tsv(&self) -> String {
        self.tsv.clone()
    }

    /// The labels, in the model's order (first seen first).
    pub fn labels(&self) -> &[String] {
        &self.linear.labels
    }

    /// The most probable label of `text` and its calibrated probability.
    pub fn predict(&self, text: &str) -> (&str, f32) {
        let mut probs = Vec::new();
        self.probabilities(text, &mut probs);
        let (best, p) = probs
            .iter()
            .enumerate()
            .fold((0, f32::NEG_INFINITY), |a, (i, &p)| if p > a.1 { (i, p) } else { a });
        (&self.linear.labels[best], p)
    }

    /// Writes the calibrated probability of every label (in [`IntentModel::labels`] order)
    /// into `out`.
    pub fn probabilities(&self, text: &str, out: &mut Vec<f32>) {
        let (mut norm, mut tokens, mut rows) = (String::new(), Vec::new(), Vec::new());
        self.prep.run(text, &mut norm, &mut tokens);
        let mut sums = Vec::new();
        if let Some(r) = &self.rules {
            sums.resize(self.linear.len(), 0.0);
            r.for_each_hit(&norm, |rule| sums[rule.target as usize] += rule.weight);
        }
        self.linear.score(&norm, &tokens, &sums, out, &mut rows);
        softmax(out);
    }
}

/// An engine's intent stage on its own: normalise, cut, then rules and model, exactly as a
/// buyer message goes through them in a session, without any other stage or session state.
/// For evaluating and timing intents; buffers are reused, so a call allocates nothing once
/// they have grown.
///
/// ```
/// let engine = kefu::Engine::new()?;
/// let mut c = kefu::train::IntentClassifier::new(&engine);
/// assert_eq!(c.classify("我要开发票").id, "invoice");
/// # Ok::<(), kefu::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct IntentClassifier {
    engine: crate::Engine,
    scratch: crate::pipeline::Scratch,
    out: crate::IntentScore,
}

impl IntentClassifier {
    /// A classifier on `engine`'s normaliser, segmenter, rules and model.
    pub fn new(engine: &crate::Engine) -> IntentClassifier {
        IntentClassifier {
            engine: engine.clone(),
            scratch: Default::default(),
            out: Default::default(),
        }
    }

    /// The intent of `text`, as [`Decision::intent`](crate::Decision::intent) would give it
    /// for a buyer message.
    pub fn classify(&mut self, text: &str) -> &crate::IntentScore {
        let inner = &self.engine.0;
        let sc = &mut self.scratch;
        inner.normalizer.run(text, &mut sc.norm);
        inner.tokenizer.cut(&sc.norm, &mut sc.tokens);
        inner.intent.classify(&inner.catalog, &sc.norm, &sc.tokens, &mut sc.intent, &mut self.out);
        &self.out
    }
}

/// Per-label figures of an [`Evaluation`].
#[derive(Debug, Clone, PartialEq)]
pub struct LabelScore {
    /// The label.
    pub label: String,
    /// Gold examples of this label.
    pub support: usize,
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F1.
    pub f1: f64,
}

/// Accuracy, macro-F1, per-label scores and confusions of predictions against gold labels.
///
/// Macro-F1 averages over every label that occurs as gold **or** as a prediction (as
/// scikit-learn does by default), so predicting a label the data never uses costs score.
///
/// ```
/// use kefu::train::Evaluation;
/// let e = Evaluation::new([("a", "a"), ("a", "b"), ("b", "b")]);
/// assert_eq!(e.n, 3);
/// assert!((e.accuracy - 2.0 / 3.0).abs() < 1e-9);
/// assert_eq!(e.confusions[0], ("a".to_string(), "b".to_string(), 1));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Number of examples.
    pub n: usize,
    /// Share of exact matches.
    pub accuracy: f64,
    /// Mean F1 over labels.
    pub macro_f1: f64,
    /// Per label, sorted by label.
    pub labels: Vec<LabelScore>,
    /// `(gold, predicted, count)` of the errors, most frequent first.
    pub confusions: Vec<(String, String, usize)>,
}

impl Evaluation {
    /// Scores `(gold, predicted)` pairs.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Evaluation {
        let mut tp: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new(); // tp, gold, pred
        let mut conf: HashMap<(&str, &str), usize> = HashMap::new();
        let (mut n, mut ok) = (0, 0);
        for (g, p) in pairs {
            n += 1;
            tp.entry(g).or_default().1 += 1;
            tp.entry(p).or_default().2 += 1;
            if g == p {
                ok += 1;
                tp.entry(g).or_default().0 += 1;
            } else {
                *conf.entry((g, p)).or_default() += 1;
            }
        }
        let labels: Vec<LabelScore> = tp
            .iter()
            .map(|(l, &(t, g, p))| {
                let precision = if p > 0 { t as f64 / p as f64 } else { 0.0 };
                let recall = if g > 0 { t as f64 / g as f64 } else { 0.0 };
                let f1 = if precision + recall > 0.0 {
                    2.0 * precision * recall / (precision + recall)
                } else {
                    0.0
                };
                LabelScore { label: l.to_string(), support: g, precision, recall, f1 }
            })
            .collect();
        let macro_f1 = if labels.is_empty() {
            0.0
        } else {
            labels.iter().map(|l| l.f1).sum::<f64>() / labels.len() as f64
        };
        let mut confusions: Vec<(String, String, usize)> =
            conf.into_iter().map(|((g, p), c)| (g.to_string(), p.to_string(), c)).collect();
        confusions.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| (&a.0, &a.1).cmp(&(&b.0, &b.1))));
        Evaluation {
            n,
            accuracy: if n > 0 { ok as f64 / n as f64 } else { 0.0 },
            macro_f1,
            labels,
            confusions,
        }
    }

    /// The figures as the last line of the evaluation tools: `accuracy=… macro_f1=… n=…`.
    pub fn summary(&self) -> String {
        format!("accuracy={:.4} macro_f1={:.4} n={}", self.accuracy, self.macro_f1, self.n)
    }
}

impl fmt::Display for Evaluation {
    /// A per-label table, then the ten most frequent confusions, then [`Evaluation::summary`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{:<24} {:>9} {:>9} {:>9} {:>8}",
            "label", "precision", "recall", "f1", "support"
        )?;
        for l in &self.labels {
            writeln!(
                f,
                "{:<24} {:>9.3} {:>9.3} {:>9.3} {:>8}",
                l.label, l.precision, l.recall, l.f1, l.support
            )?;
        }
        if !self.confusions.is_empty() {
            writeln!(f, "top confusions (gold -> predicted: count):")?;
            for (g, p, c) in self.confusions.iter().take(10) {
                writeln!(f, "  {g} -> {p}: {c}")?;
            }
        }
        write!(f, "{}", self.summary())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Engine, Event};

    /// Three intents, three examples each.
    const THREE_INTENTS: [(&str, &str); 9] = [
        ("refund_request", "我要退款"),
        ("refund_request", "退款怎么还没到账"),
        ("refund_request", "仅退款"),
        ("greeting", "在吗"),
        ("greeting", "你好"),
        ("greeting", "有人吗"),
        ("invoice", "开发票"),
        ("invoice", "发票抬头写公司"),
        ("invoice", "要专票"),
    ];

    #[test]
    fn trains_predicts_and_round_trips() {
        let ex = THREE_INTENTS;
        for alg in [
            Algorithm::LogisticRegression,
            Algorithm::ComplementNaiveBayes,
            Algorithm::Ensemble,
            Algorithm::LinearSvm,
        ] {
            let m = IntentTrainer::new().algorithm(alg).train(&ex).unwrap();
            for (want, text) in
                [("refund_request", "退款"), ("invoice", "发票"), ("greeting", "在吗？")]
            {
                assert_eq!(m.predict(text).0, want, "{alg:?} {text}");
            }
            let tsv = m.to_tsv();
            assert!(tsv.starts_with("#format intent_model v1\n"));
            // Same seed, same model.
            assert_eq!(IntentTrainer::new().algorithm(alg).train(&ex).unwrap().to_tsv(), tsv);
            Engine::builder().intent_model("m.tsv", &tsv).build().unwrap();
        }
    }

    #[test]
    fn rejects_bad_input() {
        let t = IntentTrainer::new();
        assert!(t.train(&[]).is_err());
        assert!(t.train(&[("a", "x"), ("a", "y")]).is_err());
        assert!(t.train(&[("a\tb", "x"), ("c", "y")]).is_err());
        assert!(t.train_weighted(&[("a", "x", f32::NAN), ("c", "y", 1.0)]).is_err());
        assert!(IntentTrainer::new().features("w c9").is_err());
        // Odd texts are fine.
        let long = "退".repeat(10_000);
        let m = t.train(&[("a", ""), ("b", "😡😡"), ("a", &long), ("b", "\u{0}")]).unwrap();
        m.predict("");
        m.predict(&long);
    }

    #[test]
    fn unknown_model_intent_is_an_error() {
        let m = IntentTrainer::new().train(&[("退款", "我要退款"), ("其他", "你好")]).unwrap();
        let e = Engine::builder().intent_model("m.tsv", &m.to_tsv()).build().unwrap_err();
        assert!(matches!(&e, Error::UnknownIntent { file, line: 4, .. } if file == "m.tsv"), "{e}");
    }

    /// The default engine on messages whose intent is not in doubt.
    #[cfg(feature = "default-data")]
    #[test]
    fn default_engine_cases() {
        const CASES: &[(&str, &str)] = &[
            ("在吗，我要退款", "refund_request"),
            ("我要轉人工", "human_agent"),
            ("转人工", "human_agent"),
            ("人工客服", "human_agent"),
            ("再不发货我就投诉", "complaint"),
            ("我要打12315", "complaint"),
            ("你们就是骗子", "complaint"),
            ("怎么还不发货", "urge_shipping"),
            ("这件显胖吗", "effect_doubt"),
            ("170 120斤穿什么码", "size_fit"),
            ("能便宜点吗", "price_bargain"),
            ("快递到哪了", "logistics_status"),
            ("开发票", "invoice"),
            ("谢谢", "thanks_confirm"),
            ("在吗", "greeting"),
            ("是正品吗", "authenticity"),
            ("有货吗", "stock"),
            ("地址填错了", "modify_order"),
        ];
        let engine = Engine::new().unwrap();
        let mut bad = Vec::new();
        for &(text, want) in CASES {
            let mut s = engine.session();
            let d = s.on_event(&Event::buyer_says(0, text));
            let got = d.intent().unwrap();
            if got.id != want {
                bad.push(format!("{text}: want {want}, got {got:?}"));
            }
        }
        assert!(
            bad.is_empty(),
            "help: add a rule to data/rules.tsv or a training row:\n{}",
            bad.join("\n")
        );
    }

    #[cfg(feature = "default-data")]
    #[test]
    fn default_engine_evidence_and_odd_input() {
        let engine = Engine::new().unwrap();
        let mut s = engine.session();
        let d = s.on_event(&Event::buyer_says(0, "我要退款"));
        let i = d.intent().unwrap();
        assert!(!i.evidence.is_empty() && i.evidence.len() <= 6, "{i:?}");
        assert!(i.evidence.iter().all(|e| e.intent == "refund_request"), "{i:?}");
        assert!(i.evidence.windows(2).all(|w| w[0].weight >= w[1].weight), "{i:?}");
        let long = "我".repeat(10_000);
        for text in ["", "😡😡😡", &long, "\u{0}\t\n"] {
            let d = s.on_event(&Event::buyer_says(0, text));
            assert!(d.intent().is_none_or(|i| (0.0..=1.0).contains(&i.confidence)));
        }
    }

    #[test]
    fn hidden_layer_trains_deterministically_and_loads() {
        let ex = THREE_INTENTS;
        let fit = |mix: f32| {
            IntentTrainer::new()
                .algorithm(Algorithm::LogisticRegression)
                .hidden(16)
                .hidden_epochs(500)
                .hidden_mix(mix)
                .train(&ex)
                .unwrap()
        };
        let m = fit(0.5);
        let tsv = m.to_tsv();
        assert_eq!(fit(0.5).to_tsv(), tsv, "same seed, same model");
        assert!(tsv.contains("\n@hidden\t16\t0.5\n"), "{tsv}");
        assert!(tsv.contains("\n@input\tc1:退\t"), "features in two or more rows are inputs");
        assert!(!tsv.contains("\n@input\tc1:专\t"), "features in one row are not");
        // A bag of two networks is one layer of twice the units.
        let bag = IntentTrainer::new()
            .algorithm(Algorithm::LogisticRegression)
            .hidden(16)
            .hidden_nets(2)
            .hidden_epochs(500)
            .train(&ex)
            .unwrap();
        assert!(bag.to_tsv().contains("\n@hidden\t32\t0.6\n"));
        assert_eq!(bag.predict("我要退款").0, "refund_request");
        // The layer alone (mix 1) has learned the training rows.
        let alone = fit(1.0);
        for &(want, text) in &ex {
            assert_eq!(m.predict(text).0, want, "{text}");
            assert_eq!(alone.predict(text).0, want, "{text}");
        }
        // The engine loads the layer and uses it (default rules included, so its
        // probabilities are not the trainer's): setting the mix to 0 changes the scores.
        let e = Engine::builder().intent_model("m.tsv", &tsv).build().unwrap();
        let off = tsv.replace("\n@hidden\t16\t0.5\n", "\n@hidden\t16\t0\n");
        let e0 = Engine::builder().intent_model("m.tsv", &off).build().unwrap();
        let (mut c, mut c0) = (IntentClassifier::new(&e), IntentClassifier::new(&e0));
        for text in ["退款", "发票"] {
            let got = c.classify(text).clone();
            assert_eq!(got.id, m.predict(text).0, "{text}");
            assert_ne!(got.confidence, c0.classify(text).confidence, "{text}");
        }
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        let ex = [("a", "我要退款"), ("b", "在吗")];
        type Set = fn(&mut IntentTrainer) -> &mut IntentTrainer;
        let cases: &[(Set, &str)] = &[
            (|t| t.learning_rate(f32::NAN), "IntentTrainer::learning_rate"),
            (|t| t.learning_rate(f32::INFINITY), "IntentTrainer::learning_rate"),
            (|t| t.learning_rate(0.0), "IntentTrainer::learning_rate"),
            (|t| t.l2(-1.0), "IntentTrainer::l2"),
            (|t| t.epochs(0), "IntentTrainer::epochs"),
            (|t| t.epochs(u32::MAX), "IntentTrainer::epochs"),
            (|t| t.alpha(-1.0), "IntentTrainer::alpha"),
            (|t| t.prune(f32::NAN), "IntentTrainer::prune"),
            (|t| t.calibration_folds(1000), "IntentTrainer::calibration_folds"),
            (|t| t.hidden(1025), "IntentTrainer::hidden"),
            (|t| t.hidden(4).hidden_mix(1.5), "IntentTrainer::hidden_mix"),
            (|t| t.hidden(4).hidden_mix(f32::NAN), "IntentTrainer::hidden_mix"),
            (|t| t.hidden(4).hidden_epochs(0), "IntentTrainer::hidden_epochs"),
            (|t| t.hidden(4).hidden_nets(0), "IntentTrainer::hidden_nets"),
            (|t| t.hidden(512).hidden_nets(3), "IntentTrainer::hidden_nets"),
        ];
        for (set, name) in cases {
            let mut t = IntentTrainer::new();
            set(&mut t);
            let e = t.train(&ex).unwrap_err();
            assert!(matches!(e, Error::InvalidSetting { .. }), "{name}: {e:?}");
            assert!(e.to_string().contains(name), "{e}");
        }
    }
}

mod mlp;
mod nb;
mod risk;
pub use risk::{
    Decile, LineError, RiskData, RiskEvaluation, RiskExample, RiskTrainer, RiskWeights,
};
