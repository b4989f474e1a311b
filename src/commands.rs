//! The commands: gather inputs, ask the engine through a `Client` (the daemon when one runs,
//! else an engine in this process), and print verdicts as text for people or JSON lines for
//! scripts.

use crate::client::Client;
use crate::config::Settings;
use crate::model::{
    ArticleRecord, EventKind, ListQuery, Request, Response, Status, TriageAction, Verdict,
};
use crate::text::sanitize::{sanitize_display, sanitize_line, to_safe_json};
use anyhow::{bail, Context, Result};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

mod transfer;
pub use transfer::{export, import, ImportOutcome};

/// Absolute paths, so a daemon in another folder reads the same files.
fn absolute(paths: &[PathBuf]) -> Result<Vec<String>> {
    let cwd = std::env::current_dir().context("cannot read the current folder")?;
    Ok(paths
        .iter()
        .map(|p| cwd.join(p).display().to_string())
        .collect())
}

/// One value as a line of JSON, with what a terminal would act on escaped (`to_safe_json`).
fn json_line<W: Write + ?Sized>(out: &mut W, value: &impl serde::Serialize) -> Result<()> {
    out.write_all(&to_safe_json(value)?)?;
    writeln!(out)?;
    Ok(())
}

fn expect_verdicts(r: Response) -> Result<Vec<Verdict>> {
    match r {
        Response::Verdicts { verdicts } => Ok(verdicts),
        other => bail!("unexpected answer from the engine: {other:?}"),
    }
}

/// A command line that parses but asks for something that cannot be done: exit status 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

/// `ingest` (or `check`, with `dry_run`): prints each verdict as it lands and returns how many
/// files were rejected. Every path must exist, or nothing is done.
pub fn ingest(
    settings: &Settings,
    paths: &[PathBuf],
    stdin_name: &str,
    json: bool,
    dry_run: bool,
    out: &mut impl Write,
) -> Result<usize> {
    let request = if paths.iter().any(|p| p.as_os_str() == "-") {
        if paths.len() > 1 {
            return Err(
                UsageError("`-` (standard input) is one article: give it alone".into()).into(),
            );
        }
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes)
            .context("cannot read standard input")?;
        Request::Article {
            name: stdin_name.to_owned(),
            bytes,
            ingest: !dry_run,
        }
    } else {
        for p in paths {
            // A typo is an error, not a rejected file: nothing is stored.
            std::fs::symlink_metadata(p)
                .with_context(|| format!("cannot read '{}'", p.display()))?;
        }
        let paths = absolute(paths)?;
        if dry_run {
            Request::Check { paths }
        } else {
            Request::Ingest { paths }
        }
    };
    let bar = progress_bar(&request);
    let mut client = Client::connect_or_open(settings)?;
    // Verdicts are printed as they become durable, so a run stopped midway has said which
    // files landed; the reply then holds them all, and what was not yet printed is printed.
    let mut printer = Printer {
        printed: 0,
        failed: None,
        json,
        out,
        bar,
    };
    let reply =
        client.call_streaming(request, &mut |vs| vs.iter().for_each(|v| printer.print(v)))?;
    let all = expect_verdicts(reply)?;
    all.iter()
        .skip(printer.printed)
        .for_each(|v| printer.print(v));
    printer.bar.finish_and_clear();
    printer.failed.map_or(Ok(()), Err)?;
    Ok(all.iter().filter(|v| v.status == Status::Rejected).count())
}

/// A bar on standard error for an ingest of files when standard error is a terminal; hidden
/// otherwise (and for `check`, which reports at the end).
fn progress_bar(request: &Request) -> ProgressBar {
    let Request::Ingest { paths } = request else {
        return ProgressBar::hidden();
    };
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(count_files(paths)), ProgressDrawTarget::stderr());
    if let Ok(style) =
        ProgressStyle::with_template("{wide_bar} {pos}/{len} files  {per_sec}  {eta} left")
    {
        bar.set_style(style);
    }
    bar
}

