//! The reading views: an article's facts (verdict, match, triage, source, path, rejection
//! reason), the detail view with shared passages highlighted, and the compare view, side by side
//! when the terminal is wide and one inline text when it is narrow.

use super::format::{age, badge, file_name, triage_label, utc};
use super::scrolled;
use super::wrap::Wrapper;
use crate::model::ArticleRecord;
use crate::text::sanitize::sanitize_line;
use crate::tui::app::text::{Mark, Para};
use crate::tui::app::{App, View};
use crate::tui::theme::Theme;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders};
use ratatui::Frame;

/// Side by side from this width; inline below it.
pub(crate) const SIDE_BY_SIDE_MIN: u16 = 100;

/// The facts of an article, one per line (the title first when `title` is set).
pub(crate) fn meta_lines(
    r: &ArticleRecord,
    now_ms: u64,
    theme: &Theme,
    full: bool,
) -> Vec<Line<'static>> {
    let label = |s: &str| Span::styled(s.to_owned(), theme.label());
    let mut out = Vec::new();
    let mut verdict = vec![Span::styled(badge(r), theme.badge(r.status))];
    if let Some(m) = &r.matched {
        verdict.push(Span::raw(format!("  matches {}", file_name(&m.file))));
    }
    out.push(Line::from(verdict));
    let mut triage = vec![
        label("triage "),
        Span::styled(triage_label(r), theme.triage(r.triage.state)),
    ];
    if let Some(at) = r.triage.at_ms {
        triage.push(Span::raw(format!(", {}", ago(now_ms, at))));
    }
    if let Some(note) = &r.triage.note {
        triage.push(Span::raw(format!(" · note: {}", sanitize_line(note))));
    }
    out.push(Line::from(triage));
    if let Some(d) = &r.triage.overruled {
        let matched = d.matched.as_ref().map_or(String::new(), |m| {
            format!(" of #{} ({:.0}%)", m.id, m.similarity * 100.0)
        });
        out.push(Line::from(vec![
            label("detector "),
            Span::raw(format!(
                "{}{matched} · overruled by the editors",
                d.status.as_str()
            )),
        ]));
    }
    let mut facts = vec![label("source "), Span::raw(super::format::source(r))];
    if let Some(p) = &r.published {
        facts.push(label(" · published "));
        facts.push(Span::raw(sanitize_line(p)));
    }
    facts.push(Span::raw(format!(
        " · {} words · {} bytes",
        r.words, r.size
    )));
    out.push(Line::from(facts));
    let ago = ago(now_ms, r.ingested_ms);
    let arrived = if full {
        format!("{} ({ago})", utc(r.ingested_ms))
    } else {
        ago
    };
    out.push(Line::from(vec![label("arrived "), Span::raw(arrived)]));
    if let Some(u) = &r.url {
        out.push(Line::from(vec![label("url "), Span::raw(sanitize_line(u))]));
    }
    out.push(Line::from(vec![
        label("file "),
        Span::raw(sanitize_line(&r.file)),
    ]));
    if let Some(reason) = &r.reason {
        out.push(Line::from(vec![
            Span::styled("rejected: ".to_owned(), theme.error()),
            Span::raw(sanitize_line(reason)),
        ]));
    }
    out
}

/// "just now", "5m ago".
fn ago(now_ms: u64, then_ms: u64) -> String {
    match age(now_ms, then_ms).as_str() {
        "now" => "just now".into(),
        a => format!("{a} ago"),
    }
}

/// Wraps the paragraphs; returns the line where the current search match starts, if any.
fn push_paras(w: &mut Wrapper, paras: &[Para], theme: &Theme) -> Option<usize> {
    let mut current = None;
    for (i, para) in paras.iter().enumerate() {
        if i > 0 {
            w.line(Line::default());
        }
        for (text, mark) in para {
            if *mark == Mark::Current && current.is_none() {
                current = Some(w.line_now());
            }
            w.push(text, theme.text(*mark));
        }
        w.newline();
    }
    current
}

/// Lines of context kept above a search match the view scrolls to.
const MATCH_CONTEXT: usize = 2;

