//! [`PacingDirector`]: a pacing director in the spirit of Left 4 Dead's AI Director.
//!
//! The director keeps one intensity value in `[0, 1]` for the player. Damage taken, near-deaths
//! and nearby kills raise it; it decays linearly over time, but not while the player is
//! engaged, so a fight never cools down while it is still going on. The intensity drives a
//! cycle of phases that gates enemy spawns:
//!
//! ```text
//! BuildUp --intensity reaches peak_intensity--> Peak --drawn 3-5 s--> Fade
//!    ^                                                                 |
//!    +------------ drawn 30-45 s ---------- Relax <--intensity falls below relax_below
//! ```
//!
//! Every threshold comes from a [`DirectorConfig`], normally read from
//! `assets/difficulty/director.ron`. Phase lengths are drawn from a small deterministic
//! generator seeded by the config, so a replay with the same seed and inputs paces the same way.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// Everything the director's pacing depends on, as designers write it in RON.
///
/// [`DirectorConfig::default`] is what `assets/difficulty/director.ron` ships:
/// `damage_gain` 1.0, `near_death_health` 0.25, `near_death_boost` 0.3, `kill_boost` 0.05,
/// `kill_radius` 8 m, `decay_per_second` 0.05, `peak_intensity` 0.8, `peak_seconds` 3–5,
/// `relax_below` 0.2, `relax_seconds` 30–45, `seed` 7.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DirectorConfig {
    /// Intensity added per unit of damage, damage being a fraction of max health: with 1.0,
    /// losing 20% of max health adds 0.2.
    pub damage_gain: f32,
    /// Health fraction (after the hit) below which a hit counts as a near-death, in `(0, 1)`.
    pub near_death_health: f32,
    /// Intensity added by a near-death, on top of the damage itself.
    pub near_death_boost: f32,
    /// Intensity added per kill within [`kill_radius`](Self::kill_radius) of the player.
    pub kill_boost: f32,
    /// Distance in metres within which a kill raises the player's intensity.
    pub kill_radius: f32,
    /// Intensity lost per second while the player is not engaged; must be > 0 or Fade would
    /// never end.
    pub decay_per_second: f32,
    /// `BuildUp` turns into Peak when intensity reaches this value, in `(0, 1)`.
    pub peak_intensity: f32,
    /// `(min, max)` seconds a Peak lasts; each Peak draws its length from this range.
    pub peak_seconds: (f32, f32),
    /// Fade turns into Relax when intensity falls below this value, in `(0, 1)` and below
    /// [`peak_intensity`](Self::peak_intensity).
    pub relax_below: f32,
    /// `(min, max)` seconds a Relax lasts; each Relax draws its length from this range.
    pub relax_seconds: (f32, f32),
    /// Seed of the generator that draws Peak and Relax lengths.
    pub seed: u64,
}

impl Default for DirectorConfig {
    fn default() -> Self {
        Self {
            damage_gain: 1.0,
            near_death_health: 0.25,
            near_death_boost: 0.3,
            kill_boost: 0.05,
            kill_radius: 8.0,
            decay_per_second: 0.05,
            peak_intensity: 0.8,
            peak_seconds: (3.0, 5.0),
            relax_below: 0.2,
            relax_seconds: (30.0, 45.0),
            seed: 7,
        }
    }
}