/// How many files an ingest of `paths` reads: a folder's files as the engine lists them (not
/// hidden, not folders), anything else one.
fn count_files(paths: &[String]) -> u64 {
    paths
        .iter()
        .map(|p| match std::fs::read_dir(p) {
            Ok(entries) => entries
                .filter_map(|e| e.ok())
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
                .count() as u64,
            Err(_) => 1,
        })
        .sum()
}

/// Prints verdicts as they come, counting them; after a failure to print (the reader went
/// away), it only counts, and the failure is reported once the engine is done.
struct Printer<'a, W: Write> {
    printed: usize,
    failed: Option<anyhow::Error>,
    json: bool,
    out: &'a mut W,
    bar: ProgressBar,
}

impl<W: Write> Printer<'_, W> {
    fn print(&mut self, v: &Verdict) {
        if self.failed.is_none() {
            // The bar steps aside while the line is written, should both go to one terminal.
            self.failed = self.bar.suspend(|| {
                print_verdict(v, self.json, self.out)
                    .and_then(|()| Ok(self.out.flush()?))
                    .err()
            });
        }
        self.printed += 1;
        self.bar.inc(1);
    }
}

pub(crate) fn print_verdict(v: &Verdict, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        json_line(out, v)?;
        return Ok(());
    }
    let id = v.id.map_or_else(|| "-".to_owned(), |id| format!("#{id}"));
    let what = match (&v.matched, v.status) {
        (Some(m), _) => format!(
            "{} of #{} ({:.0}%)",
            v.status.as_str(),
            m.id,
            m.similarity * 100.0
        ),
        (None, Status::Rejected) => format!(
            "rejected: {}",
            sanitize_line(v.reason.as_deref().unwrap_or(""))
        ),
        (None, s) => s.as_str().to_owned(),
    };
    let what = if v.again {
        format!("{what} (again)")
    } else {
        what
    };
    writeln!(
        out,
        "{id:>6}  {what:<28}  {}  {}",
        sanitize_line(&v.file),
        sanitize_line(&v.title)
    )?;
    Ok(())
}

fn record_line(r: &ArticleRecord, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        json_line(out, r)?;
        return Ok(());
    }
    let m = r.matched.as_ref().map_or_else(String::new, |m| {
        format!("of #{} ({:.0}%)", m.id, m.similarity * 100.0)
    });
    let triage = r.triage.state.to_string();
    writeln!(
        out,
        "{:>6}  {:<10} {:<14} {:<12}  {}",
        format!("#{}", r.id),
        r.status.as_str(),
        m,
        sanitize_line(&triage),
        sanitize_line(&r.title)
    )?;
    Ok(())
}

/// `list`: one page of records, newest first. A full page says on standard error how to get the
/// next, so a script that pages with `--before` knows when it is done and a person sees that
/// there is more.
pub fn list(settings: &Settings, query: ListQuery, json: bool, out: &mut impl Write) -> Result<()> {
    let mut client = Client::connect_existing(settings)?;
    let limit = query.limit;
    let Response::Records { records, capped_at } = client.call(Request::List { query })? else {
        bail!("unexpected answer from the engine");
    };
    records.iter().try_for_each(|r| record_line(r, json, out))?;
    // Said on stderr, so that the JSON lines on stdout stay records only.
    if let Some(last) = records.last() {
        if let Some(most) = capped_at {
            out.flush()?;
            eprintln!(
                "copydesk: more articles match than the {most} one answer holds; --before {} for the next page",
                last.id
            );
        } else if limit.is_some_and(|limit| records.len() >= limit) {
            out.flush()?;
            eprintln!(
                "copydesk: showed {}; there may be more: --before {} for the next page",
                records.len(),
                last.id
            );
        }
    }
    Ok(())
}

