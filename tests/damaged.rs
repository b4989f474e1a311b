//! A damaged database is said aloud: copies of a real database truncated, zeroed or with a byte
//! flipped make copydesk stop with a message and exit status 3 (never a panic, never an empty
//! database served in silence), and `copydesk doctor` says what it found.

mod common;

use common::{copy_files as copy, database, run};
use std::process::Output;

const DAMAGED: i32 = 3;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Neither a panic nor a silent success: exit 3 with the database named damaged.
fn assert_stops(out: &Output, what: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(DAMAGED), "{what}: {err}");
    assert!(
        err.contains("is damaged") && !err.contains("panicked"),
        "{what}: {err}"
    );
    assert_eq!(err.lines().count(), 1, "{what}: one line: {err}");
}

#[test]
fn a_zeroed_or_truncated_data_file_stops_copydesk_with_a_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = database(&dir.path().join("small"), 5);
    let big = database(&dir.path().join("big"), 400);
    let size = std::fs::metadata(big.join("db")).expect("db").len();
    let mut cases = vec![(small.clone(), 0u64), (big.clone(), 0)];
    for tenth in [2, 5, 8, 9] {
        cases.push((big.clone(), size * tenth / 10));
    }
    for (k, (db, at)) in cases.into_iter().enumerate() {
        let damaged = copy(&db, &dir.path().join(format!("damaged-{k}")));
        let f = std::fs::OpenOptions::new()
            .write(true)
            .open(damaged.join("db"))
            .expect("open");
        f.set_len(at).expect("truncate");
        let what = format!("{} truncated to {at}", db.display());
        assert_stops(&run(&damaged, &["stats"]), &what);
        let doctor = run(&damaged, &["doctor"]);
        assert_eq!(doctor.status.code(), Some(DAMAGED), "{what}");
        assert!(text(&doctor.stdout).contains("DAMAGED"), "{what}");
    }
    // The daemon stops too, with the same status, instead of serving a part of the database
    // (or being restarted into the same damage: systemd can be told not to restart on 3).
    let damaged = copy(&big, &dir.path().join("served"));
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(damaged.join("db"))
        .expect("open");
    f.set_len(size / 2).expect("truncate");
    let mut serve = common::bin()
        .arg("--db")
        .arg(&damaged)
        .arg("--inbox")
        .arg(dir.path().join("inbox"))
        .arg("serve")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("serve runs");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = serve.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = serve.kill();
            panic!("serve kept running on a damaged database");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(DAMAGED));
    // The undamaged database is sound, and the doctor counts what it holds.
    let out = run(&big, &["doctor", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(h["articles"], 400);
    assert_eq!(h["problems"], serde_json::json!([]));
}

#[test]
fn a_flipped_byte_is_found_by_the_doctor_or_does_no_harm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = database(dir.path(), 400);
    let bytes = std::fs::read(db.join("db")).expect("db");
    let mut found = 0;
    for k in 1..12 {
        let at = bytes.len() * k / 12;
        let damaged = copy(&db, &dir.path().join(format!("flip-{k}")));
        let mut b = bytes.clone();
        b[at] ^= 0xff;
        std::fs::write(damaged.join("db"), &b).expect("write");
        let out = run(&damaged, &["doctor", "--json"]);
        let err = text(&out.stderr);
        assert!(!err.contains("panicked"), "flip at {at}: {err}");
        match out.status.code() {
            Some(0) => {
                let h: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
                assert_eq!(h["articles"], 400, "flip at {at}: sound means whole: {h}");
            }
            Some(DAMAGED) => found += 1,
            other => panic!("flip at {at}: exit {other:?}: {err}"),
        }
        // Whatever the doctor said, every command either works or stops with the reason.
        let stats = run(&damaged, &["stats"]);
        assert!(
            stats.status.success() || stats.status.code() == Some(DAMAGED),
            "flip at {at}: {}",
            text(&stats.stderr)
        );
    }
    eprintln!("{found} of 11 flipped bytes found damage");
}
