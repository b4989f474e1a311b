//! Drawing: the whole screen from the app's state, one function per view, through ratatui (a real
//! terminal or `TestBackend`). Views read the state and record where they drew things (for the
//! mouse) and clamp scroll positions; they change nothing else and never talk to the engine.

pub(crate) mod format;
pub(crate) mod help;
pub(crate) mod list;
pub(crate) mod reading;
pub(crate) mod status;
pub(crate) mod wrap;

use super::app::{App, PromptKind, View};
use super::theme::Theme;
use format::cut;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

/// Draws the whole screen.
pub fn draw(frame: &mut Frame<'_>, app: &mut App, theme: &Theme) {
    let [head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header(frame, head, app, theme);
    app.hits = Default::default();
    app.hits.page_rows = usize::from(body.height);
    match app.views.last() {
        None => list::draw_list_screen(frame, body, app, theme),
        Some(View::Detail(_)) => reading::draw_detail(frame, body, app, theme),
        Some(View::Compare(_)) => reading::draw_compare(frame, body, app, theme),
        Some(View::Story(_)) => list::draw_story(frame, body, app, theme),
    }
    match &app.prompt {
        Some(p) => prompt(frame, foot, p.kind, &p.text, theme),
        None => status::draw(frame, foot, app, theme),
    }
    if let Some(scroll) = app.help {
        app.help = Some(help::draw(frame, frame.area(), app, scroll, theme));
    }
}

/// The view's name on the left; filters, marks and loading on the right.
fn header(frame: &mut Frame<'_>, area: Rect, app: &App, theme: &Theme) {
    let name = match app.views.last() {
        None => "incoming".to_owned(),
        Some(View::Detail(r)) => format!("article #{}", r.id),
        Some(View::Compare(c)) => format!("compare #{} with #{}", c.id, c.other),
        Some(View::Story(s)) => format!("story of #{}", s.id),
    };
    let f = &app.filters;
    let mut right: Vec<String> = Vec::new();
    if app.views.is_empty() {
        right.push(format!(
            "verdict:{}",
            f.status.map_or("all", |s| s.as_str())
        ));
        right.push(format!("triage:{}", f.triage.map_or("all", |t| t.as_str())));
        if let Some(s) = &f.source {
            right.push(format!(
                "source:{}",
                cut(&crate::text::sanitize::sanitize_line(s), 16)
            ));
        }
        if let Some(t) = &f.text {
            right.push(format!(
                "/{}",
                cut(&crate::text::sanitize::sanitize_line(t), 16)
            ));
        }
    }
    if !app.marks.is_empty() {
        right.push(format!("{} marked", app.marks.len()));
    }
    if app.list.new_above > 0 && app.views.is_empty() {
        right.push(format!("{} new ↑ (g)", app.list.new_above));
    }
    if app.list.loading.is_some() {
        right.push("loading…".into());
    }
    let right = right.join("  ");
    let width = usize::from(area.width);
    let left = format!(" copydesk · {name}");
    let room = width.saturating_sub(left.chars().count() + 2);
    let right = cut(&right, room);
    let pad = width.saturating_sub(left.chars().count() + right.chars().count() + 1);
    let line = Line::from(vec![
        Span::raw(left),
        Span::raw(" ".repeat(pad)),
        Span::raw(right),
        Span::raw(" "),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.header()), area);
}

fn prompt(frame: &mut Frame<'_>, area: Rect, kind: PromptKind, text: &str, theme: &Theme) {
    let label = match kind {
        PromptKind::Search => "search title and text: ",
        PromptKind::Source => "source (empty for all): ",
        PromptKind::ReprintOf => "reprint of article #",
        PromptKind::Note => "note (empty to clear): ",
        PromptKind::Command => ":",
    };
    let hint = "  enter ok · esc cancel";
    let room = usize::from(area.width).saturating_sub(label.len() + hint.len() + 1);
    // Show the end of a long entry, where the typing happens.
    let shown: String = {
        let chars: Vec<char> = text.chars().collect();
        let skip = chars.len().saturating_sub(room);
        chars[skip..].iter().collect()
    };
    let line = Line::from(vec![
        Span::styled(label, theme.title()),
        Span::raw(shown.clone()),
        Span::raw("█"),
        Span::styled(hint, theme.dim()),
    ]);
    frame.render_widget(Paragraph::new(line).style(theme.bar()), area);
}

/// Draws pre-wrapped lines from `scroll`, clamping it so the last line can reach the bottom.
pub(crate) fn scrolled(
    frame: &mut Frame<'_>,
    area: Rect,
    lines: Vec<Line<'static>>,
    scroll: &mut usize,
) {
    let height = usize::from(area.height);
    let max = lines.len().saturating_sub(height);
    *scroll = (*scroll).min(max);
    let visible: Vec<Line<'static>> = lines.into_iter().skip(*scroll).take(height).collect();
    frame.render_widget(Paragraph::new(visible), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ArticleRecord, Detail, MatchRef, Status, Triage, TriageState};
    use crate::tui::action::{Action, Command};
    use crate::tui::feed::{FeedMsg, PageKind};
    use crate::tui::keymap::Keymap;
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    const HOSTILE: &str =
        "A\u{1b}]0;pwned\u{7}B\u{1b}[31mC\u{202e}D\u{9b}2JE\u{1b}]52;c;ZXZpbA==\u{7}F\tG";

    fn hostile_record() -> ArticleRecord {
        ArticleRecord {
            id: 2,
            file: format!("/in/{HOSTILE}.txt"),
            location: None,
            status: Status::Rejected,
            title: HOSTILE.into(),
            matched: Some(MatchRef {
                id: 1,
                file: HOSTILE.into(),
                similarity: 0.5,
            }),
            reason: Some(HOSTILE.into()),
            story: 2,
            source: Some(HOSTILE.into()),
            url: Some(HOSTILE.into()),
            published: Some(HOSTILE.into()),
            words: 1,
            size: 1,
            ingested_ms: 0,
            // A state is typed now; who set it and the note still come from outside.
            triage: Triage {
                state: TriageState::Spiked,
                by: Some(HOSTILE.into()),
                at_ms: Some(0),
                note: Some(HOSTILE.into()),
                overruled: None,
            },
        }
    }

    fn assert_clean(t: &Terminal<TestBackend>) {
        for cell in t.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(|c| c.is_control()
                    || ('\u{202a}'..='\u{202e}').contains(&c)
                    || ('\u{2066}'..='\u{2069}').contains(&c)),
                "a raw character reached the screen: {:?}",
                cell.symbol()
            );
        }
    }

    #[test]
    fn nothing_from_an_article_reaches_the_terminal_raw() {
        let mut app = App::new(Keymap::default(), 0);
        app.update(Action::Feed(FeedMsg::Connected {
            mode: crate::client::Mode::InProcess,
            inbox: HOSTILE.into(),
            you: HOSTILE.into(),
        }));
        let gen = app.list.gen;
        app.update(Action::Feed(FeedMsg::Page {
            gen,
            kind: PageKind::Top,
            records: vec![hostile_record()],
            reached_top: true,
            reached_end: true,
        }));
        let detail = Detail {
            record: hostile_record(),
            paragraphs: vec![HOSTILE.into(), format!("{HOSTILE}\n{HOSTILE}")],
        };
        app.update(Action::Feed(FeedMsg::Detail(Box::new(detail.clone()))));
        app.last_error = Some(HOSTILE.into());
        let theme = Theme::new(true);
        for (w, h) in [(80, 24), (120, 40)] {
            let mut t = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            t.draw(|f| draw(f, &mut app, &theme)).expect("draws");
            assert_clean(&t);
        }
        app.update(Action::Command(Command::Open));
        app.update(Action::Feed(FeedMsg::Detail(Box::new(detail))));
        let mut t = Terminal::new(TestBackend::new(80, 24)).expect("terminal");
        t.draw(|f| draw(f, &mut app, &theme)).expect("draws");
        assert_clean(&t);
        let screen = t.backend().to_string();
        assert!(screen.contains("ABCDEF G"), "{screen}");
    }
}
