//! Conversions between the wire's messages and the domain's values, in both directions: the
//! server takes requests and sends answers and events; the client does the reverse.

use super::*;

impl From<model::Status> for Status {
    fn from(s: model::Status) -> Status {
        match s {
            model::Status::Unique => Status::Unique,
            model::Status::Duplicate => Status::Duplicate,
            model::Status::Reprint => Status::Reprint,
            model::Status::Partial => Status::Partial,
            model::Status::Rejected => Status::Rejected,
        }
    }
}

impl From<Status> for model::Status {
    fn from(s: Status) -> model::Status {
        match s {
            Status::Unique => model::Status::Unique,
            Status::Duplicate => model::Status::Duplicate,
            Status::Reprint => model::Status::Reprint,
            Status::Partial => model::Status::Partial,
            Status::Rejected => model::Status::Rejected,
        }
    }
}

impl From<model::TriageAction> for TriageAction {
    fn from(a: model::TriageAction) -> TriageAction {
        match a {
            model::TriageAction::New => TriageAction::New,
            model::TriageAction::Picked => TriageAction::Picked,
            model::TriageAction::Spiked => TriageAction::Spiked,
            model::TriageAction::NotReprint => TriageAction::NotReprint,
            model::TriageAction::ReprintOf { other } => TriageAction::ReprintOf { other },
        }
    }
}

impl From<TriageAction> for model::TriageAction {
    fn from(a: TriageAction) -> model::TriageAction {
        match a {
            TriageAction::New => model::TriageAction::New,
            TriageAction::Picked => model::TriageAction::Picked,
            TriageAction::Spiked => model::TriageAction::Spiked,
            TriageAction::NotReprint => model::TriageAction::NotReprint,
            TriageAction::ReprintOf { other } => model::TriageAction::ReprintOf { other },
        }
    }
}

impl From<model::TriageKind> for TriageKind {
    fn from(k: model::TriageKind) -> TriageKind {
        match k {
            model::TriageKind::New => TriageKind::New,
            model::TriageKind::Picked => TriageKind::Picked,
            model::TriageKind::Spiked => TriageKind::Spiked,
            model::TriageKind::NotReprint => TriageKind::NotReprint,
            model::TriageKind::ReprintOf => TriageKind::ReprintOf,
        }
    }
}

impl From<TriageKind> for model::TriageKind {
    fn from(k: TriageKind) -> model::TriageKind {
        match k {
            TriageKind::New => model::TriageKind::New,
            TriageKind::Picked => model::TriageKind::Picked,
            TriageKind::Spiked => model::TriageKind::Spiked,
            TriageKind::NotReprint => model::TriageKind::NotReprint,
            TriageKind::ReprintOf => model::TriageKind::ReprintOf,
        }
    }
}

impl From<model::ListQuery> for ListQuery {
    fn from(q: model::ListQuery) -> ListQuery {
        ListQuery {
            status: q.status.map(Into::into),
            triage: q.triage.map(Into::into),
            source: q.source,
            text: q.text,
            file: q.file,
            since_ms: q.since_ms,
            before: q.before,
            after: q.after,
            limit: q.limit.unwrap_or(0),
        }
    }
}

impl From<ListQuery> for model::ListQuery {
    fn from(q: ListQuery) -> model::ListQuery {
        model::ListQuery {
            status: q.status.map(Into::into),
            triage: q.triage.map(Into::into),
            source: q.source,
            text: q.text,
            file: q.file,
            since_ms: q.since_ms,
            before: q.before,
            after: q.after,
            limit: (q.limit != 0).then_some(q.limit),
        }
    }
}

