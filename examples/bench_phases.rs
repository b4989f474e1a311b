//! Where batch ingest spends its time: replays `Engine::ingest` step by step through the public
//! API (`prepare`, `SimIndex`/`AnchorIndex`, `Store`, `judge`) on the same synthetic articles as
//! `bench_ingest`, timing each phase: prepare (parallel), exact look-up, candidate look-up,
//! candidate verification, admission, and the durable `Store::commit`. The replay mirrors the
//! engine's steps one after another; the engine itself overlaps them (preparer threads, this
//! thread deciding, a writer thread committing each chunk), so its wall time is less than the
//! replay's sum: compare with `bench_ingest`. Keep the steps in step with the engine's.
//!
//! `cargo run --release --example bench_phases -- [--articles 20000] [--batch 1000]
//!  [--stock 0.1] [--seed N]`

#[path = "../benches/support/synth.rs"]
mod synth;

use copydesk::config::Settings;
use copydesk::detect::{judge, Side};
use copydesk::engine::prepare::{prepare, stored_tokens, Prepared};
use copydesk::engine::templates::Templates;
use copydesk::engine::Input;
use copydesk::fingerprint::exact_hash;
use copydesk::model::{ArticleRecord, Event, EventKind, Status, Verdict};
use copydesk::store::codec::{Content, FpRecord};
use copydesk::store::{NewArticle, PathEntry, Store};
use copydesk::text::Rejection;
use std::collections::HashMap;
use std::time::{Duration, Instant};
use synth::{check_flags, flag, Corpus, CorpusSpec, Index};

type Error = Box<dyn std::error::Error>;

/// Time and counts per phase, summed over the run.
#[derive(Default)]
struct Phases {
    prepare: Duration,
    exact: Duration,
    candidates: Duration,
    verify: Duration,
    admit: Duration,
    commit: Duration,
    articles: usize,
    candidates_found: usize,
    with_candidates: usize,
    content_fetches: usize,
    /// Time inside verification spent fetching and decoding stored content.
    fetch: Duration,
    /// Time inside verification spent rebuilding tokens and shingles of the stored story.
    retokenize: Duration,
}

/// The engine's state, rebuilt from its public parts.
struct Replay {
    settings: Settings,
    store: Store,
    index: Index,
    templates: Templates,
    next_id: u64,
    next_seq: u64,
}

/// The batch so far: what later articles of the same batch can match.
#[derive(Default)]
struct Pending {
    items: Vec<NewArticle>,
    by_id: HashMap<u64, usize>,
    exact: HashMap<u64, u64>,
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    check_flags(&args, &["--articles", "--batch", "--stock", "--seed"])?;
    let n: usize = flag(&args, "--articles", 20_000)?;
    let batch: usize = flag(&args, "--batch", 1_000)?;
    let corpus = Corpus::new(CorpusSpec {
        seed: flag(&args, "--seed", CorpusSpec::default().seed)?,
        stock_rate: flag(&args, "--stock", CorpusSpec::default().stock_rate)?,
        ..CorpusSpec::default()
    });
    let inputs: Vec<Input> = (0..n as u64).map(|i| corpus.input(i)).collect();

    let dir = tempfile::tempdir()?;
    let settings = Settings {
        db: dir.path().join("db"),
        ..Settings::default()
    };
    let store = Store::open(&settings.db, settings.cache_bytes, settings.max_text_bytes)?;
    let mut replay = Replay {
        index: Index::new(settings.simhash_max_distance),
        templates: Templates::new(
            settings.template_window_articles,
            settings.template_min_articles,
        ),
        next_id: store.next_id()?,
        next_seq: store.last_seq()? + 1,
        store,
        settings,
    };
    let mut ph = Phases::default();
    let start = Instant::now();
    for chunk in inputs.chunks(batch.max(1)) {
        replay.batch(chunk, &mut ph)?;
    }
    let total = start.elapsed();
    report(&ph, total, n, batch, corpus.spec().stock_rate);
    Ok(())
}

