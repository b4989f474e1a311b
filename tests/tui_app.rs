//! The dashboard's state against a real engine, without a terminal: paging a list far larger
//! than the window in both directions (unfiltered and through a sparse search), triage and undo
//! through the engine, the seeds' verdicts as the list shows them, filters typed at the `:` prompt
//! (which ignore case), and a search that scrolls a long article to its occurrence.

mod tui_support;

use copydesk::client::Mode;
use copydesk::model::{Request, Response, Status, TriageAction, TriageState};
use copydesk::tui::action::Action;
use copydesk::tui::app::list::WINDOW_MAX;
use copydesk::tui::app::App;
use copydesk::tui::app::View;
use copydesk::tui::feed::FeedMsg;
use copydesk::tui::keymap::Keymap;
use tui_support::{synthetic, Desk, LATER};

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
    desk.keys(&["O"]); // overrule: not a reprint
    assert!(desk.app.list.rows[0].matched.is_none());
    desk.keys(&["u"]);
    let row = &desk.app.list.rows[0];
    assert!(row.matched.is_some(), "the match is back");
    assert_eq!(row.triage.state, TriageState::Spiked);
    desk.keys(&["u"]);
    assert_eq!(desk.app.list.rows[0].triage.state, TriageState::New);
}

/// Two editors on one engine: A picks an article, B spikes it, A's undo is refused (it would
/// overwrite B's decision) and A's status bar says who changed it and when.
#[test]
fn a_stale_undo_is_refused_and_says_who_changed_the_article() {
    let mut desk = Desk::seeds();
    let id = desk.selected().expect("an article");
    desk.keys(&["p"]);
    assert_eq!(desk.app.list.rows[0].triage.state, TriageState::Picked);

    // Editor B, on the same engine, sees the pick and spikes the article.
    let mut a = std::mem::replace(&mut desk.app, App::new(Keymap::default(), LATER));
    desk.act(Action::Feed(FeedMsg::Connected {
        mode: Mode::Daemon,
        inbox: "watch".into(),
        you: "b".into(),
    }));
    assert_eq!(desk.selected(), Some(id));
    assert_eq!(desk.app.list.rows[0].triage.state, TriageState::Picked);
    desk.keys(&["x"]);
    assert_eq!(desk.app.list.rows[0].triage.state, TriageState::Spiked);

    // Editor A undoes the pick: refused, and the article stays spiked.
    std::mem::swap(&mut desk.app, &mut a);
    desk.keys(&["u"]);
    let screen = desk.screen(260, 20);
    let me = copydesk::client::current_user();
    assert!(
        screen.contains(&format!("#{id} was changed meanwhile: spiked by {me} at 2")),
        "{screen}"
    );
    assert!(
        screen.contains("(you expected picked); nothing was changed"),
        "{screen}"
    );
    let Response::Detail { detail } = desk.client.call(Request::Show { id }).expect("show") else {
        panic!("a detail")
    };
    assert_eq!(detail.record.triage.state, TriageState::Spiked);
}

