//! A real `copydesk serve` on a temporary inbox, database and socket: the one daemon child the
//! tests start (daemon, faults, the dashboard end to end). Killed however the test ends.

use super::bin;
use copydesk::client::Remote;
use copydesk::model::{Event, EventKind, Request, Response, Verdict};
use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Daemon {
    pub dir: tempfile::TempDir,
    pub inbox: PathBuf,
    pub db: PathBuf,
    pub config: PathBuf,
    pub child: Option<Child>,
    /// What the running daemon has written to stderr so far, read as it comes.
    log: Arc<Mutex<String>>,
    reader: Option<JoinHandle<()>>,
}

impl Daemon {
    /// Writes a config (extra TOML lines are appended to [daemon]) without starting.
    pub fn new(daemon_toml: &str) -> Daemon {
        let dir = tempfile::tempdir().expect("tempdir");
        let inbox = dir.path().join("inbox");
        let db = dir.path().join("db");
        std::fs::create_dir_all(&inbox).expect("inbox");
        let config = dir.path().join("config.toml");
        // A test that sets its own settle time (one with a slow writer) keeps it.
        let settle = if daemon_toml.contains("settle_ms") {
            ""
        } else {
            "settle_ms = 300\n"
        };
        let text = format!(
            "[paths]\ninbox = \"{}\"\ndb = \"{}\"\n[daemon]\n{settle}rescan_secs = 2\n{daemon_toml}\n",
            inbox.display(),
            db.display()
        );
        std::fs::write(&config, text).expect("config");
        Daemon {
            dir,
            inbox,
            db,
            config,
            child: None,
            log: Arc::default(),
            reader: None,
        }
    }

    pub fn start(mut self) -> Daemon {
        self.spawn();
        self
    }

    pub fn spawn(&mut self) {
        self.spawn_through(bin());
    }

    /// Starts `copydesk --config CONFIG serve` as `command` runs it (the binary, or a shell that
    /// sets a umask or limit first and passes its arguments on) and waits until it listens.
    pub fn spawn_through(&mut self, command: std::process::Command) {
        let child = self.serve(command);
        self.spawned(child);
    }

    /// `command` (the binary, or a shell passing its arguments on) asked to serve this config.
    fn serve(&self, mut command: std::process::Command) -> Child {
        command
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts")
    }

    /// Takes over a started daemon (its stderr piped): its log is read as it comes, it is
    /// waited for until its socket answers, and it is killed when the test ends.
    pub fn spawned(&mut self, child: Child) {
        self.adopt(child);
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = Remote::try_connect(&self.socket()) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("the daemon did not come up within 60 s");
    }

    /// Starts `copydesk --config CONFIG serve` without waiting for its socket: a client's
    /// greeting waits for the engine, which may be busy reading what the inbox held at start.
    /// Wait on its log instead.
    pub fn spawn_unwaited(&mut self) {
        let child = self.serve(bin());
        self.adopt(child);
    }

