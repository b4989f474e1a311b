//! Upgrades of an older database's fingerprints, run by `Engine::open` before anything else
//! reads them: each version's change re-derived from the stored stories. It only computes the
//! new records; the store writes them (and the version, last, so an interrupted upgrade runs
//! again).

use super::prepare::{stored_tokens, story_tokens};
use crate::fingerprint::{anchor_hashes, sample_anchors, SimHash};
use crate::store::codec::FpRecord;
use crate::store::{Store, StoreError, SCHEMA_VERSION};

/// Brings the fingerprints of a database at schema `from` up to `SCHEMA_VERSION`:
/// - 1 → 2: anchors became 64-bit (version 1 kept 32 bits, which are not read back);
/// - 2 → 3: the SimHash is taken over the shingles' xxh3 hashes (it was the `simhash` crate's
///   SipHash of each shingle's text);
/// - 3 → 4: content records carry the page's site and the blocks' prose flags, and learned site
///   templates have a tree of their own. Nothing is rewritten (older content records are read
///   as they are); the version is recorded so that an older copydesk refuses the database.
/// - 4 → 5: each article's shingle record (what verifying it as a candidate needs) is kept in a
///   tree of its own, derived here from its stored story as verification derived it before.
/// - 5 → 6: shingle records compress their words against the story's stored text. Nothing is
///   rewritten (records of schema 5 are read as they are); the version is recorded so that an
///   older copydesk refuses the database.
/// - 6 → 7: each article's fingerprint, content and shingle record, three records in three trees,
///   become one record (`store::codec::encode_article`), the shingle record's repeat of the
///   content's site and blocks dropped: every record is rewritten once.
/// - 7 → 8: the `exact` tree (each document's first article) is dropped: the engine keeps it in
///   its in-memory index, made again from the fingerprints and records. The version is recorded
///   first (an older copydesk, which would look documents up in that tree, refuses the
///   database), then the tree dropped, on every open that finds it.
///
/// The version is recorded once what the steps before the merge derived is durable: an upgrade
/// interrupted before runs again (each step skips or rewrites what it finds done). The merge
/// comes after, and runs on every open that finds records still apart, so one interrupted
/// (even by `kill -9`) is finished by the next open, and an older copydesk, which could not
/// read the merged records, refuses the database from the start of the merge.
pub(crate) fn upgrade(store: &Store, from: u32, anchor_every: usize) -> Result<(), StoreError> {
    if from >= SCHEMA_VERSION {
        merge(store)?;
        return drop_exact(store);
    }
    let what = if from < 5 {
        "what verification and look-ups need is derived again from the stored stories, and \
         each article's records are merged into one"
    } else if from < 7 {
        "each article's records are merged into one"
    } else {
        "the index of documents moves from the database to memory"
    };
    eprintln!(
        "copydesk: upgrading the database '{}' from schema {from} to {SCHEMA_VERSION}: {what}",
        store.path().display()
    );
    if from < 3 {
        fingerprints(store, from, anchor_every)?;
    }
    if from < 5 {
        let n = store.fill_shingles(story_tokens)?;
        eprintln!("copydesk: kept the shingle records of {n} articles");
    }
    store.record_schema()?;
    merge(store)?;
    drop_exact(store)
}

/// 7 → 8: the `exact` tree dropped, if it is there.
fn drop_exact(store: &Store) -> Result<(), StoreError> {
    if store.drop_exact_tree()? {
        eprintln!(
            "copydesk: dropped the database's index of documents ('{}'): it is kept in memory",
            store.path().display()
        );
    }
    Ok(())
}

/// 6 → 7: the records older schemas kept apart merged, if any are left.
fn merge(store: &Store) -> Result<(), StoreError> {
    if store.holds_old_records() {
        eprintln!(
            "copydesk: merging each article's records of the database '{}' into one",
            store.path().display()
        );
        let n = store.merge_old_records()?;
        // sled keeps the emptied trees' pages in its page table: a database merged in place
        // holds as much memory as before (measured at 1,000,000 articles); one rebuilt from an
        // export has the smaller layout.
        eprintln!(
            "copydesk: merged the records of {n} articles; this database keeps the memory of \
             its older layout while open: to get the smaller one, export it \
             (`copydesk export --output FILE`) and import that into an empty folder \
             (`copydesk --db NEW_FOLDER import FILE`)"
        );
    }
    Ok(())
}

/// 1 → 2 and 2 → 3: the anchors (from version 1) and the SimHashes derived again.
fn fingerprints(store: &Store, from: u32, anchor_every: usize) -> Result<(), StoreError> {
    let n = store.upgrade_fingerprints(|content, old| {
        let shingles = stored_tokens(&content.paragraphs).shingle_hashes();
        let anchors = if from < 2 {
            sample_anchors(&anchor_hashes(&shingles), anchor_every)
        } else {
            old.anchors
        };
        FpRecord {
            simhash: SimHash::of_hashes(&shingles).0,
            anchors,
            ..old
        }
    })?;
    eprintln!("copydesk: upgraded the fingerprints of {n} articles");
    Ok(())
}
