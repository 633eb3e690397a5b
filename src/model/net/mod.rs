//! Networks as data: the layer language ([`layer`]), names ([`name`]), the presets
//! written in it ([`presets`]), the networks known by name ([`registry`]) and the
//! planner that checks a layer list and turns it into the forward pass's steps
//! ([`plan`]).

pub mod layer;
pub mod name;
pub(crate) mod plan;
pub mod presets;
pub mod registry;

#[cfg(test)]
mod plan_tests;
