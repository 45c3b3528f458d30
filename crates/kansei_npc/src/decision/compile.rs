//! Validation and compilation of a [`BehaviourDef`] into an immutable, flattened [`Behaviour`].
//!
//! Nodes are stored in pre-order, so a node's subtree is the contiguous id range
//! `id..subtree_end`: aborting a branch is a range walk, and a decorator's child is always
//! `id + 1`. Child lists, guard observers, watched keys, conditions, utility actions and
//! considerations live in flat side arenas addressed by [`ArenaRange`]s.

use std::sync::atomic::{AtomicU64, Ordering};

use super::blackboard::Value;
use super::condition::Condition;
use super::definition::{Abort, BehaviourDef, NodeDef, ParallelPolicy};
use super::error::BehaviourError;
use super::symbol::{Key, Symbol, TaskName};
use super::utility::Consideration;

/// A node of a compiled [`Behaviour`]: its index in pre-order (the root is 0).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
pub struct NodeId(pub u32);

impl NodeId {
    /// The root node.
    pub const ROOT: NodeId = NodeId(0);

    /// The index as `usize`.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// A `start..end` range into one of the side arenas of a [`Behaviour`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct ArenaRange {
    pub start: u32,
    pub end: u32,
}

impl ArenaRange {
    pub fn range(self) -> std::ops::Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> u32 {
        self.end - self.start
    }
}

/// What a compiled node does, with its parameters.
#[derive(Clone, Debug)]
pub(crate) enum NodeKind {
    Sequence {
        children: ArenaRange,
    },
    Selector {
        children: ArenaRange,
        /// `LowerPriority` guards this selector watches, sorted by restart index.
        observers: ArenaRange,
    },
    Parallel {
        policy: ParallelPolicy,
        children: ArenaRange,
    },
    Utility {
        momentum: f32,
        actions: ArenaRange,
        /// Keys read by any consideration: re-scoring happens only when one changed.
        watched: ArenaRange,
    },
    Invert,
    Succeed,
    Repeat {
        times: Option<u32>,
    },
    Cooldown {
        seconds: f32,
    },
    TimeLimit {
        seconds: f32,
    },
    Guard {
        condition: u32,
        abort: Abort,
        watched: ArenaRange,
    },
    Task {
        name: TaskName,
        key: Option<Key>,
    },
    Wait {
        seconds: f32,
    },
    Set {
        key: Key,
        value: Value,
    },
    Clear {
        key: Key,
    },
    Check {
        condition: u32,
    },
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledNode {
    pub kind: NodeKind,
    /// One past the last node of this node's subtree.
    pub subtree_end: u32,
    pub label: Symbol,
}

#[derive(Clone, Debug)]
pub(crate) struct CompiledAction {
    pub name: Symbol,
    pub weight: f32,
    pub considerations: ArenaRange,
    pub child: NodeId,
}

/// A `LowerPriority` guard watched by a `Selector`: when it turns true while the selector runs a
/// child with a higher index than `restart_index`, the selector restarts at `restart_index`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Observer {
    pub guard: NodeId,
    pub restart_index: u32,
}

/// A compiled behaviour: immutable, `Send + Sync`, shared by `Arc` between all NPCs that use it.
/// Per-NPC progress lives in a `BehaviourState`.
#[derive(Clone, Debug)]
pub struct Behaviour {
    id: u64,
    name: String,
    pub(crate) nodes: Vec<CompiledNode>,
    pub(crate) child_ids: Vec<NodeId>,
    pub(crate) observers: Vec<Observer>,
    pub(crate) conditions: Vec<Condition>,
    pub(crate) keys: Vec<Key>,
    pub(crate) actions: Vec<CompiledAction>,
    pub(crate) considerations: Vec<Consideration>,
}

/// Every compiled behaviour gets a fresh id so that a `BehaviourState` can tell when its NPC was
/// handed a different (e.g. hot-reloaded) behaviour and must restart. 0 means "none".
static NEXT_BEHAVIOUR_ID: AtomicU64 = AtomicU64::new(1);

