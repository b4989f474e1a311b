//! The search index's folder: its segment files, the term dictionary they share, the manifest
//! that names them, the merge policy over segments in memory and on disk, and the snapshot
//! queries read. Used by the indexer thread alone; it reads no articles itself.
//!
//! Segments cover adjacent id ranges, oldest first: on disk, then in memory (the newest, not yet
//! worth a file; lost in a crash and indexed again). The manifest is replaced atomically after
//! every segment it names is durable, so after `kill -9` the folder holds what a manifest names,
//! plus leftovers that opening deletes. Anything that does not check out (a missing or damaged
//! file, ranges that do not follow on, ids past the database's last, a dictionary that is not
//! the one the manifest names or holds fewer terms than a segment uses) makes the index start
//! again from nothing: it is derived data, never trusted.

use super::dict::{Dictionary, Durable, Terms};
use super::encode::{merge, write_durably};
use super::segment::Segment;
use super::SearchError;
use crate::model::ArticleId;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Segments merged at once, and the ratio of sizes between tiers.
const FANOUT: usize = 8;
/// A merged segment of this tier (8^4 = 4,096 articles) or above is written to a file.
const FILE_TIER: u32 = 4;
const MANIFEST: &str = "manifest";
const HEADER: &str = "copydesk search index 2";

/// What queries read: the segments, oldest first, and the last id they cover.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub segments: Vec<Arc<Segment>>,
    /// Every article up to this id is indexed (0: none).
    pub covered: ArticleId,
    /// The terms, every one the segments use among them.
    pub terms: Terms,
}

/// The folder, its open segments and their dictionary.
pub struct Folder {
    dir: PathBuf,
    segments: Vec<Arc<Segment>>,
    dict: Dictionary,
}

fn tier(docs: u32) -> u32 {
    docs.max(1).ilog(FANOUT as u32)
}

fn file_name(s: &Segment) -> String {
    format!("{:016x}-{:016x}.seg", s.lo, s.hi)
}

impl Folder {
    /// Opens the index in `dir` for a database whose last article is `last_stored`, or starts it
    /// empty when there is none or it does not check out. Leftover files are deleted.
    pub fn open(dir: &Path, last_stored: ArticleId) -> Result<Folder, SearchError> {
        std::fs::create_dir_all(dir)?;
        let (segments, dict) = match load(dir, last_stored) {
            Ok(loaded) => loaded,
            Err(_) => {
                // Damaged or stale: start again (the caller re-indexes from the database).
                let _ = std::fs::remove_file(dir.join(MANIFEST));
                (Vec::new(), Dictionary::open(dir, None)?)
            }
        };
        let keep: Vec<String> = segments.iter().map(|s| file_name(s)).collect();
        for entry in std::fs::read_dir(dir)? {
            let name = entry?.file_name().to_string_lossy().into_owned();
            if name != MANIFEST && name != super::dict::FILE && !keep.contains(&name) {
                let _ = std::fs::remove_file(dir.join(&name));
            }
        }
        Ok(Folder {
            dir: dir.to_owned(),
            segments,
            dict,
        })
    }

    /// The dictionary, for numbering the terms of a segment being built.
    pub fn dict(&mut self) -> &mut Dictionary {
        &mut self.dict
    }

    pub fn covered(&self) -> ArticleId {
        self.segments.last().map_or(0, |s| s.hi)
    }

    /// What queries read: the segments and the terms as they stand.
    pub fn snapshot(&mut self) -> Snapshot {
        Snapshot {
            segments: self.segments.clone(),
            covered: self.covered(),
            terms: self.dict.terms(),
        }
    }

    /// Adds the segment that follows the last one, then merges as the policy says.
    pub fn push(&mut self, seg: Segment) -> Result<(), SearchError> {
        if seg.lo != self.covered() + 1 {
            return Err(SearchError::Damaged(format!(
                "segment {}..={} does not follow {}",
                seg.lo,
                seg.hi,
                self.covered()
            )));
        }
        self.segments.push(Arc::new(seg));
        while let Some(from) = self.plan() {
            self.merge_from(from, false)?;
        }
        Ok(())
    }

    /// Writes what is held in memory to a file, so that a restart need not index it again.
    pub fn persist(&mut self) -> Result<(), SearchError> {
        if let Some(from) = self.segments.iter().position(|s| s.is_in_memory()) {
            self.merge_from(from, true)?;
        }
        Ok(())
    }

    /// The newest run of segments to merge: it starts at a segment of some tier, holds nothing
    /// of a higher tier, and holds `FANOUT` of that tier (so segments of a lower tier, left by a
    /// shutdown, are taken along).
    fn plan(&self) -> Option<usize> {
        let tiers: Vec<u32> = self.segments.iter().map(|s| tier(s.docs)).collect();
        (0..tiers.len()).rev().find(|&i| {
            let t = tiers[i];
            tiers[i..].iter().all(|&u| u <= t)
                && tiers[i..].iter().filter(|&&u| u == t).count() >= FANOUT
        })
    }

