//! Training and test examples for the quit-risk models, from simulated players.

use std::sync::Arc;

use crate::controller::ControllerKind;
use crate::population::Population;
use crate::sim::{PlayerTrace, simulate};

use super::{FEATURES, HORIZON, QuitRisk, features};

/// Feature vectors and labels (1: the player quit within [`HORIZON`] encounters).
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    /// One vector per decision point.
    pub features: Vec<[f32; FEATURES]>,
    /// 1.0 if the player quit within the horizon, else 0.0.
    pub labels: Vec<f32>,
}

impl Dataset {
    /// Examples from played traces: one per encounter after which the player stayed and whose
    /// next [`HORIZON`] encounters were either played or cut short by a quit. (The encounter
    /// right before a quit gives none: the player is already leaving when the controller
    /// decides. The last encounters of a player who finished give none either: the run ended,
    /// not the player's patience.)
    pub fn from_traces(traces: &[PlayerTrace]) -> Self {
        let mut data = Self::default();
        for trace in traces {
            let outcomes: Vec<_> = trace.encounters.iter().map(|e| e.outcome.clone()).collect();
            let last = outcomes.len().saturating_sub(1);
            for t in 0..outcomes.len() {
                let left_after = last - t; // encounters still to play after t
                if trace.quit && left_after == 0 {
                    continue;
                }
                let label = trace.quit && left_after <= HORIZON;
                if !trace.quit && left_after < HORIZON {
                    continue;
                }
                data.features.push(features(&outcomes[..=t]));
                data.labels.push(if label { 1.0 } else { 0.0 });
            }
        }
        data
    }

    /// Simulates `population` under each controller in `controllers` (a mix, so the model
    /// sees easy, hard and well-matched players) and collects the examples.
    pub fn simulate(
        population: &Population,
        controllers: &[ControllerKind],
        quit_risk: Option<&Arc<dyn QuitRisk>>,
    ) -> Self {
        let mut data = Self::default();
        for &kind in controllers {
            let part = Self::from_traces(&simulate(population, kind, quit_risk));
            data.features.extend(part.features);
            data.labels.extend(part.labels);
        }
        data
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Share of positive examples.
    pub fn positive_share(&self) -> f64 {
        self.labels.iter().map(|l| f64::from(*l)).sum::<f64>() / self.len().max(1) as f64
    }
}
