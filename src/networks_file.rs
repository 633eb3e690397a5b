//! Saving a network by name into a RON file by editing its text, so that everything
//! else in the file (comments, order, formatting, other fields) stays as it was.
//!
//! Two kinds of file hold networks: `config.ron`, whose top-level struct has a
//! `networks: { "name": [layers], … }` field, and a networks file of its own, which is
//! that map alone (`{ "name": [layers], … }`). [`save_network`] replaces the value of
//! the network's entry if the map has one, else adds the entry at the end of the map,
//! else (a config without the field) adds a `networks` field at the end of the struct.
//! The file is scanned token by token (strings, raw strings, characters and `//` and
//! `/* */` comments are skipped), so braces or `//` inside a string never mislead it;
//! when it cannot tell where the entry goes, it refuses and leaves the file untouched.
//! The edited text is checked to read back as the network before it is written
//! (atomically, through [`crate::fsutil`]) and again once written.

use crate::config::CONFIG_FILE;
use crate::model::{Layers, ModelName, NetworkDef, NetworkError, PlanError, Preset};
use std::collections::BTreeMap;
use std::io;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// The name of the networks file the dashboard saves beside the config file.
pub const NETWORKS_FILE: &str = "networks.ron";

/// The largest file edited (a config file is a few KiB; `config.rs` reads no more).
const MAX_FILE_BYTES: u64 = 1 << 20;
/// A layer list that would reach past this column is written over several lines.
const WIDTH: usize = 100;
/// One level of indentation, where the file has none to copy.
const INDENT: &str = "    ";

/// The networks file beside the config file `config` (`networks.ron` in its folder).
pub fn networks_file_beside(config: &Path) -> PathBuf {
    match config.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.join(NETWORKS_FILE),
        _ => PathBuf::from(NETWORKS_FILE),
    }
}

/// Why a network was not saved.
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    /// The network cannot be saved under its name: a preset's name, or layers that do
    /// not make a network.
    #[error("{0}")]
    Network(#[from] NetworkError),
    /// The file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: io::Error,
    },
    /// The file's text gives no place for the entry (it is neither a config struct nor
    /// a networks map, its `networks` field is not a map, a string or comment is not
    /// closed…); nothing was written.
    #[error("{}: {reason}; the file is unchanged", path.display())]
    NoPlace {
        /// The file.
        path: PathBuf,
        /// What the scan found instead.
        reason: String,
    },
    /// The written file did not read back as the network; its old content (or its
    /// absence) was put back.
    #[error("{}: the saved file did not read back as the network ({reason}); it was put back as it was", path.display())]
    ReadBack {
        /// The file.
        path: PathBuf,
        /// What did not read back.
        reason: String,
    },
}

/// Saves `def` into the file at `path`, editing its text only where the entry goes
/// (see the module docs). A missing (or empty) file is created: as a config
/// (`(networks: { … })`) when it is named `config.ron`, else as a networks file (a
/// bare map). A preset's name, or layers that do not make a network, are refused.
pub fn save_network(path: &Path, def: &NetworkDef) -> Result<(), SaveError> {
    save_with(path, def, crate::fsutil::write_atomic)
}

/// [`save_network`] writing through `write` (tests give it one that fails to write
/// what it was given).
fn save_with(
    path: &Path,
    def: &NetworkDef,
    write: impl Fn(&Path, &[u8]) -> io::Result<()>,
) -> Result<(), SaveError> {
    if Preset::named(def.name.as_str()).is_some() {
        return Err(SaveError::Network(NetworkError {
            name: def.name.clone(),
            source: PlanError {
                layer: None,
                problem: "is a built-in network's name; choose another".into(),
            },
        }));
    }
    def.check()?;
    let io_error = |source| SaveError::Io {
        path: path.to_path_buf(),
        source,
    };
    let old = match read_text(path) {
        Ok(text) => Some(text),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error(e)),
    };
    let new_file = if path.file_name().is_some_and(|n| n == CONFIG_FILE) {
        NewFile::Config
    } else {
        NewFile::Networks
    };
    let no_place = |reason| SaveError::NoPlace {
        path: path.to_path_buf(),
        reason,
    };
    let text = edit(old.as_deref().unwrap_or(""), def, new_file).map_err(no_place)?;
    check_reads_back(&text, def)
        .map_err(|reason| no_place(format!("the edited text would not read back: {reason}")))?;
    write(path, text.as_bytes()).map_err(io_error)?;
    let written = read_text(path).map_err(|e| e.to_string());
    let Err(reason) = written.and_then(|t| check_reads_back(&t, def)) else {
        return Ok(());
    };
    let restored = match &old {
        Some(old) => crate::fsutil::write_atomic(path, old.as_bytes()),
        None => std::fs::remove_file(path),
    };
    match restored {
        Ok(()) => Err(SaveError::ReadBack {
            path: path.to_path_buf(),
            reason,
        }),
        Err(e) => Err(io_error(io::Error::new(
            e.kind(),
            format!("the saved file did not read back ({reason}), and putting it back failed: {e}"),
        ))),
    }
}

