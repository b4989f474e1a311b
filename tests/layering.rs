//! The layering of `src/`, kept by reading its sources: which top-level module each file's
//! `crate::…` and `super::…` paths reach, and which outside crates or `std` modules it names.
//! The rules (ARCHITECTURE.md explains them):
//!
//! - `model` imports nothing from copydesk; `worker` neither.
//! - `store` imports only `model` (and its own codecs and schema).
//! - The pure core (`text`, `fingerprint`, `detect`) names no sled, notify, nix, ratatui, crossterm,
//!   files, sockets, threads, processes or clocks.
//! - Only `daemon` touches the wire protocol (`daemon::protocol`): the engine's service and every
//!   client speak `model` values.
//! - The dashboard (`tui`) never imports `store` or `engine`, and of `search` only its pure
//!   functions (`search::highlight`, `search::terms`).
//! - Every edge between top-level modules is one of `ALLOWED`, which has no cycle; so the modules
//!   have none either.
//!
//! The checker is tested on fake sources that break each rule (`the_checker_catches_…`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Who may import whom, bottom up. An edge not listed here fails the check, so a new dependency
/// is a decision made in this file.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("worker", &[]),
    ("text", &["model"]),
    ("fingerprint", &["text"]),
    ("detect", &["model", "fingerprint"]),
    ("store", &["model"]),
    ("config", &["detect"]),
    ("search", &["model", "store", "text"]),
    (
        "engine",
        &[
            "config",
            "detect",
            "fingerprint",
            "model",
            "search",
            "store",
            "text",
            "worker",
        ],
    ),
    ("inbox", &["config", "engine", "model", "text", "worker"]),
    ("daemon", &["config", "engine", "inbox", "model", "worker"]),
    ("client", &["config", "daemon", "engine", "model", "store"]),
    // The dashboard marks a search's words in an article with `search::highlight` and
    // `search::terms::query_words`: pure functions over text (they name no store, file or
    // thread), so its marks fold exactly as the engine's search matches. `tui_reaches_into_search_
    // only_for_its_pure_functions` keeps the edge to those two.
    (
        "tui",
        &[
            "client", "config", "daemon", "model", "search", "text", "worker",
        ],
    ),
    ("eval", &["config", "engine", "model", "text"]),
    ("cli", &["model"]),
    ("commands", &["client", "config", "daemon", "model", "text"]),
];

/// What the pure core must not name: I/O, threads, processes, clocks, and the crates that do them.
const NOT_IN_THE_CORE: &[&str] = &[
    "sled",
    "notify",
    "nix",
    "ratatui",
    "crossterm",
    "signal_hook",
    "std::fs",
    "std::net",
    "std::os::unix::net",
    "std::thread",
    "std::process",
    "std::time::Instant",
    "std::time::SystemTime",
];
const CORE: &[&str] = &["text", "fingerprint", "detect"];
/// What the dashboard may use of `search`: pure functions over text, no index, store or thread.
const PURE_SEARCH: &[&str] = &["highlight", "terms"];

struct Source {
    /// Relative to `src/`, with `/` separators: "store/mod.rs".
    path: String,
    text: String,
}

/// The top-level module a file belongs to; `None` for the crate root (`lib.rs`, `main.rs`).
fn top_module(path: &str) -> Option<&str> {
    let first = path.split('/').next()?;
    if path.contains('/') {
        Some(first)
    } else {
        first
            .strip_suffix(".rs")
            .filter(|m| *m != "lib" && *m != "main")
    }
}

/// How deep a file's own module sits below the crate root: `super` climbs that far before it
/// leaves the file's top-level module. "engine/mod.rs" is engine (1), "engine/files.rs" is
/// engine::files (2), "text/html/meta.rs" is text::html::meta (3).
fn depth(path: &str) -> usize {
    let parts: Vec<&str> = path.split('/').collect();
    let last = parts.last().copied().unwrap_or("");
    if last == "mod.rs" {
        parts.len() - 1
    } else {
        parts.len()
    }
}

