//! Where the config comes from: the lookup order (`--config`, `$COPYDESK_CONFIG`,
//! `./config.toml`, `$XDG_CONFIG_HOME/copydesk/config.toml`, `/etc/copydesk/config.toml`), the
//! state folder systemd gives a service, and where each effective setting came from. Reads the
//! process environment only in `Env::from_process`, so tests pass their own.

use super::{ConfigError, RawConfig, Settings};
use std::path::{Path, PathBuf};

/// What the lookup reads from the environment, gathered once.
#[derive(Debug, Clone, Default)]
pub struct Env {
    /// `$COPYDESK_CONFIG`.
    pub copydesk_config: Option<PathBuf>,
    /// `$XDG_CONFIG_HOME`.
    pub xdg_config_home: Option<PathBuf>,
    /// `$HOME`, for `~/.config` when `$XDG_CONFIG_HOME` is unset.
    pub home: Option<PathBuf>,
    /// `$STATE_DIRECTORY` (systemd's `StateDirectory=`).
    pub state_directory: Option<PathBuf>,
    /// `$XDG_STATE_HOME`, for the data of a config found in the user's or the system's place (or
    /// of no config) that names no place for it.
    pub xdg_state_home: Option<PathBuf>,
    /// The folder `./config.toml` is looked for in.
    pub current_dir: PathBuf,
    /// The system-wide config, `/etc/copydesk/config.toml`.
    pub system_config: PathBuf,
}

/// The system-wide config file.
pub const SYSTEM_CONFIG: &str = "/etc/copydesk/config.toml";

/// An environment variable, unset when empty (as the XDG base directory spec reads them).
fn var(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

impl Env {
    pub fn from_process() -> Env {
        Env {
            copydesk_config: var("COPYDESK_CONFIG"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            home: var("HOME"),
            // systemd joins several state folders with ':'; the first is the service's own.
            state_directory: std::env::var_os("STATE_DIRECTORY").and_then(|v| {
                let first = v.to_string_lossy().split(':').next()?.to_owned();
                (!first.is_empty()).then(|| PathBuf::from(first))
            }),
            xdg_state_home: var("XDG_STATE_HOME"),
            current_dir: PathBuf::from("."),
            system_config: PathBuf::from(SYSTEM_CONFIG),
        }
    }

    /// `$XDG_STATE_HOME/copydesk`, or `~/.local/state/copydesk`. A relative `$XDG_STATE_HOME` is
    /// ignored, as the XDG spec says.
    pub fn user_state(&self) -> Option<PathBuf> {
        let base = match &self.xdg_state_home {
            Some(dir) if dir.is_absolute() => dir.clone(),
            _ => self.home.as_ref()?.join(".local").join("state"),
        };
        Some(base.join("copydesk"))
    }

    /// `$XDG_CONFIG_HOME/copydesk/config.toml`, or `~/.config/copydesk/config.toml`. A relative
    /// `$XDG_CONFIG_HOME` is ignored, as the XDG spec says.
    pub fn user_config(&self) -> Option<PathBuf> {
        let base = match &self.xdg_config_home {
            Some(dir) if dir.is_absolute() => dir.clone(),
            _ => self.home.as_ref()?.join(".config"),
        };
        Some(base.join("copydesk").join("config.toml"))
    }
}

/// How the config file was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// `--config FILE`.
    Flag,
    /// `$COPYDESK_CONFIG`.
    EnvVar,
    /// `./config.toml`.
    CurrentDir,
    /// `$XDG_CONFIG_HOME/copydesk/config.toml` (or `~/.config/...`).
    User,
    /// `/etc/copydesk/config.toml`.
    System,
    /// No file: built-in defaults.
    Defaults,
}

impl Found {
    pub fn as_str(self) -> &'static str {
        match self {
            Found::Flag => "--config",
            Found::EnvVar => "$COPYDESK_CONFIG",
            Found::CurrentDir => "./config.toml",
            Found::User => "$XDG_CONFIG_HOME/copydesk/config.toml",
            Found::System => SYSTEM_CONFIG,
            Found::Defaults => "built-in defaults",
        }
    }
}

