//! The effective settings as `copydesk config` shows them: every key under its name in
//! `config.toml`, in the file's units (MiB, not bytes), in the file's order. Must not read
//! anything: it only describes `Settings`.

use super::{AfterIngest, Settings, WatcherKind};
use serde_json::{json, Value};

/// One setting: its key in the config file and its effective value.
pub type Entry = (&'static str, Value);

impl Settings {
    /// Every setting, keyed as in `config.toml`. The dashboard's key overrides are one entry,
    /// a table of action names to keys.
    pub fn entries(&self) -> Vec<Entry> {
        let path = |p: &std::path::Path| Value::String(p.display().to_string());
        let p = &self.params;
        vec![
            ("paths.inbox", path(&self.inbox)),
            ("paths.db", path(&self.db)),
            ("limits.max_file_bytes", json!(self.max_file_bytes)),
            ("limits.max_text_bytes", json!(self.max_text_bytes)),
            ("limits.read_budget_secs", json!(self.read_budget.as_secs())),
            (
                "detect.simhash_max_distance",
                json!(self.simhash_max_distance),
            ),
            // Through its decimal text, so that 0.6 prints as 0.6 and not as the f32's widening.
            ("detect.reprint_min", decimal(p.reprint_min)),
            ("detect.partial_min_words", json!(p.partial_min_words)),
            ("detect.passage_min_words", json!(p.passage_min_words)),
            ("detect.anchor_every_words", json!(self.anchor_every_words)),
            ("detect.max_candidates", json!(self.max_candidates)),
            ("detect.chrome_min_blocks", json!(p.chrome_min_blocks)),
            (
                "detect.template_min_articles",
                json!(self.template_min_articles),
            ),
            (
                "detect.template_window_articles",
                json!(self.template_window_articles),
            ),
            ("store.cache_mb", json!(self.cache_bytes >> 20)),
            ("store.snapshot_secs", json!(self.snapshot_secs)),
            (
                "store.snapshot_min_articles",
                json!(self.snapshot_min_articles),
            ),
            ("store.search_index", json!(self.search_index)),
            ("daemon.socket", path(&self.socket_path())),
            (
                "daemon.socket_group",
                self.socket_group
                    .as_deref()
                    .map_or(Value::Null, Value::from),
            ),
            ("daemon.settle_ms", json!(self.settle_ms)),
            ("daemon.rescan_secs", json!(self.rescan_secs)),
            (
                "daemon.after_ingest",
                json!(match self.after_ingest {
                    AfterIngest::Keep => "keep",
                    AfterIngest::Move => "move",
                    AfterIngest::Delete => "delete",
                }),
            ),
            ("daemon.done_dir", path(&self.done_dir)),
            (
                "daemon.watcher",
                json!(match self.watcher {
                    WatcherKind::Native => "native",
                    WatcherKind::Poll => "poll",
                }),
            ),
            ("daemon.poll_ms", json!(self.poll_ms)),
            ("daemon.follow_symlinks", json!(self.follow_symlinks)),
            ("daemon.max_clients", json!(self.max_clients)),
            ("daemon.max_request_bytes", json!(self.max_request_bytes)),
            ("daemon.subscriber_queue", json!(self.subscriber_queue)),
            ("dashboard.mouse", json!(self.mouse)),
            ("dashboard.keys", json!(self.keys)),
        ]
    }
}

fn decimal(x: f32) -> Value {
    x.to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// Writes the effective settings and where each came from: text lines
/// (`key = value  # from where`), or with `json` one object
/// `{"file", "found_by", "settings": {key: {"value", "from"}}}`.
pub fn write_report(
    loaded: &super::Loaded,
    json: bool,
    out: &mut impl std::io::Write,
) -> std::io::Result<()> {
    let entries = loaded.settings.entries();
    if json {
        let settings: serde_json::Map<String, Value> = entries
            .into_iter()
            .map(|(key, value)| {
                let from = loaded.origin(key);
                (key.to_owned(), json!({ "value": value, "from": from }))
            })
            .collect();
        let report = json!({
            "file": loaded.file.as_ref().map(|f| f.display().to_string()),
            "found_by": loaded.found.as_str(),
            "settings": settings,
        });
        serde_json::to_writer(&mut *out, &report)?;
        writeln!(out)?;
        return out.flush();
    }
    match &loaded.file {
        // Values are printed as JSON (quoted, escaped): nothing from the file reaches the
        // terminal raw.
        Some(file) => writeln!(
            out,
            "# config file: {} (found by {})",
            Value::from(file.display().to_string()),
            loaded.found.as_str()
        )?,
        None => writeln!(
            out,
            "# no config file found: built-in defaults (looked for --config, $COPYDESK_CONFIG, \
             ./config.toml, $XDG_CONFIG_HOME/copydesk/config.toml, {})",
            super::SYSTEM_CONFIG
        )?,
    }
    let lines: Vec<(String, &str)> = entries
        .iter()
        .map(|(key, value)| (format!("{key} = {value}"), *key))
        .collect();
    let width = lines.iter().map(|(text, _)| text.len()).max().unwrap_or(0) + 2;
    for (text, key) in &lines {
        writeln!(out, "{text:width$}# {}", loaded.origin(key))?;
    }
    out.flush()
}
