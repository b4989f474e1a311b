//! The dashboard's two themes: colour, and for NO_COLOR / --no-color one of bold, reverse and
//! underline alone. Views ask the theme for a style by meaning; they never name a colour.

use crate::model::{Status, TriageState};
use crate::tui::app::text::Mark;
use ratatui::style::{Color, Modifier, Style};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Theme {
    pub(crate) color: bool,
}

fn m(modifier: Modifier) -> Style {
    Style::default().add_modifier(modifier)
}

fn fg(color: Color) -> Style {
    Style::default().fg(color)
}

impl Theme {
    pub fn new(color: bool) -> Theme {
        Theme { color }
    }

    fn pick(&self, color: Style, mono: Style) -> Style {
        if self.color {
            color
        } else {
            mono
        }
    }

    pub(crate) fn badge(&self, status: Status) -> Style {
        match status {
            Status::Reprint => self.pick(
                fg(Color::LightRed).add_modifier(Modifier::BOLD),
                m(Modifier::BOLD | Modifier::REVERSED),
            ),
            Status::Duplicate => self.pick(
                fg(Color::LightMagenta).add_modifier(Modifier::BOLD),
                m(Modifier::BOLD | Modifier::REVERSED),
            ),
            Status::Partial => self.pick(fg(Color::Yellow), m(Modifier::BOLD)),
            Status::Unique => self.pick(fg(Color::Green), Style::default()),
            Status::Rejected => self.pick(fg(Color::DarkGray), m(Modifier::UNDERLINED)),
        }
    }

    pub(crate) fn selected(&self) -> Style {
        self.pick(
            Style::default().bg(Color::Blue).fg(Color::White),
            m(Modifier::REVERSED),
        )
    }

    pub(crate) fn marked(&self) -> Style {
        self.pick(
            fg(Color::Yellow).add_modifier(Modifier::BOLD),
            m(Modifier::BOLD),
        )
    }

    pub(crate) fn triage(&self, state: TriageState) -> Style {
        match state {
            TriageState::Picked => self.pick(
                fg(Color::LightGreen).add_modifier(Modifier::BOLD),
                m(Modifier::BOLD),
            ),
            TriageState::Spiked => self.pick(fg(Color::DarkGray), m(Modifier::UNDERLINED)),
            TriageState::New => self.dim(),
            TriageState::NotReprint | TriageState::ReprintOf(_) => {
                self.pick(fg(Color::Cyan), m(Modifier::BOLD))
            }
        }
    }

    pub(crate) fn text(&self, mark: Mark) -> Style {
        match mark {
            Mark::Plain => Style::default(),
            Mark::Shared => self.pick(
                Style::default().bg(Color::Rgb(90, 70, 0)).fg(Color::White),
                m(Modifier::UNDERLINED),
            ),
            Mark::Removed => self.pick(
                fg(Color::LightRed).add_modifier(Modifier::CROSSED_OUT),
                m(Modifier::UNDERLINED),
            ),
            Mark::Added => self.pick(
                fg(Color::LightGreen).add_modifier(Modifier::BOLD),
                m(Modifier::BOLD),
            ),
            Mark::Marker => self.pick(fg(Color::DarkGray), m(Modifier::BOLD)),
            Mark::Found => self.pick(
                Style::default().bg(Color::Yellow).fg(Color::Black),
                m(Modifier::REVERSED),
            ),
            Mark::Current => self.pick(
                Style::default()
                    .bg(Color::LightMagenta)
                    .fg(Color::Black)
                    .add_modifier(Modifier::BOLD),
                m(Modifier::REVERSED | Modifier::BOLD),
            ),
        }
    }

    pub(crate) fn header(&self) -> Style {
        self.pick(
            Style::default()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            m(Modifier::REVERSED | Modifier::BOLD),
        )
    }

    pub(crate) fn bar(&self) -> Style {
        self.pick(
            Style::default().bg(Color::DarkGray).fg(Color::White),
            m(Modifier::REVERSED),
        )
    }

    pub(crate) fn error(&self) -> Style {
        self.pick(
            Style::default()
                .bg(Color::Red)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD),
            m(Modifier::BOLD),
        )
    }

    pub(crate) fn title(&self) -> Style {
        m(Modifier::BOLD)
    }

    pub(crate) fn dim(&self) -> Style {
        self.pick(fg(Color::DarkGray), Style::default())
    }

    pub(crate) fn label(&self) -> Style {
        self.pick(fg(Color::Cyan), Style::default())
    }

    pub(crate) fn border(&self, focused: bool) -> Style {
        match (self.color, focused) {
            (true, true) => fg(Color::Cyan),
            (true, false) => fg(Color::DarkGray),
            (false, true) => m(Modifier::BOLD),
            (false, false) => Style::default(),
        }
    }

    #[cfg(test)]
    /// Every style the theme gives, for checking the monochrome one.
    pub(crate) fn all(&self) -> Vec<Style> {
        let mut out = vec![
            self.selected(),
            self.marked(),
            self.header(),
            self.bar(),
            self.error(),
            self.title(),
            self.dim(),
            self.label(),
            self.border(true),
            self.border(false),
        ];
        out.extend(Status::ALL.map(|s| self.badge(s)));
        out.extend(
            [
                TriageState::New,
                TriageState::Picked,
                TriageState::Spiked,
                TriageState::NotReprint,
                TriageState::ReprintOf(1),
            ]
            .map(|s| self.triage(s)),
        );
        out.extend(
            [
                Mark::Plain,
                Mark::Shared,
                Mark::Removed,
                Mark::Added,
                Mark::Marker,
                Mark::Found,
                Mark::Current,
            ]
            .map(|k| self.text(k)),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_monochrome_theme_uses_bold_reverse_and_underline_only() {
        let allowed = Modifier::BOLD | Modifier::REVERSED | Modifier::UNDERLINED;
        for s in Theme::new(false).all() {
            assert_eq!((s.fg, s.bg), (None, None), "{s:?}");
            assert!(allowed.contains(s.add_modifier), "{s:?}");
        }
    }
}
