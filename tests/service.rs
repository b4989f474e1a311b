//! The systemd unit as shipped (`contrib/copydesk.service`): its ExecStart command line run as
//! written (only the installed binary's and the config's paths swapped for the test's), with the
//! shipped service config in a folder the daemon must not write to, and the environment systemd
//! gives a `Type=notify` service with `StateDirectory=`. It must say READY=1 once it serves.

mod common;

use common::daemon::{follow, next_verdict, Daemon};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

/// Generous: CI is a busy 2-core machine.
const WAIT: Duration = Duration::from_secs(60);

fn contrib(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("contrib")
        .join(name)
}

fn unit() -> String {
    std::fs::read_to_string(contrib("copydesk.service")).expect("the unit ships")
}

/// The unit's `Key=value` lines for `key`.
fn values(unit: &str, key: &str) -> Vec<String> {
    unit.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix('='))
        .map(str::to_owned)
        .collect()
}

/// Waits for a datagram on the notify socket.
fn next_notice(socket: &UnixDatagram) -> Option<String> {
    let mut buf = [0u8; 4096];
    let n = socket.recv(&mut buf).ok()?;
    Some(String::from_utf8_lossy(&buf[..n]).into_owned())
}

#[test]
fn the_unit_says_what_it_must() {
    let unit = unit();
    for (key, value) in [
        ("Type", "notify"),
        ("StateDirectory", "copydesk"),
        ("ProtectSystem", "strict"),
        ("NoNewPrivileges", "yes"),
        ("PrivateTmp", "yes"),
        ("ProtectHome", "yes"),
    ] {
        assert_eq!(values(&unit, key), [value], "{key}");
    }
}

#[test]
fn the_units_command_line_serves_and_says_ready_with_a_read_only_config() {
    let unit = unit();
    let exec = values(&unit, "ExecStart");
    assert_eq!(exec.len(), 1, "one ExecStart");
    let words: Vec<&str> = exec[0].split_whitespace().collect();
    assert_eq!(words[0], "/usr/local/bin/copydesk");

    let mut d = Daemon::new("");
    let root = d.dir.path().to_owned();
    // /etc/copydesk as the unit's install steps make it, then read-only. (Tests may run as root,
    // whom modes do not stop: the folder's listing is compared at the end too.)
    let etc = root.join("etc-copydesk");
    std::fs::create_dir(&etc).expect("mkdir");
    std::fs::copy(contrib("config.toml"), etc.join("config.toml")).expect("copy config");
    std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o555)).expect("chmod");
    let args: Vec<String> = words[1..]
        .iter()
        .map(|w| match *w {
            "/etc/copydesk/config.toml" => etc.join("config.toml").display().to_string(),
            other => other.to_owned(),
        })
        .collect();
    assert!(
        args.iter()
            .any(|a| a.starts_with(&etc.display().to_string())),
        "the unit reads /etc/copydesk/config.toml: {args:?}"
    );
    // What systemd sets up: the state folder (made, empty), the notify socket, the journal.
    let state = root.join("state");
    std::fs::create_dir(&state).expect("mkdir state");
    let notify_path = root.join("notify");
    let notify = UnixDatagram::bind(&notify_path).expect("notify socket");
    notify.set_read_timeout(Some(WAIT)).expect("read timeout");
    let child = common::bin()
        .args(&args)
        .current_dir(&state)
        .env("STATE_DIRECTORY", &state)
        .env("NOTIFY_SOCKET", &notify_path)
        .env("JOURNAL_STREAM", "8:12345")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("serve starts");
    d.db = state.join("db");
    d.inbox = state.join("inbox");

    let ready = next_notice(&notify).expect("READY=1 within the deadline");
    assert_eq!(ready, "READY=1");
    // Ready means serving: the socket answers at once, with no waiting loop.
    let socket = d.db.join("copydesk.sock");
    let remote = copydesk::client::Remote::try_connect(&socket)
        .expect("connects")
        .expect("a daemon listens once READY=1 is sent");
    drop(remote);
    d.spawned(child);
    let events = follow(&socket, 0);
    std::fs::copy(common::seed("000"), d.inbox.join("000.txt")).expect("drop a file");
    let v = next_verdict(&events, WAIT).expect("a verdict for the dropped file");
    assert!(v.file.starts_with(&state.display().to_string()), "{v:?}");
    drop(events);

    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert_eq!(next_notice(&notify).as_deref(), Some("STOPPING=1"));
    // Under journald: no timestamps (it adds its own), no colours.
    let first = log.lines().next().unwrap_or_default();
    assert!(first.trim_start().starts_with("INFO"), "{log}");
    assert!(!log.contains('\u{1b}'), "{log}");
    let listing: Vec<_> = std::fs::read_dir(&etc)
        .expect("list")
        .filter_map(|e| e.ok().map(|e| e.file_name()))
        .collect();
    assert_eq!(
        listing,
        ["config.toml"],
        "nothing written beside the config"
    );
    std::fs::set_permissions(&etc, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
}

#[test]
fn systemd_analyze_finds_nothing_but_the_missing_install() {
    let Ok(out) = std::process::Command::new("systemd-analyze")
        .arg("verify")
        .arg(contrib("copydesk.service"))
        .output()
    else {
        eprintln!("skipped: no systemd-analyze here");
        return;
    };
    let text = String::from_utf8_lossy(&out.stderr);
    // The binary and its man page are not installed on a build machine; anything else counts.
    let complaints: Vec<&str> = text
        .lines()
        .filter(|l| !l.contains("/usr/local/bin/copydesk") && !l.contains("man copydesk(1)"))
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert!(complaints.is_empty(), "{text}");
}
