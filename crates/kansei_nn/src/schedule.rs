//! Learning-rate schedules.

/// The learning rate as a function of the (0-based) step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LrSchedule {
    /// The same rate for every step.
    Constant(f64),
    /// Linear warm-up from `peak / warmup_steps` to `peak` over the first `warmup_steps` steps,
    /// then a half-cosine decay to `floor` at `total_steps`; `floor` after that.
    CosineWithWarmup {
        /// The rate at the end of warm-up.
        peak: f64,
        /// The rate at and after `total_steps`.
        floor: f64,
        /// Steps of linear warm-up (0 for none).
        warmup_steps: u64,
        /// The step at which the decay reaches `floor`.
        total_steps: u64,
    },
}

impl LrSchedule {
    /// The learning rate for step `step` (0-based).
    pub fn at(&self, step: u64) -> f64 {
        match *self {
            Self::Constant(lr) => lr,
            Self::CosineWithWarmup {
                peak,
                floor,
                warmup_steps,
                total_steps,
            } => {
                if step < warmup_steps {
                    // Starting at peak / warmup rather than 0 means step 0 still learns.
                    return peak * (step + 1) as f64 / warmup_steps as f64;
                }
                let decay_steps = total_steps.saturating_sub(warmup_steps);
                if decay_steps == 0 {
                    return if step < total_steps { peak } else { floor };
                }
                let progress = ((step - warmup_steps) as f64 / decay_steps as f64).min(1.0);
                floor + (peak - floor) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
            }
        }
    }

    /// Checks that every rate is finite and non-negative and the steps are consistent.
    ///
    /// # Errors
    ///
    /// A description of the first problem.
    pub fn validate(&self) -> Result<(), String> {
        let rate_ok = |lr: f64| lr.is_finite() && lr >= 0.0;
        match *self {
            Self::Constant(lr) if !rate_ok(lr) => Err(format!(
                "learning rate must be finite and non-negative, got {lr}"
            )),
            Self::Constant(_) => Ok(()),
            Self::CosineWithWarmup {
                peak,
                floor,
                warmup_steps,
                total_steps,
            } => {
                if !rate_ok(peak) || !rate_ok(floor) {
                    Err(format!(
                        "learning rates must be finite and non-negative, got peak {peak}, floor {floor}"
                    ))
                } else if floor > peak {
                    Err(format!("floor {floor} is above peak {peak}"))
                } else if warmup_steps > total_steps {
                    Err(format!(
                        "warm-up ({warmup_steps} steps) is longer than the schedule ({total_steps} steps)"
                    ))
                } else {
                    Ok(())
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cosine_with_warmup_hits_its_landmarks() {
        let s = LrSchedule::CosineWithWarmup {
            peak: 1.0,
            floor: 0.1,
            warmup_steps: 4,
            total_steps: 14,
        };
        assert_eq!(s.at(0), 0.25);
        assert_eq!(s.at(3), 1.0);
        assert_eq!(s.at(4), 1.0);
        assert!((s.at(9) - 0.55).abs() < 1e-12, "halfway is the midpoint");
        assert!((s.at(14) - 0.1).abs() < 1e-12);
        assert!((s.at(1000) - 0.1).abs() < 1e-12);
        assert!(s.validate().is_ok());
        assert!(LrSchedule::Constant(f64::NAN).validate().is_err());
    }
}