/// `not-reprint` overrules the detector without erasing it: its verdict and match stay in the
/// record (and its JSON) beside the overrule, and a reset to `new` puts them back.
#[test]
fn an_overrule_keeps_the_detectors_verdict_beside_it() {
    let mut desk = Desk::seeds();
    desk.keys(&["v"]); // reprints only
    let id = desk.selected().expect("the Humala reprint");
    let show = |desk: &mut Desk| match desk.client.call(Request::Show { id }).expect("show") {
        Response::Detail { detail } => detail,
        other => panic!("{other:?}"),
    };
    let detected = show(&mut desk).record;
    let original = detected.matched.clone().expect("a match").id;
    desk.keys(&["enter", "O"]);
    let overruled = show(&mut desk);
    assert_eq!(overruled.record.status, Status::Unique);
    assert!(overruled.record.matched.is_none());
    let kept = overruled.record.triage.overruled.clone().expect("kept");
    assert_eq!(kept.status, Status::Reprint);
    assert_eq!(kept.matched.as_ref().map(|m| m.id), Some(original));
    // The dashboard's article view shows both.
    let screen = desk.screen(120, 40);
    assert!(
        screen.contains(&format!("detector reprint of #{original}")),
        "{screen}"
    );
    assert!(screen.contains("overruled by the editors"), "{screen}");
    let json = serde_json::to_value(&overruled).expect("json");
    assert_eq!(json["triage"]["overruled"]["status"], "reprint");
    assert_eq!(json["triage"]["overruled"]["match"]["id"], original);

    // Reset: the detector's verdict is back, with its exact similarity.
    desk.client
        .call(Request::Triage {
            ids: vec![id],
            action: TriageAction::New,
            note: None,
            before: Some(vec![TriageState::NotReprint]),
        })
        .expect("reset");
    let reset = show(&mut desk).record;
    assert_eq!(reset.status, detected.status);
    assert_eq!(reset.matched, detected.matched);
    assert_eq!(reset.story, detected.story);
    assert!(reset.triage.overruled.is_none());
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

/// A JSON article from `source` (distinct text per `i`, so none is a reprint of another).
fn sourced(i: usize, source: &str) -> copydesk::engine::Input {
    let text = format!(
        "Council {i} votes on budget line {} for district {} after {} hours of debate on item {}.",
        i * 7919 % 10007,
        i % 97,
        i * 31 % 1009,
        i * 13 % 101
    );
    let bytes = serde_json::json!({"title": format!("Vote {i}"), "body": text, "source": source})
        .to_string()
        .into_bytes();
    copydesk::engine::Input {
        file: format!("a{i}.json"),
        data: Ok(copydesk::engine::files::FileData {
            size: bytes.len() as u64,
            bytes,
            mtime_ns: None,
        }),
    }
}

#[test]
fn filters_typed_at_the_colon_prompt_ignore_case() {
    use copydesk::tui::action::{Action, PromptInput};
    let inputs = (1..=6)
        .map(|i| sourced(i, if i % 2 == 0 { "Le Monde" } else { "Reuters" }))
        .collect();
    let mut desk = Desk::with(inputs);
    assert_eq!(desk.app.list.rows.len(), 6);
    let line = |desk: &mut Desk, text: &str| {
        desk.keys(&[":"]);
        for c in text.chars() {
            desk.act(Action::Prompt(PromptInput::Char(c)));
        }
        desk.act(Action::Prompt(PromptInput::Submit));
    };
    line(&mut desk, "filter source=le MONDE");
    let ids: Vec<u64> = desk.app.list.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![6, 4, 2], "the source filter ignores case");
    line(&mut desk, "filter source=reuters text=COUNCIL");
    let ids: Vec<u64> = desk.app.list.rows.iter().map(|r| r.id).collect();
    assert_eq!(ids, vec![5, 3, 1], "and so does the text");
    line(&mut desk, "filter text=TUNNEL");
    assert!(desk.app.list.rows.is_empty(), "a word no article has");
}

#[test]
fn a_search_in_a_long_article_scrolls_to_the_occurrence() {
    use copydesk::tui::action::{Action, PromptInput};
    let mut paragraphs: Vec<String> = (1..=40)
        .map(|i| format!("Paragraph {i} of the report on harbour fees and pilots, line {i}."))
        .collect();
    paragraphs.push("At the very end the Zebra crossing is named.".into());
    let bytes = serde_json::json!({"title": "Harbour report", "body": paragraphs.join("\n\n")})
        .to_string()
        .into_bytes();
    let input = copydesk::engine::Input {
        file: "long.json".into(),
        data: Ok(copydesk::engine::files::FileData {
            size: bytes.len() as u64,
            bytes,
            mtime_ns: None,
        }),
    };
    let mut desk = Desk::with(vec![input]);
    desk.keys(&["enter"]);
    let screen = desk.screen(80, 24);
    assert!(
        !screen.contains("Zebra"),
        "the end is off screen:\n{screen}"
    );
    desk.keys(&["/"]);
    for c in "zebra".chars() {
        desk.act(Action::Prompt(PromptInput::Char(c)));
    }
    desk.act(Action::Prompt(PromptInput::Submit));
    let screen = desk.screen(80, 24);
    assert!(
        screen.contains("the Zebra crossing"),
        "the view scrolled to the occurrence:\n{screen}"
    );
    assert!(screen.contains("'zebra': 1 of 1"), "{screen}");
    // Scrolling away and pressing n comes back to it.
    desk.keys(&["g"]);
    assert!(!desk.screen(80, 24).contains("the Zebra crossing"));
    desk.keys(&["n"]);
    assert!(desk.screen(80, 24).contains("the Zebra crossing"));
}
