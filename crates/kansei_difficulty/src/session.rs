//! [`AdaptiveDifficulty`]: one player's adaptive difficulty for one play session, engine-agnostic.
//!
//! It joins the pieces a game needs: the designer's [`DifficultyKnobs`] and the tier the player
//! picked, Kansei's [`FlowController`] (with an optional [`QuitRisk`] model), and the player's
//! choices: consent to adaptive difficulty ([`Consent`]) and a competitive mode in which every
//! player plays at the designer's default. The Bevy plugin (module `plugin`, feature `bevy`)
//! is a thin layer over it.
//!
//! After each encounter the game calls [`AdaptiveDifficulty::record`]:
//!
//! 1. the outcome is validated; bad telemetry (NaN, negative or absurd values) is refused,
//!    counted in [`AdaptiveDifficulty::rejected`] and never learnt from;
//! 2. the skill estimate learns from it (see "Learning while adaptation is off" below);
//! 3. when adaptation is allowed, the controller chooses the next difficulty, which
//!    [`DifficultyKnobs::limit_step`] then keeps within the difficulty step, every knob's
//!    `max_step` and the tier;
//! 4. if the difficulty moved, a [`DifficultyChange`] says from where to where, the knob values
//!    now in force, and why, in one sentence built from the real inputs, e.g.
//!    `"enemy_damage -10%: 4 failures in the last 5 encounters, quit risk 0.31 above 0.25;
//!    expected success 70% (aiming at 70%)"`.
//!
//! # Opting out and competitive mode
//!
//! [`set_adaptive(false)`](AdaptiveDifficulty::set_adaptive) takes effect at once: the
//! difficulty returns to the designer's default (clamped into the tier) in one jump, not
//! limited by the step sizes, and stays there. Opting in again resumes from the skill
//! estimate: the next recorded encounter decides from the default difficulty with everything
//! learnt so far. [`set_competitive(true)`](AdaptiveDifficulty::set_competitive) does the same
//! with its own reason, so that ranked or shared play is fair; adaptation resumes when both
//! allow it.
//!
//! # Learning while adaptation is off
//!
//! The skill estimate learns from an encounter when the player consented to adaptive
//! difficulty *or* to personalisation (`Consent::personalisation`). So a player who opted out
//! of adaptive difficulty but kept personalisation on still gets an accurate estimate (for
//! recommendations, and for a good start if they opt in again), while a player who switched
//! both off has nothing recorded at all. Competitive mode does not stop learning: the player
//! consented, the estimate is simply not applied.

use std::fmt;
use std::sync::Arc;

use kansei_player::skill::SkillModel;
use kansei_player::{
    Consent, EncounterOutcome, PlayerProfile, RejectedTelemetry, SkillEstimate, TelemetryError,
};

use crate::controller::{Decision, FlowConfig, FlowController};
use crate::knobs::{DifficultyKnobs, KnobValues, KnobsError, Tier};
use crate::quit_risk::QuitRisk;

/// Moves of the difficulty smaller than this are no move at all: they change no knob a player
/// could notice, and reporting them would only be noise.
pub const MIN_CHANGE: f32 = 1e-4;

/// The reason given when the player switches adaptive difficulty off.
pub const OPTED_OUT_REASON: &str =
    "adaptive difficulty switched off by the player: back to the designer's default";

/// The reason given when competitive mode starts.
pub const COMPETITIVE_REASON: &str =
    "competitive mode: every player plays at the designer's default";

/// Why the difficulty changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChangeCause {
    /// The controller adapted to the player's recent encounters.
    Adapted,
    /// The player switched adaptive difficulty off: back to the designer's default.
    OptedOut,
    /// Competitive mode started: back to the designer's default.
    Competitive,
}

/// One change of the difficulty in force.
#[derive(Debug, Clone, PartialEq)]
pub struct DifficultyChange {
    /// The difficulty before, `[0, 1]`.
    pub from: f32,
    /// The difficulty now in force, `[0, 1]`.
    pub to: f32,
    /// Every knob's value at `to`, in declaration order.
    pub knob_values: KnobValues,
    /// One sentence built from the real inputs, e.g. `"enemy_damage -10%: 4 failures in the
    /// last 5 encounters; expected success 70% (aiming at 70%)"`.
    pub reason: String,
    /// What caused it.
    pub cause: ChangeCause,
}

