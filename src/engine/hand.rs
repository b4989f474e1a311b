//! The daemon's note of the inbox files in hand (`<db>/in-hand`), so that a file that kills the
//! process while it is read is found out and set aside instead of being read first after every
//! restart. Right before a batch is read the note names its files, and as soon as the batch's
//! last file is read it is cleared: plain writes, no fsync, since what the note guards against
//! is the death of the process, which leaves written pages to the kernel (the store's sync of
//! the batch, which syncs every file of the folder, makes the note durable too). A sync here
//! would widen the window in which a death is blamed on a file, and cost every batch. At start,
//! files a dead process held are suspects, each read again alone; one held alone at a second
//! death is set aside. Owns this file only; must not decide verdicts or read articles.

use serde::{Deserialize, Serialize};
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The note's file name inside the database folder.
pub(crate) const FILE: &str = "in-hand";
/// The note's first line starts with this, then its format, the body's length and checksum.
const MAGIC: &str = "copydesk-in-hand";
/// A note larger than this is not ours (a batch is at most a few hundred paths).
const MAX_BYTES: u64 = 64 << 20;

/// What the note holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Note {
    /// The files being read now (none between batches).
    reading: Vec<String>,
    /// Whether `reading` is a suspect read alone: a death now sets it aside.
    alone: bool,
    /// Files in hand at an earlier death, each to be read alone.
    suspects: Vec<String>,
    /// Files held alone at a second death, to be rejected without reading.
    set_aside: Vec<String>,
}

/// What a start learned from the note a dead process left.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Files that were being read in a batch: now suspects.
    pub(crate) suspects: Vec<String>,
    /// A file that was being read alone: now set aside.
    pub(crate) set_aside: Vec<String>,
    /// The note could not be read (damaged): nothing is known of what was in hand.
    pub(crate) unreadable: bool,
}

/// The open note and its state.
pub(crate) struct Hand {
    file: File,
    note: Note,
    /// Whether the file may say more than `note` (a write is then due at the end of reading).
    stale: bool,
}

impl Hand {
    /// Opens (or creates) the note in `db` and reads what a process that died left in it.
    /// Files that no longer exist are forgotten.
    pub(crate) fn open(db: &Path) -> std::io::Result<(Hand, Found)> {
        let path = db.join(FILE);
        let created = !path.exists();
        let mut file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        if created {
            // The note's name is durable before anything relies on it.
            File::open(db)?.sync_all()?;
        }
        let mut bytes = Vec::new();
        (&mut file).take(MAX_BYTES).read_to_end(&mut bytes)?;
        let (mut note, unreadable) = match decode(&bytes) {
            Some(note) => (note, false),
            None => (Note::default(), !bytes.is_empty()),
        };
        let mut found = Found {
            unreadable,
            ..Found::default()
        };
        let reading = std::mem::take(&mut note.reading);
        if note.alone {
            found.set_aside = reading;
        } else {
            found.suspects = reading;
        }
        note.alone = false;
        let exists = |f: &String| std::fs::symlink_metadata(f).is_ok();
        found.suspects.retain(exists);
        found.set_aside.retain(exists);
        note.suspects.retain(exists);
        note.set_aside.retain(exists);
        add(&mut note.suspects, &found.suspects);
        add(&mut note.set_aside, &found.set_aside);
        note.suspects.retain(|f| !note.set_aside.contains(f));
        let hand = Hand {
            file,
            note,
            stale: true,
        };
        Ok((hand, found))
    }

    /// Files in hand at an earlier death, to be read one at a time.
    pub(crate) fn suspects(&self) -> &[String] {
        &self.note.suspects
    }

    /// Files to be rejected without reading.
    pub(crate) fn set_aside(&self) -> &[String] {
        &self.note.set_aside
    }

    /// Forgets a file: its verdict is durable (or it was found stored already). Written with
    /// the next note.
    pub(crate) fn settled(&mut self, file: &str) {
        let before = self.note.suspects.len() + self.note.set_aside.len();
        self.note.suspects.retain(|f| f != file);
        self.note.set_aside.retain(|f| f != file);
        self.stale |= self.note.suspects.len() + self.note.set_aside.len() != before;
    }

    /// Notes that `files` are about to be read; `alone` for a suspect read by itself. Written,
    /// not synced: see the header.
    pub(crate) fn begin(&mut self, files: &[String], alone: bool) -> std::io::Result<()> {
        self.note.reading = files.to_vec();
        self.note.alone = alone;
        self.stale = true;
        self.write()
    }

