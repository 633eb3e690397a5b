//! A pickle machine that only builds values: it follows the opcodes `torch.save` writes
//! for state dicts and optimiser state (protocol 2, and the protocol 4 forms of the same
//! things), resolves globals against a whitelist, applies REDUCE only to the whitelisted
//! callables (as constructors of plain values, nothing is called) and refuses every
//! other opcode with its name and byte offset. Every count it keeps is capped by
//! [`Limits`].

use super::error::{PickleProblem, Problem};
use super::globals::Global;
use super::graph::{Dict, Graph, Item, Obj, ObjId, StorageRef, TensorSpec};
use super::limits::Limits;
use super::opcodes::*;
use std::collections::HashMap;
use std::rc::Rc;

/// The longest module or name a GLOBAL opcode may spell.
const MAX_GLOBAL_NAME: usize = 256;

/// Runs the pickle `bytes` (the entry `entry` of the archive) to its STOP opcode.
pub(super) fn run(bytes: &[u8], entry: &str, limits: &Limits) -> Result<Graph, Problem> {
    let mut m = Machine {
        input: bytes,
        pos: 0,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        graph: Graph::default(),
        items: 0,
        limits,
    };
    loop {
        let at = m.pos;
        match m.step() {
            Ok(false) => {}
            Ok(true) => return Ok(m.graph),
            Err(problem) => {
                return Err(Problem::Pickle {
                    entry: entry.to_string(),
                    offset: at as u64,
                    problem,
                });
            }
        }
    }
}

type Step<T> = Result<T, PickleProblem>;

fn malformed<T>(text: impl Into<String>) -> Step<T> {
    Err(PickleProblem::Malformed(text.into()))
}

struct Machine<'a> {
    input: &'a [u8],
    pos: usize,
    stack: Vec<Item>,
    /// Stack lengths at each MARK (the top one is the fence pops may not cross).
    marks: Vec<usize>,
    memo: HashMap<u32, Item>,
    graph: Graph,
    /// Objects built plus items put into containers, against `limits.max_items`.
    items: usize,
    limits: &'a Limits,
}

