//! What an operator meets: shell completions, the manual page, `--version`, the config lookup
//! and `copydesk config`, the daemon's log lines, the inbox watch surviving its folder being
//! made again. The systemd unit as shipped is tested in `tests/service.rs`.

mod common;

use clap::CommandFactory;
use common::bin;
use common::daemon::{follow, next_verdict, Daemon};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Duration;

/// Generous: CI is a busy 2-core machine. Tests wait on conditions, never on this.
const WAIT: Duration = Duration::from_secs(60);

fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn bash_completions_parse() {
    let script = stdout_of(bin().args(["completions", "bash"]));
    assert!(script.contains("copydesk") && script.contains("serve"));
    let Ok(mut bash) = Command::new("bash")
        .arg("-n")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    else {
        eprintln!("skipped: no bash on this machine");
        return;
    };
    bash.stdin
        .take()
        .expect("stdin")
        .write_all(script.as_bytes())
        .expect("writes");
    let out = bash.wait_with_output().expect("bash ends");
    assert!(
        out.status.success(),
        "bash -n: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        assert!(!stdout_of(bin().args(["completions", shell])).is_empty());
    }
}

#[test]
fn the_man_page_is_roff_naming_every_subcommand() {
    let page = stdout_of(bin().arg("man"));
    assert!(page.contains(".TH copydesk 1"), "{page}");
    let cli = copydesk::cli::Cli::command();
    let subcommands: Vec<&str> = cli.get_subcommands().map(|c| c.get_name()).collect();
    assert!(subcommands.len() >= 10, "{subcommands:?}");
    for name in &subcommands {
        assert!(
            page.contains(&format!("{name}(1)")) || page.contains(&format!("\\fB{name}\\fR")),
            "'{name}' is not named in the man page:\n{page}"
        );
        let sub = stdout_of(bin().args(["man", name]));
        assert!(
            sub.contains(&format!(".TH copydesk-{name} 1")),
            "{name}'s page: {sub}"
        );
    }
    // Every flag of a subcommand is documented on its page.
    let ingest = stdout_of(bin().args(["man", "list"]));
    assert!(ingest.contains("\\-\\-status") && ingest.contains("\\-\\-limit"));
    let out = bin().args(["man", "nosuch"]).output().expect("runs");
    assert!(!out.status.success());
}

