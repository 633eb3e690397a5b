//! The network language: a network is a list of [`Layer`]s, written the way PyTorch
//! and Keras users think (`Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2),
//! Flatten, Dense(128), Relu, Dense(classes)`). The text is RON, so the same list
//! reads from `config.ron`, from a `--layers` flag, from a networks file and from the
//! dashboard's editor, and a syntax error keeps its line and column. Shapes are
//! checked when a list is planned ([`super::plan`]), not here.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// One layer. Each has its PyTorch defaults where PyTorch has one (a convolution's
/// stride 1 and padding 0; a pool's stride equal to its window).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Layer {
    /// Fully connected layer `x·W + b` (`nn.Linear`) with this many outputs.
    Dense(Width),
    /// 2-D convolution plus bias (`nn.Conv2d`): `out` kernels of `kernel`×`kernel`.
    Conv {
        /// Output channels.
        out: usize,
        /// Kernel size (square).
        kernel: usize,
        /// Stride (1 unless set).
        #[serde(default = "one", skip_serializing_if = "is_one")]
        stride: usize,
        /// Zero padding on every side (0 unless set).
        #[serde(default, skip_serializing_if = "is_zero")]
        pad: usize,
    },
    /// Max-pooling over `k`×`k` windows with stride `k` (`nn.MaxPool2d(k)`).
    MaxPool(usize),
    /// Average pooling over `k`×`k` windows with stride `k` (`nn.AvgPool2d(k)`).
    AvgPool(usize),
    /// The mean of each channel over the whole map (`nn.AdaptiveAvgPool2d(1)` and a
    /// flatten): a map becomes one value per channel.
    GlobalAvgPool,
    /// A feature map as one vector of features (`nn.Flatten`); needed before a Dense.
    Flatten,
    /// `max(x, 0)`.
    Relu,
    /// `x` above 0, `slope·x` below (`nn.LeakyReLU(slope)`; PyTorch's default slope
    /// is 0.01).
    LeakyRelu(f64),
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
    /// GELU in its exact (erf) form, PyTorch's default.
    Gelu,
    /// Zeroes each value with probability `p` while training and scales the rest by
    /// `1/(1−p)`; does nothing when predicting.
    Dropout(f64),
    /// Batch normalisation (`nn.BatchNorm1d` after a Dense, `nn.BatchNorm2d` on a
    /// map): whole-batch statistics while training, running ones when predicting.
    BatchNorm,
}

fn one() -> usize {
    1
}

fn is_one(v: &usize) -> bool {
    *v == 1
}

fn is_zero(v: &usize) -> bool {
    *v == 0
}

/// The width of a Dense layer: a number of units, or `classes` (the dataset's number
/// of classes, for the last layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Width {
    /// This many units.
    Units(usize),
    /// As many as the dataset has classes.
    Classes,
}

/// The word that means "the number of classes" in `Dense(classes)`.
const CLASSES_WORD: &str = "classes";

impl Serialize for Width {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Width::Units(n) => s.serialize_u64(*n as u64),
            Width::Classes => s.serialize_unit_variant("Width", 0, CLASSES_WORD),
        }
    }
}

impl<'de> Deserialize<'de> for Width {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        /// What RON may hold in `Dense(…)`: a number, a word (bare or quoted) or
        /// anything else, told apart so that the error can say what was expected.
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Units(u64),
            Word(String),
            Other(serde::de::IgnoredAny),
        }
        match Repr::deserialize(d)? {
            Repr::Units(n) if n > 0 => usize::try_from(n)
                .map(Width::Units)
                .map_err(|_| serde::de::Error::custom(format!("width {n} is too large"))),
            Repr::Word(w) if w == CLASSES_WORD => Ok(Width::Classes),
            Repr::Units(_) => Err(serde::de::Error::custom(
                "a Dense layer needs at least 1 unit",
            )),
            Repr::Word(w) => Err(serde::de::Error::custom(format!(
                "unknown width '{w}': a whole number of units, or `classes`"
            ))),
            Repr::Other(_) => Err(serde::de::Error::custom(
                "a Dense width is a whole number of units, or `classes`",
            )),
        }
    }
}

impl fmt::Display for Width {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Width::Units(n) => write!(f, "{n}"),
            Width::Classes => f.write_str(CLASSES_WORD),
        }
    }
}

impl fmt::Display for Layer {
    /// The layer as it is written (defaults left out), e.g. `Conv(out: 32, kernel: 3,
    /// pad: 1)`; it parses back to the same layer.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Layer::Dense(w) => write!(f, "Dense({w})"),
            Layer::Conv {
                out,
                kernel,
                stride,
                pad,
            } => {
                write!(f, "Conv(out: {out}, kernel: {kernel}")?;
                if *stride != 1 {
                    write!(f, ", stride: {stride}")?;
                }
                if *pad != 0 {
                    write!(f, ", pad: {pad}")?;
                }
                f.write_str(")")
            }
            Layer::MaxPool(k) => write!(f, "MaxPool({k})"),
            Layer::AvgPool(k) => write!(f, "AvgPool({k})"),
            Layer::GlobalAvgPool => f.write_str("GlobalAvgPool"),
            Layer::Flatten => f.write_str("Flatten"),
            Layer::Relu => f.write_str("Relu"),
            Layer::LeakyRelu(s) => write!(f, "LeakyRelu({})", float(*s)),
            Layer::Tanh => f.write_str("Tanh"),
            Layer::Sigmoid => f.write_str("Sigmoid"),
            Layer::Gelu => f.write_str("Gelu"),
            Layer::Dropout(p) => write!(f, "Dropout({})", float(*p)),
            Layer::BatchNorm => f.write_str("BatchNorm"),
        }
    }
}

