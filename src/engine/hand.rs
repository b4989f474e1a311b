//! The daemon's note of the inbox files in hand (`<db>/in-hand`), so that a file that kills the
//! process while it is read is found out and set aside instead of being read first after every
//! restart. Right before a batch is read the note names its files, and as soon as the batch's
//! last file is read it is cleared: plain writes, no fsync, since what the note guards against
//! is the death of the process, which leaves written pages to the kernel (the store's sync of
//! the batch, which syncs every file of the folder, makes the note durable too). A sync here
//! would widen the window in which a death is blamed on a file, and cost every batch. At start,
//! files a dead process held are suspects, each read again alone; one held alone at a death
//! takes a strike and is read alone once more, and one held alone at a second death (its third
//! death in all) is set aside: a page that kills the process costs one restart more than it
//! would without the strike, and a normal file is set aside only when three deaths in a row
//! (an operator's `kill -9`, an OOM kill, a power cut) each land while it is read. Owns this
//! file only; must not decide verdicts or read articles.

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

/// What the note holds. The format stays readable both ways: the header's format is still 1,
/// and `strikes` was added with a serde default. A note an older copydesk wrote has no
/// `strikes` (`None`): what it set aside had been held alone at one death only, so here such a
/// file takes its first strike and is read alone once more. An older copydesk reading a newer
/// note ignores `strikes` (serde skips unknown fields): to it a file with a strike is a plain
/// suspect, and a file held alone at its death is set aside at once, as it always did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Note {
    /// The files being read now (none between batches).
    reading: Vec<String>,
    /// Whether `reading` is a suspect read alone: a death now gives it a strike, or sets it
    /// aside when it has one.
    alone: bool,
    /// Files in hand at an earlier death, each to be read alone.
    suspects: Vec<String>,
    /// Files held alone at two deaths, to be rejected without reading.
    set_aside: Vec<String>,
    /// Suspects held alone at one death already: a second sets them aside. `None` only in a
    /// note an older copydesk wrote.
    #[serde(default)]
    strikes: Option<Vec<String>>,
}