/// `show ARTICLE`: by id (`12`, `#12`), else by path, as given and then made absolute.
pub fn show(settings: &Settings, article: &str, json: bool, out: &mut impl Write) -> Result<()> {
    let mut client = Client::connect_existing(settings)?;
    let digits = article.strip_prefix('#').unwrap_or(article);
    let requests = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        let id = digits
            .parse()
            .map_err(|_| UsageError(format!("'{article}' is too large an id")))?;
        vec![Request::Show { id }]
    } else {
        // As given, made absolute as `ingest` stores paths, and that with `.` components dropped
        // (`./a.txt` for what was ingested as `a.txt`); `..` is kept, as a link may sit before it.
        let joined = std::env::current_dir()
            .context("cannot read the current folder")?
            .join(article);
        let plain: PathBuf = joined.components().collect();
        let mut files: Vec<String> = Vec::new();
        for f in [
            article.to_owned(),
            joined.display().to_string(),
            plain.display().to_string(),
        ] {
            if !files.contains(&f) {
                files.push(f);
            }
        }
        files
            .into_iter()
            .map(|file| Request::ShowFile { file })
            .collect()
    };
    let mut answer = None;
    for (i, request) in requests.iter().enumerate() {
        match client.call(request.clone()) {
            Err(e) if i + 1 < requests.len() && is_no_such_article(&e) => continue,
            other => {
                answer = Some(other?);
                break;
            }
        }
    }
    let Some(Response::Detail { detail: d }) = answer else {
        bail!("unexpected answer from the engine");
    };
    if json {
        json_line(out, &d)?;
        return Ok(());
    }
    let r = &d.record;
    writeln!(out, "#{}  {}", r.id, sanitize_line(&r.title))?;
    writeln!(out, "file:    {}", sanitize_line(&r.file))?;
    if let Some(now) = &r.location {
        writeln!(out, "now at:  {}", sanitize_line(now))?;
    }
    writeln!(out, "verdict: {}", r.status.as_str())?;
    if let Some(m) = &r.matched {
        writeln!(
            out,
            "match:   #{} {} ({:.1}%)",
            m.id,
            sanitize_line(&m.file),
            m.similarity * 100.0
        )?;
    }
    for (label, v) in [
        ("reason:", &r.reason),
        ("source:", &r.source),
        ("url:", &r.url),
        ("date:", &r.published),
    ] {
        if let Some(v) = v {
            writeln!(out, "{label:<8} {}", sanitize_line(v))?;
        }
    }
    if r.triage.is_set() {
        let by = r.triage.by.as_deref().unwrap_or("?");
        writeln!(
            out,
            "triage:  {} by {}",
            sanitize_line(&r.triage.state.to_string()),
            sanitize_line(by)
        )?;
    }
    if let Some(d) = &r.triage.overruled {
        let matched = d.matched.as_ref().map_or(String::new(), |m| {
            format!(" of #{} ({:.1}%)", m.id, m.similarity * 100.0)
        });
        writeln!(
            out,
            "detector said: {}{matched} (overruled by the editors)",
            d.status.as_str()
        )?;
    }
    writeln!(out)?;
    for p in &d.paragraphs {
        writeln!(out, "{}\n", sanitize_display(p))?;
    }
    Ok(())
}

/// The exit status of a command that found the database damaged.
pub const EXIT_DAMAGED: u8 = 3;

/// `copydesk doctor`: what a check of the database found; `Ok(false)` when it is damaged.
pub fn doctor(settings: &Settings, json: bool, out: &mut impl Write) -> Result<bool> {
    let h = crate::client::doctor(settings)?;
    if json {
        serde_json::to_writer(&mut *out, &h)?;
        writeln!(out)?;
        return Ok(h.is_sound());
    }
    writeln!(out, "database: {}", sanitize_line(&h.db))?;
    writeln!(out, "records:  {} read, {} events", h.articles, h.events)?;
    for (status, n) in &h.by_status {
        writeln!(out, "  {:<10} {n}", status.as_str())?;
    }
    if h.is_sound() {
        writeln!(
            out,
            "sound: every record, fingerprint, text and event reads"
        )?;
    } else {
        writeln!(out, "DAMAGED: {} problems", h.problems.len())?;
        for p in h.problems.iter().take(20) {
            writeln!(out, "  {}", sanitize_line(p))?;
        }
        if h.problems.len() > 20 {
            writeln!(out, "  ... and {} more", h.problems.len() - 20)?;
        }
    }
    Ok(h.is_sound())
}