/// A float as RON reads it back (`0.5`, `1.0`, `1e-5`): always with a point or an
/// exponent, so it never reads as an integer.
fn float(v: f64) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E']) || !v.is_finite() {
        s
    } else {
        format!("{s}.0")
    }
}

/// Every layer kind as it is written, for help texts and "unknown layer" errors.
pub const LAYER_KINDS: &[&str] = &[
    "Dense(N | classes)",
    "Conv(out: N, kernel: K, stride: S, pad: P)",
    "MaxPool(K)",
    "AvgPool(K)",
    "GlobalAvgPool",
    "Flatten",
    "Relu",
    "LeakyRelu(SLOPE)",
    "Tanh",
    "Sigmoid",
    "Gelu",
    "Dropout(P)",
    "BatchNorm",
];

/// A network's layers, in order. Written as a comma-separated list, with or without
/// the brackets of a RON list.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Layers(pub Vec<Layer>);

impl Layers {
    /// The layers.
    pub fn iter(&self) -> std::slice::Iter<'_, Layer> {
        self.0.iter()
    }

    /// Number of layers.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Display for Layers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, l) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{l}")?;
        }
        Ok(())
    }
}

/// Why a layer list's text does not read: the message and, when RON knows it, the
/// line and column (1-based, in the text as given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{message}", at.map(|(l, c)| format!("line {l}, column {c}: ")).unwrap_or_default())]
pub struct LayersSyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where, if known.
    pub at: Option<(usize, usize)>,
}

impl FromStr for Layers {
    type Err = LayersSyntaxError;

    /// Reads `Flatten, Dense(64), Relu, Dense(classes)` or the same in brackets. An
    /// unknown layer's error lists the kinds there are.
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let bracketed = trimmed.starts_with('[');
        // Without brackets the text is wrapped in a pair: positions on its first line
        // move one column, which the error takes back.
        let wrapped;
        let source = if bracketed {
            text
        } else {
            wrapped = format!("[{text}]");
            &wrapped
        };
        ron::from_str::<Vec<Layer>>(source)
            .map(Layers)
            .map_err(|e| {
                let (line, mut col) = (e.span.start.line, e.span.start.col);
                if !bracketed && line == 1 {
                    col = col.saturating_sub(1).max(1);
                }
                let mut message = e.code.to_string();
                if matches!(e.code, ron::error::Error::NoSuchEnumVariant { .. }) {
                    message = format!("{message}; the layers are: {}", LAYER_KINDS.join(", "));
                }
                LayersSyntaxError {
                    message,
                    at: Some((line, col)),
                }
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issues_example_reads_and_prints_back() {
        let text = "Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), \
                    Conv(out: 64, kernel: 3, stride: 2), Relu, MaxPool(2), \
                    Flatten, Dropout(0.25), Dense(256), LeakyRelu(0.01), Gelu, Tanh, \
                    Sigmoid, BatchNorm, AvgPool(3), GlobalAvgPool, Dense(classes)";
        let layers: Layers = text.parse().unwrap();
        assert_eq!(layers.len(), 17);
        assert_eq!(
            layers.0[0],
            Layer::Conv {
                out: 32,
                kernel: 3,
                stride: 1,
                pad: 1
            }
        );
        assert_eq!(layers.0[16], Layer::Dense(Width::Classes));
        assert_eq!(layers.to_string(), text);
        let bracketed: Layers = format!("[\n  {text},\n]").parse().unwrap();
        assert_eq!(bracketed, layers);
        // RON round trip (records).
        let ron = ron::to_string(&layers).unwrap();
        assert_eq!(ron::from_str::<Layers>(&ron).unwrap(), layers);
    }

    #[test]
    fn floats_print_so_that_they_read_back_as_floats() {
        for p in [0.5, 1e-7, 0.25, 0.1] {
            let l = Layers(vec![Layer::Dropout(p), Layer::LeakyRelu(p)]);
            assert_eq!(l.to_string().parse::<Layers>().unwrap(), l, "{l}");
        }
        assert_eq!(float(1.0), "1.0");
    }

    #[test]
    fn syntax_errors_say_where_and_what() {
        let e = "Flatten, Densee(3)".parse::<Layers>().unwrap_err();
        assert_eq!(e.at, Some((1, 10)), "{e}");
        assert!(e.message.contains("Densee"), "{e}");
        assert!(e.message.contains("GlobalAvgPool"), "lists the kinds: {e}");
        let e = "[\n  Flatten,\n  Dense(clases),\n]"
            .parse::<Layers>()
            .unwrap_err();
        assert_eq!(e.at.map(|a| a.0), Some(3), "{e}");
        assert!(e.message.contains("unknown width 'clases'"), "{e}");
        let e = "Conv(out: 3)".parse::<Layers>().unwrap_err();
        assert!(e.message.contains("kernel"), "{e}");
        for bad in ["Dense(0)", "Dense(-3)", "Dense(1.5)", "Relu Relu", ""] {
            let r = bad.parse::<Layers>();
            assert!(
                r.is_err() || r.as_ref().is_ok_and(|l| l.is_empty()),
                "{bad}: {r:?}"
            );
        }
    }
}