impl fmt::Display for DifficultyChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "difficulty {:.2} -> {:.2}: {}",
            self.from, self.to, self.reason
        )
    }
}

/// One player's adaptive difficulty (see the module docs).
#[derive(Clone)]
pub struct AdaptiveDifficulty {
    knobs: DifficultyKnobs,
    tier: Tier,
    controller: FlowController,
    consent: Consent,
    competitive: bool,
    /// The difficulty in force: the controller's choice after the knobs' step limits.
    current: f32,
    explanation: Option<String>,
    last_decision: Option<Decision>,
    rejected: RejectedTelemetry,
    recorded: u64,
}

impl fmt::Debug for AdaptiveDifficulty {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveDifficulty")
            .field("tier", &self.tier.name)
            .field("difficulty", &self.current)
            .field("consent", &self.consent)
            .field("competitive", &self.competitive)
            .field("skill", self.controller.skill())
            .field("quit_risk_model", &self.controller.has_quit_risk())
            .field("explanation", &self.explanation)
            .field("rejected", &self.rejected)
            .field("recorded", &self.recorded)
            .finish_non_exhaustive()
    }
}

impl AdaptiveDifficulty {
    /// A session for a new player in tier `tier` of `knobs`, starting at the designer's default
    /// difficulty (clamped into the tier), with default [`Consent`] (both on), no competitive
    /// mode, the default [`SkillModel`] and prior, and no quit-risk model.
    ///
    /// # Errors
    /// Whatever [`DifficultyKnobs::validate`] reports, or [`KnobsError`]'s unknown-tier error
    /// listing the declared tiers.
    pub fn new(knobs: DifficultyKnobs, tier: &str) -> Result<Self, KnobsError> {
        knobs.validate()?;
        let tier = knobs.tier(tier)?.clone();
        let config = FlowConfig {
            target_success: f64::from(knobs.target_success),
            default_difficulty: f64::from(knobs.default_difficulty),
            // Every knob's own max_step is applied afterwards by `DifficultyKnobs::limit_step`,
            // and the controller is told where that left the difficulty (`set_current`).
            max_step: f64::from(knobs.max_difficulty_step),
            tier: (f64::from(tier.min), f64::from(tier.max)),
            quit_risk_ceiling: f64::from(knobs.quit_risk_ceiling),
            model: SkillModel::default(),
            prior: SkillEstimate::default(),
        };
        let current = tier.clamp(knobs.default_difficulty);
        Ok(Self {
            controller: FlowController::new(config),
            knobs,
            tier,
            consent: Consent::default(),
            competitive: false,
            current,
            explanation: None,
            last_decision: None,
            rejected: RejectedTelemetry::default(),
            recorded: 0,
        })
    }

    /// A session for a player whose profile is known: their consent, skill estimate and skill
    /// model. Call it before any [`record`](Self::record).
    ///
    /// # Errors
    /// As [`new`](Self::new).
    pub fn for_profile(
        knobs: DifficultyKnobs,
        tier: &str,
        profile: &PlayerProfile,
    ) -> Result<Self, KnobsError> {
        Ok(Self::new(knobs, tier)?
            .with_skill_model(profile.skill_model)
            .with_skill(profile.skill)
            .with_consent(profile.consent))
    }

    /// Starts from a known skill estimate instead of the prior. Forgets any encounters already
    /// recorded in this session; call it before [`record`](Self::record).
    pub fn with_skill(mut self, skill: SkillEstimate) -> Self {
        self.controller.restart(skill);
        self
    }

    /// Uses `model` (the game's calibration of the skill scale). Keeps the skill estimate but
    /// forgets the encounters already recorded in this session.
    pub fn with_skill_model(mut self, model: SkillModel) -> Self {
        self.controller.set_model(model);
        let skill = *self.controller.skill();
        self.controller.restart(skill);
        self
    }

    /// Adds a quit-risk model: while its risk is above the knobs' `quit_risk_ceiling`, the
    /// controller leans easier (after failures) or harder (after a run of wins).
    pub fn with_quit_risk(mut self, model: Arc<dyn QuitRisk>) -> Self {
        self.controller.set_quit_risk(model);
        self
    }

