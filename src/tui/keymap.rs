//! The key map: default keys for each `Command`, overridden by `[dashboard.keys]` (command name →
//! key string, several keys separated by commas), validated with errors that name the config key
//! and the bad value. Knows key names and crossterm key events; must not decide what a command does.

use super::action::Command;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::BTreeMap;
use std::fmt;

/// A key as the map knows it: shift is folded into the character (`G`, `?`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Key {
    pub(crate) code: Code,
    pub(crate) ctrl: bool,
    pub(crate) alt: bool,
}

/// The keys the map can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) enum Code {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Insert,
    Up,
    Down,
    Left,
    Right,
    Home,
    End,
    PageUp,
    PageDown,
    F(u8),
}

/// A bad `[dashboard.keys]` entry.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum KeymapError {
    #[error("config key 'dashboard.keys.{name}' names no command; use one of: {known}")]
    UnknownCommand { name: String, known: String },
    #[error("config key 'dashboard.keys.{name}' = '{value}' is not a key: {why}; write keys like \"j\", \"G\", \"ctrl-d\", \"enter\", \"f5\", several separated by commas")]
    BadKey {
        name: String,
        value: String,
        why: String,
    },
    #[error("key '{key}' is bound to both '{first}' and '{second}' in [dashboard.keys]; give one of them another key")]
    Conflict {
        key: String,
        first: &'static str,
        second: &'static str,
    },
}

/// Key names; the first name of a key is the one shown.
const NAMED: [(&str, Code); 19] = [
    ("enter", Code::Enter),
    ("esc", Code::Esc),
    ("tab", Code::Tab),
    ("backtab", Code::BackTab),
    ("backspace", Code::Backspace),
    ("delete", Code::Delete),
    ("insert", Code::Insert),
    ("up", Code::Up),
    ("down", Code::Down),
    ("left", Code::Left),
    ("right", Code::Right),
    ("home", Code::Home),
    ("end", Code::End),
    ("pgup", Code::PageUp),
    ("pgdn", Code::PageDown),
    ("pageup", Code::PageUp),
    ("pagedown", Code::PageDown),
    ("space", Code::Char(' ')),
    ("comma", Code::Char(',')),
];

impl Key {
    /// Parses "j", "G", "?", "ctrl-d", "alt-x", "shift-tab", "enter", "f5", "space".
    pub(crate) fn parse(text: &str) -> Result<Key, String> {
        let mut rest = text.trim();
        if rest.is_empty() {
            return Err("it is empty".into());
        }
        let (mut ctrl, mut alt, mut shift) = (false, false, false);
        loop {
            let lower = rest.to_ascii_lowercase();
            let Some((prefix, tail)) = lower.split_once('-') else {
                break;
            };
            if tail.is_empty() {
                break; // "-" itself, or "ctrl--"
            }
            match prefix {
                "ctrl" | "c" => ctrl = true,
                "alt" | "a" | "m" => alt = true,
                "shift" | "s" => shift = true,
                _ => break,
            }
            rest = &rest[prefix.len() + 1..];
        }
        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (Some(c), None) => Code::Char(if shift { c.to_ascii_uppercase() } else { c }),
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some(&(_, code)) = NAMED.iter().find(|(n, _)| *n == lower) {
                    if shift && code == Code::Tab {
                        Code::BackTab
                    } else {
                        code
                    }
                } else if let Some(n) = lower.strip_prefix('f').and_then(|n| n.parse::<u8>().ok()) {
                    if !(1..=24).contains(&n) {
                        return Err(format!("there is no function key f{n}"));
                    }
                    Code::F(n)
                } else {
                    return Err(format!("'{rest}' is no key name"));
                }
            }
        };
        if let Code::Char(c) = code {
            if c.is_control() {
                return Err("control characters are written ctrl-<letter>".into());
            }
        }
        Ok(Key { code, ctrl, alt })
    }

    /// The key of a terminal key event, if the map can name it.
    pub(crate) fn from_event(e: &KeyEvent) -> Option<Key> {
        let code = match e.code {
            KeyCode::Char(c) => Code::Char(c),
            KeyCode::Enter => Code::Enter,
            KeyCode::Esc => Code::Esc,
            KeyCode::Tab if e.modifiers.contains(KeyModifiers::SHIFT) => Code::BackTab,
            KeyCode::Tab => Code::Tab,
            KeyCode::BackTab => Code::BackTab,
            KeyCode::Backspace => Code::Backspace,
            KeyCode::Delete => Code::Delete,
            KeyCode::Insert => Code::Insert,
            KeyCode::Up => Code::Up,
            KeyCode::Down => Code::Down,
            KeyCode::Left => Code::Left,
            KeyCode::Right => Code::Right,
            KeyCode::Home => Code::Home,
            KeyCode::End => Code::End,
            KeyCode::PageUp => Code::PageUp,
            KeyCode::PageDown => Code::PageDown,
            KeyCode::F(n) => Code::F(n),
            _ => return None,
        };
        Some(Key {
            code,
            ctrl: e.modifiers.contains(KeyModifiers::CONTROL),
            alt: e.modifiers.contains(KeyModifiers::ALT),
        })
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.code {
            Code::Char(' ') => f.write_str("space"),
            Code::Char(',') => f.write_str("comma"),
            Code::Char(c) => write!(f, "{c}"),
            Code::F(n) => write!(f, "f{n}"),
            Code::BackTab => f.write_str("shift-tab"),
            code => {
                let name = NAMED
                    .iter()
                    .find(|(_, c)| *c == code)
                    .map_or("?", |(n, _)| n);
                f.write_str(name)
            }
        }
    }
}

