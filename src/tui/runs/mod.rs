//! The Runs view, all in one place: the table's state ([`table`]), what its actions do
//! (`input`) and its drawing: table, comparison, details dialog ([`draw`]).

pub mod draw;
mod input;
pub mod table;
