//! The help overlay: the keys of the current view, from the live key map (so rebound keys show
//! as bound), in two columns when the terminal is wide enough.

use super::format::fit;
use crate::tui::action::{Command, COMMANDS};
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};
use ratatui::Frame;

/// The commands the current view takes (the help column of their rows), and its name.
pub(crate) fn commands(app: &App) -> (&'static str, Vec<Command>) {
    let (view, name) = app.view();
    let commands = COMMANDS
        .iter()
        .filter(|s| s.help.contains(view))
        .map(|s| s.command)
        .collect();
    (name, commands)
}

/// Draws the overlay over `area`; returns the scroll, clamped.
pub(crate) fn draw(
    frame: &mut Frame<'_>,
    area: Rect,
    app: &App,
    scroll: usize,
    theme: &Theme,
) -> usize {
    let (name, commands) = commands(app);
    let width = area.width.min(100);
    let inner_w = usize::from(width.saturating_sub(2));
    let columns = if inner_w >= 76 { 2 } else { 1 };
    let col_w = inner_w / columns;
    let key_w = 13.min(col_w / 3);
    let entries: Vec<Vec<Span<'static>>> = commands
        .iter()
        .map(|&c| {
            vec![
                Span::styled(fit(&app.keymap.keys_of(c), key_w), theme.title()),
                Span::raw("  "),
                Span::raw(fit(c.describe(), col_w.saturating_sub(key_w + 2))),
            ]
        })
        .collect();
    let rows = entries.len().div_ceil(columns);
    let mut lines: Vec<Line<'static>> = (0..rows)
        .map(|i| {
            let mut spans = entries[i].clone();
            // Each entry is exactly a column wide (`fit` pads), so the second column lines up.
            if let Some(second) = entries.get(i + rows).filter(|_| columns == 2) {
                spans.extend(second.iter().cloned());
            }
            Line::from(spans)
        })
        .collect();
    lines.push(Line::default());
    lines.push(Line::styled(
        "Triage keys act on the marked articles when any are marked.",
        theme.dim(),
    ));
    lines.push(Line::styled(
        ": runs a command by its [dashboard.keys] name: :pick, :filter source=…, :help",
        theme.dim(),
    ));
    if app.mouse {
        lines.push(Line::styled(
            "Mouse: the wheel scrolls; click selects, click again opens.",
            theme.dim(),
        ));
    }
    let height = (lines.len() as u16 + 2).min(area.height);
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    };
    let max = lines
        .len()
        .saturating_sub(usize::from(height.saturating_sub(2)));
    let scroll = scroll.min(max);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(Span::styled(
            format!(" keys: {name} (esc closes) "),
            theme.title(),
        ));
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(scroll).collect::<Vec<_>>()).block(block),
        rect,
    );
    scroll
}
