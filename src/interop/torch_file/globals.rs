//! The only pickle globals a checkpoint may name: the OrderedDict of a state dict, the
//! functions torch.save rebuilds tensors with, and the storage classes. Nothing named
//! is ever called: each is a tag the pickle machine builds a value from.

/// A whitelisted global.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Global {
    /// `collections.OrderedDict`: called with `()` it is an empty dict.
    OrderedDict,
    /// `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad,
    /// backward_hooks[, metadata])`.
    RebuildTensorV2,
    /// `torch._utils._rebuild_parameter(data, requires_grad, backward_hooks)`: an
    /// `nn.Parameter` pickled as itself (not in a state dict); read as its tensor.
    RebuildParameter,
    /// `torch.<Kind>Storage`, the type in a storage's persistent id.
    Storage(StorageKind),
}

impl Global {
    /// The global `module.name` if it is whitelisted.
    pub(super) fn lookup(module: &str, name: &str) -> Option<Global> {
        match (module, name) {
            ("collections", "OrderedDict") => Some(Global::OrderedDict),
            ("torch._utils", "_rebuild_tensor_v2") => Some(Global::RebuildTensorV2),
            ("torch._utils", "_rebuild_parameter") => Some(Global::RebuildParameter),
            ("torch", class) => StorageKind::ALL
                .iter()
                .find(|k| k.class() == class)
                .map(|&k| Global::Storage(k)),
            _ => None,
        }
    }

    /// `module name`, as pickle writes it.
    pub(super) fn describe(self) -> String {
        match self {
            Global::OrderedDict => "collections OrderedDict".into(),
            Global::RebuildTensorV2 => "torch._utils _rebuild_tensor_v2".into(),
            Global::RebuildParameter => "torch._utils _rebuild_parameter".into(),
            Global::Storage(k) => format!("torch {}", k.class()),
        }
    }
}

/// The element type of a storage, from its class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum StorageKind {
    Float,
    Double,
    Half,
    BFloat16,
    Long,
    Int,
    Short,
    Char,
    Byte,
    Bool,
}

impl StorageKind {
    const ALL: [StorageKind; 10] = [
        StorageKind::Float,
        StorageKind::Double,
        StorageKind::Half,
        StorageKind::BFloat16,
        StorageKind::Long,
        StorageKind::Int,
        StorageKind::Short,
        StorageKind::Char,
        StorageKind::Byte,
        StorageKind::Bool,
    ];

    /// The class name in module `torch`.
    pub(super) fn class(self) -> &'static str {
        match self {
            StorageKind::Float => "FloatStorage",
            StorageKind::Double => "DoubleStorage",
            StorageKind::Half => "HalfStorage",
            StorageKind::BFloat16 => "BFloat16Storage",
            StorageKind::Long => "LongStorage",
            StorageKind::Int => "IntStorage",
            StorageKind::Short => "ShortStorage",
            StorageKind::Char => "CharStorage",
            StorageKind::Byte => "ByteStorage",
            StorageKind::Bool => "BoolStorage",
        }
    }

    /// The dtype's name as torch prints it.
    pub(super) fn dtype(self) -> &'static str {
        match self {
            StorageKind::Float => "float32",
            StorageKind::Double => "float64",
            StorageKind::Half => "float16",
            StorageKind::BFloat16 => "bfloat16",
            StorageKind::Long => "int64",
            StorageKind::Int => "int32",
            StorageKind::Short => "int16",
            StorageKind::Char => "int8",
            StorageKind::Byte => "uint8",
            StorageKind::Bool => "bool",
        }
    }

    /// Bytes per element.
    pub(super) fn size(self) -> u64 {
        match self {
            StorageKind::Double | StorageKind::Long => 8,
            StorageKind::Float | StorageKind::Int => 4,
            StorageKind::Half | StorageKind::BFloat16 | StorageKind::Short => 2,
            StorageKind::Char | StorageKind::Byte | StorageKind::Bool => 1,
        }
    }

    /// Whether tensors of this kind are read (as f32 or i64).
    pub(super) fn is_read(self) -> bool {
        matches!(
            self,
            StorageKind::Float
                | StorageKind::Double
                | StorageKind::Half
                | StorageKind::BFloat16
                | StorageKind::Long
                | StorageKind::Int
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_whitelist_resolves() {
        assert_eq!(
            Global::lookup("collections", "OrderedDict"),
            Some(Global::OrderedDict)
        );
        assert_eq!(
            Global::lookup("torch", "HalfStorage"),
            Some(Global::Storage(StorageKind::Half))
        );
        for (m, n) in [
            ("posix", "system"),
            ("os", "system"),
            ("builtins", "eval"),
            ("torch", "load"),
            ("torch", "UntypedStorage"),
            ("collections", "defaultdict"),
            ("torch._utils", "_rebuild_device_tensor_from_numpy"),
        ] {
            assert_eq!(Global::lookup(m, n), None, "{m} {n}");
        }
    }
}
