//! The dashboard end to end: the real binary in a real terminal (tmux, 100x30), on a temporary
//! inbox holding the seed articles and a temporary database. It waits for the list, looks for
//! the Humala reprint, opens the help and the compare view, spikes an article, quits, and checks
//! that the terminal is as the shell left it; and, attached to `copydesk serve`, it keeps its state
//! when the daemon stops, reconnects when it is back and catches up on what arrived meanwhile.
//! Skips (and says so) when tmux is not installed.

mod common;

use common::daemon::{Background, Daemon};
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A tmux server of its own (a unique `-L` socket), killed however the test ends.
struct Tmux {
    socket: String,
}

const SESSION: &str = "e2e";

impl Tmux {
    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-L")
            .arg(&self.socket)
            .args(args)
            .output()
            .expect("tmux runs")
    }

    fn send(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", SESSION];
        args.extend_from_slice(keys);
        let out = self.run(&args);
        assert!(out.status.success(), "send-keys {keys:?}: {out:?}");
    }

    /// Sends keys typed as text (no key-name lookup).
    fn type_text(&self, text: &str) {
        self.send(&["-l", text]);
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    fn show(&self, what: &str) -> String {
        String::from_utf8_lossy(
            &self
                .run(&["display-message", "-p", "-t", SESSION, what])
                .stdout,
        )
        .trim()
        .to_owned()
    }

    /// Waits until the screen passes `test`; fails with the screen if it never does.
    fn wait(&self, what: &str, test: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let screen = self.screen();
            if test(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "waited 60 s for {what}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn wait_for(&self, text: &str) -> String {
        self.wait(&format!("'{text}'"), |s| s.contains(text))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn copy_seeds(inbox: &Path) {
    std::fs::create_dir_all(inbox).expect("inbox");
    let seeds = Path::new(env!("CARGO_MANIFEST_DIR")).join("watch");
    for e in std::fs::read_dir(seeds).expect("watch/ ships the seeds") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "txt") {
            let to = inbox.join(p.file_name().expect("name"));
            std::fs::write(&to, std::fs::read(&p).expect("seed reads")).expect("seed copies");
        }
    }
}

#[test]
fn the_dashboard_in_a_real_terminal() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed, so the dashboard's end-to-end test cannot run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (inbox, db) = (dir.path().join("inbox"), dir.path().join("db"));
    copy_seeds(&inbox);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmux = Tmux {
        socket: format!("copydesk-e2e-{}-{nanos}", std::process::id()),
    };
    let cwd = dir.path().display().to_string();
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &cwd,
        "env",
        "PS1=e2e$ ",
        "sh",
    ]);
    assert!(out.status.success(), "tmux starts: {out:?}");
    tmux.wait_for("e2e$");
    let command = format!(
        "{} --db '{}' --inbox '{}'; echo EXITED=$?",
        env!("CARGO_BIN_EXE_copydesk"),
        db.display(),
        inbox.display()
    );
    tmux.type_text(&command);
    tmux.send(&["Enter"]);

    // The seeds arrive through the inbox watcher of the daemon the dashboard started.
    let background = Background { db: db.clone() };
    let screen = tmux.wait_for("REPRINT of #");
    assert!(screen.contains(" daemon │"), "{screen}");
    assert_eq!(
        tmux.show("#{alternate_on}"),
        "1",
        "the dashboard uses the alternate screen"
    );

    // Reprints only: the Humala reprint is selected and previewed.
    tmux.send(&["v"]);
    let screen = tmux.wait_for("verdict:reprint");
    let screen = if screen.contains("Humala") {
        screen
    } else {
        tmux.wait_for("Humala")
    };
    assert!(screen.contains("REPRINT of #"), "{screen}");

    tmux.send(&["?"]);
    tmux.wait_for("keys: incoming list");
    tmux.send(&["Escape"]);
    tmux.wait("the help to close", |s| !s.contains("keys: incoming list"));
    // A pause after Escape, so the next key is not read as Alt+key.
    std::thread::sleep(Duration::from_millis(300));

    tmux.send(&["c"]);
    tmux.wait_for("copydesk · compare #");
    // The comparison arrives from the engine after the view opens.
    let screen = tmux.wait("the differences to be marked", |s| {
        s.contains("[-") || s.contains("{+")
    });
    assert!(screen.contains("copydesk · compare #"), "{screen}");
    tmux.send(&["Escape"]);
    tmux.wait_for("copydesk · incoming");
    std::thread::sleep(Duration::from_millis(300));

    tmux.send(&["x"]);
    tmux.wait_for("spiked by ");

    tmux.send(&["q"]);
    let screen = tmux.wait_for("EXITED=0");
    assert_eq!(
        tmux.show("#{alternate_on}"),
        "0",
        "the alternate screen is left"
    );
    assert!(!screen.contains("copydesk · incoming"), "{screen}");
    // The terminal is back in cooked mode with the cursor shown.
    tmux.type_text("stty -a | tr ' ;' '\\n\\n' | grep -x -e icanon -e -icanon -e echo -e -echo; echo STTY=$((1+1))done");
    tmux.send(&["Enter"]);
    // The marker is computed, so the typed command line does not match it.
    let screen = tmux.wait_for("STTY=2done");
    let lines: Vec<&str> = screen.lines().map(str::trim).collect();
    assert!(
        lines.contains(&"icanon") && lines.contains(&"echo"),
        "{screen}"
    );
    assert_eq!(tmux.show("#{cursor_flag}"), "1", "the cursor is shown");
    // Quitting the dashboard left the engine it started serving.
    let pid = background.wait_for_serving(&[]);
    assert!(Background::alive(pid), "the daemon outlives the dashboard");
}

