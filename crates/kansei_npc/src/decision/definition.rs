//! The behaviour data model: what RON files deserialize into and what the Rust builders produce.
//! See the module documentation of `decision` for the file format.

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::{Deserialize, Serialize};

use super::blackboard::Value;
use super::condition::Condition;
use super::error::BehaviourError;
use super::symbol::{Key, Symbol, TaskName};
use super::utility::Consideration;

/// A whole behaviour file: `Behaviour(name: "guard", root: ...)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Behaviour")]
pub struct BehaviourDef {
    /// Name for logs and debugging.
    pub name: String,
    /// The root node.
    pub root: NodeDef,
}

/// When a `Guard` re-checks its condition while the tree runs (Unreal-style observer aborts).
///
/// In RON: `None`, `SelfOnly`, `LowerPriority` or `Both`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Abort {
    /// The condition is only checked when the guard is entered.
    #[default]
    None,
    /// While the guarded branch runs, the branch is aborted (and the guard fails) as soon as the
    /// condition turns false.
    SelfOnly,
    /// While a lower-priority sibling branch of the enclosing `Selector` runs, that branch is
    /// aborted and this guard's branch starts (in the same tick) as soon as the condition turns
    /// true.
    LowerPriority,
    /// Both `SelfOnly` and `LowerPriority`.
    Both,
}

impl Abort {
    /// Whether the running guarded branch is watched.
    pub fn aborts_self(self) -> bool {
        matches!(self, Abort::SelfOnly | Abort::Both)
    }

    /// Whether lower-priority siblings are watched.
    pub fn aborts_lower_priority(self) -> bool {
        matches!(self, Abort::LowerPriority | Abort::Both)
    }
}

/// How a `Parallel` node decides it is done.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ParallelPolicy {
    /// Succeeds when every child has succeeded; fails (aborting the rest) when any child fails.
    RequireAll,
    /// Succeeds (aborting the rest) when any child succeeds; fails when every child has failed.
    RequireOne,
}

/// One candidate of a `Utility` node.
///
/// In RON: `(name: "eat", weight: 1.0, considerations: [..], child: Task("eat"))`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Action")]
pub struct UtilityActionDef {
    /// Name shown in the decision log.
    pub name: Symbol,
    /// Multiplies the action's score; must be finite and >= 0.
    pub weight: f32,
    /// The axes; the action's score is `weight *` the compensated product of their scores.
    #[serde(default)]
    pub considerations: Vec<Consideration>,
    /// What runs while this action is chosen.
    pub child: NodeDef,
}

impl UtilityActionDef {
    /// A utility action.
    pub fn new(
        name: &str,
        weight: f32,
        considerations: impl IntoIterator<Item = Consideration>,
        child: NodeDef,
    ) -> UtilityActionDef {
        UtilityActionDef {
            name: Symbol::new(name),
            weight,
            considerations: considerations.into_iter().collect(),
            child,
        }
    }
}

