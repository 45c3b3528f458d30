//! The deterministic headless scenario of `kansei npc bench`: the demo town with guards,
//! villagers and commuters, a player walking a loop through it and making noise, run for a
//! number of fixed 60 Hz ticks, timed per stage.
//!
//! Everything is seeded, and the simulation clock advances by exactly 1/60 s per tick, so two
//! runs make the same decisions; only the wall times differ.

use std::sync::Arc;
use std::time::{Duration, Instant};

use bevy::ecs::schedule::{ScheduleLabel, SingleThreadedExecutor};
use bevy::prelude::*;
use bevy::tasks::{ComputeTaskPool, TaskPoolBuilder};
use glam::Vec2;
use serde::Serialize;

use crate::decision::{Behaviour, BehaviourError, Symbol, Value};
use crate::demo::{Commuter, Town, TownTasksPlugin, Villager};
use crate::nav::{NavError, PathPriority, PathQueue};
use crate::perception::NoiseEvent;
use crate::plugin::{
    FlowFields, NavWorld, NoiseMade, Npc, NpcAgent, NpcBlackboard, NpcMind, NpcPlugin, NpcTier,
    NpcTierLocked, NpcTimings, PatrolRoute, Perceivable, Senses,
};
use crate::rng::SeededRng;
use crate::schedule::Tier;

/// The schedule the benchmark ticks by hand.
#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
pub struct BenchTick;

/// Which NPCs the scenario spawns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum BenchMix {
    /// Every NPC a hero guard (perception and decisions every tick, ORCA every tick).
    Hero,
    /// Every NPC an active villager (10 Hz decisions).
    Active,
    /// Every NPC a crowd commuter.
    Crowd,
    /// 5% heroes, 25% active, 70% crowd.
    Mixed,
}

impl std::str::FromStr for BenchMix {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "hero" => Ok(Self::Hero),
            "active" => Ok(Self::Active),
            "crowd" => Ok(Self::Crowd),
            "mixed" => Ok(Self::Mixed),
            other => Err(format!(
                "unknown tier mix {other:?}: expected hero, active, crowd or mixed"
            )),
        }
    }
}

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct BenchConfig {
    /// Number of NPCs.
    pub agents: usize,
    /// Timed ticks (after the warm-up).
    pub ticks: u32,
    /// Untimed ticks first (pipelines of the scheduler's estimates settle, paths arrive).
    pub warmup: u32,
    /// Which NPCs.
    pub mix: BenchMix,
    /// Seed of the town and the spawn points.
    pub seed: u64,
    /// Whether the town registers a flow field per doorstep (built before the first tick, as
    /// a game would at a loading screen), so that the villagers' paths to their homes,
    /// workplaces and taverns are traced from a field instead of searched.
    pub doorstep_fields: bool,
}

impl Default for BenchConfig {
    fn default() -> Self {
        Self {
            agents: 1000,
            ticks: 600,
            warmup: 120,
            mix: BenchMix::Mixed,
            seed: 7,
            doorstep_fields: true,
        }
    }
}

/// Why the benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A shipped behaviour file did not compile.
    #[error("a built-in behaviour is invalid: {0}")]
    Behaviour(#[from] BehaviourError),
    /// The town grid could not be built.
    #[error("the town grid is invalid: {0}")]
    Nav(#[from] NavError),
    /// Nothing to run.
    #[error("--agents and --ticks must be at least 1")]
    Empty,
}

/// Per-tick wall-time percentiles of one stage, in milliseconds.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct StageTimes {
    /// Median.
    pub p50_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// Mean.
    pub mean_ms: f64,
    /// Worst tick.
    pub max_ms: f64,
}

impl StageTimes {
    fn from_samples(samples: &mut [Duration]) -> Self {
        if samples.is_empty() {
            return Self::default();
        }
        samples.sort_unstable();
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
        let mean = samples.iter().map(|d| ms(*d)).sum::<f64>() / samples.len() as f64;
        Self {
            p50_ms: at(0.5),
            p99_ms: at(0.99),
            mean_ms: mean,
            max_ms: at(1.0),
        }
    }
}

/// Path query throughput on the town grid, outside the frame budget: how many queries per
/// second the queue answers when it runs flat out, and each query's compute time.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PathThroughput {
    /// Queries run.
    pub queries: u32,
    /// Of which found a path.
    pub found: u32,
    /// Queries answered per second of wall time.
    pub per_second: f64,
    /// Median compute time of one query, in milliseconds.
    pub p50_ms: f64,
    /// 99th percentile compute time, in milliseconds.
    pub p99_ms: f64,
}

