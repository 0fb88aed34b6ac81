//! The optional hidden layer (`IntentTrainer::hidden`): one layer of ReLU units over the
//! L2-normalised TF-IDF vectors of the training messages, with a softmax output, fitted by
//! Adam on mini-batches (Kingma & Ba 2015; the settings of scikit-learn's `MLPClassifier`,
//! which the prototype in `tools/jddc_fusion/mlp.py` used: batch 64, learning rate 1e-3,
//! L2 penalty 1e-4, Glorot-uniform initialisation).
//!
//! The network errs differently from the linear ensemble, so the mixture of their scores beats
//! either alone (JDDC, 5-fold CV on train: `data/README.md`). The engine computes the layer as
//! `pipeline::hidden` documents; this module only fits it and writes its lines.

use std::fmt::Write;

use super::{Encoded, IntentTrainer, Rng};
use crate::pipeline::intent::RULE_PREFIX;

/// Examples per Adam step.
const BATCH: usize = 64;
/// Adam's step size.
const LEARNING_RATE: f32 = 1e-3;
/// L2 penalty on the weights (not the biases), divided by the batch size as scikit-learn does.
const L2: f32 = 1e-4;
const BETA1: f32 = 0.9;
const BETA2: f32 = 0.999;
const EPS: f32 = 1e-8;
/// A feature enters the layer when it occurs in at least this many training messages.
const MIN_DF: u32 = 2;

/// A training message for the layer: (input row, normalised TF-IDF value) pairs, label,
/// weight.
type Example = (Vec<(u32, f32)>, u16, f32);

/// A fitted hidden layer.
pub(super) struct Mlp {
    units: usize,
    classes: usize,
    mix: f32,
    /// Per input row: the feature's name and its IDF factor.
    names: Vec<String>,
    idf: Vec<f32>,
    /// `inputs x units`.
    w1: Vec<f32>,
    b1: Vec<f32>,
    /// `units x classes`.
    w2: Vec<f32>,
    b2: Vec<f32>,
}

/// One Adam-fitted parameter array with its moment estimates and gradient buffer.
struct Param {
    w: Vec<f32>,
    g: Vec<f32>,
    m: Vec<f32>,
    v: Vec<f32>,
    /// Whether the L2 penalty applies (weights yes, biases no).
    decay: bool,
}

impl Param {
    fn uniform(n: usize, bound: f32, rng: &mut Rng, decay: bool) -> Param {
        let w = (0..n).map(|_| (rng.unit() * 2.0 - 1.0) * bound).collect();
        Param { w, g: vec![0.0; n], m: vec![0.0; n], v: vec![0.0; n], decay }
    }

    /// One Adam step with the gradient summed over `n` examples; clears the gradient.
    fn step(&mut self, n: f32, lr_t: f32) {
        let l2 = if self.decay { L2 / n } else { 0.0 };
        let inv = 1.0 / n;
        for (((w, g), m), v) in self.w.iter_mut().zip(&mut self.g).zip(&mut self.m).zip(&mut self.v)
        {
            let grad = *g * inv + l2 * *w;
            *g = 0.0;
            *m = BETA1 * *m + (1.0 - BETA1) * grad;
            *v = BETA2 * *v + (1.0 - BETA2) * grad * grad;
            *w -= lr_t * *m / (v.sqrt() + EPS);
        }
    }
}

