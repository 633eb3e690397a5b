//! The `w` dialog of the Train view: a name for the form's network and the file it
//! is saved in, the config file the dashboard was started with or a networks file
//! beside it. Enter checks the name (a network's name, not a preset's) and asks the
//! runtime to save it ([`Effect::SaveNetwork`]); the answer selects it in the form.

use super::field::{InputField, draw_box};
use super::{Dialog, Step};
use crate::format;
use crate::model::{ModelName, NetworkDef, Origin, Preset, Summary, known_networks};
use crate::networks_file::networks_file_beside;
use crate::tui::app::{App, Effect, Notice};
use crate::tui::keymap::Keymap;
use crate::tui::train::form::TextInput;
use crate::tui::ui::widgets::{input_spans, key_hints};
use ratatui::Frame;
use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use std::path::{Path, PathBuf};

/// Which file the network goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveTo {
    /// The config file, in its `networks` map.
    Config,
    /// A networks file beside the config file (`networks.ron`).
    NetworksFile,
}

impl SaveTo {
    /// The file, for the config file `config`.
    pub fn path(self, config: &Path) -> PathBuf {
        match self {
            SaveTo::Config => config.to_path_buf(),
            SaveTo::NetworksFile => networks_file_beside(config),
        }
    }

    /// The other file.
    fn other(self) -> SaveTo {
        match self {
            SaveTo::Config => SaveTo::NetworksFile,
            SaveTo::NetworksFile => SaveTo::Config,
        }
    }
}

/// The name being typed and the file chosen.
#[derive(Debug, Clone, PartialEq)]
pub struct SaveNetworkDialog {
    /// The name.
    pub field: InputField,
    /// The file.
    pub to: SaveTo,
}

/// Whether `c` may be part of a network's name.
fn name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '-' || c == '_'
}

impl SaveNetworkDialog {
    /// The dialog for the form's network `def`, with the config file `config`: a
    /// network of one's own proposes its name and the file it came from; a preset's
    /// layers propose no name (a preset's name cannot be taken).
    pub fn new(def: &NetworkDef, config: &Path) -> Self {
        let own = Preset::named(def.name.as_str()).is_none();
        let name = if own {
            def.name.to_string()
        } else {
            String::new()
        };
        let from_networks_file = known_networks().into_iter().any(|k| {
            k.def.name == def.name && k.origin == Origin::File(networks_file_beside(config))
        });
        SaveNetworkDialog {
            field: InputField::new(
                TextInput::new(name).limited(crate::model::net::name::MAX_NAME_LEN),
            ),
            to: if from_networks_file {
                SaveTo::NetworksFile
            } else {
                SaveTo::Config
            },
        }
    }

    /// The network to save: the typed name and the form's layers, or why not.
    pub fn network(&self, app: &App) -> Result<NetworkDef, String> {
        let name = self.field.text();
        ModelName::check(&name)?;
        if Preset::named(&name).is_some() {
            return Err(format!(
                "'{name}' is a built-in network's name: choose another"
            ));
        }
        let def = NetworkDef {
            name: name.parse()?,
            layers: app.train.form.settings.layers.clone(),
        };
        def.check()
            .map_err(|e| format!("the layers do not make a network: {}", e.source))?;
        Ok(def)
    }
}

impl Dialog for SaveNetworkDialog {
    fn on_key(&mut self, key: &KeyEvent) -> Step {
        if matches!(key.code, KeyCode::Tab | KeyCode::BackTab) {
            self.to = self.to.other();
            return Step::Stay;
        }
        self.field.on_key(key, |_, c| name_char(c))
    }

    fn submit(&mut self, app: &mut App) -> Result<Vec<Effect>, String> {
        let def = self.network(app)?;
        let path = self.to.path(&app.config_path);
        app.notice = Some(Notice::Info(format!(
            "Saving network '{}' in {}…",
            def.name,
            path.display()
        )));
        Ok(vec![Effect::SaveNetwork { path, def }])
    }

    fn refuse(&mut self, reason: String) {
        self.field.error = Some(reason);
    }

    fn hints(&self, _keys: &Keymap) -> Vec<(String, &'static str)> {
        super::fixed(&[
            ("Enter", "save"),
            ("Tab", "which file"),
            ("Esc", "cancel"),
            ("Backspace", "delete"),
        ])
    }

    fn draw(&self, f: &mut Frame, area: Rect, app: &App) {
        let t = &app.theme;
        let layers = &app.train.form.settings.layers;
        let size = Summary::of(&app.train.form.settings.network()).map_or_else(
            |_| format!("{} layers", layers.len()),
            |s| {
                format!(
                    "{} layers, {} params",
                    layers.len(),
                    format::thousands(s.params as u64)
                )
            },
        );
        let mut lines = vec![
            Line::raw(format!("Save the form's network ({size}) as:")),
            Line::from(
                std::iter::once(Span::styled("> ", t.key()))
                    .chain(input_spans(&self.field.input, t.selected(), "_", t.key()))
                    .collect::<Vec<_>>(),
            ),
        ];
        if let Some(e) = &self.field.error {
            lines.push(Line::from(Span::styled(e.clone(), t.bad())));
        }
        lines.push(Line::from(Span::styled(
            "Letters, digits, '-' and '_' (run ids carry the name).",
            t.dim(),
        )));
        // A known network of that name is replaced, in the registry and in the file.
        let typed = self.field.text();
        if let Some(known) = known_networks()
            .into_iter()
            .find(|k| k.def.name == typed.as_str() && k.origin != Origin::Preset)
        {
            let from = match &known.origin {
                Origin::File(p) => format!("from {}", p.display()),
                _ => "not saved".to_string(),
            };
            lines.push(Line::from(Span::styled(
                format!("Replaces the network '{typed}' ({from})."),
                t.warn(),
            )));
        }
        lines.push(Line::raw(""));
        let choice = |to: SaveTo| {
            let path = to.path(&app.config_path);
            let name = path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into(),
            );
            if to == self.to {
                Span::styled(
                    format!("[{name}]"),
                    t.selected().add_modifier(Modifier::BOLD),
                )
            } else {
                Span::styled(format!(" {name} "), t.dim())
            }
        };
        lines.push(Line::from(vec![
            Span::raw("Save in: "),
            choice(SaveTo::Config),
            Span::raw("  "),
            choice(SaveTo::NetworksFile),
            Span::styled("   (Tab switches)", t.dim()),
        ]));
        let path = self.to.path(&app.config_path);
        let what = match self.to {
            SaveTo::Config => "its `networks` map; nothing else in it changes",
            SaveTo::NetworksFile => "a networks file of its own: `{ \"name\": [layers], … }`",
        };
        lines.push(Line::from(Span::styled(
            format!("{}: {what}", path.display()),
            t.dim(),
        )));
        lines.push(Line::raw(""));
        lines.push(key_hints(
            &[("Enter", "save"), ("Tab", "which file"), ("Esc", "cancel")],
            t,
        ));
        draw_box(f, area, app, "Save network", lines);
    }
}
