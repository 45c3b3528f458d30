//! Infinite Axis Utility scoring: considerations (input + response curve) and the compensated
//! product that turns them into an action score.

use serde::{Deserialize, Serialize};

use super::blackboard::{Blackboard, Value};
use super::curve::{Curve, clamp_unit};
use super::symbol::{Key, Symbol};

/// Where a consideration reads its input from.
///
/// In RON: `Key("hunger", 0.0, 100.0)` (key, min, max) or `Constant(0.6)`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(from = "InputRepr", into = "InputRepr")]
pub enum Input {
    /// A blackboard key normalised from `[min, max]` to `[0, 1]` (and clamped):
    /// `Float(v)` gives `(v - min) / (max - min)`, `Vec2(v)` does the same with its length,
    /// `Bool` gives 0 or 1, `Target` gives 1, and a missing key gives 0. `max < min` is allowed
    /// and inverts the mapping.
    Key {
        /// The blackboard key.
        key: Key,
        /// The value that maps to 0.
        min: f32,
        /// The value that maps to 1.
        max: f32,
    },
    /// A fixed input, clamped to `[0, 1]` (useful for a baseline "idle" action).
    Constant(f32),
}

/// The RON shape of [`Input`]: positional `Key(key, min, max)` is shorter in files than a
/// struct variant, while Rust code keeps named fields.
#[derive(Clone, Copy, Serialize, Deserialize)]
#[serde(rename = "Input")]
enum InputRepr {
    Key(Key, f32, f32),
    Constant(f32),
}

impl From<InputRepr> for Input {
    fn from(repr: InputRepr) -> Input {
        match repr {
            InputRepr::Key(key, min, max) => Input::Key { key, min, max },
            InputRepr::Constant(value) => Input::Constant(value),
        }
    }
}

impl From<Input> for InputRepr {
    fn from(input: Input) -> InputRepr {
        match input {
            Input::Key { key, min, max } => InputRepr::Key(key, min, max),
            Input::Constant(value) => InputRepr::Constant(value),
        }
    }
}

impl Input {
    /// A blackboard key normalised from `[min, max]`.
    pub fn key(key: &str, min: f32, max: f32) -> Input {
        Input::Key {
            key: Symbol::new(key),
            min,
            max,
        }
    }

    /// A constant input.
    pub fn constant(value: f32) -> Input {
        Input::Constant(value)
    }

    /// The normalised input in `[0, 1]`.
    pub fn evaluate(&self, blackboard: &Blackboard) -> f32 {
        match *self {
            Input::Key { key, min, max } => {
                let normalise = |raw: f32| clamp_unit((raw - min) / (max - min));
                match blackboard.get(key) {
                    None => 0.0,
                    Some(Value::Bool(true)) | Some(Value::Target(_)) => 1.0,
                    Some(Value::Bool(false)) => 0.0,
                    Some(Value::Float(raw)) => normalise(raw),
                    Some(Value::Vec2(vector)) => normalise(vector.length()),
                }
            }
            Input::Constant(value) => clamp_unit(value),
        }
    }

    /// Checks the numbers are finite and `min != max`.
    pub fn validate(&self) -> Result<(), String> {
        match *self {
            Input::Key { key, min, max } => {
                if !min.is_finite() || !max.is_finite() {
                    Err(format!(
                        "the range of {key} must be finite, got {min} to {max}"
                    ))
                } else if min == max {
                    Err(format!(
                        "the range of {key} is empty (min and max are both {min})"
                    ))
                } else {
                    Ok(())
                }
            }
            Input::Constant(value) => {
                if value.is_finite() {
                    Ok(())
                } else {
                    Err(format!("Constant must be a finite number, got {value}"))
                }
            }
        }
    }
}

/// One axis of a utility action: an input mapped through a response curve to a score in `[0, 1]`.
///
/// In RON: `(name: "hungry", input: Key("hunger", 0.0, 1.0), curve: Linear(slope: 1.0, intercept: 0.0))`
/// (`name` is optional and only for people reading the file).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Consideration {
    /// Optional human-readable name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The input.
    pub input: Input,
    /// The response curve applied to the input.
    pub curve: Curve,
}

impl Consideration {
    /// An unnamed consideration.
    pub fn new(input: Input, curve: Curve) -> Consideration {
        Consideration {
            name: None,
            input,
            curve,
        }
    }

    /// A named consideration.
    pub fn named(name: &str, input: Input, curve: Curve) -> Consideration {
        Consideration {
            name: Some(name.to_owned()),
            input,
            curve,
        }
    }