impl DirectorConfig {
    /// Parses a config from RON and validates it.
    ///
    /// # Errors
    /// [`DirectorError::Parse`] (with line and column) for text that is not a
    /// `DirectorConfig`, unknown fields included; otherwise whatever
    /// [`validate`](Self::validate) reports.
    pub fn from_ron(text: &str) -> Result<Self, DirectorError> {
        let config: Self = ron::from_str(text).map_err(|error| DirectorError::Parse {
            line: error.span.start.line,
            column: error.span.start.col,
            message: error.code.to_string(),
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every field, reporting the first one that is out of range.
    ///
    /// # Errors
    /// A [`DirectorError`] naming the field: values must be finite, gains and the kill radius
    /// `>= 0`, thresholds strictly inside `(0, 1)`, `relax_below < peak_intensity`, duration
    /// ranges `0 < min <= max`, and the decay `> 0`.
    pub fn validate(&self) -> Result<(), DirectorError> {
        let scalars = [
            ("damage_gain", self.damage_gain),
            ("near_death_health", self.near_death_health),
            ("near_death_boost", self.near_death_boost),
            ("kill_boost", self.kill_boost),
            ("kill_radius", self.kill_radius),
            ("decay_per_second", self.decay_per_second),
            ("peak_intensity", self.peak_intensity),
            ("relax_below", self.relax_below),
        ];
        for (field, value) in scalars {
            if !value.is_finite() {
                return Err(DirectorError::NotFinite { field, value });
            }
        }
        for (field, value) in [
            ("damage_gain", self.damage_gain),
            ("near_death_boost", self.near_death_boost),
            ("kill_boost", self.kill_boost),
            ("kill_radius", self.kill_radius),
        ] {
            if value < 0.0 {
                return Err(DirectorError::Negative { field, value });
            }
        }
        if self.decay_per_second <= 0.0 {
            return Err(DirectorError::NotPositive {
                field: "decay_per_second",
                value: self.decay_per_second,
            });
        }
        for (field, value) in [
            ("near_death_health", self.near_death_health),
            ("peak_intensity", self.peak_intensity),
            ("relax_below", self.relax_below),
        ] {
            if value <= 0.0 || value >= 1.0 {
                return Err(DirectorError::NotAFraction { field, value });
            }
        }
        if self.relax_below >= self.peak_intensity {
            return Err(DirectorError::RelaxNotBelowPeak {
                relax_below: self.relax_below,
                peak_intensity: self.peak_intensity,
            });
        }
        for (field, (min, max)) in [
            ("peak_seconds", self.peak_seconds),
            ("relax_seconds", self.relax_seconds),
        ] {
            // Written so that NaN fails too.
            let ordered = min.is_finite() && max.is_finite() && min > 0.0 && min <= max;
            if !ordered {
                return Err(DirectorError::BadRange { field, min, max });
            }
        }
        Ok(())
    }
}

/// Why a config was refused, or an event ignored. Config errors name the offending field.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DirectorError {
    /// The RON text could not be read as a [`DirectorConfig`].
    #[error("director config is not valid RON at {line}:{column}: {message}")]
    Parse {
        /// 1-based line of the error.
        line: usize,
        /// 1-based column of the error.
        column: usize,
        /// What RON said was wrong.
        message: String,
    },
    /// A config value is NaN or infinite.
    #[error("director config: `{field}` must be finite, got {value}")]
    NotFinite {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// A gain or distance is below zero.
    #[error("director config: `{field}` must be >= 0, got {value}")]
    Negative {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// A value that must be strictly positive is not.
    #[error("director config: `{field}` must be > 0, got {value}")]
    NotPositive {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// A threshold lies outside the open interval `(0, 1)`.
    #[error("director config: `{field}` must lie strictly between 0 and 1, got {value}")]
    NotAFraction {
        /// The field.
        field: &'static str,
        /// Its value.
        value: f32,
    },
    /// Relax would start above the intensity that starts a Peak.
    #[error(
        "director config: `relax_below` ({relax_below}) must be below `peak_intensity` ({peak_intensity})"
    )]
    RelaxNotBelowPeak {
        /// The configured `relax_below`.
        relax_below: f32,
        /// The configured `peak_intensity`.
        peak_intensity: f32,
    },
    /// A duration range is not `0 < min <= max` with finite bounds.
    #[error(
        "director config: `{field}` must be a range (min, max) of seconds with 0 < min <= max, got ({min}, {max})"
    )]
    BadRange {
        /// The field.
        field: &'static str,
        /// The range's first value.
        min: f32,
        /// The range's second value.
        max: f32,
    },
    /// An event carried a value the director cannot use; the director's state is unchanged.
    #[error("{event}: `{argument}` must be {expected}, got {value}")]
    BadEvent {
        /// The method that refused the event.
        event: &'static str,
        /// The argument at fault.
        argument: &'static str,
        /// What the argument must be.
        expected: &'static str,
        /// What it was.
        value: f32,
    },
}

/// Where the player is in the pacing cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Phase {
    /// Pressure grows: enemies spawn until intensity reaches the peak.
    BuildUp,
    /// The climax, held for a few seconds; enemies still spawn.
    Peak,
    /// No new enemies; the player finishes the fight and intensity decays.
    Fade,
    /// A quiet stretch with no spawns, for half a minute or so.
    Relax,
}

