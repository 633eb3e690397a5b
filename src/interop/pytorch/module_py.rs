//! `model.py`: the PyTorch `nn.Module` equivalent to an exported network, generated
//! from its layers. It takes images as torchvision's `ToTensor()` gives them
//! (`N×1×28×28`, values 0–1) and standardises them inside `forward`, as the ONNX
//! graph does; its attribute names are the state dict's.

use std::fmt::Write;

use crate::model::{Layer, Preset, Shape, TorchLayer};

use super::super::exported::ExportedModel;

/// Python's spelling of a (finite) float, the shortest that reads back to it, always
/// with a decimal point or an exponent.
fn py_float(v: impl std::fmt::Debug) -> String {
    let s = format!("{v:?}");
    if s.contains(['.', 'e', 'E']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A Python string literal (the class names may hold any character).
fn py_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "''".into())
}

/// The constructor line of a parameterised layer's module.
fn module_line(l: &TorchLayer) -> Option<String> {
    let name = l.module.as_ref()?;
    let module = match (&l.layer, l.input) {
        (
            &Layer::Conv {
                out,
                kernel,
                stride,
                pad,
            },
            Shape::Map { c, .. },
        ) => format!("nn.Conv2d({c}, {out}, {kernel}, stride={stride}, padding={pad})"),
        (Layer::Dense(_), input) => format!("nn.Linear({}, {})", input.len(), l.output.len()),
        (Layer::BatchNorm, Shape::Map { c, .. }) => format!("nn.BatchNorm2d({c})"),
        (Layer::BatchNorm, Shape::Flat(n)) => format!("nn.BatchNorm1d({n})"),
        _ => return None,
    };
    Some(format!("        self.{name} = {module}\n"))
}

/// The statement of `forward` that applies layer `l` to `x`.
fn forward_line(l: &TorchLayer) -> String {
    let expr = match (&l.layer, &l.module) {
        (_, Some(name)) => format!("self.{name}(x)"),
        (Layer::MaxPool(k), _) => format!("F.max_pool2d(x, {k})"),
        (Layer::AvgPool(k), _) => format!("F.avg_pool2d(x, {k})"),
        (Layer::GlobalAvgPool, _) => "F.adaptive_avg_pool2d(x, 1).flatten(1)".into(),
        (Layer::Flatten, _) => "torch.flatten(x, 1)".into(),
        (Layer::Relu, _) => "F.relu(x)".into(),
        (Layer::LeakyRelu(s), _) => format!("F.leaky_relu(x, {})", py_float(*s)),
        (Layer::Tanh, _) => "torch.tanh(x)".into(),
        (Layer::Sigmoid, _) => "torch.sigmoid(x)".into(),
        (Layer::Gelu, _) => "F.gelu(x)".into(),
        (Layer::Dropout(p), _) => format!("F.dropout(x, {}, self.training)", py_float(*p)),
        // Parameterised layers always have a module name.
        (Layer::Dense(_) | Layer::Conv { .. } | Layer::BatchNorm, None) => "x".into(),
    };
    format!("        x = {expr}  # {}\n", l.layer)
}

/// The source of `model.py` for `model`, whose weights are in `weights_file`.
pub fn module_source(model: &ExportedModel, weights_file: &str, version: &str) -> String {
    let net = &model.network;
    let layers = net.torch_layers();
    let mut s = String::new();
    let _ = write!(
        s,
        r#""""{name} from mnist-tui run {run} (exported by mnist-tui {version}).

Layers: {text}

    import safetensors.torch
    from model import Net
    net = Net()
    net.load_state_dict(safetensors.torch.load_file({file}))
    net.eval()
    logits = net(images)  # N×1×28×28 floats 0–1, as torchvision's ToTensor() gives them
    names = [CLASSES[i] for i in logits.argmax(1)]
"""
import torch
import torch.nn as nn
import torch.nn.functional as F

CLASSES = [{classes}]
"#,
        name = net.name(),
        run = model.run_id,
        text = net.def().layers,
        file = py_str(weights_file),
        classes = model
            .classes
            .iter()
            .map(|c| py_str(c))
            .collect::<Vec<_>>()
            .join(", "),
    );
    match model.norm {
        Some(n) => {
            let _ = writeln!(
                s,
                "# The training images' standardisation, applied inside forward.\nMEAN = {}\nSTD = {}",
                py_float(n.mean),
                py_float(n.std)
            );
        }
        None => s.push_str("# Trained on images scaled to 0-1 only (no standardisation).\n"),
    }
    s.push_str("\n\nclass Net(nn.Module):\n    def __init__(self):\n        super().__init__()\n");
    for l in &layers {
        if let Some(line) = module_line(l) {
            s.push_str(&line);
        }
    }
    s.push_str("\n    def forward(self, x):\n");
    if model.norm.is_some() {
        s.push_str("        x = (x - MEAN) / STD\n");
    }
    for l in &layers {
        s.push_str(&forward_line(l));
    }
    s.push_str("        return x\n");
    if Preset::named(net.name().as_str()) == Some(Preset::TutorialMlp) {
        s.push_str("\n\n# The tutorial calls its module Model.\nModel = Net\n");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Norm;
    use crate::model::Network;

    fn exported(preset: Preset, norm: Option<Norm>) -> ExportedModel {
        ExportedModel {
            network: Network::preset(preset, 1),
            norm,
            classes: (0..10).map(|c| c.to_string()).collect(),
            run_id: "run-1".into(),
        }
    }

    #[test]
    fn the_tutorial_mlp_is_the_tutorials_module() {
        let src = module_source(
            &exported(Preset::TutorialMlp, None),
            "model.safetensors",
            "0.1",
        );
        for line in [
            "        self.linear1 = nn.Linear(784, 256)\n",
            "        self.linear2 = nn.Linear(256, 64)\n",
            "        self.linear3 = nn.Linear(64, 10)\n",
            "        x = torch.flatten(x, 1)  # Flatten\n",
            "        x = self.linear3(x)  # Dense(classes)\n        x = F.relu(x)  # Relu\n        return x\n",
            "Model = Net\n",
        ] {
            assert!(src.contains(line), "{line:?} not in:\n{src}");
        }
        assert!(!src.contains("MEAN"), "{src}");
    }

    #[test]
    fn standardisation_and_conv_layers_are_written_as_pytorch_spells_them() {
        let src = module_source(
            &exported(Preset::Cnn, Some(Norm::MNIST)),
            "w.safetensors",
            "0.1",
        );
        for line in [
            "MEAN = 0.1307",
            "STD = 0.3081",
            "        x = (x - MEAN) / STD\n",
            "nn.Conv2d(1, 32, 3, stride=1, padding=1)",
            "F.max_pool2d(x, 2)",
            "load_file(\"w.safetensors\")",
        ] {
            assert!(src.contains(line), "{line:?} not in:\n{src}");
        }
        assert!(!src.contains("Model = Net"));
    }

    #[test]
    fn python_literals() {
        assert_eq!(py_float(0.5), "0.5");
        assert_eq!(py_float(2.0), "2.0");
        assert_eq!(py_float(1e-7), "1e-7");
        assert_eq!(py_str("T-shirt/top \"x\""), r#""T-shirt/top \"x\"""#);
    }
}