fn titled(title: String, focused: bool, theme: &Theme) -> Block<'static> {
    Block::default()
        .borders(Borders::TOP)
        .border_style(theme.border(focused))
        .title(Span::styled(title, theme.title()))
}

pub(crate) fn draw_detail(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let now = app.now_ms;
    let Some(View::Detail(r)) = app.views.last_mut() else {
        return;
    };
    let how = if theme.color {
        "highlighted"
    } else {
        "underlined"
    };
    let title = match &r.record.matched {
        Some(m) => format!(" #{} · passages shared with #{} are {how} ", r.id, m.id),
        None => format!(" #{} ", r.id),
    };
    let block = titled(title, true, theme);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut w = Wrapper::new(usize::from(inner.width));
    w.push(&sanitize_line(&r.record.title), theme.title());
    w.newline();
    for line in meta_lines(&r.record, now, theme, true) {
        w.line(line);
    }
    w.line(Line::default());
    if r.loaded {
        let current = push_paras(&mut w, &r.text, theme);
        if std::mem::take(&mut r.found.jump) {
            if let Some(line) = current {
                r.scroll = line.saturating_sub(MATCH_CONTEXT);
            }
        }
        if r.text.is_empty() {
            w.line(Line::styled("(no text)", theme.dim()));
        }
    } else {
        w.line(Line::styled("loading…", theme.dim()));
    }
    scrolled(frame, inner, w.finish(), &mut r.scroll);
    app.hits.page_rows = usize::from(inner.height);
}

pub(crate) fn draw_compare(frame: &mut Frame<'_>, area: Rect, app: &mut App, theme: &Theme) {
    let Some(View::Compare(c)) = app.views.last_mut() else {
        return;
    };
    let [top, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let Some(diff) = &c.diff else {
        frame.render_widget(Line::styled(" loading…", theme.dim()), top);
        return;
    };
    let summary = Line::from(vec![
        Span::styled(format!(" #{} vs #{} ", c.id, c.other), theme.title()),
        Span::raw(format!(
            "· {}% similar · words only in #{}: {} ",
            (c.similarity * 100.0).round(),
            c.other,
            diff.removed
        )),
        Span::styled("[-…-]", theme.text(Mark::Removed)),
        Span::raw(format!(", only in #{}: {} ", c.id, diff.added)),
        Span::styled("{+…+}", theme.text(Mark::Added)),
    ]);
    frame.render_widget(summary, top);
    let name = |r: &Option<ArticleRecord>| {
        r.as_ref()
            .map(|r| format!("#{} {}", r.id, file_name(&r.file)))
            .unwrap_or_default()
    };
    let inline = area.width < SIDE_BY_SIDE_MIN;
    app.hits.inline = inline;
    if inline {
        let title = format!(" {} → {} (inline) ", name(&c.original), name(&c.this));
        let block = titled(title, true, theme);
        let inner = block.inner(body);
        frame.render_widget(block, body);
        let mut w = Wrapper::new(usize::from(inner.width));
        push_paras(&mut w, &diff.inline, theme);
        scrolled(frame, inner, w.finish(), &mut c.scroll[0]);
        app.hits.page_rows = usize::from(inner.height);
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(body);
    let sides = [
        (left, format!(" original {} ", name(&c.original)), &diff.old),
        (right, format!(" this {} ", name(&c.this)), &diff.new),
    ];
    for (i, (area, title, paras)) in sides.into_iter().enumerate() {
        let focused = c.focus == i;
        let block = titled(title, focused, theme).borders(if i == 0 {
            Borders::TOP | Borders::RIGHT
        } else {
            Borders::TOP
        });
        let inner = block.inner(area);
        frame.render_widget(block, area);
        let mut w = Wrapper::new(usize::from(inner.width));
        push_paras(&mut w, paras, theme);
        scrolled(frame, inner, w.finish(), &mut c.scroll[i]);
    }
    app.hits.left = left;
    app.hits.right = right;
    app.hits.page_rows = usize::from(body.height.saturating_sub(1));
}
