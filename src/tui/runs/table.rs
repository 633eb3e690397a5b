//! The Runs view's table: entries (good and damaged runs), sorting, cursor, scrolling
//! and the runs marked for comparison.

use crate::runs::{RunLoadError, RunRecord};
use crate::tui::series::Series;
use std::cmp::Ordering;
use std::collections::HashMap;

/// One row: a run, or a run whose record could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum RunEntry {
    /// A readable run.
    Ok(Box<RunRecord>),
    /// A damaged run and what is wrong with it.
    Damaged(RunLoadError),
}

impl RunEntry {
    /// The run's id (its folder name).
    pub fn id(&self) -> &str {
        match self {
            RunEntry::Ok(r) => &r.id,
            RunEntry::Damaged(e) => &e.id,
        }
    }

    /// The record, if readable.
    pub fn record(&self) -> Option<&RunRecord> {
        match self {
            RunEntry::Ok(r) => Some(r),
            RunEntry::Damaged(_) => None,
        }
    }
}

/// A column the table can be sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    /// Run id.
    Id,
    /// Start time.
    Started,
    /// Architecture.
    Model,
    /// The dataset trained on.
    Dataset,
    /// Learning rate.
    Lr,
    /// Batch size.
    Batch,
    /// Epochs done.
    Epochs,
    /// Validation accuracy of the kept weights (what runs are ranked by).
    ValAcc,
    /// Test accuracy of the kept weights (reported).
    TestAcc,
    /// Training seconds.
    Duration,
    /// Status word.
    Status,
}

impl SortColumn {
    /// Every column, left to right.
    pub const ALL: [SortColumn; 11] = [
        SortColumn::Id,
        SortColumn::Started,
        SortColumn::Model,
        SortColumn::Dataset,
        SortColumn::Lr,
        SortColumn::Batch,
        SortColumn::Epochs,
        SortColumn::ValAcc,
        SortColumn::TestAcc,
        SortColumn::Duration,
        SortColumn::Status,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            SortColumn::Id => "Run",
            SortColumn::Started => "Started",
            SortColumn::Model => "Model",
            SortColumn::Dataset => "Dataset",
            SortColumn::Lr => "LR",
            SortColumn::Batch => "Batch",
            SortColumn::Epochs => "Epochs",
            SortColumn::ValAcc => "Val acc",
            SortColumn::TestAcc => "Test acc",
            SortColumn::Duration => "Time",
            SortColumn::Status => "Status",
        }
    }

    fn index(self) -> usize {
        SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0)
    }
}

/// A value to sort by.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Key {
    Num(f64),
    Text(String),
}

fn key(entry: &RunEntry, column: SortColumn) -> Option<Key> {
    let r = entry.record();
    match column {
        SortColumn::Id => Some(Key::Text(entry.id().to_string())),
        SortColumn::Started => r.map(|r| Key::Num(r.started_at.unix_timestamp() as f64)),
        SortColumn::Model => r.map(|r| Key::Text(r.config.model.to_string())),
        SortColumn::Dataset => r.map(|r| Key::Text(r.config.dataset.to_string())),
        SortColumn::Lr => r.map(|r| Key::Num(r.config.lr)),
        SortColumn::Batch => r.map(|r| Key::Num(r.config.batch_size as f64)),
        SortColumn::Epochs => r.map(|r| Key::Num(r.epochs_done() as f64)),
        SortColumn::ValAcc => r.and_then(|r| r.val_acc()).map(|v| Key::Num(v as f64)),
        SortColumn::TestAcc => r.and_then(|r| r.test_acc()).map(|v| Key::Num(v as f64)),
        SortColumn::Duration => r.map(|r| Key::Num(r.seconds())),
        SortColumn::Status => Some(Key::Text(match r {
            Some(r) => r.status.word().into(),
            None => "damaged".into(),
        })),
    }
}

/// The table of runs.
#[derive(Debug, Clone, PartialEq)]
pub struct RunsTable {
    /// Every run, in store order.
    pub entries: Vec<RunEntry>,
    /// Indices into `entries`, in display order.
    pub order: Vec<usize>,
    /// Sort column.
    pub sort: SortColumn,
    /// Whether the sort is descending.
    pub descending: bool,
    /// Cursor position in display order.
    pub cursor: usize,
    /// First row shown.
    pub offset: usize,
    /// Ids of the runs marked for comparison, in marking order (colours follow it).
    pub marked: Vec<String>,
    /// Whether the store was read at least once.
    pub loaded: bool,
    /// Why the store could not be read, if it could not.
    pub error: Option<String>,
    /// The store's best finished run with its weights on disk ([`crate::runs::best_finished`]):
    /// the Digit view's default model.
    pub best: Option<String>,
    /// Each readable run's loss curve, built once per refresh (not per frame).
    pub curves: HashMap<String, Series>,
    /// The files of the listed runs' sweeps (what their groups are built from).
    pub sweeps: crate::tui::app::SweepFiles,
}

impl Default for RunsTable {
    fn default() -> Self {
        RunsTable {
            entries: Vec::new(),
            order: Vec::new(),
            sort: SortColumn::Started,
            descending: true,
            cursor: 0,
            offset: 0,
            marked: Vec::new(),
            loaded: false,
            error: None,
            best: None,
            curves: HashMap::new(),
            sweeps: Default::default(),
        }
    }
}