#[test]
fn the_dashboard_follows_a_daemon_that_restarts() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed, so the dashboard's end-to-end test cannot run");
        return;
    }
    let mut daemon = Daemon::new("");
    let (dir, inbox, db) = (
        daemon.dir.path().to_owned(),
        daemon.inbox.clone(),
        daemon.db.clone(),
    );
    copy_seeds(&inbox);
    daemon.spawn();
    let tmux = Tmux {
        socket: format!("copydesk-e2e-daemon-{}", std::process::id()),
    };
    let cwd = dir.display().to_string();
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &cwd,
        "env",
        "PS1=e2e$ ",
        "sh",
    ]);
    assert!(out.status.success(), "tmux starts: {out:?}");
    tmux.wait_for("e2e$");
    tmux.type_text(&format!(
        "{} --db '{}' --inbox '{}'; echo EXITED=$?",
        env!("CARGO_BIN_EXE_copydesk"),
        db.display(),
        inbox.display()
    ));
    tmux.send(&["Enter"]);
    let screen = tmux.wait_for("REPRINT of #");
    assert!(screen.contains(" daemon │"), "{screen}");

    daemon.stop();
    let screen = tmux.wait_for("DISCONNECTED");
    assert!(
        screen.contains("REPRINT of #"),
        "the last state stays on screen:\n{screen}"
    );

    // While it is away, a new article waits in the inbox; the restarted daemon ingests it and
    // the dashboard catches up from the event log.
    std::fs::write(
        inbox.join("zzz_late.txt"),
        "Harbour fees rise for night arrivals\n\nThe harbour authority announced new fees today for container ships arriving at night, citing the cost of extra pilots and tug crews.\n",
    )
    .expect("a new file");
    daemon.spawn();
    tmux.wait_for("Harbour fees rise");
    let screen = tmux.wait("the connection to come back", |s| {
        !s.contains("DISCONNECTED")
    });
    assert!(screen.contains(" daemon │"), "{screen}");
    tmux.send(&["q"]);
    tmux.wait_for("EXITED=0");
}