/// The file's text (at most [`MAX_FILE_BYTES`], UTF-8).
fn read_text(path: &Path) -> io::Result<String> {
    let bytes = crate::fsutil::read_capped(path, MAX_FILE_BYTES)?;
    String::from_utf8(bytes).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// What a file with no value yet (missing, empty, or comments only) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NewFile {
    /// A config struct with a `networks` field.
    Config,
    /// A bare networks map.
    Networks,
}

/// `text` with `def`'s entry replaced, added to the map, or added with a new
/// `networks` field; or why there is no place for it.
fn edit(text: &str, def: &NetworkDef, new_file: NewFile) -> Result<String, String> {
    let name = def.name.as_str();
    let layers = &def.layers;
    match locate(text)? {
        Place::Map(map)
        | Place::Struct {
            networks: Some(map),
            ..
        } => Ok(edit_map(text, &map, name, layers)),
        Place::Struct {
            fields,
            networks: None,
        } => Ok(add_field(text, &fields, name, layers)),
        Place::Blank => {
            let entry = |indent: &str| entry_text(indent, name, layers);
            let value = match new_file {
                NewFile::Networks => format!("{{\n{}\n}}\n", entry(INDENT)),
                NewFile::Config => format!(
                    "(\n{INDENT}networks: {{\n{}\n{INDENT}}},\n)\n",
                    entry(&INDENT.repeat(2))
                ),
            };
            let mut out = text.to_string();
            if !out.is_empty() && !out.ends_with('\n') {
                out.push('\n');
            }
            out.push_str(&value);
            Ok(out)
        }
    }
}

/// Replaces the value of every entry named `name` in `map`, or adds one at its end.
fn edit_map(text: &str, map: &Group, name: &str, layers: &Layers) -> String {
    let matching: Vec<&Entry> = map.entries.iter().filter(|e| e.key == name).collect();
    if matching.is_empty() {
        return add_entry(text, map, |indent| entry_text(indent, name, layers));
    }
    let mut out = text.to_string();
    for e in matching.iter().rev() {
        let indent = line_indent(text, e.key_start);
        let used = text[line_start(text, e.value.start)..e.value.start]
            .chars()
            .count();
        out.replace_range(e.value.clone(), &list_text(layers, indent, used));
    }
    out
}

/// Adds a `networks` field holding `name`'s entry at the end of the struct `fields`.
fn add_field(text: &str, fields: &Group, name: &str, layers: &Layers) -> String {
    // Fields separated by blank lines get one before the new field too.
    // (The first and last pieces are the brackets' own lines.)
    let lines: Vec<&str> = text[fields.open..fields.close].split('\n').collect();
    let spaced = lines.len() > 2
        && lines[1..lines.len() - 1]
            .iter()
            .any(|l| l.trim().is_empty());
    add_entry(text, fields, |indent| {
        let inner = format!("{indent}{INDENT}");
        let field = format!(
            "{indent}networks: {{\n{}\n{indent}}},",
            entry_text(&inner, name, layers)
        );
        if spaced { format!("\n{field}") } else { field }
    })
}

/// Adds the text `entry(indent)` as the last entry of `group` (a map or a struct), on
/// a line of its own, indented as the group's first entry (or one level in from the
/// group), with a comma after the entry before it if it had none.
fn add_entry(text: &str, group: &Group, entry: impl Fn(&str) -> String) -> String {
    let close_first = first_on_line(text, group.close);
    let close_indent = if close_first {
        line_indent(text, group.close)
    } else {
        line_indent(text, group.open)
    };
    let indent = match group.entries.first() {
        Some(e) if first_on_line(text, e.key_start) => line_indent(text, e.key_start).to_string(),
        _ => format!("{close_indent}{INDENT}"),
    };
    let entry = entry(&indent);
    let mut out = String::with_capacity(text.len() + entry.len() + 16);
    // Everything up to the end of the last entry, and its comma.
    let last_end = match group.entries.last() {
        Some(last) if !group.comma_after_last => {
            out.push_str(&text[..last.value.end]);
            out.push(',');
            last.value.end
        }
        _ => 0,
    };
    if close_first {
        let at = line_start(text, group.close);
        out.push_str(&text[last_end..at]);
        out.push_str(&entry);
        out.push('\n');
        out.push_str(&text[at..]);
    } else {
        out.push_str(text[last_end..group.close].trim_end());
        out.push('\n');
        out.push_str(&entry);
        out.push('\n');
        out.push_str(close_indent);
        out.push_str(&text[group.close..]);
    }
    out
}

