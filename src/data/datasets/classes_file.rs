//! The classes file of a dataset of one's own: `classes.txt` (one class name per line,
//! in label order; blank lines and lines starting with `#` are skipped) or
//! `classes.ron`, which can also say how the images are stored and prepared:
//!
//! ```ron
//! (
//!     classes: ["circle", "square", "triangle"],
//!     preparation: plain,     // digit | product | plain (default: plain)
//!     transposed: false,      // stored column by column, as EMNIST's (default: false)
//!     first_label: 0,         // the label of the first class (default: 0)
//!     mean: 0.2, std: 0.3,    // normalisation (default: measured on the training images)
//! )
//! ```

use super::{Norm, Preparation};
use crate::data::DataError;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The names a classes file may have, in the order they are looked for.
pub const CLASSES_FILES: [&str; 2] = ["classes.ron", "classes.txt"];
/// The largest classes file read.
const MAX_BYTES: u64 = 64 << 10;
/// The longest class name.
pub const MAX_CLASS_NAME: usize = 64;

/// What a classes file says.
#[derive(Debug, Clone, PartialEq)]
pub struct Described {
    /// Class names in label order.
    pub classes: Vec<String>,
    /// How a user's picture is prepared.
    pub preparation: Preparation,
    /// Whether the images are stored transposed.
    pub transposed: bool,
    /// The label of the first class.
    pub first_label: u8,
    /// The normalisation, if given.
    pub norm: Option<Norm>,
}

/// `classes.ron`'s fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RonFile {
    classes: Vec<String>,
    #[serde(default)]
    preparation: Option<Preparation>,
    #[serde(default)]
    transposed: bool,
    #[serde(default)]
    first_label: u8,
    #[serde(default)]
    mean: Option<f32>,
    #[serde(default)]
    std: Option<f32>,
}

/// Reads the classes file of the folder `dir`; its absence or any fault is an error
/// naming the file.
pub fn read(dir: &Path) -> Result<Described, DataError> {
    let Some(path) = CLASSES_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
    else {
        return Err(DataError::Invalid {
            path: dir.to_path_buf(),
            problem: format!(
                "no classes file: a folder of one's own needs {} (one class name per \
                 line, in label order) or {}",
                CLASSES_FILES[1], CLASSES_FILES[0]
            ),
        });
    };
    let text = read_capped(&path)?;
    let bad = |problem: String| DataError::Invalid {
        path: path.clone(),
        problem,
    };
    let described = if path.extension().is_some_and(|e| e == "ron") {
        parse_ron(&text)
    } else {
        parse_txt(&text)
    }
    .map_err(bad)?;
    Ok(described)
}

fn read_capped(path: &PathBuf) -> Result<String, DataError> {
    use std::io::Read;
    let io = |source| DataError::Io {
        path: path.clone(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let mut bytes = Vec::new();
    file.take(MAX_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > MAX_BYTES {
        return Err(DataError::Invalid {
            path: path.clone(),
            problem: format!("larger than {} KiB: not a classes file", MAX_BYTES >> 10),
        });
    }
    String::from_utf8(bytes).map_err(|_| DataError::Invalid {
        path: path.clone(),
        problem: "not UTF-8 text".to_string(),
    })
}

/// `classes.txt`: one name per line.
pub fn parse_txt(text: &str) -> Result<Described, String> {
    let classes = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect();
    checked(Described {
        classes,
        preparation: Preparation::Plain,
        transposed: false,
        first_label: 0,
        norm: None,
    })
}

/// `classes.ron`.
pub fn parse_ron(text: &str) -> Result<Described, String> {
    let f: RonFile = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(text)
        .map_err(|e| e.to_string())?;
    let preparation = f.preparation.unwrap_or(Preparation::Plain);
    let norm = match (f.mean, f.std) {
        (None, None) => None,
        (Some(mean), Some(std)) if mean.is_finite() && std.is_finite() && std > 0.0 => {
            Some(Norm { mean, std })
        }
        (Some(_), Some(_)) => {
            return Err("mean and std must be finite numbers, std above 0".to_string());
        }
        _ => return Err("give both mean and std, or neither".to_string()),
    };
    checked(Described {
        classes: f.classes,
        preparation,
        transposed: f.transposed,
        first_label: f.first_label,
        norm,
    })
}

/// The checks every classes file passes: 2 or more unique, printable names of at most
/// [`MAX_CLASS_NAME`] characters, whose labels fit in a byte.
fn checked(d: Described) -> Result<Described, String> {
    let n = d.classes.len();
    if n < 2 {
        return Err(format!(
            "{n} class name{}: a classifier needs at least 2",
            if n == 1 { "" } else { "s" }
        ));
    }
    if usize::from(d.first_label) + n > 256 {
        return Err(format!(
            "{n} classes from label {}: labels are bytes, so at most {}",
            d.first_label,
            256 - usize::from(d.first_label)
        ));
    }
    for (i, c) in d.classes.iter().enumerate() {
        if c.trim().is_empty() || c.chars().any(char::is_control) {
            return Err(format!("class {i} has an empty or unprintable name"));
        }
        if c.chars().count() > MAX_CLASS_NAME {
            return Err(format!(
                "class {i}'s name is longer than {MAX_CLASS_NAME} characters"
            ));
        }
        if d.classes[..i].contains(c) {
            return Err(format!("class name '{c}' appears twice"));
        }
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_file_of_26_names_is_read_in_order() {
        let text: String = ('a'..='z').map(|c| format!("{c}\n")).collect();
        let d = parse_txt(&format!("# letters\n\n{text}")).unwrap();
        assert_eq!(d.classes.len(), 26);
        assert_eq!(d.classes[0], "a");
        assert_eq!(d.classes[25], "z");
        assert_eq!(d.preparation, Preparation::Plain);
        assert_eq!(d.norm, None);
    }

    #[test]
    fn a_ron_file_says_more() {
        let d = parse_ron(
            "(classes: [\"x\", \"y\"], preparation: digit, transposed: true, \
             first_label: 1, mean: 0.2, std: 0.3)",
        )
        .unwrap();
        assert_eq!(d.preparation, Preparation::Digit);
        assert!(d.transposed);
        assert_eq!(d.first_label, 1);
        assert_eq!(
            d.norm,
            Some(Norm {
                mean: 0.2,
                std: 0.3
            })
        );
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        for (text, want) in [("one\n", "at least 2"), ("a\nb\na\n", "appears twice")] {
            let e = parse_txt(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
        for (text, want) in [
            ("(classes: [\"a\", \"b\"], preparation: wavy)", "wavy"),
            ("(classes: [\"a\", \"b\"], mean: 0.1)", "both mean and std"),
            ("(classes: [\"a\", \"b\"], colour: 1)", "colour"),
            (
                "(classes: [\"a\", \"b\"], first_label: 255)",
                "labels are bytes",
            ),
        ] {
            let e = parse_ron(text).unwrap_err();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn a_folder_without_a_classes_file_says_what_it_needs() {
        let dir = tempfile::tempdir().unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("classes.txt"), "{e}");
        std::fs::write(dir.path().join("classes.txt"), [0xff, 0xfe]).unwrap();
        let e = read(dir.path()).unwrap_err().to_string();
        assert!(e.contains("classes.txt: not UTF-8"), "{e}");
    }
}
