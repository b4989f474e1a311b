//! The keys as less, vim, mutt and newsboat have them, on the pure `update`: `/` opens empty,
//! `n`/`N` step through matches, `q` backs out one level, `Q` quits from anywhere, a view ignores
//! what its help does not list, and the `:` prompt runs commands by name.

use super::tests::{cmd, rec, requests, showing};
use super::text::Mark;
use super::*;
use crate::model::{Detail, Status, TriageAction};
use crate::tui::action::{PromptInput, Views, COMMANDS};
use crate::tui::feed::FeedMsg;
use crate::tui::input::command_of;

fn key(app: &mut App, k: &str) -> Vec<Effect> {
    let c = command_of(app, k).unwrap_or_else(|| panic!("'{k}' is bound"));
    app.update(Action::Command(c))
}

fn type_line(app: &mut App, text: &str) -> Vec<Effect> {
    for c in text.chars() {
        app.update(Action::Prompt(PromptInput::Char(c)));
    }
    app.update(Action::Prompt(PromptInput::Submit))
}

fn search(app: &mut App, text: &str) -> Vec<Effect> {
    key(app, "/");
    type_line(app, text)
}

/// The app with article `id` of a ten-article list open in the article view, its text loaded.
fn reading(paragraphs: &[&str]) -> App {
    let mut app = showing(10);
    key(&mut app, "enter");
    let record = app.list.selected_record().cloned().expect("a row");
    app.update(Action::Feed(FeedMsg::Detail(Box::new(Detail {
        record,
        paragraphs: paragraphs.iter().map(|p| p.to_string()).collect(),
    }))));
    assert!(matches!(app.views.last(), Some(View::Detail(r)) if r.loaded));
    app
}

fn reading_view(app: &App) -> &Reading {
    match app.views.last() {
        Some(View::Detail(r)) => r,
        other => panic!("not the article view: {other:?}"),
    }
}

/// The pieces of the article's text marked `mark`.
fn marked(app: &App, mark: Mark) -> Vec<String> {
    (reading_view(app).text.iter().flatten())
        .filter(|(_, m)| *m == mark)
        .map(|(t, _)| t.clone())
        .collect()
}

#[test]
fn slash_opens_an_empty_prompt_even_after_a_search() {
    let mut app = showing(5);
    search(&mut app, "bridge");
    assert_eq!(app.filters.text.as_deref(), Some("bridge"));
    key(&mut app, "/");
    assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some(""));
    type_line(&mut app, "tunnel");
    assert_eq!(
        app.filters.text.as_deref(),
        Some("tunnel"),
        "typing replaces the search, it does not append to it"
    );
}

#[test]
fn n_and_shift_n_go_to_the_next_and_previous_matching_article() {
    let mut app = showing(5);
    key(&mut app, "n");
    assert_eq!(
        app.list.selected_id(),
        Some(5),
        "no search: n does not move"
    );
    assert!(app
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("no search")));
    search(&mut app, "title");
    let gen = app.list.gen;
    // The engine's answer: the articles matching the search.
    app.update(Action::Feed(FeedMsg::Page {
        gen,
        kind: crate::tui::feed::PageKind::Top,
        records: vec![rec(5), rec(3), rec(1)],
        reached_top: true,
        reached_end: true,
    }));
    key(&mut app, "n");
    assert_eq!(app.list.selected_id(), Some(3));
    key(&mut app, "n");
    assert_eq!(app.list.selected_id(), Some(1));
    key(&mut app, "n");
    assert_eq!(app.list.selected_id(), Some(1));
    assert!(app
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("no later")));
    key(&mut app, "N");
    assert_eq!(app.list.selected_id(), Some(3));
}

#[test]
fn in_the_article_n_steps_through_the_occurrences_folded_as_the_search_folds() {
    let mut app = reading(&[
        "The BRIDGE\u{2019}s closure was announced.",
        "Nothing here.",
        "Traffic on the bridge, they said, will move to the old Bridge.",
    ]);
    key(&mut app, "/");
    let fx = type_line(&mut app, "bridge");
    assert!(
        matches!(&requests(&fx)[..], [FeedRequest::Page { query, .. }] if query.text.as_deref() == Some("bridge")),
        "the search filters the list under the article too"
    );
    assert_eq!(app.views.len(), 1, "the article stays open");
    // The search goes to the first occurrence at once, and marks the others.
    assert_eq!(marked(&app, Mark::Current), vec!["BRIDGE"]);
    assert_eq!(marked(&app, Mark::Found), vec!["bridge", "Bridge"]);
    assert!(reading_view(&app).found.jump, "the view scrolls to it");
    key(&mut app, "n");
    assert_eq!(marked(&app, Mark::Current), vec!["bridge"]);
    assert_eq!(app.notice.as_deref(), Some("'bridge': 2 of 3"));
    key(&mut app, "N");
    key(&mut app, "N");
    assert_eq!(marked(&app, Mark::Current), vec!["Bridge"]);
    assert!(app
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("went round")));
    // A search the text does not hold says so and marks nothing.
    search(&mut app, "tunnel");
    key(&mut app, "n");
    assert!(marked(&app, Mark::Found).is_empty());
    assert!(app
        .notice
        .as_deref()
        .is_some_and(|n| n.contains("does not occur")));
}