    /// Sets the player's consent (see [`set_consent`](Self::set_consent)); a builder for the
    /// start of a session, so it reports no change.
    pub fn with_consent(mut self, consent: Consent) -> Self {
        let _ = self.set_consent(consent);
        self
    }

    /// Records a finished encounter and, when adaptation is allowed, chooses the next
    /// difficulty. Returns the change, or `None` when the difficulty did not move (or
    /// adaptation is off).
    ///
    /// # Errors
    /// The [`TelemetryError`] of an outcome that fails [`EncounterOutcome::validate`]; it is
    /// counted in [`rejected`](Self::rejected) and nothing else changes.
    pub fn record(
        &mut self,
        outcome: &EncounterOutcome,
    ) -> Result<Option<DifficultyChange>, TelemetryError> {
        if let Err(error) = outcome.validate() {
            self.rejected.count(&error);
            return Err(error);
        }
        if !self.learns() {
            return Ok(None);
        }
        self.controller.record(outcome);
        self.recorded += 1;
        if !self.adapts() {
            return Ok(None);
        }
        let mut decision = self.controller.decide();
        let from = self.current;
        let wanted = decision.difficulty as f32;
        let to = self.knobs.limit_step(from, wanted, &self.tier);
        // Describe what is actually in force: the knobs may have stopped the move short.
        decision.previous = f64::from(from);
        decision.difficulty = f64::from(to);
        decision.predicted_success = self
            .controller
            .config()
            .model
            .success_probability(&decision.skill, f64::from(to));
        decision.limited |= (to - wanted).abs() > 1e-6;
        self.last_decision = Some(decision.clone());
        if (to - from).abs() < MIN_CHANGE {
            self.controller.set_current(f64::from(from));
            return Ok(None);
        }
        let what = match self.knobs.largest_change(from, to) {
            Some(change) => change.to_string(),
            None => format!("difficulty {from:.2} -> {to:.2}"),
        };
        let reason = format!("{what}: {}", decision.because());
        Ok(Some(self.move_to(to, reason, ChangeCause::Adapted)))
    }

    /// Switches adaptive difficulty on or off (the player's `Consent::adaptive_difficulty`).
    /// Switching it off takes effect at once: returns the change back to the designer's
    /// default, or `None` if the difficulty is already there (or nothing changed).
    pub fn set_adaptive(&mut self, on: bool) -> Option<DifficultyChange> {
        self.set_consent(Consent {
            adaptive_difficulty: on,
            ..self.consent
        })
    }

    /// Sets the player's consent as a whole (adaptive difficulty and personalisation); see
    /// [`set_adaptive`](Self::set_adaptive) and the module docs for what each flag does.
    pub fn set_consent(&mut self, consent: Consent) -> Option<DifficultyChange> {
        let was = self.consent.adaptive_difficulty;
        self.consent = consent;
        if was && !consent.adaptive_difficulty && !self.competitive {
            self.back_to_default(OPTED_OUT_REASON, ChangeCause::OptedOut)
        } else {
            None
        }
    }

    /// Starts or ends competitive mode, in which the difficulty stays at the designer's
    /// default. Starting it returns the change back to the default, or `None` if the
    /// difficulty is already there (or nothing changed).
    pub fn set_competitive(&mut self, on: bool) -> Option<DifficultyChange> {
        let was = self.competitive;
        self.competitive = on;
        if on && !was && self.consent.adaptive_difficulty {
            self.back_to_default(COMPETITIVE_REASON, ChangeCause::Competitive)
        } else {
            None
        }
    }

    fn back_to_default(&mut self, reason: &str, cause: ChangeCause) -> Option<DifficultyChange> {
        let to = self.default_difficulty();
        if self.current == to {
            return None;
        }
        Some(self.move_to(to, reason.to_owned(), cause))
    }

    fn move_to(&mut self, to: f32, reason: String, cause: ChangeCause) -> DifficultyChange {
        let from = self.current;
        self.current = to;
        self.controller.set_current(f64::from(to));
        self.explanation = Some(reason.clone());
        DifficultyChange {
            from,
            to,
            knob_values: self.knobs.values(to),
            reason,
            cause,
        }
    }

    /// Whether the difficulty may adapt now: the player consented and competitive mode is off.
    pub fn adapts(&self) -> bool {
        self.consent.adaptive_difficulty && !self.competitive
    }

