//! Blackboard conditions used by `Guard` and `Check` nodes.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::blackboard::Blackboard;
use super::symbol::{Key, Symbol};

/// A test on the blackboard.
///
/// In RON: `IsTrue("target_visible")`, `IsFalse("alerted")`, `IsSet("target")`,
/// `Less("health", 0.3)`, `Greater("hunger", 0.7)`, `Near("position", "home", 5.0)`,
/// `Not(IsSet("target"))`, `All([..])`, `Any([..])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Condition {
    /// The key holds `Bool(true)`.
    IsTrue(Key),
    /// The key does not hold `Bool(true)` (a missing key is false, so this is true).
    IsFalse(Key),
    /// The key holds any value.
    IsSet(Key),
    /// The key holds a `Float` below the threshold (missing or another type: false).
    Less(Key, f32),
    /// The key holds a `Float` above the threshold (missing or another type: false).
    Greater(Key, f32),
    /// Both keys hold `Vec2`s no further apart than the distance (missing: false).
    Near(Key, Key, f32),
    /// The inner condition is false.
    Not(Box<Condition>),
    /// Every inner condition is true.
    All(Vec<Condition>),
    /// At least one inner condition is true.
    Any(Vec<Condition>),
}

impl Condition {
    /// `IsTrue(key)`.
    pub fn is_true(key: &str) -> Condition {
        Condition::IsTrue(Symbol::new(key))
    }

    /// `IsFalse(key)`.
    pub fn is_false(key: &str) -> Condition {
        Condition::IsFalse(Symbol::new(key))
    }

    /// `IsSet(key)`.
    pub fn is_set(key: &str) -> Condition {
        Condition::IsSet(Symbol::new(key))
    }

    /// `Less(key, threshold)`.
    pub fn less(key: &str, threshold: f32) -> Condition {
        Condition::Less(Symbol::new(key), threshold)
    }

    /// `Greater(key, threshold)`.
    pub fn greater(key: &str, threshold: f32) -> Condition {
        Condition::Greater(Symbol::new(key), threshold)
    }

    /// `Near(a, b, distance)`.
    pub fn near(a: &str, b: &str, distance: f32) -> Condition {
        Condition::Near(Symbol::new(a), Symbol::new(b), distance)
    }

    /// `Not(inner)`. (Named `negate` because `not` would shadow `std::ops::Not::not`.)
    pub fn negate(inner: Condition) -> Condition {
        Condition::Not(Box::new(inner))
    }

    /// `All([...])`.
    pub fn all(conditions: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::All(conditions.into_iter().collect())
    }

    /// `Any([...])`.
    pub fn any(conditions: impl IntoIterator<Item = Condition>) -> Condition {
        Condition::Any(conditions.into_iter().collect())
    }

    /// Evaluates against `blackboard`. Allocation-free.
    pub fn evaluate(&self, blackboard: &Blackboard) -> bool {
        match self {
            Condition::IsTrue(key) => blackboard.get_bool(*key),
            Condition::IsFalse(key) => !blackboard.get_bool(*key),
            Condition::IsSet(key) => blackboard.contains(*key),
            Condition::Less(key, threshold) => {
                blackboard.get_float(*key).is_some_and(|v| v < *threshold)
            }
            Condition::Greater(key, threshold) => {
                blackboard.get_float(*key).is_some_and(|v| v > *threshold)
            }
            Condition::Near(a, b, distance) => {
                match (blackboard.get_vec2(*a), blackboard.get_vec2(*b)) {
                    (Some(a), Some(b)) => a.distance_squared(b) <= distance * distance,
                    _ => false,
                }
            }
            Condition::Not(inner) => !inner.evaluate(blackboard),
            Condition::All(conditions) => conditions.iter().all(|c| c.evaluate(blackboard)),
            Condition::Any(conditions) => conditions.iter().any(|c| c.evaluate(blackboard)),
        }
    }

    /// Appends every key the condition reads to `keys` (without duplicates).
    pub fn collect_keys(&self, keys: &mut Vec<Key>) {
        let mut add = |key: Key| {
            if !keys.contains(&key) {
                keys.push(key);
            }
        };
        match self {
            Condition::IsTrue(key)
            | Condition::IsFalse(key)
            | Condition::IsSet(key)
            | Condition::Less(key, _)
            | Condition::Greater(key, _) => add(*key),
            Condition::Near(a, b, _) => {
                add(*a);
                add(*b);
            }
            Condition::Not(inner) => inner.collect_keys(keys),
            Condition::All(conditions) | Condition::Any(conditions) => {
                for condition in conditions {
                    condition.collect_keys(keys);
                }
            }
        }
    }

