//! Scheduling: LOD tiers, round-robin staggering and the per-tick time budget.
//!
//! Every NPC belongs to a [`Tier`]. Each tier decides (and perceives, and re-plans its
//! avoidance) at its own rate, and the NPCs of a tier take turns in a fixed round-robin order,
//! so 5,000 NPCs deciding at 10 Hz in a 60 Hz game cost about 833 decisions per tick, every
//! tick, instead of 5,000 decisions every sixth tick. On top of the rates, the
//! [`DecisionPlanner`] keeps the decisions of one tick inside a time budget (1 ms by default):
//! it learns what a decision costs and admits no more than fit, heroes first; whoever does not
//! fit keeps their place in the queue and goes first next tick.

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How much attention an NPC gets.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub enum Tier {
    /// A few characters near the player or in the story: decide and perceive every tick, full
    /// avoidance every tick.
    Hero,
    /// Everyone else who matters right now.
    #[default]
    Active,
    /// Background crowds: rare decisions, no sight, cheap avoidance.
    Crowd,
}

impl Tier {
    /// All tiers, in priority order.
    pub const ALL: [Tier; 3] = [Tier::Hero, Tier::Active, Tier::Crowd];

    /// Index into per-tier arrays (`Hero` = 0).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// Rates of one tier, in updates per second; `f32::INFINITY` (or anything at least the tick
/// rate) means every tick, 0 means never.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TierRates {
    /// Behaviour tree / utility ticks per second.
    pub decision_hz: f32,
    /// Sight checks per second (hearing is event-driven and always on).
    pub perception_hz: f32,
    /// Avoidance (ORCA or separation) re-plans per second; movement integrates every tick.
    pub avoidance_hz: f32,
}

/// Per-tier rates, the time budget and the distances of the LOD tiers.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScheduleConfig {
    /// Rates of [`Tier::Hero`]. The default is every tick for everything.
    pub hero: TierRates,
    /// Rates of [`Tier::Active`]. The default is 10 Hz decisions, 5 Hz sight, 10 Hz avoidance.
    pub active: TierRates,
    /// Rates of [`Tier::Crowd`]. The default is 1 Hz decisions, no sight, 10 Hz separation.
    pub crowd: TierRates,
    /// Wall-clock budget of one tick's decisions. The default is 1 ms.
    pub decision_budget: Duration,
}

impl Default for ScheduleConfig {
    fn default() -> Self {
        Self {
            hero: TierRates {
                decision_hz: f32::INFINITY,
                perception_hz: f32::INFINITY,
                avoidance_hz: f32::INFINITY,
            },
            active: TierRates {
                decision_hz: 10.0,
                perception_hz: 5.0,
                avoidance_hz: 10.0,
            },
            crowd: TierRates {
                decision_hz: 1.0,
                perception_hz: 0.0,
                avoidance_hz: 10.0,
            },
            decision_budget: Duration::from_millis(1),
        }
    }
}

impl ScheduleConfig {
    /// The rates of `tier`.
    pub fn rates(&self, tier: Tier) -> &TierRates {
        match tier {
            Tier::Hero => &self.hero,
            Tier::Active => &self.active,
            Tier::Crowd => &self.crowd,
        }
    }
}

/// A round-robin cursor over a list of `len` members: each tick hands out the next members in
/// order, `len * hz * dt` of them on average (fractions carry over), wrapping around.
#[derive(Clone, Debug, Default)]
pub struct RoundRobin {
    cursor: usize,
    owed: f32,
}

impl RoundRobin {
    /// How many members are due this tick at `hz` updates per second each, including those
    /// left over from earlier ticks, capped at `len` (nobody goes twice in one tick).
    pub fn due(&mut self, len: usize, hz: f32, dt: f32) -> usize {
        // Written as positive tests so that NaN rates and steps count as zero.
        let running = hz > 0.0 && dt > 0.0;
        if len == 0 || !running {
            self.owed = 0.0;
            return 0;
        }
        self.owed = (self.owed + len as f32 * hz * dt).min(len as f32);
        self.owed.floor() as usize
    }

    /// Hands out the next `count` members (a wrapping range of indices into the list) and moves
    /// the cursor past them; `count` is clamped to `len`.
    pub fn take(&mut self, len: usize, count: usize) -> DueRange {
        let count = count.min(len);
        let start = if len == 0 { 0 } else { self.cursor % len };
        self.cursor = if len == 0 { 0 } else { (start + count) % len };
        self.owed = (self.owed - count as f32).max(0.0);
        DueRange {
            start: start as u32,
            count: count as u32,
            len: len as u32,
        }
    }
}

/// The members of a round-robin list whose turn it is this tick: `count` indices from `start`,
/// wrapping at `len`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DueRange {
    /// First index.
    pub start: u32,
    /// How many.
    pub count: u32,
    /// Length of the list.
    pub len: u32,
}

impl DueRange {
    /// Everyone in a list of `len`.
    pub fn all(len: usize) -> Self {
        Self {
            start: 0,
            count: len as u32,
            len: len as u32,
        }
    }

    /// Whether member `index` is due.
    pub fn contains(&self, index: u32) -> bool {
        // Steps from `start` to `index` around the list, without a division: every NPC asks
        // every tick.
        let steps = if index >= self.start {
            index - self.start
        } else {
            index.wrapping_add(self.len.wrapping_sub(self.start))
        };
        index < self.len && steps < self.count
    }