impl Behaviour {
    /// Validates `def` and compiles it.
    pub fn compile(def: &BehaviourDef) -> Result<Behaviour, BehaviourError> {
        let mut behaviour = Behaviour {
            id: NEXT_BEHAVIOUR_ID.fetch_add(1, Ordering::Relaxed),
            name: def.name.clone(),
            nodes: Vec::new(),
            child_ids: Vec::new(),
            observers: Vec::new(),
            conditions: Vec::new(),
            keys: Vec::new(),
            actions: Vec::new(),
            considerations: Vec::new(),
        };
        behaviour.compile_node(&def.root, "root")?;
        behaviour.attach_observers();
        Ok(behaviour)
    }

    /// Parses RON text (see the module docs for the format) and compiles it.
    pub fn from_ron(text: &str) -> Result<Behaviour, BehaviourError> {
        Behaviour::compile(&BehaviourDef::from_ron(text)?)
    }

    /// The definition's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// A process-unique id of this compiled behaviour (clones share it).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The number of nodes.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    /// A short label for a node, e.g. `Task(chase)`, `Guard(IsTrue(heard_noise))`, `Wait(2s)`;
    /// `""` for an id that is not in this behaviour.
    pub fn node_label(&self, node: NodeId) -> &str {
        self.nodes
            .get(node.index())
            .map_or("", |compiled| compiled.label.as_str())
    }

    /// The label of a node as a [`Symbol`] (what decision records carry).
    pub fn node_label_symbol(&self, node: NodeId) -> Symbol {
        self.nodes
            .get(node.index())
            .map_or(Symbol::default(), |compiled| compiled.label)
    }

    /// The id of the node with this label, if any (first in pre-order). Handy in tests and tools.
    pub fn find_node(&self, label: &str) -> Option<NodeId> {
        self.nodes
            .iter()
            .position(|compiled| compiled.label.as_str() == label)
            .map(|index| NodeId(index as u32))
    }

    /// The `index`-th child of a composite, if it has that many.
    pub(crate) fn child_at(&self, children: ArenaRange, index: u32) -> Option<NodeId> {
        if index < children.len() {
            self.child_ids
                .get((children.start + index) as usize)
                .copied()
        } else {
            None
        }
    }

    fn next_id(&self, path: &str) -> Result<NodeId, BehaviourError> {
        u32::try_from(self.nodes.len())
            .map(NodeId)
            .map_err(|_| BehaviourError::invalid(path, "the behaviour has too many nodes"))
    }

    fn arena_len<T>(items: &[T]) -> u32 {
        // Bounded by the node count, which `next_id` keeps within u32.
        items.len() as u32
    }