/// What `kansei npc bench` prints.
#[derive(Clone, Debug, Serialize)]
pub struct BenchReport {
    /// NPCs.
    pub agents: usize,
    /// Tier mix.
    pub mix: BenchMix,
    /// NPCs per tier (hero, active, crowd).
    pub tiers: [usize; 3],
    /// Timed ticks.
    pub ticks: u32,
    /// Threads in Bevy's compute pool, which runs the parallel stages (1: serially).
    pub threads: usize,
    /// Whole tick (every NPC stage).
    pub total: StageTimes,
    /// Sight, hearing, memory.
    pub perception: StageTimes,
    /// Behaviour ticks and built-in tasks.
    pub decision: StageTimes,
    /// Spatial hash, steering, avoidance, movement.
    pub steering: StageTimes,
    /// Path queries and flow fields.
    pub navigation: StageTimes,
    /// Decisions per tick, on average.
    pub decisions_per_tick: f64,
    /// Path queries answered during the timed ticks.
    pub path_answers: u64,
    /// Of those, the queries answered from a flow field instead of a search.
    pub paths_traced: u64,
    /// Flow fields built before the first tick (exits and doorsteps).
    pub flow_fields: usize,
    /// Wall time of building them, in ms (a loading screen's work, not in any tick).
    pub flow_field_build_ms: f64,
    /// Entities the scenario added to the world (NPCs plus the player; Bevy's own entities
    /// for resources and systems, there before the first NPC, are not counted).
    pub entities: u32,
    /// Bytes of components per NPC (inline sizes summed over the NPC archetypes) plus the
    /// heap behind them (blackboard entries, behaviour state, active tasks, paths).
    pub bytes_per_agent: f64,
    /// The path query throughput test on the same grid.
    pub paths: PathThroughput,
}

/// Gives Bevy's compute pool, which runs the parallel stages, `threads` threads. With one, Bevy
/// runs parallel iteration serially on the calling thread (it does the same in any app whose
/// pool has one thread, such as a default app on a 2-core machine). Call it once, before
/// anything else touches the pool; it returns the pool's thread count.
pub fn init_threads(threads: usize) -> usize {
    ComputeTaskPool::get_or_init(|| TaskPoolBuilder::new().num_threads(threads.max(1)).build())
        .thread_num()
}

/// How long building the scenario's flow fields (the exits, and the doorsteps with
/// [`BenchConfig::doorstep_fields`]) took before its first tick, in ms.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct FlowFieldLoad {
    /// Wall time of building them, in ms.
    pub build_ms: f64,
}

