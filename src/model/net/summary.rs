//! A network's summary before it trains: each layer with its output shape,
//! parameters and cost per image, the totals, and the memory a training batch needs.

use super::plan::{LayerRow, Shape};
use super::registry::{NetworkDef, NetworkError};
use crate::format;

/// What a network is and costs.
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// The network.
    pub def: NetworkDef,
    /// One row per layer.
    pub rows: Vec<LayerRow>,
    /// Trainable parameters.
    pub params: usize,
    /// Floating-point operations to predict one image (a multiply-add counts 2).
    pub flops: u64,
}

/// Bytes of a float.
const F32: u64 = 4;

impl Summary {
    /// The summary of `def`, or why it is not a network.
    pub fn of(def: &NetworkDef) -> Result<Self, NetworkError> {
        let plan = def.plan()?;
        Ok(Summary {
            def: def.clone(),
            params: plan.rows.iter().map(|r| r.params).sum(),
            flops: plan.rows.iter().map(|r| r.flops).sum(),
            rows: plan.rows,
        })
    }

    /// An estimate of the memory one training step on `batch` images takes: every
    /// layer's output and its gradient, the images, and the weights with a gradient
    /// and two optimiser moments each (Adam's; SGD keeps fewer).
    pub fn training_bytes(&self, batch: usize) -> u64 {
        let per_image: u64 = Shape::IMAGE.len() as u64
            + self
                .rows
                .iter()
                .map(|r| 2 * r.output.len() as u64)
                .sum::<u64>();
        per_image * batch as u64 * F32 + 4 * self.params as u64 * F32
    }

    /// The summary as a table: a header, one line per layer, the totals.
    pub fn lines(&self, batch: usize) -> Vec<String> {
        let text_width = self
            .rows
            .iter()
            .map(|r| r.layer.to_string().chars().count())
            .max()
            .unwrap_or(0)
            .max(5);
        let mut out = vec![format!(
            "{:>3}  {:<text_width$}  {:>10}  {:>10}  {:>8}",
            "#", "LAYER", "OUTPUT", "PARAMS", "FLOPS"
        )];
        out.push(format!(
            "{:>3}  {:<text_width$}  {:>10}  {:>10}  {:>8}",
            "",
            "(input)",
            Shape::IMAGE.to_string(),
            "",
            ""
        ));
        for (i, r) in self.rows.iter().enumerate() {
            out.push(format!(
                "{:>3}  {:<text_width$}  {:>10}  {:>10}  {:>8}",
                i + 1,
                r.layer.to_string(),
                r.output.to_string(),
                if r.params == 0 {
                    "-".to_string()
                } else {
                    format::thousands(r.params as u64)
                },
                if r.flops == 0 {
                    "-".to_string()
                } else {
                    format::si(r.flops)
                },
            ));
        }
        out.push(format!(
            "     {:<text_width$}  {:>10}  {:>10}  {:>8}",
            "total",
            "",
            format::thousands(self.params as u64),
            format::si(self.flops)
        ));
        out.push(format!(
            "training a batch of {batch}: about {}B (outputs and their gradients, weights, \
             gradients and optimiser state)",
            format::si(self.training_bytes(batch))
        ));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    #[test]
    fn lenets_summary_has_its_layers_and_totals() {
        let s = Summary::of(&NetworkDef::preset(Preset::Lenet)).unwrap();
        assert_eq!(s.params, 61_706);
        let lines = s.lines(64);
        assert_eq!(lines.len(), 2 + 12 + 2);
        assert!(
            lines[2].contains("Conv(out: 6, kernel: 5, pad: 2)"),
            "{}",
            lines[2]
        );
        assert!(
            lines[2].contains("28×28×6") && lines[2].contains("156"),
            "{}",
            lines[2]
        );
        assert!(lines[14].contains("61,706"), "{}", lines[14]);
        assert!(
            lines[15].starts_with("training a batch of 64: about "),
            "{}",
            lines[15]
        );
        // 784 inputs + 2·(every output) floats per image, 4 bytes each, and 4 floats
        // per parameter.
        let outputs: u64 = s.rows.iter().map(|r| r.output.len() as u64).sum();
        assert_eq!(
            s.training_bytes(10),
            (784 + 2 * outputs) * 10 * 4 + 4 * 61_706 * 4
        );
    }
}