/// The config file to read, and how it was found; `None`: no file, the defaults. A file named
/// by `--config` or `$COPYDESK_CONFIG` must exist; the others are used when they do.
pub fn locate(flag: Option<&Path>, env: &Env) -> Result<Option<(PathBuf, Found)>, ConfigError> {
    if let Some(path) = flag {
        return Ok(Some((path.to_owned(), Found::Flag)));
    }
    if let Some(path) = &env.copydesk_config {
        return Ok(Some((path.clone(), Found::EnvVar)));
    }
    let candidates = [
        Some((env.current_dir.join("config.toml"), Found::CurrentDir)),
        env.user_config().map(|p| (p, Found::User)),
        Some((env.system_config.clone(), Found::System)),
    ];
    Ok(candidates.into_iter().flatten().find(|(p, _)| p.is_file()))
}

/// Command-line overrides of the config's paths.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub inbox: Option<PathBuf>,
}

/// The settings, the file they were read from, and where each key's value came from.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub settings: Settings,
    pub file: Option<PathBuf>,
    pub found: Found,
    /// Keys (`section.key`) whose value is not the file's or the default's, and what set them.
    overridden: Vec<(&'static str, &'static str)>,
    /// Keys the file sets.
    in_file: Vec<String>,
}

impl Loaded {
    /// Where `key`'s effective value came from: a flag, `$STATE_DIRECTORY`, the file, or the
    /// default.
    pub fn origin(&self, key: &str) -> String {
        if let Some((_, by)) = self.overridden.iter().find(|(k, _)| *k == key) {
            return (*by).to_owned();
        }
        match &self.file {
            Some(file) if self.in_file.iter().any(|k| k == key) => file.display().to_string(),
            _ => "default".to_owned(),
        }
    }
}

/// Finds, reads and validates the config, then applies `$STATE_DIRECTORY` (for the paths the
/// file does not name) and the flags.
pub fn load(flags: &Overrides, env: &Env) -> Result<Loaded, ConfigError> {
    let located = locate(flags.config.as_deref(), env)?;
    let (raw, table, base) = match &located {
        Some((path, _)) => {
            let text = super::read(path)?;
            let raw = RawConfig::parse(&text, path)?;
            let table: toml::Table = toml::from_str(&text).unwrap_or_default();
            (raw, table, super::parent(path))
        }
        None => (RawConfig::default(), toml::Table::new(), PathBuf::from(".")),
    };
    let in_file: Vec<String> = table
        .iter()
        .flat_map(|(section, v)| {
            let keys: Vec<String> = match v.as_table() {
                Some(t) => t.keys().map(|k| format!("{section}.{k}")).collect(),
                None => vec![section.clone()],
            };
            keys
        })
        .collect();
    let mut settings = raw.validate(&base)?;
    let mut overridden = Vec::new();
    // Where data goes when the config names no place for it: a service's state folder; else,
    // for a config in the user's or the system's place (or none at all), the user's state folder,
    // so that copydesk run in any folder does not make its data there. A config in the current
    // folder (a project's, as in this repository) or named by --config or $COPYDESK_CONFIG
    // keeps its data beside it.
    let state = match (&env.state_directory, located.as_ref().map(|(_, f)| *f)) {
        (Some(dir), _) => Some((dir.clone(), "$STATE_DIRECTORY")),
        (None, None | Some(Found::User | Found::System)) => env
            .user_state()
            .map(|dir| (dir, "$XDG_STATE_HOME/copydesk")),
        (None, Some(_)) => None,
    };
    if let Some((state, by)) = &state {
        if !in_file.iter().any(|k| k == "paths.db") {
            settings.db = state.join("db");
            overridden.push(("paths.db", *by));
        }
        if !in_file.iter().any(|k| k == "paths.inbox") {
            settings.inbox = state.join("inbox");
            overridden.push(("paths.inbox", *by));
        }
    }
    if let Some(db) = &flags.db {
        settings.db = db.clone();
        overridden.retain(|(k, _)| *k != "paths.db");
        overridden.push(("paths.db", "--db"));
    }
    if let Some(inbox) = &flags.inbox {
        settings.inbox = inbox.clone();
        overridden.retain(|(k, _)| *k != "paths.inbox");
        overridden.push(("paths.inbox", "--inbox"));
    }
    let (file, found) = match located {
        Some((path, found)) => (Some(path), found),
        None => (None, Found::Defaults),
    };
    Ok(Loaded {
        settings,
        file,
        found,
        overridden,
        in_file,
    })
}

#[cfg(test)]
#[path = "lookup_tests.rs"]
mod tests;
