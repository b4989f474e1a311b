//! What the dashboard reacts to: `Command`s that key bindings name (the names used in
//! `[dashboard.keys]`), and `Action`, everything `App::update` takes (commands, prompt typing,
//! mouse, clock ticks, answers from the feed). Plain values: no terminal, no I/O.

use super::feed::FeedMsg;

/// A bindable command. Everything about it is in its row of `COMMANDS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Command {
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    Open,
    Back,
    NextPane,
    Help,
    Close,
    Quit,
    Compare,
    Story,
    Pick,
    Spike,
    Reset,
    NotReprint,
    ReprintOf,
    Undo,
    Mark,
    Search,
    SearchNext,
    SearchPrev,
    FilterVerdict,
    FilterTriage,
    FilterSource,
    ClearFilters,
    Refresh,
    CopyTitle,
    CopyUrl,
    CopyText,
    Note,
    CommandLine,
}

/// The views whose help lists a command (a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Views(u8);

impl Views {
    pub(crate) const LIST: Views = Views(1);
    pub(crate) const ARTICLE: Views = Views(2);
    pub(crate) const COMPARE: Views = Views(4);
    pub(crate) const STORY: Views = Views(8);
    /// Every view.
    pub(crate) const ALL: Views = Views(15);
    /// The list and the views that read articles, but not the story's list of articles.
    const NOT_STORY: Views = Views(1 | 2 | 4);
    const LIST_STORY: Views = Views(1 | 8);
    const LIST_COMPARE: Views = Views(1 | 4);
    const LIST_ARTICLE: Views = Views(1 | 2);

    pub(crate) fn contains(self, view: Views) -> bool {
        self.0 & view.0 == view.0
    }
}

/// One command: its name in `[dashboard.keys]`, what the help says it does, its default keys, and
/// the views whose help lists it.
#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) command: Command,
    pub(crate) name: &'static str,
    pub(crate) describe: &'static str,
    pub(crate) keys: &'static [&'static str],
    pub(crate) help: Views,
}

const fn spec(
    command: Command,
    name: &'static str,
    describe: &'static str,
    keys: &'static [&'static str],
    help: Views,
) -> Spec {
    Spec {
        command,
        name,
        describe,
        keys,
        help,
    }
}

use Command as C;
use Views as V;

/// Every command, in the order the help lists them; row `n` is the command numbered `n`.
/// Columns: the command, its name in `[dashboard.keys]`, what the help says, its default keys, and
/// the views whose help lists it.
#[rustfmt::skip]
pub(crate) const COMMANDS: [Spec; 34] = [
    spec(C::Down,          "down",           "down / scroll down",     &["j", "down"],        V::ALL),
    spec(C::Up,            "up",             "up / scroll up",         &["k", "up"],          V::ALL),
    spec(C::Top,           "top",            "first (newest) / top",   &["g", "home"],        V::ALL),
    spec(C::Bottom,        "bottom",         "last (oldest) / end",    &["G", "end"],         V::ALL),
    spec(C::PageDown,      "page_down",      "half a page down",       &["ctrl-d", "pgdn"],   V::ALL),
    spec(C::PageUp,        "page_up",        "half a page up",         &["ctrl-u", "pgup"],   V::ALL),
    spec(C::Open,          "open",           "open the article",       &["enter"],            V::LIST_STORY),
    spec(C::Back,          "back",           "back; clear marks",      &["esc"],              V::ALL),
    spec(C::NextPane,      "next_pane",      "switch pane",            &["tab", "shift-tab"], V::LIST_COMPARE),
    spec(C::Help,          "help",           "this help",              &["?", "f1"],          V::ALL),
    spec(C::Close,         "close",          "back out; quit at top",  &["q"],                V::ALL),
    spec(C::Quit,          "quit",           "quit from anywhere",     &["Q", "ctrl-c"],      V::ALL),
    spec(C::Compare,       "compare",        "compare with match",     &["c"],                V::ALL),
    spec(C::Story,         "story",          "the whole story",        &["s"],                V::NOT_STORY),
    spec(C::Pick,          "pick",           "pick",                   &["p"],                V::ALL),
    spec(C::Spike,         "spike",          "spike",                  &["x"],                V::ALL),
    spec(C::Reset,         "reset",          "reset to new",           &["r"],                V::ALL),
    spec(C::NotReprint,    "not_reprint",    "overrule: not reprint",  &["O"],                V::ALL),
    spec(C::ReprintOf,     "reprint_of",     "overrule: reprint of #", &["R"],                V::ALL),
    spec(C::Undo,          "undo",           "undo last triage",       &["u"],                V::ALL),
    spec(C::Mark,          "mark",           "mark / unmark",          &["space"],            V::LIST_STORY),
    spec(C::Search,        "search",         "search title and text",  &["/"],                V::LIST_ARTICLE),
    spec(C::SearchNext,    "search_next",    "next match",             &["n"],                V::LIST_ARTICLE),
    spec(C::SearchPrev,    "search_prev",    "previous match",         &["N"],                V::LIST_ARTICLE),
    spec(C::FilterVerdict, "filter_verdict", "cycle verdict filter",   &["v"],                V::LIST),
    spec(C::FilterTriage,  "filter_triage",  "cycle triage filter",    &["t"],                V::LIST),
    spec(C::FilterSource,  "filter_source",  "filter by source",       &["S"],                V::LIST),
    spec(C::ClearFilters,  "clear_filters",  "clear filters, search",  &["F"],                V::LIST),
    spec(C::Refresh,       "refresh",        "reload from newest",     &["ctrl-r"],           V::LIST),
    spec(C::CopyTitle,     "copy_title",     "copy title (OSC 52)",    &["y"],                V::ALL),
    spec(C::CopyUrl,       "copy_url",       "copy URL (OSC 52)",      &["Y"],                V::ALL),
    spec(C::CopyText,      "copy_text",      "copy text (OSC 52)",     &["ctrl-y"],           V::ALL),
    spec(C::Note,          "note",           "note (keeps the state)", &["a"],                V::ALL),
    spec(C::CommandLine,   "command",        "run a command by name",  &[":"],                V::ALL),
];