/// Builds the scenario's app: the town, the NPCs, the player. Returns the app, the NPCs per
/// tier, and the number of entities Bevy itself holds before any NPC is spawned (it keeps
/// resources and systems in entities of its own).
pub fn build_app(config: &BenchConfig) -> Result<(App, [usize; 3], u32), BenchError> {
    // The parallel stages run on Bevy's compute pool; one thread per core in all unless
    // `init_threads` chose otherwise first.
    init_threads(std::thread::available_parallelism().map_or(1, std::num::NonZero::get));
    let town = Town::generate(128, config.seed)?;
    let guard = Arc::new(Behaviour::from_ron(crate::demo::GUARD_BEHAVIOUR)?);
    let villager = Arc::new(Behaviour::from_ron(crate::demo::VILLAGER_BEHAVIOUR)?);
    let commuter = Arc::new(Behaviour::from_ron(crate::demo::COMMUTER_BEHAVIOUR)?);

    let mut app = App::new();
    app.insert_resource(Time::<()>::default());
    app.add_plugins((
        NpcPlugin::in_schedule(BenchTick),
        TownTasksPlugin {
            schedule: BenchTick.intern(),
        },
    ));
    app.edit_schedule(BenchTick, |schedule| {
        // The stages are chained and parallel inside; a single-threaded executor avoids
        // handing each system to another thread.
        schedule.set_executor(SingleThreadedExecutor::new());
    });
    let mut flows = FlowFields::default();
    for exit in &town.exits {
        flows.add(*exit);
    }
    if config.doorstep_fields {
        for doorstep in &town.doorsteps {
            flows.add(*doorstep);
        }
    }
    // Built now, as a game would at a loading screen: one field per tick would take the
    // first ticks (warm-up) too, at about 0.7 ms each.
    let load = Instant::now();
    flows.build_missing(&town.grid);
    app.insert_resource(FlowFieldLoad {
        build_ms: load.elapsed().as_secs_f64() * 1e3,
    });
    app.insert_resource(flows);

    let mut rng = SeededRng::new(config.seed);
    let n = config.agents;
    let (heroes, active) = match config.mix {
        BenchMix::Hero => (n, 0),
        BenchMix::Active => (0, n),
        BenchMix::Crowd => (0, 0),
        BenchMix::Mixed => (n * 5 / 100, n * 25 / 100),
    };
    let tiers = [heroes, active, n - heroes - active];
    let keys = |name: &str| Symbol::new(name);
    let (food, home, work) = (
        keys("food_position"),
        keys("home_position"),
        keys("work_position"),
    );
    let world = app.world_mut();
    let before = world.entities().count_spawned();
    for i in 0..n {
        let position = town.random_walkable(&mut rng);
        let agent = NpcAgent::at(position);
        if i < heroes {
            let route = (0..4).map(|_| town.random_walkable(&mut rng)).collect();
            world.spawn((
                Npc,
                agent.with_max_speed(2.5),
                NpcTier(Tier::Hero),
                NpcTierLocked,
                NpcMind {
                    behaviour: Some(guard.clone()),
                    ..default()
                },
                PatrolRoute {
                    points: route,
                    next: 0,
                },
            ));
        } else if i < heroes + active {
            let mut blackboard = NpcBlackboard::default();
            let doorstep = |rng: &mut SeededRng| {
                town.doorsteps[(rng.next_u64() % town.doorsteps.len() as u64) as usize]
            };
            blackboard.set(food, Value::Vec2(doorstep(&mut rng)));
            blackboard.set(home, Value::Vec2(doorstep(&mut rng)));
            blackboard.set(work, Value::Vec2(doorstep(&mut rng)));
            world.spawn((
                Npc,
                agent,
                NpcTier(Tier::Active),
                NpcTierLocked,
                NpcMind {
                    behaviour: Some(villager.clone()),
                    ..default()
                },
                blackboard,
                Villager {
                    hunger: rng.unit() * 0.8,
                    fatigue: rng.unit() * 0.5,
                },
            ));
        } else {
            world.spawn((
                Npc,
                agent.with_max_speed(1.3),
                NpcTier(Tier::Crowd),
                NpcTierLocked,
                Senses {
                    sight: None,
                    ..default()
                },
                NpcMind {
                    behaviour: Some(commuter.clone()),
                    ..default()
                },
                Commuter {
                    goal: (rng.next_u64() % 4) as u32,
                },
            ));
        }
    }
    // The player: seen by guards, heard by everyone near their footsteps.
    world.spawn(Perceivable {
        position: Vec2::ZERO,
        threat: 0.6,
    });
    world.insert_resource(NavWorld::new(town.grid));
    Ok((app, tiers, before))
}

/// Moves the player along a loop through the town and makes a noise every half second.
fn move_player(app: &mut App, tick: u32) {
    let t = tick as f32 / 60.0;
    let position = Vec2::new((t * 0.15).cos(), (t * 0.15).sin()) * 40.0;
    let world = app.world_mut();
    let mut players = world.query::<(Entity, &mut Perceivable)>();
    let mut source = 0;
    for (entity, mut player) in players.iter_mut(world) {
        player.position = position;
        source = entity.to_bits();
    }
    if tick.is_multiple_of(30) {
        world.write_message(NoiseMade(NoiseEvent {
            position,
            radius: 20.0,
            loudness: 0.7,
            source,
        }));
    }
}

/// Runs one tick of the scenario and returns its wall time.
pub fn tick(app: &mut App, tick: u32) -> Duration {
    move_player(app, tick);
    app.world_mut()
        .resource_mut::<Time>()
        .advance_by(Duration::from_secs_f64(1.0 / 60.0));
    let start = Instant::now();
    app.world_mut().run_schedule(BenchTick);
    let elapsed = start.elapsed();
    // Messages are double-buffered; the app would swap them in `First`.
    app.world_mut()
        .resource_mut::<Messages<NoiseMade>>()
        .update();
    elapsed
}

