//! The caps a checkpoint is read under: every count or size taken from the file is
//! checked against one of these before anything is allocated by it.

/// Caps on what a checkpoint may hold. [`Limits::DEFAULT`] is generous for the models
/// this app trains (and for most PyTorch state dicts) while keeping a hostile file from
/// taking more than about 3 GiB or a few seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Size of the archive itself (the file, or the bytes given).
    pub max_archive_bytes: u64,
    /// Entries in the zip archive (torch.save writes one per storage, plus about 5).
    pub max_entries: usize,
    /// Size of `<prefix>/data.pkl`, the pickle.
    pub max_pickle_bytes: u64,
    /// Elements of one tensor (after its view: size product).
    pub max_tensor_elements: u64,
    /// Elements of all tensors of the result together (shared tensors count each time).
    pub max_total_elements: u64,
    /// Bytes of all storages read from the archive together (uncompressed).
    pub max_storage_bytes: u64,
    /// Dimensions of a tensor.
    pub max_dims: usize,
    /// Nesting of containers in the result (a dict in a list in a dict is 3).
    pub max_depth: usize,
    /// Items on the pickle machine's stack (marks included).
    pub max_stack: usize,
    /// Memo entries of the pickle machine.
    pub max_memo: usize,
    /// Containers, tensors and storages the pickle builds, and items put into them.
    pub max_items: usize,
    /// Bytes of one string.
    pub max_string_bytes: usize,
    /// Values in the result (each container, scalar and tensor is one; strings count one
    /// per 64 bytes besides), shared parts counting each time they are reached.
    pub max_values: usize,
}

impl Limits {
    /// The caps `read_torch_file` and `read_torch_bytes` use.
    pub const DEFAULT: Limits = Limits {
        max_archive_bytes: 2 << 30,
        max_entries: 100_000,
        max_pickle_bytes: 64 << 20,
        max_tensor_elements: 64 << 20,
        max_total_elements: 64 << 20,
        max_storage_bytes: 1 << 30,
        max_dims: 8,
        max_depth: 100,
        max_stack: 1 << 20,
        max_memo: 1 << 20,
        max_items: 4 << 20,
        max_string_bytes: 1 << 20,
        max_values: 4 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::DEFAULT
    }
}