impl<'a> Machine<'a> {
    /// Runs one opcode; true after STOP.
    fn step(&mut self) -> Step<bool> {
        let op = self.byte()?;
        match op {
            PROTO => {
                let version = self.byte()?;
                if version > 5 {
                    return malformed(format!("pickle protocol {version}: 5 is the newest"));
                }
            }
            FRAME => {
                self.take(8)?;
            }
            STOP => {
                let root = self.pop()?;
                self.graph.root = Some(root);
                return Ok(true);
            }
            MARK => {
                self.room_on_stack()?;
                self.marks.push(self.stack.len());
            }
            NONE => self.push(Item::None)?,
            NEWTRUE => self.push(Item::Bool(true))?,
            NEWFALSE => self.push(Item::Bool(false))?,
            BININT => {
                let v = i32::from_le_bytes(self.array()?);
                self.push(Item::Int(i64::from(v)))?;
            }
            BININT1 => {
                let v = self.byte()?;
                self.push(Item::Int(i64::from(v)))?;
            }
            BININT2 => {
                let v = u16::from_le_bytes(self.array()?);
                self.push(Item::Int(i64::from(v)))?;
            }
            LONG1 => {
                let n = self.byte()?;
                let v = self.long(usize::from(n))?;
                self.push(Item::Int(v))?;
            }
            LONG4 => {
                let n = i32::from_le_bytes(self.array()?);
                let Ok(n) = usize::try_from(n) else {
                    return malformed(format!("LONG4 of negative length {n}"));
                };
                let v = self.long(n)?;
                self.push(Item::Int(v))?;
            }
            BINFLOAT => {
                let v = f64::from_be_bytes(self.array()?);
                self.push(Item::Float(v))?;
            }
            SHORT_BINUNICODE => {
                let n = self.byte()?;
                self.string(u64::from(n))?;
            }
            BINUNICODE => {
                let n = u32::from_le_bytes(self.array()?);
                self.string(u64::from(n))?;
            }
            BINUNICODE8 => {
                let n = u64::from_le_bytes(self.array()?);
                self.string(n)?;
            }
            EMPTY_TUPLE => self.push_obj(Obj::Tuple(Vec::new()))?,
            TUPLE1 | TUPLE2 | TUPLE3 => {
                let n = usize::from(op - TUPLE1) + 1;
                let items = self.pop_n(n)?;
                self.count(n)?;
                self.push_obj(Obj::Tuple(items))?;
            }
            TUPLE => {
                let items = self.pop_mark()?;
                self.count(items.len())?;
                self.push_obj(Obj::Tuple(items))?;
            }
            EMPTY_LIST => self.push_obj(Obj::List(Vec::new()))?,
            EMPTY_DICT => self.push_obj(Obj::Dict(Dict::default()))?,
            APPEND => {
                let item = self.pop()?;
                self.count(1)?;
                self.top_list()?.push(item);
            }
            APPENDS => {
                let items = self.pop_mark()?;
                self.count(items.len())?;
                self.top_list()?.extend(items);
            }
            SETITEM => {
                let value = self.pop()?;
                let key = self.pop()?;
                self.count(1)?;
                self.top_dict()?.set(key, value);
            }
            SETITEMS => {
                let items = self.pop_mark()?;
                if items.len() % 2 != 0 {
                    return malformed("SETITEMS with an odd number of items");
                }
                self.count(items.len() / 2)?;
                let dict = self.top_dict()?;
                let mut items = items.into_iter();
                while let (Some(key), Some(value)) = (items.next(), items.next()) {
                    dict.set(key, value);
                }
            }
            BINPUT => {
                let at = self.byte()?;
                self.put(u32::from(at))?;
            }
            LONG_BINPUT => {
                let at = u32::from_le_bytes(self.array()?);
                self.put(at)?;
            }
            MEMOIZE => {
                let Ok(at) = u32::try_from(self.memo.len()) else {
                    return malformed("memo full");
                };
                self.put(at)?;
            }
            BINGET => {
                let at = self.byte()?;
                self.get(u32::from(at))?;
            }
            LONG_BINGET => {
                let at = u32::from_le_bytes(self.array()?);
                self.get(at)?;
            }
            GLOBAL => {
                let module = self.line()?;
                let name = self.line()?;
                let global = whitelisted(module, name)?;
                self.push(Item::Global(global))?;
            }
            STACK_GLOBAL => {
                let name = self.pop()?;
                let module = self.pop()?;
                let (Item::Str(module), Item::Str(name)) = (module, name) else {
                    return malformed("STACK_GLOBAL on items that are not two strings");
                };
                let global = whitelisted(&module, &name)?;
                self.push(Item::Global(global))?;
            }
            REDUCE => self.reduce()?,
            BUILD => {
                // `obj.__setstate__(state)`: only an OrderedDict's attributes (a state
                // dict's `_metadata`) are expected; they are not kept.
                let _state = self.pop()?;
                self.top_dict()?;
            }
            BINPERSID => {
                let pid = self.pop()?;
                let storage = self.storage(&pid)?;
                self.count(1)?;
                self.push(Item::Storage(Rc::new(storage)))?;
            }
            code => {
                return Err(match name(code) {
                    Some(name) => PickleProblem::RefusedOpcode { code, name },
                    None => PickleProblem::UnknownOpcode(code),
                });
            }
        }
        Ok(false)
    }

