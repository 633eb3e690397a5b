//! Networks as data: the layer language ([`layer`]), names ([`name`]), the presets
//! written in it ([`presets`]), the networks known by name ([`registry`]) and the
//! planner that checks a layer list and turns it into the forward pass's steps
//! ([`plan`]), and the summary of what a network is and costs ([`summary`]).

pub mod layer;
pub mod name;
pub(crate) mod plan;
pub mod presets;
pub mod registry;
pub mod summary;

#[cfg(test)]
mod plan_tests;