/// A behaviour tree node. The RON spelling of each variant is given in its doc.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeDef {
    /// `Sequence([a, b, ..])`: runs children in order; fails at the first failure, succeeds when
    /// all succeeded.
    Sequence(Vec<NodeDef>),
    /// `Selector([a, b, ..])`: tries children in priority order; succeeds at the first success,
    /// fails when all failed. The place where `LowerPriority` guards act.
    Selector(Vec<NodeDef>),
    /// `Parallel(policy: RequireAll, children: [..])`: ticks every unfinished child each tick,
    /// so several tasks can be active at once.
    Parallel {
        /// When the node is done.
        policy: ParallelPolicy,
        /// The children, ticked in order.
        children: Vec<NodeDef>,
    },
    /// `Utility(momentum: 0.25, actions: [..])`: a utility selector. Scores every action, runs
    /// the best one (score > 0, ties to the earlier action) and re-scores whenever a key its
    /// considerations read changes, switching (and aborting the old branch) when another action
    /// wins. The running action's score is multiplied by `1 + momentum` so that NPCs do not
    /// dither. Finishes with the running action's result; fails when no action scores above 0.
    Utility {
        /// Bonus fraction for the running action (0.25 = +25%); finite, >= 0.
        momentum: f32,
        /// The candidates, in tie-break order.
        actions: Vec<UtilityActionDef>,
    },
    /// `Invert(child)`: swaps success and failure.
    Invert(Box<NodeDef>),
    /// `Succeed(child)`: turns failure into success.
    Succeed(Box<NodeDef>),
    /// `Repeat(times: Some(3), child: ..)` or `Repeat(child: ..)` (forever): restarts the child
    /// after each success, one iteration per tick at most; fails when the child fails.
    Repeat {
        /// How many successes to run; `None` repeats forever, `Some(0)` succeeds at once.
        #[serde(default)]
        times: Option<u32>,
        /// The repeated node.
        child: Box<NodeDef>,
    },
    /// `Cooldown(seconds: 5.0, child: ..)`: fails without running the child if the child
    /// finished (succeeded or failed) less than `seconds` ago.
    Cooldown {
        /// The cool-down after the child finishes; finite, >= 0.
        seconds: f32,
        /// The guarded node.
        child: Box<NodeDef>,
    },
    /// `TimeLimit(seconds: 10.0, child: ..)`: aborts the child and fails once it has run for
    /// `seconds`.
    TimeLimit {
        /// The longest the child may run; finite, >= 0.
        seconds: f32,
        /// The limited node.
        child: Box<NodeDef>,
    },
    /// `Guard(when: IsTrue("x"), abort: LowerPriority, child: ..)`: runs the child only if the
    /// condition holds when entered (else fails), and watches it afterwards as `abort` says.
    /// `abort` defaults to `None`.
    Guard {
        /// The condition.
        when: Condition,
        /// What the guard watches while the tree runs.
        #[serde(default)]
        abort: Abort,
        /// The guarded node.
        child: Box<NodeDef>,
    },
    /// `Task("patrol")` or `Task("chase", Some("target_position"))`: starts a task in
    /// `ActiveTasks` and runs until a game system sets its status. The optional second value is
    /// a blackboard key the task reads its argument from.
    Task(TaskName, #[serde(default)] Option<Key>),
    /// `Wait(2.0)`: runs for that many seconds, then succeeds.
    Wait(f32),
    /// `Set("heard_noise", Bool(false))`: writes a blackboard value and succeeds.
    Set(Key, Value),
    /// `Clear("target")`: removes a blackboard key and succeeds.
    Clear(Key),
    /// `Check(Greater("hunger", 0.5))`: succeeds if the condition holds, else fails.
    Check(Condition),
}

impl NodeDef {
    /// `Sequence([...])`.
    pub fn sequence(children: impl IntoIterator<Item = NodeDef>) -> NodeDef {
        NodeDef::Sequence(children.into_iter().collect())
    }

    /// `Selector([...])`.
    pub fn selector(children: impl IntoIterator<Item = NodeDef>) -> NodeDef {
        NodeDef::Selector(children.into_iter().collect())
    }

    /// `Parallel(policy, children)`.
    pub fn parallel(
        policy: ParallelPolicy,
        children: impl IntoIterator<Item = NodeDef>,
    ) -> NodeDef {
        NodeDef::Parallel {
            policy,
            children: children.into_iter().collect(),
        }
    }

    /// `Utility(momentum, actions)`.
    pub fn utility(momentum: f32, actions: impl IntoIterator<Item = UtilityActionDef>) -> NodeDef {
        NodeDef::Utility {
            momentum,
            actions: actions.into_iter().collect(),
        }
    }

    /// `Invert(child)`.
    pub fn invert(child: NodeDef) -> NodeDef {
        NodeDef::Invert(Box::new(child))
    }

    /// `Succeed(child)`.
    pub fn succeed(child: NodeDef) -> NodeDef {
        NodeDef::Succeed(Box::new(child))
    }

    /// `Repeat(times, child)`; `None` repeats forever.
    pub fn repeat(times: Option<u32>, child: NodeDef) -> NodeDef {
        NodeDef::Repeat {
            times,
            child: Box::new(child),
        }
    }