    /// Compiles `def` (found at `path`) and its subtree in pre-order; returns its id.
    fn compile_node(&mut self, def: &NodeDef, path: &str) -> Result<NodeId, BehaviourError> {
        let id = self.next_id(path)?;
        let kind_name = def.kind_name();
        let here = format!("{path}.{kind_name}");
        // Reserve the slot so that children get higher ids; kind and label are filled in below.
        self.nodes.push(CompiledNode {
            kind: NodeKind::Invert,
            subtree_end: 0,
            label: Symbol::default(),
        });

        let (kind, label) = match def {
            NodeDef::Sequence(children) | NodeDef::Selector(children) => {
                let children = self.compile_children(children, &here, kind_name)?;
                let kind = if matches!(def, NodeDef::Sequence(_)) {
                    NodeKind::Sequence { children }
                } else {
                    NodeKind::Selector {
                        children,
                        observers: ArenaRange::default(),
                    }
                };
                (kind, kind_name.to_owned())
            }
            NodeDef::Parallel { policy, children } => {
                let children = self.compile_children(children, &here, kind_name)?;
                (
                    NodeKind::Parallel {
                        policy: *policy,
                        children,
                    },
                    format!("Parallel({policy:?})"),
                )
            }
            NodeDef::Utility { momentum, actions } => {
                check_non_negative(*momentum, &format!("{here}.momentum"), "momentum")?;
                if actions.is_empty() {
                    return Err(BehaviourError::invalid(
                        &here,
                        "a Utility node needs at least one action",
                    ));
                }
                let mut watched_keys = Vec::new();
                let mut compiled_actions = Vec::with_capacity(actions.len());
                for (index, action) in actions.iter().enumerate() {
                    let action_path = format!("{here}.actions[{index}]");
                    check_non_negative(action.weight, &format!("{action_path}.weight"), "weight")?;
                    let first = Self::arena_len(&self.considerations);
                    for (number, consideration) in action.considerations.iter().enumerate() {
                        let consideration_path = format!("{action_path}.considerations[{number}]");
                        consideration.input.validate().map_err(|message| {
                            BehaviourError::invalid(&format!("{consideration_path}.input"), message)
                        })?;
                        consideration.curve.validate().map_err(|message| {
                            BehaviourError::invalid(&format!("{consideration_path}.curve"), message)
                        })?;
                        if let super::utility::Input::Key { key, .. } = consideration.input
                            && !watched_keys.contains(&key)
                        {
                            watched_keys.push(key);
                        }
                        self.considerations.push(consideration.clone());
                    }
                    let considerations = ArenaRange {
                        start: first,
                        end: Self::arena_len(&self.considerations),
                    };
                    let child =
                        self.compile_node(&action.child, &format!("{action_path}.child"))?;
                    compiled_actions.push(CompiledAction {
                        name: action.name,
                        weight: action.weight,
                        considerations,
                        child,
                    });
                }
                let first_action = Self::arena_len(&self.actions);
                self.actions.extend(compiled_actions);
                let actions = ArenaRange {
                    start: first_action,
                    end: Self::arena_len(&self.actions),
                };
                let watched = self.push_keys(&watched_keys);
                (
                    NodeKind::Utility {
                        momentum: *momentum,
                        actions,
                        watched,
                    },
                    kind_name.to_owned(),
                )
            }
            NodeDef::Invert(child) | NodeDef::Succeed(child) => {
                self.compile_node(child, &format!("{here}.child"))?;
                let kind = if matches!(def, NodeDef::Invert(_)) {
                    NodeKind::Invert
                } else {
                    NodeKind::Succeed
                };
                (kind, kind_name.to_owned())
            }
            NodeDef::Repeat { times, child } => {
                self.compile_node(child, &format!("{here}.child"))?;
                let label = match times {
                    Some(times) => format!("Repeat({times})"),
                    None => "Repeat(forever)".to_owned(),
                };
                (NodeKind::Repeat { times: *times }, label)
            }
            NodeDef::Cooldown { seconds, child } => {
                check_non_negative(*seconds, &format!("{here}.seconds"), "seconds")?;
                self.compile_node(child, &format!("{here}.child"))?;
                (
                    NodeKind::Cooldown { seconds: *seconds },
                    format!("Cooldown({seconds}s)"),
                )
            }
            NodeDef::TimeLimit { seconds, child } => {
                check_non_negative(*seconds, &format!("{here}.seconds"), "seconds")?;
                self.compile_node(child, &format!("{here}.child"))?;
                (
                    NodeKind::TimeLimit { seconds: *seconds },
                    format!("TimeLimit({seconds}s)"),
                )
            }
            NodeDef::Guard { when, abort, child } => {
                let condition = self.push_condition(when, &format!("{here}.when"))?;
                let mut keys = Vec::new();
                when.collect_keys(&mut keys);
                let watched = self.push_keys(&keys);
                self.compile_node(child, &format!("{here}.child"))?;
                (
                    NodeKind::Guard {
                        condition,
                        abort: *abort,
                        watched,
                    },
                    format!("Guard({when})"),
                )
            }
            NodeDef::Task(name, key) => (
                NodeKind::Task {
                    name: *name,
                    key: *key,
                },
                format!("Task({name})"),
            ),
            NodeDef::Wait(seconds) => {
                check_non_negative(*seconds, &format!("{here}.seconds"), "seconds")?;
                (
                    NodeKind::Wait { seconds: *seconds },
                    format!("Wait({seconds}s)"),
                )
            }
            NodeDef::Set(key, value) => {
                if !value.is_finite() {
                    return Err(BehaviourError::invalid(
                        &format!("{here}.value"),
                        format!("the value for {key} must be finite, got {value:?}"),
                    ));
                }
                (
                    NodeKind::Set {
                        key: *key,
                        value: *value,
                    },
                    format!("Set({key})"),
                )
            }
            NodeDef::Clear(key) => (NodeKind::Clear { key: *key }, format!("Clear({key})")),
            NodeDef::Check(condition) => {
                let index = self.push_condition(condition, &format!("{here}.condition"))?;
                (
                    NodeKind::Check { condition: index },
                    format!("Check({condition})"),
                )
            }
        };

        let subtree_end = self.next_id(path)?.0;
        let slot = &mut self.nodes[id.index()];
        slot.kind = kind;
        slot.subtree_end = subtree_end;
        slot.label = Symbol::new(&label);
        Ok(id)
    }

