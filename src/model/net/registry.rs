//! The networks this process knows by name: the presets, then the ones `config.ron`,
//! a `--network` file or the dashboard's editor define. A run never depends on this
//! list once it exists: its record holds its layers.

use std::path::PathBuf;
use std::sync::{LazyLock, RwLock};

use super::layer::Layers;
use super::name::ModelName;
use super::plan::{self, Plan, PlanError};
use super::presets::Preset;
use crate::model::DIGIT_CLASSES;

/// A network: its name and its layers.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkDef {
    /// What it is called.
    pub name: ModelName,
    /// What it is.
    pub layers: Layers,
}

impl NetworkDef {
    /// The preset's definition.
    pub fn preset(preset: Preset) -> Self {
        NetworkDef {
            name: preset.model_name(),
            layers: preset.layers(),
        }
    }

    /// The network planned for the ten digit classes (listings and summaries).
    pub(crate) fn plan(&self) -> Result<Plan, NetworkError> {
        self.plan_for(DIGIT_CLASSES)
    }

    /// The network planned for `classes` outputs, or the error naming the network
    /// and the layer at fault.
    pub(crate) fn plan_for(&self, classes: usize) -> Result<Plan, NetworkError> {
        plan::plan(&self.layers, classes).map_err(|source| NetworkError {
            name: self.name.clone(),
            source,
        })
    }

    /// Checks that the layers make a network (shapes chain, it ends in one output per
    /// class, it fits in a run file).
    pub fn check(&self) -> Result<(), NetworkError> {
        self.plan().map(|_| ())
    }

    /// [`NetworkDef::check`] for a dataset of `classes` classes.
    pub fn check_for(&self, classes: usize) -> Result<(), NetworkError> {
        self.plan_for(classes).map(|_| ())
    }

    /// One line saying what it is: a preset's description, else its size and kind of
    /// layers (`own network: 2 conv, 2 dense; 421,642 params`).
    pub fn description(&self) -> String {
        if let Some(p) = self.as_preset() {
            return p.description().to_string();
        }
        let Ok(plan) = self.plan() else {
            return format!("{} layers (not a network as written)", self.layers.len());
        };
        let count =
            |f: fn(&super::layer::Layer) -> bool| self.layers.iter().filter(|l| f(l)).count();
        let convs = count(|l| matches!(l, super::layer::Layer::Conv { .. }));
        let dense = count(|l| matches!(l, super::layer::Layer::Dense(_)));
        let params: usize = plan.rows.iter().map(|r| r.params).sum();
        let mut kinds = Vec::new();
        if convs > 0 {
            kinds.push(format!("{convs} conv"));
        }
        kinds.push(format!("{dense} dense"));
        format!(
            "own network: {}; {} params",
            kinds.join(", "),
            crate::format::thousands(params as u64)
        )
    }

    /// The preset this is, if it is one exactly (name and layers).
    pub fn as_preset(&self) -> Option<Preset> {
        Preset::named(self.name.as_str()).filter(|p| p.layers() == self.layers)
    }
}

/// A network that is not one: its name, and which layer is wrong and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("network '{name}': {source}")]
pub struct NetworkError {
    /// The network's name.
    pub name: ModelName,
    /// What is wrong.
    pub source: PlanError,
}

/// Where a known network was defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Built in.
    Preset,
    /// `config.ron`'s `networks` (or another networks file), this file.
    File(PathBuf),
    /// Typed into the dashboard and not saved.
    Unsaved,
}

/// A known network and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownNetwork {
    /// The network.
    pub def: NetworkDef,
    /// Where it was defined.
    pub origin: Origin,
}

static KNOWN: LazyLock<RwLock<Vec<KnownNetwork>>> = LazyLock::new(|| {
    RwLock::new(
        Preset::ALL
            .into_iter()
            .map(|p| KnownNetwork {
                def: NetworkDef::preset(p),
                origin: Origin::Preset,
            })
            .collect(),
    )
});

/// Every known network, presets first, then in the order they were defined.
pub fn known_networks() -> Vec<KnownNetwork> {
    KNOWN.read().unwrap_or_else(|e| e.into_inner()).clone()
}

/// The known network called `name`.
pub fn find_network(name: &str) -> Option<NetworkDef> {
    KNOWN
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .iter()
        .find(|k| k.def.name == name)
        .map(|k| k.def.clone())
}

/// The known network called `name`, or an error listing the names there are.
pub fn network_named(name: &str) -> Result<NetworkDef, String> {
    find_network(name).ok_or_else(|| {
        let names: Vec<String> = known_networks()
            .into_iter()
            .map(|k| k.def.name.to_string())
            .collect();
        format!(
            "unknown model '{name}' (the networks are: {}; define others in config.ron's \
             `networks`)",
            names.join(", ")
        )
    })
}

/// Adds `def` to the known networks (or replaces the one of that name, unless it is
/// a preset), after checking it.
pub fn define_network(def: NetworkDef, origin: Origin) -> Result<(), NetworkError> {
    if Preset::named(def.name.as_str()).is_some() {
        return Err(NetworkError {
            name: def.name,
            source: PlanError {
                layer: None,
                problem: "is a built-in network's name; choose another".into(),
            },
        });
    }
    def.check()?;
    let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
    let entry = KnownNetwork { def, origin };
    match known.iter_mut().find(|k| k.def.name == entry.def.name) {
        Some(k) => *k = entry,
        None => known.push(entry),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_known_and_cannot_be_redefined() {
        let mlp = network_named("mlp").unwrap();
        assert_eq!(mlp.as_preset(), Some(Preset::Mlp));
        let e = define_network(mlp.clone(), Origin::Unsaved).unwrap_err();
        assert!(e.to_string().contains("built-in"), "{e}");
        let e = network_named("resnet-registry-test").unwrap_err();
        assert!(e.contains("mlp, lenet, cnn") || e.contains("mlp"), "{e}");
    }

    #[test]
    fn a_defined_network_is_found_and_a_bad_one_is_refused() {
        let def = NetworkDef {
            name: "registry-test-net".parse().unwrap(),
            layers: "Flatten, Dense(32), Relu, Dense(classes)".parse().unwrap(),
        };
        define_network(def.clone(), Origin::Unsaved).unwrap();
        assert_eq!(find_network("registry-test-net"), Some(def));
        assert_eq!(find_network("registry-test-net").unwrap().as_preset(), None);
        let bad = NetworkDef {
            name: "registry-test-bad".parse().unwrap(),
            layers: "Dense(32), Relu, Dense(classes)".parse().unwrap(),
        };
        let e = define_network(bad, Origin::Unsaved).unwrap_err();
        assert_eq!(
            e.to_string(),
            "network 'registry-test-bad': layer 1 `Dense(32)`: needs a vector of features, \
             got a 28×28×1 map: add Flatten before it"
        );
        assert_eq!(find_network("registry-test-bad"), None);
    }
}