#[test]
fn the_version_names_the_commit_when_built_from_git() {
    let version = stdout_of(bin().arg("--version"));
    assert!(
        version.starts_with(&format!("copydesk {}", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let head = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output();
    match head {
        Ok(out) if out.status.success() => {
            let commit = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            assert!(version.contains(&format!("({commit})")), "{version}");
        }
        _ => eprintln!("no git here: the plain version is right"),
    }
}

fn config_json(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_str(&stdout_of(cmd.args(["config", "--json"]))).expect("JSON")
}

#[test]
fn the_config_is_found_where_people_look_and_says_where_each_value_came_from() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cwd, xdg) = (dir.path().join("cwd"), dir.path().join("xdg"));
    std::fs::create_dir_all(xdg.join("copydesk")).expect("mkdir");
    std::fs::create_dir_all(&cwd).expect("mkdir");
    let user = xdg.join("copydesk/config.toml");
    std::fs::write(&user, "[detect]\nreprint_min = 0.7\n").expect("write");
    let state_home = dir.path().join("state-home");
    let run = || {
        let mut c = bin();
        c.current_dir(&cwd)
            .env("XDG_CONFIG_HOME", &xdg)
            .env("XDG_STATE_HOME", &state_home);
        c
    };
    let report = config_json(&mut run());
    assert_eq!(report["file"], user.display().to_string());
    let setting = &report["settings"]["detect.reprint_min"];
    assert_eq!(setting["value"], 0.7);
    assert_eq!(setting["from"], user.display().to_string());
    // A user config that names no place for the data puts it in the user's state folder.
    assert_eq!(
        report["settings"]["paths.db"]["from"],
        "$XDG_STATE_HOME/copydesk"
    );
    assert_eq!(
        report["settings"]["paths.db"]["value"],
        state_home.join("copydesk/db").display().to_string()
    );

    // ./config.toml comes before the user's; $COPYDESK_CONFIG before both.
    std::fs::write(cwd.join("config.toml"), "[daemon]\nrescan_secs = 7\n").expect("write");
    assert_eq!(config_json(&mut run())["found_by"], "./config.toml");
    let by_env = dir.path().join("env.toml");
    std::fs::write(&by_env, "[paths]\ndb = \"data\"\n").expect("write");
    let report = config_json(run().env("COPYDESK_CONFIG", &by_env));
    assert_eq!(report["found_by"], "$COPYDESK_CONFIG");
    // Relative to the config's folder, not the working folder.
    assert_eq!(
        report["settings"]["paths.db"]["value"],
        dir.path().join("data").display().to_string()
    );
    // $STATE_DIRECTORY places what the config does not.
    let state = dir.path().join("state");
    let report = config_json(
        run()
            .env("COPYDESK_CONFIG", &by_env)
            .env("STATE_DIRECTORY", &state),
    );
    assert_eq!(
        report["settings"]["paths.db"]["from"],
        by_env.display().to_string()
    );
    assert_eq!(
        report["settings"]["paths.inbox"]["value"],
        state.join("inbox").display().to_string()
    );
    assert_eq!(
        report["settings"]["paths.inbox"]["from"],
        "$STATE_DIRECTORY"
    );
    // The text form says the same, one key a line.
    let text = stdout_of(run().env("COPYDESK_CONFIG", &by_env).arg("config"));
    assert!(
        text.lines()
            .any(|l| l.starts_with("paths.db = ") && l.contains(&by_env.display().to_string())),
        "{text}"
    );
    assert!(
        !cwd.join("db").exists(),
        "`copydesk config` creates nothing"
    );
}

#[test]
fn config_errors_are_shown_whole_and_stop_every_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[detect]\nreprint_min = = 0.5\n").expect("write");
    let out = bin()
        .arg("--config")
        .arg(&bad)
        .arg("list")
        .output()
        .expect("runs");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.starts_with("copydesk: config file '"), "{err}");
    assert!(
        err.contains("reprint_min = = 0.5") && err.contains('^'),
        "{err}"
    );
    assert!(
        err.lines().count() >= 4,
        "the toml crate's lines kept: {err}"
    );

    let missing = bin()
        .args(["--config", "/nonexistent/copydesk.toml", "stats"])
        .output()
        .expect("runs");
    let err = String::from_utf8_lossy(&missing.stderr);
    assert!(
        err.contains("does not exist") && !err.contains("os error"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    // A bad key binding fails `list` and `serve`, not only the dashboard.
    let keys = dir.path().join("keys.toml");
    let db = dir.path().join("db");
    std::fs::write(
        &keys,
        format!(
            "[paths]\ndb = \"{}\"\n[dashboard.keys]\npikc = \"p\"\n",
            db.display()
        ),
    )
    .expect("write");
    for command in ["list", "serve"] {
        let out = bin()
            .arg("--config")
            .arg(&keys)
            .arg(command)
            .output()
            .expect("runs");
        assert!(!out.status.success(), "{command} accepted a bad key");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("dashboard.keys.pikc"), "{command}: {err}");
    }
    assert!(!db.exists(), "nothing made before the config was checked");
}

#[test]
fn the_inbox_made_again_is_watched_again_and_the_log_says_what_happened() {
    // No rescan during the test: only a re-armed watch can see the new file.
    let mut d = Daemon::new("");
    let config = std::fs::read_to_string(&d.config).expect("config");
    let config = config.replace("rescan_secs = 2", "rescan_secs = 86400");
    std::fs::write(&d.config, config).expect("config");
    d.spawn();
    // The socket can answer before the inbox is watched: the first listing comes once the watch
    // is armed, and only a watched inbox can be seen going away.
    assert!(d.wait_log("listed the inbox"), "{}", d.log());
    let events = follow(&d.socket(), 0);
    std::fs::remove_dir_all(&d.inbox).expect("inbox deleted");
    std::fs::create_dir(&d.inbox).expect("inbox made again");
    std::fs::copy(common::seed("000"), d.inbox.join("000.txt")).expect("copy");
    let v = next_verdict(&events, WAIT).expect("a verdict for the file in the new inbox");
    assert!(v.file.ends_with("000.txt"), "{v:?}");
    drop(events);
    let (code, log) = d.stop();
    assert_eq!(code, Some(0), "{log}");
    assert!(log.contains("went away"), "{log}");
    let line = log
        .lines()
        .find(|l| l.contains("ingested"))
        .unwrap_or_else(|| panic!("no line for the file: {log}"));
    for field in ["verdict=unique", "id=1", "000.txt", "batch_ms="] {
        assert!(line.contains(field), "'{field}' missing in: {line}");
    }
    assert!(
        log.contains("client connected") && log.contains("client left"),
        "{log}"
    );
    assert!(log.contains("listed the inbox"), "{log}");
    // Not a terminal: no colour codes.
    assert!(!log.contains('\u{1b}'), "{log}");
}