impl From<model::Request> for Request {
    fn from(r: model::Request) -> Request {
        match r {
            model::Request::Ingest { paths } => Request::Ingest { paths },
            model::Request::Check { paths } => Request::Check { paths },
            model::Request::Article {
                name,
                bytes,
                ingest,
            } => Request::Article {
                name,
                bytes,
                ingest,
            },
            model::Request::List { query } => Request::List {
                query: query.into(),
            },
            model::Request::Show { id } => Request::Show { id },
            model::Request::ShowFile { file } => Request::ShowFile { file },
            model::Request::Compare { id, other } => Request::Compare { id, other },
            model::Request::Story { id } => Request::Story { id },
            model::Request::Stats => Request::Stats,
            model::Request::Triage {
                ids,
                action,
                note,
                before,
            } => Request::Triage {
                ids,
                action: action.into(),
                note,
                before: before.map(|b| b.into_iter().map(State).collect()),
            },
            model::Request::Export { part, after, limit } => Request::Export {
                part: match part {
                    model::export::ExportPart::Articles => ExportPart::Articles,
                    model::export::ExportPart::Triage => ExportPart::Triage,
                },
                after,
                limit,
            },
        }
    }
}

impl From<Request> for Incoming {
    fn from(r: Request) -> Incoming {
        Incoming::Engine(match r {
            Request::Subscribe { after } => return Incoming::Subscribe { after },
            Request::Ingest { paths } => model::Request::Ingest { paths },
            Request::Check { paths } => model::Request::Check { paths },
            Request::Article {
                name,
                bytes,
                ingest,
            } => model::Request::Article {
                name,
                bytes,
                ingest,
            },
            Request::List { query } => model::Request::List {
                query: query.into(),
            },
            Request::Show { id } => model::Request::Show { id },
            Request::ShowFile { file } => model::Request::ShowFile { file },
            Request::Compare { id, other } => model::Request::Compare { id, other },
            Request::Story { id } => model::Request::Story { id },
            Request::Stats => model::Request::Stats,
            Request::Triage {
                ids,
                action,
                note,
                before,
            } => model::Request::Triage {
                ids,
                action: action.into(),
                note,
                before: before.map(|b| b.into_iter().map(|s| s.0).collect()),
            },
            Request::Export { part, after, limit } => model::Request::Export {
                part: match part {
                    ExportPart::Articles => model::export::ExportPart::Articles,
                    ExportPart::Triage => model::export::ExportPart::Triage,
                },
                after,
                limit,
            },
        })
    }
}

impl From<model::MatchRef> for Match {
    fn from(m: model::MatchRef) -> Match {
        Match {
            id: m.id,
            file: m.file,
            similarity: m.similarity,
        }
    }
}

impl From<Match> for model::MatchRef {
    fn from(m: Match) -> model::MatchRef {
        model::MatchRef {
            id: m.id,
            file: m.file,
            similarity: m.similarity,
        }
    }
}

impl From<model::Triage> for Triage {
    fn from(t: model::Triage) -> Triage {
        Triage {
            state: t.state,
            by: t.by,
            at_ms: t.at_ms,
            note: t.note,
            overruled: t.overruled.map(|d| Detected {
                status: d.status.into(),
                matched: d.matched.map(Into::into),
                story: d.story,
            }),
        }
    }
}

impl From<Triage> for model::Triage {
    fn from(t: Triage) -> model::Triage {
        model::Triage {
            state: t.state,
            by: t.by,
            at_ms: t.at_ms,
            note: t.note,
            overruled: t.overruled.map(|d| model::Detected {
                status: d.status.into(),
                matched: d.matched.map(Into::into),
                story: d.story,
            }),
        }
    }
}

impl From<model::ArticleRecord> for Record {
    fn from(r: model::ArticleRecord) -> Record {
        Record {
            id: r.id,
            file: r.file,
            status: r.status.into(),
            title: r.title,
            matched: r.matched.map(Into::into),
            reason: r.reason,
            story: r.story,
            source: r.source,
            url: r.url,
            published: r.published,
            words: r.words,
            size: r.size,
            ingested_ms: r.ingested_ms,
            triage: r.triage.into(),
            location: r.location,
        }
    }
}

