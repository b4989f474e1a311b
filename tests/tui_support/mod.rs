//! Helpers for the dashboard's tests: a real engine in a temporary database (articles ingested
//! with a fixed clock), an `App` driven by actions whose requests are answered synchronously by
//! the same `feed::execute` the feed thread runs, and whole screens drawn on ratatui's
//! `TestBackend`.

#![allow(dead_code)]

use copydesk::client::{Client, Mode};
use copydesk::config::Settings;
use copydesk::engine::{Engine, Input};
use copydesk::tui::action::{Action, Command};
use copydesk::tui::app::{App, Effect};
use copydesk::tui::feed::{self, FeedMsg};
use copydesk::tui::input::command_of;
use copydesk::tui::keymap::Keymap;
use copydesk::tui::theme::Theme;
use copydesk::tui::views;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::collections::VecDeque;
use std::path::PathBuf;

/// The fixed clock the articles arrive by: 2024-06-01 12:00:00 UTC.
pub const NOW: u64 = 1_717_243_200_000;
/// The dashboard's clock in tests: ninety seconds later.
pub const LATER: u64 = NOW + 90_000;

pub struct Desk {
    pub dir: tempfile::TempDir,
    pub client: Client,
    pub app: App,
    pub copied: Vec<String>,
    pub quit: bool,
}

/// The seed articles as the repository ships them, by relative path (so no temporary path shows
/// on screen).
pub fn seed_inputs() -> Vec<Input> {
    let mut files: Vec<PathBuf> = std::fs::read_dir("watch")
        .expect("tests run in the package root, which ships watch/")
        .filter_map(|e| e.ok())
        .map(|e| PathBuf::from("watch").join(e.file_name()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 5, "the five seeds");
    copydesk::engine::files::read_inputs(&files, 8 << 20)
}

/// `n` small distinct synthetic articles; those with an even number mention "evenrow".
pub fn synthetic(n: usize) -> Vec<Input> {
    (1..=n)
        .map(|i| {
            let tag = if i % 2 == 0 { "evenrow" } else { "oddrow" };
            let text = format!(
                "Headline number {i}\n\nStory {i} ({tag}) tells of item {} in district {} and of {} more things at {} o'clock.\n",
                i * 7919 % 10007,
                i % 97,
                i * 31 % 1009,
                i % 24
            );
            copydesk::engine::files::input_from(&format!("synthetic/{i:07}.txt"), text.into_bytes())
        })
        .collect()
}

impl Desk {
    pub fn seeds() -> Desk {
        Desk::with(seed_inputs())
    }

    pub fn with(inputs: Vec<Input>) -> Desk {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings = Settings {
            db: dir.path().join("db"),
            inbox: dir.path().join("inbox"),
            ..Settings::default()
        };
        {
            let mut engine = Engine::open(settings.clone()).expect("engine opens");
            for chunk in inputs.chunks(1000) {
                engine.ingest(chunk, NOW).expect("ingest");
            }
        }
        let client = Client::connect_or_open(&settings).expect("in-process client");
        let mut desk = Desk {
            dir,
            client,
            app: App::new(Keymap::default(), LATER),
            copied: Vec::new(),
            quit: false,
        };
        desk.act(Action::Feed(FeedMsg::Connected {
            mode: Mode::InProcess,
            inbox: "watch".into(),
            you: "editor".into(),
        }));
        desk
    }

    /// Applies an action and answers every request it leads to, in order.
    pub fn act(&mut self, action: Action) {
        let mut effects: VecDeque<Effect> = self.app.update(action).into();
        while let Some(e) = effects.pop_front() {
            match e {
                Effect::Request(r) => {
                    let msg = match feed::execute(&mut self.client, r.clone()) {
                        Ok(msg) => msg,
                        Err(e) => FeedMsg::Failed {
                            request: Box::new(r),
                            message: format!("{e:#}"),
                        },
                    };
                    effects.extend(self.app.update(Action::Feed(msg)));
                }
                Effect::Copy { text, .. } => self.copied.push(text),
                Effect::Quit => self.quit = true,
            }
        }
    }

    /// Presses keys by their names in the default map ("j", "ctrl-d", "enter").
    pub fn keys(&mut self, keys: &[&str]) {
        for k in keys {
            let c: Command =
                command_of(&self.app, k).unwrap_or_else(|| panic!("no command on {k}"));
            self.act(Action::Command(c));
        }
    }

    pub fn selected(&self) -> Option<u64> {
        self.app.list.selected_id()
    }

    /// The whole screen as text.
    pub fn screen(&mut self, width: u16, height: u16) -> String {
        let mut t = Terminal::new(TestBackend::new(width, height)).expect("test terminal");
        let theme = Theme::new(true);
        t.draw(|f| views::draw(f, &mut self.app, &theme))
            .expect("draws");
        t.backend().to_string()
    }
}
