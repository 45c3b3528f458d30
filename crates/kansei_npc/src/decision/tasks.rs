//! The hand-over point between behaviours and the game systems that carry out tasks.

use super::compile::NodeId;
use super::symbol::{Key, TaskName};

/// A task's progress, set by the game system that implements it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum TaskStatus {
    /// Still going (the state the behaviour starts it in).
    #[default]
    Running,
    /// Done; the `Task` node succeeds on the next tick.
    Success,
    /// Could not be done; the `Task` node fails on the next tick.
    Failure,
}

/// A task a behaviour is running.
#[derive(Clone, Copy, Debug)]
pub struct ActiveTask {
    /// Which task (systems match on this).
    pub name: TaskName,
    /// The blackboard key holding the task's argument, if the `Task` node named one.
    pub key: Option<Key>,
    /// The `Task` node that started it.
    pub node: NodeId,
    /// Set by the game system when the task is done.
    pub status: TaskStatus,
    /// The `now` of the tick that started it.
    pub started: f32,
}

/// The tasks a behaviour currently runs (several at once under a `Parallel`).
///
/// Game systems read the ones they implement and set `status` to `Success` or `Failure` when
/// done; the next tick consumes that and removes the task. Tasks removed by an abort (or by a
/// behaviour swap) are listed in [`cancelled`](ActiveTasks::cancelled) until the start of the next
/// tick, so that systems can clean up (stop moving, put the tool away).
#[derive(Clone, Debug, Default)]
pub struct ActiveTasks {
    running: Vec<ActiveTask>,
    cancelled: Vec<ActiveTask>,
}

impl ActiveTasks {
    /// No tasks.
    pub fn new() -> ActiveTasks {
        ActiveTasks::default()
    }

    /// Heap bytes behind the running and cancelled lists, for memory reports.
    pub fn heap_bytes(&self) -> usize {
        (self.running.capacity() + self.cancelled.capacity()) * size_of::<ActiveTask>()
    }

    /// The running tasks, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &ActiveTask> + '_ {
        self.running.iter()
    }

    /// The running tasks, mutably (to set `status`).
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut ActiveTask> + '_ {
        self.running.iter_mut()
    }

    /// The oldest running task with this name.
    pub fn get_mut(&mut self, name: TaskName) -> Option<&mut ActiveTask> {
        self.running.iter_mut().find(|task| task.name == name)
    }

    /// The oldest running task with this name.
    pub fn get(&self, name: TaskName) -> Option<&ActiveTask> {
        self.running.iter().find(|task| task.name == name)
    }

    /// Whether a task with this name is running.
    pub fn is_running(&self, name: TaskName) -> bool {
        self.get(name).is_some()
    }

    /// The tasks cancelled by the last tick (aborts, behaviour swaps).
    pub fn cancelled(&self) -> &[ActiveTask] {
        &self.cancelled
    }

    /// Marks the task with this name as succeeded (no-op if it is not running).
    pub fn succeed(&mut self, name: TaskName) {
        if let Some(task) = self.get_mut(name) {
            task.status = TaskStatus::Success;
        }
    }

    /// Marks the task with this name as failed (no-op if it is not running).
    pub fn fail(&mut self, name: TaskName) {
        if let Some(task) = self.get_mut(name) {
            task.status = TaskStatus::Failure;
        }
    }

    /// The number of running tasks.
    pub fn len(&self) -> usize {
        self.running.len()
    }

    /// Whether no task is running.
    pub fn is_empty(&self) -> bool {
        self.running.is_empty()
    }

    pub(crate) fn start(&mut self, task: ActiveTask) {
        self.running.push(task);
    }

    pub(crate) fn status_of(&self, node: NodeId) -> Option<TaskStatus> {
        self.running
            .iter()
            .find(|task| task.node == node)
            .map(|task| task.status)
    }

    /// Removes the finished task of `node` (not a cancellation).
    pub(crate) fn finish(&mut self, node: NodeId) {
        if let Some(index) = self.running.iter().position(|task| task.node == node) {
            self.running.remove(index);
        }
    }

    /// Moves every task started by a node in `first..end` to the cancelled list.
    pub(crate) fn cancel_range(&mut self, first: u32, end: u32) {
        let cancelled = &mut self.cancelled;
        self.running.retain(|task| {
            let inside = task.node.0 >= first && task.node.0 < end;
            if inside {
                cancelled.push(*task);
            }
            !inside
        });
    }

    /// Moves every running task to the cancelled list.
    pub(crate) fn cancel_all(&mut self) {
        self.cancelled.append(&mut self.running);
    }

    pub(crate) fn clear_cancelled(&mut self) {
        self.cancelled.clear();
    }
}
