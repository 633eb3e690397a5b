//! The object graph the pickle machine builds: containers live in one flat arena and
//! refer to each other by index, as Python objects refer to each other, so the memo
//! shares objects (a dict memoized empty and filled later is filled for every
//! reference), cycles cannot overflow a destructor, and nothing is copied until the
//! graph is turned into a [`Value`](super::Value).

use super::globals::{Global, StorageKind};
use std::collections::HashMap;
use std::rc::Rc;

/// An index into [`Graph::objects`].
pub(super) type ObjId = u32;

/// One slot of the pickle stack, a memo entry, or an item in a container.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Item {
    None,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Rc<str>),
    Obj(ObjId),
    Global(Global),
    Storage(Rc<StorageRef>),
}

/// A storage named by a persistent id: `('storage', torch.FloatStorage, key, location,
/// numel)`. Its bytes are `<prefix>/data/<key>` in the archive, read only when a tensor
/// is built from it.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StorageRef {
    pub kind: StorageKind,
    pub key: String,
    pub numel: u64,
}

/// A tensor as `_rebuild_tensor_v2` describes it: a view of a storage. Checked against
/// the caps and the storage, and read, only when the graph becomes a value.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct TensorSpec {
    pub storage: Rc<StorageRef>,
    pub offset: u64,
    pub size: Vec<u64>,
    pub stride: Vec<u64>,
}

/// A container (or a tensor) of the graph.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Obj {
    List(Vec<Item>),
    Tuple(Vec<Item>),
    Dict(Dict),
    Tensor(TensorSpec),
}

/// A dict's entries in insertion order; setting a key again replaces its value in place,
/// as Python does, for keys that are None, bools, numbers or strings.
#[derive(Debug, Clone, PartialEq, Default)]
pub(super) struct Dict {
    pub entries: Vec<(Item, Item)>,
    index: HashMap<Key, usize>,
}

/// The hashable identity of a scalar key (`True == 1 == 1.0` in Python).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    None,
    Int(i64),
    Float(u64),
    Str(Rc<str>),
}

impl Key {
    fn of(item: &Item) -> Option<Key> {
        match item {
            Item::None => Some(Key::None),
            Item::Bool(b) => Some(Key::Int(i64::from(*b))),
            Item::Int(i) => Some(Key::Int(*i)),
            Item::Float(f) => {
                // An integral float is the same key as the int; -0.0 == 0.0.
                if f.fract() == 0.0 && f.abs() < 9.0e18 {
                    Some(Key::Int(*f as i64))
                } else {
                    Some(Key::Float(f.to_bits()))
                }
            }
            Item::Str(s) => Some(Key::Str(s.clone())),
            Item::Obj(_) | Item::Global(_) | Item::Storage(_) => None,
        }
    }
}

impl Dict {
    /// `d[key] = value`. Returns whether a new entry was added.
    pub(super) fn set(&mut self, key: Item, value: Item) -> bool {
        let Some(k) = Key::of(&key) else {
            self.entries.push((key, value));
            return true;
        };
        if let Some(&at) = self.index.get(&k)
            && let Some(entry) = self.entries.get_mut(at)
        {
            entry.1 = value;
            return false;
        }
        self.index.insert(k, self.entries.len());
        self.entries.push((key, value));
        true
    }
}

/// What the pickle machine returns: the objects and the root item.
#[derive(Debug, Default)]
pub(super) struct Graph {
    pub objects: Vec<Obj>,
    pub root: Option<Item>,
}

impl Graph {
    pub(super) fn get(&self, id: ObjId) -> Option<&Obj> {
        self.objects.get(id as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setting_a_key_again_keeps_its_place() {
        let mut d = Dict::default();
        assert!(d.set(Item::Str("a".into()), Item::Int(1)));
        assert!(d.set(Item::Int(1), Item::Int(2)));
        assert!(!d.set(Item::Str("a".into()), Item::Int(3)));
        assert!(!d.set(Item::Bool(true), Item::Int(4)));
        assert!(!d.set(Item::Float(1.0), Item::Int(5)));
        assert!(d.set(Item::Float(1.5), Item::Int(6)));
        assert_eq!(
            d.entries,
            vec![
                (Item::Str("a".into()), Item::Int(3)),
                (Item::Int(1), Item::Int(5)),
                (Item::Float(1.5), Item::Int(6)),
            ]
        );
    }
}