/// The source with comments, string and char literals blanked (kept as spaces, so nothing
/// inside them reads as a path).
fn code_of(text: &str) -> String {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                out.push(b' ');
                i += 1;
            }
        } else if rest.starts_with(b"/*") {
            let mut level = 0;
            while i < b.len() {
                if b[i..].starts_with(b"/*") {
                    level += 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                } else if b[i..].starts_with(b"*/") {
                    level -= 1;
                    out.extend_from_slice(b"  ");
                    i += 2;
                    if level == 0 {
                        break;
                    }
                } else {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
            }
        } else if rest.starts_with(b"r#\"") || rest.starts_with(b"r\"") || rest.starts_with(b"br\"")
        {
            let start = i;
            while b[i] != b'"' {
                i += 1;
            }
            let hashes = b[start..i].iter().filter(|&&c| c == b'#').count();
            let mut end = b"\"".to_vec();
            end.extend(std::iter::repeat_n(b'#', hashes));
            i += 1;
            while i < b.len() && !b[i..].starts_with(&end) {
                i += 1;
            }
            i = (i + end.len()).min(b.len());
            out.extend(std::iter::repeat_n(b' ', i - start));
        } else if b[i] == b'"' {
            out.push(b' ');
            i += 1;
            while i < b.len() && b[i] != b'"' {
                let n = if b[i] == b'\\' { 2 } else { 1 };
                for _ in 0..n.min(b.len() - i) {
                    out.push(if b[i] == b'\n' { b'\n' } else { b' ' });
                    i += 1;
                }
            }
            out.push(b' ');
            i += 1;
        } else if b[i] == b'\'' && is_char_literal(&b[i..]) {
            let len = char_literal_len(&b[i..]);
            out.extend(std::iter::repeat_n(b' ', len));
            i += len;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `'x'` or `'\n'` (a char literal), as opposed to a lifetime `'a`.
fn is_char_literal(b: &[u8]) -> bool {
    char_literal_len(b) > 0
}

fn char_literal_len(b: &[u8]) -> usize {
    if b.len() >= 4 && b[1] == b'\\' {
        // '\n', '\'', '\u{…}'
        return b[2..].iter().position(|&c| c == b'\'').map_or(0, |p| p + 3);
    }
    // One character of up to four bytes, then a quote.
    (2..=5)
        .find(|&n| b.len() > n && b[n] == b'\'' && std::str::from_utf8(&b[1..n]).is_ok())
        .map_or(0, |n| n + 1)
}

/// Every path the code names, with `use` groups expanded: `crate::{a::B, c}` gives `crate::a::B`
/// and `crate::c`. Paths are returned as their segments.
fn paths(code: &str) -> Vec<Vec<String>> {
    let b = code.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts_word =
            i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_' || b[i - 1] == b':');
        if starts_word && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            let (mut found, end) = path_at(b, i);
            if found.iter().any(|p| p.len() > 1) {
                out.append(&mut found);
            }
            i = end.max(i + 1);
        } else {
            i += 1;
        }
    }
    out
}

/// The path (or `use` group) starting at `i`, and where it ends.
fn path_at(b: &[u8], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    loop {
        let start = i;
        while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            i += 1;
        }
        if i == start {
            break;
        }
        prefix.push(String::from_utf8_lossy(&b[start..i]).into_owned());
        let mut j = i;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if !b[j..].starts_with(b"::") {
            break;
        }
        j += 2;
        while j < b.len() && b[j].is_ascii_whitespace() {
            j += 1;
        }
        if j < b.len() && b[j] == b'{' {
            // A group: each member is a path of its own under the prefix.
            let mut out = Vec::new();
            let mut k = j + 1;
            loop {
                while k < b.len() && (b[k].is_ascii_whitespace() || b[k] == b',') {
                    k += 1;
                }
                if k >= b.len() || b[k] == b'}' {
                    return (out, k + 1);
                }
                if b[k] == b'*' || b[k..].starts_with(b"self") && !is_ident(b.get(k + 4)) {
                    out.push(prefix.clone());
                    while k < b.len() && b[k] != b',' && b[k] != b'}' {
                        k += 1;
                    }
                    continue;
                }
                let (members, end) = path_at(b, k);
                for m in members {
                    let mut p = prefix.clone();
                    p.extend(m);
                    out.push(p);
                }
                // Skip `as name` and anything else up to the next member.
                k = end;
                let mut depth = 0;
                while k < b.len() {
                    match b[k] {
                        b'{' => depth += 1,
                        b'}' if depth == 0 => break,
                        b'}' => depth -= 1,
                        b',' if depth == 0 => break,
                        _ => {}
                    }
                    k += 1;
                }
            }
        }
        i = j;
    }
    (vec![prefix], i)
}