impl RunsTable {
    /// Replaces the entries (a store refresh), keeping the cursor on the same run and
    /// dropping marks of runs that are gone.
    pub fn set_entries(&mut self, runs: Vec<RunRecord>, damaged: Vec<RunLoadError>) {
        let current = self.current().map(|e| e.id().to_string());
        self.entries = runs
            .into_iter()
            .map(|r| RunEntry::Ok(Box::new(r)))
            .chain(damaged.into_iter().map(RunEntry::Damaged))
            .collect();
        self.loaded = true;
        self.error = None;
        self.curves = self
            .entries
            .iter()
            .filter_map(RunEntry::record)
            .map(|r| {
                let pts = r.losses.iter().map(|p| (p.x, p.loss as f64));
                (r.id.clone(), Series::from_points(pts))
            })
            .collect();
        let ids: Vec<&str> = self.entries.iter().map(RunEntry::id).collect();
        self.marked.retain(|m| ids.contains(&m.as_str()));
        self.resort();
        if let Some(id) = current
            && let Some(pos) = self.position_of(&id)
        {
            self.cursor = pos;
        }
        self.clamp_cursor();
    }

    /// Display position of run `id`.
    pub fn position_of(&self, id: &str) -> Option<usize> {
        self.order.iter().position(|&i| self.entries[i].id() == id)
    }

    fn resort(&mut self) {
        let (column, desc) = (self.sort, self.descending);
        let mut order: Vec<usize> = (0..self.entries.len()).collect();
        order.sort_by(|&a, &b| {
            let (ea, eb) = (&self.entries[a], &self.entries[b]);
            let ord = match (key(ea, column), key(eb, column)) {
                (Some(x), Some(y)) => {
                    let o = x.partial_cmp(&y).unwrap_or(Ordering::Equal);
                    if desc { o.reverse() } else { o }
                }
                // Runs without a value go last whatever the direction.
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            };
            ord.then_with(|| ea.id().cmp(eb.id()))
        });
        self.order = order;
    }

    /// Sorts by the next column (keeping the cursor on its run).
    pub fn cycle_sort(&mut self) {
        let next = (self.sort.index() + 1) % SortColumn::ALL.len();
        self.sort_by(SortColumn::ALL[next]);
    }

    /// Sorts by `column`; choosing the current column again reverses the order.
    pub fn sort_by(&mut self, column: SortColumn) {
        if column == self.sort {
            self.descending = !self.descending;
        } else {
            self.sort = column;
            self.descending = false;
        }
        self.resort_keeping_cursor();
    }

    /// Reverses the order.
    pub fn reverse(&mut self) {
        self.descending = !self.descending;
        self.resort_keeping_cursor();
    }

    fn resort_keeping_cursor(&mut self) {
        let current = self.current().map(|e| e.id().to_string());
        self.resort();
        if let Some(pos) = current.and_then(|id| self.position_of(&id)) {
            self.cursor = pos;
        }
    }

    fn clamp_cursor(&mut self) {
        self.cursor = self.cursor.min(self.order.len().saturating_sub(1));
    }

    /// Moves the cursor by `delta` rows (clamped), keeping it within `visible` rows.
    pub fn move_by(&mut self, delta: i64, visible: usize) {
        if self.order.is_empty() {
            return;
        }
        let last = self.order.len() as i64 - 1;
        self.cursor = (self.cursor as i64 + delta).clamp(0, last) as usize;
        self.scroll_to_cursor(visible);
    }

    /// Scrolls the view by `delta` rows without moving past the ends (the wheel);
    /// the cursor follows when it would leave the view.
    pub fn scroll_by(&mut self, delta: i64, visible: usize) {
        let max_offset = self.order.len().saturating_sub(visible.max(1)) as i64;
        self.offset = (self.offset as i64 + delta).clamp(0, max_offset.max(0)) as usize;
        if self.cursor < self.offset {
            self.cursor = self.offset;
        } else if visible > 0 && self.cursor >= self.offset + visible {
            self.cursor = self.offset + visible - 1;
        }
        self.clamp_cursor();
    }

    /// Keeps the cursor inside the `visible` rows shown.
    pub fn scroll_to_cursor(&mut self, visible: usize) {
        let visible = visible.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        } else if self.cursor >= self.offset + visible {
            self.offset = self.cursor + 1 - visible;
        }
        let max_offset = self.order.len().saturating_sub(visible);
        self.offset = self.offset.min(max_offset);
    }

    /// Puts the cursor on visible row `row` (a click); false if no run is there.
    pub fn click_row(&mut self, row: usize) -> bool {
        let pos = self.offset + row;
        if pos < self.order.len() {
            self.cursor = pos;
            true
        } else {
            false
        }
    }

    /// The run under the cursor.
    pub fn current(&self) -> Option<&RunEntry> {
        self.order.get(self.cursor).map(|&i| &self.entries[i])
    }

    /// Entry `id`.
    pub fn get(&self, id: &str) -> Option<&RunEntry> {
        self.entries.iter().find(|e| e.id() == id)
    }

    /// Marks or unmarks the run under the cursor for comparison (damaged runs
    /// cannot be compared); returns false when nothing changed.
    pub fn toggle_mark(&mut self) -> bool {
        let Some(entry) = self.current() else {
            return false;
        };
        if entry.record().is_none() {
            return false;
        }
        let id = entry.id().to_string();
        if let Some(pos) = self.marked.iter().position(|m| *m == id) {
            self.marked.remove(pos);
        } else {
            self.marked.push(id);
        }
        true
    }

    /// The runs to draw in the comparison: the marked ones, or else the run under
    /// the cursor.
    pub fn compared(&self) -> Vec<&RunRecord> {
        if self.marked.is_empty() {
            return self
                .current()
                .and_then(RunEntry::record)
                .into_iter()
                .collect();
        }
        self.marked
            .iter()
            .filter_map(|id| self.get(id).and_then(RunEntry::record))
            .collect()
    }

    /// Entries in display order.
    pub fn rows(&self) -> impl Iterator<Item = &RunEntry> {
        self.order.iter().map(|&i| &self.entries[i])
    }
}