    /// Whether recorded encounters update the skill estimate: the player consented to adaptive
    /// difficulty or to personalisation (see the module docs).
    pub fn learns(&self) -> bool {
        self.consent.adaptive_difficulty || self.consent.personalisation
    }

    /// The difficulty in force, `[0, 1]`, inside the tier.
    pub fn difficulty(&self) -> f32 {
        self.current
    }

    /// The designer's default difficulty, clamped into the tier: where every session starts
    /// and where opting out and competitive mode return to.
    pub fn default_difficulty(&self) -> f32 {
        self.tier.clamp(self.knobs.default_difficulty)
    }

    /// Every knob's value at the difficulty in force.
    pub fn knob_values(&self) -> KnobValues {
        self.knobs.values(self.current)
    }

    /// The knobs.
    pub fn knobs(&self) -> &DifficultyKnobs {
        &self.knobs
    }

    /// The player's tier.
    pub fn tier(&self) -> &Tier {
        &self.tier
    }

    /// The player's consent.
    pub fn consent(&self) -> Consent {
        self.consent
    }

    /// Whether competitive mode is on.
    pub fn competitive(&self) -> bool {
        self.competitive
    }

    /// The skill estimate (for saving into the player's profile).
    pub fn skill(&self) -> &SkillEstimate {
        self.controller.skill()
    }

    /// The reason of the latest change, if the difficulty has changed in this session.
    pub fn explanation(&self) -> Option<&str> {
        self.explanation.as_deref()
    }

    /// The controller's latest decision as applied (after the knobs' step limits), including
    /// decisions that did not move the difficulty.
    pub fn last_decision(&self) -> Option<&Decision> {
        self.last_decision.as_ref()
    }

    /// Outcomes refused as bad telemetry, by reason.
    pub fn rejected(&self) -> RejectedTelemetry {
        self.rejected
    }

