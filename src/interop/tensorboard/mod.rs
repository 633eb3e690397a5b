//! Runs as TensorBoard event files: `tensorboard --logdir <out>` shows each run as
//! one TensorBoard run, its curves in the Scalars tab ([`scalars`] lists the tags),
//! its settings in the HParams tab and as a table in the Text tab ([`hparams`]).
//!
//! Each run gets a folder named after its id holding one file,
//! `events.out.tfevents.<start>.<host>.mnist-tui` (`<start>`: the run's start in Unix
//! seconds), so exporting a run again replaces its file instead of adding a second
//! one that TensorBoard would read as well.
//!
//! The file is written whole by hand-written `prost` messages ([`proto`]) framed as
//! TFRecords ([`record`]). Crates that write event files were looked at and not used:
//! `tensorboard-rs` (last release March 2022, on `protobuf` 2 and `image` 0.23) and
//! `tboard` (two releases in January 2024, generating its messages with `prost-build`,
//! which needs `protoc` at build time).

pub mod hparams;
pub mod proto;
pub mod record;
pub mod scalars;

use super::error::{ExportError, check_runs};
use crate::fsutil;
use crate::runs::RunRecord;
use prost::Message;
use proto::{Event, Summary, SummaryValue, ValueKind, What};
use std::path::{Path, PathBuf};
use time::OffsetDateTime;

/// The first event of every file: the format's version.
pub const FILE_VERSION: &str = "brain.Event:2";

/// Writes one event file per run of `runs` into `out_dir/<run id>/` (folders created
/// as needed) and returns the files' paths in the order of `runs`.
pub fn write_tensorboard(runs: &[&RunRecord], out_dir: &Path) -> Result<Vec<PathBuf>, ExportError> {
    check_runs(runs)?;
    let host = host_name();
    let infos = hparams::hparam_infos(runs);
    let metrics: Vec<&str> = scalars::METRICS
        .into_iter()
        .filter(|tag| runs.iter().any(|r| has_tag(r, tag)))
        .collect();
    let created = runs
        .iter()
        .map(|r| unix_seconds(r.started_at))
        .fold(f64::INFINITY, f64::min);
    let experiment = hparams::experiment(infos.clone(), &metrics, created);
    let mut paths = Vec::with_capacity(runs.len());
    for r in runs {
        let dir = out_dir.join(&r.id);
        std::fs::create_dir_all(&dir).map_err(|e| ExportError::io(&dir, e))?;
        let path = dir.join(file_name(r, &host));
        let bytes = event_file(r, &experiment, &infos);
        fsutil::write_atomic(&path, &bytes).map_err(|e| ExportError::io(&path, e))?;
        paths.push(path);
    }
    Ok(paths)
}

/// `events.out.tfevents.<start>.<host>.mnist-tui` for run `r`.
pub fn file_name(r: &RunRecord, host: &str) -> String {
    format!(
        "events.out.tfevents.{}.{host}.mnist-tui",
        r.started_at.unix_timestamp()
    )
}

/// This machine's name, as a file name's part (`localhost` if it has none).
fn host_name() -> String {
    let uname = rustix::system::uname();
    let name: String = uname
        .nodename()
        .to_string_lossy()
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if name.is_empty() {
        "localhost".into()
    } else {
        name
    }
}

/// Whether run `r` logs scalar `tag`.
fn has_tag(r: &RunRecord, tag: &str) -> bool {
    scalars::scalars(r, 0.0)
        .iter()
        .any(|s| s.values.iter().any(|(t, _)| *t == tag))
}

/// Seconds since the Unix epoch.
fn unix_seconds(t: OffsetDateTime) -> f64 {
    t.unix_timestamp_nanos() as f64 / 1e9
}

/// The event file of run `r`: the version, the experiment, the run's settings, its
/// scalars, then how it ended.
pub fn event_file(
    r: &RunRecord,
    experiment: &SummaryValue,
    infos: &[proto::HParamInfo],
) -> Vec<u8> {
    let start = unix_seconds(r.started_at);
    let mut events = vec![Event {
        wall_time: start,
        step: 0,
        what: Some(What::FileVersion(FILE_VERSION.into())),
    }];
    let at_start = |value| summary_event(start, 0, vec![value]);
    events.push(at_start(experiment.clone()));
    events.push(at_start(hparams::session_start(r, infos, start)));
    events.push(at_start(hparams::settings_text(r)));
    let mut last = (0, start);
    for s in scalars::scalars(r, start) {
        let values = s
            .values
            .iter()
            .map(|(tag, v)| SummaryValue {
                tag: (*tag).into(),
                metadata: None,
                value: Some(ValueKind::SimpleValue(*v)),
            })
            .collect();
        events.push(summary_event(s.wall_time, s.step, values));
        last = (s.step, s.wall_time);
    }
    let ended = r.ended_at.map_or(0.0, unix_seconds);
    let end_time = if ended > 0.0 { ended } else { last.1 };
    events.push(summary_event(
        end_time,
        last.0,
        vec![hparams::session_end(r, ended)],
    ));
    let mut bytes = Vec::new();
    for e in events {
        record::push_record(&mut bytes, &e.encode_to_vec());
    }
    bytes
}

/// An event of `values` at `step`.
fn summary_event(wall_time: f64, step: u64, values: Vec<SummaryValue>) -> Event {
    Event {
        wall_time,
        step: i64::try_from(step).unwrap_or(i64::MAX),
        what: Some(What::Summary(Summary { value: values })),
    }
}

#[cfg(test)]
mod tests;