    /// The raw score in `[0, 1]` (before compensation).
    pub fn score(&self, blackboard: &Blackboard) -> f32 {
        self.curve.evaluate(self.input.evaluate(blackboard))
    }
}

/// Dave Mark's compensation factor ("Building a Better Centaur", GDC 2015) for one
/// consideration score `s` of an action with `n` considerations:
///
/// ```text
/// modification = 1 - 1/n
/// make_up      = (1 - s) * modification
/// s'           = s + make_up * s          ( = s * (1 + (1 - s) * (1 - 1/n)) )
/// ```
///
/// Multiplying many scores below 1 drags an action with many considerations down compared with
/// one with few; the make-up gives each score back part of what it lost, more the more
/// considerations there are. With `n = 1` the score is unchanged; 0 and 1 are fixed points.
pub fn compensate(score: f32, consideration_count: usize) -> f32 {
    if consideration_count <= 1 {
        return score;
    }
    let modification = 1.0 - 1.0 / consideration_count as f32;
    let make_up = (1.0 - score) * modification;
    score + make_up * score
}

/// The product of the compensated consideration scores (1 for no considerations). Stops early
/// at 0, since a zero consideration vetoes the action.
pub fn score_considerations(considerations: &[Consideration], blackboard: &Blackboard) -> f32 {
    let count = considerations.len();
    let mut product = 1.0;
    for consideration in considerations {
        product *= compensate(consideration.score(blackboard), count);
        if product <= 0.0 {
            return 0.0;
        }
    }
    product
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::decision::tests::close;

    fn identity() -> Curve {
        Curve::Linear {
            slope: 1.0,
            intercept: 0.0,
        }
    }

    #[test]
    fn compensation_factor_matches_hand_computation() {
        // n = 3: modification = 2/3.
        // s = 0.5: 0.5 + (0.5 * 2/3) * 0.5 = 0.5 + 0.1666667 = 0.6666667
        close(compensate(0.5, 3), 0.666_666_7);
        // s = 0.8: 0.8 + (0.2 * 2/3) * 0.8 = 0.8 + 0.1066667 = 0.9066667
        close(compensate(0.8, 3), 0.906_666_7);
        close(compensate(1.0, 3), 1.0);
        close(compensate(0.0, 3), 0.0);
        // n = 1 leaves the score alone; n = 2: 0.5 + 0.5 * 0.5 * 0.5 = 0.625
        close(compensate(0.5, 1), 0.5);
        close(compensate(0.5, 2), 0.625);

        let considerations = [
            Consideration::new(Input::constant(0.5), identity()),
            Consideration::new(Input::constant(0.8), identity()),
            Consideration::new(Input::constant(1.0), identity()),
        ];
        // 0.6666667 * 0.9066667 * 1 = 0.6044444 (without compensation it would be 0.4).
        close(
            score_considerations(&considerations, &Blackboard::new()),
            0.604_444_4,
        );
        close(score_considerations(&[], &Blackboard::new()), 1.0);
    }

    #[test]
    fn inputs_normalise_blackboard_values() {
        let mut board = Blackboard::new();
        board.set(Symbol::new("util_hunger"), Value::Float(75.0));
        board.set(Symbol::new("util_flag"), Value::Bool(true));
        board.set(
            Symbol::new("util_offset"),
            Value::Vec2(glam::Vec2::new(3.0, 4.0)),
        );
        board.set(Symbol::new("util_enemy"), Value::Target(9));
        close(Input::key("util_hunger", 0.0, 100.0).evaluate(&board), 0.75);
        close(Input::key("util_hunger", 50.0, 100.0).evaluate(&board), 0.5);
        close(Input::key("util_hunger", 100.0, 0.0).evaluate(&board), 0.25); // inverted range
        close(Input::key("util_hunger", 0.0, 10.0).evaluate(&board), 1.0); // clamped
        close(Input::key("util_flag", 0.0, 1.0).evaluate(&board), 1.0);
        close(Input::key("util_offset", 0.0, 10.0).evaluate(&board), 0.5); // length 5
        close(Input::key("util_enemy", 0.0, 1.0).evaluate(&board), 1.0);
        close(Input::key("util_missing", 0.0, 1.0).evaluate(&board), 0.0);
        close(Input::constant(1.5).evaluate(&board), 1.0);
        assert!(Input::key("util_hunger", 1.0, 1.0).validate().is_err());
        assert!(Input::constant(f32::NAN).validate().is_err());
    }
}