impl IntentTrainer {
    /// Fits the hidden layer on every document of `d` (before any NB re-weighting: the
    /// layer reads plain counts).
    pub(super) fn fit_hidden(&self, d: &Encoded, k: usize) -> Mlp {
        let h = self.hidden as usize;
        let mut by_id: Vec<&str> = vec![""; d.vocab.len()];
        for (s, &f) in &d.vocab {
            by_id[f as usize] = s;
        }
        // Input rows in name order, so the written file does not depend on hashing.
        let mut chosen: Vec<u32> = (0..d.vocab.len() as u32)
            .filter(|&f| {
                let s = by_id[f as usize];
                d.df[f as usize] >= MIN_DF
                    && !s.starts_with(RULE_PREFIX)
                    && !s.chars().any(|c| c.is_control() || c.is_whitespace())
            })
            .collect();
        chosen.sort_unstable_by_key(|&f| by_id[f as usize]);
        let mut row_of = vec![u32::MAX; d.vocab.len()];
        for (r, &f) in chosen.iter().enumerate() {
            row_of[f as usize] = r as u32;
        }
        let n = d.docs.len() as f32;
        let idf: Vec<f32> = chosen
            .iter()
            .map(|&f| ((1.0 + n) / (1.0 + d.df[f as usize] as f32)).ln() + 1.0)
            .collect();
        // The documents as normalised TF-IDF vectors over the input rows. A document's
        // values are its counts times one per-document factor (and the linear model's IDF,
        // divided out here), so normalising recovers count * IDF / norm exactly.
        let docs: Vec<Example> = d
            .docs
            .iter()
            .map(|doc| {
                let mut x: Vec<(u32, f32)> = doc
                    .feats
                    .iter()
                    .filter_map(|&(f, v)| {
                        let r = row_of[f as usize];
                        let lin = d.scale.get(f as usize).copied().unwrap_or(1.0);
                        (r != u32::MAX).then(|| (r, v / lin * idf[r as usize]))
                    })
                    .collect();
                let norm = x.iter().map(|e| e.1 * e.1).sum::<f32>().sqrt();
                if norm > 0.0 {
                    x.iter_mut().for_each(|e| e.1 /= norm);
                }
                (x, doc.label, doc.weight)
            })
            .collect();

        let n_in = chosen.len();
        // A bag of networks is one wider layer: the units side by side, the output weights
        // averaged (so the bag's score is the mean of its networks' scores).
        let nets = self.hidden_nets as usize;
        let wide = h * nets;
        let mut out = Mlp {
            units: wide,
            classes: k,
            mix: self.hidden_mix,
            names: chosen.iter().map(|&f| by_id[f as usize].to_owned()).collect(),
            idf,
            w1: vec![0.0; n_in * wide],
            b1: vec![0.0; wide],
            w2: vec![0.0; wide * k],
            b2: vec![0.0; k],
        };
        for net in 0..nets {
            let (w1, b1, w2, b2) = self.fit_net(&docs, n_in, k, net as u64);
            let inv = 1.0 / nets as f32;
            for r in 0..n_in {
                out.w1[r * wide + net * h..r * wide + (net + 1) * h]
                    .copy_from_slice(&w1[r * h..(r + 1) * h]);
            }
            out.b1[net * h..(net + 1) * h].copy_from_slice(&b1);
            out.w2[net * h * k..(net + 1) * h * k]
                .iter_mut()
                .zip(&w2)
                .for_each(|(o, w)| *o = w * inv);
            out.b2.iter_mut().zip(&b2).for_each(|(o, b)| *o += b * inv);
        }
        out
    }