    /// `Cooldown(seconds, child)`.
    pub fn cooldown(seconds: f32, child: NodeDef) -> NodeDef {
        NodeDef::Cooldown {
            seconds,
            child: Box::new(child),
        }
    }

    /// `TimeLimit(seconds, child)`.
    pub fn time_limit(seconds: f32, child: NodeDef) -> NodeDef {
        NodeDef::TimeLimit {
            seconds,
            child: Box::new(child),
        }
    }

    /// `Guard(when, abort, child)`.
    pub fn guard(when: Condition, abort: Abort, child: NodeDef) -> NodeDef {
        NodeDef::Guard {
            when,
            abort,
            child: Box::new(child),
        }
    }

    /// `Task(name)` without a key.
    pub fn task(name: &str) -> NodeDef {
        NodeDef::Task(Symbol::new(name), None)
    }

    /// `Task(name, Some(key))`.
    pub fn task_with_key(name: &str, key: &str) -> NodeDef {
        NodeDef::Task(Symbol::new(name), Some(Symbol::new(key)))
    }

    /// `Wait(seconds)`.
    pub fn wait(seconds: f32) -> NodeDef {
        NodeDef::Wait(seconds)
    }

    /// `Set(key, value)`.
    pub fn set(key: &str, value: impl Into<Value>) -> NodeDef {
        NodeDef::Set(Symbol::new(key), value.into())
    }

    /// `Clear(key)`.
    pub fn clear(key: &str) -> NodeDef {
        NodeDef::Clear(Symbol::new(key))
    }

    /// `Check(condition)`.
    pub fn check(condition: Condition) -> NodeDef {
        NodeDef::Check(condition)
    }

    /// The variant name, used in validation paths (`root.Selector[1].Guard.child`).
    pub fn kind_name(&self) -> &'static str {
        match self {
            NodeDef::Sequence(_) => "Sequence",
            NodeDef::Selector(_) => "Selector",
            NodeDef::Parallel { .. } => "Parallel",
            NodeDef::Utility { .. } => "Utility",
            NodeDef::Invert(_) => "Invert",
            NodeDef::Succeed(_) => "Succeed",
            NodeDef::Repeat { .. } => "Repeat",
            NodeDef::Cooldown { .. } => "Cooldown",
            NodeDef::TimeLimit { .. } => "TimeLimit",
            NodeDef::Guard { .. } => "Guard",
            NodeDef::Task(..) => "Task",
            NodeDef::Wait(_) => "Wait",
            NodeDef::Set(..) => "Set",
            NodeDef::Clear(_) => "Clear",
            NodeDef::Check(_) => "Check",
        }
    }
}

/// The parser options for behaviour files: `implicit_some` is on, so `Some("key")` may also be
/// written as plain `"key"` and `Some(3)` as `3`.
fn ron_options() -> ron::Options {
    ron::Options::default().with_default_extension(Extensions::IMPLICIT_SOME)
}

impl BehaviourDef {
    /// A definition from a name and a root node.
    pub fn new(name: &str, root: NodeDef) -> BehaviourDef {
        BehaviourDef {
            name: name.to_owned(),
            root,
        }
    }

    /// Parses RON text. Only the syntax and shape are checked here; [`Behaviour::compile`]
    /// validates the contents.
    ///
    /// [`Behaviour::compile`]: super::Behaviour::compile
    pub fn from_ron(text: &str) -> Result<BehaviourDef, BehaviourError> {
        ron_options()
            .from_str(text)
            .map_err(|error| BehaviourError::Parse {
                line: error.span.start.line,
                column: error.span.start.col,
                message: error.code.to_string(),
            })
    }

    /// Writes the definition as pretty RON that [`BehaviourDef::from_ron`] reads back to an
    /// equal definition.
    pub fn to_ron(&self) -> Result<String, BehaviourError> {
        let config = PrettyConfig::new()
            .struct_names(true)
            .indentor("    ".to_owned());
        // Written without extensions, so optional values appear as explicit `Some(..)`.
        ron::ser::to_string_pretty(self, config)
            .map_err(|error| BehaviourError::Serialize(error.to_string()))
    }
}