/// `"name": [layers],` indented by `indent`.
fn entry_text(indent: &str, name: &str, layers: &Layers) -> String {
    let key = format!("\"{name}\": ");
    let used = indent.chars().count() + key.chars().count();
    format!("{indent}{key}{},", list_text(layers, indent, used))
}

/// The layer list as RON: on one line (`[Flatten, Dense(classes)]`) if it fits after
/// `used` columns, else one line per few layers, one level in from `indent`.
fn list_text(layers: &Layers, indent: &str, used: usize) -> String {
    let items: Vec<String> = layers.iter().map(|l| l.to_string()).collect();
    let one_line = format!("[{}]", items.join(", "));
    // The comma after the entry counts too.
    if used + one_line.chars().count() < WIDTH {
        return one_line;
    }
    let inner = format!("{indent}{INDENT}");
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for item in items {
        let piece = format!("{item},");
        if !line.is_empty()
            && inner.chars().count() + line.chars().count() + 1 + piece.chars().count() > WIDTH
        {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(&piece);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    let mut out = String::from("[\n");
    for l in lines {
        out.push_str(&inner);
        out.push_str(&l);
        out.push('\n');
    }
    out.push_str(indent);
    out.push(']');
    out
}

/// Checks that `text`'s networks map reads (with `ron`, as the config does) and holds
/// `def`'s layers under its name.
fn check_reads_back(text: &str, def: &NetworkDef) -> Result<(), String> {
    let map = match locate(text)? {
        Place::Map(m)
        | Place::Struct {
            networks: Some(m), ..
        } => m,
        _ => return Err("no networks map".into()),
    };
    let source = &text[map.open..=map.close];
    let networks: BTreeMap<ModelName, Layers> = ron::Options::default()
        .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
        .from_str(source)
        .map_err(|e| {
            let (line, col) = line_col(text, map.open);
            let at_line = line + e.span.start.line - 1;
            let at_col = if e.span.start.line == 1 {
                col + e.span.start.col - 1
            } else {
                e.span.start.col
            };
            format!("line {at_line}, column {at_col}: {}", e.code)
        })?;
    match networks.get(&def.name) {
        Some(layers) if *layers == def.layers => Ok(()),
        Some(layers) => Err(format!("'{}' reads as [{layers}]", def.name)),
        None => Err(format!("no entry '{}'", def.name)),
    }
}

/// Where the networks go in a file's text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Place {
    /// Nothing but comments and whitespace: the value is written after them.
    Blank,
    /// A bare networks map.
    Map(Group),
    /// A config struct: its fields, and its `networks` map if it has one.
    Struct {
        /// The struct's fields.
        fields: Group,
        /// The `networks` field's map.
        networks: Option<Group>,
    },
}

/// A map (`{ key: value, … }`) or a struct with named fields (`( name: value, … )`).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Group {
    /// Byte offset of the opening bracket.
    open: usize,
    /// Byte offset of the closing bracket.
    close: usize,
    /// The entries (fields), in order.
    entries: Vec<Entry>,
    /// Whether a comma follows the last entry.
    comma_after_last: bool,
}

/// One entry of a [`Group`].
#[derive(Debug, Clone, PartialEq, Eq)]
struct Entry {
    /// The key (a string's text, or a field's name).
    key: String,
    /// Byte offset where the key starts.
    key_start: usize,
    /// The value, from its first character to its last (comments and spaces around it
    /// left out).
    value: Range<usize>,
}

/// Finds the top-level value of `text` and, in it, the networks map.
fn locate(text: &str) -> Result<Place, String> {
    let lx = Lexer { text };
    let mut t = lx.next(0)?;
    // Attributes such as `#![enable(implicit_some)]`.
    while t.kind == Kind::Word && lx.slice(t).starts_with("#!") {
        let open = lx.next(t.end)?;
        if open.kind != Kind::Open(b'[') {
            return Err(lx.unexpected(open, "an attribute's `[`"));
        }
        t = lx.next(lx.balanced_end(open)?)?;
    }
    let place = match t.kind {
        Kind::Eof => return Ok(Place::Blank),
        Kind::Open(b'{') => Place::Map(lx.group(t.start, b'}')?),
        Kind::Open(b'(') => lx.config(t.start)?,
        // A struct written with its name: `Config( … )`.
        Kind::Word if lx.next(t.end)?.kind == Kind::Open(b'(') => {
            lx.config(lx.next(t.end)?.start)?
        }
        _ => {
            return Err(lx.unexpected(t, "a config struct `( … )` or a networks map `{ … }`"));
        }
    };
    let close = match &place {
        Place::Map(g) | Place::Struct { fields: g, .. } => g.close,
        Place::Blank => return Ok(place),
    };
    let after = lx.next(close + 1)?;
    if after.kind != Kind::Eof {
        return Err(lx.unexpected(after, "the end of the file"));
    }
    Ok(place)
}

