//! The per-NPC key/value store that behaviours read and write.

use glam::Vec2;
use serde::{Deserialize, Serialize};

use super::symbol::Key;

/// A blackboard value.
///
/// In RON: `Bool(true)`, `Float(0.5)`, `Vec2((1.0, 2.0))`, `Target(42)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub enum Value {
    /// A flag, e.g. `target_visible`.
    Bool(bool),
    /// A number, e.g. `hunger` in `[0, 1]`.
    Float(f32),
    /// A position or direction.
    Vec2(Vec2),
    /// Another entity, as the bits of its id (`Entity::to_bits` in Bevy).
    Target(u64),
}

impl Value {
    /// The flag, if this is a `Bool`.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            Value::Bool(flag) => Some(flag),
            _ => None,
        }
    }

    /// The number, if this is a `Float`.
    pub fn as_float(self) -> Option<f32> {
        match self {
            Value::Float(number) => Some(number),
            _ => None,
        }
    }

    /// The vector, if this is a `Vec2`.
    pub fn as_vec2(self) -> Option<Vec2> {
        match self {
            Value::Vec2(vector) => Some(vector),
            _ => None,
        }
    }

    /// The entity bits, if this is a `Target`.
    pub fn as_target(self) -> Option<u64> {
        match self {
            Value::Target(bits) => Some(bits),
            _ => None,
        }
    }

    /// Whether every number in the value is finite (used to validate behaviour files).
    pub fn is_finite(self) -> bool {
        match self {
            Value::Bool(_) | Value::Target(_) => true,
            Value::Float(number) => number.is_finite(),
            Value::Vec2(vector) => vector.is_finite(),
        }
    }
}

impl From<bool> for Value {
    fn from(flag: bool) -> Value {
        Value::Bool(flag)
    }
}

impl From<f32> for Value {
    fn from(number: f32) -> Value {
        Value::Float(number)
    }
}

impl From<Vec2> for Value {
    fn from(vector: Vec2) -> Value {
        Value::Vec2(vector)
    }
}

/// One key's slot. A removed key keeps its slot (with `value: None`) so that the removal
/// itself is visible to [`Blackboard::changed_since`].
#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Key,
    value: Option<Value>,
    /// The blackboard revision of the last real change to this key.
    changed_at: u32,
}

/// Per-NPC key/value store: a small flat `Vec` with linear lookup (NPC blackboards hold a
/// handful of keys, where a scan beats hashing).
///
/// Every real change (a different value, or a removal of a present key) bumps
/// [`revision`](Blackboard::revision) and stamps the key with it, so that guards and utility
/// nodes only re-evaluate when a key they watch changed since the previous tick. Setting a key to
/// the value it already has is not a change.
///
/// The revision is a `u32`; at one change per frame per NPC it would take over two years at
/// 60 fps to wrap, so wrapping is not handled.
#[derive(Clone, Debug, Default)]
pub struct Blackboard {
    entries: Vec<Entry>,
    revision: u32,
}

impl Blackboard {
    /// An empty blackboard at revision 0.
    pub fn new() -> Blackboard {
        Blackboard::default()
    }

    /// Heap bytes behind this blackboard (its entry buffer), for memory reports.
    pub fn heap_bytes(&self) -> usize {
        self.entries.capacity() * size_of::<Entry>()
    }

    fn slot(&self, key: Key) -> Option<&Entry> {
        self.entries.iter().find(|entry| entry.key == key)
    }

    /// The value stored under `key`, if any.
    pub fn get(&self, key: Key) -> Option<Value> {
        self.slot(key).and_then(|entry| entry.value)
    }

    /// Stores `value` under `key`. Returns whether that changed anything (storing an equal value
    /// is not a change and does not bump the revision).
    pub fn set(&mut self, key: Key, value: Value) -> bool {
        let next_revision = self.revision + 1;
        match self.entries.iter_mut().find(|entry| entry.key == key) {
            Some(entry) if entry.value == Some(value) => false,
            Some(entry) => {
                entry.value = Some(value);
                entry.changed_at = next_revision;
                self.revision = next_revision;
                true
            }
            None => {
                self.entries.push(Entry {
                    key,
                    value: Some(value),
                    changed_at: next_revision,
                });
                self.revision = next_revision;
                true
            }
        }
    }

