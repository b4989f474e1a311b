//! The daemon's life beside one-off commands: `serve` started while a command holds the database
//! waits for it (and stops when told to meanwhile) and ends up serving, however the two race; a
//! second `serve` gives way to the one already serving; a stale socket does not stop a daemon.

mod common;

use common::bin;
use common::daemon::Daemon;
use copydesk::client::Remote;
use copydesk::config::Settings;
use copydesk::engine::Engine;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::time::{Duration, Instant};

/// `serve` on the setup's config, its standard error forwarded line by line.
fn serve(setup: &Daemon) -> (Child, Receiver<String>) {
    let mut child = bin()
        .arg("--config")
        .arg(&setup.config)
        .arg("serve")
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    let stderr = child.stderr.take().expect("piped");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

/// Waits for a line containing `text`; fails with what was said if the daemon never says it.
fn said(lines: &Receiver<String>, text: &str) {
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        match lines.recv_timeout(left) {
            Ok(line) if line.contains(text) => return,
            Ok(line) => seen.push(line),
            Err(_) => break,
        }
    }
    panic!("serve never said '{text}'; it said {seen:?}");
}

/// Waits until the daemon answers on its socket.
fn serving(setup: &Daemon, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(_)) = Remote::try_connect(&setup.socket()) {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("serve exited ({status}) instead of serving");
        }
        assert!(
            Instant::now() < deadline,
            "serve did not answer within 60 s"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn stop(child: &mut Child) {
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("signal");
    let status = child.wait().expect("exits");
    assert!(status.success(), "serve stops cleanly: {status}");
}

#[test]
fn serve_waits_for_a_command_holding_the_database() {
    let setup = Daemon::new("");
    let settings = Settings {
        db: setup.db.clone(),
        inbox: setup.inbox.clone(),
        ..Settings::default()
    };
    // A one-off command's hold on the database, for as long as the test keeps it.
    let holder = Engine::open(settings).expect("the database opens");
    let (mut child, lines) = serve(&setup);
    said(&lines, "waiting up to");
    assert!(
        child.try_wait().expect("status").is_none(),
        "serve waits instead of dying"
    );
    drop(holder);
    serving(&setup, &mut child);
    stop(&mut child);
}

#[test]
fn serve_raced_by_one_off_commands_always_ends_up_serving() {
    let setup = Daemon::new("");
    // The database exists, as on a desk in use: a read-only command finds no database to read
    // where none was ever made, whoever is starting.
    let (mut first, _lines) = serve(&setup);
    serving(&setup, &mut first);
    stop(&mut first);
    for round in 0..50 {
        let (mut child, _lines) = serve(&setup);
        // A command at the same moment: it either answers through the daemon or opens the
        // database itself while the daemon waits for it.
        let out = bin()
            .arg("--config")
            .arg(&setup.config)
            .arg("stats")
            .output()
            .expect("stats runs");
        assert!(out.status.success(), "round {round}: stats: {out:?}");
        serving(&setup, &mut child);
        stop(&mut child);
    }
}

#[test]
fn a_second_serve_gives_way_to_the_one_serving() {
    let setup = Daemon::new("");
    let (mut first, _lines) = serve(&setup);
    serving(&setup, &mut first);
    let out = bin()
        .arg("--config")
        .arg(&setup.config)
        .args(["serve", "--background"])
        .output()
        .expect("serve runs");
    assert!(
        out.status.success(),
        "a dashboard's start leaves quietly: {out:?}"
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("already serves"),
        "{out:?}"
    );
    let out = bin()
        .arg("--config")
        .arg(&setup.config)
        .arg("serve")
        .output()
        .expect("serve runs");
    assert!(
        !out.status.success(),
        "a second foreground serve is an error: {out:?}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("already serves"));
    // The first one still serves.
    serving(&setup, &mut first);
    stop(&mut first);
}

#[test]
fn a_stale_socket_is_replaced_by_the_daemon_that_takes_the_database() {
    let setup = Daemon::new("");
    std::fs::create_dir_all(&setup.db).expect("db folder");
    // A socket file nobody listens on, as a daemon killed with -9 leaves it.
    drop(std::os::unix::net::UnixListener::bind(setup.socket()).expect("binds"));
    assert!(setup.socket().exists());
    // Another test's `serve` forked meanwhile holds the listener until it execs (a moment): a
    // connection then is taken and closed ungreeted. Once that passes, nobody listens.
    assert!(common::daemon::wait_until(|| matches!(
        Remote::try_connect(&setup.socket()),
        Ok(None)
    )));
    let (mut child, _lines) = serve(&setup);
    serving(&setup, &mut child);
    stop(&mut child);
}

#[test]
fn serve_stops_while_waiting_for_the_database() {
    let setup = Daemon::new("");
    let settings = Settings {
        db: setup.db.clone(),
        inbox: setup.inbox.clone(),
        ..Settings::default()
    };
    let _holder = Engine::open(settings).expect("the database opens");
    let (mut child, lines) = serve(&setup);
    said(&lines, "waiting up to");
    stop(&mut child);
}