    /// The due indices, in turn order.
    pub fn iter(&self) -> impl Iterator<Item = usize> + use<> {
        let DueRange { start, count, len } = *self;
        (0..count).map(move |i| ((start + i) % len) as usize)
    }
}

/// Keeps one tick's decisions inside the time budget.
///
/// It keeps an estimate of the wall time of one decision (an exponential moving average of
/// measured ticks, per decision, biased upwards by taking the larger of the average and the
/// last measurement), admits as many due decisions as fit in the budget, heroes first, and
/// always at least one so that nobody starves even when one decision costs more than the whole
/// budget.
#[derive(Clone, Debug)]
pub struct DecisionPlanner {
    cost_per_decision: f64,
    last_cost: f64,
}

impl Default for DecisionPlanner {
    fn default() -> Self {
        Self {
            // A pessimistic first guess (1 us) until the first measurement arrives.
            cost_per_decision: 1e-6,
            last_cost: 1e-6,
        }
    }
}

impl DecisionPlanner {
    /// How many of `due` decisions (per tier, in [`Tier::ALL`] order) to run this tick within
    /// `budget`.
    pub fn admit(&self, due: [usize; 3], budget: Duration) -> [usize; 3] {
        let total_due: usize = due.iter().sum();
        let mut capacity = self.capacity(budget);
        if total_due == 0 {
            return [0; 3];
        }
        let mut admitted = [0; 3];
        for (slot, &wanted) in admitted.iter_mut().zip(due.iter()) {
            *slot = wanted.min(capacity);
            capacity -= *slot;
        }
        admitted
    }

    /// How many decisions fit in `budget` at the current estimate (at least one).
    pub fn capacity(&self, budget: Duration) -> usize {
        let cost = self.estimated_cost().max(1e-9);
        ((budget.as_secs_f64() / cost).floor() as usize).max(1)
    }

    /// Learns from a tick that ran `decisions` decisions in `elapsed` wall time.
    pub fn record(&mut self, decisions: usize, elapsed: Duration) {
        // Tiny batches are dominated by fixed costs (starting the parallel job) and would
        // teach an estimate far above the real marginal cost.
        if decisions < 16 {
            return;
        }
        let per = elapsed.as_secs_f64() / decisions as f64;
        self.last_cost = per;
        self.cost_per_decision = 0.8 * self.cost_per_decision + 0.2 * per;
    }

    /// The current estimate of one decision's wall time, in seconds.
    pub fn estimated_cost(&self) -> f64 {
        self.cost_per_decision.max(self.last_cost)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_robin_spreads_and_wraps() {
        let mut rr = RoundRobin::default();
        // 100 members at 10 Hz with 60 Hz ticks: 16.67 per tick on average.
        let mut seen = vec![0u32; 100];
        let mut per_tick = Vec::new();
        for _ in 0..60 {
            let due = rr.due(100, 10.0, 1.0 / 60.0);
            per_tick.push(due);
            for i in rr.take(100, due).iter() {
                seen[i] += 1;
            }
        }
        // One second: everyone decided 10 times (within one because of the fractional carry).
        assert!(seen.iter().all(|&n| (9..=10).contains(&n)), "{seen:?}");
        assert!(
            per_tick.iter().all(|&n| (16..=17).contains(&n)),
            "{per_tick:?}"
        );
    }

    #[test]
    fn round_robin_caps_at_everyone_and_handles_empty() {
        let mut rr = RoundRobin::default();
        assert_eq!(rr.due(10, f32::INFINITY, 1.0 / 60.0), 10);
        assert_eq!(rr.take(10, 10).iter().count(), 10);
        assert_eq!(rr.due(0, 10.0, 0.1), 0);
        assert_eq!(rr.take(0, 5).iter().count(), 0);
        assert_eq!(rr.due(10, 0.0, 0.1), 0);
        assert_eq!(rr.due(10, f32::NAN, 0.1), 0);
    }

    #[test]
    fn deferred_members_keep_their_place() {
        let mut rr = RoundRobin::default();
        let due = rr.due(10, f32::INFINITY, 0.1);
        // Only 4 fit this tick; the other 6 are owed and come first next tick.
        let first: Vec<_> = rr.take(10, due.min(4)).iter().collect();
        assert_eq!(first, vec![0, 1, 2, 3]);
        let due = rr.due(10, f32::INFINITY, 0.1);
        let second: Vec<_> = rr.take(10, due).iter().collect();
        assert!(rr.take(10, 3).contains(4) && !DueRange::all(3).contains(3));
        assert_eq!(second, vec![4, 5, 6, 7, 8, 9, 0, 1, 2, 3]);
    }

    #[test]
    fn planner_admits_heroes_first_within_the_budget() {
        let mut planner = DecisionPlanner::default();
        planner.record(1000, Duration::from_micros(2000));
        // 2 us per decision, 1 ms budget: 500 fit.
        let admitted = planner.admit([100, 450, 5000], Duration::from_millis(1));
        assert_eq!(admitted, [100, 400, 0]);
        // Never zero when something is due.
        let admitted = planner.admit([0, 0, 3], Duration::from_nanos(1));
        assert_eq!(admitted, [0, 0, 1]);
        // Small batches do not move the estimate.
        planner.record(2, Duration::from_millis(5));
        assert!((planner.estimated_cost() - 2e-6).abs() < 1e-9);
    }
}
