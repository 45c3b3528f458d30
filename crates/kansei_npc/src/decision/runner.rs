//! Ticking a compiled [`Behaviour`] for one NPC.
//!
//! Each tick walks from the root down the running path (the nodes that returned `Running` last
//! tick), entering new nodes as composites advance. All per-NPC progress (cursors, timers, guard
//! results) lives in one flat `Vec` in [`BehaviourState`], indexed by node id, so a tick
//! allocates nothing once the task lists have grown to their working size.

use super::blackboard::Blackboard;
use super::compile::{ArenaRange, Behaviour, NodeId, NodeKind};
use super::definition::ParallelPolicy;
use super::log::{DecisionCause, DecisionLog, DecisionRecord};
use super::symbol::Symbol;
use super::tasks::{ActiveTask, ActiveTasks, TaskStatus};
use super::utility::score_considerations;

/// The result of ticking a node (or the whole behaviour).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Not done; tick again next frame.
    Running,
    /// Done, succeeded. For the root: the behaviour restarts on the next tick.
    Success,
    /// Done, failed. For the root: the behaviour restarts on the next tick.
    Failure,
}

/// Whether a child of a `Parallel` has finished in the parallel's current run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Pending,
    Succeeded,
    Failed,
}

/// One node's per-NPC progress.
#[derive(Clone, Copy, Debug)]
struct NodeState {
    /// Entered and not yet finished (on the running path).
    active: bool,
    /// Guards: the condition's value when last evaluated. `LowerPriority` aborts fire when it
    /// turns from false to true.
    guard_result: bool,
    /// Set by a parent `Parallel` when this child finishes.
    outcome: Outcome,
    /// Sequence/Selector: current child index. Repeat: completed iterations. Utility: chosen
    /// action index.
    cursor: u32,
    /// Wait/TimeLimit: entry time. Cooldown: when the child last finished.
    time: f32,
}

impl NodeState {
    const INITIAL: NodeState = NodeState {
        active: false,
        guard_result: false,
        outcome: Outcome::Pending,
        cursor: 0,
        // "Long ago", so that a Cooldown is ready at first.
        time: f32::NEG_INFINITY,
    };
}

/// One NPC's progress through a [`Behaviour`].
///
/// Sized on the first tick. It remembers which behaviour it belongs to, so handing an NPC a
/// different behaviour (e.g. a hot-reloaded one) restarts it cleanly: all tasks are cancelled
/// and the new behaviour starts from its root.
///
/// Guards and utility nodes re-evaluate only when a key they watch changed since the previous
/// tick, judged by [`Blackboard::revision`]; keep one blackboard per NPC for its lifetime (or
/// call [`reset`](BehaviourState::reset) after replacing it).
#[derive(Clone, Debug, Default)]
pub struct BehaviourState {
    behaviour_id: u64,
    nodes: Vec<NodeState>,
    /// Blackboard revision at the start of the previous tick.
    last_revision: u32,
    observer_evaluations: u64,
}

impl BehaviourState {
    /// A state that starts whatever behaviour ticks it first.
    pub fn new() -> BehaviourState {
        BehaviourState::default()
    }

    /// Heap bytes behind the per-node state, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.nodes.capacity() * size_of::<NodeState>()
    }

    /// The id of the behaviour this state is running (0 before the first tick).
    pub fn behaviour_id(&self) -> u64 {
        self.behaviour_id
    }

    /// Forgets all progress: the next tick cancels running tasks and restarts from the root.
    pub fn reset(&mut self) {
        self.behaviour_id = 0;
    }

    /// Whether `node` is on the running path.
    pub fn is_active(&self, node: NodeId) -> bool {
        self.nodes
            .get(node.index())
            .is_some_and(|state| state.active)
    }

    /// The nodes on the running path, in pre-order (for debug views).
    pub fn active_nodes(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, state)| state.active)
            .map(|(index, _)| NodeId(index as u32))
    }

    /// How many times guards watching a running branch re-evaluated their condition because a
    /// watched key changed (entering a guard is not counted). A profiling and test aid.
    pub fn observer_evaluations(&self) -> u64 {
        self.observer_evaluations
    }
}

