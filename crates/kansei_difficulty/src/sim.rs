//! The simulated players of `kansei difficulty simulate`.
//!
//! Each player has a latent skill `s` and succeeds at latent difficulty `d` with probability
//! `sigmoid(a (s - fatigue - d))`. After every encounter they learn (a per-player rate), with
//! a small chance change abruptly (a break, a new weapon), and tire a little. They report
//! success and a graded performance (the true probability plus noise, clamped to `[0, 1]`).
//! They quit after an encounter with the population's probability while frustrated (too many
//! failures in a window) or bored (too many successes in a window).
//!
//! Players draw from their own random streams, one per purpose, so every controller meets the
//! same players and the same luck: a success is `uniform < p` with the same uniform whatever
//! `p` the controller's choice produced.

use std::collections::VecDeque;
use std::sync::Arc;

use kansei_player::skill::SkillModel;
use kansei_player::{EncounterOutcome, SkillEstimate};

use crate::controller::{
    Controller, ControllerKind, Fixed, FlowConfig, FlowController, Rank, Staircase, Thompson, Ucb1,
};
use crate::population::Population;
use crate::quit_risk::QuitRisk;
use crate::rng::Rng;

/// Random streams of one player, by purpose.
#[derive(Debug, Clone, Copy)]
enum Stream {
    Traits = 0,
    Success = 1,
    Performance = 2,
    Steps = 3,
    Quit = 4,
    Controller = 5,
}

fn stream(population: &Population, player: usize, purpose: Stream) -> Rng {
    Rng::new(population.seed, (player as u64) * 8 + purpose as u64)
}

/// One encounter as the simulator saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Encounter {
    /// The outcome the controller was shown.
    pub outcome: EncounterOutcome,
    /// The player's true success probability at the chosen difficulty.
    pub true_success: f64,
    /// The controller's prediction of it, if it makes one.
    pub predicted_success: Option<f64>,
}

/// One player's whole run.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerTrace {
    /// The encounters played, in order.
    pub encounters: Vec<Encounter>,
    /// Whether the player quit after the last of them.
    pub quit: bool,
    /// Step changes: the number of encounters played before each, and its size.
    pub step_changes: Vec<(usize, f64)>,
}

/// The skill model a game calibrated to this population would use: the same slope, the
/// change size and performance noise of its players (see the README's benchmark section).
pub fn calibrated_model(population: &Population) -> SkillModel {
    let width = population.scale_width();
    SkillModel {
        slope: population.discrimination.0 * width,
        level_drift: 0.01 / width,
        trend_drift: 0.002 / width,
        performance_noise: population.performance_noise.0.max(0.02),
        change_threshold: 3.0,
        change_std: (population.step_change.size.sd() / width).max(1e-3),
    }
}

/// What a game calibrated to this population knows before a player's first encounter: the
/// spread of skill and the typical learning rate, on the game's scale.
pub fn calibrated_prior(population: &Population) -> SkillEstimate {
    let width = population.scale_width();
    let to_scale = |latent: f64| (latent - population.difficulty_scale.0.0) / width;
    let trend = population.learning_per_encounter.mean() - population.fatigue_per_encounter.0;
    SkillEstimate {
        mean: to_scale(population.skill.mean()).clamp(0.0, 1.0),
        std: (population.skill.sd() / width).clamp(1e-3, 1.0),
        trend: trend / width,
        trend_std: (population.learning_per_encounter.sd() / width).max(1e-4),
        ..SkillEstimate::default()
    }
}

/// The flow controller's configuration for this population: its target, the calibrated
/// model and prior, the default knob limits (largest step 0.10, quit-risk ceiling 0.15), the whole scale
/// as the tier.
pub fn flow_config(population: &Population) -> FlowConfig {
    FlowConfig {
        target_success: population.target_success.0,
        model: calibrated_model(population),
        prior: calibrated_prior(population),
        ..FlowConfig::default()
    }
}