/// What a start learned from the note a dead process left.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Found {
    /// Files that were being read in a batch: now suspects.
    pub(crate) suspects: Vec<String>,
    /// A suspect that was being read alone for the first time: it has a strike now, and is
    /// read alone once more.
    pub(crate) struck: Vec<String>,
    /// A suspect that was being read alone with a strike already: now set aside.
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
        let mut strikes = match note.strikes.take() {
            Some(strikes) => strikes,
            // An older copydesk set a file aside at its first death alone: here that is one
            // strike (see `Note`).
            None => {
                let older = std::mem::take(&mut note.set_aside);
                add(&mut note.suspects, &older);
                older
            }
        };
        if note.alone {
            for file in reading {
                if strikes.contains(&file) {
                    found.set_aside.push(file);
                } else {
                    found.struck.push(file);
                }
            }
        } else {
            found.suspects = reading;
        }
        note.alone = false;
        let exists = |f: &String| std::fs::symlink_metadata(f).is_ok();
        found.suspects.retain(exists);
        found.struck.retain(exists);
        found.set_aside.retain(exists);
        note.suspects.retain(exists);
        note.set_aside.retain(exists);
        add(&mut note.suspects, &found.suspects);
        add(&mut note.suspects, &found.struck);
        add(&mut strikes, &found.struck);
        add(&mut note.set_aside, &found.set_aside);
        note.suspects.retain(|f| !note.set_aside.contains(f));
        // A strike is kept only while its file is a suspect.
        strikes.retain(|f| note.suspects.contains(f));
        note.strikes = Some(strikes);
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

    /// Suspects held alone at one death already (the engine reads them as any suspect).
    #[cfg(test)]
    pub(crate) fn strikes(&self) -> &[String] {
        self.note.strikes.as_deref().unwrap_or_default()
    }

    /// Forgets a file: its verdict is durable (or it was found stored already). Written with
    /// the next note.
    pub(crate) fn settled(&mut self, file: &str) {
        let note = &mut self.note;
        let count = |n: &Note| {
            n.suspects.len() + n.set_aside.len() + n.strikes.as_ref().map_or(0, Vec::len)
        };
        let before = count(note);
        note.suspects.retain(|f| f != file);
        note.set_aside.retain(|f| f != file);
        if let Some(strikes) = note.strikes.as_mut() {
            strikes.retain(|f| f != file);
        }
        self.stale |= count(note) != before;
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
    fn a_batch_in_hand_at_a_death_becomes_suspects_and_a_suspect_alone_at_two_is_set_aside() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path();
        let batch = files(db, &["a.txt", "b.txt", "c.txt"]);
        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found, Found::default(), "a new note knows of nothing");
        hand.begin(&batch, false).expect("notes");
        drop(hand); // the process dies while reading

        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.suspects, batch);
        assert!(found.struck.is_empty() && found.set_aside.is_empty());
        assert_eq!(hand.suspects(), batch);
        assert!(hand.strikes().is_empty());
        // The first suspect is read alone and read whole; the second is read alone and the
        // process dies.
        hand.begin(&batch[..1], true).expect("notes");
        hand.end_reading().expect("ends");
        hand.settled(&batch[0]);
        hand.begin(&batch[1..2], true).expect("notes");
        drop(hand);

        // One death alone is a strike, not enough to set the file aside: it is still a suspect.
        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.struck, &batch[1..2]);
        assert!(found.suspects.is_empty() && found.set_aside.is_empty());
        assert!(hand.set_aside().is_empty());
        assert_eq!(hand.suspects(), &batch[1..]);
        assert_eq!(hand.strikes(), &batch[1..2]);
        // Read alone again, it is in hand at a second death.
        hand.begin(&batch[1..2], true).expect("notes");
        drop(hand);

        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.set_aside, &batch[1..2]);
        assert!(found.suspects.is_empty() && found.struck.is_empty());
        assert_eq!(hand.set_aside(), &batch[1..2]);
        assert_eq!(hand.suspects(), &batch[2..], "the third is still a suspect");
        assert!(
            hand.strikes().is_empty(),
            "a file set aside needs no strike"
        );
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
    fn a_struck_file_read_whole_loses_its_strike() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path();
        let batch = files(db, &["a.txt"]);
        let (mut hand, _) = Hand::open(db).expect("opens");
        hand.begin(&batch, false).expect("notes");
        drop(hand);
        let (mut hand, _) = Hand::open(db).expect("opens");
        hand.begin(&batch, true).expect("notes");
        drop(hand);
        let (mut hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found.struck, batch);
        hand.begin(&batch, true).expect("notes");
        hand.end_reading().expect("ends");
        hand.settled(&batch[0]);
        hand.end_reading().expect("ends");
        drop(hand);
        let (hand, found) = Hand::open(db).expect("opens");
        assert_eq!(found, Found::default());
        assert!(hand.suspects().is_empty() && hand.strikes().is_empty());
        assert!(hand.set_aside().is_empty());
    }

    /// A note as the format-1 writer lays it out, around any JSON body.
    fn raw_note(body: &str) -> Vec<u8> {
        let mut out = format!(
            "{MAGIC} 1 {} {:016x}\n",
            body.len(),
            xxhash_rust::xxh3::xxh3_64(body.as_bytes())
        )
        .into_bytes();
        out.extend_from_slice(body.as_bytes());
        out
    }

    #[test]
    fn an_older_note_reads_as_one_strike_and_an_older_copydesk_can_read_a_newer_note() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path();
        let f = files(db, &["aside.txt", "alone.txt", "batch.txt"]);
        // An older copydesk's note: it had set the first file aside at one death alone, and
        // died holding the second alone.
        let older = serde_json::json!({
            "reading": [f[1]],
            "alone": true,
            "suspects": [f[1], f[2]],
            "set_aside": [f[0]],
        });
        std::fs::write(db.join(FILE), raw_note(&older.to_string())).expect("write");
        let (mut hand, found) = Hand::open(db).expect("opens");
        assert!(!found.unreadable);
        assert_eq!(found.struck, &f[1..2], "alone at one death: a strike");
        assert!(found.set_aside.is_empty());
        assert!(
            hand.set_aside().is_empty(),
            "nothing is set aside on one death"
        );
        let mut suspects = hand.suspects().to_vec();
        suspects.sort();
        let mut strikes = hand.strikes().to_vec();
        strikes.sort();
        let mut want = f.clone();
        want.sort();
        assert_eq!(suspects, want);
        let mut want = f[..2].to_vec();
        want.sort();
        assert_eq!(strikes, want, "the older set-aside file has one strike");

        // What an older copydesk makes of the newer note: the fields it knows, `strikes`
        // skipped.
        #[derive(Deserialize)]
        struct OlderNote {
            reading: Vec<String>,
            alone: bool,
            suspects: Vec<String>,
            set_aside: Vec<String>,
        }
        hand.begin(&f[2..], true).expect("notes");
        let bytes = std::fs::read(db.join(FILE)).expect("read");
        let end = bytes.iter().position(|&b| b == b'\n').expect("a header");
        assert!(bytes.starts_with(format!("{MAGIC} 1 ").as_bytes()));
        let body: serde_json::Value = serde_json::from_slice(&bytes[end + 1..]).expect("json");
        assert!(body["strikes"].is_array(), "{body}");
        let older: OlderNote =
            serde_json::from_slice(&bytes[end + 1..]).expect("an older reads it");
        assert_eq!(older.reading, &f[2..]);
        assert!(older.alone && older.set_aside.is_empty());
        assert_eq!(older.suspects.len(), 3);
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
