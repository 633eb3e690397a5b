//! The Runs view as a component: its state ([`table::RunsTable`]: the runs, sort,
//! marks, cursor), what its actions do ([`actions`]) and its drawing ([`draw`]); its
//! dialogs (details, groups, delete, resume) are in `tui::dialogs`.

pub mod actions;
pub mod draw;
pub mod table;
