//! The Train view, all in one place: the settings form ([`form`]), the run it shows
//! ([`session`]), a sweep's queue ([`sweep`]), what its actions do (`input`) and its
//! drawing ([`draw`]).

pub mod draw;
pub mod form;
mod input;
pub mod session;
pub mod sweep;
