//! The app's state and actions without a terminal or an engine: records are made here and the
//! feed's answers are given by hand.

use super::*;
use crate::model::{ArticleRecord, Status, Triage, TriageAction, TriageKind, TriageState};
use crate::tui::action::PromptInput;
use crate::tui::feed::{FeedMsg, PageKind};
use crate::tui::paging::PAGE;

pub(super) fn rec(id: ArticleId) -> ArticleRecord {
    ArticleRecord {
        id,
        file: format!("f{id}.txt"),
        location: None,
        status: if id % 3 == 0 {
            Status::Reprint
        } else {
            Status::Unique
        },
        title: format!("Title {id}"),
        matched: None,
        reason: None,
        story: id,
        source: None,
        url: None,
        published: None,
        words: 100,
        size: 1000,
        ingested_ms: 0,
        triage: Triage::default(),
    }
}

pub(super) fn cmd(app: &mut App, c: Command) -> Vec<Effect> {
    app.update(Action::Command(c))
}

pub(super) fn requests(fx: &[Effect]) -> Vec<FeedRequest> {
    fx.iter()
        .filter_map(|e| match e {
            Effect::Request(r) => Some(r.clone()),
            _ => None,
        })
        .collect()
}

/// An app showing articles `newest` down to 1 (one page).
pub(super) fn showing(newest: ArticleId) -> App {
    let mut app = App::new(Keymap::default(), 0);
    let fx = app.update(Action::Feed(FeedMsg::Connected {
        mode: Mode::InProcess,
        inbox: "watch".into(),
        you: "ed".into(),
    }));
    let page = requests(&fx)
        .into_iter()
        .find_map(|r| match r {
            FeedRequest::Page { gen, kind, .. } => Some((gen, kind)),
            _ => None,
        })
        .expect("the first connection asks for the newest page");
    assert_eq!(page.1, PageKind::Top);
    app.update(Action::Feed(FeedMsg::Page {
        gen: page.0,
        kind: PageKind::Top,
        records: (1..=newest).rev().map(rec).collect(),
        reached_top: true,
        reached_end: true,
    }));
    app
}

fn verdict_event(id: ArticleId) -> Action {
    Action::Feed(FeedMsg::Event(crate::model::Event {
        seq: id,
        at_ms: 0,
        kind: crate::model::EventKind::Verdict {
            verdict: crate::model::Verdict {
                file: format!("f{id}.txt"),
                id: Some(id),
                status: Status::Unique,
                title: String::new(),
                matched: None,
                reason: None,
                again: false,
            },
        },
    }))
}

#[test]
fn new_arrivals_never_move_the_selection() {
    let mut app = showing(10);
    cmd(&mut app, Command::Down);
    cmd(&mut app, Command::Down);
    assert_eq!(app.list.selected_id(), Some(8));
    let fx = app.update(verdict_event(11));
    let asked = requests(&fx);
    assert!(
        matches!(&asked[..], [FeedRequest::Arrivals { ids, .. }] if ids == &vec![11]),
        "{asked:?}"
    );
    // A second arrival waits for the first answer.
    assert!(requests(&app.update(verdict_event(12))).is_empty());
    let gen = app.list.gen;
    let fx = app.update(Action::Feed(FeedMsg::Arrived {
        gen,
        records: vec![rec(11)],
    }));
    assert_eq!(app.list.selected_id(), Some(8));
    assert!(matches!(&requests(&fx)[..], [FeedRequest::Arrivals { ids, .. }] if ids == &vec![12]));
    app.update(Action::Feed(FeedMsg::Arrived {
        gen,
        records: vec![rec(12)],
    }));
    assert_eq!(app.list.selected_id(), Some(8));
    assert_eq!(app.list.rows.front().map(|r| r.id), Some(12));
}

#[test]
fn arrivals_away_from_the_top_are_counted_not_shown() {
    let mut app = showing(10);
    app.list.at_top = false;
    assert!(requests(&app.update(verdict_event(11))).is_empty());
    assert_eq!(app.list.new_above, 1);
    let fx = cmd(&mut app, Command::Top);
    assert!(matches!(
        &requests(&fx)[..],
        [FeedRequest::Page {
            kind: PageKind::Top,
            ..
        }]
    ));
}

#[test]
fn changing_a_filter_reloads_and_drops_pages_asked_for_before() {
    let mut app = showing(10);
    let old_gen = app.list.gen;
    let fx = cmd(&mut app, Command::FilterVerdict);
    let asked = requests(&fx);
    let Some(FeedRequest::Page { gen, query, .. }) = asked.first() else {
        panic!("{asked:?}")
    };
    assert_eq!(query.status, Some(Status::Reprint));
    assert!(
        app.list.rows.is_empty(),
        "old rows do not pass the new filter"
    );
    // A late page from before the change is dropped.
    app.update(Action::Feed(FeedMsg::Page {
        gen: old_gen,
        kind: PageKind::Top,
        records: vec![rec(1)],
        reached_top: true,
        reached_end: true,
    }));
    assert!(app.list.rows.is_empty());
    app.update(Action::Feed(FeedMsg::Page {
        gen: *gen,
        kind: PageKind::Top,
        records: vec![rec(9), rec(6), rec(3)],
        reached_top: true,
        reached_end: true,
    }));
    assert_eq!(app.list.rows.len(), 3);
    cmd(&mut app, Command::FilterTriage);
    assert_eq!(app.filters.triage, Some(TriageKind::New));
    assert_eq!(app.filters.status, Some(Status::Reprint));
    cmd(&mut app, Command::ClearFilters);
    assert!(app.filters.is_empty());
}

