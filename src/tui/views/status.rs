//! The status bar: mode (daemon or in-process, or the lost connection), inbox, counts, arrival
//! rate, and the newest error or notice (they expire: `App::update`), else the help key.

use super::format::cut;
use crate::client::Mode;
use crate::text::sanitize::sanitize_line;
use crate::tui::action::Command;
use crate::tui::app::App;
use crate::tui::theme::Theme;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

fn counts(app: &App) -> String {
    let Some(s) = &app.stats else {
        return String::new();
    };
    let parts: Vec<String> = s
        .by_status
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(st, n)| format!("{n} {}", st.as_str()))
        .collect();
    format!("{} articles ({})", s.articles, parts.join(", "))
}

pub(crate) fn draw(frame: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let width = usize::from(area.width);
    let mode = match (&app.conn.lost, app.conn.mode) {
        // Never connected yet: the daemon is being found or started.
        (Some(_), None) => "connecting",
        (Some(_), _) => "DISCONNECTED",
        (None, Some(Mode::Daemon)) => "daemon",
        (None, Some(Mode::InProcess)) => "in-process",
        (None, None) => "connecting",
    };
    let inbox = sanitize_line(&app.conn.inbox);
    let left = format!(
        " {mode} │ inbox {} │ {} │ {}/min ",
        cut(&inbox, 24),
        counts(app),
        app.rate_per_min()
    );
    let (msg, style) = match (&app.conn.lost, &app.last_error, &app.notice) {
        (None, _, _) if app.waiting.is_some() => (
            format!(
                " {} ",
                app.waiting
                    .as_deref()
                    .map(sanitize_line)
                    .unwrap_or_default()
            ),
            theme.error(),
        ),
        (Some(why), _, _) if app.conn.mode.is_none() => {
            (format!(" {} ", sanitize_line(why)), theme.error())
        }
        (Some(why), _, _) => (
            format!(" lost: {}; retrying every second ", sanitize_line(why)),
            theme.error(),
        ),
        (None, Some(e), _) => (format!(" ⚠ {} ", sanitize_line(e)), theme.error()),
        (None, None, Some(n)) => (format!(" {} ", sanitize_line(n)), theme.bar()),
        // Nothing to say: where the keys are explained, when the facts leave room for it.
        _ => match app.keymap.keys_of(Command::Help).split(' ').next() {
            Some(key) if !key.is_empty() && left.width() + key.width() + 6 <= width => {
                (format!(" {key} help "), theme.bar())
            }
            _ => (String::new(), theme.bar()),
        },
    };
    // The message gets the room it needs, up to two thirds of the bar; the facts take the rest.
    let msg = cut(&msg, width * 2 / 3);
    let left = cut(&left, width.saturating_sub(msg.width()));
    let pad = width.saturating_sub(left.width() + msg.width());
    let line = Line::from(vec![
        Span::styled(left, theme.bar()),
        Span::styled(" ".repeat(pad), theme.bar()),
        Span::styled(msg, style),
    ]);
    frame.render_widget(Paragraph::new(line), area);
}