    /// Merges `segments[from..]` into one: a file when it is large, holds a file already, or
    /// `to_file` says so; in memory otherwise.
    fn merge_from(&mut self, from: usize, to_file: bool) -> Result<(), SearchError> {
        let parts: Vec<&Segment> = self.segments[from..].iter().map(|s| &**s).collect();
        let docs: u32 = parts.iter().map(|s| s.docs).sum();
        let file = to_file || tier(docs) >= FILE_TIER || parts.iter().any(|s| !s.is_in_memory());
        let bound = self.dict.len();
        let merged = if parts.len() == 1 && !file {
            return Ok(());
        } else if !file {
            Segment::from_bytes(merge(&parts, bound, Vec::new())?)?
        } else if let [one] = parts.as_slice() {
            let path = self.dir.join(file_name(one));
            if let Some(bytes) = one.memory_bytes() {
                write_durably(&path, bytes)?;
            }
            Segment::open(&path, &mut |_, _| {})?
        } else {
            let (lo, hi) = (parts[0].lo, parts[parts.len() - 1].hi);
            let path = self.dir.join(format!("{lo:016x}-{hi:016x}.seg"));
            let tmp = path.with_extension("tmp");
            let f = merge(&parts, bound, std::fs::File::create(&tmp)?)?;
            f.sync_all()?;
            std::fs::rename(&tmp, &path)?;
            Segment::open(&path, &mut |_, _| {})?
        };
        let replaced: Vec<Arc<Segment>> = self.segments.drain(from..).collect();
        self.segments.push(Arc::new(merged));
        if file {
            self.write_manifest()?;
            for old in replaced.iter().filter(|s| !s.is_in_memory()) {
                let name = file_name(old);
                if self
                    .segments
                    .iter()
                    .all(|s| file_name(s) != name || s.is_in_memory())
                {
                    let _ = std::fs::remove_file(self.dir.join(name));
                }
            }
        }
        Ok(())
    }

    /// Names the segment files in the manifest, after the dictionary holds every term they
    /// use, durably.
    fn write_manifest(&mut self) -> Result<(), SearchError> {
        let d = self.dict.sync()?;
        let mut text = format!(
            "{HEADER}\n{} {} {} {:016x}\n",
            super::dict::FILE,
            d.terms,
            d.bytes,
            d.checksum
        );
        for s in self.segments.iter().filter(|s| !s.is_in_memory()) {
            text.push_str(&format!(
                "{} {} {} {:016x}\n",
                file_name(s),
                s.lo,
                s.hi,
                s.checksum
            ));
        }
        write_durably(&self.dir.join(MANIFEST), text.as_bytes())?;
        Ok(())
    }
}

/// The dictionary and the segments the manifest names, each checked: the dictionary against
/// the manifest's figures; each segment's checksum, its range as named, ranges that follow on
/// from id 1, nothing past the database's last article, and no term id past the dictionary.
fn load(
    dir: &Path,
    last_stored: ArticleId,
) -> Result<(Vec<Arc<Segment>>, Dictionary), SearchError> {
    let text = match std::fs::read_to_string(dir.join(MANIFEST)) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((Vec::new(), Dictionary::open(dir, None)?))
        }
        Err(e) => return Err(e.into()),
    };
    let mut lines = text.lines();
    if lines.next() != Some(HEADER) {
        return Err(SearchError::Damaged("manifest header".into()));
    }
    let terms_line = lines.next().unwrap_or_default();
    let durable = match terms_line.split(' ').collect::<Vec<_>>().as_slice() {
        [name, terms, bytes, sum] if *name == super::dict::FILE => Durable {
            terms: terms.parse().ok().unwrap_or(u32::MAX),
            bytes: bytes.parse().ok().unwrap_or(u64::MAX),
            checksum: u64::from_str_radix(sum, 16).unwrap_or_default(),
        },
        _ => {
            return Err(SearchError::Damaged(format!(
                "manifest line '{terms_line}'"
            )))
        }
    };
    let mut dict = Dictionary::open(dir, Some(durable))?;
    let mut out: Vec<Arc<Segment>> = Vec::new();
    for line in lines {
        let bad = || SearchError::Damaged(format!("manifest line '{line}'"));
        let f: Vec<&str> = line.split(' ').collect();
        let [name, lo, hi, sum] = f.as_slice() else {
            return Err(bad());
        };
        let seg = Segment::open(&dir.join(name), &mut |id, df| dict.add_df(id, df))?;
        let expected_lo = out.last().map_or(1, |s| s.hi + 1);
        if lo.parse::<u64>().ok() != Some(seg.lo)
            || hi.parse::<u64>().ok() != Some(seg.hi)
            || u64::from_str_radix(sum, 16).ok() != Some(seg.checksum)
            || seg.lo != expected_lo
            || seg.hi > last_stored
            || seg.bound > dict.len()
        {
            return Err(bad());
        }
        out.push(Arc::new(seg));
    }
    Ok((out, dict))
}
