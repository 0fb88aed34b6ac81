//! [`Engine`] (immutable compiled data, shared by every session) and [`EngineBuilder`].

use std::sync::Arc;

use crate::data::Source;
use crate::error::Error;
use crate::id::{IntentId, Label};
use crate::pipeline::catalog::{Catalog, is_id};
use crate::pipeline::emotion::EmotionStage;
use crate::pipeline::features::State;
use crate::pipeline::intent::{IntentParams, IntentStage};
use crate::pipeline::mask::Masker;
use crate::pipeline::normalize::Normalizer;
use crate::pipeline::policy::{Known, Policy, PolicyParams, SizeCharts};
use crate::pipeline::risk::RiskModel;
use crate::pipeline::slots::SlotExtractor;
use crate::pipeline::tokenize::Tokenizer;
use crate::session::{Session, Snapshot};

/// Compiled dictionaries, automata, models and policy: build once, share everywhere.
///
/// `Engine` is an `Arc` inside: cloning is cheap and every clone shares the same data. It is
/// `Send + Sync`; give each thread a clone (or a reference) and each buyer a [`Session`].
///
/// # Examples
///
/// ```
/// use kefu::{Action, Engine, Event, HandOffReason};
/// let engine = Engine::new()?;
/// let mut s = engine.session();
/// let d = s.on_event(&Event::buyer_says(0, "转人工"));
/// assert!(d.actions().iter().any(|a| matches!(a, Action::HandOff { reason: HandOffReason::Requested, .. })));
/// # Ok::<(), kefu::Error>(())
/// ```
#[derive(Clone)]
pub struct Engine(pub(crate) Arc<Inner>);

#[derive(Debug)]
pub(crate) struct Inner {
    pub catalog: Catalog,
    pub normalizer: Normalizer,
    pub tokenizer: Tokenizer,
    pub intent: IntentStage,
    pub slots: SlotExtractor,
    pub emotion: EmotionStage,
    pub risk: RiskModel,
    pub policy: Policy,
    pub masker: Masker,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine").field("intents", &self.0.catalog.len()).finish_non_exhaustive()
    }
}

impl Engine {
    /// An engine on the embedded default data (no files are read).
    ///
    /// # Errors
    ///
    /// Only if the embedded data is broken, which the crate's tests rule out.
    #[cfg(feature = "default-data")]
    pub fn new() -> Result<Engine, Error> {
        EngineBuilder::new().build()
    }