pub fn stats(settings: &Settings, json: bool, out: &mut impl Write) -> Result<()> {
    let mut client = Client::connect_existing(settings)?;
    let Response::Stats { stats: s } = client.call(Request::Stats)? else {
        bail!("unexpected answer from the engine");
    };
    if json {
        json_line(out, &s)?;
        return Ok(());
    }
    writeln!(out, "articles: {}", s.articles)?;
    for (status, n) in &s.by_status {
        writeln!(out, "  {:<10} {n}", status.as_str())?;
    }
    writeln!(
        out,
        "database: {} ({:.1} MB)",
        sanitize_line(&s.db),
        s.db_bytes as f64 / 1e6
    )?;
    writeln!(
        out,
        "mode:     {}",
        if client.mode() == crate::client::Mode::Daemon {
            "daemon"
        } else {
            "in-process"
        }
    )?;
    Ok(())
}

pub fn triage(
    settings: &Settings,
    id: u64,
    state: &str,
    other: Option<u64>,
    note: Option<String>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let action = TriageAction::parse(state, other).map_err(anyhow::Error::msg)?;
    let mut client = Client::connect_existing(settings)?;
    let Response::Triaged { records } = client.call(Request::Triage {
        ids: vec![id],
        action,
        note,
        before: None,
    })?
    else {
        bail!("unexpected answer from the engine");
    };
    records.iter().try_for_each(|r| record_line(r, json, out))
}

/// Follows events until the engine goes away (or forever, with a daemon).
pub fn tail(
    settings: &Settings,
    after: Option<u64>,
    json: bool,
    out: &mut impl Write,
) -> Result<()> {
    let mut client = Client::connect_existing(settings)?;
    let mut last = match after {
        Some(a) => a,
        None => match client.call(Request::Stats)? {
            Response::Stats { stats } => stats.last_seq,
            _ => 0,
        },
    };
    if client.mode() == crate::client::Mode::InProcess {
        eprintln!(
            "copydesk: no daemon serves '{}': showing stored events only (start `copydesk serve` to follow new ones)",
            settings.db.display()
        );
        let sub = client.subscribe(last)?;
        while let Ok(e) = sub
            .events
            .recv_timeout(std::time::Duration::from_millis(200))
        {
            print_event(&e, json, out)?;
        }
        return Ok(());
    }
    // Like `tail -F`: when the daemon goes away, wait for it and catch up from the last event.
    loop {
        match client.subscribe(last) {
            Ok(sub) => {
                for e in sub.events {
                    last = last.max(e.seq);
                    print_event(&e, json, out)?;
                }
            }
            Err(e) if e.is_disconnect() => {}
            Err(e) => return Err(e.into()),
        }
        // A daemon still listening dropped the feed because it fell behind: catch up at once.
        if let Ok(Some(remote)) = crate::client::Remote::try_connect(&settings.socket_path()) {
            eprintln!("copydesk: the daemon closed the feed (it fell behind); catching up after event {last}");
            client = Client::Remote(remote);
            continue;
        }
        eprintln!("copydesk: the daemon went away; waiting for it to come back");
        client = loop {
            std::thread::sleep(std::time::Duration::from_secs(1));
            if let Some(remote) = crate::client::Remote::try_connect(&settings.socket_path())? {
                eprintln!("copydesk: the daemon is back; catching up after event {last}");
                break Client::Remote(remote);
            }
        };
    }
}

