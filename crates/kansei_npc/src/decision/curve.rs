//! Response curves of the Infinite Axis Utility System: map a normalised input in `[0, 1]` to a
//! score in `[0, 1]`.

use serde::{Deserialize, Serialize};

/// A response curve. The input is clamped to `[0, 1]` before evaluation and the output is
/// clamped to `[0, 1]` after it; a `NaN` anywhere reads as 0.
///
/// In RON: `Linear(slope: 1.0, intercept: 0.0)`,
/// `Quadratic(exponent: 2.0, slope: 1.0, shift: 0.0, intercept: 0.0)`,
/// `Logistic(steepness: 12.0, midpoint: 0.4)`, `Piecewise([(0.0, 0.0), (0.5, 1.0), (1.0, 0.2)])`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Curve {
    /// `y = slope * x + intercept`. `Linear(slope: -1.0, intercept: 1.0)` is the inverse ramp.
    Linear {
        /// Rise per unit of input.
        slope: f32,
        /// Output at input 0.
        intercept: f32,
    },
    /// `y = slope * (x - shift)^exponent + intercept`.
    ///
    /// With a non-integer exponent a negative base `x - shift` is treated as 0 (a real power of a
    /// negative number is undefined); integer exponents keep the sign rules of `powi`.
    Quadratic {
        /// The power; 2 is a parabola, 0.5 a square root, 3 a cubic.
        exponent: f32,
        /// Vertical scale.
        slope: f32,
        /// Horizontal offset of the curve's origin.
        shift: f32,
        /// Vertical offset.
        intercept: f32,
    },
    /// `y = 1 / (1 + e^(-steepness * (x - midpoint)))`: an S-curve through 0.5 at `midpoint`.
    /// A negative steepness mirrors it (high for small inputs).
    Logistic {
        /// How sharp the S is; around 10 is a soft threshold, 50 almost a step.
        steepness: f32,
        /// The input where the output is 0.5.
        midpoint: f32,
    },
    /// Linear interpolation between `(x, y)` points sorted by strictly increasing `x`; flat
    /// before the first and after the last point. Needs at least two points.
    Piecewise(Vec<(f32, f32)>),
}

/// Clamps to `[0, 1]`, mapping `NaN` to 0 (`f32::clamp` would keep the `NaN`).
pub(crate) fn clamp_unit(value: f32) -> f32 {
    if value.is_nan() {
        0.0
    } else {
        value.clamp(0.0, 1.0)
    }
}

impl Curve {
    /// Evaluates the curve at `input` (clamped to `[0, 1]` first); the result is in `[0, 1]`.
    pub fn evaluate(&self, input: f32) -> f32 {
        let x = clamp_unit(input);
        let y = match self {
            Curve::Linear { slope, intercept } => slope * x + intercept,
            Curve::Quadratic {
                exponent,
                slope,
                shift,
                intercept,
            } => {
                let base = x - shift;
                let power = if exponent.fract() == 0.0 {
                    base.powf(*exponent)
                } else {
                    base.max(0.0).powf(*exponent)
                };
                slope * power + intercept
            }
            Curve::Logistic {
                steepness,
                midpoint,
            } => 1.0 / (1.0 + (-steepness * (x - midpoint)).exp()),
            Curve::Piecewise(points) => piecewise(points, x),
        };
        clamp_unit(y)
    }

    /// Checks the parameters: all finite; piecewise points at least two with strictly
    /// increasing `x`. Returns the problem as a sentence fragment naming the field.
    pub fn validate(&self) -> Result<(), String> {
        let finite = |name: &str, value: f32| {
            if value.is_finite() {
                Ok(())
            } else {
                Err(format!("{name} must be a finite number, got {value}"))
            }
        };
        match self {
            Curve::Linear { slope, intercept } => {
                finite("slope", *slope)?;
                finite("intercept", *intercept)
            }
            Curve::Quadratic {
                exponent,
                slope,
                shift,
                intercept,
            } => {
                finite("exponent", *exponent)?;
                finite("slope", *slope)?;
                finite("shift", *shift)?;
                finite("intercept", *intercept)
            }
            Curve::Logistic {
                steepness,
                midpoint,
            } => {
                finite("steepness", *steepness)?;
                finite("midpoint", *midpoint)
            }
            Curve::Piecewise(points) => {
                if points.len() < 2 {
                    return Err(format!(
                        "a Piecewise curve needs at least 2 points, got {}",
                        points.len()
                    ));
                }
                for (index, &(x, y)) in points.iter().enumerate() {
                    finite(&format!("point {index} x"), x)?;
                    finite(&format!("point {index} y"), y)?;
                }
                for (index, pair) in points.windows(2).enumerate() {
                    if pair[1].0 <= pair[0].0 {
                        return Err(format!(
                            "Piecewise points must have strictly increasing x, but point {} has x = {} after x = {}",
                            index + 1,
                            pair[1].0,
                            pair[0].0
                        ));
                    }
                }
                Ok(())
            }
        }
    }
}