    /// A builder for an engine with merchant overrides.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::new()
    }

    /// The emotion of one text read as a buyer message, outside any session: the same
    /// normaliser, segmenter and emotion stage a session runs (no intent, no state). For
    /// scoring reviews or logs offline; it allocates two small buffers per call.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = kefu::Engine::new()?;
    /// let e = engine.emotion_of("垃圾东西，气死我了！！！");
    /// assert_eq!(e.label, kefu::Emotion::Anger);
    /// assert!(e.valence < 0.0);
    /// # Ok::<(), kefu::Error>(())
    /// ```
    pub fn emotion_of(&self, text: &str) -> crate::EmotionScore {
        let (mut norm, mut tokens) = (String::new(), Vec::new());
        let cues = self.0.normalizer.run(text, &mut norm);
        self.0.tokenizer.cut(&norm, &mut tokens);
        let mut out = crate::EmotionScore::default();
        self.0.emotion.score(&norm, &tokens, &cues, &mut out);
        out
    }

    /// A new buyer session. Cheap: it clones an `Arc` and allocates small empty buffers.
    pub fn session(&self) -> Session {
        Session::new(self.clone(), State::default())
    }

    /// A session continued from a [`Snapshot`] taken by [`Session::snapshot`], possibly on
    /// another node.
    ///
    /// # Errors
    ///
    /// [`Error::Snapshot`], and no session, when the snapshot is of an unknown format version,
    /// its checksum does not match its state (altered or corrupted in storage), its state is
    /// one no session can hold (collections past their bounds, scores out of range, times after
    /// its clock), or it does not fit this engine (it names intents or counts intercept words
    /// this engine does not have).
    /// Versions [`SNAPSHOT_OLDEST`](crate::SNAPSHOT_OLDEST) to
    /// [`SNAPSHOT_VERSION`](crate::SNAPSHOT_VERSION) are read.
    ///
    /// # Examples
    ///
    /// ```
    /// let engine = kefu::Engine::new()?;
    /// let mut s = engine.session();
    /// s.on_event(&kefu::Event::buyer_says(0, "在吗"));
    /// let json = serde_json::to_string(&s.snapshot()).unwrap();
    /// let back = engine.restore(serde_json::from_str(&json).unwrap())?;
    /// assert_eq!(back.snapshot(), s.snapshot());
    /// # Ok::<(), kefu::Error>(())
    /// ```
    pub fn restore(&self, snapshot: Snapshot) -> Result<Session, Error> {
        let state = snapshot.into_state(self)?;
        Ok(Session::restored(self.clone(), state))
    }

    /// The id of intent `name`, if this engine knows it.
    pub fn intent_id(&self, name: &str) -> Option<IntentId> {
        self.0.catalog.id(name)
    }

    /// The name of intent `id`, if it belongs to this engine.
    pub fn intent_name(&self, id: IntentId) -> Option<Label> {
        self.0.catalog.defs.get(id.index()).map(|d| d.name)
    }

    /// Every intent this engine knows, in id order.
    pub fn intents(&self) -> impl Iterator<Item = Label> + '_ {
        self.0.catalog.defs.iter().map(|d| d.name)
    }

    /// `text` with phone numbers, ID-card numbers, bank cards, e-mail and street addresses
    /// masked: what [`Session::brief`] applies to every turn it shows.
    pub fn mask(&self, text: &str) -> String {
        self.0.masker.mask(text)
    }
}

/// Builds an [`Engine`] from the default data plus merchant overrides.
///
/// Every data text is given with a name used in error messages (`"shop_rules.tsv"`), in the
/// formats of `data/README.md`. Dictionaries, intents, rules and emotion lexicons **add** to the
/// defaults; policy and risk files override the defaults **key by key**; a size chart replaces
/// the default chart of the products it lists; an intent model **replaces** the default model.
/// `build(&self)` leaves the builder intact, so one builder can serve many merchants.
///
/// # Examples
///
/// ```
/// use kefu::{Engine, Event};
/// let engine = Engine::builder()
///     .keyword("urge_shipping", "拍下不发")
///     .policy("shop_policy.tsv", "#format policy v1\nretain_risk\t0.5\n")
///     .build()?;
/// let mut s = engine.session();
/// let d = s.on_event(&Event::buyer_says(0, "拍下不发什么意思"));
/// assert_eq!(d.intent().unwrap().id, "urge_shipping");
/// # Ok::<(), kefu::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    defaults: bool,
    hmm: bool,
    dicts: Vec<(String, String)>,
    words: Vec<String>,
    intents: Vec<(String, String)>,
    rules: Vec<(String, String)>,
    keywords: Vec<(String, String, f32)>,
    regexes: Vec<(String, String, f32)>,
    model: Option<(String, String)>,
    emotion: Vec<(String, String)>,
    emotion_model: Option<(String, String)>,
    risk: Vec<(String, String)>,
    policy: Vec<(String, String)>,
    sizes: Vec<(String, String)>,
    templates: Vec<(String, String)>,
    intercepts: Vec<(String, u16)>,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        EngineBuilder {
            defaults: cfg!(feature = "default-data"),
            hmm: false,
            dicts: Vec::new(),
            words: Vec::new(),
            intents: Vec::new(),
            rules: Vec::new(),
            keywords: Vec::new(),
            regexes: Vec::new(),
            model: None,
            emotion: Vec::new(),
            emotion_model: None,
            risk: Vec::new(),
            policy: Vec::new(),
            sizes: Vec::new(),
            templates: Vec::new(),
            intercepts: Vec::new(),
        }
    }
}

/// Weight of a merchant keyword or regex added with [`EngineBuilder::keyword`] or
/// [`EngineBuilder::regex`]: strong enough to decide the intent on its own, as a merchant who
/// writes a rule means it.
pub const MERCHANT_RULE_WEIGHT: f32 = 6.0;