impl From<Record> for model::ArticleRecord {
    fn from(r: Record) -> model::ArticleRecord {
        model::ArticleRecord {
            id: r.id,
            file: r.file,
            status: r.status.into(),
            title: r.title,
            matched: r.matched.map(Into::into),
            reason: r.reason,
            story: r.story,
            source: r.source,
            url: r.url,
            published: r.published,
            words: r.words,
            size: r.size,
            ingested_ms: r.ingested_ms,
            triage: r.triage.into(),
            location: r.location,
        }
    }
}

impl From<model::Verdict> for Verdict {
    fn from(v: model::Verdict) -> Verdict {
        Verdict {
            file: v.file,
            id: v.id,
            status: v.status.into(),
            title: v.title,
            matched: v.matched.map(Into::into),
            reason: v.reason,
            again: v.again,
        }
    }
}

impl From<Verdict> for model::Verdict {
    fn from(v: Verdict) -> model::Verdict {
        model::Verdict {
            file: v.file,
            id: v.id,
            status: v.status.into(),
            title: v.title,
            matched: v.matched.map(Into::into),
            reason: v.reason,
            again: v.again,
        }
    }
}

impl From<model::Detail> for Detail {
    fn from(d: model::Detail) -> Detail {
        Detail {
            record: d.record.into(),
            paragraphs: d.paragraphs,
        }
    }
}

impl From<Detail> for model::Detail {
    fn from(d: Detail) -> model::Detail {
        model::Detail {
            record: d.record.into(),
            paragraphs: d.paragraphs,
        }
    }
}

impl From<model::Comparison> for Comparison {
    fn from(c: model::Comparison) -> Comparison {
        Comparison {
            left: c.left.into(),
            right: c.right.into(),
            similarity: c.similarity,
            left_shared: c.left_shared,
            right_shared: c.right_shared,
        }
    }
}

impl From<Comparison> for model::Comparison {
    fn from(c: Comparison) -> model::Comparison {
        model::Comparison {
            left: c.left.into(),
            right: c.right.into(),
            similarity: c.similarity,
            left_shared: c.left_shared,
            right_shared: c.right_shared,
        }
    }
}

impl From<model::Stats> for Stats {
    fn from(s: model::Stats) -> Stats {
        Stats {
            articles: s.articles,
            by_status: s
                .by_status
                .into_iter()
                .map(|(k, n)| (k.into(), n))
                .collect(),
            db_bytes: s.db_bytes,
            db: s.db,
            last_seq: s.last_seq,
        }
    }
}

impl From<Stats> for model::Stats {
    fn from(s: Stats) -> model::Stats {
        model::Stats {
            articles: s.articles,
            by_status: s
                .by_status
                .into_iter()
                .map(|(k, n)| (k.into(), n))
                .collect(),
            db_bytes: s.db_bytes,
            db: s.db,
            last_seq: s.last_seq,
        }
    }
}

fn records<A: Into<B>, B>(v: Vec<A>) -> Vec<B> {
    v.into_iter().map(Into::into).collect()
}

impl From<model::Response> for Response {
    fn from(r: model::Response) -> Response {
        match r {
            model::Response::Verdicts { verdicts } => Response::Verdicts {
                verdicts: records(verdicts),
            },
            model::Response::Records {
                records: r,
                capped_at,
            } => Response::Records {
                records: records(r),
                capped_at,
            },
            model::Response::Detail { detail } => Response::Detail {
                detail: Box::new((*detail).into()),
            },
            model::Response::Comparison { comparison } => Response::Comparison {
                comparison: Box::new((*comparison).into()),
            },
            model::Response::Stats { stats } => Response::Stats {
                stats: stats.into(),
            },
            model::Response::Triaged { records: r } => Response::Triaged {
                records: records(r),
            },
            model::Response::Exported { page } => Response::Exported {
                articles: page.articles,
                triage: page.triage,
                skipped: page
                    .skipped
                    .into_iter()
                    .map(|s| Skipped {
                        what: s.what,
                        why: s.why,
                    })
                    .collect(),
                next: page.next,
                schema: page.schema,
            },
        }
    }
}