impl Phase {
    /// Whether enemies may spawn in this phase (`BuildUp` and Peak only).
    pub fn spawns_allowed(self) -> bool {
        matches!(self, Self::BuildUp | Self::Peak)
    }

    /// A short lower-case name for overlays and logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::BuildUp => "build-up",
            Self::Peak => "peak",
            Self::Fade => "fade",
            Self::Relax => "relax",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One phase transition, as returned by [`PacingDirector::tick`].
#[derive(Debug, Clone, PartialEq)]
pub struct PhaseChange {
    /// The phase left.
    pub from: Phase,
    /// The phase entered.
    pub to: Phase,
    /// The intensity that decided the change (for timed changes, the intensity when the time
    /// ran out).
    pub intensity: f32,
    /// One sentence built from the real values, e.g.
    /// `"relax for 37 s: intensity 0.18 fell below 0.20"`.
    pub reason: String,
}

/// The pacing director for one player: feed it events and ticks, read its phase.
#[derive(Debug, Clone)]
pub struct PacingDirector {
    config: DirectorConfig,
    rng: Rng,
    phase: Phase,
    intensity: f32,
    seconds_in_phase: f32,
    /// The drawn length of the current Peak or Relax; `None` in the untimed phases.
    phase_duration: Option<f32>,
}

impl PacingDirector {
    /// A director in `BuildUp` at intensity 0.
    ///
    /// # Errors
    /// Whatever [`DirectorConfig::validate`] reports.
    pub fn new(config: DirectorConfig) -> Result<Self, DirectorError> {
        config.validate()?;
        Ok(Self {
            rng: Rng::new(config.seed, 0),
            config,
            phase: Phase::BuildUp,
            intensity: 0.0,
            seconds_in_phase: 0.0,
            phase_duration: None,
        })
    }

    /// A director whose config is read from RON (see [`DirectorConfig::from_ron`]).
    ///
    /// # Errors
    /// [`DirectorError::Parse`] with RON's line and column, or a validation error.
    pub fn from_ron(text: &str) -> Result<Self, DirectorError> {
        Self::new(DirectorConfig::from_ron(text)?)
    }

    /// The player took damage: `damage_fraction` of max health, leaving
    /// `health_left_fraction`. Raises intensity in every phase (it is a measurement), by the
    /// damage gain and, when health is left below the near-death line, the near-death boost.
    /// Phases only change in [`tick`](Self::tick).
    ///
    /// # Errors
    /// [`DirectorError::BadEvent`] when either fraction is NaN or outside `[0, 1]`; the
    /// director is then unchanged.
    pub fn on_damage(
        &mut self,
        damage_fraction: f32,
        health_left_fraction: f32,
    ) -> Result<(), DirectorError> {
        for (argument, value) in [
            ("damage_fraction", damage_fraction),
            ("health_left_fraction", health_left_fraction),
        ] {
            if !(0.0..=1.0).contains(&value) {
                return Err(DirectorError::BadEvent {
                    event: "on_damage",
                    argument,
                    expected: "a fraction of max health in [0, 1]",
                    value,
                });
            }
        }
        let mut gain = self.config.damage_gain * damage_fraction;
        // A zero-damage event (a blocked hit) is not a brush with death.
        if damage_fraction > 0.0 && health_left_fraction < self.config.near_death_health {
            gain += self.config.near_death_boost;
        }
        self.raise(gain);
        Ok(())
    }

