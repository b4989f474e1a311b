//! The `:` prompt: commands by their names in `[dashboard.keys]` (the command table is the one
//! list of names), a unique prefix of a name (`:q`, `:sp`), and values for the commands that
//! take one (`:search words`, `:filter source=Reuters`, `:filter verdict=reprint`,
//! `:reprint_of 12`). Part of `App::update`; pure like it. A name it does not know, or a value
//! it cannot use, is said plainly on the status line and changes nothing.

use super::{App, Effect};
use crate::model::{Status, TriageAction, TriageKind};
use crate::tui::action::{Command, COMMANDS};

/// What a name says: a command, or why it names none.
pub(crate) fn resolve(name: &str) -> Result<Command, String> {
    let name = name.trim().to_lowercase().replace('-', "_");
    if let Some(c) = Command::from_name(&name) {
        return Ok(c);
    }
    let starts: Vec<&str> = (COMMANDS.iter())
        .map(|s| s.name)
        .filter(|n| n.starts_with(&name))
        .collect();
    match starts[..] {
        [one] => Command::from_name(one).ok_or_else(|| format!("no command '{name}'")),
        [] => Err(format!(
            "no command '{name}'; names are those of [dashboard.keys], such as pick, spike, search, filter source=…, help"
        )),
        _ => Err(format!(
            "'{name}' could be {}; type more of it",
            starts.join(", ")
        )),
    }
}

impl App {
    /// Runs one line typed at the `:` prompt.
    pub(super) fn run_line(&mut self, line: &str, fx: &mut Vec<Effect>) {
        if let Err(why) = self.try_line(line.trim(), fx) {
            self.last_error = Some(why);
        }
    }

    fn try_line(&mut self, line: &str, fx: &mut Vec<Effect>) -> Result<(), String> {
        if line.is_empty() {
            return Ok(());
        }
        let (name, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        // `filter key=value …`: each pair is the command `filter_<key>` with its value.
        if name.eq_ignore_ascii_case("filter") {
            if rest.is_empty() {
                return Err("filter takes key=value: source=…, verdict=…, triage=…, text=…".into());
            }
            for pair in split_pairs(rest) {
                let (key, value) = pair
                    .split_once('=')
                    .ok_or_else(|| format!("'{pair}' is not key=value, as in source=Reuters"))?;
                let command = match key.trim().to_lowercase().as_str() {
                    "text" | "search" => Command::Search,
                    other => resolve(&format!("filter_{other}"))?,
                };
                self.run(command, Some(value.trim()), fx)?;
            }
            return Ok(());
        }
        let command = resolve(name)?;
        self.run(command, (!rest.is_empty()).then_some(rest), fx)
    }

    /// One command, with the value typed after its name, if any.
    fn run(
        &mut self,
        command: Command,
        value: Option<&str>,
        fx: &mut Vec<Effect>,
    ) -> Result<(), String> {
        let (view, view_name) = self.view();
        if !command.spec().help.contains(view) {
            return Err(format!(
                "'{}' does nothing in the {view_name} view",
                command.name()
            ));
        }
        let Some(value) = value else {
            self.notice = None;
            self.on_command(command, fx);
            return Ok(());
        };
        let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
        match command {
            Command::Search => self.apply_search(some(value), fx),
            Command::FilterSource => {
                self.filters.source = some(value);
                self.reload(fx);
            }
            Command::FilterVerdict => {
                self.filters.status = match value.to_lowercase().as_str() {
                    "" | "all" => None,
                    v => Some(Status::parse(v).ok_or_else(|| {
                        let known: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
                        format!("no verdict '{v}'; one of: all, {}", known.join(", "))
                    })?),
                };
                self.reload(fx);
            }
            Command::FilterTriage => {
                self.filters.triage = match value.to_lowercase().as_str() {
                    "" | "all" => None,
                    v => Some(TriageKind::parse(v).ok_or_else(|| {
                        let known: Vec<&str> = TriageKind::ALL.iter().map(|k| k.as_str()).collect();
                        format!("no triage state '{v}'; one of: all, {}", known.join(", "))
                    })?),
                };
                self.reload(fx);
            }
            Command::ReprintOf => {
                let other = (value.trim_start_matches('#').parse())
                    .map_err(|_| format!("'{value}' is not an article id; type a number"))?;
                self.triage(TriageAction::ReprintOf { other }, fx);
            }
            c => return Err(format!("'{}' takes no value", c.name())),
        }
        Ok(())
    }
}

/// `source=Le Monde verdict=reprint` as its pairs: a pair runs to the next word with an `=`.
fn split_pairs(text: &str) -> Vec<String> {
    let mut pairs: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match pairs.last_mut() {
            Some(last) if !word.contains('=') => {
                last.push(' ');
                last.push_str(word);
            }
            _ => pairs.push(word.to_owned()),
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_resolve_whole_by_prefix_and_not_at_all() {
        assert_eq!(resolve("pick"), Ok(Command::Pick));
        assert_eq!(resolve("PICK"), Ok(Command::Pick));
        assert_eq!(resolve("reprint-of"), Ok(Command::ReprintOf));
        assert_eq!(resolve("q"), Ok(Command::Quit));
        let err = resolve("s").expect_err("ambiguous");
        assert!(err.contains("story") && err.contains("spike"), "{err}");
        let err = resolve("frobnicate").expect_err("unknown");
        assert!(err.contains("no command 'frobnicate'"), "{err}");
    }

    #[test]
    fn pairs_run_to_the_next_key() {
        assert_eq!(
            split_pairs("source=Le Monde  verdict=reprint"),
            vec!["source=Le Monde", "verdict=reprint"]
        );
    }
}
