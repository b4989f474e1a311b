//! The wire's encoding, frozen per protocol version: every message kind is encoded and compared
//! with the golden file of `PROTOCOL_VERSION`, then decoded back. A change of any field name,
//! tag or text form fails here; if it is meant, bump `PROTOCOL_VERSION` and add the new golden
//! file beside the old.

use super::*;
use crate::model::TriageState;

fn record(id: ArticleId, state: TriageState) -> Record {
    Record {
        id,
        file: format!("/in/{id}.txt"),
        location: None,
        status: Status::Reprint,
        title: "Council closes the bridge".into(),
        matched: Some(Match {
            id: 1,
            file: "/in/1.txt".into(),
            similarity: 0.75,
        }),
        reason: None,
        story: 1,
        source: Some("Wire".into()),
        url: Some("https://example.org/a".into()),
        published: Some("2024-05-01".into()),
        words: 120,
        size: 2048,
        ingested_ms: 1_700_000_000_000,
        triage: Triage {
            state,
            by: (state != TriageState::New).then(|| "ana".into()),
            at_ms: (state != TriageState::New).then_some(1_700_000_000_500),
            note: (state == TriageState::Spiked).then(|| "wire copy".into()),
            overruled: None,
        },
    }
}

fn verdict() -> Verdict {
    Verdict {
        file: "/in/2.txt".into(),
        id: Some(2),
        status: Status::Partial,
        title: "Harbour fees".into(),
        matched: Some(Match {
            id: 1,
            file: "/in/1.txt".into(),
            similarity: 0.3,
        }),
        reason: None,
        again: false,
    }
}

fn detail(id: ArticleId) -> Detail {
    Detail {
        record: record(id, TriageState::New),
        paragraphs: vec!["First paragraph.".into(), "Second.".into()],
    }
}

/// One line of every kind the wire carries.
fn samples() -> Vec<String> {
    let mut lines = Vec::new();
    let mut push = |v: &dyn erased::Line| lines.push(v.line());
    push(&ServerLine::Hello(Hello {
        copydesk: "0.1.0".into(),
        protocol: PROTOCOL_VERSION,
        last_seq: 7,
        inbox: "/srv/inbox".into(),
        db: "/srv/db".into(),
        you: "ana".into(),
    }));
    let requests = [
        Request::Ingest {
            paths: vec!["/in/a.txt".into()],
        },
        Request::Check {
            paths: vec!["/in/b.txt".into()],
        },
        Request::List {
            query: ListQuery {
                status: Some(Status::Reprint),
                triage: Some(TriageKind::ReprintOf),
                source: Some("Wire".into()),
                text: Some("bridge".into()),
                before: Some(90),
                after: Some(10),
                limit: 50,
                ..ListQuery::default()
            },
        },
        Request::List {
            query: ListQuery::default(),
        },
        Request::Show { id: 3 },
        Request::Compare { id: 3, other: 1 },
        Request::Story { id: 3 },
        Request::Stats,
        Request::Triage {
            ids: vec![3, 4],
            action: TriageAction::ReprintOf { other: 1 },
            note: Some("same wire copy".into()),
            before: None,
        },
        Request::Triage {
            ids: vec![5],
            action: TriageAction::NotReprint,
            note: None,
            before: None,
        },
        Request::Subscribe { after: 12 },
        // Added with `list --file/--since` and `show PATH`: new lines, the ones above unchanged.
        Request::List {
            query: ListQuery {
                file: Some("/wire/".into()),
                since_ms: Some(1_717_243_200_000),
                ..ListQuery::default()
            },
        },
        Request::ShowFile {
            file: "/in/2.txt".into(),
        },
    ];
    for (n, request) in requests.into_iter().enumerate() {
        push(&ClientLine {
            id: n as u64 + 1,
            request,
            stream: false,
        });
    }
    let responses = [
        Response::Verdicts {
            verdicts: vec![verdict()],
        },
        Response::Records {
            records: vec![
                record(2, TriageState::New),
                record(3, TriageState::Picked),
                record(4, TriageState::Spiked),
                record(5, TriageState::NotReprint),
                record(6, TriageState::ReprintOf(1)),
            ],
            capped_at: None,
        },
        Response::Detail {
            detail: Box::new(detail(2)),
        },
        Response::Comparison {
            comparison: Box::new(Comparison {
                left: detail(2),
                right: detail(1),
                similarity: 0.5,
                left_shared: vec![(0, 0, 5)],
                right_shared: vec![(1, 2, 7)],
            }),
        },
        Response::Stats {
            stats: Stats {
                articles: 3,
                by_status: [(Status::Unique, 2), (Status::Reprint, 1)].into(),
                db_bytes: 4096,
                db: "/srv/db".into(),
                last_seq: 3,
            },
        },
        Response::Triaged {
            records: vec![record(3, TriageState::Picked)],
        },
        Response::Subscribed { last_seq: 12 },
        Response::Error {
            message: "no article with id 9".into(),
            kind: FailureKind::NoSuchArticle,
        },
    ];
    for (n, response) in responses.into_iter().enumerate() {
        push(&ServerLine::Reply {
            id: n as u64 + 1,
            response,
        });
    }
    push(&ServerLine::Event(Event {
        seq: 13,
        at_ms: 1_700_000_001_000,
        kind: EventKind::Verdict { verdict: verdict() },
    }));
    push(&ServerLine::Event(Event {
        seq: 14,
        at_ms: 1_700_000_002_000,
        kind: EventKind::Triage {
            id: 2,
            triage: record(2, TriageState::Spiked).triage,
            status: Status::Reprint,
            matched: None,
        },
    }));
    // Added in 0.2.1, after the lines above: an article from standard input, a streamed ingest
    // and its progress.
    push(&ClientLine {
        id: 13,
        request: Request::Article {
            name: "stdin".into(),
            bytes: b"Hi\n".to_vec(),
            ingest: true,
        },
        stream: false,
    });
    push(&ClientLine {
        id: 12,
        request: Request::Ingest {
            paths: vec!["/in".into()],
        },
        stream: true,
    });
    push(&ServerLine::Reply {
        id: 12,
        response: Response::Progress {
            verdicts: vec![Verdict {
                again: true,
                ..verdict()
            }],
        },
    });
    lines
}

