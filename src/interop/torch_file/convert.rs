//! The pickle machine's object graph turned into an owned [`Value`]: tensors read from
//! their storages, shared parts copied (and counted each time), nesting and size
//! capped, anything that is not a plain value (a global, a bare storage) refused with
//! where it is.

use super::error::{Problem, ValueProblem};
use super::graph::{Graph, Item, Obj};
use super::limits::Limits;
use super::tensor::{self, Storages};
use super::value::Value;

/// The value of `graph`'s root, tensors read from `storages`.
pub(super) fn to_value(
    graph: &Graph,
    storages: &mut dyn Storages,
    limits: &Limits,
) -> Result<Value, Problem> {
    let mut c = Converter {
        graph,
        storages,
        limits,
        values: 0,
        elements: 0,
        path: Vec::new(),
    };
    match &graph.root {
        Some(root) => c.value(root),
        None => Err(c.problem(ValueProblem::Dangling)),
    }
}

struct Converter<'a> {
    graph: &'a Graph,
    storages: &'a mut dyn Storages,
    limits: &'a Limits,
    /// Values made so far, against `limits.max_values`.
    values: usize,
    /// Tensor elements made so far, against `limits.max_total_elements`.
    elements: u64,
    /// Where the value being made is: dict keys and list indices from the root.
    path: Vec<String>,
}

impl Converter<'_> {
    /// Where the converter is, as a dotted path (`state.0.momentum_buffer`).
    fn at(&self) -> String {
        if self.path.is_empty() {
            "(the whole object)".into()
        } else {
            self.path.join(".")
        }
    }

    fn problem(&self, problem: ValueProblem) -> Problem {
        Problem::Value {
            at: self.at(),
            problem,
        }
    }

    fn charge(&mut self, n: usize) -> Result<(), Problem> {
        self.values = self.values.saturating_add(n);
        if self.values > self.limits.max_values {
            return Err(self.problem(ValueProblem::TooManyValues(self.limits.max_values)));
        }
        Ok(())
    }

    fn value(&mut self, item: &Item) -> Result<Value, Problem> {
        self.charge(1)?;
        Ok(match item {
            Item::None => Value::None,
            Item::Bool(b) => Value::Bool(*b),
            Item::Int(i) => Value::Int(*i),
            Item::Float(f) => Value::Float(*f),
            Item::Str(s) => {
                self.charge(s.len() / 64)?;
                Value::Str(s.to_string())
            }
            Item::Global(g) => return Err(self.problem(ValueProblem::Global(g.describe()))),
            Item::Storage(_) => return Err(self.problem(ValueProblem::Storage)),
            Item::Obj(id) => {
                let graph = self.graph;
                let Some(obj) = graph.get(*id) else {
                    return Err(self.problem(ValueProblem::Dangling));
                };
                if self.path.len() >= self.limits.max_depth {
                    return Err(self.problem(ValueProblem::TooDeep(self.limits.max_depth)));
                }
                self.obj(obj)?
            }
        })
    }

    fn obj(&mut self, obj: &Obj) -> Result<Value, Problem> {
        Ok(match obj {
            Obj::List(items) => Value::List(self.items(items)?),
            Obj::Tuple(items) => Value::Tuple(self.items(items)?),
            Obj::Dict(dict) => {
                let mut entries = Vec::new();
                for (k, v) in &dict.entries {
                    self.path.push("(a key)".into());
                    let key = self.value(k)?;
                    self.path.pop();
                    self.path.push(segment(&key));
                    let value = self.value(v)?;
                    self.path.pop();
                    entries.push((key, value));
                }
                Value::Dict(entries)
            }
            Obj::Tensor(spec) => {
                let t = tensor::build(spec, self.storages, self.limits, &mut self.elements)
                    .map_err(|problem| Problem::Tensor {
                        name: self.at(),
                        problem: Box::new(problem),
                    })?;
                Value::Tensor(t)
            }
        })
    }

    fn items(&mut self, items: &[Item]) -> Result<Vec<Value>, Problem> {
        let mut out = Vec::new();
        for (i, item) in items.iter().enumerate() {
            self.path.push(i.to_string());
            out.push(self.value(item)?);
            self.path.pop();
        }
        Ok(out)
    }
}

/// A dict key as a path segment.
fn segment(key: &Value) -> String {
    match key {
        Value::Str(s) => s.clone(),
        Value::Int(i) => i.to_string(),
        Value::Bool(b) => b.to_string(),
        other => format!("({})", other.kind()),
    }
}