/// A token's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `(`, `[` or `{`.
    Open(u8),
    /// `)`, `]` or `}`.
    Close(u8),
    /// `,`.
    Comma,
    /// `:`.
    Colon,
    /// A string (plain, raw or byte).
    Str,
    /// Anything else: a name, a number, a character.
    Word,
    /// The end of the text.
    Eof,
}

/// A token: its kind and its bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Reads RON text token by token, skipping whitespace and comments between tokens.
struct Lexer<'a> {
    text: &'a str,
}

impl Lexer<'_> {
    /// The token's text.
    fn slice(&self, t: Token) -> &str {
        &self.text[t.start..t.end]
    }

    /// "expected …, found … at line L, column C".
    fn unexpected(&self, t: Token, expected: &str) -> String {
        let (line, col) = line_col(self.text, t.start);
        let found = match t.kind {
            Kind::Eof => "the end of the file".to_string(),
            _ => {
                let s: String = self.slice(t).chars().take(24).collect();
                format!("`{s}`")
            }
        };
        format!("expected {expected}, found {found} at line {line}, column {col}")
    }

    /// The first token at or after byte `pos`.
    fn next(&self, mut pos: usize) -> Result<Token, String> {
        let b = self.text.as_bytes();
        loop {
            match (b.get(pos), b.get(pos + 1)) {
                (None, _) => {
                    return Ok(Token {
                        kind: Kind::Eof,
                        start: pos,
                        end: pos,
                    });
                }
                (Some(c), _) if c.is_ascii_whitespace() => pos += 1,
                (Some(b'/'), Some(b'/')) => {
                    pos = self.text[pos..].find('\n').map_or(b.len(), |i| pos + i + 1);
                }
                (Some(b'/'), Some(b'*')) => pos = self.comment_end(pos)?,
                _ => break,
            }
        }
        let c = b[pos];
        let (kind, end) = match c {
            b'(' | b'[' | b'{' => (Kind::Open(c), pos + 1),
            b')' | b']' | b'}' => (Kind::Close(c), pos + 1),
            b',' => (Kind::Comma, pos + 1),
            b':' => (Kind::Colon, pos + 1),
            b'"' => (Kind::Str, self.string_end(pos)?),
            b'\'' => (Kind::Word, self.char_end(pos)?),
            _ => match self.raw_string_end(pos)? {
                Some(end) => (Kind::Str, end),
                None => (Kind::Word, self.word_end(pos)),
            },
        };
        Ok(Token {
            kind,
            start: pos,
            end,
        })
    }

    /// The end of the `/* */` comment at `pos` (comments nest, as in RON).
    fn comment_end(&self, pos: usize) -> Result<usize, String> {
        let b = self.text.as_bytes();
        let mut depth = 0usize;
        let mut i = pos;
        while i + 1 < b.len() {
            match (b[i], b[i + 1]) {
                (b'/', b'*') => {
                    depth += 1;
                    i += 2;
                }
                (b'*', b'/') => {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        return Ok(i);
                    }
                }
                _ => i += 1,
            }
        }
        let (line, col) = line_col(self.text, pos);
        Err(format!(
            "the comment at line {line}, column {col} is not closed"
        ))
    }

    /// The end of the string whose `"` is at `pos`.
    fn string_end(&self, pos: usize) -> Result<usize, String> {
        let b = self.text.as_bytes();
        let mut i = pos + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'"' => return Ok(i + 1),
                _ => i += 1,
            }
        }
        let (line, col) = line_col(self.text, pos);
        Err(format!(
            "the string at line {line}, column {col} is not closed"
        ))
    }

    /// The end of the character literal whose `'` is at `pos`.
    fn char_end(&self, pos: usize) -> Result<usize, String> {
        let b = self.text.as_bytes();
        let mut i = pos + 1;
        while i < b.len() {
            match b[i] {
                b'\\' => i += 2,
                b'\'' => return Ok(i + 1),
                b'\n' => break,
                _ => i += 1,
            }
        }
        let (line, col) = line_col(self.text, pos);
        Err(format!(
            "the character at line {line}, column {col} is not closed"
        ))
    }

    /// The end of the raw or byte string (`r"…"`, `r#"…"#`, `b"…"`, `br#"…"#`) that
    /// starts at `pos`, if one does (`r#name`, a raw identifier, is not one).
    fn raw_string_end(&self, pos: usize) -> Result<Option<usize>, String> {
        let rest = &self.text.as_bytes()[pos..];
        let raw_at = match rest {
            [b'b', b'"', ..] => return self.string_end(pos + 1).map(Some),
            [b'b', b'r', ..] => 1,
            [b'r', ..] => 0,
            _ => return Ok(None),
        };
        let hashes = rest[raw_at + 1..]
            .iter()
            .take_while(|&&c| c == b'#')
            .count();
        if rest.get(raw_at + 1 + hashes) != Some(&b'"') {
            // `r`, `r#name` (a raw identifier), `brown`: a word.
            return Ok(None);
        }
        let body = pos + raw_at + 2 + hashes;
        let close = format!("\"{}", "#".repeat(hashes));
        match self.text[body..].find(&close) {
            Some(i) => Ok(Some(body + i + close.len())),
            None => {
                let (line, col) = line_col(self.text, pos);
                Err(format!(
                    "the raw string at line {line}, column {col} is not closed"
                ))
            }
        }
    }

    /// The end of the word (name, number) at `pos`: up to whitespace, a bracket, a
    /// separator, a quote or a comment.
    fn word_end(&self, pos: usize) -> usize {
        let b = self.text.as_bytes();
        let mut i = pos;
        while i < b.len() {
            let c = b[i];
            let comment = c == b'/' && matches!(b.get(i + 1), Some(b'/' | b'*'));
            if c.is_ascii_whitespace() || b"()[]{},:\"'".contains(&c) || comment {
                break;
            }
            i += 1;
        }
        if i == pos {
            // A lone character no token starts with: one character, as a word.
            i += self.text[pos..].chars().next().map_or(1, char::len_utf8);
        }
        i
    }

    /// The end (after its last character) of the value whose first token is `first`:
    /// brackets are followed to their match; a value ends before a `,`, `:` or closing
    /// bracket outside them.
    fn value_end(&self, first: Token) -> Result<usize, String> {
        let mut depth = 0usize;
        let mut t = first;
        let mut end = first.start;
        loop {
            match t.kind {
                Kind::Open(_) => depth += 1,
                Kind::Close(_) if depth == 0 => break,
                Kind::Close(_) => depth -= 1,
                Kind::Comma | Kind::Colon if depth == 0 => break,
                Kind::Eof => return Err(self.unexpected(t, "the rest of a value")),
                _ => {}
            }
            end = t.end;
            t = self.next(t.end)?;
        }
        if end == first.start {
            return Err(self.unexpected(first, "a value"));
        }
        Ok(end)
    }

    /// The end of the bracketed text whose opening bracket is the token `open`.
    fn balanced_end(&self, open: Token) -> Result<usize, String> {
        let mut depth = 0usize;
        let mut t = open;
        loop {
            match t.kind {
                Kind::Open(_) => depth += 1,
                Kind::Close(_) => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        return Ok(t.end);
                    }
                }
                Kind::Eof => return Err(self.unexpected(t, "a closing bracket")),
                _ => {}
            }
            t = self.next(t.end)?;
        }
    }

    /// The map or struct whose opening bracket is at `open`, closed by `close`.
    fn group(&self, open: usize, close: u8) -> Result<Group, String> {
        let mut entries = Vec::new();
        let mut comma_after_last = false;
        let mut pos = open + 1;
        loop {
            let t = self.next(pos)?;
            if t.kind == Kind::Close(close) {
                return Ok(Group {
                    open,
                    close: t.start,
                    entries,
                    comma_after_last,
                });
            }
            let key = match (t.kind, close) {
                (Kind::Str, b'}') => string_text(self.slice(t)),
                (Kind::Word, _) => self.slice(t).trim_start_matches("r#").to_string(),
                _ => {
                    let what = if close == b'}' {
                        "a network's name or `}`"
                    } else {
                        "a field's name or `)`"
                    };
                    return Err(self.unexpected(t, what));
                }
            };
            let colon = self.next(t.end)?;
            if colon.kind != Kind::Colon {
                return Err(self.unexpected(colon, "`:`"));
            }
            let first = self.next(colon.end)?;
            let end = self.value_end(first)?;
            entries.push(Entry {
                key,
                key_start: t.start,
                value: first.start..end,
            });
            let sep = self.next(end)?;
            match sep.kind {
                Kind::Comma => {
                    comma_after_last = true;
                    pos = sep.end;
                }
                Kind::Close(c) if c == close => {
                    comma_after_last = false;
                    pos = sep.start;
                }
                _ => return Err(self.unexpected(sep, "`,`")),
            }
        }
    }

    /// The config struct whose `(` is at `open`, and its `networks` map if it has one.
    fn config(&self, open: usize) -> Result<Place, String> {
        let fields = self.group(open, b')')?;
        let mut networks = None;
        for field in fields.entries.iter().filter(|f| f.key == "networks") {
            let first = self.next(field.value.start)?;
            let map = (first.kind == Kind::Open(b'{'))
                .then(|| self.group(first.start, b'}'))
                .transpose()?
                .filter(|m| m.close + 1 == field.value.end);
            match map {
                Some(m) if networks.is_none() => networks = Some(m),
                Some(_) => {
                    let (line, _) = line_col(self.text, field.key_start);
                    return Err(format!("`networks` is given twice (again at line {line})"));
                }
                None => {
                    let (line, col) = line_col(self.text, field.value.start);
                    return Err(format!(
                        "`networks` at line {line}, column {col} is not a map `{{ … }}`"
                    ));
                }
            }
        }
        Ok(Place::Struct { fields, networks })
    }
}

