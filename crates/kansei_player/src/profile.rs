//! [`PlayerProfile`]: one local player's encounter history, consent and skill, as saved.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::skill::SkillModel;
use crate::{EncounterOutcome, TelemetryError};

/// The profile format this build writes and reads; a file with a larger version was written
/// by a newer game and is set aside rather than misread.
pub const PROFILE_VERSION: u32 = 1;

/// Outcomes kept per player (the oldest drop out first). Enough for every window the
/// difficulty and recommendation models look at.
pub const DEFAULT_HISTORY_CAPACITY: usize = 256;

/// Plays kept per player for recommendations (the oldest drop out first); the sequential
/// recommender reads the last 50.
pub const PLAY_HISTORY_CAPACITY: usize = 256;

/// What the player agreed to. Both default to on, as the game's settings screen should show
/// them, and both can be switched off at any time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Consent {
    /// Adaptive difficulty may change the game for this player.
    pub adaptive_difficulty: bool,
    /// Recommendations and NPC personalisation may use this profile.
    pub personalisation: bool,
}

impl Default for Consent {
    fn default() -> Self {
        Self {
            adaptive_difficulty: true,
            personalisation: true,
        }
    }
}

/// The player's skill on the difficulty scale `[0, 1]`, its trend per encounter, and their
/// uncertainty, updated after every recorded encounter (see [`crate::skill`]). A fresh profile
/// knows nothing: the middle of the scale, with an uncertainty covering all of it, and no trend.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SkillEstimate {
    /// Estimated skill, `[0, 1]`.
    pub mean: f64,
    /// One standard deviation of the estimate.
    pub std: f64,
    /// Estimated change of the skill per encounter (learning is positive, tiring negative).
    #[serde(default)]
    pub trend: f64,
    /// One standard deviation of the trend.
    #[serde(default = "default_trend_std")]
    pub trend_std: f64,
    /// Covariance of skill and trend.
    #[serde(default)]
    pub covariance: f64,
    /// How surprising the last encounter was, in standard deviations (signed); two surprises
    /// in a row in the same direction mean the player changed.
    #[serde(default)]
    pub surprise: f64,
}

fn default_trend_std() -> f64 {
    0.004
}

impl Default for SkillEstimate {
    fn default() -> Self {
        Self {
            mean: 0.5,
            std: 0.35,
            trend: 0.0,
            trend_std: default_trend_std(),
            covariance: 0.0,
            surprise: 0.0,
        }
    }
}

/// Telemetry refused by [`PlayerProfile::record`], counted by reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectedTelemetry {
    /// NaN or infinite values.
    pub not_finite: u64,
    /// Values below their range.
    pub negative: u64,
    /// Values above any plausible range.
    pub absurd: u64,
}

impl RejectedTelemetry {
    /// Counts one refusal under its reason.
    pub fn count(&mut self, error: &TelemetryError) {
        match error {
            TelemetryError::NotFinite { .. } => self.not_finite += 1,
            TelemetryError::Negative { .. } => self.negative += 1,
            TelemetryError::Absurd { .. } => self.absurd += 1,
        }
    }

    /// All refusals.
    pub fn total(&self) -> u64 {
        self.not_finite + self.negative + self.absurd
    }
}

/// One local player's model, saved between sessions by [`ProfileStore`](crate::ProfileStore).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlayerProfile {
    /// The format version ([`PROFILE_VERSION`] when written by this build).
    pub version: u32,
    /// The player's id, as the game names them (also the file name).
    pub player_id: String,
    /// What the player agreed to.
    pub consent: Consent,
    /// The current skill estimate.
    pub skill: SkillEstimate,
    /// The model the estimate is updated with (the game's calibration of its difficulty
    /// scale; [`SkillModel::default`] unless the game sets one).
    #[serde(default)]
    pub skill_model: SkillModel,
    /// Recent encounter outcomes, oldest first, at most `capacity`.
    outcomes: VecDeque<EncounterOutcome>,
    /// How many outcomes are kept.
    capacity: usize,
    /// Telemetry refused so far.
    pub rejected: RejectedTelemetry,
    /// What the player played (catalogue item ids, `kansei_recommend`'s), oldest first, at most
    /// [`PLAY_HISTORY_CAPACITY`]. Recorded only with consent to personalisation.
    #[serde(default)]
    plays: VecDeque<u32>,
}

impl PlayerProfile {
    /// A fresh profile: no history, default consent and skill, [`DEFAULT_HISTORY_CAPACITY`].
    pub fn new(player_id: impl Into<String>) -> Self {
        Self {
            version: PROFILE_VERSION,
            player_id: player_id.into(),
            consent: Consent::default(),
            skill: SkillEstimate::default(),
            skill_model: SkillModel::default(),
            outcomes: VecDeque::new(),
            capacity: DEFAULT_HISTORY_CAPACITY,
            rejected: RejectedTelemetry::default(),
            plays: VecDeque::new(),
        }
    }

    /// Records that the player played catalogue item `item` (id 0 means "no item" and is
    /// refused). Returns `false` and records nothing when the player has not consented to
    /// personalisation.
    pub fn record_play(&mut self, item: u32) -> bool {
        if item == 0 || !self.consent.personalisation {
            return false;
        }
        if self.plays.len() == PLAY_HISTORY_CAPACITY {
            self.plays.pop_front();
        }
        self.plays.push_back(item);
        true
    }

