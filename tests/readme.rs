//! README's commands run as written: every `sh` block a newcomer can run on their own machine
//! (not the ones that clone, build, or need root and systemd) is run line by line by `sh -e` in
//! an empty home folder, with the `copydesk` this build made first on the PATH. A command the
//! README shows that fails, or a folder it forgets to make, fails this test.

use std::path::Path;
use std::process::Command;

/// Blocks holding any of these need a network, a build, root or systemd: not run here.
const NOT_HERE: &[&str] = &["systemctl", "useradd", "journalctl"];
/// Lines that fetch or build: skipped inside blocks that are run.
const SKIPPED_LINES: &[&str] = &["git clone", "cargo "];

/// The `sh` blocks of a Markdown text, in order.
fn sh_blocks(markdown: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in markdown.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```sh") => current = Some(String::new()),
            (Some(_), l) if l.starts_with("```") => blocks.extend(current.take()),
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// What of a block runs here, or `None` when the block needs what a test does not have.
fn runnable(block: &str) -> Option<String> {
    if NOT_HERE.iter().any(|w| block.contains(w)) {
        return None;
    }
    let kept: Vec<&str> = block
        .lines()
        .filter(|l| !SKIPPED_LINES.iter().any(|s| l.trim_start().starts_with(s)))
        .collect();
    kept.iter()
        .any(|l| l.contains("copydesk"))
        .then(|| kept.join("\n"))
}

#[test]
fn the_checker_keeps_what_runs_and_leaves_what_cannot() {
    let md = "text\n```sh\ngit clone x && cd x\ncargo install --path .\ncopydesk --version\n```\n\
              ```sh\nsystemctl enable copydesk\n```\n```\nnot sh\n```\n";
    let blocks = sh_blocks(md);
    assert_eq!(blocks.len(), 2);
    assert_eq!(runnable(&blocks[0]).as_deref(), Some("copydesk --version"));
    assert_eq!(runnable(&blocks[1]), None);
}

#[test]
fn readmes_commands_run_as_written() {
    let readme = std::fs::read_to_string("README.md").expect("tests run in the package root");
    let scripts: Vec<String> = sh_blocks(&readme)
        .iter()
        .filter_map(|b| runnable(b))
        .collect();
    assert!(
        scripts.iter().any(|s| s.contains("completions")),
        "README shows how to install completions: {scripts:?}"
    );
    let bin = Path::new(env!("CARGO_BIN_EXE_copydesk"));
    let bin_dir = bin.parent().expect("the binary's folder");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for script in scripts {
        let home = tempfile::tempdir().expect("home");
        let out = Command::new("sh")
            .arg("-ec")
            .arg(&script)
            .current_dir(home.path())
            .env("HOME", home.path())
            .env("PATH", &path)
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("XDG_STATE_HOME")
            .env_remove("COPYDESK_CONFIG")
            .env_remove("STATE_DIRECTORY")
            .env_remove("NOTIFY_SOCKET")
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "README's commands failed as written:\n{script}\n--- stderr:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