    /// Outcomes learnt from in this session.
    pub fn recorded(&self) -> u64 {
        self.recorded
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session() -> AdaptiveDifficulty {
        AdaptiveDifficulty::new(DifficultyKnobs::default(), "Normal").expect("valid")
    }

    fn outcome(difficulty: f32, success: bool) -> EncounterOutcome {
        EncounterOutcome {
            difficulty,
            success,
            seconds: 30.0,
            damage_taken: if success { 10.0 } else { 100.0 },
            ..EncounterOutcome::default()
        }
    }

    /// Plays `n` encounters at the session's difficulty with the given result; returns the
    /// changes.
    fn play(session: &mut AdaptiveDifficulty, n: usize, success: bool) -> Vec<DifficultyChange> {
        (0..n)
            .filter_map(|_| {
                let played = session.difficulty();
                session.record(&outcome(played, success)).expect("valid")
            })
            .collect()
    }

    struct ConstantRisk(f64);

    impl QuitRisk for ConstantRisk {
        fn risk(&self, _recent: &[EncounterOutcome]) -> f64 {
            self.0
        }
    }

    #[test]
    fn starts_at_the_designers_default_clamped_into_the_tier() {
        let normal = session();
        assert_eq!(normal.difficulty(), 0.5);
        assert_eq!(normal.knob_values().get("enemy_damage"), Some(1.0));
        assert_eq!(normal.explanation(), None);
        let story = AdaptiveDifficulty::new(DifficultyKnobs::default(), "Story").expect("valid");
        assert_eq!(story.difficulty(), 0.4);
        assert_eq!(story.default_difficulty(), 0.4);
    }

    #[test]
    fn unknown_tier_and_invalid_knobs_are_errors() {
        let error = AdaptiveDifficulty::new(DifficultyKnobs::default(), "Nightmare")
            .expect_err("unknown tier");
        assert!(error.to_string().contains("Story, Normal, Hard"), "{error}");
        let invalid = DifficultyKnobs {
            target_success: 0.99,
            ..DifficultyKnobs::default()
        };
        assert!(AdaptiveDifficulty::new(invalid, "Normal").is_err());
    }

    #[test]
    fn failures_make_it_easier_with_a_reason_from_the_real_inputs() {
        let mut session = session();
        let changes = play(&mut session, 5, false);
        assert!(!changes.is_empty());
        let last = changes.last().expect("changed");
        assert!(last.to < 0.5, "{last}");
        assert_eq!(last.cause, ChangeCause::Adapted);
        assert!(
            last.reason.contains("failures in the last"),
            "{}",
            last.reason
        );
        // The reason opens with the knob that moved most, as the knobs describe it.
        let first = &changes[0];
        let knob = session
            .knobs()
            .largest_change(first.from, first.to)
            .expect("a knob moved");
        assert!(
            first.reason.starts_with(&format!("{knob}: ")),
            "{}",
            first.reason
        );
        assert!(!first.reason.contains('\n'));
        assert!(
            last.knob_values.get("enemy_damage").expect("declared") < 1.0,
            "{:?}",
            last.knob_values
        );
        assert_eq!(session.explanation(), Some(last.reason.as_str()));
        assert_eq!(session.knob_values(), last.knob_values);
    }

    #[test]
    fn successes_make_it_harder() {
        let mut session = session();
        let changes = play(&mut session, 8, true);
        assert!(session.difficulty() > 0.5);
        assert!(changes.iter().all(|c| c.to >= c.from));
    }

    #[test]
    fn every_change_obeys_the_knobs_step_limits_and_the_tier() {
        let mut session = session();
        let knobs = DifficultyKnobs::default();
        let tier = knobs.tier("Normal").expect("declared").clone();
        let mut changes = play(&mut session, 12, false);
        changes.extend(play(&mut session, 20, true));
        assert!(!changes.is_empty());
        for change in &changes {
            assert!(tier.contains(change.to));
            assert!((change.to - change.from).abs() <= knobs.max_difficulty_step + 1e-6);
            assert!(change.to != change.from);
            // What limit_step allows from `from` towards `to` reaches `to`: nothing exceeded.
            assert_eq!(knobs.limit_step(change.from, change.to, &tier), change.to);
        }
        // Changes chain: each starts where the previous ended.
        for pair in changes.windows(2) {
            assert_eq!(pair[0].to, pair[1].from);
        }
    }

    #[test]
    fn no_change_when_the_difficulty_does_not_move() {
        // A one-point tier: the controller can never move.
        let mut knobs = DifficultyKnobs::default();
        knobs.tiers[1].min = 0.5;
        knobs.tiers[1].max = 0.5;
        let mut session = AdaptiveDifficulty::new(knobs, "Normal").expect("valid");
        assert!(play(&mut session, 6, false).is_empty());
        assert_eq!(session.explanation(), None);
        assert!(session.last_decision().is_some());
    }

    #[test]
    fn bad_telemetry_is_refused_counted_and_never_used() {
        let mut session = session();
        let before = session.clone();
        let nan = EncounterOutcome {
            seconds: f32::NAN,
            ..outcome(0.5, false)
        };
        assert_eq!(
            session.record(&nan),
            Err(TelemetryError::NotFinite { field: "seconds" })
        );
        let negative = EncounterOutcome {
            damage_taken: -1.0,
            ..outcome(0.5, false)
        };
        assert!(session.record(&negative).is_err());
        let absurd = EncounterOutcome {
            retries: u32::MAX,
            ..outcome(0.5, false)
        };
        assert!(session.record(&absurd).is_err());
        assert_eq!(session.rejected().not_finite, 1);
        assert_eq!(session.rejected().negative, 1);
        assert_eq!(session.rejected().absurd, 1);
        assert_eq!(session.recorded(), 0);
        assert_eq!(session.skill(), before.skill());
        assert_eq!(session.difficulty(), before.difficulty());
    }

    #[test]
    fn opting_out_returns_to_the_default_at_once_and_stays_there() {
        let mut session = session();
        play(&mut session, 6, false);
        let eased = session.difficulty();
        assert!(eased < 0.5);
        let change = session.set_adaptive(false).expect("moves back");
        assert_eq!((change.from, change.to), (eased, 0.5));
        assert_eq!(change.reason, OPTED_OUT_REASON);
        assert_eq!(change.cause, ChangeCause::OptedOut);
        assert_eq!(change.knob_values.get("enemy_damage"), Some(1.0));
        assert_eq!(session.explanation(), Some(OPTED_OUT_REASON));
        assert!(play(&mut session, 10, false).is_empty());
        assert_eq!(session.difficulty(), 0.5);
        // Switching off twice changes nothing.
        assert_eq!(session.set_adaptive(false), None);
    }

    #[test]
    fn opting_out_at_the_default_reports_nothing() {
        let mut session = session();
        assert_eq!(session.set_adaptive(false), None);
        assert_eq!(session.difficulty(), 0.5);
    }

    #[test]
    fn opting_in_again_resumes_from_the_estimate() {
        let mut session = session();
        session.set_adaptive(false);
        // Personalisation is on by default, so the estimate keeps learning while opted out.
        play(&mut session, 8, false);
        assert_eq!(session.recorded(), 8);
        let learnt = *session.skill();
        assert!(learnt.mean < SkillEstimate::default().mean);
        assert_eq!(session.set_adaptive(true), None);
        let change = play(&mut session, 1, false).pop().expect("adapts at once");
        assert_eq!(change.from, 0.5);
        assert!(change.to < 0.5);
    }

    #[test]
    fn nothing_is_learnt_without_any_consent() {
        let mut session = session().with_consent(Consent {
            adaptive_difficulty: false,
            personalisation: false,
        });
        assert!(!session.learns());
        let before = *session.skill();
        assert!(play(&mut session, 5, false).is_empty());
        assert_eq!(*session.skill(), before);
        assert_eq!(session.recorded(), 0);
        // Refusals are still counted: they say nothing about the player.
        assert!(
            session
                .record(&EncounterOutcome {
                    difficulty: f32::INFINITY,
                    ..EncounterOutcome::default()
                })
                .is_err()
        );
        assert_eq!(session.rejected().total(), 1);
    }

    #[test]
    fn competitive_mode_never_adapts() {
        let mut session = session();
        play(&mut session, 5, true);
        let raised = session.difficulty();
        assert!(raised > 0.5);
        let change = session.set_competitive(true).expect("moves back");
        assert_eq!((change.from, change.to), (raised, 0.5));
        assert_eq!(change.reason, COMPETITIVE_REASON);
        assert_eq!(change.cause, ChangeCause::Competitive);
        assert!(play(&mut session, 10, false).is_empty());
        assert!(play(&mut session, 10, true).is_empty());
        assert_eq!(session.difficulty(), 0.5);
        // Opting out while competitive changes nothing either; leaving competitive mode with
        // consent off still does not adapt.
        assert_eq!(session.set_adaptive(false), None);
        assert_eq!(session.set_competitive(false), None);
        assert!(play(&mut session, 5, false).is_empty());
        session.set_adaptive(true);
        assert!(!play(&mut session, 3, false).is_empty());
    }

    #[test]
    fn quit_risk_above_the_ceiling_is_in_the_reason() {
        let ceiling = DifficultyKnobs::default().quit_risk_ceiling;
        let risk = f64::from(ceiling) + 0.06;
        let mut session = session().with_quit_risk(Arc::new(ConstantRisk(risk)));
        let changes = play(&mut session, 5, false);
        let last = changes.last().expect("changed");
        let clause = format!("quit risk {risk:.2} above {ceiling:.2}");
        assert!(last.reason.contains(&clause), "{}", last.reason);
        // With the risk high after failures, the controller aims easier than without it.
        let mut calm = AdaptiveDifficulty::new(DifficultyKnobs::default(), "Normal")
            .expect("valid")
            .with_quit_risk(Arc::new(ConstantRisk(0.0)));
        play(&mut calm, 5, false);
        let risky = session.last_decision().expect("decided").aimed_success;
        let calm = calm.last_decision().expect("decided").aimed_success;
        assert!(risky > calm, "{risky} vs {calm}");
    }

    #[test]
    fn a_known_profile_starts_from_its_estimate_and_consent() {
        let mut profile = PlayerProfile::new("p1");
        profile.skill.mean = 0.2;
        profile.skill.std = 0.05;
        profile.consent.adaptive_difficulty = false;
        let session =
            AdaptiveDifficulty::for_profile(DifficultyKnobs::default(), "Normal", &profile)
                .expect("valid");
        assert_eq!(session.skill().mean, 0.2);
        assert!(!session.adapts());
        assert_eq!(session.difficulty(), 0.5);
    }

    #[test]
    fn the_change_reads_as_one_line() {
        let mut session = session();
        let change = play(&mut session, 3, false).pop().expect("changed");
        let text = change.to_string();
        assert!(text.starts_with("difficulty 0."), "{text}");
        assert!(!text.contains('\n'));
    }
}