impl Behaviour {
    /// Advances one NPC's behaviour by one tick at time `now` (seconds).
    ///
    /// Clears `tasks.cancelled()` first, so it lists exactly the tasks this tick cancelled.
    /// Returns the root's status; a finished root starts over on the next tick.
    pub fn tick(
        &self,
        state: &mut BehaviourState,
        blackboard: &mut Blackboard,
        tasks: &mut ActiveTasks,
        now: f32,
        log: &mut DecisionLog,
    ) -> Status {
        tasks.clear_cancelled();
        if state.behaviour_id != self.id() || state.nodes.len() != self.nodes.len() {
            tasks.cancel_all();
            state.behaviour_id = self.id();
            state.nodes.clear();
            state.nodes.resize(self.nodes.len(), NodeState::INITIAL);
            state.last_revision = 0;
        }
        // Changes made after the start of the previous tick (by game systems between ticks, or
        // by this behaviour's own `Set`/`Clear` nodes during it) are "new" for this tick.
        let since = state.last_revision;
        state.last_revision = blackboard.revision();
        let mut ticker = Ticker {
            behaviour: self,
            nodes: &mut state.nodes,
            blackboard,
            tasks,
            log,
            now,
            since,
            evaluations: 0,
        };
        let status = ticker.tick_node(NodeId::ROOT);
        state.observer_evaluations += ticker.evaluations;
        status
    }
}

/// The result of scoring a utility node's actions.
struct UtilityPick {
    best: u32,
    best_score: f32,
    runner_up: Option<(Symbol, f32)>,
}

/// Everything one tick needs, so the recursive walk passes a single `&mut self`.
struct Ticker<'a> {
    behaviour: &'a Behaviour,
    nodes: &'a mut [NodeState],
    blackboard: &'a mut Blackboard,
    tasks: &'a mut ActiveTasks,
    log: &'a mut DecisionLog,
    now: f32,
    since: u32,
    evaluations: u64,
}