fn is_ident(c: Option<&u8>) -> bool {
    c.is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
}

/// The top-level modules a file's paths reach, other than its own. A path through `super`
/// reaches outside the file's top-level module only when it climbs past it.
fn imports(path: &str, code: &str, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let own = top_module(path);
    let mut out = BTreeSet::new();
    for p in paths(code) {
        let target = match p[0].as_str() {
            "crate" => p.get(1).map(String::as_str),
            "super" => {
                let ups = p.iter().take_while(|s| *s == "super").count();
                if ups >= depth(path) {
                    p.get(ups).map(String::as_str)
                } else {
                    None
                }
            }
            _ => None,
        };
        if let Some(t) = target.filter(|t| modules.contains(*t) && Some(*t) != own) {
            out.insert(t.to_owned());
        }
    }
    out
}

/// Whether the code reaches `daemon::protocol`: `crate::daemon::protocol`, or `super::protocol`
/// from inside `daemon`.
fn touches_protocol(path: &str, code: &str) -> bool {
    paths(code).iter().any(|p| {
        let from_root = p.len() > 2 && p[0] == "crate" && p[1] == "daemon" && p[2] == "protocol";
        let ups = p.iter().take_while(|s| *s == "super").count();
        let from_daemon = top_module(path) == Some("daemon")
            && ups > 0
            && ups + 1 == depth(path)
            && p.get(ups).is_some_and(|s| s == "protocol");
        from_root || from_daemon
    })
}

/// The outside names in `NOT_IN_THE_CORE` the code uses.
fn io_names(code: &str) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for p in paths(code) {
        let joined = p.join("::");
        for &name in NOT_IN_THE_CORE {
            if joined == name || joined.starts_with(&format!("{name}::")) {
                out.insert(name);
            }
        }
    }
    out
}

/// The edges between top-level modules, and what each file reaches.
fn graph(sources: &[Source]) -> BTreeMap<String, BTreeSet<String>> {
    let modules: BTreeSet<String> = sources
        .iter()
        .filter_map(|s| top_module(&s.path))
        .map(str::to_owned)
        .collect();
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for s in sources {
        let Some(own) = top_module(&s.path) else {
            continue;
        };
        let code = code_of(&s.text);
        g.entry(own.to_owned())
            .or_default()
            .extend(imports(&s.path, &code, &modules));
    }
    g
}

/// A cycle among the edges, if there is one (as the modules along it).
fn cycle(g: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        g: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == n) {
            let mut c = path[at..].to_vec();
            c.push(n.to_owned());
            return Some(c);
        }
        if done.contains(n) {
            return None;
        }
        path.push(n.to_owned());
        for m in g.get(n).into_iter().flatten() {
            if let Some(c) = visit(m, g, path, done) {
                return Some(c);
            }
        }
        path.pop();
        done.insert(n.to_owned());
        None
    }
    let mut done = BTreeSet::new();
    g.keys()
        .find_map(|n| visit(n, g, &mut Vec::new(), &mut done))
}

fn allowed() -> BTreeMap<String, BTreeSet<String>> {
    ALLOWED
        .iter()
        .map(|(m, to)| (m.to_string(), to.iter().map(|t| t.to_string()).collect()))
        .collect()
}

