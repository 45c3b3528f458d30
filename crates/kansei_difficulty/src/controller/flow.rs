//! Kansei's flow controller: estimate the player's skill (and its trend) from every encounter,
//! choose the difficulty at which they are expected to succeed at the target rate, and lean
//! easier or harder while the quit-risk model says they may leave. Every decision carries the
//! numbers that explain it.

use std::collections::VecDeque;
use std::sync::Arc;

use kansei_player::EncounterOutcome;
use kansei_player::SkillEstimate;
use kansei_player::skill::SkillModel;

use super::Controller;
use crate::quit_risk::QuitRisk;

/// Outcomes the controller remembers for its explanations and the quit-risk model.
const MEMORY: usize = 16;
/// Window of the "N failures in the last M encounters" clause.
const RECENT: usize = 5;
/// Furthest the aimed success rate moves away from the target when quit risk is high.
const MAX_TARGET_SHIFT: f64 = 0.3;
/// How far the aimed success rate moves per unit of quit risk above the ceiling.
const RISK_GAIN: f64 = 4.0;

/// What the flow controller aims for and the limits it works in.
#[derive(Debug, Clone, PartialEq)]
pub struct FlowConfig {
    /// Target success rate, `0.5..=0.85`. Default 0.70.
    pub target_success: f64,
    /// Where a new player starts. Default 0.5.
    pub default_difficulty: f64,
    /// Largest difficulty change per encounter. Default 0.10.
    pub max_step: f64,
    /// The tier the player picked: the controller never leaves it. Default `(0, 1)`.
    pub tier: (f64, f64),
    /// Quit risk above which the controller leans away from what the player is leaving over.
    /// Default 0.15 (lower keeps more players and fewer in the band; see the README's
    /// benchmark).
    pub quit_risk_ceiling: f64,
    /// The skill model (the game's calibration of its scale).
    pub model: SkillModel,
    /// What the controller believes about a player it has never seen: by default nothing
    /// ([`SkillEstimate::default`]); a game that knows its players' spread and learning rate
    /// from playtests starts closer.
    pub prior: SkillEstimate,
}

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            target_success: 0.70,
            default_difficulty: 0.5,
            max_step: 0.10,
            tier: (0.0, 1.0),
            quit_risk_ceiling: 0.15,
            model: SkillModel::default(),
            prior: SkillEstimate::default(),
        }
    }
}

/// One choice of the flow controller and the numbers behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    /// The difficulty before.
    pub previous: f64,
    /// The difficulty chosen.
    pub difficulty: f64,
    /// The success rate aimed at (the target, moved while quit risk is high).
    pub aimed_success: f64,
    /// The expected success probability at the chosen difficulty.
    pub predicted_success: f64,
    /// The skill estimate used.
    pub skill: SkillEstimate,
    /// Quit risk from the model, if one is loaded and the player has history.
    pub quit_risk: Option<f64>,
    /// The ceiling it was compared with.
    pub quit_risk_ceiling: f64,
    /// Failures among the last `recent_window` encounters.
    pub recent_failures: usize,
    /// Encounters looked at for `recent_failures` (fewer at the start).
    pub recent_window: usize,
    /// Whether the step limit or the tier stopped the controller short of its aim.
    pub limited: bool,
}

impl Decision {
    /// Why, in one clause built from the real inputs, e.g. "4 failures in the last 5
    /// encounters, quit risk 0.31 above 0.25".
    pub fn because(&self) -> String {
        let recent = format!(
            "{} failure{} in the last {} encounter{}",
            self.recent_failures,
            if self.recent_failures == 1 { "" } else { "s" },
            self.recent_window,
            if self.recent_window == 1 { "" } else { "s" },
        );
        let risk = match self.quit_risk {
            Some(risk) if risk > self.quit_risk_ceiling => {
                format!(", quit risk {risk:.2} above {:.2}", self.quit_risk_ceiling)
            }
            _ => String::new(),
        };
        let aim = format!(
            "; expected success {:.0}% (aiming at {:.0}%)",
            self.predicted_success * 100.0,
            self.aimed_success * 100.0
        );
        let limit = if self.limited {
            ", limited by the step size or tier"
        } else {
            ""
        };
        format!("{recent}{risk}{aim}{limit}")
    }
}

/// Kansei's controller (see the module docs).
#[derive(Clone)]
pub struct FlowController {
    config: FlowConfig,
    belief: SkillEstimate,
    current: f64,
    history: VecDeque<EncounterOutcome>,
    quit_risk: Option<Arc<dyn QuitRisk>>,
    last: Option<Decision>,
}

impl FlowController {
    /// A controller for a new player.
    pub fn new(config: FlowConfig) -> Self {
        let prior = config.prior;
        Self::resume(config, prior)
    }

    /// A controller for a player the profile already knows.
    pub fn resume(config: FlowConfig, belief: SkillEstimate) -> Self {
        let current = config
            .default_difficulty
            .clamp(config.tier.0, config.tier.1);
        Self {
            config,
            belief,
            current,
            history: VecDeque::with_capacity(MEMORY),
            quit_risk: None,
            last: None,
        }
    }

