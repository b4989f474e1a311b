//! `copydesk import`: articles of an export decided again by this engine, in their order, and
//! the editors' triage replayed among them as it happened. The story, page and identity come
//! from the export; the fingerprints, the look-up, the verdict, the learned templates and the
//! indexes are the engine's own, as for a file read from the inbox. Only into an empty
//! database: ids are given anew, and an export's ids are mapped to them.

use super::prepare::{stored_tokens, Prepared};
use super::{Engine, EngineError, Input, Pending};
use crate::fingerprint::{anchor_hashes, exact_hash, sample_anchors, SimHash};
use crate::model::export::{parse_state, Article, TriageEvent};
use crate::model::{ArticleId, ArticleRecord, EventKind, Status, TriageAction, TriageState};
use crate::model::{Triage, Verdict};
use crate::store::{NewArticle, PathEntry};
use crate::text::Rejection;
use rustc_hash::FxHashMap;
use std::sync::Arc;

/// Articles decided per transaction: as the ingest pipeline's chunks.
const CHUNK: usize = 64;

/// What an import said about one line of its input.
#[derive(Debug, Clone, PartialEq)]
pub struct Note {
    /// The line (from 1).
    pub line: u64,
    pub message: String,
}

/// What an import did, in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Imported {
    pub articles: u64,
    pub triage: u64,
    /// Articles whose verdict here differs from the exported one.
    pub changed: u64,
    /// Lines that could not be taken (each said in a `Note`).
    pub refused: u64,
}

/// An import in progress: feed it the lines in order, then `finish`.
pub struct Importer {
    engine: Engine,
    /// Exported id → id here.
    ids: FxHashMap<ArticleId, ArticleId>,
    /// Articles waiting for their transaction, with their line numbers.
    waiting: Vec<(u64, Article)>,
    /// Triage of articles not imported yet (a clock set back), tried again after each chunk.
    deferred: Vec<(u64, TriageEvent)>,
    /// The triage each article was exported with, to restore when its events did not read.
    last_triage: Vec<(u64, ArticleId, Triage)>,
    done: Imported,
    notes: Vec<Note>,
}

/// Why an import cannot start.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("the database '{0}' already holds {1} articles; import into an empty database (give --db a new folder)")]
    NotEmpty(std::path::PathBuf, u64),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

impl Importer {
    /// Starts an import into the engine's database, which must hold nothing.
    pub fn new(engine: Engine) -> Result<Importer, ImportError> {
        if engine.last_id() > 0 || engine.last_seq() > 0 {
            return Err(ImportError::NotEmpty(
                engine.settings.db.clone(),
                engine.last_id(),
            ));
        }
        Ok(Importer {
            engine,
            ids: FxHashMap::default(),
            waiting: Vec::new(),
            deferred: Vec::new(),
            last_triage: Vec::new(),
            done: Imported::default(),
            notes: Vec::new(),
        })
    }

    /// Notes gathered since the last call.
    pub fn take_notes(&mut self) -> Vec<Note> {
        std::mem::take(&mut self.notes)
    }

    /// A line that could not be taken.
    pub fn refuse(&mut self, line: u64, message: String) {
        self.done.refused += 1;
        self.notes.push(Note { line, message });
    }

    pub fn article(&mut self, line: u64, a: Article) -> Result<(), EngineError> {
        self.waiting.push((line, a));
        if self.waiting.len() >= CHUNK {
            self.flush()?;
        }
        Ok(())
    }

    pub fn triage(&mut self, line: u64, t: TriageEvent) -> Result<(), EngineError> {
        // Triage comes after the articles before it, as it happened.
        self.flush()?;
        self.replay(line, t, false)
    }

