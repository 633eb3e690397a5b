//! Dashboard state without a terminal: messages in, state and effects out. One module
//! per view (`tests/tui_app/*.rs`), plus what crosses views (`global`).

mod tui_common;

use mnist_tui::model::{OptimizerKind, Preset};
use mnist_tui::train::{Control, TrainEvent, TrainJob};
use mnist_tui::tui::app::{DataMsg, DataState, Effect, Modal, Msg, Notice, QuitState, View};
use mnist_tui::tui::layout;
use mnist_tui::tui::runs::table::SortColumn;
use mnist_tui::tui::train::form::Field;
use mnist_tui::tui::train::session::RunPhase;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use std::time::{Duration, Instant};
use tui_common::*;

#[path = "tui_app/digit.rs"]
mod digit;
#[path = "tui_app/global.rs"]
mod global;
#[path = "tui_app/runs.rs"]
mod runs;
#[path = "tui_app/sweep.rs"]
mod sweep;
#[path = "tui_app/train.rs"]
mod train;

fn has_control(effects: &[Effect], c: Control) -> bool {
    effects
        .iter()
        .any(|e| matches!(e, Effect::Control(x) if *x == c))
}

fn select_field(app: &mut mnist_tui::tui::app::App, field: Field) {
    app.train.form.select_field(field);
}

/// The form row of the setting named `name`.
fn field(name: &str) -> Field {
    Field::named(name).unwrap_or_else(|| panic!("no setting {name}"))
}

/// What `mnist-tui train --model <model>` would train, with no config file.
fn cli_settings(model: mnist_tui::model::ModelName) -> mnist_tui::train::TrainSettings {
    let flags = mnist_tui::train::TrainOverrides {
        model: Some(model),
        ..Default::default()
    };
    mnist_tui::train::TrainSettings::resolve(&[&flags])
}

fn started_settings(effects: &[Effect]) -> mnist_tui::train::TrainSettings {
    match effects {
        [Effect::StartTraining(TrainJob::New(s), _)] => s.clone(),
        other => panic!("unexpected effects {other:?}"),
    }
}

/// A key press with modifiers.
fn with_mods(code: KeyCode, modifiers: ratatui::crossterm::event::KeyModifiers) -> Msg {
    Msg::Key(ratatui::crossterm::event::KeyEvent::new(code, modifiers))
}

/// The started point of `effects`: its sweep point and settings.
fn started_point(effects: &[Effect]) -> Option<(usize, mnist_tui::train::TrainSettings)> {
    effects.iter().find_map(|e| match e {
        Effect::StartTraining(TrainJob::Point { settings, sweep }, _) => {
            Some((sweep.point, settings.clone()))
        }
        _ => None,
    })
}
