//! Configuration: `RawConfig` is `config.toml` as written (serde, unknown keys refused, every key
//! defaulted); `Settings` is what the program runs with, validated. Reads no file but the config.

use crate::detect::Params;
use serde::Deserialize;
use std::path::{Path, PathBuf};

mod lookup;
mod show;
pub use lookup::{load, locate, Env, Found, Loaded, Overrides, SYSTEM_CONFIG};
pub use show::write_report;

/// Errors in the configuration, each naming the file or key and how to fix it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("config file '{path}' does not exist")]
    Missing { path: PathBuf },
    #[error("cannot read config file '{path}'")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// `message` is the toml crate's, several lines with a caret under the fault; kept whole.
    #[error("config file '{path}' is not valid:\n{message}")]
    Parse { path: PathBuf, message: String },
    #[error("config key '{key}' = {value} is out of range: {hint}")]
    Range {
        key: &'static str,
        value: String,
        hint: &'static str,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawConfig {
    pub(crate) paths: RawPaths,
    pub(crate) limits: RawLimits,
    pub(crate) detect: RawDetect,
    pub(crate) store: RawStore,
    pub(crate) daemon: RawDaemon,
    pub(crate) dashboard: RawDashboard,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDaemon {
    pub(crate) socket: Option<PathBuf>,
    pub(crate) socket_group: Option<String>,
    pub(crate) settle_ms: u64,
    pub(crate) rescan_secs: u64,
    pub(crate) after_ingest: AfterIngest,
    pub(crate) done_dir: PathBuf,
    pub(crate) watcher: WatcherKind,
    pub(crate) poll_ms: u64,
    pub(crate) follow_symlinks: bool,
    pub(crate) max_clients: u64,
    pub(crate) max_request_bytes: u64,
    pub(crate) subscriber_queue: u64,
}

impl Default for RawDaemon {
    fn default() -> RawDaemon {
        RawDaemon {
            socket: None,
            socket_group: None,
            settle_ms: 500,
            rescan_secs: 30,
            after_ingest: AfterIngest::Keep,
            done_dir: PathBuf::from("done"),
            watcher: WatcherKind::Native,
            poll_ms: 1000,
            follow_symlinks: false,
            max_clients: 256,
            max_request_bytes: 1024 * 1024,
            subscriber_queue: 4096,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDashboard {
    pub(crate) mouse: bool,
    /// Action name → key ("j", "ctrl-d", "enter", "f5"), overriding the default key map.
    pub(crate) keys: std::collections::BTreeMap<String, String>,
}

impl Default for RawDashboard {
    fn default() -> RawDashboard {
        RawDashboard {
            mouse: true,
            keys: Default::default(),
        }
    }
}

/// What the daemon does with a file once its verdict is durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AfterIngest {
    Keep,
    Move,
    Delete,
}

/// How the inbox is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WatcherKind {
    /// inotify (or the platform's equivalent).
    Native,
    /// Polling, for network file systems where inotify sees nothing.
    Poll,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawPaths {
    pub(crate) inbox: PathBuf,
    pub(crate) db: PathBuf,
}

impl Default for RawPaths {
    fn default() -> RawPaths {
        RawPaths {
            inbox: PathBuf::from("watch"),
            db: PathBuf::from("db"),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawLimits {
    pub(crate) max_file_bytes: u64,
    pub(crate) max_text_bytes: u64,
    pub(crate) read_budget_secs: u64,
}

impl Default for RawLimits {
    fn default() -> RawLimits {
        RawLimits {
            max_file_bytes: 8 * 1024 * 1024,
            max_text_bytes: 256 * 1024,
            read_budget_secs: 30,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawDetect {
    pub(crate) simhash_max_distance: u32,
    pub(crate) reprint_min: f32,
    pub(crate) partial_min_words: u32,
    pub(crate) passage_min_words: u32,
    pub(crate) anchor_every_words: u32,
    pub(crate) max_candidates: u32,
    pub(crate) chrome_min_blocks: u32,
    pub(crate) template_min_articles: u32,
    pub(crate) template_window_articles: u32,
}

impl Default for RawDetect {
    fn default() -> RawDetect {
        let p = Params::default();
        RawDetect {
            simhash_max_distance: 3,
            reprint_min: p.reprint_min,
            partial_min_words: p.partial_min_words,
            passage_min_words: p.passage_min_words,
            anchor_every_words: 40,
            max_candidates: 8,
            chrome_min_blocks: p.chrome_min_blocks as u32,
            template_min_articles: 2,
            template_window_articles: 20_000,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RawStore {
    pub(crate) cache_mb: u64,
    pub(crate) search_index: bool,
    pub(crate) snapshot_secs: u64,
    pub(crate) snapshot_min_articles: u64,
}

impl Default for RawStore {
    fn default() -> RawStore {
        RawStore {
            cache_mb: 64,
            search_index: true,
            snapshot_secs: 600,
            snapshot_min_articles: 10_000,
        }
    }
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub inbox: PathBuf,
    pub db: PathBuf,
    pub max_file_bytes: u64,
    pub max_text_bytes: usize,
    /// How long reading one file (decoding, parsing, cleaning, fingerprinting) may take; a file
    /// that takes longer is rejected with the reason (`limits.read_budget_secs`).
    pub read_budget: std::time::Duration,
    pub params: Params,
    pub simhash_max_distance: u32,
    pub anchor_every_words: usize,
    pub max_candidates: usize,
    pub template_min_articles: u32,
    pub template_window_articles: usize,
    pub cache_bytes: u64,
    /// Keep the full-text search index (`<db>/search`); off, text queries scan every article.
    pub search_index: bool,
    /// How often a running engine saves its index, at most (`engine/snapshot.rs`).
    pub snapshot_secs: u64,
    /// Articles added since the last saved index before another is worth writing.
    pub snapshot_min_articles: usize,
    /// The daemon's socket (`None`: `<db>/copydesk.sock`).
    pub socket: Option<PathBuf>,
    pub socket_group: Option<String>,
    pub settle_ms: u64,
    pub rescan_secs: u64,
    pub after_ingest: AfterIngest,
    /// Where moved files go (relative paths are inside the inbox).
    pub done_dir: PathBuf,
    pub watcher: WatcherKind,
    pub poll_ms: u64,
    /// Whether the daemon reads an inbox file that is a symbolic link (never to outside it).
    pub follow_symlinks: bool,
    /// Socket clients served at once; one more is told so and closed.
    pub max_clients: usize,
    /// The longest request line a socket client may send.
    pub max_request_bytes: usize,
    /// Events waiting for a subscriber at most; one that falls further behind is told so and
    /// dropped, and resubscribes from the last sequence number it saw.
    pub subscriber_queue: usize,
    pub mouse: bool,
    pub keys: std::collections::BTreeMap<String, String>,
}

impl Settings {
    pub fn socket_path(&self) -> PathBuf {
        self.socket
            .clone()
            .unwrap_or_else(|| self.db.join("copydesk.sock"))
    }

    pub(crate) fn done_path(&self) -> PathBuf {
        self.inbox.join(&self.done_dir)
    }
}

impl Default for Settings {
    fn default() -> Settings {
        RawConfig::default()
            .validate(Path::new("."))
            .expect("the defaults are valid")
    }
}

fn range<T: PartialOrd + std::fmt::Display>(
    key: &'static str,
    value: T,
    lo: T,
    hi: T,
    hint: &'static str,
) -> Result<T, ConfigError> {
    if value < lo || value > hi {
        return Err(ConfigError::Range {
            key,
            value: value.to_string(),
            hint,
        });
    }
    Ok(value)
}

impl RawConfig {
    /// Parses config text; `path` is only for messages.
    pub(crate) fn parse(text: &str, path: &Path) -> Result<RawConfig, ConfigError> {
        toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: path.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })
    }

    /// Reads a config file.
    #[cfg(test)]
    pub(crate) fn load(path: &Path) -> Result<RawConfig, ConfigError> {
        RawConfig::parse(&read(path)?, path)
    }

    /// Validates; relative paths are taken from `base` (the config file's folder).
    pub(crate) fn validate(self, base: &Path) -> Result<Settings, ConfigError> {
        let d = &self.detect;
        let params = Params {
            reprint_min: range(
                "detect.reprint_min",
                d.reprint_min,
                0.05,
                1.0,
                "use 0.05..=1.0",
            )?,
            partial_min_words: range(
                "detect.partial_min_words",
                d.partial_min_words,
                1,
                100_000,
                "use 1..=100000",
            )?,
            passage_min_words: range(
                "detect.passage_min_words",
                d.passage_min_words,
                1,
                1000,
                "use 1..=1000",
            )?,
            chrome_min_blocks: range(
                "detect.chrome_min_blocks",
                d.chrome_min_blocks,
                1,
                1000,
                "use 1..=1000",
            )? as usize,
        };
        Ok(Settings {
            inbox: base.join(&self.paths.inbox),
            db: base.join(&self.paths.db),
            max_file_bytes: range(
                "limits.max_file_bytes",
                self.limits.max_file_bytes,
                1,
                1 << 34,
                "use 1 byte to 16 GiB",
            )?,
            max_text_bytes: range(
                "limits.max_text_bytes",
                self.limits.max_text_bytes,
                1024,
                1 << 30,
                "use 1 KiB to 1 GiB",
            )? as usize,
            read_budget: std::time::Duration::from_secs(range(
                "limits.read_budget_secs",
                self.limits.read_budget_secs,
                1,
                86_400,
                "use 1 to 86400 seconds",
            )?),
            params,
            simhash_max_distance: range(
                "detect.simhash_max_distance",
                d.simhash_max_distance,
                0,
                8,
                "use 0..=8: larger radii make every look-up scan most tables",
            )?,
            anchor_every_words: range(
                "detect.anchor_every_words",
                d.anchor_every_words,
                1,
                10_000,
                "use 1..=10000",
            )? as usize,
            max_candidates: range(
                "detect.max_candidates",
                d.max_candidates,
                1,
                1000,
                "use 1..=1000",
            )? as usize,
            template_min_articles: range(
                "detect.template_min_articles",
                d.template_min_articles,
                2,
                1_000_000,
                "use 2 or more: one article alone is no template",
            )?,
            template_window_articles: range(
                "detect.template_window_articles",
                d.template_window_articles,
                0,
                10_000_000,
                "use 0..=10000000",
            )? as usize,
            cache_bytes: range(
                "store.cache_mb",
                self.store.cache_mb,
                1,
                1 << 20,
                "use 1..=1048576",
            )? << 20,
            search_index: self.store.search_index,
            snapshot_secs: range(
                "store.snapshot_secs",
                self.store.snapshot_secs,
                1,
                86_400 * 30,
                "use 1..=2592000",
            )?,
            snapshot_min_articles: range(
                "store.snapshot_min_articles",
                self.store.snapshot_min_articles,
                1,
                u64::from(u32::MAX),
                "use 1..=4294967295",
            )? as usize,
            socket: self.daemon.socket.map(|p| base.join(p)),
            socket_group: self.daemon.socket_group.filter(|g| !g.is_empty()),
            settle_ms: range(
                "daemon.settle_ms",
                self.daemon.settle_ms,
                0,
                3_600_000,
                "use 0..=3600000",
            )?,
            rescan_secs: range(
                "daemon.rescan_secs",
                self.daemon.rescan_secs,
                1,
                86_400,
                "use 1..=86400",
            )?,
            after_ingest: self.daemon.after_ingest,
            done_dir: self.daemon.done_dir,
            watcher: self.daemon.watcher,
            poll_ms: range(
                "daemon.poll_ms",
                self.daemon.poll_ms,
                10,
                3_600_000,
                "use 10..=3600000",
            )?,
            follow_symlinks: self.daemon.follow_symlinks,
            max_clients: range(
                "daemon.max_clients",
                self.daemon.max_clients,
                1,
                65_536,
                "use 1..=65536",
            )? as usize,
            max_request_bytes: range(
                "daemon.max_request_bytes",
                self.daemon.max_request_bytes,
                1024,
                1 << 30,
                "use 1024..=1073741824",
            )? as usize,
            subscriber_queue: range(
                "daemon.subscriber_queue",
                self.daemon.subscriber_queue,
                1,
                1_000_000,
                "use 1..=1000000",
            )? as usize,
            mouse: self.dashboard.mouse,
            keys: self.dashboard.keys,
        })
    }
}

/// Loads settings as the command line does (`lookup::load`), with no flags but `--config`.
pub fn load_settings(explicit: Option<&Path>) -> Result<Settings, ConfigError> {
    let flags = Overrides {
        config: explicit.map(Path::to_owned),
        ..Overrides::default()
    };
    Ok(load(&flags, &Env::from_process())?.settings)
}

/// A config file's text; a missing file said once, plainly.
fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => ConfigError::Missing {
            path: path.to_owned(),
        },
        _ => ConfigError::Read {
            path: path.to_owned(),
            source,
        },
    })
}

fn parent(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_config_is_valid_and_states_the_defaults() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.toml");
        let shipped = RawConfig::load(&path).expect("shipped config parses");
        let s = shipped
            .validate(Path::new("."))
            .expect("shipped config is valid");
        let d = Settings::default();
        assert_eq!(s.params, d.params);
        assert_eq!(s.max_file_bytes, d.max_file_bytes);
        assert_eq!(s.read_budget, d.read_budget);
        assert_eq!(d.read_budget, std::time::Duration::from_secs(30));
        assert!(
            d.entries()
                .iter()
                .any(|(key, _)| *key == "limits.read_budget_secs"),
            "`copydesk config` shows the time budget"
        );
        assert_eq!(s.simhash_max_distance, d.simhash_max_distance);
        assert_eq!(s.anchor_every_words, d.anchor_every_words);
        assert_eq!(s.inbox, d.inbox);
        assert_eq!(s.db, d.db);
    }

    #[test]
    fn the_time_budget_is_whole_seconds_from_one_to_a_day() {
        let raw = RawConfig::parse("[limits]\nread_budget_secs = 5\n", Path::new("c.toml"))
            .expect("parses");
        let s = raw.validate(Path::new(".")).expect("valid");
        assert_eq!(s.read_budget, std::time::Duration::from_secs(5));
        for bad in ["0", "86401"] {
            let raw = RawConfig::parse(
                &format!("[limits]\nread_budget_secs = {bad}\n"),
                Path::new("c.toml"),
            )
            .expect("parses");
            let err = raw.validate(Path::new(".")).expect_err("out of range");
            assert!(err.to_string().contains("limits.read_budget_secs"), "{err}");
        }
    }

    #[test]
    fn unknown_keys_are_refused_with_their_name() {
        let err = RawConfig::parse("[detect]\nreprint_mn = 0.5\n", Path::new("c.toml"))
            .expect_err("unknown key");
        assert!(err.to_string().contains("reprint_mn"), "{err}");
    }

    #[test]
    fn choices_are_read_by_name_and_others_refused_with_the_choices() {
        let raw = RawConfig::parse(
            "[daemon]\nafter_ingest = \"move\"\nwatcher = \"poll\"\n",
            Path::new("c.toml"),
        )
        .expect("parses");
        let s = raw.validate(Path::new(".")).expect("valid");
        assert_eq!(
            (s.after_ingest, s.watcher),
            (AfterIngest::Move, WatcherKind::Poll)
        );
        let err = RawConfig::parse("[daemon]\nafter_ingest = \"shred\"\n", Path::new("c.toml"))
            .expect_err("not a choice");
        let text = err.to_string();
        assert!(
            text.contains("after_ingest") && text.contains("shred") && text.contains("`delete`"),
            "{text}"
        );
    }

    #[test]
    fn out_of_range_values_name_the_key() {
        let raw =
            RawConfig::parse("[detect]\nreprint_min = 2.0\n", Path::new("c.toml")).expect("parses");
        let err = raw.validate(Path::new(".")).expect_err("out of range");
        assert!(err.to_string().contains("detect.reprint_min"), "{err}");
    }
}