impl Command {
    /// Every command, in table order.
    pub(crate) fn all() -> impl Iterator<Item = Command> {
        COMMANDS.iter().map(|s| s.command)
    }

    pub(crate) fn spec(self) -> &'static Spec {
        &COMMANDS[self as usize]
    }

    /// The name in `[dashboard.keys]`.
    pub(crate) fn name(self) -> &'static str {
        self.spec().name
    }

    pub(crate) fn from_name(name: &str) -> Option<Command> {
        COMMANDS.iter().find(|s| s.name == name).map(|s| s.command)
    }

    /// What the help overlay says it does.
    pub(crate) fn describe(self) -> &'static str {
        self.spec().describe
    }

    /// The keys it has unless `[dashboard.keys]` says otherwise.
    pub(crate) fn default_keys(self) -> &'static [&'static str] {
        self.spec().keys
    }
}

/// Typing into an open prompt (search, source, reprint-of id). Not configurable: it is text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptInput {
    Char(char),
    Backspace,
    /// Clears the line (ctrl-u).
    Clear,
    Submit,
    Cancel,
}

/// What reaches the UI loop: terminal input, and what the feed says.
#[derive(Debug)]
pub enum Input {
    Term(crossterm::event::Event),
    Feed(FeedMsg),
}

/// Everything the app's `update` takes.
#[derive(Debug, Clone)]
pub enum Action {
    Command(Command),
    Prompt(PromptInput),
    /// A left click at a screen cell.
    Click {
        column: u16,
        row: u16,
    },
    /// The mouse wheel over a screen cell: negative is up.
    Scroll {
        column: u16,
        row: u16,
        lines: i32,
    },
    /// The clock moved (once a second, and in tests whenever they say).
    Tick {
        now_ms: u64,
    },
    Resize,
    Feed(FeedMsg),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_row_is_its_command_and_names_are_unique() {
        for (n, spec) in COMMANDS.iter().enumerate() {
            assert_eq!(spec.command as usize, n, "{} is out of place", spec.name);
            assert_eq!(Command::from_name(spec.name), Some(spec.command));
            assert!(
                spec.help.contains(Views::LIST),
                "{}: the list takes every command",
                spec.name
            );
        }
        let mut names: Vec<&str> = COMMANDS.iter().map(|s| s.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), COMMANDS.len());
    }
}