    /// An enemy died `distance_m` metres from the player; within the kill radius (inclusive)
    /// this raises intensity by the kill boost.
    ///
    /// # Errors
    /// [`DirectorError::BadEvent`] when the distance is NaN, infinite or negative; the
    /// director is then unchanged.
    pub fn on_kill(&mut self, distance_m: f32) -> Result<(), DirectorError> {
        if !distance_m.is_finite() || distance_m < 0.0 {
            return Err(DirectorError::BadEvent {
                event: "on_kill",
                argument: "distance_m",
                expected: "a finite distance >= 0",
                value: distance_m,
            });
        }
        if distance_m <= self.config.kill_radius {
            self.raise(self.config.kill_boost);
        }
        Ok(())
    }

    /// Advances the director by `dt_seconds`; `engaged` is whether the player is in combat.
    ///
    /// Intensity decays over the whole `dt` unless the player is engaged. Then at most one
    /// transition is taken and returned. `BuildUp` → Peak is judged on the intensity before this
    /// tick's decay: events land between ticks and only raise intensity, so that value is the
    /// highest it has been, and a peak reached by a hit is not lost to a frame of decay.
    ///
    /// A NaN, infinite or negative `dt_seconds` counts as 0: time stands still but a
    /// threshold already crossed is still acted on. A very large `dt` (a hitch, a paused game)
    /// never skips a phase: the tick crosses at most one boundary, the time beyond it is
    /// dropped, and the new phase starts from 0 s with its full drawn length, so the cycle is
    /// walked one phase per tick.
    pub fn tick(&mut self, dt_seconds: f32, engaged: bool) -> Option<PhaseChange> {
        let dt = if dt_seconds.is_finite() && dt_seconds > 0.0 {
            dt_seconds
        } else {
            0.0
        };
        let intensity_before_decay = self.intensity;
        if !engaged {
            self.intensity = (self.intensity - self.config.decay_per_second * dt).max(0.0);
        }
        self.seconds_in_phase += dt;

        let config = &self.config;
        let time_is_up = self
            .phase_duration
            .is_some_and(|duration| self.seconds_in_phase >= duration);
        let (to, intensity, duration) = match self.phase {
            Phase::BuildUp if intensity_before_decay >= config.peak_intensity => (
                Phase::Peak,
                intensity_before_decay,
                Some(draw_seconds(&mut self.rng, config.peak_seconds)),
            ),
            Phase::Peak if time_is_up => (Phase::Fade, self.intensity, None),
            Phase::Fade if self.intensity < config.relax_below => (
                Phase::Relax,
                self.intensity,
                Some(draw_seconds(&mut self.rng, config.relax_seconds)),
            ),
            Phase::Relax if time_is_up => (Phase::BuildUp, self.intensity, None),
            _ => return None,
        };
        let reason = self.reason(to, intensity, duration);
        let change = PhaseChange {
            from: self.phase,
            to,
            intensity,
            reason,
        };
        self.phase = to;
        self.seconds_in_phase = 0.0;
        self.phase_duration = duration;
        Some(change)
    }

    /// The current phase.
    pub fn phase(&self) -> Phase {
        self.phase
    }

    /// The current intensity, `[0, 1]`.
    pub fn intensity(&self) -> f32 {
        self.intensity
    }

    /// Whether enemies may spawn now (`BuildUp` and Peak).
    pub fn spawns_allowed(&self) -> bool {
        self.phase.spawns_allowed()
    }

    /// Seconds spent in the current phase (ticked time only).
    pub fn seconds_in_phase(&self) -> f32 {
        self.seconds_in_phase
    }

    /// The drawn length in seconds of the current Peak or Relax; `None` in `BuildUp` and Fade,
    /// which end on intensity rather than time.
    pub fn phase_duration(&self) -> Option<f32> {
        self.phase_duration
    }

    /// The config the director runs on.
    pub fn config(&self) -> &DirectorConfig {
        &self.config
    }

    fn raise(&mut self, amount: f32) {
        self.intensity = (self.intensity + amount).clamp(0.0, 1.0);
    }