    fn compile_children(
        &mut self,
        children: &[NodeDef],
        here: &str,
        kind_name: &str,
    ) -> Result<ArenaRange, BehaviourError> {
        if children.is_empty() {
            return Err(BehaviourError::invalid(
                here,
                format!("a {kind_name} needs at least one child"),
            ));
        }
        let mut ids = Vec::with_capacity(children.len());
        for (index, child) in children.iter().enumerate() {
            ids.push(self.compile_node(child, &format!("{here}[{index}]"))?);
        }
        let start = Self::arena_len(&self.child_ids);
        self.child_ids.extend(ids);
        Ok(ArenaRange {
            start,
            end: Self::arena_len(&self.child_ids),
        })
    }

    fn push_condition(&mut self, condition: &Condition, path: &str) -> Result<u32, BehaviourError> {
        condition.validate().map_err(|(suffix, message)| {
            BehaviourError::invalid(&format!("{path}{suffix}"), message)
        })?;
        self.conditions.push(condition.clone());
        Ok(Self::arena_len(&self.conditions) - 1)
    }

    fn push_keys(&mut self, keys: &[Key]) -> ArenaRange {
        let start = Self::arena_len(&self.keys);
        self.keys.extend_from_slice(keys);
        ArenaRange {
            start,
            end: Self::arena_len(&self.keys),
        }
    }

    /// Registers every `LowerPriority` guard with the selectors it can pre-empt: its parent
    /// selector and, through chains of nested selectors (whose first runnable child is found by
    /// trying children in order, so restarting the outer child is guaranteed to reach the
    /// guard), the selectors above that.
    fn attach_observers(&mut self) {
        let mut found = Vec::new();
        for index in 0..self.nodes.len() {
            let NodeKind::Selector { children, .. } = self.nodes[index].kind else {
                continue;
            };
            found.clear();
            for (restart_index, &child) in self.child_ids[children.range()].iter().enumerate() {
                self.collect_lower_priority_guards(child, restart_index as u32, &mut found);
            }
            let start = Self::arena_len(&self.observers);
            self.observers.extend_from_slice(&found);
            let end = Self::arena_len(&self.observers);
            if let NodeKind::Selector { observers, .. } = &mut self.nodes[index].kind {
                *observers = ArenaRange { start, end };
            }
        }
    }

    fn collect_lower_priority_guards(
        &self,
        node: NodeId,
        restart_index: u32,
        found: &mut Vec<Observer>,
    ) {
        match &self.nodes[node.index()].kind {
            NodeKind::Guard { abort, .. } if abort.aborts_lower_priority() => {
                found.push(Observer {
                    guard: node,
                    restart_index,
                });
            }
            NodeKind::Selector { children, .. } => {
                for &child in &self.child_ids[children.range()] {
                    self.collect_lower_priority_guards(child, restart_index, found);
                }
            }
            _ => {}
        }
    }
}

fn check_non_negative(value: f32, path: &str, name: &str) -> Result<(), BehaviourError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(BehaviourError::invalid(
            path,
            format!("{name} must be a finite number >= 0, got {value}"),
        ))
    }
}
