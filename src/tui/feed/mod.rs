//! The feed: what the dashboard asks of the engine (`FeedRequest`) and hears back (`FeedMsg`),
//! how one request is carried out (`execute`, over either transport), and the channel to the UI
//! loop. The thread that connects, reconnects and serves requests is in `worker`, so the UI never
//! waits on the engine. Must not draw or hold UI state.

mod worker;

pub use worker::Feed;

use super::action::Input;
use super::paging;
use crate::client::{Client, Mode};
use crate::model::{
    ArticleId, ArticleRecord, Comparison, Detail, Event, ListQuery, Request, Response, Stats,
    TriageAction, TriageState,
};
use anyhow::{anyhow, Result};
use std::sync::mpsc::Sender;
use std::time::Duration;

/// How often a lost connection is tried again.
pub(crate) const RETRY: Duration = Duration::from_secs(1);

/// Which part of the list a page request fills.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageKind {
    /// The newest articles (a fresh list).
    Top,
    /// Older than the window's last row.
    Older { after: ArticleId },
    /// Newer than the window's first row; `span` guesses how many ids hold a page of them.
    Newer { first: ArticleId, span: u64 },
    /// The oldest articles (`G`).
    Oldest { span: u64 },
}

/// What the app asks of the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedRequest {
    /// A page of the list; `gen` names the filters it was asked under.
    Page {
        gen: u64,
        kind: PageKind,
        query: ListQuery,
    },
    /// Records of newly arrived articles that pass `query`.
    Arrivals {
        gen: u64,
        ids: Vec<ArticleId>,
        query: ListQuery,
    },
    Show {
        id: ArticleId,
    },
    Compare {
        id: ArticleId,
        other: ArticleId,
    },
    Story {
        id: ArticleId,
    },
    Stats,
    /// A triage change; `before` holds the state each article (in `ids`' order) is in as far
    /// as this dashboard knows: the engine refuses the change when another editor changed it.
    Triage {
        ids: Vec<ArticleId>,
        action: TriageAction,
        before: Vec<TriageState>,
        /// The editor's note, kept with the state (none clears it).
        note: Option<String>,
        undo: bool,
    },
}

impl FeedRequest {
    /// Requests with the same slot replace each other when several wait: only the latest
    /// listing, article or count is worth fetching. Triage changes never collapse.
    pub(crate) fn slot(&self) -> Option<u8> {
        match self {
            FeedRequest::Page { .. } => Some(0),
            FeedRequest::Show { .. } => Some(1),
            FeedRequest::Compare { .. } => Some(2),
            FeedRequest::Story { .. } => Some(3),
            FeedRequest::Stats => Some(4),
            FeedRequest::Arrivals { .. } | FeedRequest::Triage { .. } => None,
        }
    }
}

/// What the feed tells the app.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedMsg {
    Connected {
        mode: Mode,
        inbox: String,
        you: String,
    },
    /// The connection is gone; the feed is trying again.
    Lost {
        reason: String,
    },
    Page {
        gen: u64,
        kind: PageKind,
        records: Vec<ArticleRecord>,
        /// The page reaches the newest matching article.
        reached_top: bool,
        /// The page reaches the oldest matching article.
        reached_end: bool,
    },
    Arrived {
        gen: u64,
        records: Vec<ArticleRecord>,
    },
    Detail(Box<Detail>),
    Comparison(Box<Comparison>),
    Story {
        id: ArticleId,
        records: Vec<ArticleRecord>,
    },
    Stats(Stats),
    Triaged {
        records: Vec<ArticleRecord>,
        undo: bool,
    },
    Event(Event),
    /// A problem the in-process inbox reported.
    Report(String),
    /// The engine has not answered `what` for `secs` seconds; the feed still waits.
    Waiting {
        what: String,
        secs: u64,
    },
    /// A request failed.
    Failed {
        request: Box<FeedRequest>,
        message: String,
    },
}

/// Anything that answers engine requests: the real `Client`, either transport.
pub trait Engine {
    fn call(&mut self, request: Request) -> Result<Response>;
}

impl Engine for Client {
    fn call(&mut self, request: Request) -> Result<Response> {
        Ok(Client::call(self, request)?)
    }
}

/// Runs one request to completion.
pub fn execute(engine: &mut dyn Engine, request: FeedRequest) -> Result<FeedMsg> {
    Ok(match request {
        FeedRequest::Page { gen, kind, query } => {
            let page = paging::fetch(engine, &kind, &query)?;
            FeedMsg::Page {
                gen,
                kind,
                records: page.records,
                reached_top: page.reached_top,
                reached_end: page.reached_end,
            }
        }
        FeedRequest::Arrivals { gen, ids, query } => FeedMsg::Arrived {
            gen,
            records: paging::arrivals(engine, &ids, &query)?,
        },
        FeedRequest::Show { id } => match engine.call(Request::Show { id })? {
            Response::Detail { detail } => FeedMsg::Detail(detail),
            other => return Err(unexpected(&other)),
        },
        FeedRequest::Compare { id, other } => match engine.call(Request::Compare { id, other })? {
            Response::Comparison { comparison } => FeedMsg::Comparison(comparison),
            other => return Err(unexpected(&other)),
        },
        FeedRequest::Story { id } => match engine.call(Request::Story { id })? {
            Response::Records { records, .. } => FeedMsg::Story { id, records },
            other => return Err(unexpected(&other)),
        },
        FeedRequest::Stats => match engine.call(Request::Stats)? {
            Response::Stats { stats } => FeedMsg::Stats(stats),
            other => return Err(unexpected(&other)),
        },
        FeedRequest::Triage {
            ids,
            action,
            before,
            note,
            undo,
        } => {
            match engine.call(Request::Triage {
                ids,
                action,
                note,
                before: Some(before),
            })? {
                Response::Triaged { records } => FeedMsg::Triaged { records, undo },
                other => return Err(unexpected(&other)),
            }
        }
    })
}

pub(crate) fn unexpected(r: &Response) -> anyhow::Error {
    anyhow!("the engine answered with something unexpected: {r:?}")
}

/// Where the feed's messages go: the UI loop's channel.
#[derive(Clone)]
pub struct ToUi(Sender<Input>);

impl ToUi {
    pub fn new(tx: Sender<Input>) -> ToUi {
        ToUi(tx)
    }

    /// False when the UI has gone.
    pub(crate) fn send(&self, msg: FeedMsg) -> bool {
        self.0.send(Input::Feed(msg)).is_ok()
    }
}