/// Encodes a line of either direction, and checks that it decodes back to itself.
mod erased {
    use super::*;

    pub(crate) trait Line {
        fn line(&self) -> String;
    }

    impl<T> Line for T
    where
        T: Serialize + for<'de> Deserialize<'de> + PartialEq + std::fmt::Debug,
    {
        fn line(&self) -> String {
            let text = serde_json::to_string(self).expect("serialises");
            let back: T = serde_json::from_str(&text).expect("parses");
            assert_eq!(&back, self, "{text}");
            text
        }
    }
}

fn golden() -> &'static str {
    match PROTOCOL_VERSION {
        2 => include_str!("golden-v2.jsonl"),
        v => panic!("no golden file for protocol {v}: add golden-v{v}.jsonl beside the others"),
    }
}

#[test]
fn encoding_matches_the_golden_file() {
    let got = samples();
    let want: Vec<&str> = golden().lines().collect();
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert_eq!(
            g,
            w,
            "line {} differs from golden-v{PROTOCOL_VERSION}.jsonl",
            i + 1
        );
    }
    assert_eq!(
        got.len(),
        want.len(),
        "the golden file has {} lines; the samples make {}:\n{}",
        want.len(),
        got.len(),
        got.join("\n")
    );
}

#[test]
fn every_golden_server_line_decodes_to_domain_values() {
    for line in golden().lines().filter(|l| !l.contains(r#""op":"#)) {
        match serde_json::from_str::<ServerLine>(line).expect(line) {
            ServerLine::Reply { response, .. } => match Reply::from(response.clone()) {
                Reply::Engine(r) => assert_eq!(Response::from(r), response),
                Reply::Refused(f) => assert_eq!(Response::from(f), response),
                Reply::Subscribed { .. } => {}
                Reply::Progress(verdicts) => {
                    let verdicts = verdicts.into_iter().map(Into::into).collect();
                    assert_eq!(Response::Progress { verdicts }, response)
                }
            },
            ServerLine::Event(e) => {
                assert_eq!(Event::from(model::Event::from(e.clone())), e);
            }
            ServerLine::Hello(h) => assert_eq!(h.protocol, PROTOCOL_VERSION),
        }
    }
}

#[test]
fn every_request_goes_through_the_model_and_back() {
    for line in golden().lines() {
        let Ok(c) = serde_json::from_str::<ClientLine>(line) else {
            continue;
        };
        match Incoming::from(c.request.clone()) {
            Incoming::Engine(r) => assert_eq!(Request::from(r), c.request),
            Incoming::Subscribe { after } => assert_eq!(after, 12),
        }
    }
}

#[test]
fn an_untriaged_state_from_an_older_daemon_reads_as_new() {
    let line = golden()
        .lines()
        .find(|l| l.contains(r#""reply":"detail""#))
        .expect("a detail");
    let old = line.replace(r#""state":"new""#, r#""state":"""#);
    assert_ne!(old, line);
    let ServerLine::Reply { response, .. } = serde_json::from_str(&old).expect(&old) else {
        panic!("a reply");
    };
    let Reply::Engine(model::Response::Detail { detail }) = Reply::from(response) else {
        panic!("a detail");
    };
    assert_eq!(detail.record.triage.state, TriageState::New);
}

#[test]
fn unknown_triage_states_are_refused() {
    let line = golden()
        .lines()
        .find(|l| l.contains(r#""state":"picked""#))
        .expect("a picked record");
    let bad = line.replace(r#""state":"picked""#, r#""state":"maybe""#);
    assert!(serde_json::from_str::<ServerLine>(&bad).is_err(), "{bad}");
}

#[test]
fn a_capped_listing_says_so_and_an_uncapped_one_reads_as_before() {
    let capped = ServerLine::Reply {
        id: 3,
        response: Response::Records {
            records: Vec::new(),
            capped_at: Some(10_000),
        },
    };
    let line = serde_json::to_string(&capped).expect("encodes");
    assert_eq!(
        line,
        r#"{"req":3,"reply":"records","records":[],"capped_at":10000}"#
    );
    assert_eq!(
        serde_json::from_str::<ServerLine>(&line).expect("decodes"),
        capped
    );
    let before = r#"{"req":3,"reply":"records","records":[]}"#;
    match serde_json::from_str::<ServerLine>(before).expect("decodes") {
        ServerLine::Reply {
            response: Response::Records { capped_at, .. },
            ..
        } => assert_eq!(capped_at, None),
        other => panic!("{other:?}"),
    }
}