#[test]
fn search_is_typed_in_a_prompt_and_asked_of_the_engine() {
    let mut app = showing(3);
    cmd(&mut app, Command::Search);
    for c in "humala".chars() {
        app.update(Action::Prompt(PromptInput::Char(c)));
    }
    let fx = app.update(Action::Prompt(PromptInput::Submit));
    let asked = requests(&fx);
    assert!(
        matches!(&asked[..], [FeedRequest::Page { query, .. }] if query.text.as_deref() == Some("humala")),
        "{asked:?}"
    );
    assert!(app.prompt.is_none());
    // Esc on the list clears the search.
    let fx = cmd(&mut app, Command::Back);
    assert!(
        matches!(&requests(&fx)[..], [FeedRequest::Page { query, .. }] if query.text.is_none())
    );
}

#[test]
fn triage_acts_on_the_marked_selection_and_undo_restores_it() {
    let mut app = showing(5);
    cmd(&mut app, Command::Mark); // 5, moves to 4
    cmd(&mut app, Command::Down); // 3
    cmd(&mut app, Command::Mark); // 3, moves to 2
    assert_eq!(app.marks.len(), 2);
    let fx = cmd(&mut app, Command::Spike);
    let asked = requests(&fx);
    let Some(FeedRequest::Triage {
        ids,
        action,
        before,
        undo,
        ..
    }) = asked.first()
    else {
        panic!("{asked:?}")
    };
    assert_eq!(
        (ids.clone(), *action, before.clone(), *undo),
        (
            vec![3, 5],
            TriageAction::Spiked,
            vec![TriageState::New; 2],
            false
        )
    );
    assert!(app.marks.is_empty(), "marks are used up");
    // Nothing to undo until the engine confirms.
    assert!(requests(&cmd(&mut app, Command::Undo)).is_empty());
    let spiked = |id| {
        let mut r = rec(id);
        r.triage = Triage {
            state: TriageState::Spiked,
            by: Some("ed".into()),
            at_ms: Some(1),
            note: None,
            overruled: None,
        };
        r
    };
    app.update(Action::Feed(FeedMsg::Triaged {
        records: vec![spiked(3), spiked(5)],
        undo: false,
    }));
    assert_eq!(app.list.rows[0].triage.state, TriageState::Spiked);
    let asked = requests(&cmd(&mut app, Command::Undo));
    assert_eq!(
        asked,
        vec![FeedRequest::Triage {
            ids: vec![3, 5],
            action: TriageAction::New,
            before: vec![TriageState::Spiked; 2],
            note: None,
            undo: true
        }]
    );
}

#[test]
fn a_note_keeps_each_articles_state_and_leaves_nothing_to_undo() {
    let mut app = showing(4);
    cmd(&mut app, Command::Mark); // 4 (picked below), moves to 3
    cmd(&mut app, Command::Mark); // 3 (new)
    let mut picked = rec(4);
    picked.triage.state = TriageState::Picked;
    app.update(Action::Feed(FeedMsg::Event(crate::model::Event {
        seq: 1,
        at_ms: 0,
        kind: crate::model::EventKind::Triage {
            id: 4,
            triage: picked.triage.clone(),
            status: picked.status,
            matched: None,
        },
    })));
    cmd(&mut app, Command::Note);
    for c in "wire copy".chars() {
        app.update(Action::Prompt(PromptInput::Char(c)));
    }
    let asked = requests(&app.update(Action::Prompt(PromptInput::Submit)));
    let note = Some("wire copy".to_owned());
    assert_eq!(
        asked,
        vec![
            FeedRequest::Triage {
                ids: vec![3],
                action: TriageAction::New,
                before: vec![TriageState::New],
                note: note.clone(),
                undo: false,
            },
            FeedRequest::Triage {
                ids: vec![4],
                action: TriageAction::Picked,
                before: vec![TriageState::Picked],
                note,
                undo: false,
            },
        ]
    );
    app.update(Action::Feed(FeedMsg::Triaged {
        records: vec![rec(3)],
        undo: false,
    }));
    assert!(requests(&cmd(&mut app, Command::Undo)).is_empty());
}