impl Replay {
    /// One `Engine::ingest` call.
    fn batch(&mut self, inputs: &[Input], ph: &mut Phases) -> Result<(), Error> {
        let t = Instant::now();
        let every = self.settings.anchor_every_words;
        let templates = &self.templates;
        // One scoped thread per core, each preparing a contiguous share, as `Engine::check` does.
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
        let share = inputs.len().div_ceil(cores).max(1);
        let prepared: Vec<Result<Prepared, Rejection>> = std::thread::scope(|s| {
            let threads: Vec<_> = inputs
                .chunks(share)
                .map(|chunk| {
                    s.spawn(move || {
                        let is_template = |h: u64| templates.is_template(h);
                        chunk
                            .iter()
                            .map(|input| match &input.data {
                                Err(r) => Err(r.clone()),
                                Ok(data) => prepare(&input.file, &data.bytes, every, &is_template),
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            threads
                .into_iter()
                .flat_map(|t| t.join().expect("a preparer does not panic"))
                .collect()
        });
        ph.prepare += t.elapsed();

        let mut pending = Pending::default();
        for (input, prep) in inputs.iter().zip(prepared) {
            let prep = prep.map_err(|r| format!("synthetic '{}' rejected: {r}", input.file))?;
            let id = self.next_id;
            self.next_id += 1;
            let (status, matched) = self.decide(&prep, &pending, ph)?;
            let t = Instant::now();
            let article = self.admit(id, input, prep, status, matched);
            if let Some(h) = article.exact_first {
                pending.exact.entry(h).or_insert(id);
            }
            pending.by_id.insert(id, pending.items.len());
            pending.items.push(article);
            ph.admit += t.elapsed();
            ph.articles += 1;
        }
        let t = Instant::now();
        let events = self.events(&pending.items);
        self.store.commit(&pending.items, &events)?;
        ph.commit += t.elapsed();
        Ok(())
    }

    /// `Engine::decide`: exact look-up, candidates, verification of each.
    fn decide(
        &mut self,
        prep: &Prepared,
        pending: &Pending,
        ph: &mut Phases,
    ) -> Result<(Status, Option<u64>), Error> {
        let t = Instant::now();
        let exact = match pending.exact.get(&prep.doc_hash) {
            Some(&id) => Some(id),
            None if self.index.seen.may_contain(prep.doc_hash) => {
                self.store.exact(prep.doc_hash)?
            }
            None => None,
        };
        ph.exact += t.elapsed();
        if exact.is_some() {
            return Ok((Status::Duplicate, exact));
        }
        let t = Instant::now();
        let candidates =
            self.index
                .candidates(prep.simhash, &prep.probes, self.settings.max_candidates);
        ph.candidates += t.elapsed();
        ph.candidates_found += candidates.len();
        ph.with_candidates += usize::from(!candidates.is_empty());

        let t = Instant::now();
        let new_side = Side {
            shingles: &prep.shingles,
            words: prep.tokens.len(),
            blocks: &prep.blocks,
            site: prep.site,
        };
        let mut best: Option<(Status, f32, u64)> = None;
        for id in candidates {
            if self.store.overruled(prep.exact, id)? {
                continue;
            }
            let f = Instant::now();
            let content = match pending.by_id.get(&id) {
                Some(&i) => pending.items[i].content.clone(),
                None => self.store.content(id)?,
            };
            ph.fetch += f.elapsed();
            ph.content_fetches += 1;
            let Some(content) = content else { continue };
            let r = Instant::now();
            let tokens = stored_tokens(&content.paragraphs);
            let shingles = tokens.shingle_hashes();
            ph.retokenize += r.elapsed();
            let old_side = Side {
                shingles: &shingles,
                words: tokens.len(),
                blocks: &content.blocks,
                site: content.site,
            };
            let mut j = judge(&new_side, &old_side, &self.settings.params);
            if j.status == Status::Unique {
                continue;
            }
            if exact_hash(content.paragraphs.iter().map(String::as_str)) == prep.exact {
                j.status = Status::Duplicate;
            }
            if best.is_none_or(|(_, sim, _)| j.similarity > sim) {
                best = Some((j.status, j.similarity, id));
            }
        }
        ph.verify += t.elapsed();
        Ok(best.map_or((Status::Unique, None), |(s, _, id)| (s, Some(id))))
    }

    /// `Engine::events_for`: one verdict event per article, numbered in order.
    fn events(&mut self, items: &[NewArticle]) -> Vec<Event> {
        items
            .iter()
            .map(|a| {
                let r = &a.record;
                let verdict = Verdict::of(r);
                self.next_seq += 1;
                Event {
                    seq: self.next_seq - 1,
                    at_ms: r.ingested_ms,
                    kind: EventKind::Verdict { verdict },
                }
            })
            .collect()
    }

    /// `Engine::admit`: index the article, learn templates, build its write.
    fn admit(
        &mut self,
        id: u64,
        input: &Input,
        prep: Prepared,
        status: Status,
        matched: Option<u64>,
    ) -> NewArticle {
        let slot = self.index.sim.push(prep.simhash);
        self.index.anchors.insert(slot, &prep.anchors);
        self.index.ids.push(id);
        self.index.seen.insert(prep.doc_hash);
        if status == Status::Unique {
            self.templates.learn(prep.blocks.iter().map(|b| b.hash));
        }
        let data = input.data.as_ref().ok();
        NewArticle {
            record: ArticleRecord {
                id,
                file: input.file.clone(),
                location: None,
                status,
                title: prep.title,
                matched: None,
                reason: None,
                story: matched.unwrap_or(id),
                source: prep.source,
                url: prep.url,
                published: prep.published,
                words: prep.tokens.len() as u32,
                size: data.map_or(0, |f| f.size),
                ingested_ms: copydesk::engine::files::now_ms(),
                triage: Default::default(),
            },
            fp: Some(FpRecord {
                simhash: prep.simhash.0,
                exact: prep.doc_hash,
                anchors: prep.anchors,
            }),
            content: Some(Content {
                blocks: prep.blocks,
                paragraphs: prep.paragraphs,
                site: prep.site,
            }),
            // Encoded in the commit phase here; the engine's preparers encode it.
            packed_content: None,
            exact_first: (status != Status::Duplicate).then_some(prep.doc_hash),
            path: data.map(|f| PathEntry {
                id,
                size: f.size,
                mtime_ns: f.mtime_ns,
                content_hash: Some(xxhash_rust::xxh3::xxh3_64(&f.bytes)),
            }),
            sites: Vec::new(),
        }
    }
}

fn report(ph: &Phases, total: Duration, n: usize, batch: usize, stock: f64) {
    let secs = total.as_secs_f64();
    let per = |d: Duration| d.as_secs_f64() * 1e6 / ph.articles.max(1) as f64;
    println!(
        "replayed ingest of {n} articles in batches of {batch}: {secs:.2} s, {:.0} articles/s",
        n as f64 / secs
    );
    println!(
        "{:<34} {:>8} {:>12} {:>7}",
        "phase", "s", "us/article", "share"
    );
    let rows = [
        ("prepare (parallel, wall)", ph.prepare),
        ("exact look-up (filter, sled get)", ph.exact),
        ("candidate look-up (index)", ph.candidates),
        ("verify candidates", ph.verify),
        ("  of which fetch+decode content", ph.fetch),
        ("  of which re-tokenize stored", ph.retokenize),
        ("admit (index push, templates)", ph.admit),
        ("commit (events, transaction, fsync)", ph.commit),
    ];
    for (name, d) in rows {
        println!(
            "{name:<34} {:>8.2} {:>12.1} {:>6.1}%",
            d.as_secs_f64(),
            per(d),
            d.as_secs_f64() / secs * 100.0
        );
    }
    println!(
        "candidates: {:.2} per article on average; {:.1} % of articles had at least one; {} stored stories fetched",
        ph.candidates_found as f64 / ph.articles.max(1) as f64,
        ph.with_candidates as f64 * 100.0 / ph.articles.max(1) as f64,
        ph.content_fetches
    );
    let serial = total.saturating_sub(ph.prepare);
    println!(
        "RESULT phases (stock {stock}): prepare {:.0} us/article (wall, parallel), serial rest \
         {:.0} us/article (verify {:.0}, candidates {:.0}, commit {:.0})",
        per(ph.prepare),
        per(serial),
        per(ph.verify),
        per(ph.candidates),
        per(ph.commit)
    );
}
