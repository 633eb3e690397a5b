//! The Runs view as a component: its state ([`table::RunsTable`]: the runs, sort,
//! marks, cursor), what its actions do ([`actions`]), its drawing ([`draw`]) and the
//! layer-by-layer diff of compared networks ([`diff`]), the export done off the UI
//! thread ([`export`]); its dialogs (details, groups, delete, resume, export) are in
//! `tui::dialogs`.

pub mod actions;
pub mod diff;
pub mod draw;
pub mod export;
pub mod table;