#[test]
fn one_article_is_triaged_when_none_is_marked() {
    let mut app = showing(4);
    cmd(&mut app, Command::Down);
    let asked = requests(&cmd(&mut app, Command::Pick));
    assert!(matches!(&asked[..], [FeedRequest::Triage { ids, .. }] if ids == &vec![3]));
    cmd(&mut app, Command::ReprintOf);
    for c in "#1".chars() {
        app.update(Action::Prompt(PromptInput::Char(c)));
    }
    let asked = requests(&app.update(Action::Prompt(PromptInput::Submit)));
    assert!(matches!(
        &asked[..],
        [FeedRequest::Triage {
            action: TriageAction::ReprintOf { other: 1 },
            ..
        }]
    ));
}

#[test]
fn a_lost_connection_keeps_the_list_and_says_so() {
    let mut app = showing(4);
    app.update(Action::Feed(FeedMsg::Lost {
        reason: "the daemon closed the connection".into(),
    }));
    assert!(app.conn.lost.is_some());
    assert_eq!(app.list.rows.len(), 4);
    let fx = app.update(Action::Feed(FeedMsg::Connected {
        mode: Mode::Daemon,
        inbox: "watch".into(),
        you: "ed".into(),
    }));
    assert!(app.conn.lost.is_none());
    assert_eq!(
        app.list.rows.len(),
        4,
        "nothing reloads: the event log catches up"
    );
    assert!(requests(&fx)
        .iter()
        .all(|r| matches!(r, FeedRequest::Stats)));
}

#[test]
fn the_window_asks_for_older_pages_and_stays_bounded() {
    let mut app = showing(0);
    let gen = app.list.gen;
    let total = 20 * PAGE as u64;
    let page_below = |after: u64| -> Vec<ArticleRecord> {
        (after.saturating_sub(PAGE as u64)..after)
            .rev()
            .filter(|&i| i > 0)
            .map(rec)
            .collect()
    };
    app.list.rows = page_below(total + 1).into();
    app.list.at_end = false;
    for _ in 0..(total - 1) {
        let fx = cmd(&mut app, Command::Down);
        for r in requests(&fx) {
            if let FeedRequest::Page {
                kind: PageKind::Older { after },
                ..
            } = r
            {
                let records = page_below(after);
                app.update(Action::Feed(FeedMsg::Page {
                    gen,
                    kind: PageKind::Older { after },
                    reached_end: records.len() < PAGE,
                    records,
                    reached_top: false,
                }));
            }
        }
        assert!(app.list.rows.len() <= list::WINDOW_MAX);
    }
    assert_eq!(app.list.selected_id(), Some(1));
    assert!(app.list.at_end && !app.list.at_top);
}

fn failed(message: &str) -> Action {
    Action::Feed(FeedMsg::Failed {
        request: Box::new(FeedRequest::Stats),
        message: message.into(),
    })
}

/// The status bar's text on a 100-column screen.
fn status_bar(app: &mut App) -> String {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(100, 12)).expect("term");
    let theme = crate::tui::theme::Theme::new(false);
    t.draw(|f| crate::tui::views::draw(f, app, &theme))
        .expect("draws");
    let screen = t.backend().to_string();
    screen
        .lines()
        .find(|l| l.contains("│ inbox "))
        .unwrap_or_default()
        .to_owned()
}

#[test]
fn an_error_expires_after_a_few_seconds_by_the_clock() {
    let mut app = showing(3);
    app.update(Action::Tick { now_ms: 10_000 });
    app.update(failed("counts: the engine said no"));
    assert!(status_bar(&mut app).contains("the engine said no"));
    app.update(Action::Tick {
        now_ms: 10_000 + SAY_MS - 1_000,
    });
    assert!(
        status_bar(&mut app).contains("the engine said no"),
        "still fresh"
    );
    app.update(Action::Tick {
        now_ms: 10_000 + SAY_MS,
    });
    let bar = status_bar(&mut app);
    assert!(!bar.contains("the engine said no"), "{bar}");
    assert!(
        bar.contains("? help"),
        "an idle bar hints at the help: {bar}"
    );
}

#[test]
fn the_next_key_clears_the_message_and_the_newest_message_wins() {
    let mut app = showing(3);
    app.update(failed("#3 has no URL"));
    assert!(status_bar(&mut app).contains("#3 has no URL"));
    cmd(&mut app, Command::Down);
    assert!(
        !status_bar(&mut app).contains("no URL"),
        "cleared by the next key"
    );

    // An error, then a confirmation arriving after it: the confirmation shows.
    app.update(failed("#3 has no URL"));
    let mut spiked = rec(2);
    spiked.triage.state = TriageState::Spiked;
    spiked.triage.by = Some("ed".into());
    app.update(Action::Feed(FeedMsg::Triaged {
        records: vec![spiked],
        undo: false,
    }));
    let bar = status_bar(&mut app);
    assert!(bar.contains("spiked by ed on 1 article(s)"), "{bar}");
    assert!(!bar.contains("no URL"), "{bar}");
    // And a later error replaces the confirmation.
    app.update(failed("listing: gone"));
    let bar = status_bar(&mut app);
    assert!(
        bar.contains("listing: gone") && !bar.contains("spiked by"),
        "{bar}"
    );
}