/// Every broken rule, one line each.
fn check(sources: &[Source]) -> Vec<String> {
    let mut broken = Vec::new();
    let g = graph(sources);
    let allowed = allowed();
    for (m, to) in &g {
        for t in to {
            let ok = allowed.get(m).is_some_and(|a| a.contains(t));
            if !ok {
                broken.push(format!(
                    "`{m}` imports `{t}`, an edge ALLOWED does not list"
                ));
            }
        }
    }
    for (m, only) in [
        ("model", &[][..]),
        ("worker", &[][..]),
        ("store", &["model"][..]),
    ] {
        for t in g.get(m).into_iter().flatten() {
            if !only.contains(&t.as_str()) {
                broken.push(format!("`{m}` may import only {only:?}, but imports `{t}`"));
            }
        }
    }
    for t in g.get("tui").into_iter().flatten() {
        if t == "store" || t == "engine" {
            broken.push(format!("the dashboard (`tui`) imports `{t}`"));
        }
    }
    for s in sources {
        let code = code_of(&s.text);
        let m = top_module(&s.path);
        if m == Some("tui") {
            for p in paths(&code) {
                let reaches = p.first().is_some_and(|c| c == "crate")
                    && p.get(1).is_some_and(|t| t == "search");
                if reaches && !p.get(2).is_some_and(|n| PURE_SEARCH.contains(&n.as_str())) {
                    broken.push(format!(
                        "{} uses `{}`; the dashboard may use only {PURE_SEARCH:?} of `search`",
                        s.path,
                        p.join("::")
                    ));
                }
            }
        }
        if touches_protocol(&s.path, &code) && m != Some("daemon") {
            broken.push(format!(
                "{} touches the wire protocol; only `daemon` does",
                s.path
            ));
        }
        if m.is_some_and(|m| CORE.contains(&m)) {
            for name in io_names(&code) {
                broken.push(format!("{} is in the pure core but names `{name}`", s.path));
            }
        }
    }
    if let Some(c) = cycle(&g) {
        broken.push(format!(
            "the modules import in a circle: {}",
            c.join(" -> ")
        ));
    }
    broken
}

fn read_src() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("src/ reads") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let rel = p.strip_prefix(&root).expect("under src/");
                let path = rel
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/");
                let text = std::fs::read_to_string(&p).expect("source reads");
                out.push(Source { path, text });
            }
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

#[test]
fn the_sources_keep_the_layering() {
    let sources = read_src();
    assert!(sources.len() > 50, "found the sources");
    let broken = check(&sources);
    assert!(
        broken.is_empty(),
        "layering rules broken:\n{}",
        broken.join("\n")
    );
    let g = graph(&sources);
    let edges: usize = g.values().map(BTreeSet::len).sum();
    assert!(edges > 20, "found the imports ({edges} edges): {g:?}");
    // ALLOWED is the map as it is, not a wish list: every edge it allows is used.
    for (m, to) in allowed() {
        for t in to {
            assert!(
                g.get(&m).is_some_and(|used| used.contains(&t)),
                "ALLOWED lists `{m}` -> `{t}`, which nothing uses; take it out"
            );
        }
    }
    // Printed with --nocapture: the module graph as it is.
    for (m, to) in &g {
        println!(
            "{m} -> {}",
            to.iter().cloned().collect::<Vec<_>>().join(", ")
        );
    }
}

#[test]
fn the_allowed_edges_have_no_cycle_and_name_real_modules() {
    assert_eq!(cycle(&allowed()), None);
    let sources = read_src();
    let modules: BTreeSet<&str> = sources.iter().filter_map(|s| top_module(&s.path)).collect();
    for (m, to) in ALLOWED {
        assert!(
            modules.contains(m),
            "ALLOWED names `{m}`, which is no module"
        );
        for t in *to {
            assert!(
                modules.contains(t),
                "ALLOWED names `{t}`, which is no module"
            );
        }
    }
}

