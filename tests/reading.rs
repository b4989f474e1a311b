//! A real daemon reading a file that is slow to read (within every budget): SIGTERM while it
//! reads abandons the reading (exit 0, no record, the file left in the inbox and read at the
//! next start), and a file in hand at three deaths in a row (`kill -9` once the log says it is
//! being read, alone the second and third time) is set aside while the other files of its batch
//! are stored exactly once. Nothing here waits on a clock: each step waits for a log line or a
//! state, with generous deadlines.

mod common;

use common::daemon::{wait_until, Daemon};
use common::json_lines;
use std::path::{Path, PathBuf};

/// Files may be large here, so that reading one takes seconds even in an optimised build.
const LIMITS: &str = "[limits]\nmax_file_bytes = 67108864\n";

/// Plain text of `bytes` bytes of one- and two-letter words (the most words a byte can buy,
/// every one of them tokenised, shingled and hashed): seconds to read, inside every budget.
fn slow_text(seed: u64, bytes: usize) -> String {
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = String::with_capacity(bytes + 4);
    while out.len() < bytes {
        let r = next();
        out.push(char::from(b'a' + (r % 26) as u8));
        if r & 32 == 0 {
            out.push(char::from(b'a' + ((r >> 8) % 26) as u8));
        }
        out.push(if r & 0xf00 == 0 { '\n' } else { ' ' });
    }
    out
}

fn story(n: usize) -> String {
    format!(
        "Bulletin {n}: the harbour board met on day {n}.\n\nThe board agreed to repair pier {n} \
         before the winter storms, after divers found cracks in {n} of its oldest piles, and \
         to close the east gate to lorries until the work is done."
    )
}

/// The records stored from `file`, by its name.
fn records_of(db: &Path, name: &str) -> Vec<serde_json::Value> {
    json_lines(db, &["list", "--json", "--limit", "1000"])
        .into_iter()
        .filter(|r| {
            r["file"]
                .as_str()
                .is_some_and(|f| f.rsplit('/').next() == Some(name))
        })
        .collect()
}

/// Dates every file in `dir` an hour back: complete, to the inbox's eyes.
fn age(dir: &Path) {
    let then = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    for entry in std::fs::read_dir(dir).expect("lists").flatten() {
        let file = std::fs::File::options()
            .write(true)
            .open(entry.path())
            .expect("opens");
        file.set_modified(then).expect("dates");
    }
}

fn log_has_line(log: &str, parts: &[&str]) -> bool {
    log.lines().any(|l| parts.iter().all(|p| l.contains(p)))
}

#[test]
fn sigterm_while_a_file_is_read_abandons_it_and_the_next_start_reads_it() {
    let mut d = Daemon::new(LIMITS);
    let slow = d.inbox.join("slow.txt");
    std::fs::write(&slow, slow_text(7, 24 << 20)).expect("write");
    age(&d.inbox);
    d.spawn_unwaited();
    assert!(
        d.wait_log("reading files from the inbox"),
        "the daemon starts reading: {}",
        d.log()
    );
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(
        log_has_line(&log, &["slow.txt", "read again at the next start"]),
        "the log says which file is read again: {log}"
    );
    assert!(!d.socket().exists(), "the socket is removed");
    assert!(slow.exists(), "the file stays in the inbox");
    assert!(records_of(&d.db, "slow.txt").is_empty(), "no record");

    d.spawn_unwaited();
    assert!(
        wait_until(|| records_of(&d.db, "slow.txt").len() == 1),
        "the next start reads it: {}",
        d.log()
    );
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    let records = records_of(&d.db, "slow.txt");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "unique");
}

#[test]
fn a_file_in_hand_alone_at_two_deaths_is_set_aside_and_its_batch_is_stored_once() {
    let mut d = Daemon::new(LIMITS);
    let names = ["a-1.txt", "a-2.txt", "a-3.txt"];
    for (n, name) in names.iter().enumerate() {
        std::fs::write(d.inbox.join(name), story(n)).expect("write");
    }
    // Sorted last, so the batch's other files are read before it.
    let poison: PathBuf = d.inbox.join("z-poison.txt");
    std::fs::write(&poison, slow_text(11, 24 << 20)).expect("write");
    // Written a while ago, so the first listing finds all four ready at once: one batch.
    age(&d.inbox);

    // First death: the whole batch in hand.
    d.spawn_unwaited();
    assert!(d.wait_log("reading files from the inbox"), "{}", d.log());
    d.kill9();

    // The restart reads each file of that batch alone; the second death comes while the
    // poison page is in hand, alone.
    d.spawn_unwaited();
    assert!(
        wait_until(|| log_has_line(
            &d.log(),
            &["reading files from the inbox", "z-poison.txt", "alone=true"]
        )),
        "the poison page is read alone: {}",
        d.log()
    );
    assert!(
        log_has_line(&d.log(), &["copydesk stopped while reading 4 file(s)"]),
        "{}",
        d.log()
    );
    d.kill9();

    // One death alone is a strike, not enough: the third start reads it alone once more (an
    // operator's `kill -9` twice at the wrong moment must not lose a normal file), and the
    // third death comes while it is in hand, alone, again.
    d.spawn_unwaited();
    assert!(
        wait_until(|| log_has_line(
            &d.log(),
            &["reading files from the inbox", "z-poison.txt", "alone=true"]
        )),
        "the poison page is read alone once more: {}",
        d.log()
    );
    assert!(
        log_has_line(
            &d.log(),
            &["z-poison.txt", "read alone once more, and set aside if"]
        ),
        "{}",
        d.log()
    );
    assert!(
        !d.inbox.join(".rejected").join("z-poison.txt").exists(),
        "not set aside on one death alone"
    );
    d.kill9();

    // The fourth start sets it aside, unread, and files it with the other rejections.
    d.spawn_unwaited();
    let rejected = d.inbox.join(".rejected").join("z-poison.txt");
    assert!(
        wait_until(|| rejected.exists()),
        "the poison page is filed away: {}",
        d.log()
    );
    let reason = std::fs::read_to_string(d.inbox.join(".rejected").join("z-poison.txt.reason"))
        .expect("its reason");
    assert_eq!(
        reason.trim(),
        "copydesk stopped three times while reading this file, twice with it alone; set aside"
    );
    assert!(
        log_has_line(&d.log(), &["set aside", "z-poison.txt"]),
        "{}",
        d.log()
    );
    assert!(wait_until(|| d.stats().articles == 4), "{}", d.log());
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    for name in names {
        let records = records_of(&d.db, name);
        assert_eq!(records.len(), 1, "{name} stored exactly once: {records:?}");
        assert_ne!(records[0]["status"], "rejected", "{name}");
    }
    let records = records_of(&d.db, "z-poison.txt");
    assert_eq!(records.len(), 1, "{records:?}");
    assert_eq!(records[0]["status"], "rejected");
}