/// A shell in a tmux server of its own, 100x30, in `cwd`; `name` keeps servers apart.
fn shell(name: &str, cwd: &Path) -> Tmux {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let tmux = Tmux {
        socket: format!("copydesk-e2e-{name}-{}-{nanos}", std::process::id()),
    };
    let cwd = cwd.display().to_string();
    let out = tmux.run(&[
        "new-session",
        "-d",
        "-s",
        SESSION,
        "-x",
        "100",
        "-y",
        "30",
        "-c",
        &cwd,
        "env",
        "PS1=e2e$ ",
        "sh",
    ]);
    assert!(out.status.success(), "tmux starts: {out:?}");
    tmux.wait_for("e2e$");
    tmux
}

#[test]
fn two_dashboards_share_one_daemon_that_outlives_them() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed, so the dashboard's end-to-end test cannot run");
        return;
    }
    // A config (fast settling and rescans) but no daemon: nobody starts one by hand.
    let setup = Daemon::new("");
    copy_seeds(&setup.inbox);
    let background = Background {
        db: setup.db.clone(),
    };
    let dashboard = format!(
        "{} --config '{}'; echo EXITED=$?",
        env!("CARGO_BIN_EXE_copydesk"),
        setup.config.display()
    );
    let (first, second) = (
        shell("first", setup.dir.path()),
        shell("second", setup.dir.path()),
    );
    // Both start at once: the database's lock lets one daemon serve, and both attach to it.
    first.type_text(&dashboard);
    second.type_text(&dashboard);
    first.send(&["Enter"]);
    second.send(&["Enter"]);
    for tmux in [&first, &second] {
        let screen = tmux.wait_for("REPRINT of #");
        let screen = if screen.contains(" daemon │") {
            screen
        } else {
            tmux.wait_for(" daemon │")
        };
        assert!(screen.contains("REPRINT of #"), "{screen}");
    }
    let daemon = background.wait_for_serving(&[]);
    assert_eq!(background.pids(), vec![daemon], "one daemon served");

    // The first editor quits; the engine stays, and the second still gets new files.
    first.send(&["q"]);
    first.wait_for("EXITED=0");
    std::fs::write(
        setup.inbox.join("zzz_late.txt"),
        "Harbour fees rise for night arrivals\n\nThe harbour authority announced new fees today for container ships arriving at night, citing the cost of extra pilots and tug crews.\n",
    )
    .expect("a new file");
    let screen = second.wait_for("Harbour fees rise");
    assert!(!screen.contains("DISCONNECTED"), "{screen}");
    assert!(
        Background::alive(daemon),
        "quitting a dashboard never stops the engine"
    );

    // The daemon dies hard: the second dashboard starts another one and catches up.
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(daemon),
        nix::sys::signal::Signal::SIGKILL,
    )
    .expect("kill -9");
    let restarted = background.wait_for_serving(&[daemon]);
    std::fs::write(
        setup.inbox.join("zzz_later.txt"),
        "Ferry timetable changes for the winter season\n\nThe island ferry company published its winter timetable, with two fewer crossings on weekdays and a new late boat on Fridays.\n",
    )
    .expect("another new file");
    second.wait_for("Ferry timetable changes");
    second.wait("the connection to come back", |s| {
        !s.contains("DISCONNECTED") && s.contains(" daemon │")
    });
    second.send(&["q"]);
    second.wait_for("EXITED=0");
    assert!(
        Background::alive(restarted),
        "the restarted engine stays too"
    );
}

