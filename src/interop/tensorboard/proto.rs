//! The protocol-buffer messages of a TensorBoard event file, written out by hand with
//! `prost`'s derive (no `protoc`): only the fields this exporter writes and its tests
//! read. Field numbers are TensorFlow's (`tensorflow/core/util/event.proto`,
//! `framework/summary.proto`, `tensor.proto`, `tensor_shape.proto`), TensorBoard's
//! HParams plugin's (`tensorboard/plugins/hparams/plugin_data.proto`, `api.proto`)
//! and `google/protobuf/struct.proto`'s. Decoding skips the fields left out.

use std::collections::BTreeMap;

/// One record of an event file (`tensorflow.Event`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Event {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "1")]
    pub wall_time: f64,
    /// The x of the event's values.
    #[prost(int64, tag = "2")]
    pub step: i64,
    /// What the event carries.
    #[prost(oneof = "What", tags = "3, 5")]
    pub what: Option<What>,
}

/// What an [`Event`] carries (`Event.what`).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum What {
    /// The file's format, the first event: `brain.Event:2`.
    #[prost(string, tag = "3")]
    FileVersion(String),
    /// Values.
    #[prost(message, tag = "5")]
    Summary(Summary),
}

/// Values logged at one step (`tensorflow.Summary`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Summary {
    /// The values.
    #[prost(message, repeated, tag = "1")]
    pub value: Vec<SummaryValue>,
}

/// One tagged value (`tensorflow.Summary.Value`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryValue {
    /// Its name: the chart it belongs to.
    #[prost(string, tag = "1")]
    pub tag: String,
    /// Which plugin shows it, for values other than scalars.
    #[prost(message, optional, tag = "9")]
    pub metadata: Option<SummaryMetadata>,
    /// The value itself.
    #[prost(oneof = "ValueKind", tags = "2, 8")]
    pub value: Option<ValueKind>,
}

/// The value of a [`SummaryValue`] (`Summary.Value.value`).
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum ValueKind {
    /// A scalar.
    #[prost(float, tag = "2")]
    SimpleValue(f32),
    /// A tensor (text summaries: strings).
    #[prost(message, tag = "8")]
    Tensor(TensorProto),
}

/// Which plugin reads a value, and its own data (`tensorflow.SummaryMetadata`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct SummaryMetadata {
    /// The plugin and its data.
    #[prost(message, optional, tag = "1")]
    pub plugin_data: Option<PluginData>,
}

/// `SummaryMetadata.PluginData`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct PluginData {
    /// `text`, `hparams`, …
    #[prost(string, tag = "1")]
    pub plugin_name: String,
    /// The plugin's own message, serialised.
    #[prost(bytes = "vec", tag = "2")]
    pub content: Vec<u8>,
}

/// `tensorflow.DataType.DT_STRING`.
pub const DT_STRING: i32 = 7;

/// A tensor (`tensorflow.TensorProto`): here only strings.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorProto {
    /// The element type ([`DT_STRING`]).
    #[prost(int32, tag = "1")]
    pub dtype: i32,
    /// Its shape.
    #[prost(message, optional, tag = "2")]
    pub tensor_shape: Option<TensorShape>,
    /// Its strings, for [`DT_STRING`].
    #[prost(bytes = "vec", repeated, tag = "8")]
    pub string_val: Vec<Vec<u8>>,
}

/// `tensorflow.TensorShapeProto`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorShape {
    /// Its dimensions.
    #[prost(message, repeated, tag = "2")]
    pub dim: Vec<TensorDim>,
}

/// `TensorShapeProto.Dim`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct TensorDim {
    /// The dimension's size.
    #[prost(int64, tag = "1")]
    pub size: i64,
}

/// The HParams plugin's data (`tensorboard.hparams.HParamsPluginData`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamsPluginData {
    /// The schema's version (0).
    #[prost(int32, tag = "1")]
    pub version: i32,
    /// Which of its messages this is.
    #[prost(oneof = "HParamsData", tags = "2, 3, 4")]
    pub data: Option<HParamsData>,
}

