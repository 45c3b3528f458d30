//! A fading memory of what an NPC perceived.

use glam::Vec2;
use serde::{Deserialize, Serialize};

/// How a stimulus was perceived.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Sense {
    /// Seen through the sight cone.
    Sight,
    /// Heard as a noise.
    Hearing,
}

/// One remembered stimulus.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stimulus {
    /// Who or what caused it (an entity's bits in the plugin).
    pub source: u64,
    /// The sense that perceived it last.
    pub sense: Sense,
    /// Where it was last perceived.
    pub position: Vec2,
    /// Strength when last perceived, in (0, 1].
    pub strength: f32,
    /// When it was last perceived, in seconds of game time.
    pub time: f32,
}

impl Stimulus {
    /// Strength at time `now`: halves every `half_life` seconds since it was last perceived.
    pub fn strength_at(&self, now: f32, half_life: f32) -> f32 {
        let age = (now - self.time).max(0.0);
        if half_life <= 0.0 {
            return if age > 0.0 { 0.0 } else { self.strength };
        }
        self.strength * (-age / half_life * std::f32::consts::LN_2).exp()
    }
}

/// How fast memories fade.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct MemoryConfig {
    /// Seconds for a memory's strength to halve. The default is 4.0.
    pub half_life: f32,
    /// Memories weaker than this are forgotten. The default is 0.05 (a full-strength sighting
    /// is forgotten after about 17 s).
    pub forget_below: f32,
}

impl Default for MemoryConfig {
    fn default() -> Self {
        Self {
            half_life: 4.0,
            forget_below: 0.05,
        }
    }
}

/// Up to [`StimulusMemory::CAPACITY`] stimuli, one per source, stored inline (no heap), so it
/// can live in a component of every NPC.
#[derive(Clone, Copy, Debug, Default)]
pub struct StimulusMemory {
    entries: [Option<Stimulus>; StimulusMemory::CAPACITY],
}

impl StimulusMemory {
    /// How many different sources are remembered at once; the weakest is replaced first.
    pub const CAPACITY: usize = 4;

    /// Records a perception. The same source refreshes its entry (position, sense, time, and
    /// the stronger of the new and the faded old strength); a new source takes a free slot or
    /// replaces the weakest memory if it is weaker than the new one. Non-finite or non-positive
    /// strengths and positions are ignored.
    pub fn remember(&mut self, stimulus: Stimulus, config: &MemoryConfig) {
        let positive = stimulus.strength > 0.0; // false for NaN
        if !positive || !stimulus.position.is_finite() || !stimulus.time.is_finite() {
            return;
        }
        let now = stimulus.time;
        let strength = stimulus.strength.min(1.0);
        if let Some(existing) = self
            .entries
            .iter_mut()
            .flatten()
            .find(|s| s.source == stimulus.source)
        {
            let faded = existing.strength_at(now, config.half_life);
            *existing = Stimulus {
                strength: strength.max(faded),
                ..stimulus
            };
            return;
        }
        let new = Stimulus {
            strength,
            ..stimulus
        };
        if let Some(free) = self.entries.iter_mut().find(|s| s.is_none()) {
            *free = Some(new);
            return;
        }
        let weakest = self.entries.iter_mut().flatten().min_by(|a, b| {
            a.strength_at(now, config.half_life)
                .total_cmp(&b.strength_at(now, config.half_life))
        });
        if let Some(weakest) = weakest
            && weakest.strength_at(now, config.half_life) < strength
        {
            *weakest = new;
        }
    }

    /// Forgets memories that have faded below the threshold at time `now`.
    pub fn fade(&mut self, now: f32, config: &MemoryConfig) {
        for entry in &mut self.entries {
            if entry.is_some_and(|s| s.strength_at(now, config.half_life) < config.forget_below) {
                *entry = None;
            }
        }
    }

    /// The strongest memory at time `now` (optionally of one sense), with its current strength.
    pub fn strongest(
        &self,
        now: f32,
        config: &MemoryConfig,
        sense: Option<Sense>,
    ) -> Option<(Stimulus, f32)> {
        self.entries
            .iter()
            .flatten()
            .filter(|s| sense.is_none_or(|wanted| s.sense == wanted))
            .map(|s| (*s, s.strength_at(now, config.half_life)))
            .filter(|(_, strength)| *strength >= config.forget_below)
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    /// The remembered stimuli, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &Stimulus> {
        self.entries.iter().flatten()
    }

    /// Forgets everything (a camera cut, a respawn).
    pub fn clear(&mut self) {
        self.entries = [None; Self::CAPACITY];
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use super::*;

    fn seen(source: u64, x: f32, strength: f32, time: f32) -> Stimulus {
        Stimulus {
            source,
            sense: Sense::Sight,
            position: Vec2::new(x, 0.0),
            strength,
            time,
        }
    }

    #[test]
    fn fades_with_the_half_life_and_is_forgotten() {
        let config = MemoryConfig::default();
        let mut memory = StimulusMemory::default();
        memory.remember(seen(1, 3.0, 1.0, 0.0), &config);
        let (s, strength) = memory.strongest(4.0, &config, None).unwrap();
        assert_eq!(s.position, Vec2::new(3.0, 0.0));
        assert!((strength - 0.5).abs() < 1e-5, "{strength}");
        // 0.5^(t/4) < 0.05 after t = 4 log2(20) = 17.3 s.
        memory.fade(17.0, &config);
        assert_eq!(memory.iter().count(), 1);
        memory.fade(17.5, &config);
        assert_eq!(memory.iter().count(), 0);
        assert!(memory.strongest(17.5, &config, None).is_none());
    }

    #[test]
    fn one_entry_per_source_and_the_weakest_is_replaced() {
        let config = MemoryConfig::default();
        let mut memory = StimulusMemory::default();
        memory.remember(seen(1, 0.0, 0.5, 0.0), &config);
        memory.remember(seen(1, 2.0, 0.3, 1.0), &config);
        assert_eq!(memory.iter().count(), 1);
        let (s, _) = memory.strongest(1.0, &config, None).unwrap();
        assert_eq!(
            s.position.x, 2.0,
            "the position follows the latest perception"
        );
        for source in 2..=4 {
            memory.remember(seen(source, 0.0, 0.8, 1.0), &config);
        }
        assert_eq!(memory.iter().count(), 4);
        // Source 1 is the weakest (0.5 faded over 1 s); a stronger newcomer replaces it.
        memory.remember(seen(9, 0.0, 0.9, 1.0), &config);
        assert!(memory.iter().all(|s| s.source != 1));
        // A weaker newcomer does not.
        memory.remember(seen(10, 0.0, 0.01, 1.0), &config);
        assert!(memory.iter().all(|s| s.source != 10));
    }

    #[test]
    fn sense_filter_and_bad_input() {
        let config = MemoryConfig::default();
        let mut memory = StimulusMemory::default();
        memory.remember(
            Stimulus {
                sense: Sense::Hearing,
                ..seen(1, 0.0, 0.4, 0.0)
            },
            &config,
        );
        memory.remember(seen(2, 1.0, f32::NAN, 0.0), &config);
        memory.remember(seen(3, f32::INFINITY, 1.0, 0.0), &config);
        assert_eq!(memory.iter().count(), 1);
        assert!(memory.strongest(0.0, &config, Some(Sense::Sight)).is_none());
        assert!(
            memory
                .strongest(0.0, &config, Some(Sense::Hearing))
                .is_some()
        );
    }
}
