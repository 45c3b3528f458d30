//! The quit-risk models' input: the last [`WINDOW`] outcomes, newest last, four numbers each,
//! and how much history there is.

use kansei_player::EncounterOutcome;

/// Outcomes the models look at.
pub const WINDOW: usize = 8;
/// Length of a feature vector.
pub const FEATURES: usize = WINDOW * 4 + 1;

/// The feature vector for a player whose outcomes so far are `recent` (oldest first; only the
/// last [`WINDOW`] are used). Per slot, oldest first: whether there is an outcome, won (1) or
/// not (0), graded performance (the result itself when the game reports none), and the
/// difficulty change into that encounter (times 10, clamped to `[-1, 1]`). Then the history
/// length over [`WINDOW`], at most 1. Empty slots are all zero.
pub fn features(recent: &[EncounterOutcome]) -> [f32; FEATURES] {
    let mut out = [0.0; FEATURES];
    let start = recent.len().saturating_sub(WINDOW);
    let shown = &recent[start..];
    let offset = WINDOW - shown.len();
    for (i, outcome) in shown.iter().enumerate() {
        let won = if outcome.success && !outcome.quit {
            1.0
        } else {
            0.0
        };
        let previous = (start + i)
            .checked_sub(1)
            .map(|j| recent[j].difficulty)
            .unwrap_or(outcome.difficulty);
        let slot = &mut out[(offset + i) * 4..(offset + i + 1) * 4];
        slot[0] = 1.0;
        slot[1] = won;
        slot[2] = outcome.performance.unwrap_or(won).clamp(0.0, 1.0);
        slot[3] = ((outcome.difficulty - previous) * 10.0).clamp(-1.0, 1.0);
    }
    out[FEATURES - 1] = (recent.len() as f32 / WINDOW as f32).min(1.0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(difficulty: f32, success: bool) -> EncounterOutcome {
        EncounterOutcome {
            difficulty,
            success,
            ..EncounterOutcome::default()
        }
    }

    #[test]
    fn slots_fill_from_the_newest_end() {
        let recent = [outcome(0.5, true), outcome(0.55, false)];
        let f = features(&recent);
        assert!(f[..(WINDOW - 2) * 4].iter().all(|v| *v == 0.0));
        let older = &f[(WINDOW - 2) * 4..(WINDOW - 1) * 4];
        let newer = &f[(WINDOW - 1) * 4..WINDOW * 4];
        assert_eq!(older, &[1.0, 1.0, 1.0, 0.0]);
        assert_eq!(newer[..3], [1.0, 0.0, 0.0]);
        assert!((newer[3] - 0.5).abs() < 1e-5, "{newer:?}");
        assert_eq!(f[FEATURES - 1], 0.25);
    }

    #[test]
    fn only_the_last_window_counts() {
        let long: Vec<_> = (0..20).map(|i| outcome(0.5, i >= 12)).collect();
        let f = features(&long);
        assert!((0..WINDOW).all(|slot| f[slot * 4 + 1] == 1.0));
        assert_eq!(f[FEATURES - 1], 1.0);
    }
}
