//! Whole dashboard screens with the five seed articles, drawn on ratatui's `TestBackend` at
//! 80x24 and 120x40 and compared with the snapshots in `tests/snapshots` (insta). The clock is
//! fixed and paths are the repository's relative ones, so the screens are the same on every run.

mod tui_support;

use tui_support::Desk;

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The Humala reprint selected on the list.
fn on_the_reprint() -> Desk {
    let mut desk = Desk::seeds();
    let reprint = desk
        .app
        .list
        .rows
        .iter()
        .position(|r| r.status == copydesk::model::Status::Reprint)
        .expect("a reprint among the seeds");
    for _ in 0..reprint {
        desk.keys(&["j"]);
    }
    desk
}

fn check(name: &str, keys: &[&str]) {
    for (w, h) in SIZES {
        let mut desk = on_the_reprint();
        desk.keys(keys);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), desk.screen(w, h));
    }
}

#[test]
fn list() {
    check("list", &[]);
}

#[test]
fn detail() {
    check("detail", &["enter"]);
}

#[test]
fn compare() {
    check("compare", &["c"]);
}

#[test]
fn story() {
    check("story", &["s"]);
}

#[test]
fn help() {
    check("help", &["?"]);
}

#[test]
fn no_temporary_path_reaches_the_screen() {
    let mut desk = on_the_reprint();
    let tmp = desk.dir.path().display().to_string();
    for keys in [&[][..], &["enter"], &["esc", "c"]] {
        desk.keys(keys);
        assert!(!desk.screen(120, 40).contains(&tmp));
    }
}