/// `HParamsPluginData.data`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum HParamsData {
    /// What the experiment's hyperparameters and metrics are.
    #[prost(message, tag = "2")]
    Experiment(Experiment),
    /// One session's (run's) hyperparameter values.
    #[prost(message, tag = "3")]
    SessionStartInfo(SessionStartInfo),
    /// How the session ended.
    #[prost(message, tag = "4")]
    SessionEndInfo(SessionEndInfo),
}

/// `tensorboard.hparams.Experiment`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Experiment {
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "3")]
    pub time_created_secs: f64,
    /// The hyperparameters.
    #[prost(message, repeated, tag = "4")]
    pub hparam_infos: Vec<HParamInfo>,
    /// The metrics (scalar tags) that judge a session.
    #[prost(message, repeated, tag = "5")]
    pub metric_infos: Vec<MetricInfo>,
}

/// `tensorboard.hparams.DataType`: a string.
pub const DATA_TYPE_STRING: i32 = 1;
/// `DataType`: a boolean.
pub const DATA_TYPE_BOOL: i32 = 2;
/// `DataType`: a number.
pub const DATA_TYPE_FLOAT64: i32 = 3;

/// `tensorboard.hparams.HParamInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct HParamInfo {
    /// The hyperparameter's name.
    #[prost(string, tag = "1")]
    pub name: String,
    /// Help shown with it.
    #[prost(string, tag = "3")]
    pub description: String,
    /// Its type ([`DATA_TYPE_STRING`], …).
    #[prost(int32, tag = "4")]
    pub r#type: i32,
}

/// `tensorboard.hparams.MetricInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricInfo {
    /// The metric's scalar tag.
    #[prost(message, optional, tag = "1")]
    pub name: Option<MetricName>,
}

/// `tensorboard.hparams.MetricName`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct MetricName {
    /// The sub-folder of the session's folder holding the scalar (empty: the folder).
    #[prost(string, tag = "1")]
    pub group: String,
    /// The scalar's tag.
    #[prost(string, tag = "2")]
    pub tag: String,
}

/// `tensorboard.hparams.SessionStartInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionStartInfo {
    /// Each hyperparameter's value.
    #[prost(btree_map = "string, message", tag = "1")]
    pub hparams: BTreeMap<String, ProtoValue>,
    /// Groups sessions with the same hyperparameters (empty: the session alone).
    #[prost(string, tag = "4")]
    pub group_name: String,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "5")]
    pub start_time_secs: f64,
}

/// `tensorboard.hparams.Status`: unknown (stopped, interrupted).
pub const STATUS_UNKNOWN: i32 = 0;
/// `Status`: finished.
pub const STATUS_SUCCESS: i32 = 1;
/// `Status`: failed.
pub const STATUS_FAILURE: i32 = 2;
/// `Status`: still running.
pub const STATUS_RUNNING: i32 = 3;

/// `tensorboard.hparams.SessionEndInfo`.
#[derive(Clone, PartialEq, prost::Message)]
pub struct SessionEndInfo {
    /// How it ended ([`STATUS_SUCCESS`], …).
    #[prost(int32, tag = "1")]
    pub status: i32,
    /// Seconds since the Unix epoch.
    #[prost(double, tag = "2")]
    pub end_time_secs: f64,
}

/// A number, string or boolean (`google.protobuf.Value`).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ProtoValue {
    /// Which.
    #[prost(oneof = "Kind", tags = "2, 3, 4")]
    pub kind: Option<Kind>,
}

/// `google.protobuf.Value.kind`.
#[derive(Clone, PartialEq, prost::Oneof)]
pub enum Kind {
    /// A number.
    #[prost(double, tag = "2")]
    NumberValue(f64),
    /// A string.
    #[prost(string, tag = "3")]
    StringValue(String),
    /// A boolean.
    #[prost(bool, tag = "4")]
    BoolValue(bool),
}
