//! What `kansei difficulty simulate` measures, from the simulator's ground truth (each
//! player's true success probability at every encounter).

use serde::Serialize;

use crate::sim::PlayerTrace;

/// Half-width of the band around the target that counts as "in flow".
pub const BAND: f64 = 0.05;
/// The encounter (1-based) from which players should be in the band.
pub const SETTLED_AT: usize = 20;
/// The encounter (1-based) at which calibration is measured.
pub const CALIBRATED_AT: usize = 12;
/// Largest prediction error that counts as calibrated.
pub const CALIBRATION_TOLERANCE: f64 = 0.10;
/// Re-convergence after a step change should take at most this many encounters.
pub const RECONVERGE_WITHIN: usize = 10;

/// The benchmark's figures for one controller on one population.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Players simulated.
    pub players: usize,
    /// Share of the players still playing at encounter 20 whose true success probability is
    /// within `BAND` of the target there.
    pub in_band_at_20: f64,
    /// The same share averaged over encounters 20 to the last (players still playing).
    pub in_band_after_20: f64,
    /// Median encounter (1-based) at which players were first in the band; players who never
    /// got there count as never (infinity), so a controller that strands half its players
    /// has an infinite median.
    pub first_in_band: f64,
    /// Share of players never in the band.
    pub never_in_band: f64,
    /// Step changes that took the player out of the band (and that the simulation followed
    /// for at least `RECONVERGE_WITHIN` encounters or until back in the band).
    pub step_changes: usize,
    /// Median encounters from such a step change until back in the band.
    pub reconvergence_median: f64,
    /// Share of them back in the band within `RECONVERGE_WITHIN` encounters.
    pub reconverged_within_10: f64,
    /// Share of players who quit before their last encounter.
    pub quit_rate: f64,
    /// Mean over players of the summed `|true success - target|` over their encounters.
    /// Players who quit early stop adding to it, so compare controllers by
    /// `regret_per_encounter`.
    pub regret: f64,
    /// The summed `|true success - target|` over all encounters played, per encounter.
    pub regret_per_encounter: f64,
    /// Share of players at encounter 12 whose predicted success probability is within
    /// `CALIBRATION_TOLERANCE` of the truth; `None` for controllers that predict nothing.
    pub calibration_at_12: Option<f64>,
}

impl Metrics {
    /// Measures `traces` against `target`.
    pub fn measure(traces: &[PlayerTrace], target: f64) -> Self {
        let in_band = |p: f64| (p - target).abs() <= BAND;
        let share = |hits: usize, total: usize| {
            if total == 0 {
                0.0
            } else {
                hits as f64 / total as f64
            }
        };

        let at = |index: usize| {
            traces
                .iter()
                .filter_map(move |t| t.encounters.get(index))
                .collect::<Vec<_>>()
        };
        let settled = at(SETTLED_AT - 1);
        let in_band_at_20 = share(
            settled.iter().filter(|e| in_band(e.true_success)).count(),
            settled.len(),
        );
        let longest = traces.iter().map(|t| t.encounters.len()).max().unwrap_or(0);
        let later: Vec<f64> = (SETTLED_AT - 1..longest)
            .map(|i| {
                let playing = at(i);
                share(
                    playing.iter().filter(|e| in_band(e.true_success)).count(),
                    playing.len(),
                )
            })
            .collect();
        let in_band_after_20 = mean(&later);

        let mut firsts: Vec<f64> = traces
            .iter()
            .map(|t| {
                t.encounters
                    .iter()
                    .position(|e| in_band(e.true_success))
                    .map_or(f64::INFINITY, |i| (i + 1) as f64)
            })
            .collect();
        let never = firsts.iter().filter(|f| f.is_infinite()).count();

        let mut reconvergence = Vec::new();
        for trace in traces {
            for &(played, _) in &trace.step_changes {
                let after = &trace.encounters[played.min(trace.encounters.len())..];
                if after.first().is_none_or(|e| in_band(e.true_success)) {
                    continue;
                }
                match after.iter().position(|e| in_band(e.true_success)) {
                    Some(k) => reconvergence.push(k as f64),
                    None if after.len() >= RECONVERGE_WITHIN => {
                        reconvergence.push(f64::INFINITY);
                    }
                    None => {}
                }
            }
        }
        let within = reconvergence
            .iter()
            .filter(|k| **k <= RECONVERGE_WITHIN as f64)
            .count();

        let regrets: Vec<f64> = traces
            .iter()
            .map(|t| {
                t.encounters
                    .iter()
                    .map(|e| (e.true_success - target).abs())
                    .sum()
            })
            .collect();
        let played: usize = traces.iter().map(|t| t.encounters.len()).sum();

        let calibration = at(CALIBRATED_AT - 1);
        let predicted: Vec<bool> = calibration
            .iter()
            .filter_map(|e| {
                e.predicted_success
                    .map(|p| (p - e.true_success).abs() <= CALIBRATION_TOLERANCE)
            })
            .collect();

        Self {
            players: traces.len(),
            in_band_at_20,
            in_band_after_20,
            first_in_band: median(&mut firsts),
            never_in_band: share(never, traces.len()),
            step_changes: reconvergence.len(),
            reconvergence_median: median(&mut reconvergence),
            reconverged_within_10: share(within, reconvergence.len()),
            quit_rate: share(traces.iter().filter(|t| t.quit).count(), traces.len()),
            regret: mean(&regrets),
            regret_per_encounter: regrets.iter().sum::<f64>() / played.max(1) as f64,
            calibration_at_12: (!predicted.is_empty())
                .then(|| share(predicted.iter().filter(|ok| **ok).count(), predicted.len())),
        }
    }
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() {
        f64::NAN
    } else {
        values.iter().sum::<f64>() / values.len() as f64
    }
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}
