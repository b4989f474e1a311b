//! Synthetic workload shared by `benches/engine.rs` and the `examples/bench_*.rs` programs:
//! English-like ~5 KB articles, and fingerprints shaped like theirs for a 1,000,000-article
//! index. Deterministic from a seed; no I/O, no clocks. Each including target uses a part of it.

// Included by path into several targets, each of which uses only some of these items.
#![allow(dead_code)]

use copydesk::detect::index::{AnchorIndex, SeenFilter, SimIndex};
use copydesk::engine::prepare::prepare;
use copydesk::engine::Input;
use copydesk::fingerprint::SimHash;
use std::collections::HashSet;

/// Target size of an article file in bytes ("a 5 KB article").
pub const ARTICLE_BYTES: usize = 5_000;

/// SplitMix64: small, fast, and good enough for workloads (no `rand` crate needed).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5DEE_CE66_D1A4_F87B)
    }

    /// A generator for item `i` of stream `seed`: items can be regenerated independently.
    pub fn for_item(seed: u64, i: u64) -> Rng {
        let mut r = Rng::new(seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)));
        r.next_u64();
        r
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
}

/// The most frequent words, real English, so that the head of the distribution reads like it.
const FUNCTION_WORDS: [&str; 60] = [
    "the",
    "of",
    "to",
    "and",
    "a",
    "in",
    "that",
    "is",
    "for",
    "on",
    "said",
    "with",
    "was",
    "as",
    "it",
    "by",
    "at",
    "from",
    "he",
    "his",
    "be",
    "has",
    "have",
    "are",
    "an",
    "not",
    "but",
    "which",
    "this",
    "were",
    "had",
    "will",
    "they",
    "their",
    "its",
    "who",
    "been",
    "after",
    "more",
    "also",
    "would",
    "one",
    "new",
    "than",
    "over",
    "two",
    "year",
    "people",
    "about",
    "into",
    "she",
    "her",
    "last",
    "we",
    "there",
    "or",
    "all",
    "up",
    "government",
    "first",
];
const ONSETS: [&str; 31] = [
    "b", "c", "d", "f", "g", "h", "j", "k", "l", "m", "n", "p", "r", "s", "t", "v", "w", "z", "br",
    "ch", "cl", "cr", "dr", "fl", "gr", "pl", "pr", "sh", "st", "th", "tr",
];
const NUCLEI: [&str; 9] = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io"];
const CODAS: [&str; 10] = ["", "n", "r", "s", "t", "l", "m", "nd", "st", "ng"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// How the prose is drawn.
#[derive(Debug, Clone)]
pub struct CorpusSpec {
    pub seed: u64,
    /// Distinct words in the vocabulary.
    pub vocabulary: usize,
    /// Share of sentences that open with a stock newswire phrase ("said in a statement on"):
    /// the 5-word windows that real stories share, which make anchor candidates.
    pub stock_rate: f64,
}

impl Default for CorpusSpec {
    fn default() -> CorpusSpec {
        CorpusSpec {
            seed: 0xC0DE_D35C,
            vocabulary: 4_000,
            stock_rate: 0.1,
        }
    }
}

/// A generator of distinct English-like articles: Zipf–Mandelbrot word frequencies over a
/// vocabulary whose head is English function words and whose tail is pseudo-words (frequent
/// words short, rare ones longer), sentences of 8 to 29 words with commas, quotes, numbers and
/// proper names, 1 to 4 sentences a paragraph, a title and a byline.
#[derive(Debug, Clone)]
pub struct Corpus {
    spec: CorpusSpec,
    words: Vec<String>,
    /// Cumulative word probabilities, by rank.
    cdf: Vec<f64>,
    stock: Vec<Vec<usize>>,
}

impl Corpus {
    pub fn new(spec: CorpusSpec) -> Corpus {
        let mut rng = Rng::new(spec.seed);
        let size = spec.vocabulary.max(FUNCTION_WORDS.len() + 1);
        let mut words: Vec<String> = FUNCTION_WORDS.iter().map(|w| (*w).to_owned()).collect();
        let mut seen: HashSet<String> = words.iter().cloned().collect();
        while words.len() < size {
            // Longer words further down the ranks, as in real text.
            let syllables = 1 + rng.below(2) + usize::from(words.len() > 400 && rng.chance(0.4));
            let mut w = String::new();
            for _ in 0..syllables {
                w.push_str(ONSETS[rng.below(ONSETS.len())]);
                w.push_str(NUCLEI[rng.below(NUCLEI.len())]);
            }
            w.push_str(CODAS[rng.below(CODAS.len())]);
            if seen.insert(w.clone()) {
                words.push(w);
            }
        }
        // Zipf–Mandelbrot, p(rank k) ∝ 1 / (k + 2.7): "the" comes out near 6 %, as in English.
        let weights: Vec<f64> = (1..=size).map(|k| 1.0 / (k as f64 + 2.7)).collect();
        let total: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cdf = weights
            .iter()
            .map(|w| {
                acc += w / total;
                acc
            })
            .collect();
        let mut corpus = Corpus {
            spec,
            words,
            cdf,
            stock: Vec::new(),
        };
        corpus.stock = (0..256)
            .map(|_| {
                (0..5 + rng.below(4))
                    .map(|_| corpus.rank(&mut rng))
                    .collect()
            })
            .collect();
        corpus
    }

    pub fn spec(&self) -> &CorpusSpec {
        &self.spec
    }

    fn rank(&self, rng: &mut Rng) -> usize {
        let u = rng.unit();
        self.cdf
            .partition_point(|&c| c < u)
            .min(self.words.len() - 1)
    }

    fn push_word(&self, rng: &mut Rng, out: &mut String, capital: bool) {
        if rng.chance(0.012) {
            out.push_str(&(1 + rng.below(2_025)).to_string());
            return;
        }
        // Proper names: a capitalised word from the tail.
        let name = rng.chance(0.04);
        let r = if name {
            FUNCTION_WORDS.len() + rng.below(self.words.len() - FUNCTION_WORDS.len())
        } else {
            self.rank(rng)
        };
        push_cased(out, &self.words[r], capital || name);
    }

    fn name(&self, rng: &mut Rng, out: &mut String) {
        for i in 0..2 {
            if i > 0 {
                out.push(' ');
            }
            let r = FUNCTION_WORDS.len() + rng.below(self.words.len() - FUNCTION_WORDS.len());
            push_cased(out, &self.words[r], true);
        }
    }

    fn sentence(&self, rng: &mut Rng, out: &mut String) {
        let quoted = rng.chance(0.08);
        if quoted {
            out.push('"');
        }
        let mut first = true;
        if rng.chance(self.spec.stock_rate) {
            for &r in &self.stock[rng.below(self.stock.len())] {
                if !first {
                    out.push(' ');
                }
                push_cased(out, &self.words[r], first);
                first = false;
            }
        }
        for i in 0..8 + rng.below(22) {
            if !first {
                if i > 2 && rng.chance(0.07) {
                    out.push(',');
                }
                out.push(' ');
            }
            self.push_word(rng, out, first);
            first = false;
        }
        if quoted {
            out.push_str(",\" said ");
            self.name(rng, out);
            out.push('.');
        } else {
            out.push(match rng.below(100) {
                0..=2 => '?',
                3 => '!',
                _ => '.',
            });
        }
    }

    /// The text of article `i`: distinct for every `i`, about `ARTICLE_BYTES` long.
    pub fn article(&self, i: u64) -> String {
        let mut rng = Rng::for_item(self.spec.seed, i);
        let mut out = String::with_capacity(ARTICLE_BYTES + 600);
        for w in 0..5 + rng.below(6) {
            if w > 0 {
                out.push(' ');
            }
            self.push_word(&mut rng, &mut out, true);
        }
        out.push_str("\n\nBy ");
        self.name(&mut rng, &mut out);
        out.push_str(&format!(
            " | {} {} 20{:02}\n",
            1 + rng.below(28),
            MONTHS[rng.below(12)],
            10 + rng.below(16)
        ));
        // Stop when the next paragraph (about 300 bytes) would overshoot the target on average.
        while out.len() + 150 < ARTICLE_BYTES {
            out.push('\n');
            for s in 0..1 + rng.below(4) {
                if s > 0 {
                    out.push(' ');
                }
                self.sentence(&mut rng, &mut out);
            }
            out.push('\n');
        }
        out
    }

    /// Article `i` as the engine's input, named like a file in an inbox.
    pub fn input(&self, i: u64) -> Input {
        copydesk::engine::files::input_from(
            &format!("synthetic/{i:07}.txt"),
            self.article(i).into_bytes(),
        )
    }
}

fn push_cased(out: &mut String, word: &str, capital: bool) {
    let mut chars = word.chars();
    match chars.next() {
        Some(c) if capital => {
            out.extend(c.to_uppercase());
            out.push_str(chars.as_str());
        }
        _ => out.push_str(word),
    }
}

/// The fingerprint shape of real prepared articles: how many anchors each is indexed under and
/// how many probes a look-up makes.
#[derive(Debug, Clone)]
pub struct Shape {
    /// Anchor counts of the calibration articles (drawn from at random).
    pub anchor_counts: Vec<usize>,
    /// Probes (anchor hashes at every position) of the calibration articles.
    pub probe_counts: Vec<usize>,
    /// Mean Hamming distance between SimHashes of unrelated calibration articles (32 when their
    /// bits are independent, which justifies uniform random SimHashes).
    pub mean_distance: f64,
}

impl Shape {
    /// Prepares `n` synthetic articles (the real pipeline) and records their shape.
    pub fn calibrate(corpus: &Corpus, n: usize, anchor_every: usize) -> Shape {
        let mut anchor_counts = Vec::with_capacity(n);
        let mut probe_counts = Vec::with_capacity(n);
        let mut hashes = Vec::with_capacity(n);
        for i in 0..n as u64 {
            let bytes = corpus.article(u64::MAX - i);
            let Ok(p) = prepare("calibrate.txt", bytes.as_bytes(), anchor_every, &|_| false) else {
                continue;
            };
            anchor_counts.push(p.anchors.len());
            probe_counts.push(p.probes.len());
            hashes.push(p.simhash);
        }
        let mut sum = 0u64;
        let mut pairs = 0u64;
        for (i, a) in hashes.iter().enumerate() {
            for b in &hashes[i + 1..] {
                sum += u64::from(a.distance(*b));
                pairs += 1;
            }
        }
        Shape {
            anchor_counts,
            probe_counts,
            mean_distance: sum as f64 / pairs.max(1) as f64,
        }
    }

    pub fn mean_anchors(&self) -> f64 {
        mean(&self.anchor_counts)
    }

    pub fn mean_probes(&self) -> f64 {
        mean(&self.probe_counts)
    }
}

fn mean(v: &[usize]) -> f64 {
    v.iter().sum::<usize>() as f64 / v.len().max(1) as f64
}

/// The stored fingerprint of slot `slot`: a uniform SimHash and sorted random anchors, as many as
/// a calibration article has. Regenerated on demand, so queries need not keep 1M anchor lists.
pub fn stored_fingerprint(shape: &Shape, seed: u64, slot: u32) -> (SimHash, Vec<u64>) {
    let mut rng = Rng::for_item(seed, u64::from(slot));
    let simhash = SimHash(rng.next_u64());
    let n = shape.anchor_counts[rng.below(shape.anchor_counts.len())];
    let mut anchors: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
    anchors.sort_unstable();
    anchors.dedup();
    (simhash, anchors)
}

/// The in-memory index as `Engine` holds it: SimHash tables, anchor postings, slot → id.
#[derive(Debug)]
pub struct Index {
    pub sim: SimIndex,
    pub anchors: AnchorIndex,
    pub ids: Vec<u64>,
    /// The engine's filter of stored document hashes (`Engine::decide` asks it first).
    pub seen: SeenFilter,
}

/// A stored article's document hash, for the synthetic index.
fn doc_hash(slot: u32) -> u64 {
    xxhash_rust::xxh3::xxh3_64(&slot.to_le_bytes())
}

impl Index {
    pub fn new(max_distance: u32) -> Index {
        Index {
            sim: SimIndex::new(max_distance),
            anchors: AnchorIndex::new(),
            ids: Vec::new(),
            seen: SeenFilter::default(),
        }
    }

    /// Adds slots `from..to` one by one, as `Engine::admit` does (the anchor index merges its
    /// recent postings into the base whenever they fill).
    pub fn fill(&mut self, shape: &Shape, seed: u64, from: u32, to: u32) {
        for slot in from..to {
            let (simhash, anchors) = stored_fingerprint(shape, seed, slot);
            let s = self.sim.push(simhash);
            self.anchors.insert(s, &anchors);
            self.ids.push(u64::from(s) + 1);
            self.seen.insert(doc_hash(slot));
        }
    }

    /// The index after `Engine::load` of slots `0..n`: the anchor postings built in two passes
    /// over the stored fingerprints (the first also collecting SimHashes and ids), then the
    /// SimHash tables built at once.
    pub fn loaded(shape: &Shape, seed: u64, n: u32, max_distance: u32) -> Index {
        let (mut fps, mut ids) = (Vec::new(), Vec::new());
        let mut seen = SeenFilter::default();
        let mut first = true;
        let anchors = Index::anchor_passes(shape, seed, n, |slot, simhash| {
            if first {
                fps.push(simhash.0);
                ids.push(u64::from(slot) + 1);
                seen.insert(doc_hash(slot));
            }
            if slot + 1 == n {
                first = false;
            }
        });
        Index {
            sim: SimIndex::build(max_distance, fps),
            anchors,
            ids,
            seen,
        }
    }

    /// `AnchorIndex::build` over slots `0..n`, calling `each` with every slot of each pass.
    fn anchor_passes(
        shape: &Shape,
        seed: u64,
        n: u32,
        mut each: impl FnMut(u32, SimHash),
    ) -> AnchorIndex {
        let built = AnchorIndex::build(|f| {
            for slot in 0..n {
                let (simhash, anchors) = stored_fingerprint(shape, seed, slot);
                each(slot, simhash);
                anchors.iter().for_each(|&a| f(a, slot));
            }
            Ok::<(), ()>(())
        });
        built.expect("infallible")
    }

    /// `loaded` in two halves, SimHash tables and ids first, so that the resident memory of
    /// each can be read in between: `between` is called after the first half.
    pub fn loaded_by_part(
        shape: &Shape,
        seed: u64,
        n: u32,
        max_distance: u32,
        between: impl FnOnce(&Index),
    ) -> Index {
        let fps = (0..n)
            .map(|slot| stored_fingerprint(shape, seed, slot).0 .0)
            .collect();
        let mut idx = Index {
            sim: SimIndex::build(max_distance, fps),
            anchors: AnchorIndex::new(),
            ids: (0..n).map(|slot| u64::from(slot) + 1).collect(),
            seen: SeenFilter::default(),
        };
        (0..n).for_each(|slot| idx.seen.insert(doc_hash(slot)));
        between(&idx);
        idx.anchors = Index::anchor_passes(shape, seed, n, |_, _| {});
        idx
    }
}

/// A look-up as `Engine::decide` makes it.
#[derive(Debug, Clone)]
pub struct Query {
    pub simhash: SimHash,
    pub probes: Vec<u64>,
    /// The stored slot this query is a near-duplicate of.
    pub target: Option<u32>,
}

/// A near-duplicate of stored slot `slot`: its SimHash with 0 to 3 bits flipped (within the
/// default radius) and as many probes as a calibration article makes, among them 90 % of the
/// slot's anchors (a light edit loses the rest); the other probes are fresh.
pub fn near_query(shape: &Shape, seed: u64, slot: u32, rng: &mut Rng) -> Query {
    let (simhash, anchors) = stored_fingerprint(shape, seed, slot);
    let mut fp = simhash.0;
    for _ in 0..rng.below(4) {
        fp ^= 1 << rng.below(64);
    }
    let n = shape.probe_counts[rng.below(shape.probe_counts.len())];
    let mut probes: Vec<u64> = (0..n).map(|_| rng.next_u64()).collect();
    let every = (n / anchors.len().max(1)).max(1);
    for (j, &a) in anchors.iter().enumerate() {
        if rng.chance(0.9) && j * every < n {
            probes[j * every] = a;
        }
    }
    Query {
        simhash: SimHash(fp),
        probes,
        target: Some(slot),
    }
}

/// A look-up for a story not in the index: random SimHash, fresh probes.
pub fn novel_query(shape: &Shape, rng: &mut Rng) -> Query {
    let n = shape.probe_counts[rng.below(shape.probe_counts.len())];
    Query {
        simhash: SimHash(rng.next_u64()),
        probes: (0..n).map(|_| rng.next_u64()).collect(),
        target: None,
    }
}

/// `VmHWM` (peak) and `VmRSS` (current) resident memory of this process in MB, from
/// `/proc/self/status` (Linux); `None` elsewhere.
pub fn rss_mb() -> Option<(f64, f64)> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let field = |name: &str| -> Option<f64> {
        let line = status.lines().find(|l| l.starts_with(name))?;
        let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kb / 1024.0)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// The `q`-quantile (0..=1) of sorted values.
pub fn quantile<T: Copy>(sorted: &[T], q: f64) -> Option<T> {
    let last = sorted.len().checked_sub(1)?;
    sorted.get(((last as f64) * q).round() as usize).copied()
}

/// Parses `--name value` flags over defaults; unknown flags are an error naming the flag.
pub fn flag<T: std::str::FromStr>(args: &[String], name: &str, default: T) -> Result<T, String> {
    match args.iter().position(|a| a == name) {
        None => Ok(default),
        Some(i) => {
            let v = args
                .get(i + 1)
                .ok_or_else(|| format!("flag '{name}' needs a value"))?;
            v.parse()
                .map_err(|_| format!("flag '{name}': cannot read '{v}'"))
        }
    }
}

/// Checks that every `--flag` given is one of `known`.
pub fn check_flags(args: &[String], known: &[&str]) -> Result<(), String> {
    for a in args.iter().filter(|a| a.starts_with("--")) {
        if !known.contains(&a.as_str()) {
            return Err(format!(
                "unknown flag '{a}'; known flags: {}",
                known.join(", ")
            ));
        }
    }
    Ok(())
}

/// User plus system CPU seconds of this process so far, from /proc/self/stat (Linux); `None`
/// elsewhere. (`bench_ingest` keeps its own copy.)
pub fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name and state; the
    // kernel counts them in ticks of 1/100 s on every Linux architecture copydesk builds for.
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// Bytes of the regular files under `dir`.
pub fn dir_bytes(dir: &std::path::Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            Ok(_) => e.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}