    /// Fits one network of `self.hidden` units; returns `(w1, b1, w2, b2)`.
    fn fit_net(
        &self,
        docs: &[Example],
        n_in: usize,
        k: usize,
        net: u64,
    ) -> (Vec<f32>, Vec<f32>, Vec<f32>, Vec<f32>) {
        let h = self.hidden as usize;
        // The first network's stream does not depend on the bag size.
        let mut rng =
            Rng::new(self.seed ^ 0x6d6c_705f_6869_6464 ^ net.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        // Glorot-uniform bounds for ReLU units, as scikit-learn initialises them.
        let b_in = (6.0 / (n_in + h) as f32).sqrt();
        let b_out = (6.0 / (h + k) as f32).sqrt();
        let mut w1 = Param::uniform(n_in * h, b_in, &mut rng, true);
        let mut b1 = Param::uniform(h, b_in, &mut rng, false);
        let mut w2 = Param::uniform(h * k, b_out, &mut rng, true);
        let mut b2 = Param::uniform(k, b_out, &mut rng, false);

        let mut order: Vec<usize> = (0..docs.len()).filter(|&i| docs[i].2 > 0.0).collect();
        let (mut act, mut da, mut z) = (vec![0.0f32; h], vec![0.0f32; h], vec![0.0f32; k]);
        let mut t = 0i32;
        for _ in 0..self.hidden_epochs {
            rng.shuffle(&mut order);
            for batch in order.chunks(BATCH) {
                for &i in batch {
                    let (x, label, weight) = &docs[i];
                    act.copy_from_slice(&b1.w);
                    for &(r, v) in x {
                        let row = &w1.w[r as usize * h..(r as usize + 1) * h];
                        act.iter_mut().zip(row).for_each(|(a, w)| *a += v * w);
                    }
                    act.iter_mut().for_each(|a| *a = a.max(0.0));
                    z.copy_from_slice(&b2.w);
                    for (j, &a) in act.iter().enumerate() {
                        if a > 0.0 {
                            let row = &w2.w[j * k..(j + 1) * k];
                            z.iter_mut().zip(row).for_each(|(z, w)| *z += a * w);
                        }
                    }
                    super::softmax(&mut z);
                    // z becomes the gradient of the loss with respect to the output scores.
                    z[*label as usize] -= 1.0;
                    z.iter_mut().for_each(|g| *g *= weight);
                    b2.g.iter_mut().zip(&z).for_each(|(g, d)| *g += d);
                    for j in 0..h {
                        let (a, row) = (act[j], j * k..(j + 1) * k);
                        if a > 0.0 {
                            w2.g[row.clone()].iter_mut().zip(&z).for_each(|(g, d)| *g += a * d);
                            da[j] = w2.w[row].iter().zip(&z).map(|(w, d)| w * d).sum();
                        } else {
                            da[j] = 0.0;
                        }
                    }
                    b1.g.iter_mut().zip(&da).for_each(|(g, d)| *g += d);
                    for &(r, v) in x {
                        let row = &mut w1.g[r as usize * h..(r as usize + 1) * h];
                        row.iter_mut().zip(&da).for_each(|(g, d)| *g += v * d);
                    }
                }
                t += 1;
                let lr_t = LEARNING_RATE * (1.0 - BETA2.powi(t)).sqrt() / (1.0 - BETA1.powi(t));
                let nb = batch.len() as f32;
                for p in [&mut w1, &mut b1, &mut w2, &mut b2] {
                    p.step(nb, lr_t);
                }
            }
        }
        (w1.w, b1.w, w2.w, b2.w)
    }
}

impl Mlp {
    /// Appends the layer's lines (`pipeline::hidden` documents the format).
    pub(super) fn write(&self, labels: &[String], out: &mut String) {
        let (h, k) = (self.units, self.classes);
        let _ = writeln!(
            out,
            "# hidden layer: score = (1 - mix) * linear score + mix * (output_bias + output . relu(hidden_bias + input' x)), x = L2-normalised count * idf"
        );
        let _ = writeln!(out, "@hidden\t{h}\t{}", self.mix);
        let line = |out: &mut String, head: &str, vals: &mut dyn Iterator<Item = f32>| {
            out.push_str(head);
            for v in vals {
                out.push('\t');
                out.push_str(&fmt_h(v));
            }
            out.push('\n');
        };
        line(out, "@hidden_bias", &mut self.b1.iter().copied());
        for (c, l) in labels.iter().enumerate() {
            line(out, &format!("@output\t{l}"), &mut (0..h).map(|j| self.w2[j * k + c]));
        }
        line(out, "@output_bias", &mut self.b2.iter().copied());
        for (r, name) in self.names.iter().enumerate() {
            let head = format!("@input\t{name}\t{}", fmt_h(self.idf[r]));
            line(out, &head, &mut self.w1[r * h..(r + 1) * h].iter().copied());
        }
    }
}

/// A hidden-layer number with four decimals, without trailing zeros.
fn fmt_h(x: f32) -> String {
    super::fmt_decimals(x, 4)
}