fn print_event(e: &crate::model::Event, json: bool, out: &mut impl Write) -> Result<()> {
    if json {
        json_line(out, e)?;
    } else {
        match &e.kind {
            EventKind::Verdict { verdict } => print_verdict(verdict, false, out)?,
            EventKind::Triage { id, triage, .. } => writeln!(
                out,
                "{:>6}  triage {} by {}",
                format!("#{id}"),
                sanitize_line(&triage.state.to_string()),
                sanitize_line(triage.by.as_deref().unwrap_or("?"))
            )?,
        }
    }
    out.flush()?;
    Ok(())
}

/// `copydesk serve`: runs until SIGTERM, SIGINT or SIGHUP, then abandons the reading in hand
/// (those files stay in the inbox, unrecorded, for the next start), removes its socket and
/// exits. SIGHUP (a closed terminal, `systemctl reload`) is a clean stop:
/// a configuration is read again by starting again. Waits (bounded) for a one-off command
/// holding the database. `background` is a dashboard's start: a session of its own (no
/// terminal's signals reach it), and when another daemon already serves the database it leaves
/// quietly, as the loser of a race between two dashboards.
pub fn serve(settings: &Settings, background: bool) -> Result<()> {
    use crate::daemon::runtime::{Report, Runtime, Started, LOCK_WAIT};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    if background {
        // Fails only for a process group leader, which a freshly spawned child is not.
        let _ = nix::unistd::setsid();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let hangup = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, stop.clone()).context("cannot handle signals")?;
    }
    for flag in [&stop, &hangup] {
        signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(flag))
            .context("cannot handle signals")?;
    }
    let waiting = |why: &str| tracing::warn!("{why}");
    let stopped = || stop.load(Ordering::SeqCst);
    let mut runtime = match Runtime::start_when_free(settings, LOCK_WAIT, waiting, stopped)? {
        Started::Serving(runtime) => runtime,
        Started::Stopped => {
            tracing::info!("stopped before the database was free");
            return Ok(());
        }
        Started::AlreadyServed if background => {
            tracing::info!(
                db = %settings.db.display(),
                "another daemon already serves the database; leaving it to that one"
            );
            return Ok(());
        }
        Started::AlreadyServed => anyhow::bail!(
            "the database '{}' is in use by another copydesk process: a daemon already serves it on '{}'; stop it first",
            settings.db.display(),
            settings.socket_path().display()
        ),
    };
    tracing::info!(
        db = %settings.db.display(),
        socket = %settings.socket_path().display(),
        inbox = %settings.inbox.display(),
        pid = std::process::id(),
        "serving"
    );
    // The socket accepts clients from here on: systemd may start what waits for copydesk.
    if let Err(e) = crate::daemon::notify::notify("READY=1") {
        tracing::warn!("cannot tell systemd that copydesk is ready: {e}");
    }
    let mut fatal = None;
    while !stop.load(Ordering::SeqCst) {
        match runtime
            .reports
            .recv_timeout(std::time::Duration::from_millis(100))
        {
            Ok(Report::Problem(report)) => tracing::warn!("{}", sanitize_line(&report)),
            // The inbox stopped: its files cannot be stored and will not be. Stopping (exit
            // status 3) says so to the operator and to systemd, instead of retrying forever.
            Ok(Report::Fatal(failure)) => {
                tracing::error!("{}", sanitize_line(&failure.message));
                fatal = Some(failure);
                break;
            }
            Err(_) => {}
        }
    }
    let _ = crate::daemon::notify::notify("STOPPING=1");
    if hangup.load(Ordering::SeqCst) {
        tracing::info!("SIGHUP: stopping cleanly; start again to read the configuration anew");
    }
    runtime.stop();
    tracing::info!("stopped");
    match fatal {
        Some(failure) => Err(crate::client::ClientError::Refused(failure).into()),
        None => Ok(()),
    }
}

/// Whether the engine answered that no such article (or file) exists.
fn is_no_such_article(e: &crate::client::ClientError) -> bool {
    matches!(e, crate::client::ClientError::Refused(f)
        if f.kind == crate::model::FailureKind::NoSuchArticle)
}