impl EngineBuilder {
    /// A builder on the default data (when the `default-data` feature is on).
    pub fn new() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// Whether to start from the embedded default data (default: on with the `default-data`
    /// feature). Without it, intents, rules, an emotion lexicon, risk weights and a policy must
    /// all be given.
    pub fn defaults(&mut self, yes: bool) -> &mut Self {
        self.defaults = yes;
        self
    }

    /// Whether jieba's HMM guesses unknown words (default: off; the user dictionary covers shop
    /// vocabulary and HMM costs time on every message).
    pub fn hmm(&mut self, yes: bool) -> &mut Self {
        self.hmm = yes;
        self
    }

    /// Adds a user dictionary (format `user_dict v1`: `word [freq [tag]]` per line).
    pub fn user_dict(&mut self, name: &str, text: &str) -> &mut Self {
        self.dicts.push((name.into(), text.into()));
        self
    }

    /// Adds one word to the segmenter's dictionary.
    pub fn word(&mut self, word: &str) -> &mut Self {
        self.words.push(word.into());
        self
    }

    /// Adds or redefines intents (format `intents v1`: `id queue priority [template]`).
    pub fn intents(&mut self, name: &str, text: &str) -> &mut Self {
        self.intents.push((name.into(), text.into()));
        self
    }

    /// Adds keyword and regex rules (format `rules v1`: `id intent kind pattern weight`).
    pub fn rules(&mut self, name: &str, text: &str) -> &mut Self {
        self.rules.push((name.into(), text.into()));
        self
    }

    /// Adds a keyword that speaks for `intent` with [`MERCHANT_RULE_WEIGHT`].
    pub fn keyword(&mut self, intent: &str, word: &str) -> &mut Self {
        self.keywords.push((intent.into(), word.into(), MERCHANT_RULE_WEIGHT));
        self
    }

    /// Adds a regex that speaks for `intent` with [`MERCHANT_RULE_WEIGHT`].
    pub fn regex(&mut self, intent: &str, pattern: &str) -> &mut Self {
        self.regexes.push((intent.into(), pattern.into(), MERCHANT_RULE_WEIGHT));
        self
    }

    /// Replaces the intent model (format `intent_model v1`, as written by
    /// [`train::IntentTrainer`](crate::train)).
    pub fn intent_model(&mut self, name: &str, text: &str) -> &mut Self {
        self.model = Some((name.into(), text.into()));
        self
    }

    /// Adds emotion lexicon entries (format `emotion v1`).
    pub fn emotion_lexicon(&mut self, name: &str, text: &str) -> &mut Self {
        self.emotion.push((name.into(), text.into()));
        self
    }

    /// Replaces the learned emotion model (format `emotion_model v1`, as written by
    /// `examples/train_emotion.rs`; see `data/README.md`). The lexicon of
    /// [`EngineBuilder::emotion_lexicon`] still applies; without defaults and without this
    /// model, the emotion stage is the lexicon alone.
    pub fn emotion_model(&mut self, name: &str, text: &str) -> &mut Self {
        self.emotion_model = Some((name.into(), text.into()));
        self
    }

    /// Overrides risk weights (format `risk_model v1`: `factor weight [rationale]`).
    pub fn risk_weights(&mut self, name: &str, text: &str) -> &mut Self {
        self.risk.push((name.into(), text.into()));
        self
    }

    /// Overrides policy thresholds (format `policy v1`: `key value [note]`).
    pub fn policy(&mut self, name: &str, text: &str) -> &mut Self {
        self.policy.push((name.into(), text.into()));
        self
    }

    /// Adds size charts (format `size_chart v1`); product `*` is the shop-wide chart.
    pub fn size_chart(&mut self, name: &str, text: &str) -> &mut Self {
        self.sizes.push((name.into(), text.into()));
        self
    }

    /// Sets the reply template id of `intent`.
    pub fn template(&mut self, intent: &str, template: &str) -> &mut Self {
        self.templates.push((intent.into(), template.into()));
        self
    }