    /// Removes `key`. Returns whether it was present (removing a missing key is not a change).
    pub fn remove(&mut self, key: Key) -> bool {
        let next_revision = self.revision + 1;
        match self.entries.iter_mut().find(|entry| entry.key == key) {
            Some(entry) if entry.value.is_some() => {
                entry.value = None;
                entry.changed_at = next_revision;
                self.revision = next_revision;
                true
            }
            _ => false,
        }
    }

    /// The flag under `key`; a missing key (or a non-`Bool` value) reads as `false`.
    pub fn get_bool(&self, key: Key) -> bool {
        self.get(key).and_then(Value::as_bool).unwrap_or(false)
    }

    /// The number under `key`, if it holds a `Float`.
    pub fn get_float(&self, key: Key) -> Option<f32> {
        self.get(key).and_then(Value::as_float)
    }

    /// The vector under `key`, if it holds a `Vec2`.
    pub fn get_vec2(&self, key: Key) -> Option<Vec2> {
        self.get(key).and_then(Value::as_vec2)
    }

    /// The entity bits under `key`, if it holds a `Target`.
    pub fn get_target(&self, key: Key) -> Option<u64> {
        self.get(key).and_then(Value::as_target)
    }

    /// Whether `key` currently holds a value.
    pub fn contains(&self, key: Key) -> bool {
        self.get(key).is_some()
    }

    /// The revision counter: the number of real changes made so far.
    pub fn revision(&self) -> u32 {
        self.revision
    }

    /// Whether `key` was set or removed after `revision` (i.e. its last change has a higher
    /// revision). A key that was never written has not changed.
    pub fn changed_since(&self, key: Key, revision: u32) -> bool {
        self.slot(key)
            .is_some_and(|entry| entry.changed_at > revision)
    }

    /// The present keys and their values, in first-insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (Key, Value)> + '_ {
        self.entries
            .iter()
            .filter_map(|entry| entry.value.map(|value| (entry.key, value)))
    }

    /// The number of present keys.
    pub fn len(&self) -> usize {
        self.iter().count()
    }

    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::decision::Symbol;

    #[test]
    fn set_get_remove_and_typed_getters() {
        let hunger = Symbol::new("bb_hunger");
        let seen = Symbol::new("bb_seen");
        let spot = Symbol::new("bb_spot");
        let enemy = Symbol::new("bb_enemy");
        let mut board = Blackboard::new();
        assert!(!board.get_bool(seen));
        assert_eq!(board.get(hunger), None);
        assert!(board.set(hunger, Value::Float(0.5)));
        assert!(board.set(seen, true.into()));
        assert!(board.set(spot, Vec2::new(1.0, 2.0).into()));
        assert!(board.set(enemy, Value::Target(7)));
        assert_eq!(board.get_float(hunger), Some(0.5));
        assert!(board.get_bool(seen));
        assert_eq!(board.get_vec2(spot), Some(Vec2::new(1.0, 2.0)));
        assert_eq!(board.get_target(enemy), Some(7));
        // Wrong type reads as missing.
        assert_eq!(board.get_float(seen), None);
        assert!(!board.get_bool(hunger));
        assert_eq!(board.len(), 4);
        assert!(board.remove(seen));
        assert!(!board.remove(seen));
        assert!(!board.get_bool(seen));
        assert_eq!(board.len(), 3);
        let keys: Vec<Key> = board.iter().map(|(key, _)| key).collect();
        assert_eq!(keys, vec![hunger, spot, enemy]);
    }

    #[test]
    fn revision_counts_only_real_changes() {
        let key = Symbol::new("bb_rev_key");
        let other = Symbol::new("bb_rev_other");
        let mut board = Blackboard::new();
        assert_eq!(board.revision(), 0);
        assert!(board.set(key, Value::Float(1.0)));
        assert_eq!(board.revision(), 1);
        assert!(
            !board.set(key, Value::Float(1.0)),
            "same value is no change"
        );
        assert_eq!(board.revision(), 1);
        let before = board.revision();
        assert!(!board.changed_since(key, before));
        assert!(board.set(other, Value::Bool(true)));
        assert!(!board.changed_since(key, before), "other keys do not count");
        assert!(board.changed_since(other, before));
        assert!(board.remove(key));
        assert!(board.changed_since(key, before), "removal is a change");
        assert!(!board.changed_since(Symbol::new("bb_rev_never"), 0));
        assert_eq!(board.revision(), 3);
    }
}