/// The controller `kind` for player `player`.
pub fn controller_for(
    kind: ControllerKind,
    population: &Population,
    player: usize,
    quit_risk: Option<&Arc<dyn QuitRisk>>,
) -> Box<dyn Controller> {
    let config = flow_config(population);
    let (default, target) = (config.default_difficulty, config.target_success);
    match kind {
        ControllerKind::Kansei => {
            let controller = FlowController::new(config);
            Box::new(match quit_risk {
                Some(model) => controller.with_quit_risk(model.clone()),
                None => controller,
            })
        }
        ControllerKind::Static => Box::new(Fixed {
            difficulty: default,
        }),
        ControllerKind::Staircase => Box::new(Staircase::new(default, 0.05)),
        ControllerKind::Rank => Box::new(Rank::new(default, target)),
        ControllerKind::Ucb1 => Box::new(Ucb1::new(target)),
        ControllerKind::Thompson => Box::new(Thompson::new(
            target,
            stream(population, player, Stream::Controller),
        )),
    }
}

/// Plays one simulated player against `controller`.
pub fn play(
    population: &Population,
    player: usize,
    controller: &mut dyn Controller,
) -> PlayerTrace {
    let mut traits = stream(population, player, Stream::Traits);
    let mut success_draws = stream(population, player, Stream::Success);
    let mut performance_draws = stream(population, player, Stream::Performance);
    let mut step_draws = stream(population, player, Stream::Steps);
    let mut quit_draws = stream(population, player, Stream::Quit);

    let mut skill = population.skill.sample(&mut traits);
    let learning = population.learning_per_encounter.sample(&mut traits);
    let a = population.discrimination.0;
    let quit_rule = population.quit;
    let window = quit_rule
        .frustration_window
        .0
        .max(quit_rule.boredom_window.0) as usize;
    let mut results: VecDeque<bool> = VecDeque::with_capacity(window);
    let mut trace = PlayerTrace {
        encounters: Vec::new(),
        quit: false,
        step_changes: Vec::new(),
    };

    for played in 0..population.encounters.0 as usize {
        let difficulty = controller.next_difficulty().clamp(0.0, 1.0);
        let predicted_success = controller.predicted_success(difficulty);
        let effective = skill - population.fatigue_per_encounter.0 * played as f64;
        let p = 1.0 / (1.0 + (-a * (effective - population.latent_difficulty(difficulty))).exp());
        let success = success_draws.uniform() < p;
        let performance =
            (p + population.performance_noise.0 * performance_draws.normal()).clamp(0.0, 1.0);
        let outcome = EncounterOutcome {
            difficulty: difficulty as f32,
            success,
            seconds: (60.0 + 120.0 * (1.0 - performance)) as f32,
            damage_taken: (100.0 * (1.0 - performance)) as f32,
            retries: 0,
            quit: false,
            performance: Some(performance as f32),
        };
        controller.observe(&outcome);
        trace.encounters.push(Encounter {
            outcome,
            true_success: p,
            predicted_success,
        });

        if results.len() == window {
            results.pop_front();
        }
        results.push_back(success);
        let last = |n: u32| results.iter().rev().take(n as usize);
        let frustrated = results.len() >= quit_rule.frustration_window.0 as usize
            && last(quit_rule.frustration_window.0)
                .filter(|s| !**s)
                .count()
                >= quit_rule.frustration_failures.0 as usize;
        let bored = results.len() >= quit_rule.boredom_window.0 as usize
            && last(quit_rule.boredom_window.0).filter(|s| **s).count()
                >= quit_rule.boredom_successes.0 as usize;
        // Drawn every encounter, used or not, so luck lines up across controllers.
        let quit_draw = quit_draws.uniform();
        if (frustrated || bored) && quit_draw < quit_rule.probability.0 {
            trace.quit = true;
            break;
        }

        skill += learning;
        let step_draw = step_draws.uniform();
        let step_size = population.step_change.size.sample(&mut step_draws);
        if step_draw < population.step_change.probability.0 {
            skill += step_size;
            trace.step_changes.push((played + 1, step_size));
        }
    }
    trace
}

/// Plays the whole population against controller `kind`.
pub fn simulate(
    population: &Population,
    kind: ControllerKind,
    quit_risk: Option<&Arc<dyn QuitRisk>>,
) -> Vec<PlayerTrace> {
    (0..population.players.0 as usize)
        .map(|player| {
            let mut controller = controller_for(kind, population, player, quit_risk);
            play(population, player, controller.as_mut())
        })
        .collect()
}