    /// Checks thresholds are finite, distances finite and non-negative, and `All`/`Any` are not
    /// empty. On error returns `(path suffix, message)`; the suffix is empty or starts with `.`.
    pub fn validate(&self) -> Result<(), (String, String)> {
        match self {
            Condition::IsTrue(_) | Condition::IsFalse(_) | Condition::IsSet(_) => Ok(()),
            Condition::Less(key, threshold) | Condition::Greater(key, threshold) => {
                if threshold.is_finite() {
                    Ok(())
                } else {
                    Err((
                        String::new(),
                        format!("the threshold for {key} must be a finite number, got {threshold}"),
                    ))
                }
            }
            Condition::Near(_, _, distance) => {
                if distance.is_finite() && *distance >= 0.0 {
                    Ok(())
                } else {
                    Err((
                        String::new(),
                        format!("Near distance must be finite and >= 0, got {distance}"),
                    ))
                }
            }
            Condition::Not(inner) => inner
                .validate()
                .map_err(|(suffix, message)| (format!(".Not{suffix}"), message)),
            Condition::All(conditions) | Condition::Any(conditions) => {
                let kind = if matches!(self, Condition::All(_)) {
                    "All"
                } else {
                    "Any"
                };
                if conditions.is_empty() {
                    return Err((
                        format!(".{kind}"),
                        format!("{kind} needs at least one condition"),
                    ));
                }
                for (index, condition) in conditions.iter().enumerate() {
                    condition.validate().map_err(|(suffix, message)| {
                        (format!(".{kind}[{index}]{suffix}"), message)
                    })?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for Condition {
    /// A compact label such as `IsTrue(heard_noise)` or `All(IsSet(a), Less(b, 0.5))`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, name: &str, items: &[Condition]| {
            write!(f, "{name}(")?;
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    f.write_str(", ")?;
                }
                write!(f, "{item}")?;
            }
            f.write_str(")")
        };
        match self {
            Condition::IsTrue(key) => write!(f, "IsTrue({key})"),
            Condition::IsFalse(key) => write!(f, "IsFalse({key})"),
            Condition::IsSet(key) => write!(f, "IsSet({key})"),
            Condition::Less(key, threshold) => write!(f, "Less({key}, {threshold})"),
            Condition::Greater(key, threshold) => write!(f, "Greater({key}, {threshold})"),
            Condition::Near(a, b, distance) => write!(f, "Near({a}, {b}, {distance})"),
            Condition::Not(inner) => write!(f, "Not({inner})"),
            Condition::All(items) => list(f, "All", items),
            Condition::Any(items) => list(f, "Any", items),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::decision::Value;
    use glam::Vec2;

    #[test]
    fn conditions_evaluate_against_the_blackboard() {
        let mut board = Blackboard::new();
        board.set(Symbol::new("cond_flag"), Value::Bool(true));
        board.set(Symbol::new("cond_health"), Value::Float(0.25));
        board.set(Symbol::new("cond_me"), Value::Vec2(Vec2::new(0.0, 0.0)));
        board.set(Symbol::new("cond_home"), Value::Vec2(Vec2::new(3.0, 4.0)));

        assert!(Condition::is_true("cond_flag").evaluate(&board));
        assert!(!Condition::is_false("cond_flag").evaluate(&board));
        assert!(Condition::is_false("cond_missing").evaluate(&board));
        assert!(!Condition::is_true("cond_missing").evaluate(&board));
        assert!(Condition::is_set("cond_health").evaluate(&board));
        assert!(!Condition::is_set("cond_missing").evaluate(&board));
        assert!(Condition::less("cond_health", 0.3).evaluate(&board));
        assert!(!Condition::less("cond_health", 0.25).evaluate(&board));
        assert!(!Condition::greater("cond_health", 0.25).evaluate(&board));
        assert!(!Condition::less("cond_missing", 1.0).evaluate(&board));
        assert!(Condition::near("cond_me", "cond_home", 5.0).evaluate(&board));
        assert!(!Condition::near("cond_me", "cond_home", 4.99).evaluate(&board));
        assert!(!Condition::near("cond_me", "cond_missing", 100.0).evaluate(&board));
        assert!(Condition::negate(Condition::is_set("cond_missing")).evaluate(&board));
        let both = Condition::all([
            Condition::is_true("cond_flag"),
            Condition::less("cond_health", 0.5),
        ]);
        assert!(both.evaluate(&board));
        let neither = Condition::any([
            Condition::is_set("cond_missing"),
            Condition::greater("cond_health", 0.5),
        ]);
        assert!(!neither.evaluate(&board));
    }

    #[test]
    fn keys_labels_and_validation() {
        let condition = Condition::all([
            Condition::is_true("cond_k_a"),
            Condition::negate(Condition::near("cond_k_b", "cond_k_a", 1.0)),
        ]);
        let mut keys = Vec::new();
        condition.collect_keys(&mut keys);
        assert_eq!(keys, vec![Symbol::new("cond_k_a"), Symbol::new("cond_k_b")]);
        assert_eq!(
            condition.to_string(),
            "All(IsTrue(cond_k_a), Not(Near(cond_k_b, cond_k_a, 1)))"
        );
        assert!(condition.validate().is_ok());

        let bad = Condition::any([
            Condition::is_true("cond_k_a"),
            Condition::negate(Condition::all([])),
        ]);
        let (path, message) = bad.validate().unwrap_err();
        assert_eq!(path, ".Any[1].Not.All");
        assert!(message.contains("at least one"), "{message}");
        let (path, _) = Condition::less("cond_k_a", f32::NAN)
            .validate()
            .unwrap_err();
        assert_eq!(path, "");
    }
}