#[test]
fn an_article_opened_under_a_search_shows_its_words_marked() {
    let mut app = showing(10);
    search(&mut app, "closure");
    let gen = app.list.gen;
    app.update(Action::Feed(FeedMsg::Page {
        gen,
        kind: crate::tui::feed::PageKind::Top,
        records: vec![rec(7)],
        reached_top: true,
        reached_end: true,
    }));
    key(&mut app, "enter");
    let record = app.list.selected_record().cloned().expect("a row");
    app.update(Action::Feed(FeedMsg::Detail(Box::new(Detail {
        record,
        paragraphs: vec!["The closure, and the CLOSURE again.".into()],
    }))));
    assert_eq!(marked(&app, Mark::Found), vec!["closure", "CLOSURE"]);
    assert!(marked(&app, Mark::Current).is_empty());
    // The list's preview marks them too.
    key(&mut app, "q");
    let record = app.list.selected_record().cloned().expect("a row");
    app.update(Action::Feed(FeedMsg::Detail(Box::new(Detail {
        record,
        paragraphs: vec!["No, the Closure.".into()],
    }))));
    let found: Vec<&str> = (app.preview.text.iter().flatten())
        .filter(|(_, m)| *m == Mark::Found)
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(found, vec!["Closure"]);
}

#[test]
fn q_backs_out_one_level_and_quits_only_at_the_top() {
    let mut app = reading(&["Some text."]);
    key(&mut app, "c"); // no match to compare with: an error, no view
    key(&mut app, "s");
    assert_eq!(app.views.len(), 2, "the story above the article");
    assert!(!key(&mut app, "q").contains(&Effect::Quit));
    assert_eq!(app.views.len(), 1);
    key(&mut app, "?");
    assert!(app.help.is_some());
    assert!(!key(&mut app, "q").contains(&Effect::Quit));
    assert!(app.help.is_none(), "q closes the help");
    assert_eq!(app.views.len(), 1, "and only the help");
    assert!(!key(&mut app, "q").contains(&Effect::Quit));
    assert!(app.views.is_empty(), "back on the list");
    // A prompt takes q as a letter of its text.
    key(&mut app, "/");
    app.update(Action::Prompt(PromptInput::Char('q')));
    assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some("q"));
    app.update(Action::Prompt(PromptInput::Cancel));
    assert_eq!(key(&mut app, "q"), vec![Effect::Quit], "q quits at the top");
}

#[test]
fn shift_q_quits_from_anywhere() {
    let mut app = reading(&["Some text."]);
    assert_eq!(key(&mut app, "Q"), vec![Effect::Quit]);
    key(&mut app, "?");
    assert_eq!(key(&mut app, "Q"), vec![Effect::Quit]);
}

#[test]
fn the_overrules_left_n_and_keep_their_commands() {
    let app = showing(1);
    assert_eq!(command_of(&app, "N"), Some(Command::SearchPrev));
    assert_eq!(command_of(&app, "n"), Some(Command::SearchNext));
    assert_eq!(command_of(&app, "O"), Some(Command::NotReprint));
    assert_eq!(command_of(&app, "R"), Some(Command::ReprintOf));
    assert_eq!(command_of(&app, "q"), Some(Command::Close));
    assert_eq!(command_of(&app, "Q"), Some(Command::Quit));
    assert_eq!(command_of(&app, ":"), Some(Command::CommandLine));
}

#[test]
fn the_article_view_ignores_every_command_its_help_does_not_list() {
    let ignored: Vec<Command> = (COMMANDS.iter())
        .filter(|s| !s.help.contains(Views::ARTICLE))
        .map(|s| s.command)
        .collect();
    assert!(ignored.contains(&Command::FilterVerdict) && ignored.contains(&Command::Mark));
    for c in ignored {
        let mut app = reading(&["Some text."]);
        let before = (app.filters.clone(), app.list.selected, app.list.gen);
        let fx = cmd(&mut app, c);
        assert!(fx.is_empty(), "{c:?} gave {fx:?}");
        assert_eq!(app.views.len(), 1, "{c:?}");
        assert!(app.prompt.is_none() && app.help.is_none(), "{c:?}");
        assert!(app.marks.is_empty(), "{c:?}");
        assert_eq!(
            (app.filters.clone(), app.list.selected, app.list.gen),
            before,
            "{c:?} changed the list under the article"
        );
    }
}

#[test]
fn the_colon_prompt_runs_commands_by_name() {
    let mut app = showing(5);
    key(&mut app, ":");
    let fx = type_line(&mut app, "pick");
    assert!(
        matches!(
            &requests(&fx)[..],
            [FeedRequest::Triage {
                action: TriageAction::Picked,
                ..
            }]
        ),
        "{fx:?}"
    );
    key(&mut app, ":");
    let fx = type_line(&mut app, "filter source=Le Monde verdict=Reprint");
    assert_eq!(app.filters.source.as_deref(), Some("Le Monde"));
    assert_eq!(app.filters.status, Some(Status::Reprint));
    assert!(requests(&fx)
        .iter()
        .any(|r| matches!(r, FeedRequest::Page { query, .. } if query.source.as_deref() == Some("Le Monde"))));
    key(&mut app, ":");
    type_line(&mut app, "help");
    assert!(app.help.is_some());
    key(&mut app, "q");
    key(&mut app, ":");
    let fx = type_line(&mut app, "frobnicate");
    assert!(fx.is_empty());
    let err = app.last_error.clone().unwrap_or_default();
    assert!(err.contains("no command 'frobnicate'"), "{err}");
    key(&mut app, ":");
    type_line(&mut app, "filter verdict=maybe");
    let err = app.last_error.clone().unwrap_or_default();
    assert!(err.contains("no verdict 'maybe'"), "{err}");
    assert_eq!(app.filters.status, Some(Status::Reprint), "unchanged");
    // Commands of another view are refused with a reason, not run.
    let mut app = reading(&["Some text."]);
    key(&mut app, ":");
    type_line(&mut app, "filter_source x");
    let err = app.last_error.clone().unwrap_or_default();
    assert!(err.contains("does nothing in the article view"), "{err}");
    assert_eq!(app.filters.source, None);
}
