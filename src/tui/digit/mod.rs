//! The Digit view, all in one place: its state and background results ([`state`]),
//! what its actions and the mouse do ([`actions`]), the work it runs off the UI thread
//! ([`tasks`]), its geometry ([`layout`]) and its drawing ([`draw`], [`gallery`]).

pub mod actions;
pub mod draw;
pub mod gallery;
pub mod layout;
pub mod state;
pub mod tasks;
