//! Terminal input to app actions: keys through the key map (or, while a prompt is open, as
//! typing), the mouse wheel and left clicks when the mouse is on. Pure: it reads the app's state
//! to know whether a prompt is open and changes nothing.

use super::action::{Action, Command, PromptInput};
use super::app::App;
use super::keymap::Key;
use crossterm::event::{
    Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEventKind,
};

/// Lines the mouse wheel moves per notch.
const WHEEL_LINES: i32 = 3;

pub(crate) fn to_action(app: &App, event: &Event) -> Option<Action> {
    match event {
        Event::Key(k) if k.kind != KeyEventKind::Release => {
            if app.prompt.is_some() {
                return prompt_input(k).map(Action::Prompt);
            }
            let key = Key::from_event(k)?;
            app.keymap.command(&key).map(Action::Command)
        }
        Event::Mouse(m) if app.mouse => match m.kind {
            MouseEventKind::ScrollDown => Some(Action::Scroll {
                column: m.column,
                row: m.row,
                lines: WHEEL_LINES,
            }),
            MouseEventKind::ScrollUp => Some(Action::Scroll {
                column: m.column,
                row: m.row,
                lines: -WHEEL_LINES,
            }),
            MouseEventKind::Down(MouseButton::Left) => Some(Action::Click {
                column: m.column,
                row: m.row,
            }),
            _ => None,
        },
        Event::Resize(..) => Some(Action::Resize),
        _ => None,
    }
}

fn prompt_input(k: &KeyEvent) -> Option<PromptInput> {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    Some(match k.code {
        KeyCode::Char('u') if ctrl => PromptInput::Clear,
        KeyCode::Char('c') if ctrl => PromptInput::Cancel,
        KeyCode::Char(_) if ctrl => return None,
        KeyCode::Char(c) => PromptInput::Char(c),
        KeyCode::Backspace => PromptInput::Backspace,
        KeyCode::Enter => PromptInput::Submit,
        KeyCode::Esc => PromptInput::Cancel,
        _ => return None,
    })
}

/// The command a key names in the default map, for tests and the benchmark.
pub fn command_of(app: &App, text: &str) -> Option<Command> {
    Key::parse(text).ok().and_then(|k| app.keymap.command(&k))
}
