//! A network's name: what `--model`, `config.ron`, run records and run ids call it.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The longest name (run ids embed it, and tables show it).
pub const MAX_NAME_LEN: usize = 32;

/// A network's name: 1 to [`MAX_NAME_LEN`] ASCII letters, digits, `-` and `_`,
/// starting with a letter or digit (a run id embeds it, so it is what a run id may
/// carry).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ModelName(String);

impl ModelName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Why `name` cannot name a network, if it cannot.
    pub fn check(name: &str) -> Result<(), String> {
        let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() {
            Err("a network's name cannot be empty".into())
        } else if name.len() > MAX_NAME_LEN {
            Err(format!(
                "network name '{name}' is longer than {MAX_NAME_LEN} characters"
            ))
        } else if !name.starts_with(|c: char| c.is_ascii_alphanumeric())
            || !name.chars().all(ok_char)
        {
            Err(format!(
                "network name '{name}' may hold only letters, digits, '-' and '_', \
                 starting with a letter or digit (run ids carry it)"
            ))
        } else {
            Ok(())
        }
    }
}

impl FromStr for ModelName {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::check(s)?;
        Ok(ModelName(s.to_string()))
    }
}

impl fmt::Display for ModelName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl PartialEq<str> for ModelName {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for ModelName {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl Serialize for ModelName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ModelName {
    /// A quoted name (`"wide-cnn"`) or, as records and `config.ron` wrote the built-in
    /// ones, a bare word (`cnn`, `r#tutorial-mlp`).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Repr {
            Word(String),
            Other(serde::de::IgnoredAny),
        }
        match Repr::deserialize(d)? {
            Repr::Word(w) => w.parse().map_err(serde::de::Error::custom),
            Repr::Other(_) => Err(serde::de::Error::custom("expected a network's name")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_what_a_run_id_can_carry() {
        for ok in ["mlp", "wide-cnn", "tutorial-mlp", "cnn_2", "A1"] {
            assert!(ok.parse::<ModelName>().is_ok(), "{ok}");
        }
        for bad in ["", "-x", "a b", "a/b", "..", "é", &"x".repeat(33)] {
            assert!(bad.parse::<ModelName>().is_err(), "{bad}");
        }
    }

    #[test]
    fn old_records_bare_words_and_quoted_names_read() {
        let read = |s: &str| ron::from_str::<ModelName>(s).map(|n| n.to_string());
        assert_eq!(read("mlp").unwrap(), "mlp");
        assert_eq!(read("r#tutorial-mlp").unwrap(), "tutorial-mlp");
        assert_eq!(read("\"wide-cnn\"").unwrap(), "wide-cnn");
        assert!(read("\"a/b\"").is_err());
        assert!(read("3").is_err());
        let name: ModelName = "tutorial-mlp".parse().unwrap();
        assert_eq!(ron::to_string(&name).unwrap(), "\"tutorial-mlp\"");
    }
}
