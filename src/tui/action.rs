//! What the dashboard reacts to: `Command`s that key bindings name (the names used in
//! `[dashboard.keys]`), and `Action`, everything `App::update` takes (commands, prompt typing,
//! mouse, clock ticks, answers from the feed). Plain values: no terminal, no I/O.

use super::feed::FeedMsg;

/// A bindable command. Its `name` is the key of `[dashboard.keys]` in `config.toml`.
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
    FilterVerdict,
    FilterTriage,
    FilterSource,
    ClearFilters,
    Refresh,
    CopyTitle,
    CopyUrl,
    CopyText,
}

impl Command {
    pub const ALL: [Command; 29] = [
        Command::Down,
        Command::Up,
        Command::Top,
        Command::Bottom,
        Command::PageDown,
        Command::PageUp,
        Command::Open,
        Command::Back,
        Command::NextPane,
        Command::Help,
        Command::Quit,
        Command::Compare,
        Command::Story,
        Command::Pick,
        Command::Spike,
        Command::Reset,
        Command::NotReprint,
        Command::ReprintOf,
        Command::Undo,
        Command::Mark,
        Command::Search,
        Command::FilterVerdict,
        Command::FilterTriage,
        Command::FilterSource,
        Command::ClearFilters,
        Command::Refresh,
        Command::CopyTitle,
        Command::CopyUrl,
        Command::CopyText,
    ];

    /// The name in `[dashboard.keys]`.
    pub fn name(self) -> &'static str {
        match self {
            Command::Down => "down",
            Command::Up => "up",
            Command::Top => "top",
            Command::Bottom => "bottom",
            Command::PageDown => "page_down",
            Command::PageUp => "page_up",
            Command::Open => "open",
            Command::Back => "back",
            Command::NextPane => "next_pane",
            Command::Help => "help",
            Command::Quit => "quit",
            Command::Compare => "compare",
            Command::Story => "story",
            Command::Pick => "pick",
            Command::Spike => "spike",
            Command::Reset => "reset",
            Command::NotReprint => "not_reprint",
            Command::ReprintOf => "reprint_of",
            Command::Undo => "undo",
            Command::Mark => "mark",
            Command::Search => "search",
            Command::FilterVerdict => "filter_verdict",
            Command::FilterTriage => "filter_triage",
            Command::FilterSource => "filter_source",
            Command::ClearFilters => "clear_filters",
            Command::Refresh => "refresh",
            Command::CopyTitle => "copy_title",
            Command::CopyUrl => "copy_url",
            Command::CopyText => "copy_text",
        }
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::ALL.into_iter().find(|c| c.name() == name)
    }

    /// What the help overlay says it does.
    pub fn describe(self) -> &'static str {
        match self {
            Command::Down => "down / scroll down",
            Command::Up => "up / scroll up",
            Command::Top => "first (newest) / top",
            Command::Bottom => "last (oldest) / end",
            Command::PageDown => "half a page down",
            Command::PageUp => "half a page up",
            Command::Open => "open the article",
            Command::Back => "back; clear marks",
            Command::NextPane => "switch pane",
            Command::Help => "this help",
            Command::Quit => "quit",
            Command::Compare => "compare with match",
            Command::Story => "the whole story",
            Command::Pick => "pick",
            Command::Spike => "spike",
            Command::Reset => "reset to new",
            Command::NotReprint => "overrule: not reprint",
            Command::ReprintOf => "overrule: reprint of #",
            Command::Undo => "undo last triage",
            Command::Mark => "mark / unmark",
            Command::Search => "search title and text",
            Command::FilterVerdict => "cycle verdict filter",
            Command::FilterTriage => "cycle triage filter",
            Command::FilterSource => "filter by source",
            Command::ClearFilters => "clear filters, search",
            Command::Refresh => "reload from newest",
            Command::CopyTitle => "copy title (OSC 52)",
            Command::CopyUrl => "copy URL (OSC 52)",
            Command::CopyText => "copy text (OSC 52)",
        }
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
    fn names_round_trip_and_are_unique() {
        let mut names: Vec<&str> = Command::ALL.iter().map(|c| c.name()).collect();
        for c in Command::ALL {
            assert_eq!(Command::from_name(c.name()), Some(c));
        }
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Command::ALL.len());
    }
}
