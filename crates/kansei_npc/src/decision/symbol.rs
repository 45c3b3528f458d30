//! Interned names: blackboard keys, task names, utility action names and node labels.
//!
//! A [`Symbol`] is a `u32` index into one process-wide table of leaked `&'static str`s. Interning
//! happens when behaviours are loaded or built (and when game code creates its keys once at
//! start-up), never per tick, so the table's lock is off the hot path: ticking a behaviour only
//! compares `u32`s.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// An interned name. Cheap to copy and compare; [`Symbol::as_str`] gives the name back.
///
/// `Symbol::default()` is the empty name `""`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Symbol(u32);

/// A blackboard key.
pub type Key = Symbol;

/// The name of a task that game systems implement (for example `"move_to"`).
pub type TaskName = Symbol;

/// The global name table. Names are leaked on purpose: a game has a bounded set of names and
/// leaking them is what lets [`Symbol::as_str`] hand out `&'static str`.
struct Interner {
    names: Vec<&'static str>,
    ids: HashMap<&'static str, u32>,
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(|| {
        // Index 0 is the empty name so that `Symbol::default()` is valid.
        let mut ids = HashMap::new();
        ids.insert("", 0);
        RwLock::new(Interner {
            names: vec![""],
            ids,
        })
    })
}

impl Symbol {
    /// Interns `name` (or finds it if it was interned before) and returns its symbol.
    ///
    /// Takes a global lock; call it at load or start-up time, not per agent per frame.
    pub fn new(name: &str) -> Symbol {
        {
            let table = interner()
                .read()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            if let Some(&id) = table.ids.get(name) {
                return Symbol(id);
            }
        }
        let mut table = interner()
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Another thread may have interned it between the two locks.
        if let Some(&id) = table.ids.get(name) {
            return Symbol(id);
        }
        let leaked: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = table.names.len() as u32;
        table.names.push(leaked);
        table.ids.insert(leaked, id);
        Symbol(id)
    }

    /// The interned name.
    pub fn as_str(self) -> &'static str {
        let table = interner()
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Symbols are only created by `new`, so the index is always in range; fall back to ""
        // rather than panicking all the same.
        table.names.get(self.0 as usize).copied().unwrap_or("")
    }

    /// The raw table index (stable for the lifetime of the process only).
    pub fn index(self) -> u32 {
        self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({:?})", self.as_str())
    }
}

impl From<&str> for Symbol {
    fn from(name: &str) -> Symbol {
        Symbol::new(name)
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Symbol, D::Error> {
        let name = String::deserialize(deserializer)?;
        Ok(Symbol::new(&name))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_round_trips() {
        let a = Symbol::new("symbol_test_alpha");
        let b = Symbol::new("symbol_test_beta");
        assert_ne!(a, b);
        assert_eq!(a, Symbol::new("symbol_test_alpha"));
        assert_eq!(a.as_str(), "symbol_test_alpha");
        assert_eq!(b.to_string(), "symbol_test_beta");
        assert_eq!(format!("{a:?}"), "Symbol(\"symbol_test_alpha\")");
        assert_eq!(Symbol::default().as_str(), "");
        assert_eq!(Symbol::new(""), Symbol::default());
    }

    #[test]
    fn interning_from_many_threads_agrees() {
        let handles: Vec<_> = (0..4)
            .map(|_| {
                std::thread::spawn(|| {
                    (0..50)
                        .map(|i| Symbol::new(&format!("symbol_thread_{i}")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let results: Vec<Vec<Symbol>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        for other in &results[1..] {
            assert_eq!(&results[0], other);
        }
        assert_eq!(results[0][7].as_str(), "symbol_thread_7");
    }
}