impl Ticker<'_> {
    fn tick_node(&mut self, id: NodeId) -> Status {
        let behaviour = self.behaviour;
        let index = id.index();
        let entering = !self.nodes[index].active;
        if entering {
            let state = &mut self.nodes[index];
            state.active = true;
            state.cursor = 0;
        }
        // A decorator's only child directly follows it in pre-order.
        let child = NodeId(id.0 + 1);

        let status = match &behaviour.nodes[index].kind {
            NodeKind::Sequence { children } => self.tick_sequence(id, *children),
            NodeKind::Selector {
                children,
                observers,
            } => {
                if !entering {
                    self.check_lower_priority(id, *children, *observers);
                }
                self.tick_selector(id, *children)
            }
            NodeKind::Parallel { policy, children } => {
                self.tick_parallel(*policy, *children, entering)
            }
            NodeKind::Utility {
                momentum,
                actions,
                watched,
            } => self.tick_utility(id, *momentum, *actions, *watched, entering),
            NodeKind::Invert => match self.tick_node(child) {
                Status::Running => Status::Running,
                Status::Success => Status::Failure,
                Status::Failure => Status::Success,
            },
            NodeKind::Succeed => match self.tick_node(child) {
                Status::Running => Status::Running,
                Status::Success | Status::Failure => Status::Success,
            },
            NodeKind::Repeat { times } => {
                if entering && *times == Some(0) {
                    Status::Success
                } else {
                    match self.tick_node(child) {
                        Status::Running => Status::Running,
                        Status::Failure => Status::Failure,
                        Status::Success => {
                            let state = &mut self.nodes[index];
                            state.cursor += 1;
                            if times.is_some_and(|times| state.cursor >= times) {
                                Status::Success
                            } else {
                                // The child is inactive again and restarts next tick; at most
                                // one iteration per tick so an instant child cannot spin.
                                Status::Running
                            }
                        }
                    }
                }
            }
            NodeKind::Cooldown { seconds } => {
                let elapsed = self.now - self.nodes[index].time;
                // A negative elapsed time means the clock was reset: treat as ready.
                if entering && (0.0..*seconds).contains(&elapsed) {
                    Status::Failure
                } else {
                    let status = self.tick_node(child);
                    if status != Status::Running {
                        self.nodes[index].time = self.now;
                    }
                    status
                }
            }
            NodeKind::TimeLimit { seconds } => {
                if entering {
                    self.nodes[index].time = self.now;
                    self.tick_node(child)
                } else if self.now - self.nodes[index].time >= *seconds {
                    self.abort_subtree(child);
                    self.record(
                        id,
                        behaviour.node_label_symbol(child),
                        DecisionCause::TimeLimit,
                    );
                    Status::Failure
                } else {
                    self.tick_node(child)
                }
            }
            NodeKind::Guard {
                condition,
                abort,
                watched,
            } => {
                if entering {
                    let holds = behaviour.conditions[*condition as usize].evaluate(self.blackboard);
                    self.nodes[index].guard_result = holds;
                    if holds {
                        self.tick_node(child)
                    } else {
                        Status::Failure
                    }
                } else if abort.aborts_self() && self.any_changed(*watched) {
                    self.evaluations += 1;
                    let holds = behaviour.conditions[*condition as usize].evaluate(self.blackboard);
                    self.nodes[index].guard_result = holds;
                    if holds {
                        self.tick_node(child)
                    } else {
                        self.abort_subtree(child);
                        self.record(
                            id,
                            behaviour.node_label_symbol(id),
                            DecisionCause::ConditionLost { guard: id },
                        );
                        Status::Failure
                    }
                } else {
                    self.tick_node(child)
                }
            }
            NodeKind::Task { name, key } => {
                if entering {
                    self.tasks.start(ActiveTask {
                        name: *name,
                        key: *key,
                        node: id,
                        status: TaskStatus::Running,
                        started: self.now,
                    });
                    Status::Running
                } else {
                    match self.tasks.status_of(id) {
                        Some(TaskStatus::Running) => Status::Running,
                        Some(TaskStatus::Success) => {
                            self.tasks.finish(id);
                            Status::Success
                        }
                        Some(TaskStatus::Failure) => {
                            self.tasks.finish(id);
                            Status::Failure
                        }
                        // Someone removed the task from under us.
                        None => Status::Failure,
                    }
                }
            }
            NodeKind::Wait { seconds } => {
                if entering {
                    self.nodes[index].time = self.now;
                }
                if self.now - self.nodes[index].time >= *seconds {
                    Status::Success
                } else {
                    Status::Running
                }
            }
            NodeKind::Set { key, value } => {
                self.blackboard.set(*key, *value);
                Status::Success
            }
            NodeKind::Clear { key } => {
                self.blackboard.remove(*key);
                Status::Success
            }
            NodeKind::Check { condition } => {
                if behaviour.conditions[*condition as usize].evaluate(self.blackboard) {
                    Status::Success
                } else {
                    Status::Failure
                }
            }
        };

        if status != Status::Running {
            self.nodes[index].active = false;
        }
        status
    }

    fn tick_sequence(&mut self, id: NodeId, children: ArenaRange) -> Status {
        loop {
            let Some(child) = self
                .behaviour
                .child_at(children, self.nodes[id.index()].cursor)
            else {
                return Status::Success;
            };
            match self.tick_node(child) {
                Status::Running => return Status::Running,
                Status::Failure => return Status::Failure,
                Status::Success => self.nodes[id.index()].cursor += 1,
            }
        }
    }

    fn tick_selector(&mut self, id: NodeId, children: ArenaRange) -> Status {
        loop {
            let Some(child) = self
                .behaviour
                .child_at(children, self.nodes[id.index()].cursor)
            else {
                return Status::Failure;
            };
            let starting = !self.nodes[child.index()].active;
            match self.tick_node(child) {
                Status::Running => {
                    if starting {
                        let label = self.behaviour.node_label_symbol(child);
                        self.record(id, label, DecisionCause::BranchStarted);
                    }
                    return Status::Running;
                }
                Status::Success => return Status::Success,
                Status::Failure => self.nodes[id.index()].cursor += 1,
            }
        }
    }

    /// `LowerPriority` aborts: re-checks the guards of higher-priority children whose watched
    /// keys changed; the first whose condition turned true aborts the running child and moves
    /// the cursor back to its branch (which `tick_selector` then starts in this same tick).
    fn check_lower_priority(&mut self, id: NodeId, children: ArenaRange, observers: ArenaRange) {
        let behaviour = self.behaviour;
        let running_index = self.nodes[id.index()].cursor;
        for observer in &behaviour.observers[observers.range()] {
            if observer.restart_index >= running_index {
                break;
            }
            let guard = observer.guard;
            let NodeKind::Guard {
                condition, watched, ..
            } = &behaviour.nodes[guard.index()].kind
            else {
                continue;
            };
            if !self.any_changed(*watched) {
                continue;
            }
            self.evaluations += 1;
            let holds = behaviour.conditions[*condition as usize].evaluate(self.blackboard);
            let held = std::mem::replace(&mut self.nodes[guard.index()].guard_result, holds);
            if holds && !held {
                if let Some(running) = behaviour.child_at(children, running_index) {
                    self.abort_subtree(running);
                }
                self.nodes[id.index()].cursor = observer.restart_index;
                self.record(
                    id,
                    behaviour.node_label_symbol(guard),
                    DecisionCause::Abort { guard },
                );
                return;
            }
        }
    }

    fn tick_parallel(
        &mut self,
        policy: ParallelPolicy,
        children: ArenaRange,
        entering: bool,
    ) -> Status {
        let behaviour = self.behaviour;
        let child_ids = &behaviour.child_ids[children.range()];
        if entering {
            for child in child_ids {
                self.nodes[child.index()].outcome = Outcome::Pending;
            }
        }
        let mut succeeded = 0;
        let mut failed = 0;
        let mut decided = None;
        for &child in child_ids {
            let outcome = match self.nodes[child.index()].outcome {
                Outcome::Pending => match self.tick_node(child) {
                    Status::Running => Outcome::Pending,
                    Status::Success => Outcome::Succeeded,
                    Status::Failure => Outcome::Failed,
                },
                finished => finished,
            };
            self.nodes[child.index()].outcome = outcome;
            match outcome {
                Outcome::Succeeded => succeeded += 1,
                Outcome::Failed => failed += 1,
                Outcome::Pending => {}
            }
            match policy {
                ParallelPolicy::RequireAll if failed > 0 => decided = Some(Status::Failure),
                ParallelPolicy::RequireOne if succeeded > 0 => decided = Some(Status::Success),
                _ => {}
            }
            if decided.is_some() {
                break;
            }
        }
        let total = child_ids.len();
        let status = decided.unwrap_or(match policy {
            ParallelPolicy::RequireAll if succeeded == total => Status::Success,
            ParallelPolicy::RequireOne if failed == total => Status::Failure,
            _ => Status::Running,
        });
        if status != Status::Running {
            for &child in child_ids {
                if self.nodes[child.index()].active {
                    self.abort_subtree(child);
                }
            }
        }
        status
    }

    fn tick_utility(
        &mut self,
        id: NodeId,
        momentum: f32,
        actions: ArenaRange,
        watched: ArenaRange,
        entering: bool,
    ) -> Status {
        let behaviour = self.behaviour;
        let current = if entering {
            None
        } else {
            Some(self.nodes[id.index()].cursor)
        };
        // Scores depend only on the blackboard, so they can only change when a read key did.
        if entering || self.any_changed(watched) {
            let pick = self.score_actions(actions, current, momentum);
            let current_child =
                current.map(|index| behaviour.actions[(actions.start + index) as usize].child);
            match pick {
                None => {
                    if let Some(child) = current_child {
                        self.abort_subtree(child);
                    }
                    return Status::Failure;
                }
                Some(pick) if Some(pick.best) != current => {
                    if let Some(child) = current_child {
                        self.abort_subtree(child);
                    }
                    self.nodes[id.index()].cursor = pick.best;
                    self.log.push(DecisionRecord {
                        time: self.now,
                        node: id,
                        choice: behaviour.actions[(actions.start + pick.best) as usize].name,
                        score: Some(pick.best_score),
                        runner_up: pick.runner_up,
                        cause: DecisionCause::UtilityPick,
                    });
                }
                Some(_) => {}
            }
        }
        let chosen = self.nodes[id.index()].cursor;
        let child = behaviour.actions[(actions.start + chosen) as usize].child;
        self.tick_node(child)
    }

    /// Scores every action (`weight *` compensated product of considerations, times
    /// `1 + momentum` for the running one) and returns the best with score > 0, ties going to
    /// the earlier action, plus the best of the rest.
    fn score_actions(
        &self,
        actions: ArenaRange,
        current: Option<u32>,
        momentum: f32,
    ) -> Option<UtilityPick> {
        let behaviour = self.behaviour;
        let mut best: Option<(u32, f32)> = None;
        let mut runner_up: Option<(u32, f32)> = None;
        for (offset, action) in behaviour.actions[actions.range()].iter().enumerate() {
            let offset = offset as u32;
            let considerations = &behaviour.considerations[action.considerations.range()];
            let mut score = action.weight * score_considerations(considerations, self.blackboard);
            if current == Some(offset) {
                score *= 1.0 + momentum;
            }
            match best {
                Some((_, best_score)) if score <= best_score => {
                    if runner_up.is_none_or(|(_, second)| score > second) {
                        runner_up = Some((offset, score));
                    }
                }
                _ => {
                    runner_up = best;
                    best = Some((offset, score));
                }
            }
        }
        let (best, best_score) = best?;
        if best_score <= 0.0 {
            return None;
        }
        Some(UtilityPick {
            best,
            best_score,
            runner_up: runner_up.map(|(offset, score)| {
                (
                    behaviour.actions[(actions.start + offset) as usize].name,
                    score,
                )
            }),
        })
    }

    fn any_changed(&self, watched: ArenaRange) -> bool {
        self.behaviour.keys[watched.range()]
            .iter()
            .any(|&key| self.blackboard.changed_since(key, self.since))
    }

    /// Deactivates `root` and its whole subtree and cancels the tasks they started.
    fn abort_subtree(&mut self, root: NodeId) {
        let end = self.behaviour.nodes[root.index()].subtree_end;
        for state in &mut self.nodes[root.index()..end as usize] {
            state.active = false;
        }
        self.tasks.cancel_range(root.0, end);
    }

    fn record(&mut self, node: NodeId, choice: Symbol, cause: DecisionCause) {
        self.log.push(DecisionRecord {
            time: self.now,
            node,
            choice,
            score: None,
            runner_up: None,
            cause,
        });
    }
}