/// A string token's text without its quotes (escapes are kept as written: a network's
/// name needs none).
fn string_text(token: &str) -> String {
    let body = token.trim_start_matches(['b', 'r']).trim_matches('#');
    body.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(body)
        .to_string()
}

/// Byte offset of the start of the line holding byte `pos`.
fn line_start(text: &str, pos: usize) -> usize {
    text[..pos].rfind('\n').map_or(0, |i| i + 1)
}

/// The whitespace that starts the line holding byte `pos`.
fn line_indent(text: &str, pos: usize) -> &str {
    let start = line_start(text, pos);
    let line = &text[start..];
    let n = line.len() - line.trim_start_matches([' ', '\t']).len();
    &line[..n]
}

/// Whether only whitespace precedes byte `pos` on its line.
fn first_on_line(text: &str, pos: usize) -> bool {
    text[line_start(text, pos)..pos].trim().is_empty()
}

/// The 1-based line and column (in characters) of byte `pos`.
fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = &text[..pos];
    let line = before.matches('\n').count() + 1;
    let col = before[line_start(text, pos)..].chars().count() + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The part of a config the tests read back: its networks (other fields are
    /// ignored, which the real `Config` refuses).
    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct ConfigLike {
        networks: BTreeMap<String, Layers>,
        runs_dir: Option<String>,
    }

    fn parse_config(text: &str) -> ConfigLike {
        ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME)
            .from_str(text)
            .unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn parse_networks(text: &str) -> BTreeMap<String, Layers> {
        ron::from_str(text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    fn def(name: &str, layers: &str) -> NetworkDef {
        NetworkDef {
            name: name.parse().unwrap(),
            layers: layers.parse().unwrap(),
        }
    }

    const SMALL: &str = "Flatten, Dense(32), Relu, Dense(classes)";
    const WIDE: &str = "Flatten, Dense(512), Relu, Dropout(0.5), Dense(classes)";

    /// Saves `d` into a file `name` holding `text` (none: missing); returns the file's
    /// text afterwards.
    fn saved(name: &str, text: Option<&str>, d: &NetworkDef) -> Result<String, SaveError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        if let Some(t) = text {
            std::fs::write(&path, t).unwrap();
        }
        save_network(&path, d)?;
        assert!(crate::fsutil::stray_temp_files(&path).is_empty());
        Ok(std::fs::read_to_string(&path).unwrap())
    }

    const CONFIG: &str = r#"// My config: keep this comment.
(
    runs_dir: "runs", // where runs go

    /* block comment with a brace { and a quote " */
    networks: {
        // the small one
        "small": [Flatten, Dense(8), Relu, Dense(classes)],
        "other": [Flatten, Dense(classes)], // trailing comment
    },

    ui: (tick_ms: 100),
)
"#;

    #[test]
    fn an_existing_entry_has_its_value_replaced_and_nothing_else_changes() {
        let out = saved("config.ron", Some(CONFIG), &def("small", SMALL)).unwrap();
        assert_eq!(
            out,
            CONFIG.replace(
                "[Flatten, Dense(8), Relu, Dense(classes)]",
                "[Flatten, Dense(32), Relu, Dense(classes)]"
            )
        );
        let cfg = parse_config(&out);
        assert_eq!(cfg.networks["small"], SMALL.parse().unwrap());
        assert_eq!(cfg.networks.len(), 2);
        assert_eq!(cfg.runs_dir.as_deref(), Some("runs"));
        // Saving the same again changes nothing.
        let again = saved("config.ron", Some(&out), &def("small", SMALL)).unwrap();
        assert_eq!(again, out);
    }

    #[test]
    fn a_new_entry_goes_at_the_end_of_the_map() {
        let out = saved("config.ron", Some(CONFIG), &def("wide", WIDE)).unwrap();
        let added =
            "        \"wide\": [Flatten, Dense(512), Relu, Dropout(0.5), Dense(classes)],\n";
        let at = CONFIG.find("    },\n\n    ui").unwrap();
        assert_eq!(out, format!("{}{added}{}", &CONFIG[..at], &CONFIG[at..]));
        let cfg = parse_config(&out);
        assert_eq!(cfg.networks["wide"], WIDE.parse().unwrap());
        assert_eq!(cfg.networks.len(), 3);
    }

    #[test]
    fn the_last_entry_gets_the_comma_it_lacked() {
        let text = "{\n  \"a\": [Flatten, Dense(classes)] // no comma\n}\n";
        let out = saved("nets.ron", Some(text), &def("b", SMALL)).unwrap();
        assert_eq!(
            out,
            "{\n  \"a\": [Flatten, Dense(classes)], // no comma\n  \
             \"b\": [Flatten, Dense(32), Relu, Dense(classes)],\n}\n"
        );
        assert_eq!(parse_networks(&out).len(), 2);
        // A map on one line, and an empty one, open up.
        let out = saved(
            "nets.ron",
            Some("{ \"a\": [Flatten, Dense(classes)] }"),
            &def("b", SMALL),
        )
        .unwrap();
        assert_eq!(
            out,
            "{ \"a\": [Flatten, Dense(classes)],\n    \
             \"b\": [Flatten, Dense(32), Relu, Dense(classes)],\n}"
        );
        let out = saved("c.ron", Some("(\n    networks: {},\n)"), &def("b", SMALL)).unwrap();
        assert_eq!(
            out,
            "(\n    networks: {\n        \"b\": [Flatten, Dense(32), Relu, Dense(classes)],\n    },\n)"
        );
    }

    #[test]
    fn a_config_without_networks_gets_the_field_and_keeps_every_byte() {
        let shipped = include_str!("../config.ron");
        let out = saved("config.ron", Some(shipped), &def("wide", WIDE)).unwrap();
        let close = shipped.rfind(")\n").unwrap();
        assert_eq!(
            &out[..close],
            &shipped[..close],
            "everything before is kept"
        );
        assert_eq!(
            &out[close..],
            "\n    networks: {\n        \
             \"wide\": [Flatten, Dense(512), Relu, Dropout(0.5), Dense(classes)],\n    },\n)\n"
        );
        let cfg = parse_config(&out);
        assert_eq!(cfg.networks["wide"], WIDE.parse().unwrap());
        assert_eq!(cfg.runs_dir.as_deref(), Some("runs"));
        // A second network goes into the new map.
        let out = saved("config.ron", Some(&out), &def("small", SMALL)).unwrap();
        assert_eq!(parse_config(&out).networks.len(), 2);
        // The last field without a comma gets one.
        let out = saved(
            "config.ron",
            Some("(runs_dir: \"r\")"),
            &def("small", SMALL),
        )
        .unwrap();
        assert_eq!(
            out,
            "(runs_dir: \"r\",\n    networks: {\n        \
             \"small\": [Flatten, Dense(32), Relu, Dense(classes)],\n    },\n)"
        );
        assert_eq!(parse_config(&out).runs_dir.as_deref(), Some("r"));
    }

    #[test]
    fn a_missing_or_blank_file_is_created_as_its_kind() {
        let out = saved("config.ron", None, &def("small", SMALL)).unwrap();
        assert_eq!(
            out,
            "(\n    networks: {\n        \
             \"small\": [Flatten, Dense(32), Relu, Dense(classes)],\n    },\n)\n"
        );
        assert_eq!(parse_config(&out).networks.len(), 1);
        let out = saved(NETWORKS_FILE, None, &def("small", SMALL)).unwrap();
        assert_eq!(
            out,
            "{\n    \"small\": [Flatten, Dense(32), Relu, Dense(classes)],\n}\n"
        );
        assert_eq!(parse_networks(&out).len(), 1);
        // Comments only: kept, the map after them.
        let out = saved(NETWORKS_FILE, Some("// my networks"), &def("small", SMALL)).unwrap();
        assert!(out.starts_with("// my networks\n{\n"), "{out}");
        assert_eq!(parse_networks(&out).len(), 1);
        // Attributes and a named struct.
        let text = "#![enable(implicit_some)]\nConfigLike(\n    runs_dir: \"d\",\n)\n";
        let out = saved("my.ron", Some(text), &def("small", SMALL)).unwrap();
        assert!(
            out.starts_with(
                "#![enable(implicit_some)]\nConfigLike(\n    runs_dir: \"d\",\n    networks: {\n"
            ),
            "{out}"
        );
        assert_eq!(parse_config(&out).networks.len(), 1);
    }

    #[test]
    fn braces_and_slashes_in_strings_and_comments_do_not_mislead_the_scan() {
        let text = r##"(
    // networks: { "commented": [Flatten, Dense(classes)] },
    data_dir: "data/{weird}//path",
    mirrors: ["http://a/}", r#"raw " } ) string"#, "esc \" } \\"],
    /* nested /* } */ still a comment ) */
    networks: { /* } */
        "a": [Flatten, Dense(classes)], // }
    },
    ui: (keys: {start: ["}"]}),
)"##;
        let out = saved("config.ron", Some(text), &def("b", SMALL)).unwrap();
        let expected = text.replace(
            "// }\n    },",
            "// }\n        \"b\": [Flatten, Dense(32), Relu, Dense(classes)],\n    },",
        );
        assert_eq!(out, expected);
        let cfg = parse_config(&out);
        assert_eq!(cfg.networks.len(), 2);
        assert!(!cfg.networks.contains_key("commented"));
        let out = saved("config.ron", Some(text), &def("a", SMALL)).unwrap();
        assert_eq!(
            out,
            text.replace(
                "\"a\": [Flatten, Dense(classes)]",
                "\"a\": [Flatten, Dense(32), Relu, Dense(classes)]"
            )
        );
    }

    #[test]
    fn a_long_list_is_wrapped_and_reads_back() {
        let layers = "Conv(out: 32, kernel: 3, pad: 1), Relu, MaxPool(2), \
                      Conv(out: 64, kernel: 3, pad: 1), Relu, MaxPool(2), Flatten, \
                      Dropout(0.25), Dense(256), Relu, BatchNorm, Dense(classes)";
        let out = saved(NETWORKS_FILE, Some("{\n}\n"), &def("big", layers)).unwrap();
        assert!(out.lines().all(|l| l.chars().count() <= WIDTH), "{out}");
        assert!(out.lines().count() > 4, "{out}");
        assert_eq!(parse_networks(&out)["big"], layers.parse().unwrap());
        // Replacing it keeps its indentation.
        let out2 = saved(NETWORKS_FILE, Some(&out), &def("big", layers)).unwrap();
        assert_eq!(out2, out);
    }

    #[test]
    fn a_file_with_no_place_for_the_entry_is_refused_and_untouched() {
        for (text, why) in [
            ("[1, 2]", "expected a config struct"),
            ("(networks: None)", "is not a map"),
            ("(networks: {}, networks: {})", "twice"),
            ("(data_dir: \"open", "not closed"),
            ("(data_dir: \"d\") /* open", "not closed"),
            (
                "{ \"a\": [Flatten, Dense(classes)] } trailing",
                "the end of the file",
            ),
            ("(1, 2)", "expected `:`"),
            ("(\"x\": 1)", "a field's name"),
            ("{ \"a\" [Flatten] }", "`:`"),
            ("(ui: (tick_ms: 100)", "the rest of a value"),
        ] {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("config.ron");
            std::fs::write(&path, text).unwrap();
            let e = save_network(&path, &def("small", SMALL)).unwrap_err();
            assert!(matches!(e, SaveError::NoPlace { .. }), "{text}: {e}");
            assert!(e.to_string().contains(why), "{text}: {e}");
            assert!(e.to_string().contains("unchanged"), "{e}");
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
            assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        }
        // A map that does not read (a broken entry) is not written either.
        let text = "{ \"a\": [Densee(3)], }";
        let e = saved(NETWORKS_FILE, Some(text), &def("b", SMALL)).unwrap_err();
        assert!(e.to_string().contains("would not read back"), "{e}");
        assert!(e.to_string().contains("line 1, column "), "{e}");
    }

    #[test]
    fn presets_and_non_networks_are_refused() {
        let e = saved("config.ron", None, &def("mlp", SMALL)).unwrap_err();
        assert!(e.to_string().contains("built-in"), "{e}");
        let e = saved("config.ron", None, &def("bad", "Dense(3), Dense(classes)")).unwrap_err();
        assert!(matches!(e, SaveError::Network(_)), "{e}");
    }

    #[test]
    fn a_write_that_does_not_read_back_is_undone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.ron");
        std::fs::write(&path, CONFIG).unwrap();
        let garble = |p: &Path, _: &[u8]| crate::fsutil::write_atomic(p, b"(networks: {})");
        let e = save_with(&path, &def("wide", WIDE), garble).unwrap_err();
        assert!(matches!(e, SaveError::ReadBack { .. }), "{e}");
        assert!(e.to_string().contains("no entry 'wide'"), "{e}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), CONFIG);
        // A file that did not exist is removed again.
        let fresh = dir.path().join(NETWORKS_FILE);
        let e = save_with(&fresh, &def("wide", WIDE), garble).unwrap_err();
        assert!(matches!(e, SaveError::ReadBack { .. }), "{e}");
        assert!(!fresh.exists());
        // A folder that does not exist is an error, and is not created.
        let gone = dir.path().join("gone").join("config.ron");
        let e = save_network(&gone, &def("wide", WIDE)).unwrap_err();
        assert!(matches!(e, SaveError::Io { .. }), "{e}");
        assert!(!gone.parent().unwrap().exists());
    }

    #[test]
    fn the_networks_file_is_beside_the_config() {
        assert_eq!(
            networks_file_beside(Path::new("config.ron")),
            PathBuf::from("networks.ron")
        );
        assert_eq!(
            networks_file_beside(Path::new("/etc/x/my.ron")),
            PathBuf::from("/etc/x/networks.ron")
        );
    }
}