fn fake(files: &[(&str, &str)]) -> Vec<Source> {
    files
        .iter()
        .map(|(path, text)| Source {
            path: path.to_string(),
            text: text.to_string(),
        })
        .collect()
}

/// A small tree that keeps every rule, so each test below breaks exactly one.
fn good() -> Vec<(&'static str, &'static str)> {
    vec![
        ("lib.rs", "pub mod model; pub mod store; pub mod tui;"),
        ("model/mod.rs", "pub struct Status;"),
        ("store/mod.rs", "use crate::model::Status;\nmod schema;"),
        (
            "store/schema.rs",
            "use super::super::model::Status; use super::Store;",
        ),
        ("text/mod.rs", "use crate::model::{Status, self};"),
        ("tui/mod.rs", "use crate::{model::Status, client::Client};"),
        (
            "client.rs",
            "use crate::daemon::remote::Remote; use crate::model;",
        ),
        (
            "daemon/mod.rs",
            "pub mod protocol; use crate::engine::Service;",
        ),
        (
            "daemon/server.rs",
            "use super::protocol::Hello; use crate::model;",
        ),
        (
            "engine/mod.rs",
            "use crate::store::Store; use crate::model::Status;",
        ),
    ]
}

fn with(change: (&'static str, &'static str)) -> Vec<Source> {
    let mut files = good();
    files.retain(|(p, _)| *p != change.0);
    files.push(change);
    fake(&files)
}

fn assert_caught(sources: Vec<Source>, what: &str) {
    let broken = check(&sources);
    assert!(
        broken.iter().any(|b| b.contains(what)),
        "expected a broken rule mentioning {what:?}, got {broken:?}"
    );
}

#[test]
fn the_checker_passes_a_tree_that_keeps_the_rules() {
    assert_eq!(check(&fake(&good())), Vec::<String>::new());
}

#[test]
fn the_checker_catches_a_model_that_imports() {
    assert_caught(
        with(("model/mod.rs", "use crate::store::Store;")),
        "`model` may import only",
    );
    // Through `super` from the module's root file too.
    assert_caught(
        with(("model/mod.rs", "use super::text::clean;")),
        "`model` may import only",
    );
}

#[test]
fn the_checker_catches_a_store_that_imports_more_than_model() {
    assert_caught(
        with((
            "store/schema.rs",
            "use crate::{model::Status, text::clean::BlockInfo};",
        )),
        "`store` may import only",
    );
}

#[test]
fn the_checker_catches_io_in_the_pure_core() {
    for code in [
        "use std::fs::File;",
        "use std::{fs, io};",
        "fn f() { let _ = std::thread::spawn(|| ()); }",
        "use sled::Db;",
        "use std::time::Instant;",
    ] {
        assert_caught(with(("text/mod.rs", code)), "is in the pure core but names");
    }
}

#[test]
fn the_checker_catches_the_protocol_outside_the_daemon() {
    assert_caught(
        with(("engine/mod.rs", "use crate::daemon::protocol::Event;")),
        "engine/mod.rs touches the wire protocol",
    );
    assert_caught(
        with((
            "tui/mod.rs",
            "use crate::daemon::{protocol::Request, runtime};",
        )),
        "tui/mod.rs touches the wire protocol",
    );
}

#[test]
fn the_checker_catches_the_dashboard_reaching_past_the_client() {
    assert_caught(
        with(("tui/mod.rs", "fn f(s: &crate::store::Store) {}")),
        "the dashboard (`tui`) imports `store`",
    );
}

#[test]
fn the_checker_catches_the_dashboard_reaching_the_search_index() {
    let mut files = good();
    files.push((
        "search/mod.rs",
        "pub mod highlight; use crate::store::Store;",
    ));
    files.push((
        "tui/find.rs",
        "use crate::search::highlight::find; use crate::search::terms::query_words;",
    ));
    // The pure functions alone keep the rules (given the edge ALLOWED lists).
    let broken = check(&fake(&files));
    assert!(
        !broken.iter().any(|b| b.contains("may use only")),
        "{broken:?}"
    );
    files.push(("tui/index.rs", "fn f(i: &crate::search::folder::Folder) {}"));
    assert_caught(fake(&files), "uses `crate::search::folder::Folder`");
}