    /// Adds a quit-risk model. While its risk is above the ceiling, the controller aims at a
    /// success rate away from the target, by `RISK_GAIN` (4) per unit of risk above the ceiling
    /// and at most 0.3, in the direction the model says lowers the risk (it is asked about a
    /// win and a loss next): easier after failures, harder after a run of wins.
    pub fn with_quit_risk(mut self, model: Arc<dyn QuitRisk>) -> Self {
        self.set_quit_risk(model);
        self
    }

    /// [`with_quit_risk`](Self::with_quit_risk) on a controller in place.
    pub fn set_quit_risk(&mut self, model: Arc<dyn QuitRisk>) {
        self.quit_risk = Some(model);
    }

    /// Whether a quit-risk model is in use.
    pub fn has_quit_risk(&self) -> bool {
        self.quit_risk.is_some()
    }

    /// Uses `model` for the skill from now on.
    pub fn set_model(&mut self, model: SkillModel) {
        self.config.model = model;
    }

    /// Starts over from `belief`, forgetting the outcomes it remembered and its last decision;
    /// the configuration, quit-risk model and current difficulty stay.
    pub fn restart(&mut self, belief: SkillEstimate) {
        self.belief = belief;
        self.history.clear();
        self.last = None;
    }

    /// The configuration.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// The current skill estimate.
    pub fn skill(&self) -> &SkillEstimate {
        &self.belief
    }

    /// The difficulty now in force.
    pub fn current(&self) -> f64 {
        self.current
    }

    /// Tells the controller the difficulty actually in force, when something outside it (the
    /// designer's per-knob limits, an opt-out, competitive mode) moved it or stopped its move
    /// short. Its next step starts from there. Clamped into the tier.
    pub fn set_current(&mut self, difficulty: f64) {
        self.current = difficulty.clamp(self.config.tier.0, self.config.tier.1);
    }

    /// The latest decision, if any.
    pub fn last_decision(&self) -> Option<&Decision> {
        self.last.as_ref()
    }

    /// Chooses the next difficulty and makes it current.
    pub fn decide(&mut self) -> Decision {
        let config = &self.config;
        let ahead = config.model.ahead(&self.belief);
        let recent_window = self.history.len().min(RECENT);
        let recent_failures = self
            .history
            .iter()
            .rev()
            .take(RECENT)
            .filter(|o| !o.success || o.quit)
            .count();
        let mut aimed = config.target_success;
        let mut quit_risk = None;
        if let Some(model) = &self.quit_risk
            && !self.history.is_empty()
        {
            let mut outcomes: Vec<EncounterOutcome> = self.history.iter().cloned().collect();
            let risk = model.risk(&outcomes);
            quit_risk = Some(risk);
            if risk > config.quit_risk_ceiling {
                // Which way lowers the risk: ask the model about a win and a loss next.
                let at_target = config.model.difficulty_for(&ahead, aimed);
                let mut after = |won: bool| {
                    outcomes.push(EncounterOutcome {
                        difficulty: at_target as f32,
                        success: won,
                        performance: Some(aimed as f32),
                        ..EncounterOutcome::default()
                    });
                    let risk = model.risk(&outcomes);
                    outcomes.pop();
                    risk
                };
                let (if_won, if_lost) = (after(true), after(false));
                let shift = (RISK_GAIN * (risk - config.quit_risk_ceiling)).min(MAX_TARGET_SHIFT);
                // A model that cannot tell (a tie) leaves the direction to the recent record.
                let easier = if (if_lost - if_won).abs() > 1e-3 {
                    if_lost > if_won
                } else {
                    let rate = 1.0 - recent_failures as f64 / recent_window.max(1) as f64;
                    rate < config.target_success
                };
                aimed += if easier { shift } else { -shift };
            }
        }
        let wanted = config.model.difficulty_for(&ahead, aimed);
        let step = (wanted - self.current).clamp(-config.max_step, config.max_step);
        let difficulty = (self.current + step).clamp(config.tier.0, config.tier.1);
        let decision = Decision {
            previous: self.current,
            difficulty,
            aimed_success: aimed,
            predicted_success: config.model.success_probability(&ahead, difficulty),
            skill: ahead,
            quit_risk,
            quit_risk_ceiling: config.quit_risk_ceiling,
            recent_failures,
            recent_window,
            limited: (difficulty - wanted).abs() > 1e-9,
        };
        self.current = difficulty;
        self.last = Some(decision.clone());
        decision
    }

    /// Learns from a finished encounter.
    pub fn record(&mut self, outcome: &EncounterOutcome) {
        self.belief = self.config.model.update(&self.belief, outcome);
        if self.history.len() == MEMORY {
            self.history.pop_front();
        }
        self.history.push_back(outcome.clone());
    }
}

impl Controller for FlowController {
    fn next_difficulty(&mut self) -> f64 {
        self.decide().difficulty
    }

    fn predicted_success(&self, difficulty: f64) -> Option<f64> {
        let ahead = self.config.model.ahead(&self.belief);
        Some(self.config.model.success_probability(&ahead, difficulty))
    }

    fn observe(&mut self, outcome: &EncounterOutcome) {
        self.record(outcome);
    }
}
