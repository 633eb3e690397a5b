//! The zip archive `torch.save` writes: `<prefix>/data.pkl` (the pickle),
//! `<prefix>/data/<key>` (the storages), `<prefix>/byteorder` (absent: little-endian),
//! and entries this reader does not need (`version`, `.format_version`, ...). Sizes and
//! counts are checked against [`Limits`] before anything is read.

use super::error::Problem;
use super::limits::Limits;
use super::tensor::Storages;
use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use zip::ZipArchive;
use zip::result::ZipError;

/// An opened checkpoint archive.
pub(super) struct Archive<R: Read + Seek> {
    zip: ZipArchive<R>,
    /// `<prefix>/`, the folder every entry is in.
    prefix: String,
    /// Index of `<prefix>/data.pkl`.
    pickle: usize,
    big_endian: bool,
    /// Storages read so far, by key, and their total size.
    cache: HashMap<String, Vec<u8>>,
    cached_bytes: u64,
    limits: Limits,
}

/// Opens the archive `reader` of `size` bytes and finds its pickle and byte order.
pub(super) fn open<R: Read + Seek>(
    mut reader: R,
    size: u64,
    limits: &Limits,
) -> Result<Archive<R>, Problem> {
    if size > limits.max_archive_bytes {
        return Err(Problem::TooLarge {
            size,
            max: limits.max_archive_bytes,
        });
    }
    let mut magic = [0u8; 4];
    let starts_as_zip = reader.read_exact(&mut magic).is_ok()
        && (magic == *b"PK\x03\x04" || magic == *b"PK\x05\x06");
    if !starts_as_zip {
        return Err(Problem::NotZip);
    }
    reader.seek(SeekFrom::Start(0)).map_err(Problem::Io)?;
    let zip = ZipArchive::new(reader).map_err(zip_problem)?;
    if zip.len() > limits.max_entries {
        return Err(Problem::TooManyEntries {
            count: zip.len(),
            max: limits.max_entries,
        });
    }
    let mut found: Option<(usize, String)> = None;
    for (index, raw) in zip.file_names_raw().enumerate() {
        let Ok(name) = std::str::from_utf8(raw) else {
            continue;
        };
        let Some(prefix) = name.strip_suffix("data.pkl") else {
            continue;
        };
        // `<prefix>/data.pkl` with a prefix of one folder.
        if prefix.len() < 2 || prefix.find('/') != Some(prefix.len() - 1) {
            continue;
        }
        if let Some((_, first)) = &found {
            return Err(Problem::TwoPickles(format!("{first}data.pkl"), name.into()));
        }
        found = Some((index, prefix.to_string()));
    }
    let Some((pickle, prefix)) = found else {
        return Err(Problem::NoPickle);
    };
    let mut archive = Archive {
        zip,
        prefix,
        pickle,
        big_endian: false,
        cache: HashMap::new(),
        cached_bytes: 0,
        limits: *limits,
    };
    archive.big_endian = archive.read_byte_order()?;
    Ok(archive)
}

fn zip_problem(e: ZipError) -> Problem {
    match e {
        ZipError::Io(e) => Problem::BadZip(e.to_string()),
        other => Problem::BadZip(other.to_string()),
    }
}

impl<R: Read + Seek> Archive<R> {
    /// The pickle's entry name (`<prefix>/data.pkl`), for messages.
    pub(super) fn pickle_name(&self) -> String {
        format!("{}data.pkl", self.prefix)
    }

    /// The bytes of `<prefix>/data.pkl`.
    pub(super) fn read_pickle(&mut self) -> Result<Vec<u8>, Problem> {
        let (name, max) = (self.pickle_name(), self.limits.max_pickle_bytes);
        self.read_entry(self.pickle, &name, |size| {
            if size > max {
                return Err(Problem::EntryTooLarge {
                    entry: name.clone(),
                    size,
                    max,
                });
            }
            Ok(())
        })
    }

    /// `<prefix>/byteorder`: true for "big"; absent means little-endian.
    fn read_byte_order(&mut self) -> Result<bool, Problem> {
        let name = format!("{}byteorder", self.prefix);
        let Some(index) = self.zip.index_for_name(&name) else {
            return Ok(false);
        };
        let bytes = self.read_entry(index, &name, |size| {
            if size > 16 {
                return Err(Problem::EntryTooLarge {
                    entry: name.clone(),
                    size,
                    max: 16,
                });
            }
            Ok(())
        })?;
        match String::from_utf8_lossy(&bytes).trim() {
            "little" => Ok(false),
            "big" => Ok(true),
            other => Err(Problem::ByteOrder {
                entry: name.clone(),
                found: other.into(),
            }),
        }
    }

    /// Reads entry `index` whole, after `check` accepts its declared size; the bytes
    /// read must be exactly that many.
    fn read_entry(
        &mut self,
        index: usize,
        name: &str,
        check: impl FnOnce(u64) -> Result<(), Problem>,
    ) -> Result<Vec<u8>, Problem> {
        let bad = |reason: String| Problem::BadEntry {
            entry: name.to_string(),
            reason,
        };
        let file = self.zip.by_index(index).map_err(|e| bad(e.to_string()))?;
        let size = file.size();
        check(size)?;
        let capacity = usize::try_from(size).map_err(|_| bad("too large".into()))?;
        let mut bytes = Vec::with_capacity(capacity);
        file.take(size.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| bad(e.to_string()))?;
        if bytes.len() as u64 != size {
            return Err(bad(format!(
                "it holds {} bytes where its header says {size}",
                bytes.len()
            )));
        }
        Ok(bytes)
    }
}

impl<R: Read + Seek> Storages for Archive<R> {
    fn storage(&mut self, key: &str, len: u64) -> Result<Option<&[u8]>, String> {
        if !self.cache.contains_key(key) {
            let name = format!("{}data/{key}", self.prefix);
            let Some(index) = self.zip.index_for_name(&name) else {
                return Ok(None);
            };
            let max = self.limits.max_storage_bytes;
            let room = max.saturating_sub(self.cached_bytes);
            let bytes = self
                .read_entry(index, &name, |size| {
                    if size != len {
                        return Err(Problem::BadEntry {
                            entry: name.clone(),
                            reason: format!("the archive's entry holds {size} bytes"),
                        });
                    }
                    if size > room {
                        return Err(Problem::BadEntry {
                            entry: name.clone(),
                            reason: format!(
                                "the storages read would hold more than the {max} bytes allowed"
                            ),
                        });
                    }
                    Ok(())
                })
                .map_err(|p| match p {
                    Problem::BadEntry { reason, .. } => reason,
                    other => other.to_string(),
                })?;
            self.cached_bytes = self.cached_bytes.saturating_add(len);
            self.cache.insert(key.to_string(), bytes);
        }
        match self.cache.get(key) {
            Some(bytes) if bytes.len() as u64 == len => Ok(Some(bytes)),
            Some(bytes) => Err(format!("the archive's entry holds {} bytes", bytes.len())),
            None => Ok(None),
        }
    }

    fn big_endian(&self) -> bool {
        self.big_endian
    }
}