    /// Reads a started daemon's log as it comes, and kills it when the test ends.
    fn adopt(&mut self, mut child: Child) {
        let stderr = child.stderr.take().expect("piped stderr");
        let log: Arc<Mutex<String>> = Arc::default();
        self.log = Arc::clone(&log);
        self.reader = Some(std::thread::spawn(move || {
            for line in std::io::BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut log) = log.lock() {
                    log.push_str(&line);
                    log.push('\n');
                }
            }
        }));
        self.child = Some(child);
    }

    /// Copies `file` into a sub-folder of the inbox (which the watcher does not read), where
    /// the daemon may read it for a client's request; returns the copy's path. A file already
    /// inside the inbox is returned as it is.
    pub fn stage(&self, file: &Path) -> PathBuf {
        if file.starts_with(&self.inbox) {
            return file.to_owned();
        }
        let dir = self.inbox.join("requests");
        std::fs::create_dir_all(&dir).expect("staging folder");
        let copy = dir.join(file.file_name().expect("a file name"));
        std::fs::copy(file, &copy).expect("staged");
        copy
    }

    pub fn socket(&self) -> PathBuf {
        self.db.join("copydesk.sock")
    }

    pub fn client(&self) -> Remote {
        Remote::try_connect(&self.socket())
            .expect("connects")
            .expect("a daemon listens")
    }

    /// What the running daemon has written to stderr so far.
    pub fn log(&self) -> String {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Waits until the daemon's stderr holds `what` (a generous deadline: the machine may be
    /// busy); false if it never does.
    pub fn wait_log(&self, what: &str) -> bool {
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if self.log().contains(what) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Sends SIGTERM and returns the exit code and what the daemon wrote to stderr.
    pub fn stop(&mut self) -> (Option<i32>, String) {
        self.signal(nix::sys::signal::Signal::SIGTERM)
    }

    /// Sends `signal`, waits for the daemon to exit and returns the exit code and what it wrote
    /// to stderr.
    pub fn signal(&mut self, signal: nix::sys::signal::Signal) -> (Option<i32>, String) {
        let mut child = self.child.take().expect("running");
        let pid = nix::unistd::Pid::from_raw(child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("signal");
        let status = child.wait().expect("exits");
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.code(), self.log())
    }

    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().expect("kill -9");
        let _ = child.wait();
    }

    pub fn stats(&self) -> copydesk::model::Stats {
        match self.client().call(Request::Stats).expect("stats") {
            Response::Stats { stats } => stats,
            other => panic!("unexpected {other:?}"),
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Waits until `cond` holds, with a deadline generous enough for a busy machine; false if it
/// never does.
pub fn wait_until(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    cond()
}

/// Subscribes from `after` and returns the event feed.
pub fn follow(socket: &Path, after: u64) -> Receiver<Event> {
    let mut client = copydesk::client::Client::Remote(
        Remote::try_connect(socket)
            .expect("connects")
            .expect("a daemon listens"),
    );
    client.subscribe(after).expect("subscribes").events
}

/// The next verdict event within `timeout`.
pub fn next_verdict(events: &Receiver<Event>, timeout: Duration) -> Option<Verdict> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        match events.recv_timeout(left).ok()?.kind {
            EventKind::Verdict { verdict } => return Some(verdict),
            EventKind::Triage { .. } => continue,
        }
    }
}

/// The daemons a dashboard started in the background for `db`, found by the pids they log in
/// `<db>/copydesk.log`; each still running is stopped (SIGTERM, then waited for) on drop.
pub struct Background {
    pub db: PathBuf,
}

impl Background {
    /// The pids logged by daemons that started serving, oldest first.
    pub fn pids(&self) -> Vec<i32> {
        let log = std::fs::read_to_string(self.db.join("copydesk.log")).unwrap_or_default();
        // A log line: "... INFO serving db=... socket=... inbox=... pid=1234".
        log.lines()
            .filter(|l| l.contains(" serving "))
            .filter_map(|l| {
                let rest = l.split(" pid=").nth(1)?;
                rest.split(|c: char| !c.is_ascii_digit())
                    .next()?
                    .parse()
                    .ok()
            })
            .collect()
    }

    /// The pid of the daemon that started serving last, once one has.
    pub fn wait_for_serving(&self, besides: &[i32]) -> i32 {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(pid) = self.pids().into_iter().rev().find(|p| !besides.contains(p)) {
                return pid;
            }
            assert!(Instant::now() < deadline, "no daemon logged that it serves");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Running: it exists and is not a zombie waiting for a parent to reap it.
    pub fn alive(pid: i32) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit(')')
            .next()
            .and_then(|s| s.split_whitespace().next());
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), None).is_ok() && state != Some("Z")
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        for pid in self.pids() {
            let p = nix::unistd::Pid::from_raw(pid);
            if nix::sys::signal::kill(p, nix::sys::signal::Signal::SIGTERM).is_ok() {
                let deadline = Instant::now() + Duration::from_secs(30);
                while Background::alive(pid) && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
        }
    }
}
