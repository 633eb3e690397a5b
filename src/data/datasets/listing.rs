//! `data list`: every dataset known by name and every folder of one's own under the
//! data folder, with where its files are (or would go) and how many are there.

use super::classes_file::CLASSES_FILES;
use super::{DATASETS, DataFile, DatasetName, Source};
use std::path::{Path, PathBuf};

/// One dataset as `data list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Listed {
    /// The name `--dataset` takes (a folder of one's own: its folder's name).
    pub name: String,
    /// How it is titled.
    pub title: String,
    /// Its number of classes (`None`: a folder of one's own whose classes file could
    /// not be read).
    pub classes: Option<usize>,
    /// Where its files are, or where `data fetch` (or the user) would put them.
    pub dir: PathBuf,
    /// How many of its four files are there (raw or `.gz`; not checked: `data verify`
    /// checks them).
    pub present: usize,
    /// Whether it is a folder of one's own rather than a dataset known by name.
    pub own: bool,
    /// Whether `data fetch` can download it (it has mirrors).
    pub fetchable: bool,
    /// What is wrong with a folder of one's own that cannot be read.
    pub problem: Option<String>,
}

/// The datasets known by name, in catalogue order, then the folders of one's own under
/// `root` (subfolders holding a classes file), by name.
pub fn list(root: &Path) -> Vec<Listed> {
    let known = DATASETS.iter().map(|spec| {
        let source = Source::of_spec(root, spec);
        Listed {
            present: present(&source.files, &source.dir),
            dir: source.fetch_dir,
            name: spec.name.to_string(),
            title: spec.title.to_string(),
            classes: Some(spec.classes.len()),
            own: false,
            fetchable: !spec.mirrors.is_empty(),
            problem: None,
        }
    });
    known
        .chain(own_folders(root).into_iter().map(|name| {
            let dir = root.join(&name);
            let parsed: Result<DatasetName, String> = name.parse();
            let source = parsed
                .map_err(|e| e.to_string())
                .and_then(|n| Source::resolve(root, &n).map_err(|e| e.to_string()));
            match source {
                Ok(source) => Listed {
                    name,
                    title: source.title.clone(),
                    classes: Some(source.classes.len()),
                    present: present(&source.files, &source.dir),
                    dir: source.dir,
                    own: true,
                    fetchable: false,
                    problem: None,
                },
                Err(problem) => Listed {
                    title: name.clone(),
                    name,
                    classes: None,
                    present: 0,
                    dir,
                    own: true,
                    fetchable: false,
                    problem: Some(problem),
                },
            }
        }))
        .collect()
}

/// How many of `files` are in `dir`.
fn present(files: &[DataFile], dir: &Path) -> usize {
    files.iter().filter(|f| f.locate(dir).is_some()).count()
}

/// The names of the subfolders of `root` that hold a classes file, sorted; hidden
/// folders and the folders of datasets known by name are left out.
fn own_folders(root: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(root) else {
        return Vec::new();
    };
    let known = |name: &str| {
        DATASETS
            .iter()
            .any(|d| d.name == name || d.folders.contains(&name))
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        // A name that reads as a path (hidden, or with a backslash) would resolve
        // elsewhere than under `root`.
        .filter(|n| n.parse::<DatasetName>().is_ok_and(|d| !d.is_path()) && !known(n))
        .filter(|n| CLASSES_FILES.iter().any(|c| root.join(n).join(c).is_file()))
        .collect();
    names.sort();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn lists_the_known_datasets_and_the_folders_of_ones_own() {
        let root = tempfile::tempdir().unwrap();
        let r = root.path();
        fs::write(r.join("train-images-idx3-ubyte.gz"), b"x").unwrap();
        fs::create_dir(r.join("shapes")).unwrap();
        fs::write(r.join("shapes/classes.txt"), "circle\nsquare\n").unwrap();
        fs::write(r.join("shapes/t10k-labels-idx1-ubyte"), b"x").unwrap();
        fs::create_dir(r.join("broken")).unwrap();
        fs::write(r.join("broken/classes.ron"), "(nope").unwrap();
        fs::create_dir(r.join("no-classes")).unwrap();
        fs::create_dir(r.join("emnist")).unwrap();
        fs::write(r.join("emnist/classes.txt"), "a\n").unwrap();

        let listed = list(r);
        let names: Vec<&str> = listed.iter().map(|l| l.name.as_str()).collect();
        let mut want: Vec<&str> = DATASETS.iter().map(|d| d.name).collect();
        want.extend(["broken", "shapes"]);
        assert_eq!(names, want);

        let mnist = &listed[0];
        assert_eq!((mnist.present, mnist.dir.as_path()), (1, r));
        assert!(mnist.fetchable);
        let fashion = listed.iter().find(|l| l.name == "fashion-mnist").unwrap();
        assert_eq!(fashion.dir, r.join("fashion-mnist"));
        assert_eq!((fashion.present, fashion.classes), (0, Some(10)));
        let letters = listed.iter().find(|l| l.name == "emnist-letters").unwrap();
        assert!(!letters.fetchable);
        assert_eq!(letters.classes, Some(26));

        let shapes = listed.iter().find(|l| l.name == "shapes").unwrap();
        assert!(shapes.own);
        assert_eq!((shapes.classes, shapes.present), (Some(2), 1));
        let broken = listed.iter().find(|l| l.name == "broken").unwrap();
        assert_eq!(broken.classes, None);
        assert!(broken.problem.as_deref().unwrap().contains("classes.ron"));
    }

    #[test]
    fn a_missing_data_folder_lists_the_known_datasets_only() {
        let root = tempfile::tempdir().unwrap();
        let listed = list(&root.path().join("nope"));
        assert_eq!(listed.len(), DATASETS.len());
        assert!(listed.iter().all(|l| l.present == 0));
    }
}