/// Runs the scenario and reports per-stage percentiles, entities and memory per NPC.
pub fn run(config: &BenchConfig) -> Result<BenchReport, BenchError> {
    if config.agents == 0 || config.ticks == 0 {
        return Err(BenchError::Empty);
    }
    let (mut app, tiers, before) = build_app(config)?;
    let load = *app.world().resource::<FlowFieldLoad>();
    let flow_fields = app.world().resource::<FlowFields>().len();
    let threads = ComputeTaskPool::get().thread_num();
    for t in 0..config.warmup {
        tick(&mut app, t);
    }
    let n = config.ticks as usize;
    let mut stages: [Vec<Duration>; 5] = std::array::from_fn(|_| Vec::with_capacity(n));
    let mut decisions = 0u64;
    let mut path_answers = 0u64;
    let mut paths_traced = 0u64;
    for t in config.warmup..config.warmup + config.ticks {
        let total = tick(&mut app, t);
        let timings = app.world().resource::<NpcTimings>().clone();
        stages[0].push(total);
        stages[1].push(timings.perception);
        stages[2].push(timings.decision);
        stages[3].push(timings.steering);
        stages[4].push(timings.navigation);
        decisions += timings.decisions as u64;
        path_answers += timings.path_answers as u64;
        paths_traced += timings.paths_traced as u64;
    }
    let [total, perception, decision, steering, navigation] =
        stages.map(|mut s| StageTimes::from_samples(&mut s));
    let entities = app.world().entities().count_spawned() - before;
    let bytes_per_agent = bytes_per_npc(app.world_mut());
    let paths = path_throughput(config.seed)?;
    Ok(BenchReport {
        agents: config.agents,
        mix: config.mix,
        tiers,
        ticks: config.ticks,
        threads,
        total,
        perception,
        decision,
        steering,
        navigation,
        decisions_per_tick: decisions as f64 / config.ticks as f64,
        path_answers,
        paths_traced,
        flow_fields,
        flow_field_build_ms: load.build_ms,
        entities,
        bytes_per_agent,
        paths,
    })
}

/// Inline component bytes of the NPC archetypes plus the heap behind the components that
/// have one, averaged over the NPCs.
fn bytes_per_npc(world: &mut World) -> f64 {
    let Some(npc) = world.components().component_id::<Npc>() else {
        return 0.0;
    };
    let mut inline = 0usize;
    let mut npcs = 0usize;
    for archetype in world.archetypes().iter() {
        if !archetype.contains(npc) || archetype.is_empty() {
            continue;
        }
        let per_entity: usize = archetype
            .components()
            .iter()
            .filter_map(|id| world.components().get_info(*id))
            .map(|info| info.layout().size())
            .sum();
        inline += per_entity * archetype.len() as usize;
        npcs += archetype.len() as usize;
    }
    let mut heap = 0usize;
    let mut query = world.query::<(
        &NpcBlackboard,
        &NpcMind,
        &crate::plugin::NpcTasks,
        &crate::plugin::Locomotion,
    )>();
    for (blackboard, mind, tasks, locomotion) in query.iter(world) {
        heap += blackboard.heap_bytes()
            + mind.state.heap_bytes()
            + tasks.heap_bytes()
            + size_of_val(locomotion.path.waypoints());
    }
    if npcs == 0 {
        return 0.0;
    }
    (inline + heap) as f64 / npcs as f64
}

/// 2,000 random queries between walkable points of the town, answered by the queue with no
/// budget limit.
fn path_throughput(seed: u64) -> Result<PathThroughput, BenchError> {
    let town = Town::generate(128, seed)?;
    let mut rng = SeededRng::new(seed ^ 0xABCD);
    let mut queue = PathQueue::new();
    let queries = 2000u32;
    for _ in 0..queries {
        let from = town.random_walkable(&mut rng);
        let to = town.random_walkable(&mut rng);
        queue.submit(from, to, PathPriority::Normal);
    }
    let start = Instant::now();
    let mut compute = Vec::with_capacity(queries as usize);
    let mut found = 0;
    while queue.pending() > 0 {
        queue.process(&town.grid, Duration::from_millis(100));
        for answer in queue.drain_answers() {
            found += answer.result.is_ok() as u32;
            compute.push(answer.compute_time);
        }
    }
    let wall = start.elapsed();
    let times = StageTimes::from_samples(&mut compute);
    Ok(PathThroughput {
        queries,
        found,
        per_second: queries as f64 / wall.as_secs_f64(),
        p50_ms: times.p50_ms,
        p99_ms: times.p99_ms,
    })
}