    /// Decides and stores the waiting articles, then retries deferred triage.
    fn flush(&mut self) -> Result<(), EngineError> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        let batch = std::mem::take(&mut self.waiting);
        let verdicts = self.engine.import_articles(&batch)?;
        for ((line, a), got) in batch.into_iter().zip(verdicts) {
            match got {
                Err(why) => self.refuse(line, format!("article #{}: {why}", a.id)),
                Ok(v) => {
                    let id = v.id.unwrap_or(0);
                    self.ids.insert(a.id, id);
                    self.done.articles += 1;
                    if let Some(said) = self.differs(&a, &v) {
                        self.done.changed += 1;
                        self.notes.push(Note {
                            line,
                            message: format!("article #{} (now #{id}): {said}", a.id),
                        });
                    }
                    if let Ok(t) = a.triage() {
                        if t.is_set() {
                            self.last_triage.push((line, a.id, t));
                        }
                    }
                }
            }
        }
        for (line, t) in std::mem::take(&mut self.deferred) {
            self.replay(line, t, false)?;
        }
        Ok(())
    }

    /// How the verdict here differs from the exported one, in words; `None` when it agrees.
    fn differs(&self, a: &Article, v: &Verdict) -> Option<String> {
        let was = a.status().ok()?;
        // An article whose editors overruled the detector was exported with their verdict; its
        // triage, replayed, makes it so again.
        if matches!(
            parse_state(&a.triage.state),
            Ok(TriageState::NotReprint | TriageState::ReprintOf(_))
        ) {
            return None;
        }
        let was_match = a.matched.as_ref().map(|m| self.ids.get(&m.id).copied());
        let now_match = v.matched.as_ref().map(|m| Some(m.id));
        (was != v.status || was_match != now_match).then(|| {
            let name = |s: Status, m: Option<Option<ArticleId>>| match m {
                Some(Some(id)) => format!("{} of #{id}", s.as_str()),
                Some(None) => format!("{} of an article not imported", s.as_str()),
                None => s.as_str().to_owned(),
            };
            format!(
                "exported as {}, decided here as {}",
                name(was, was_match),
                name(v.status, now_match)
            )
        })
    }

    /// Applies one triage change with its editor, time and note. `last` marks the restoring of
    /// an article's final state, after its events.
    fn replay(&mut self, line: u64, t: TriageEvent, last: bool) -> Result<(), EngineError> {
        let Some(&id) = self.ids.get(&t.id) else {
            // Its article may come later (a clock set back between them): tried again after
            // each chunk, and named at the end if it never came.
            if !last {
                self.deferred.push((line, t));
            } else {
                self.refuse(
                    line,
                    format!("triage of article #{}, which was not imported", t.id),
                );
            }
            return Ok(());
        };
        let action = match parse_state(&t.state) {
            Ok(TriageState::New) => TriageAction::New,
            Ok(TriageState::Picked) => TriageAction::Picked,
            Ok(TriageState::Spiked) => TriageAction::Spiked,
            Ok(TriageState::NotReprint) => TriageAction::NotReprint,
            Ok(TriageState::ReprintOf(other)) => match self.ids.get(&other) {
                Some(&other) => TriageAction::ReprintOf { other },
                None => {
                    self.refuse(
                        line,
                        format!(
                            "article #{}: reprint-of #{other}, which was not imported",
                            t.id
                        ),
                    );
                    return Ok(());
                }
            },
            Err(why) => {
                self.refuse(line, format!("article #{}: {why}", t.id));
                return Ok(());
            }
        };
        let by = t.by.as_deref().unwrap_or("import");
        match self
            .engine
            .triage(&[id], &action, t.note, None, by, t.at_ms)
        {
            Ok(_) => {
                self.done.triage += 1;
                Ok(())
            }
            Err(e @ (EngineError::ReprintOfItself(_) | EngineError::NoSuchArticle(_))) => {
                self.refuse(line, format!("article #{}: {e}", t.id));
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// Stores what waits, restores each article's exported triage where its events did not
    /// bring it back (events lost to damage), and returns what was done.
    pub fn finish(mut self) -> Result<(Imported, Vec<Note>), EngineError> {
        self.flush()?;
        for (line, t) in std::mem::take(&mut self.deferred) {
            self.replay(line, t, true)?;
        }
        for (line, old, want) in std::mem::take(&mut self.last_triage) {
            let Some(&id) = self.ids.get(&old) else {
                continue;
            };
            let Some(now) = self.engine.store().record(id)? else {
                continue;
            };
            let state = match want.state {
                TriageState::ReprintOf(other) => self
                    .ids
                    .get(&other)
                    .map_or(want.state, |&o| TriageState::ReprintOf(o)),
                s => s,
            };
            if now.triage.state == state && now.triage.note == want.note {
                continue;
            }
            let event = TriageEvent {
                seq: 0,
                at_ms: want.at_ms.unwrap_or(now.ingested_ms),
                at: String::new(),
                id: old,
                state: want.state.to_string(),
                by: want.by,
                note: want.note,
            };
            self.replay(line, event, true)?;
        }
        Ok((self.done, self.notes))
    }
}

impl Engine {
    /// Decides exported articles in order and stores them in one transaction, durable on
    /// return: one verdict each, or why the article cannot be imported.
    fn import_articles(
        &mut self,
        batch: &[(u64, Article)],
    ) -> Result<Vec<Result<Verdict, String>>, EngineError> {
        self.writing(|engine| engine.import_chunk(batch))
    }

    fn import_chunk(
        &mut self,
        batch: &[(u64, Article)],
    ) -> Result<Vec<Result<Verdict, String>>, EngineError> {
        let window = self.load()?.templates.snapshot();
        let mut pending = Pending::default();
        let mut items: Vec<Arc<NewArticle>> = Vec::with_capacity(batch.len());
        let mut events = Vec::with_capacity(batch.len());
        let mut out = Vec::with_capacity(batch.len());
        for (_, a) in batch {
            let status = match a.status() {
                Ok(s) => s,
                Err(why) => {
                    out.push(Err(why));
                    continue;
                }
            };
            // Never read again: a re-preparation against a learned template finds no file and
            // keeps the story as exported, which is the one the original run stored.
            let input = Input {
                file: a.file.clone(),
                data: Err(Rejection::NoText),
            };
            let id = self.next_id;
            let mut article = if status == Status::Rejected {
                rejected_again(id, a)
            } else {
                let prep = match self.prepared(a) {
                    Ok(p) => p,
                    Err(why) => {
                        out.push(Err(why));
                        continue;
                    }
                };
                let d = self.decide_learning(&input, prep, &pending, &window, id, true)?;
                self.admit(id, &input, d.prep, None, d.decision, a.ingested_ms)?
            };
            self.next_id += 1;
            article.record.location = a.location.clone();
            article.record.size = a.size;
            article.path = a.identity.as_ref().map(|i| PathEntry {
                id,
                size: i.size,
                mtime_ns: i.mtime_ns.map(i128::from),
                content_hash: i.content_hash,
            });
            let verdict = Verdict::of(&article.record);
            events.extend(self.events_for(
                std::iter::once(EventKind::Verdict {
                    verdict: verdict.clone(),
                }),
                a.ingested_ms,
            ));
            out.push(Ok(verdict));
            let article = Arc::new(article);
            pending.add(Arc::clone(&article));
            items.push(article);
        }
        self.store.write_articles(&items, &events)?;
        self.store.sync()?;
        self.outbox.extend(events);
        Ok(out)
    }

    /// An exported article as the preparing stage would have left it: the story and page as
    /// stored, fingerprinted here.
    fn prepared(&mut self, a: &Article) -> Result<Prepared, String> {
        let page = a
            .page
            .as_ref()
            .ok_or("no page: its story was not exported")?;
        if a.paragraphs.is_empty() {
            return Err("no story: its text was not exported".into());
        }
        let tokens = stored_tokens(&a.paragraphs);
        if tokens.is_empty() {
            return Err("its story holds no words".into());
        }
        let blocks = page.blocks();
        let hashes: Vec<u64> = blocks.iter().map(|b| b.hash).collect();
        let chrome_min = self.settings.params.chrome_min_blocks;
        let template_site = self
            .load()
            .map_err(|e| e.to_string())?
            .sites
            .site_for(page.site, &hashes, chrome_min)
            .unwrap_or(0);
        let shingles = tokens.shingle_hashes();
        let probes = anchor_hashes(&shingles);
        let anchors = sample_anchors(&probes, self.settings.anchor_every_words);
        // Without the document's hash (its fingerprint did not read), one of every block's.
        let doc_hash = page.doc_hash.unwrap_or_else(|| {
            let text: Vec<String> = hashes.iter().map(|h| format!("{h:016x}")).collect();
            exact_hash(text.iter().map(String::as_str))
        });
        Ok(Prepared {
            title: a.title.clone(),
            url: a.url.clone(),
            source: a.source.clone(),
            published: a.published.clone(),
            site: page.site,
            template_site,
            simhash: SimHash::of_hashes(&shingles),
            exact: exact_hash(a.paragraphs.iter().map(String::as_str)),
            doc_hash,
            paragraphs: a.paragraphs.clone(),
            blocks,
            tokens,
            shingles,
            probes,
            anchors,
        })
    }
}

/// A rejected file's record again, with its reason.
fn rejected_again(id: ArticleId, a: &Article) -> NewArticle {
    NewArticle {
        record: ArticleRecord {
            id,
            file: a.file.clone(),
            location: None,
            status: Status::Rejected,
            title: a.title.clone(),
            matched: None,
            reason: a.reason.clone(),
            story: id,
            source: None,
            url: None,
            published: None,
            words: 0,
            size: a.size,
            ingested_ms: a.ingested_ms,
            triage: Triage::default(),
        },
        fp: None,
        content: None,
        packed_content: None,
        shingles: None,
        packed_shingles: None,
        exact_first: None,
        path: None,
        sites: Vec::new(),
    }
}