#[test]
fn the_checker_catches_a_circle_and_an_unlisted_edge() {
    let mut files = good();
    files.push(("store/codec.rs", "use crate::engine::Engine;"));
    let broken = check(&fake(&files));
    assert!(
        broken.iter().any(|b| b.contains("import in a circle")),
        "{broken:?}"
    );
    assert!(
        broken
            .iter()
            .any(|b| b.contains("`store` imports `engine`, an edge ALLOWED does not list")),
        "{broken:?}"
    );
}

#[test]
fn comments_and_strings_are_not_imports() {
    assert_eq!(
        check(&with((
            "model/mod.rs",
            "// use crate::store::Store;\n/* crate::engine */ const S: &str = \"crate::tui::x\";\nconst R: &str = r#\"std::fs\"#; const C: char = '\"';"
        ))),
        Vec::<String>::new()
    );
}

/// The engine's stages that benchmarks and examples call and must never define: a copy drifts
/// from the code that ships (it did: a copied `decide` ranked candidates differently).
const ENGINE_STAGES: &[&str] = &["candidates", "decide"];

/// Every function named in `ENGINE_STAGES` that a bench or example source defines, one line
/// each (comments and strings do not count).
fn stage_copies(sources: &[Source]) -> Vec<String> {
    let mut found = Vec::new();
    for s in sources {
        let code = code_of(&s.text);
        let words: Vec<&str> = code
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| !w.is_empty())
            .collect();
        for pair in words.windows(2) {
            if pair[0] == "fn" && ENGINE_STAGES.contains(&pair[1]) {
                found.push(format!(
                    "{} defines `fn {}`; call `copydesk::engine::stages` instead",
                    s.path, pair[1]
                ));
            }
        }
    }
    found
}

/// The `.rs` files under `benches/` and `examples/`, named from the repository's root.
fn read_benches() -> Vec<Source> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut dirs = vec![root.join("benches"), root.join("examples")];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).expect("the folder reads") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                let path = p
                    .strip_prefix(root)
                    .expect("under the root")
                    .to_string_lossy()
                    .replace('\\', "/");
                let text = std::fs::read_to_string(&p).expect("source reads");
                out.push(Source { path, text });
            }
        }
    }
    out
}

#[test]
fn no_benchmark_or_example_copies_an_engine_stage() {
    let sources = read_benches();
    assert!(
        sources.iter().any(|s| s.path == "examples/bench_phases.rs")
            && sources.iter().any(|s| s.path == "benches/support/synth.rs"),
        "found the benchmarks: {:?}",
        sources.iter().map(|s| &s.path).collect::<Vec<_>>()
    );
    let copies = stage_copies(&sources);
    assert!(copies.is_empty(), "{}", copies.join("\n"));
}

#[test]
fn the_checker_catches_a_copied_engine_stage() {
    let copied = fake(&[
        (
            "benches/support/synth.rs",
            "impl Index {\n    pub fn candidates(&self, q: u64) -> Vec<u64> { vec![q] }\n}",
        ),
        (
            "examples/bench_phases.rs",
            "fn decide<'a>(p: &'a P) -> Status { todo!() }",
        ),
    ]);
    let found = stage_copies(&copied);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("benches/support/synth.rs defines `fn candidates`"));
    assert!(found[1].contains("examples/bench_phases.rs defines `fn decide`"));
    // Calling the engine's stages, naming them in comments or strings, or a longer name is fine.
    let calls = fake(&[(
        "examples/bench_phases.rs",
        "// fn decide was copied here once\nfn decide_all() {}\nconst S: &str = \"fn candidates\";\nfn main() { steps.decide(i, p); stages::candidates(a, b); }",
    )]);
    assert_eq!(stage_copies(&calls), Vec::<String>::new());
}