    /// Hands off to a human once the buyer has written `word` `count` times.
    pub fn intercept_word(&mut self, word: &str, count: u16) -> &mut Self {
        self.intercepts.push((word.into(), count));
        self
    }

    /// Compiles everything into an [`Engine`].
    ///
    /// # Errors
    ///
    /// A data text that does not parse, names an unknown intent, repeats an id, holds a value
    /// out of range or a regex that does not compile: each error names the file, the line and
    /// what to change.
    pub fn build(&self) -> Result<Engine, Error> {
        let d = Defaults::get(self.defaults);
        self.check_limits(&d)?;

        let mut catalog = Catalog::parse(&srcs(d.intents, &self.intents))?;
        for (intent, template) in &self.templates {
            let id = catalog.id(intent).ok_or_else(|| Error::UnknownIntent {
                file: "EngineBuilder::template".into(),
                line: 1,
                intent: intent.clone(),
            })?;
            catalog.defs[id.index()].template = Some(Label::try_from(template.as_str())?);
        }

        let mut rules = srcs(d.rules, &self.rules);
        let generated = merchant_rules(&self.keywords, &self.regexes)?;
        if let Some(g) = &generated {
            rules.push(("EngineBuilder::keyword/regex", g.as_str()));
        }
        let model = match &self.model {
            Some((n, t)) => Some((n.as_str(), t.as_str())),
            None => d.model,
        };

        let mut policy_srcs = srcs(d.policy, &self.policy);
        let intercepts = intercept_lines(&self.intercepts);
        if let Some(i) = &intercepts {
            policy_srcs.push(("EngineBuilder::intercept_word", i.as_str()));
        }
        let params = PolicyParams::parse(&policy_srcs)?;
        let intent_params = IntentParams {
            min_confidence: params.intent_min_confidence,
            min_margin: params.intent_min_margin,
        };

        let emotion_model = match &self.emotion_model {
            Some((n, t)) => Some((n.as_str(), t.as_str())),
            None => d.emotion_model,
        };
        let dicts = srcs(d.user_dict, &self.dicts);
        let build_tokenizer = || Tokenizer::build(&dicts, &self.words, self.hmm);
        // One normaliser serves the messages and the keywords, which must be spelled alike.
        let normalizer = Normalizer::new();
        let build_models = || {
            let mut intent =
                IntentStage::build(&catalog, &normalizer, &rules, model, intent_params)?;
            let mut emotion = EmotionStage::build(&srcs(d.emotion, &self.emotion), emotion_model)?;
            // Both models read the same features by default: one table lookup per feature
            // then finds the rows of both.
            if let Some((spec, hashes)) = emotion.take_model_hashes() {
                intent.join(spec, &hashes);
            }
            Ok::<_, Error>((intent, emotion))
        };
        // jieba's dictionary and the two trained models are independent and each takes tens
        // of milliseconds: build them side by side when a second thread can be had, one after
        // the other otherwise. Errors are reported in the same order either way.
        let (tokenizer, models) = std::thread::scope(|scope| {
            match std::thread::Builder::new()
                .name("kefu-build".into())
                .spawn_scoped(scope, build_tokenizer)
            {
                Ok(handle) => {
                    let models = build_models();
                    let tokenizer =
                        handle.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic));
                    (tokenizer, models)
                }
                Err(_) => (build_tokenizer(), build_models()),
            }
        });
        let tokenizer = tokenizer?;
        let (intent, emotion) = models?;
        let risk = RiskModel::parse(&srcs(d.risk, &self.risk))?;
        let sizes = SizeCharts::parse(&srcs(d.sizes, &self.sizes))?;
        let known = Known::resolve(&catalog);
        let policy = Policy::new(params, known, sizes)?;

        Ok(Engine(Arc::new(Inner {
            catalog,
            normalizer,
            tokenizer,
            intent,
            slots: SlotExtractor::new()?,
            emotion,
            risk,
            policy,
            masker: Masker::new()?,
        })))
    }
}