/// Keys to commands, and each command's keys for the help overlay.
#[derive(Debug, Clone)]
pub struct Keymap {
    by_key: BTreeMap<Key, Command>,
    by_command: BTreeMap<Command, Vec<Key>>,
}

impl Keymap {
    /// The defaults with `overrides` (command name → keys) applied. A command named in the
    /// overrides loses its default keys; a key the overrides take is taken from the command that
    /// had it by default. Two overrides on one key are a conflict.
    pub(crate) fn new(overrides: &BTreeMap<String, String>) -> Result<Keymap, KeymapError> {
        let mut chosen: BTreeMap<Command, Vec<Key>> = BTreeMap::new();
        for (name, value) in overrides {
            let command = Command::from_name(name).ok_or_else(|| KeymapError::UnknownCommand {
                name: name.clone(),
                known: Command::all()
                    .map(Command::name)
                    .collect::<Vec<_>>()
                    .join(", "),
            })?;
            let keys = parse_list(value).map_err(|why| KeymapError::BadKey {
                name: name.clone(),
                value: value.clone(),
                why,
            })?;
            chosen.insert(command, keys);
        }
        let mut by_key: BTreeMap<Key, Command> = BTreeMap::new();
        for (&command, keys) in &chosen {
            for &key in keys {
                if let Some(first) = by_key.insert(key, command) {
                    return Err(KeymapError::Conflict {
                        key: key.to_string(),
                        first: first.name(),
                        second: command.name(),
                    });
                }
            }
        }
        for command in Command::all() {
            if chosen.contains_key(&command) {
                continue;
            }
            for text in command.default_keys() {
                if let Ok(key) = Key::parse(text) {
                    by_key.entry(key).or_insert(command);
                }
            }
        }
        let mut by_command: BTreeMap<Command, Vec<Key>> = BTreeMap::new();
        for (&key, &command) in &by_key {
            by_command.entry(command).or_default().push(key);
        }
        Ok(Keymap { by_key, by_command })
    }

    pub(crate) fn command(&self, key: &Key) -> Option<Command> {
        self.by_key.get(key).copied()
    }

    /// The keys of a command, as the help overlay shows them ("j down").
    pub(crate) fn keys_of(&self, command: Command) -> String {
        let mut keys = self.by_command.get(&command).cloned().unwrap_or_default();
        // Letters first, as people remember them; then named keys.
        keys.sort_by_key(|k| (!matches!(k.code, Code::Char(_)), k.ctrl, k.alt, *k));
        keys.iter()
            .map(Key::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl Default for Keymap {
    fn default() -> Keymap {
        Keymap::new(&BTreeMap::new()).unwrap_or_else(|_| Keymap {
            by_key: BTreeMap::new(),
            by_command: BTreeMap::new(),
        })
    }
}

fn parse_list(value: &str) -> Result<Vec<Key>, String> {
    let keys: Vec<Key> = value.split(',').map(Key::parse).collect::<Result<_, _>>()?;
    if keys.is_empty() {
        return Err("no key given".into());
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn every_default_key_parses_and_none_is_shared() {
        let mut seen = BTreeMap::new();
        for c in Command::all() {
            for k in c.default_keys() {
                let key = Key::parse(k).unwrap_or_else(|e| panic!("{k}: {e}"));
                assert_eq!(seen.insert(key, c), None, "{k} bound twice");
                assert_eq!(Key::parse(&key.to_string()), Ok(key), "{k} round trip");
            }
        }
    }

    #[test]
    fn parses_names_modifiers_and_shifted_letters() {
        assert_eq!(
            Key::parse("ctrl-d").map(|k| (k.code, k.ctrl)),
            Ok((Code::Char('d'), true))
        );
        assert_eq!(Key::parse("shift-g").map(|k| k.code), Ok(Code::Char('G')));
        assert_eq!(Key::parse("F5").map(|k| k.code), Ok(Code::F(5)));
        assert_eq!(Key::parse("PageDown").map(|k| k.code), Ok(Code::PageDown));
        assert_eq!(Key::parse("-").map(|k| k.code), Ok(Code::Char('-')));
        assert!(Key::parse("f99").is_err());
        assert!(Key::parse("hyper-x").is_err());
    }

    #[test]
    fn overrides_replace_defaults_and_take_their_keys() {
        let km = Keymap::new(&map(&[("spike", "d, delete"), ("down", "x")])).expect("valid");
        let key = |s| Key::parse(s).expect("key");
        assert_eq!(km.command(&key("d")), Some(Command::Spike));
        assert_eq!(km.command(&key("delete")), Some(Command::Spike));
        assert_eq!(km.command(&key("x")), Some(Command::Down));
        assert_eq!(km.command(&key("j")), None, "down's default is gone");
        assert_eq!(km.keys_of(Command::Spike), "d delete");
    }

    #[test]
    fn bad_entries_are_reported_by_name_and_value() {
        let err = Keymap::new(&map(&[("spkie", "x")])).expect_err("unknown");
        assert!(err.to_string().contains("dashboard.keys.spkie"), "{err}");
        let err = Keymap::new(&map(&[("spike", "ctrl-")])).expect_err("bad key");
        assert!(err.to_string().contains("'ctrl-'"), "{err}");
        let err = Keymap::new(&map(&[("pick", "z"), ("spike", "z")])).expect_err("conflict");
        assert!(matches!(err, KeymapError::Conflict { .. }), "{err}");
    }

    #[test]
    fn terminal_events_fold_shift_into_the_letter() {
        let e = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        let km = Keymap::default();
        assert_eq!(
            km.command(&Key::from_event(&e).expect("named")),
            Some(Command::Bottom)
        );
        let e = KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL);
        assert_eq!(
            km.command(&Key::from_event(&e).expect("named")),
            Some(Command::PageDown)
        );
    }
}