    /// The sentence for a transition into `to`; it quotes the values that decided it.
    fn reason(&self, to: Phase, intensity: f32, duration: Option<f32>) -> String {
        let config = &self.config;
        let duration = duration.unwrap_or_default();
        match to {
            Phase::Peak => format!(
                "peak for {duration:.1} s: intensity {intensity:.2} reached {:.2}",
                config.peak_intensity
            ),
            Phase::Fade => format!(
                "fade: peak held for {:.1} s, intensity {intensity:.2}",
                self.seconds_in_phase
            ),
            Phase::Relax => format!(
                "relax for {duration:.0} s: intensity {intensity:.2} fell below {:.2}",
                config.relax_below
            ),
            Phase::BuildUp => format!(
                "build-up: relaxed for {:.0} s, intensity {intensity:.2}",
                self.seconds_in_phase
            ),
        }
    }
}

/// A duration drawn uniformly from a validated `[min, max]` range.
fn draw_seconds(rng: &mut Rng, (min, max): (f32, f32)) -> f32 {
    (min + (max - min) * rng.uniform() as f32).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DT: f32 = 0.05;

    fn director(seed: u64) -> PacingDirector {
        PacingDirector::new(DirectorConfig {
            seed,
            ..DirectorConfig::default()
        })
        .expect("default config is valid")
    }

    /// Ticks until a phase change or `limit_s`; returns the change and the seconds it took.
    fn run_until_change(
        director: &mut PacingDirector,
        engaged: bool,
        limit_s: f32,
    ) -> Option<(PhaseChange, f32)> {
        let mut elapsed = 0.0;
        while elapsed <= limit_s {
            elapsed += DT;
            if let Some(change) = director.tick(DT, engaged) {
                return Some((change, elapsed));
            }
        }
        None
    }

    /// A director that has just entered Peak at full intensity.
    fn in_peak(seed: u64) -> PacingDirector {
        let mut director = director(seed);
        director.on_damage(1.0, 0.5).expect("valid event");
        let change = director.tick(DT, true).expect("peak");
        assert_eq!(change.to, Phase::Peak);
        director
    }

    #[test]
    fn scripted_fight_reaches_peak() {
        let mut director = director(1);
        let mut health = 1.0_f32;
        let mut ticks = 0_u32;
        let change = loop {
            assert!(ticks < 1200, "no peak after a minute of fighting");
            // A hit of 4% of max health every half second, while in combat.
            if ticks.is_multiple_of(10) {
                health = (health - 0.04).max(0.3);
                director.on_damage(0.04, health).expect("valid event");
            }
            ticks += 1;
            if let Some(change) = director.tick(DT, true) {
                break change;
            }
        };
        let elapsed = ticks as f32 * DT;
        assert_eq!(change.from, Phase::BuildUp);
        assert_eq!(change.to, Phase::Peak);
        assert!(change.intensity >= 0.8);
        // Twenty hits of 0.04 (one more if f32 sums fall short): ten seconds of steady damage.
        assert!((9.5..=10.5).contains(&elapsed), "peak after {elapsed} s");
        assert!(change.reason.starts_with("peak for "), "{}", change.reason);
        assert!(change.reason.contains("reached 0.80"), "{}", change.reason);
    }

    #[test]
    fn peak_lasts_three_to_five_seconds_and_varies_with_the_seed() {
        let mut durations = Vec::new();
        for seed in 0..200 {
            let mut director = in_peak(seed);
            let drawn = director.phase_duration().expect("peak is timed");
            assert!((3.0..=5.0).contains(&drawn), "seed {seed}: drew {drawn}");
            // Engaged: the fight goes on, yet the peak still ends on time.
            let (change, elapsed) = run_until_change(&mut director, true, 10.0).expect("fade");
            assert_eq!((change.from, change.to), (Phase::Peak, Phase::Fade));
            assert!(
                (3.0..=5.0 + DT + 1e-3).contains(&elapsed),
                "seed {seed}: peak lasted {elapsed} s"
            );
            assert!(elapsed >= drawn - 1e-3 && elapsed <= drawn + DT + 1e-3);
            durations.push(drawn);
        }
        durations.sort_by(f32::total_cmp);
        durations.dedup();
        assert!(durations.len() > 100, "only {} distinct", durations.len());
        assert!(durations[0] < 3.2 && durations[durations.len() - 1] > 4.8);
    }

    #[test]
    fn same_seed_paces_the_same() {
        let a = in_peak(42).phase_duration();
        let b = in_peak(42).phase_duration();
        assert_eq!(a, b);
    }

    #[test]
    fn fade_waits_for_decay_then_relax_lasts_thirty_to_forty_five_seconds() {
        let mut relax_lengths = Vec::new();
        for seed in 0..50 {
            let mut director = in_peak(seed);
            run_until_change(&mut director, true, 10.0).expect("fade");
            assert_eq!(director.phase(), Phase::Fade);

            // Still fighting: no decay, so Fade holds.
            assert!(run_until_change(&mut director, true, 30.0).is_none());
            assert_eq!(director.phase(), Phase::Fade);
            assert_eq!(director.intensity(), 1.0);

            // Out of combat: from 1.0 at 0.05/s, below 0.2 after 16 s.
            let (change, elapsed) = run_until_change(&mut director, false, 30.0).expect("relax");
            assert_eq!((change.from, change.to), (Phase::Fade, Phase::Relax));
            assert!((15.9..=16.2).contains(&elapsed), "fade took {elapsed} s");
            assert!(change.intensity < 0.2);
            assert!(change.reason.starts_with("relax for "), "{}", change.reason);
            assert!(
                change.reason.contains("fell below 0.20"),
                "{}",
                change.reason
            );

            let (change, elapsed) = run_until_change(&mut director, false, 60.0).expect("build");
            assert_eq!((change.from, change.to), (Phase::Relax, Phase::BuildUp));
            assert!(
                (30.0..=45.0 + DT + 1e-3).contains(&elapsed),
                "seed {seed}: relax lasted {elapsed} s"
            );
            relax_lengths.push(elapsed);
        }
        relax_lengths.sort_by(f32::total_cmp);
        relax_lengths.dedup();
        assert!(relax_lengths.len() > 10);
    }

    #[test]
    fn damage_during_relax_raises_intensity_but_waits_for_the_time() {
        let mut director = in_peak(3);
        run_until_change(&mut director, false, 10.0).expect("fade");
        run_until_change(&mut director, false, 30.0).expect("relax");
        assert_eq!(director.phase(), Phase::Relax);
        let relax = director.phase_duration().expect("relax is timed");

        director.on_damage(1.0, 0.1).expect("valid event");
        assert_eq!(director.intensity(), 1.0);
        let (change, elapsed) = run_until_change(&mut director, true, 60.0).expect("build");
        assert_eq!(change.to, Phase::BuildUp);
        assert!(elapsed >= relax - 1e-3);
        // Intensity is still at the peak, so the next tick climbs straight back.
        assert_eq!(director.tick(DT, true).map(|c| c.to), Some(Phase::Peak));
    }

    #[test]
    fn intensity_decays_only_when_not_engaged() {
        let mut director = director(0);
        director.on_damage(0.5, 0.5).expect("valid event");
        assert_eq!(director.intensity(), 0.5);
        for _ in 0..100 {
            director.tick(0.1, true);
        }
        assert_eq!(director.intensity(), 0.5);
        director.tick(1.0, false);
        assert!((director.intensity() - 0.45).abs() < 1e-6);
        director.tick(100.0, false);
        assert_eq!(director.intensity(), 0.0);
    }

    #[test]
    fn events_raise_intensity_by_the_configured_amounts() {
        let mut director = director(0);
        director.on_damage(0.2, 0.8).expect("valid event");
        assert!((director.intensity() - 0.2).abs() < 1e-6);
        // Near-death: 0.1 of damage plus the 0.3 boost.
        director.on_damage(0.1, 0.2).expect("valid event");
        assert!((director.intensity() - 0.6).abs() < 1e-6);
        // A blocked hit at low health is not a near-death.
        director.on_damage(0.0, 0.1).expect("valid event");
        assert!((director.intensity() - 0.6).abs() < 1e-6);
        director.on_kill(8.0).expect("valid event");
        assert!((director.intensity() - 0.65).abs() < 1e-6);
        director.on_kill(8.5).expect("valid event");
        assert!((director.intensity() - 0.65).abs() < 1e-6);
        director.on_damage(1.0, 0.0).expect("valid event");
        assert_eq!(director.intensity(), 1.0);
    }

    #[test]
    fn spawns_are_gated_by_phase() {
        assert!(Phase::BuildUp.spawns_allowed());
        assert!(Phase::Peak.spawns_allowed());
        assert!(!Phase::Fade.spawns_allowed());
        assert!(!Phase::Relax.spawns_allowed());
        assert_eq!(Phase::BuildUp.to_string(), "build-up");

        let mut director = in_peak(9);
        assert!(director.spawns_allowed());
        run_until_change(&mut director, false, 10.0).expect("fade");
        assert!(!director.spawns_allowed());
        run_until_change(&mut director, false, 30.0).expect("relax");
        assert!(!director.spawns_allowed());
        run_until_change(&mut director, false, 60.0).expect("build-up");
        assert!(director.spawns_allowed());
    }

    #[test]
    fn a_huge_dt_walks_one_phase_per_tick() {
        let mut director = in_peak(5);
        let change = director.tick(10_000.0, false).expect("fade");
        assert_eq!(change.to, Phase::Fade);
        assert_eq!(director.seconds_in_phase(), 0.0);
        assert_eq!(director.intensity(), 0.0);
        assert_eq!(director.tick(0.0, false).map(|c| c.to), Some(Phase::Relax));
        assert_eq!(
            director.tick(10_000.0, false).map(|c| c.to),
            Some(Phase::BuildUp)
        );
        assert_eq!(director.tick(10_000.0, false), None);
    }

    #[test]
    fn bad_dt_counts_as_zero() {
        let mut director = in_peak(5);
        director.tick(1.0, false);
        let (seconds, intensity) = (director.seconds_in_phase(), director.intensity());
        for dt in [f32::NAN, -3.0, f32::INFINITY, f32::NEG_INFINITY] {
            assert_eq!(director.tick(dt, false), None);
        }
        assert_eq!(director.seconds_in_phase(), seconds);
        assert_eq!(director.intensity(), intensity);
    }

    #[test]
    fn bad_events_are_refused_without_changing_state() {
        let mut director = director(0);
        director.on_damage(0.3, 0.7).expect("valid event");
        for (damage, health) in [
            (f32::NAN, 0.5),
            (-0.1, 0.5),
            (1.5, 0.5),
            (0.1, f32::NAN),
            (0.1, -0.1),
            (0.1, 1.1),
            (f32::INFINITY, 0.5),
        ] {
            let error = director.on_damage(damage, health).expect_err("refused");
            assert!(matches!(
                error,
                DirectorError::BadEvent {
                    event: "on_damage",
                    ..
                }
            ));
        }
        for distance in [f32::NAN, -1.0, f32::INFINITY] {
            let error = director.on_kill(distance).expect_err("refused");
            assert!(error.to_string().contains("distance_m"), "{error}");
        }
        assert!((director.intensity() - 0.3).abs() < 1e-6);
        let message = director
            .on_damage(2.0, 0.5)
            .expect_err("refused")
            .to_string();
        assert!(
            message.contains("damage_fraction") && message.contains('2'),
            "{message}"
        );
    }

    #[test]
    fn each_bad_config_field_is_named() {
        type Edit = fn(&mut DirectorConfig);
        let cases: [(Edit, &str); 16] = [
            (|c| c.damage_gain = f32::NAN, "`damage_gain` must be finite"),
            (|c| c.damage_gain = -1.0, "`damage_gain` must be >= 0"),
            (
                |c| c.near_death_boost = -0.1,
                "`near_death_boost` must be >= 0",
            ),
            (|c| c.kill_boost = -0.1, "`kill_boost` must be >= 0"),
            (|c| c.kill_radius = -2.0, "`kill_radius` must be >= 0"),
            (
                |c| c.kill_radius = f32::INFINITY,
                "`kill_radius` must be finite",
            ),
            (
                |c| c.decay_per_second = 0.0,
                "`decay_per_second` must be > 0",
            ),
            (
                |c| c.near_death_health = 1.0,
                "`near_death_health` must lie strictly",
            ),
            (
                |c| c.peak_intensity = 0.0,
                "`peak_intensity` must lie strictly",
            ),
            (|c| c.relax_below = 1.2, "`relax_below` must lie strictly"),
            (|c| c.relax_below = 0.8, "`relax_below` (0.8) must be below"),
            (
                |c| c.peak_seconds = (0.0, 5.0),
                "`peak_seconds` must be a range",
            ),
            (
                |c| c.peak_seconds = (5.0, 3.0),
                "`peak_seconds` must be a range",
            ),
            (
                |c| c.relax_seconds = (30.0, f32::NAN),
                "`relax_seconds` must be a range",
            ),
            (
                |c| c.relax_seconds = (-1.0, 45.0),
                "`relax_seconds` must be a range",
            ),
            (
                |c| c.relax_seconds = (f32::NAN, 45.0),
                "`relax_seconds` must be a range",
            ),
        ];
        for (edit, expected) in cases {
            let mut config = DirectorConfig::default();
            edit(&mut config);
            let message = PacingDirector::new(config)
                .expect_err("invalid config")
                .to_string();
            assert!(message.contains(expected), "{message:?} lacks {expected:?}");
        }
        let equal_bounds = DirectorConfig {
            peak_seconds: (4.0, 4.0),
            ..DirectorConfig::default()
        };
        assert_eq!(first_peak_length(equal_bounds), Some(4.0));
    }

    fn first_peak_length(config: DirectorConfig) -> Option<f32> {
        let mut director = PacingDirector::new(config).expect("valid config");
        director.on_damage(1.0, 0.5).expect("valid event");
        director.tick(DT, true);
        director.phase_duration()
    }

    #[test]
    fn shipped_director_ron_is_the_default() {
        let text = include_str!("../../../assets/difficulty/director.ron");
        let director = PacingDirector::from_ron(text).expect("shipped config loads");
        assert_eq!(director.config(), &DirectorConfig::default());
        assert_eq!(director.phase(), Phase::BuildUp);
        assert_eq!(director.intensity(), 0.0);
    }

    #[test]
    fn malformed_ron_reports_line_and_column() {
        let unknown_field = "DirectorConfig(\n    damage_gain: 1.0,\n    loudness: 2.0,\n)";
        match PacingDirector::from_ron(unknown_field) {
            Err(DirectorError::Parse { line, message, .. }) => {
                assert_eq!(line, 3);
                assert!(message.contains("loudness"), "{message}");
            }
            other => panic!("expected a parse error, got {other:?}"),
        }
        let missing_comma = "DirectorConfig(\n    damage_gain: 1.0\n    kill_boost: 0.1,\n)";
        let error = PacingDirector::from_ron(missing_comma).expect_err("syntax error");
        let DirectorError::Parse { line, column, .. } = &error else {
            panic!("expected a parse error, got {error:?}");
        };
        assert_eq!(*line, 3);
        assert!(*column > 0);
        assert!(
            error.to_string().contains(&format!("at {line}:{column}:")),
            "{error}"
        );

        let out_of_range = DirectorConfig {
            relax_below: 0.9,
            ..DirectorConfig::default()
        };
        let text = ron::to_string(&out_of_range).expect("serialises");
        assert!(matches!(
            PacingDirector::from_ron(&text),
            Err(DirectorError::RelaxNotBelowPeak { .. })
        ));
    }
}
