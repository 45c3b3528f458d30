//! A small per-NPC record of recent decisions, for debug overlays ("why is this NPC fleeing?").

use super::compile::NodeId;
use super::symbol::Symbol;

/// Why a decision was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum DecisionCause {
    /// A `Selector` started running one of its children (`choice` is the child's label).
    #[default]
    BranchStarted,
    /// A `Utility` node chose an action, on entry or by switching (`choice` is the action name,
    /// `score` its score, `runner_up` the best other action).
    UtilityPick,
    /// A `LowerPriority` guard's condition turned true while a lower-priority branch of its
    /// `Selector` ran; that branch was aborted and the guard's branch started. `choice` is the
    /// guard's label.
    Abort {
        /// The guard whose condition caused the abort.
        guard: NodeId,
    },
    /// A `SelfOnly` guard's condition turned false while its branch ran; the branch was aborted
    /// and the guard failed. `choice` is the guard's label.
    ConditionLost {
        /// The guard that failed.
        guard: NodeId,
    },
    /// A `TimeLimit` ran out and aborted its child. `choice` is the child's label.
    TimeLimit,
}

/// One decision.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct DecisionRecord {
    /// The `now` of the tick that made it.
    pub time: f32,
    /// The node that decided (the `Selector`, `Utility`, `Guard` or `TimeLimit`).
    pub node: NodeId,
    /// What was chosen (see [`DecisionCause`] for what the label names).
    pub choice: Symbol,
    /// The chosen action's utility score, for `UtilityPick`.
    pub score: Option<f32>,
    /// The best other action and its score, for `UtilityPick` with more than one action.
    pub runner_up: Option<(Symbol, f32)>,
    /// Why.
    pub cause: DecisionCause,
}

/// How many records a [`DecisionLog`] keeps.
pub const DECISION_LOG_CAPACITY: usize = 16;

/// A fixed-capacity ring buffer of the last [`DECISION_LOG_CAPACITY`] decisions. Never allocates.
#[derive(Clone, Debug, Default)]
pub struct DecisionLog {
    records: [DecisionRecord; DECISION_LOG_CAPACITY],
    /// Index the next record goes to.
    next: usize,
    len: usize,
}

impl DecisionLog {
    /// An empty log.
    pub fn new() -> DecisionLog {
        DecisionLog::default()
    }

    /// Appends a record, overwriting the oldest one when full.
    pub fn push(&mut self, record: DecisionRecord) {
        self.records[self.next] = record;
        self.next = (self.next + 1) % DECISION_LOG_CAPACITY;
        self.len = (self.len + 1).min(DECISION_LOG_CAPACITY);
    }

    /// The records, newest first.
    pub fn iter(&self) -> impl Iterator<Item = &DecisionRecord> + '_ {
        (1..=self.len).map(move |age| {
            &self.records[(self.next + DECISION_LOG_CAPACITY - age) % DECISION_LOG_CAPACITY]
        })
    }

    /// The newest record.
    pub fn last(&self) -> Option<&DecisionRecord> {
        self.iter().next()
    }

    /// How many records are kept (at most [`DECISION_LOG_CAPACITY`]).
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no decision was recorded.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Forgets every record.
    pub fn clear(&mut self) {
        self.len = 0;
        self.next = 0;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn log_keeps_the_last_sixteen_newest_first() {
        let mut log = DecisionLog::new();
        assert!(log.is_empty());
        assert!(log.last().is_none());
        for i in 0..40u32 {
            log.push(DecisionRecord {
                time: i as f32,
                node: NodeId(i),
                ..DecisionRecord::default()
            });
            assert_eq!(log.len(), (i as usize + 1).min(16));
            assert_eq!(log.last().unwrap().time, i as f32);
        }
        let times: Vec<f32> = log.iter().map(|record| record.time).collect();
        let expected: Vec<f32> = (24..40).rev().map(|i| i as f32).collect();
        assert_eq!(times, expected);
        log.clear();
        assert_eq!(log.iter().count(), 0);
    }
}
