//! The intent catalogue: every intent an engine knows, with its queue, route priority and
//! reply template (`intents.tsv`, format `intents v1`).

use crate::action::{Priority, Queue};
use crate::data::{Source, records};
use crate::error::Error;
use crate::id::{IntentId, Label};

const FORMAT: &str = "intents v1";

/// One declared intent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct IntentDef {
    pub name: Label,
    pub queue: Queue,
    pub priority: Priority,
    pub template: Option<Label>,
}

/// All intents of an engine; [`IntentId`] indexes into it.
#[derive(Debug, Clone, Default)]
pub(crate) struct Catalog {
    pub defs: Vec<IntentDef>,
    /// The id of `other`, found once at parse (it is looked up for every message).
    other: u16,
}

impl Catalog {
    /// Parses `id  queue  priority  [template]` lines; a later file may redefine an intent of an
    /// earlier one (a merchant changing a queue or template), but one file may not repeat an id.
    pub(crate) fn parse(sources: &[Source<'_>]) -> Result<Catalog, Error> {
        let mut cat = Catalog::default();
        for &src in sources {
            let mut seen: Vec<Label> = Vec::new();
            for r in records(src, FORMAT)? {
                let [id, queue, priority] = r.cols::<3>("id, queue, priority, template")?;
                let name = Label::new(id).filter(|l| is_id(l)).ok_or_else(|| {
                    r.error(format!("intent id `{id}` must be 1 to 32 bytes of a-z, 0-9 and _"))
                })?;
                if seen.contains(&name) {
                    return Err(Error::Duplicate {
                        file: r.file.into(),
                        line: r.line,
                        id: id.into(),
                    });
                }
                seen.push(name);
                let queue = match queue {
                    "pre_sale" => Queue::PreSale,
                    "logistics" => Queue::Logistics,
                    "after_sale" => Queue::AfterSale,
                    q => {
                        return Err(r.error(format!(
                            "queue `{q}` is not one of pre_sale, logistics, after_sale"
                        )));
                    }
                };
                let priority = match priority {
                    "normal" => Priority::Normal,
                    "high" => Priority::High,
                    "urgent" => Priority::Urgent,
                    p => {
                        return Err(
                            r.error(format!("priority `{p}` is not one of normal, high, urgent"))
                        );
                    }
                };
                let template = match r.col(3) {
                    Some("-") | None => None,
                    Some(t) => Some(Label::new(t).ok_or_else(|| {
                        r.error(format!("template id `{t}` is longer than 32 bytes"))
                    })?),
                };
                let def = IntentDef { name, queue, priority, template };
                match cat.defs.iter_mut().find(|d| d.name == name) {
                    Some(d) => *d = def,
                    None => {
                        if cat.defs.len() >= u16::MAX as usize {
                            return Err(Error::TooLarge {
                                file: r.file.into(),
                                what: "the number of intents".into(),
                                limit: u16::MAX as usize,
                            });
                        }
                        cat.defs.push(def)
                    }
                }
            }
        }
        if let Some(o) = cat.id("other") {
            cat.other = o.0;
        } else {
            return Err(Error::parse(
                sources.first().map_or("intents.tsv", |s| s.0),
                1,
                "no intent `other` is declared; it is the fallback for unconfident messages, add it",
            ));
        }
        Ok(cat)
    }

    /// The id of intent `name`.
    pub(crate) fn id(&self, name: &str) -> Option<IntentId> {
        self.defs.iter().position(|d| d.name == name).map(|i| IntentId(i as u16))
    }

    /// The definition of `id`.
    pub(crate) fn def(&self, id: IntentId) -> &IntentDef {
        &self.defs[id.index()]
    }

    /// The fallback intent.
    pub(crate) fn other(&self) -> IntentId {
        // `parse` guarantees it exists.
        IntentId(self.other)
    }

    pub(crate) fn len(&self) -> usize {
        self.defs.len()
    }
}

/// Intent ids are snake_case ASCII so they travel through any store and log unchanged.
pub(crate) fn is_id(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}