/// The number after `marker` on the screen ("article #12" gives 12).
fn number_after(screen: &str, marker: &str) -> Option<u64> {
    let at = screen.find(marker)? + marker.len();
    let digits: String = screen[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

#[test]
fn keys_as_less_and_vim_have_them() {
    if !tmux_available() {
        eprintln!("skipped: tmux is not installed, so the dashboard's end-to-end test cannot run");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let (inbox, db) = (dir.path().join("inbox"), dir.path().join("db"));
    copy_seeds(&inbox);
    let tmux = shell("keys", dir.path());
    tmux.type_text(&format!(
        "{} --db '{}' --inbox '{}'; echo EXITED=$?",
        env!("CARGO_BIN_EXE_copydesk"),
        db.display(),
        inbox.display()
    ));
    tmux.send(&["Enter"]);
    // The daemon the dashboard starts is stopped when the test ends, however it ends.
    let _background = Background { db: db.clone() };
    tmux.wait_for("REPRINT of #");

    // `/` opens an empty prompt; the search is case-insensitive.
    tmux.send(&["/"]);
    tmux.wait_for("search title and text: █");
    tmux.type_text("DRUG");
    tmux.send(&["Enter"]);
    tmux.wait("the search to filter the list", |s| {
        s.contains("/DRUG") && !s.contains("loading…") && s.contains("REPRINT of #")
    });
    // The second search starts empty again.
    tmux.send(&["/"]);
    tmux.wait_for("search title and text: █");
    tmux.type_text("drug");
    tmux.send(&["Enter"]);
    tmux.wait("the new search", |s| {
        s.contains("/drug") && !s.contains("loading…")
    });

    // In the list, `n` and `N` go to the next and previous matching article; `q` in the
    // article backs out to the list instead of quitting.
    // An article opens before its text arrives; `n` on a view still loading only says so, so
    // the keys below wait for the text.
    let open = |tmux: &Tmux| -> u64 {
        tmux.send(&["Enter"]);
        let screen = tmux.wait("the article and its text", |s| {
            s.contains("copydesk · article #") && !s.contains("loading…")
        });
        number_after(&screen, "copydesk · article #").expect("the article's number")
    };
    let back = |tmux: &Tmux| {
        tmux.send(&["q"]);
        tmux.wait("the list again", |s| {
            s.contains("copydesk · incoming") && !s.contains("copydesk · article #")
        });
    };
    let first = open(&tmux);
    back(&tmux);
    tmux.send(&["n"]);
    let second = open(&tmux);
    assert_ne!(first, second, "n went to another matching article");
    back(&tmux);
    tmux.send(&["N"]);
    assert_eq!(open(&tmux), first, "N came back");

    // In the article, `n` and `N` step through the occurrences.
    tmux.send(&["n"]);
    let screen = tmux.wait_for("'drug': 1 of ");
    let of = number_after(&screen, "'drug': 1 of ").expect("how many");
    assert!(of >= 2, "{screen}");
    tmux.send(&["n"]);
    tmux.wait_for(&format!("'drug': 2 of {of}"));
    tmux.send(&["N"]);
    tmux.wait_for(&format!("'drug': 1 of {of}"));
    tmux.send(&["N"]);
    tmux.wait_for(&format!("'drug': {of} of {of} (went round to the bottom)"));
    back(&tmux);
    assert!(
        !tmux.screen().contains("EXITED="),
        "q backed out, it did not quit"
    );

    // The `:` prompt runs commands by name and says when it knows none.
    tmux.send(&[":"]);
    tmux.wait_for(":█");
    tmux.type_text("filter verdict=reprint");
    tmux.send(&["Enter"]);
    tmux.wait_for("verdict:reprint");
    tmux.send(&[":"]);
    tmux.wait_for(":█");
    tmux.type_text("help");
    tmux.send(&["Enter"]);
    tmux.wait_for("keys: incoming list");
    tmux.send(&["q"]);
    tmux.wait("the help to close", |s| !s.contains("keys: incoming list"));
    tmux.send(&[":"]);
    tmux.wait_for(":█");
    tmux.type_text("frobnicate");
    tmux.send(&["Enter"]);
    tmux.wait_for("no command 'frobnicate'");
    assert!(!tmux.screen().contains("EXITED="));

    // At the top, `q` quits.
    tmux.send(&["q"]);
    tmux.wait_for("EXITED=0");
}