    /// Notes that reading has ended, with the files settled since the last note (no sync: see
    /// the header). Writes nothing when the file says so already.
    pub(crate) fn end_reading(&mut self) -> std::io::Result<()> {
        self.note.reading.clear();
        self.note.alone = false;
        if !std::mem::replace(&mut self.stale, false) {
            return Ok(());
        }
        self.write()
    }

    /// Writes the note in place: the header names the body's length and checksum, so bytes an
    /// earlier, longer note left behind (or a write cut short) are never taken for a note.
    fn write(&self) -> std::io::Result<()> {
        let bytes = encode(&self.note);
        self.file.write_all_at(&bytes, 0)?;
        self.file.set_len(bytes.len() as u64)
    }
}

/// Adds the files of `more` not in `to` yet.
fn add(to: &mut Vec<String>, more: &[String]) {
    for f in more {
        if !to.contains(f) {
            to.push(f.clone());
        }
    }
}

fn encode(note: &Note) -> Vec<u8> {
    // A note of strings always serialises.
    let body = serde_json::to_vec(note).unwrap_or_default();
    let mut out = format!(
        "{MAGIC} 1 {} {:016x}\n",
        body.len(),
        xxhash_rust::xxh3::xxh3_64(&body)
    )
    .into_bytes();
    out.extend_from_slice(&body);
    out
}

fn decode(bytes: &[u8]) -> Option<Note> {
    let end = bytes.iter().position(|&b| b == b'\n')?;
    let header = std::str::from_utf8(&bytes[..end]).ok()?;
    let mut fields = header.split(' ');
    if fields.next()? != MAGIC || fields.next()? != "1" {
        return None;
    }
    let len: usize = fields.next()?.parse().ok()?;
    let sum = u64::from_str_radix(fields.next()?, 16).ok()?;
    let body = bytes.get(end + 1..end + 1 + len)?;
    if xxhash_rust::xxh3::xxh3_64(body) != sum {
        return None;
    }
    serde_json::from_slice(body).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(dir: &Path, names: &[&str]) -> Vec<String> {
        names
            .iter()
            .map(|n| {
                let p = dir.join(n);
                std::fs::write(&p, "x").expect("write");
                p.display().to_string()
            })
            .collect()
    }

    #[test]
    fn a_batch_in_hand_at_a_death_becomes_suspects_and_a_suspect_alone_is_set_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path();
        let batch = files(db, &["a.txt", "b.txt", "c.txt"]);
        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found, Found::default(), "a new note knows of nothing");
        hand.begin(&batch, false).expect("notes");
        drop(hand); // the process dies while reading

        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.suspects, batch);
        assert!(found.set_aside.is_empty());
        assert_eq!(hand.suspects(), batch);
        // The first suspect is read alone and read whole; the second is read alone and the
        // process dies.
        hand.begin(&batch[..1], true).expect("notes");
        hand.end_reading().expect("ends");
        hand.settled(&batch[0]);
        hand.begin(&batch[1..2], true).expect("notes");
        drop(hand);

        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.set_aside, &batch[1..2]);
        assert!(found.suspects.is_empty());
        assert_eq!(hand.set_aside(), &batch[1..2]);
        assert_eq!(hand.suspects(), &batch[2..], "the third is still a suspect");
        // A normal batch read whole: the note says nothing is being read, and remembers the
        // set-aside file and the suspect left.
        hand.begin(&files(db, &["d.txt"]), false).expect("notes");
        hand.end_reading().expect("ends");
        drop(hand);
        let (hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found, Found::default());
        assert_eq!(hand.set_aside(), &batch[1..2]);
        assert_eq!(hand.suspects(), &batch[2..]);
    }

    #[test]
    fn files_gone_are_forgotten_and_a_damaged_note_is_said() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path();
        let batch = files(db, &["a.txt", "b.txt"]);
        let (mut hand, _) = Hand::open(db).expect("opens");
        hand.begin(&batch, false).expect("notes");
        drop(hand);
        std::fs::remove_file(&batch[0]).expect("remove");
        let (_, found) = Hand::open(db).expect("opens");
        assert_eq!(found.suspects, &batch[1..]);

        // A shorter note written over a longer one, as `write` does, reads back exactly.
        let (mut hand, _) = Hand::open(db).expect("opens");
        hand.begin(&[], false).expect("notes");
        drop(hand);
        let (_, found) = Hand::open(db).expect("opens");
        assert!(found.suspects.is_empty() && !found.unreadable);

        std::fs::write(db.join(FILE), b"copydesk-in-hand 1 40 0000\n{\"reading\":").expect("write");
        let (_, found) = Hand::open(db).expect("opens");
        assert!(found.unreadable);
        assert!(found.suspects.is_empty());
    }
}