/// Limits on merchant data, checked before anything is compiled, so that no configuration can
/// make [`EngineBuilder::build`] take unbounded time or memory, nor make sessions large.
///
/// Every data text is also limited to 32 MiB, and the regex rules compile under size limits
/// (1 MiB per compiled rule, 8 MiB for the whole set, a 16 MiB lazy-DFA cache): a rule past
/// them fails with [`Error::Regex`] naming its file and line.
impl EngineBuilder {
    /// Most intents an engine declares (defaults included).
    pub const MAX_INTENTS: usize = 1_000;
    /// Most keyword and regex rules in all (defaults, rule files and shortcuts together).
    pub const MAX_RULES: usize = 100_000;
    /// Most regex rules in all.
    pub const MAX_REGEX_RULES: usize = 1_000;
    /// Longest rule pattern, in bytes.
    pub const MAX_PATTERN_BYTES: usize = 1_024;
    /// Most emotion lexicon lines in all.
    pub const MAX_LEXICON_ENTRIES: usize = 200_000;
    /// Most size-chart rows in all.
    pub const MAX_SIZE_ROWS: usize = 100_000;
    /// Most intercept words (each costs every session two bytes).
    pub const MAX_INTERCEPT_WORDS: usize = 100;

    /// Counts what the data declares against the limits above and checks that rule ids are
    /// unique across every rule source, before anything is compiled.
    fn check_limits(&self, d: &Defaults) -> Result<(), Error> {
        let too_large = |file: &str, what: &str, limit: usize| Error::TooLarge {
            file: file.to_owned(),
            what: what.to_owned(),
            limit,
        };
        let mut intents = 0usize;
        for src in srcs(d.intents, &self.intents) {
            intents += crate::data::records(src, "intents v1")?.count();
            if intents > Self::MAX_INTENTS {
                return Err(too_large(src.0, "the number of intents", Self::MAX_INTENTS));
            }
        }

        let generated = merchant_rules(&self.keywords, &self.regexes)?;
        let mut rule_srcs = srcs(d.rules, &self.rules);
        if let Some(g) = &generated {
            rule_srcs.push(("EngineBuilder::keyword/regex", g.as_str()));
        }
        let (mut rules, mut regexes) = (0usize, 0usize);
        let mut ids: std::collections::HashSet<&str> = std::collections::HashSet::new();
        for &src in &rule_srcs {
            for r in crate::data::records(src, "rules v1")? {
                let mut cols = r.fields().map(str::trim);
                let (id, kind, pattern) = (cols.next(), cols.nth(1), cols.next());
                rules += 1;
                if rules > Self::MAX_RULES {
                    return Err(too_large(src.0, "the number of rules", Self::MAX_RULES));
                }
                if kind == Some("regex") {
                    regexes += 1;
                    if regexes > Self::MAX_REGEX_RULES {
                        return Err(too_large(
                            src.0,
                            "the number of regex rules",
                            Self::MAX_REGEX_RULES,
                        ));
                    }
                }
                if let Some(p) = pattern
                    && p.len() > Self::MAX_PATTERN_BYTES
                {
                    return Err(r.error(format!(
                        "the pattern is {} bytes, more than the limit of {}; shorten it or split the rule",
                        p.len(),
                        Self::MAX_PATTERN_BYTES
                    )));
                }
                if let Some(id) = id.filter(|i| !i.is_empty())
                    && !ids.insert(id)
                {
                    return Err(Error::Duplicate {
                        file: r.file.into(),
                        line: r.line,
                        id: id.into(),
                    });
                }
            }
        }

        let mut entries = 0usize;
        for src in srcs(d.emotion, &self.emotion) {
            entries += crate::data::records(src, "emotion v1")?.count();
            if entries > Self::MAX_LEXICON_ENTRIES {
                return Err(too_large(
                    src.0,
                    "the number of emotion lexicon lines",
                    Self::MAX_LEXICON_ENTRIES,
                ));
            }
        }
        let mut rows = 0usize;
        for src in srcs(d.sizes, &self.sizes) {
            rows += crate::data::records(src, "size_chart v1")?.count();
            if rows > Self::MAX_SIZE_ROWS {
                return Err(too_large(src.0, "the number of size-chart rows", Self::MAX_SIZE_ROWS));
            }
        }
        let mut words: std::collections::HashSet<&str> =
            self.intercepts.iter().map(|(w, _)| w.trim()).collect();
        for src in srcs(d.policy, &self.policy) {
            for r in crate::data::records(src, "policy v1")? {
                if r.col(0) == Some("intercept")
                    && let Some(w) = r.col(1)
                {
                    words.insert(w);
                }
            }
        }
        if words.len() > Self::MAX_INTERCEPT_WORDS {
            return Err(too_large(
                "policy",
                "the number of intercept words",
                Self::MAX_INTERCEPT_WORDS,
            ));
        }
        Ok(())
    }
}

