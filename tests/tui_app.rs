//! The dashboard's state against a real engine, without a terminal: paging a list far larger
//! than the window in both directions (unfiltered and through a sparse search), triage and undo
//! through the engine, and the seeds' verdicts as the list shows them.

mod tui_support;

use copydesk::model::TriageState;
use copydesk::tui::app::list::WINDOW_MAX;
use copydesk::tui::app::View;
use tui_support::{synthetic, Desk};

/// Ids in the window run newest first without a gap (for an unfiltered list).
fn contiguous(desk: &Desk) -> bool {
    let ids: Vec<u64> = desk.app.list.rows.iter().map(|r| r.id).collect();
    ids.windows(2).all(|w| w[0] == w[1] + 1)
}

#[test]
fn paging_a_large_list_keeps_a_bounded_window_in_both_directions() {
    let n = 2_500;
    let mut desk = Desk::with(synthetic(n));
    assert_eq!(desk.selected(), Some(n as u64));
    for _ in 0..1_800 {
        desk.keys(&["j"]);
        assert!(desk.app.list.rows.len() <= WINDOW_MAX);
    }
    assert_eq!(desk.selected(), Some(n as u64 - 1_800));
    assert!(contiguous(&desk), "pages join without gaps");
    desk.keys(&["G"]);
    assert_eq!(desk.selected(), Some(1), "G goes to the oldest");
    assert!(desk.app.list.at_end);
    for _ in 0..1_000 {
        desk.keys(&["k"]);
        assert!(desk.app.list.rows.len() <= WINDOW_MAX);
    }
    assert_eq!(
        desk.selected(),
        Some(1_001),
        "paging up from the oldest finds the newer ones"
    );
    assert!(contiguous(&desk));
    desk.app.hits.page_rows = 20; // as a 20-row list pane would set it: ctrl-u moves 10
    for _ in 0..160 {
        desk.keys(&["ctrl-u"]);
    }
    assert_eq!(desk.selected(), Some(n as u64));
    assert!(desk.app.list.at_top);
    desk.keys(&["G", "g"]);
    assert_eq!(desk.selected(), Some(n as u64));
}

#[test]
fn a_sparse_search_pages_through_the_engine() {
    let n = 1_200;
    let mut desk = Desk::with(synthetic(n));
    desk.keys(&["/"]);
    for c in "evenrow".chars() {
        desk.act(copydesk::tui::action::Action::Prompt(
            copydesk::tui::action::PromptInput::Char(c),
        ));
    }
    desk.act(copydesk::tui::action::Action::Prompt(
        copydesk::tui::action::PromptInput::Submit,
    ));
    assert_eq!(desk.selected(), Some(n as u64));
    desk.keys(&["G"]);
    assert_eq!(desk.selected(), Some(2));
    for _ in 0..(n / 2 - 1) {
        desk.keys(&["k"]);
    }
    assert_eq!(desk.selected(), Some(n as u64));
    let ids: Vec<u64> = desk.app.list.rows.iter().map(|r| r.id).collect();
    assert!(
        ids.windows(2).all(|w| w[0] == w[1] + 2),
        "every even article, none missed"
    );
}

#[test]
fn triage_goes_through_the_engine_and_undo_restores_it() {
    let mut desk = Desk::seeds();
    desk.keys(&["v"]); // reprints only
    let reprint = desk.selected().expect("the Humala reprint");
    desk.keys(&["x"]);
    let row = &desk.app.list.rows[0];
    assert_eq!(row.id, reprint);
    assert_eq!(row.triage.state, TriageState::Spiked);
    assert_eq!(
        row.triage.by.as_deref(),
        Some(copydesk::client::current_user().as_str())
    );
    // Overrule, then undo twice: the match and the state come back.
    desk.keys(&["N"]);
    assert!(desk.app.list.rows[0].matched.is_none());
    desk.keys(&["u"]);
    let row = &desk.app.list.rows[0];
    assert!(row.matched.is_some(), "the match is back");
    assert_eq!(row.triage.state, TriageState::Spiked);
    desk.keys(&["u"]);
    assert_eq!(desk.app.list.rows[0].triage.state, TriageState::New);
}

#[test]
fn the_detail_view_highlights_what_the_reprint_shares_and_copies_its_text() {
    let mut desk = Desk::seeds();
    desk.keys(&["v", "enter"]);
    let Some(View::Detail(r)) = desk.app.views.last() else {
        panic!("the detail view is open")
    };
    assert!(r.loaded);
    let shared = r
        .text
        .iter()
        .flatten()
        .filter(|(_, m)| *m == copydesk::tui::app::text::Mark::Shared)
        .count();
    assert!(shared > 0, "shared passages are marked");
    desk.keys(&["ctrl-y", "y"]);
    assert_eq!(desk.copied.len(), 2);
    assert!(desk.copied[0].contains("Humala"));
    desk.keys(&["esc"]);
    assert!(desk.app.views.is_empty());
}

#[test]
fn the_story_view_lists_the_original_first() {
    let mut desk = Desk::seeds();
    desk.keys(&["v", "s"]);
    let Some(View::Story(s)) = desk.app.views.last() else {
        panic!("the story view is open")
    };
    assert_eq!(s.records.len(), 2);
    assert!(s.records[0].id < s.records[1].id);
}

#[test]
fn arrivals_are_fetched_through_the_engines_filters() {
    use copydesk::model::ListQuery;
    use copydesk::model::Status;
    let mut desk = Desk::with(synthetic(40));
    // Arrivals 21..=30, filtered as the list is: a status and a word found only in the text.
    let ids: Vec<u64> = (21..=30).collect();
    let evens = ListQuery {
        text: Some("evenrow".into()),
        status: Some(Status::Unique),
        ..ListQuery::default()
    };
    let got: Vec<u64> = copydesk::tui::paging::arrivals(&mut desk.client, &ids, &evens)
        .expect("arrivals")
        .iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(got, [30, 28, 26, 24, 22]);
    let reprints = ListQuery {
        status: Some(Status::Reprint),
        ..ListQuery::default()
    };
    let none =
        copydesk::tui::paging::arrivals(&mut desk.client, &ids, &reprints).expect("arrivals");
    assert!(none.is_empty());
    // Only the ids asked for, though others lie in their range.
    let got: Vec<u64> =
        copydesk::tui::paging::arrivals(&mut desk.client, &[22, 27], &ListQuery::default())
            .expect("arrivals")
            .iter()
            .map(|r| r.id)
            .collect();
    assert_eq!(got, [27, 22]);
}