    /// The kept plays, oldest first.
    pub fn plays(&self) -> impl ExactSizeIterator<Item = u32> + '_ {
        self.plays.iter().copied()
    }

    /// Forgets every play. Save the profile afterwards to forget them on disk too (or delete the
    /// whole profile with [`ProfileStore::forget`](crate::ProfileStore::forget)).
    pub fn forget_plays(&mut self) {
        self.plays = VecDeque::new();
    }

    /// Adds `outcome` to the history after checking it and updates the skill estimate (a quit
    /// counts as a failure); a refused outcome is counted in [`rejected`](Self::rejected) and
    /// returned as the error, and nothing else changes.
    pub fn record(&mut self, outcome: EncounterOutcome) -> Result<(), TelemetryError> {
        if let Err(error) = outcome.validate() {
            self.rejected.count(&error);
            return Err(error);
        }
        self.skill = self.skill_model.update(&self.skill, &outcome);
        if self.outcomes.len() == self.capacity {
            self.outcomes.pop_front();
        }
        self.outcomes.push_back(outcome);
        Ok(())
    }

    /// The kept outcomes, oldest first.
    pub fn outcomes(&self) -> impl ExactSizeIterator<Item = &EncounterOutcome> + '_ {
        self.outcomes.iter()
    }

    /// The last `n` outcomes (fewer if the history is shorter), oldest first.
    pub fn recent(&self, n: usize) -> impl Iterator<Item = &EncounterOutcome> + '_ {
        self.outcomes
            .iter()
            .skip(self.outcomes.len().saturating_sub(n))
    }

    /// How many outcomes are kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Checks what a loaded file could get wrong: the history within its capacity and every
    /// outcome and the skill in range. Returns what is wrong, in words.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.capacity == 0 {
            return Err("history capacity is 0".into());
        }
        if self.outcomes.len() > self.capacity {
            return Err(format!(
                "{} outcomes for a capacity of {}",
                self.outcomes.len(),
                self.capacity
            ));
        }
        if self.plays.len() > PLAY_HISTORY_CAPACITY {
            return Err(format!(
                "{} plays for a capacity of {PLAY_HISTORY_CAPACITY}",
                self.plays.len()
            ));
        }
        if self.plays.contains(&0) {
            return Err("play of item id 0 (ids start at 1)".into());
        }
        if let Some((i, error)) = self
            .outcomes
            .iter()
            .enumerate()
            .find_map(|(i, o)| o.validate().err().map(|e| (i, e)))
        {
            return Err(format!("outcome {i}: {error}"));
        }
        let skill_ok = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
        let finite = [self.skill.trend, self.skill.covariance, self.skill.surprise]
            .iter()
            .all(|v| v.is_finite());
        if !skill_ok(self.skill.mean)
            || !skill_ok(self.skill.std)
            || !skill_ok(self.skill.trend_std)
            || !finite
        {
            return Err(format!("skill estimate out of range: {:?}", self.skill));
        }
        self.skill_model.validate()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(success: bool) -> EncounterOutcome {
        EncounterOutcome {
            difficulty: 0.4,
            success,
            seconds: 30.0,
            damage_taken: 5.0,
            retries: 1,
            quit: false,
            performance: None,
        }
    }

    #[test]
    fn history_keeps_the_newest_outcomes() {
        let mut profile = PlayerProfile::new("p1");
        for i in 0..DEFAULT_HISTORY_CAPACITY + 10 {
            profile.record(outcome(i % 2 == 0)).expect("valid");
        }
        assert_eq!(profile.outcomes().len(), DEFAULT_HISTORY_CAPACITY);
        // The first kept is outcome 10 (even: a success); the newest is the last recorded.
        assert!(profile.outcomes().next().expect("kept").success);
        assert_eq!(profile.recent(3).count(), 3);
        assert!(!profile.recent(1).next().expect("kept").success);
    }

    #[test]
    fn plays_need_consent_and_can_be_forgotten() {
        let mut profile = PlayerProfile::new("p1");
        assert!(profile.record_play(7));
        assert!(!profile.record_play(0));
        for item in 1..=PLAY_HISTORY_CAPACITY as u32 {
            profile.record_play(item);
        }
        assert_eq!(profile.plays().len(), PLAY_HISTORY_CAPACITY);
        assert_eq!(
            profile.plays().next(),
            Some(1),
            "the oldest play dropped out"
        );
        profile.consent.personalisation = false;
        assert!(!profile.record_play(9));
        assert_eq!(profile.plays().last(), Some(PLAY_HISTORY_CAPACITY as u32));
        profile.forget_plays();
        assert_eq!(profile.plays().len(), 0);
    }

    #[test]
    fn bad_telemetry_is_counted_and_never_kept() {
        let mut profile = PlayerProfile::new("p1");
        let mut nan = outcome(true);
        nan.seconds = f32::NAN;
        let mut negative = outcome(true);
        negative.damage_taken = -3.0;
        let mut absurd = outcome(true);
        absurd.retries = u32::MAX;
        for bad in [nan, negative, absurd] {
            assert!(profile.record(bad).is_err());
        }
        assert_eq!(profile.outcomes().len(), 0);
        assert_eq!(
            profile.rejected,
            RejectedTelemetry {
                not_finite: 1,
                negative: 1,
                absurd: 1
            }
        );
        assert_eq!(profile.rejected.total(), 3);
    }
}
