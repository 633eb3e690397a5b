//! A run's settings for TensorBoard: as hyperparameters (the HParams plugin's table
//! and parallel-coordinates views) and as a Markdown table in the Text tab.
//!
//! The settings come from [`SETTINGS`], so a new setting is exported without code
//! here. A setting is a hyperparameter of the runs it applies to (momentum of SGD
//! runs, betas of Adam runs: elsewhere it is left out, as TensorBoard shows a missing
//! value). Its type is the same for every run, as the plugin needs: a number when every
//! value reads as one, a boolean when every value is `true` or `false`, else text.

use super::proto::{
    DATA_TYPE_BOOL, DATA_TYPE_FLOAT64, DATA_TYPE_STRING, DT_STRING, Experiment, HParamInfo,
    HParamsData, HParamsPluginData, Kind, MetricInfo, MetricName, PluginData, ProtoValue,
    STATUS_FAILURE, STATUS_RUNNING, STATUS_SUCCESS, STATUS_UNKNOWN, SessionEndInfo,
    SessionStartInfo, SummaryMetadata, SummaryValue, TensorDim, TensorProto, TensorShape,
    ValueKind,
};
use crate::runs::{RunRecord, RunStatus};
use crate::train::{SETTINGS, Setting};
use prost::Message;
use std::collections::BTreeMap;

/// The tag of the experiment: which hyperparameters and metrics there are.
pub const EXPERIMENT_TAG: &str = "_hparams_/experiment";
/// The tag of a session's hyperparameter values.
pub const SESSION_START_TAG: &str = "_hparams_/session_start_info";
/// The tag of how a session ended.
pub const SESSION_END_TAG: &str = "_hparams_/session_end_info";
/// The tag of the settings table in the Text tab (TensorBoard's own text summaries
/// end in `/text_summary` too).
pub const SETTINGS_TEXT_TAG: &str = "settings/text_summary";

/// The settings of `runs` (those that apply to at least one) with the type each has in
/// all of them.
pub fn hparam_infos(runs: &[&RunRecord]) -> Vec<HParamInfo> {
    SETTINGS
        .iter()
        .filter(|s| runs.iter().any(|r| s.applies_to(&r.config)))
        .map(|s| HParamInfo {
            name: s.name.to_string(),
            description: s.help.to_string(),
            r#type: data_type(s, runs),
        })
        .collect()
}

/// The HParams type of setting `s` across `runs` (those it applies to).
fn data_type(s: &Setting, runs: &[&RunRecord]) -> i32 {
    let shown: Vec<String> = runs
        .iter()
        .filter(|r| s.applies_to(&r.config))
        .map(|r| s.show(&r.config))
        .collect();
    if shown.iter().all(|v| v == "true" || v == "false") {
        DATA_TYPE_BOOL
    } else if shown
        .iter()
        .all(|v| v.parse::<f64>().is_ok_and(f64::is_finite))
    {
        DATA_TYPE_FLOAT64
    } else {
        DATA_TYPE_STRING
    }
}

/// The experiment: the hyperparameters `infos` ([`hparam_infos`]), judged by
/// `metrics` (scalar tags), created at `created` (seconds since the Unix epoch).
pub fn experiment(infos: Vec<HParamInfo>, metrics: &[&str], created: f64) -> SummaryValue {
    hparams_value(
        EXPERIMENT_TAG,
        HParamsData::Experiment(Experiment {
            time_created_secs: created,
            hparam_infos: infos,
            metric_infos: metrics
                .iter()
                .map(|tag| MetricInfo {
                    name: Some(MetricName {
                        group: String::new(),
                        tag: tag.to_string(),
                    }),
                })
                .collect(),
        }),
    )
}

/// Run `r`'s hyperparameter values, typed as `infos` says.
pub fn session_start(r: &RunRecord, infos: &[HParamInfo], started: f64) -> SummaryValue {
    let mut hparams = BTreeMap::new();
    for info in infos {
        let Some(s) = SETTINGS.iter().find(|s| s.name == info.name) else {
            continue;
        };
        if !s.applies_to(&r.config) {
            continue;
        }
        let shown = s.show(&r.config);
        let kind = match info.r#type {
            DATA_TYPE_BOOL => Kind::BoolValue(shown == "true"),
            DATA_TYPE_FLOAT64 => match shown.parse::<f64>() {
                Ok(v) => Kind::NumberValue(v),
                Err(_) => Kind::StringValue(shown),
            },
            _ => Kind::StringValue(shown),
        };
        hparams.insert(info.name.clone(), ProtoValue { kind: Some(kind) });
    }
    hparams_value(
        SESSION_START_TAG,
        HParamsData::SessionStartInfo(SessionStartInfo {
            hparams,
            group_name: String::new(),
            start_time_secs: started,
        }),
    )
}

/// How run `r` ended (`ended`: seconds since the Unix epoch, 0 if it has not).
pub fn session_end(r: &RunRecord, ended: f64) -> SummaryValue {
    let status = match r.status {
        RunStatus::Finished => STATUS_SUCCESS,
        RunStatus::Failed(_) => STATUS_FAILURE,
        RunStatus::Running => STATUS_RUNNING,
        RunStatus::Stopped | RunStatus::Interrupted | RunStatus::Imported => STATUS_UNKNOWN,
    };
    hparams_value(
        SESSION_END_TAG,
        HParamsData::SessionEndInfo(SessionEndInfo {
            status,
            end_time_secs: ended,
        }),
    )
}

/// A value for the HParams plugin: no value of its own, the message in its metadata
/// (as TensorBoard's and PyTorch's writers do).
fn hparams_value(tag: &str, data: HParamsData) -> SummaryValue {
    let content = HParamsPluginData {
        version: 0,
        data: Some(data),
    }
    .encode_to_vec();
    SummaryValue {
        tag: tag.into(),
        metadata: Some(metadata("hparams", content)),
        value: None,
    }
}

/// Metadata sending a value to `plugin` with its `content`.
fn metadata(plugin: &str, content: Vec<u8>) -> SummaryMetadata {
    SummaryMetadata {
        plugin_data: Some(PluginData {
            plugin_name: plugin.into(),
            content,
        }),
    }
}

/// Run `r`'s settings as a Markdown table (`setting | value`, `n/a` where one does not
/// apply) for the Text tab.
pub fn settings_text(r: &RunRecord) -> SummaryValue {
    let mut text = String::from("| setting | value |\n|---|---|\n");
    for s in SETTINGS {
        let value = s.show_applied(&r.config).replace('|', "\\|");
        text += &format!("| {} | {value} |\n", s.name);
    }
    SummaryValue {
        tag: SETTINGS_TEXT_TAG.into(),
        // The text plugin's own data is `TextPluginData { version: 0 }`: empty bytes.
        metadata: Some(metadata("text", Vec::new())),
        value: Some(ValueKind::Tensor(TensorProto {
            dtype: DT_STRING,
            tensor_shape: Some(TensorShape {
                dim: vec![TensorDim { size: 1 }],
            }),
            string_val: vec![text.into_bytes()],
        })),
    }
}
