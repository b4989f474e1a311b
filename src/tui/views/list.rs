//! The incoming list (rows of id, age, source, title, verdict badge and triage), its preview pane,
//! and the story view, which shows the same rows for one story. Draws only the rows on screen.

use super::format::{age, badge, fit, right, source, triage_label};
use super::reading::meta_lines;
use super::scrolled;
use super::wrap::Wrapper;
use crate::model::ArticleRecord;
use crate::text::sanitize::sanitize_line;
use crate::tui::app::{App, Pane, View};
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthStr;

/// Column widths for one screenful of rows.
struct Columns {
    id: usize,
    source: usize,
    badge: usize,
    triage: usize,
    title: usize,
}

impl Columns {
    fn new(rows: &[&ArticleRecord], width: usize) -> Columns {
        let id = rows
            .iter()
            .map(|r| r.id.to_string().len() + 1)
            .max()
            .unwrap_or(2);
        let badge = rows
            .iter()
            .map(|r| badge(r).width())
            .max()
            .unwrap_or(6)
            .min(24);
        let triage = rows
            .iter()
            .map(|r| triage_label(r).width())
            .max()
            .unwrap_or(3)
            .min(if width >= 100 { 22 } else { 14 });
        let source = match width {
            0..=71 => 0,
            72..=109 => 10,
            _ => 16,
        };
        // mark, space, id, space, age(4), space, source + space, title, space, badge, space, triage
        let fixed = 2 + id + 1 + 4 + 1 + source + usize::from(source > 0) + 1 + badge + 1 + triage;
        Columns {
            id,
            source,
            badge,
            triage,
            title: width.saturating_sub(fixed).max(8),
        }
    }
}

fn row(r: &ArticleRecord, c: &Columns, app: &App, theme: &Theme, selected: bool) -> Line<'static> {
    let marked = app.marks.contains(r.id);
    let mark = match (selected, marked) {
        (_, true) => "* ",
        (true, false) => "▸ ",
        _ => "  ",
    };
    let mut spans = vec![
        Span::styled(
            mark,
            if marked {
                theme.marked()
            } else {
                Style::default()
            },
        ),
        Span::styled(right(&format!("#{}", r.id), c.id), theme.dim()),
        Span::raw(" "),
        Span::styled(right(&age(app.now_ms, r.ingested_ms), 4), theme.dim()),
        Span::raw(" "),
    ];
    if c.source > 0 {
        spans.push(Span::styled(fit(&source(r), c.source), theme.label()));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(fit(&sanitize_line(&r.title), c.title)));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(fit(&badge(r), c.badge), theme.badge(r.status)));
    spans.push(Span::raw(" "));
    spans.push(Span::styled(
        fit(&triage_label(r), c.triage),
        theme.triage(r.triage.state),
    ));
    let line = Line::from(spans);
    if selected {
        line.patch_style(theme.selected())
    } else {
        line
    }
}

/// Keeps `selected` on screen: moves `offset` as little as it can.
fn keep_visible(selected: usize, offset: &mut usize, height: usize, len: usize) {
    if height == 0 {
        return;
    }
    if selected < *offset {
        *offset = selected;
    } else if selected >= *offset + height {
        *offset = selected + 1 - height;
    }
    *offset = (*offset).min(len.saturating_sub(height));
}

fn rows_block(
    frame: &mut Frame<'_>,
    area: Rect,
    rows: &[&ArticleRecord],
    selected: usize,
    app: &App,
    theme: &Theme,
) {
    let c = Columns::new(rows, usize::from(area.width));
    let lines: Vec<Line<'static>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| row(r, &c, app, theme, i == selected))
        .collect();
    frame.render_widget(Paragraph::new(lines), area);
}

pub(crate) fn draw_list_screen(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let preview_rows = if area.height >= 14 {
        (area.height * 2 / 5).max(6)
    } else {
        0
    };
    let [list_area, preview_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(preview_rows)]).areas(area);
    let height = usize::from(list_area.height);
    let len = app.list.rows.len();
    let (selected, mut offset) = (app.list.selected, app.list.offset);
    keep_visible(selected, &mut offset, height, len);
    app.list.offset = offset;
    app.hits.list = list_area;
    app.hits.page_rows = height;
    if len == 0 {
        let text = if app.conn.mode.is_none() {
            "connecting to the engine…"
        } else if app.list.loading.is_some() || !app.list.loaded {
            "loading…"
        } else if app.filters.is_empty() {
            "no articles yet: files dropped in the inbox appear here"
        } else {
            "no article passes these filters (F clears them)"
        };
        frame.render_widget(
            Paragraph::new(format!("  {text}")).style(theme.dim()),
            list_area,
        );
    } else {
        let rows: Vec<&ArticleRecord> = app.list.rows.iter().skip(offset).take(height).collect();
        rows_block(frame, list_area, &rows, selected - offset, app, theme);
    }
    if preview_rows > 0 {
        draw_preview(frame, preview_area, app, theme);
    }
}

fn draw_preview(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let focused = app.focus == Pane::Preview;
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(focused))
        .title(Span::styled(
            if focused {
                " preview (tab: back to the list) "
            } else {
                " preview (tab to scroll) "
            },
            theme.border(focused),
        ));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    app.hits.preview = area;
    let Some(r) = app.list.selected_record() else {
        return;
    };
    let record = match &app.preview.detail {
        Some(d) if d.record.id == r.id => d.record.clone(),
        _ => r.clone(),
    };
    let mut w = Wrapper::new(usize::from(inner.width));
    w.push(&format!("#{} ", record.id), theme.dim());
    w.push(&sanitize_line(&record.title), theme.title());
    w.newline();
    for line in meta_lines(&record, app.now_ms, theme, false) {
        w.line(line);
    }
    w.line(Line::default());
    for para in &app.preview.text {
        for (text, mark) in para {
            w.push(text, theme.text(*mark));
        }
        w.newline();
    }
    if app.preview.detail.is_none() {
        w.line(Line::styled("…", theme.dim()));
    }
    scrolled(frame, inner, w.finish(), &mut app.preview.scroll);
}

pub(crate) fn draw_story(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let Some(View::Story(s)) = app.views.last() else {
        return;
    };
    let title = match s.records.first() {
        Some(root) => format!(
            " story: {} article(s); the original first: #{} {} ",
            s.records.len(),
            root.id,
            sanitize_line(&root.title)
        ),
        None => " story ".to_owned(),
    };
    let block = Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(true))
        .title(Span::styled(title, theme.title()));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let height = usize::from(inner.height);
    let (len, selected, mut offset) = (s.records.len(), s.selected, s.offset);
    keep_visible(selected, &mut offset, height, len);
    if !s.loaded {
        frame.render_widget(Paragraph::new("  loading…").style(theme.dim()), inner);
    } else {
        let rows: Vec<&ArticleRecord> = s.records.iter().skip(offset).take(height).collect();
        rows_block(frame, inner, &rows, selected - offset, app, theme);
    }
    app.hits.list = inner;
    app.hits.page_rows = height;
    if let Some(View::Story(s)) = app.views.last_mut() {
        s.offset = offset;
    }
}