    fn take(&mut self, n: usize) -> Step<&'a [u8]> {
        let input: &'a [u8] = self.input;
        let end = self.pos.checked_add(n).ok_or(PickleProblem::Truncated)?;
        let bytes = input.get(self.pos..end).ok_or(PickleProblem::Truncated)?;
        self.pos = end;
        Ok(bytes)
    }

    fn byte(&mut self) -> Step<u8> {
        let [b] = self.array()?;
        Ok(b)
    }

    fn array<const N: usize>(&mut self) -> Step<[u8; N]> {
        let bytes = self.take(N)?;
        bytes.try_into().map_err(|_| PickleProblem::Truncated)
    }

    /// A little-endian two's complement integer of `n` bytes (LONG1, LONG4).
    fn long(&mut self, n: usize) -> Step<i64> {
        if n > 8 {
            return malformed(format!("an integer of {n} bytes: more than 64 bits"));
        }
        let bytes = self.take(n)?;
        let negative = bytes.last().is_some_and(|b| b & 0x80 != 0);
        let mut full = [if negative { 0xff } else { 0 }; 8];
        for (to, from) in full.iter_mut().zip(bytes) {
            *to = *from;
        }
        Ok(i64::from_le_bytes(full))
    }

    /// A UTF-8 string of `n` bytes, pushed.
    fn string(&mut self, n: u64) -> Step<()> {
        let max = self.limits.max_string_bytes;
        let n = match usize::try_from(n) {
            Ok(n) if n <= max => n,
            _ => {
                return malformed(format!(
                    "a string of {n} bytes, more than the {max} allowed"
                ));
            }
        };
        let bytes = self.take(n)?;
        let Ok(text) = std::str::from_utf8(bytes) else {
            return malformed("a string that is not UTF-8");
        };
        let item = Item::Str(Rc::from(text));
        self.push(item)
    }

    /// A newline-terminated name of a GLOBAL opcode.
    fn line(&mut self) -> Step<&'a str> {
        let rest = self.input.get(self.pos..).unwrap_or_default();
        let window = &rest[..rest.len().min(MAX_GLOBAL_NAME + 1)];
        let Some(n) = window.iter().position(|&b| b == b'\n') else {
            return if window.len() > MAX_GLOBAL_NAME {
                malformed(format!("a GLOBAL name longer than {MAX_GLOBAL_NAME} bytes"))
            } else {
                Err(PickleProblem::Truncated)
            };
        };
        let bytes = self.take(n + 1)?;
        let name = bytes.get(..n).unwrap_or_default();
        std::str::from_utf8(name).or_else(|_| malformed("a GLOBAL name that is not UTF-8"))
    }

    fn room_on_stack(&self) -> Step<()> {
        if self.stack.len().saturating_add(self.marks.len()) >= self.limits.max_stack {
            return Err(PickleProblem::TooMany {
                what: "items on the pickle stack",
                max: self.limits.max_stack,
            });
        }
        Ok(())
    }

    fn push(&mut self, item: Item) -> Step<()> {
        self.room_on_stack()?;
        self.stack.push(item);
        Ok(())
    }

    /// Counts `n` more items against `max_items`.
    fn count(&mut self, n: usize) -> Step<()> {
        self.items = self.items.saturating_add(n);
        if self.items > self.limits.max_items {
            return Err(PickleProblem::TooMany {
                what: "objects and items in containers",
                max: self.limits.max_items,
            });
        }
        Ok(())
    }

    fn push_obj(&mut self, obj: Obj) -> Step<()> {
        self.count(1)?;
        let Ok(id) = ObjId::try_from(self.graph.objects.len()) else {
            return malformed("too many objects");
        };
        self.graph.objects.push(obj);
        self.push(Item::Obj(id))
    }

    /// The stack length below which pops may not go (the last MARK).
    fn fence(&self) -> usize {
        self.marks.last().copied().unwrap_or(0)
    }

    fn pop(&mut self) -> Step<Item> {
        if self.stack.len() <= self.fence() {
            return malformed("stack underflow");
        }
        self.stack
            .pop()
            .ok_or_else(|| PickleProblem::Malformed("stack underflow".into()))
    }

    fn pop_n(&mut self, n: usize) -> Step<Vec<Item>> {
        let Some(at) = self
            .stack
            .len()
            .checked_sub(n)
            .filter(|&at| at >= self.fence())
        else {
            return malformed("stack underflow");
        };
        Ok(self.stack.split_off(at))
    }

    fn pop_mark(&mut self) -> Step<Vec<Item>> {
        let Some(at) = self.marks.pop() else {
            return malformed("no MARK to pop to");
        };
        if at > self.stack.len() {
            return malformed("stack underflow");
        }
        Ok(self.stack.split_off(at))
    }

    fn top_obj(&mut self) -> Step<&mut Obj> {
        if self.stack.len() <= self.fence() {
            return malformed("stack underflow");
        }
        match self.stack.last() {
            Some(Item::Obj(id)) => self
                .graph
                .objects
                .get_mut(*id as usize)
                .ok_or_else(|| PickleProblem::Malformed("dangling object".into())),
            _ => malformed("a container opcode on something that is not a container"),
        }
    }

    fn top_list(&mut self) -> Step<&mut Vec<Item>> {
        match self.top_obj()? {
            Obj::List(items) => Ok(items),
            _ => malformed("APPEND on something that is not a list"),
        }
    }

    fn top_dict(&mut self) -> Step<&mut Dict> {
        match self.top_obj()? {
            Obj::Dict(dict) => Ok(dict),
            _ => malformed("SETITEM or BUILD on something that is not a dict"),
        }
    }

    fn put(&mut self, at: u32) -> Step<()> {
        if self.stack.len() <= self.fence() {
            return malformed("memoizing an empty stack");
        }
        let Some(top) = self.stack.last().cloned() else {
            return malformed("memoizing an empty stack");
        };
        if !self.memo.contains_key(&at) && self.memo.len() >= self.limits.max_memo {
            return Err(PickleProblem::TooMany {
                what: "memo entries",
                max: self.limits.max_memo,
            });
        }
        self.memo.insert(at, top);
        Ok(())
    }

    fn get(&mut self, at: u32) -> Step<()> {
        let Some(item) = self.memo.get(&at).cloned() else {
            return malformed(format!("memo entry {at} was never set"));
        };
        self.push(item)
    }

    fn tuple(&self, item: &Item) -> Step<&[Item]> {
        match item {
            Item::Obj(id) => match self.graph.get(*id) {
                Some(Obj::Tuple(items)) => Ok(items),
                _ => malformed("expected a tuple"),
            },
            _ => malformed("expected a tuple"),
        }
    }

    fn is_dict(&self, item: &Item) -> bool {
        matches!(item, Item::Obj(id) if matches!(self.graph.get(*id), Some(Obj::Dict(_))))
    }

    /// `callable(*args)` for the whitelisted callables, building their value.
    fn reduce(&mut self) -> Step<()> {
        let args = self.pop()?;
        let callable = self.pop()?;
        let Item::Global(global) = callable else {
            return malformed("REDUCE on something that is not a global");
        };
        let args = self.tuple(&args)?;
        let built = match global {
            Global::OrderedDict => {
                if !args.is_empty() {
                    return malformed("OrderedDict called with arguments");
                }
                Obj::Dict(Dict::default())
            }
            Global::RebuildTensorV2 => Obj::Tensor(self.tensor(args)?),
            Global::RebuildParameter => {
                let [data, Item::Bool(_), hooks] = args else {
                    return malformed(
                        "_rebuild_parameter with other arguments than \
                                      (tensor, requires_grad, hooks)",
                    );
                };
                let is_tensor = matches!(
                    data,
                    Item::Obj(id) if matches!(self.graph.get(*id), Some(Obj::Tensor(_)))
                );
                if !is_tensor || !self.is_dict(hooks) {
                    return malformed("_rebuild_parameter of something that is not a tensor");
                }
                let data = data.clone();
                return self.push(data);
            }
            Global::Storage(kind) => {
                return malformed(format!("torch {} called as a function", kind.class()));
            }
        };
        self.push_obj(built)
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata])`.
    fn tensor(&self, args: &[Item]) -> Step<TensorSpec> {
        let (storage, offset, size, stride, hooks) = match args {
            [
                Item::Storage(s),
                Item::Int(o),
                size,
                stride,
                Item::Bool(_),
                hooks,
            ]
            | [
                Item::Storage(s),
                Item::Int(o),
                size,
                stride,
                Item::Bool(_),
                hooks,
                _,
            ] => (s, *o, size, stride, hooks),
            _ => {
                return malformed(
                    "_rebuild_tensor_v2 with other arguments than (storage, offset, size, \
                     stride, requires_grad, hooks)",
                );
            }
        };
        if !self.is_dict(hooks) || args.get(6).is_some_and(|m| !self.is_dict(m)) {
            return malformed("_rebuild_tensor_v2 whose hooks or metadata are not dicts");
        }
        let Ok(offset) = u64::try_from(offset) else {
            return malformed(format!("a tensor at the negative storage offset {offset}"));
        };
        let size = self.dims(size, "size")?;
        let stride = self.dims(stride, "stride")?;
        if size.len() != stride.len() {
            return malformed(format!(
                "a tensor of {} sizes and {} strides",
                size.len(),
                stride.len()
            ));
        }
        Ok(TensorSpec {
            storage: storage.clone(),
            offset,
            size,
            stride,
        })
    }

    /// A tuple of non-negative ints (a tensor's size or stride).
    fn dims(&self, item: &Item, what: &str) -> Step<Vec<u64>> {
        let items = self.tuple(item)?;
        if items.len() > self.limits.max_dims {
            // Checked again, with the tensor's name, when it is read; this keeps the
            // vector small.
            return malformed(format!(
                "a tensor of {} dimensions, more than the {} allowed",
                items.len(),
                self.limits.max_dims
            ));
        }
        items
            .iter()
            .map(|i| match i {
                Item::Int(v) => {
                    u64::try_from(*v).or_else(|_| malformed(format!("a tensor {what} of {v}")))
                }
                _ => malformed(format!("a tensor {what} that is not a tuple of ints")),
            })
            .collect()
    }

    /// The storage a persistent id names: `('storage', class, key, location, numel)`.
    fn storage(&self, pid: &Item) -> Step<StorageRef> {
        let fields = self.tuple(pid)?;
        let [
            Item::Str(tag),
            Item::Global(Global::Storage(kind)),
            Item::Str(key),
            Item::Str(_),
            Item::Int(numel),
        ] = fields
        else {
            return malformed(
                "a persistent id that is not ('storage', class, key, location, numel)",
            );
        };
        if &**tag != "storage" {
            return malformed(format!("a persistent id of kind {tag:?}"));
        }
        let Ok(numel) = u64::try_from(*numel) else {
            return malformed(format!("a storage of {numel} elements"));
        };
        Ok(StorageRef {
            kind: *kind,
            key: key.to_string(),
            numel,
        })
    }
}

fn whitelisted(module: &str, name: &str) -> Step<Global> {
    Global::lookup(module, name).ok_or_else(|| PickleProblem::RefusedGlobal {
        module: module.to_string(),
        name: name.to_string(),
    })
}
