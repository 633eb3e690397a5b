//! Sweeps: a grid (or a random sample) of training settings and seeds, run point by
//! point through the same trainer as `train`, compared as groups of seeds.
//!
//! - [`axis`]: one swept setting's values, parsed by the setting's own row of
//!   [`SETTINGS`](crate::train::SETTINGS) (any setting can be swept).
//! - [`spec`]: the swept settings expanded into validated points; the sweep id.
//! - [`tag`]: the `ID:POINT/POINTS` tag each run of a sweep records.
//! - [`file`]: the saved sweep (`runs/.sweeps/<id>/sweep.ron`) and its lock.
//! - [`status`]: where each point stands (what a re-run skips, resumes or starts).
//! - [`group`]: runs grouped over seeds (mean, min–max, n) and which setting matters.
//! - [`report`]: the groups as a table, a ranking, a chart and JSON.

pub mod axis;
pub mod file;
pub mod frontier;
pub mod group;
pub mod report;
pub mod spec;
pub mod status;
pub mod tag;

pub use axis::{Axis, Values};
pub use file::{SweepFile, SweepStore};
pub use group::{Group, Importance, Stats, best_group, group_runs, importance};
pub use spec::{SweepSpec, describe, plan, seed_setting, sweep_id};
pub use status::{PointState, job_for, point_runs, point_states, sweep_runs};
pub use tag::SweepTag;