impl From<model::FailureKind> for FailureKind {
    fn from(k: model::FailureKind) -> FailureKind {
        match k {
            model::FailureKind::NoSuchArticle => FailureKind::NoSuchArticle,
            model::FailureKind::Invalid => FailureKind::Invalid,
            model::FailureKind::Storage | model::FailureKind::Exhausted => FailureKind::Storage,
            model::FailureKind::Unavailable => FailureKind::Unavailable,
            model::FailureKind::Corrupt => FailureKind::Corrupt,
            model::FailureKind::Conflict => FailureKind::Conflict,
            model::FailureKind::Internal => FailureKind::Internal,
        }
    }
}

impl From<FailureKind> for model::FailureKind {
    fn from(k: FailureKind) -> model::FailureKind {
        match k {
            FailureKind::NoSuchArticle => model::FailureKind::NoSuchArticle,
            FailureKind::Invalid => model::FailureKind::Invalid,
            FailureKind::Storage => model::FailureKind::Storage,
            FailureKind::Unavailable => model::FailureKind::Unavailable,
            FailureKind::Corrupt => model::FailureKind::Corrupt,
            FailureKind::Conflict => model::FailureKind::Conflict,
            FailureKind::Internal => model::FailureKind::Internal,
        }
    }
}

/// A refusal is an error reply.
impl From<model::Failure> for Response {
    fn from(f: model::Failure) -> Response {
        Response::Error {
            message: f.message,
            kind: f.kind.into(),
        }
    }
}

impl From<Response> for Reply {
    fn from(r: Response) -> Reply {
        Reply::Engine(match r {
            Response::Subscribed { last_seq } => return Reply::Subscribed { last_seq },
            Response::Progress { verdicts } => return Reply::Progress(records(verdicts)),
            Response::Verdicts { verdicts } => model::Response::Verdicts {
                verdicts: records(verdicts),
            },
            Response::Records {
                records: r,
                capped_at,
            } => model::Response::Records {
                records: records(r),
                capped_at,
            },
            Response::Detail { detail } => model::Response::Detail {
                detail: Box::new((*detail).into()),
            },
            Response::Comparison { comparison } => model::Response::Comparison {
                comparison: Box::new((*comparison).into()),
            },
            Response::Stats { stats } => model::Response::Stats {
                stats: stats.into(),
            },
            Response::Triaged { records: r } => model::Response::Triaged {
                records: records(r),
            },
            Response::Exported {
                articles,
                triage,
                skipped,
                next,
                schema,
            } => model::Response::Exported {
                page: Box::new(model::export::ExportPage {
                    articles,
                    triage,
                    skipped: skipped
                        .into_iter()
                        .map(|s| model::export::Skipped {
                            what: s.what,
                            why: s.why,
                        })
                        .collect(),
                    next,
                    schema,
                }),
            },
            Response::Error { message, kind } => {
                return Reply::Refused(model::Failure {
                    kind: kind.into(),
                    message,
                })
            }
        })
    }
}

impl From<model::Event> for Event {
    fn from(e: model::Event) -> Event {
        Event {
            seq: e.seq,
            at_ms: e.at_ms,
            kind: match e.kind {
                model::EventKind::Verdict { verdict } => EventKind::Verdict {
                    verdict: verdict.into(),
                },
                model::EventKind::Triage {
                    id,
                    triage,
                    status,
                    matched,
                } => EventKind::Triage {
                    id,
                    triage: triage.into(),
                    status: status.into(),
                    matched: matched.map(Into::into),
                },
            },
        }
    }
}

impl From<Event> for model::Event {
    fn from(e: Event) -> model::Event {
        model::Event {
            seq: e.seq,
            at_ms: e.at_ms,
            kind: match e.kind {
                EventKind::Verdict { verdict } => model::EventKind::Verdict {
                    verdict: verdict.into(),
                },
                EventKind::Triage {
                    id,
                    triage,
                    status,
                    matched,
                } => model::EventKind::Triage {
                    id,
                    triage: triage.into(),
                    status: status.into(),
                    matched: matched.map(Into::into),
                },
            },
        }
    }
}