/// The default source (if any) followed by the builder's own.
fn srcs<'a>(def: Option<Source<'static>>, extra: &'a [(String, String)]) -> Vec<Source<'a>> {
    def.into_iter().chain(extra.iter().map(|(n, t)| (n.as_str(), t.as_str()))).collect()
}

/// The embedded default sources, or none.
struct Defaults {
    user_dict: Option<Source<'static>>,
    intents: Option<Source<'static>>,
    rules: Option<Source<'static>>,
    model: Option<Source<'static>>,
    emotion: Option<Source<'static>>,
    emotion_model: Option<Source<'static>>,
    risk: Option<Source<'static>>,
    policy: Option<Source<'static>>,
    sizes: Option<Source<'static>>,
}

impl Defaults {
    fn get(on: bool) -> Defaults {
        #[cfg(feature = "default-data")]
        if on {
            use crate::data::embedded as e;
            return Defaults {
                user_dict: Some(("data/user_dict.txt", e::USER_DICT)),
                intents: Some(("data/intents.tsv", e::INTENTS)),
                rules: Some(("data/rules.tsv", e::RULES)),
                model: Some(("data/intent_model.tsv", e::INTENT_MODEL)),
                emotion: Some(("data/emotion.tsv", e::EMOTION)),
                emotion_model: Some(("data/emotion_model.tsv", e::EMOTION_MODEL)),
                risk: Some(("data/risk_model.tsv", e::RISK)),
                policy: Some(("data/policy.tsv", e::POLICY)),
                sizes: Some(("data/size_chart.tsv", e::SIZE_CHART)),
            };
        }
        let _ = on;
        Defaults {
            user_dict: None,
            intents: None,
            rules: None,
            model: None,
            emotion: None,
            emotion_model: None,
            risk: None,
            policy: None,
            sizes: None,
        }
    }
}

/// The builder's keyword and regex shortcuts as one `rules v1` text.
pub(crate) fn merchant_rules(
    keywords: &[(String, String, f32)],
    regexes: &[(String, String, f32)],
) -> Result<Option<String>, Error> {
    if keywords.is_empty() && regexes.is_empty() {
        return Ok(None);
    }
    let mut out = String::from("#format rules v1\n");
    let lines = keywords
        .iter()
        .map(|k| ("keyword", k))
        .chain(regexes.iter().map(|r| ("regex", r)))
        .enumerate();
    for (i, (kind, (intent, pattern, w))) in lines {
        if pattern.contains(['\t', '\n', '\r']) || pattern.trim().is_empty() || !is_id(intent) {
            return Err(Error::parse(
                "EngineBuilder::keyword/regex",
                i + 2,
                format!(
                    "`{intent}` / `{pattern}`: the intent must be a snake_case id and the pattern non-empty, without tabs or newlines"
                ),
            ));
        }
        out.push_str(&format!("merchant.{kind}.{}\t{intent}\t{kind}\t{pattern}\t{w}\n", i + 1));
    }
    Ok(Some(out))
}

pub(crate) fn intercept_lines(words: &[(String, u16)]) -> Option<String> {
    if words.is_empty() {
        return None;
    }
    let mut out = String::from("#format policy v1\n");
    for (w, n) in words {
        // Tabs and newlines would split the line; the parser then reports it.
        out.push_str(&format!("intercept\t{}\t{n}\n", w.replace(['\t', '\n', '\r'], " ")));
    }
    Some(out)
}