fn piecewise(points: &[(f32, f32)], x: f32) -> f32 {
    let (Some(&first), Some(&last)) = (points.first(), points.last()) else {
        return 0.0;
    };
    if x <= first.0 {
        return first.1;
    }
    if x >= last.0 {
        return last.1;
    }
    for pair in points.windows(2) {
        let (x0, y0) = pair[0];
        let (x1, y1) = pair[1];
        if x < x1 {
            let t = (x - x0) / (x1 - x0);
            return y0 + (y1 - y0) * t;
        }
    }
    last.1
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;
    use crate::decision::tests::close;

    #[test]
    fn linear_curve_matches_hand_values() {
        let ramp = Curve::Linear {
            slope: 2.0,
            intercept: -0.5,
        };
        close(ramp.evaluate(0.5), 0.5);
        close(ramp.evaluate(0.6), 0.7);
        close(ramp.evaluate(0.1), 0.0); // -0.3 clamped
        close(ramp.evaluate(0.9), 1.0); // 1.3 clamped
        close(ramp.evaluate(-3.0), 0.0); // input clamped to 0 -> -0.5 -> 0
        let inverse = Curve::Linear {
            slope: -1.0,
            intercept: 1.0,
        };
        close(inverse.evaluate(0.25), 0.75);
        close(inverse.evaluate(2.0), 0.0); // input clamped to 1
        close(inverse.evaluate(f32::NAN), 1.0); // NaN input reads as 0
    }

    #[test]
    fn quadratic_curve_matches_hand_values() {
        let square = Curve::Quadratic {
            exponent: 2.0,
            slope: 1.0,
            shift: 0.0,
            intercept: 0.0,
        };
        close(square.evaluate(0.5), 0.25);
        close(square.evaluate(0.9), 0.81);
        // 4 * (0.25 - 0.5)^3 + 0.5 = 4 * -0.015625 + 0.5 = 0.4375 (odd power keeps the sign).
        let cubic = Curve::Quadratic {
            exponent: 3.0,
            slope: 4.0,
            shift: 0.5,
            intercept: 0.5,
        };
        close(cubic.evaluate(0.25), 0.4375);
        close(cubic.evaluate(0.75), 0.5625);
        // (0.7 - 0.2)^2 * -2 + 1 = 0.5
        let shifted = Curve::Quadratic {
            exponent: 2.0,
            slope: -2.0,
            shift: 0.2,
            intercept: 1.0,
        };
        close(shifted.evaluate(0.7), 0.5);
        let root = Curve::Quadratic {
            exponent: 0.5,
            slope: 1.0,
            shift: 0.0,
            intercept: 0.0,
        };
        close(root.evaluate(0.25), 0.5);
        // Non-integer exponent with a negative base: base treated as 0 -> intercept.
        let shifted_root = Curve::Quadratic {
            exponent: 0.5,
            slope: 1.0,
            shift: 0.5,
            intercept: 0.1,
        };
        close(shifted_root.evaluate(0.25), 0.1);
        close(shifted_root.evaluate(0.75), 0.6);
    }

    #[test]
    fn logistic_curve_matches_hand_values() {
        let s = Curve::Logistic {
            steepness: 10.0,
            midpoint: 0.5,
        };
        close(s.evaluate(0.5), 0.5);
        close(s.evaluate(0.7), 0.880_797); // 1 / (1 + e^-2)
        close(s.evaluate(0.3), 0.119_203); // 1 / (1 + e^2)
        let mirrored = Curve::Logistic {
            steepness: -10.0,
            midpoint: 0.5,
        };
        close(mirrored.evaluate(0.7), 0.119_203);
        // Huge steepness does not produce NaN.
        let step = Curve::Logistic {
            steepness: 1.0e6,
            midpoint: 0.5,
        };
        close(step.evaluate(0.0), 0.0);
        close(step.evaluate(1.0), 1.0);
    }

    #[test]
    fn piecewise_curve_matches_hand_values() {
        let tent = Curve::Piecewise(vec![(0.0, 0.0), (0.5, 1.0), (1.0, 0.5)]);
        close(tent.evaluate(0.25), 0.5);
        close(tent.evaluate(0.5), 1.0);
        close(tent.evaluate(0.75), 0.75);
        close(tent.evaluate(1.0), 0.5);
        let inner = Curve::Piecewise(vec![(0.2, 0.1), (0.8, 0.9)]);
        close(inner.evaluate(0.1), 0.1); // flat before the first point
        close(inner.evaluate(0.9), 0.9); // flat after the last point
        close(inner.evaluate(0.5), 0.5);
        let overshoot = Curve::Piecewise(vec![(0.0, -1.0), (1.0, 3.0)]);
        close(overshoot.evaluate(0.5), 1.0); // 1.0 exactly
        close(overshoot.evaluate(0.2), 0.0); // -0.2 clamped
    }

    #[test]
    fn validation_rejects_bad_parameters() {
        assert!(
            Curve::Linear {
                slope: f32::NAN,
                intercept: 0.0
            }
            .validate()
            .unwrap_err()
            .contains("slope")
        );
        assert!(
            Curve::Logistic {
                steepness: 1.0,
                midpoint: f32::INFINITY
            }
            .validate()
            .unwrap_err()
            .contains("midpoint")
        );
        assert!(
            Curve::Piecewise(vec![(0.0, 0.0)])
                .validate()
                .unwrap_err()
                .contains("at least 2")
        );
        assert!(
            Curve::Piecewise(vec![(0.0, 0.0), (0.5, 1.0), (0.5, 0.0)])
                .validate()
                .unwrap_err()
                .contains("strictly increasing")
        );
        assert!(
            Curve::Piecewise(vec![(0.0, 0.0), (1.0, 1.0)])
                .validate()
                .is_ok()
        );
    }
}
