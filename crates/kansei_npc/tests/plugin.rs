//! The NPC stack in a Bevy app: entity count, the guard's reaction to a noise, an unreachable
//! goal, a path traced from a flow field, a malformed behaviour file, the decision budget.

use std::sync::Arc;
use std::time::Duration;

use bevy::ecs::schedule::ScheduleLabel;
use bevy::prelude::*;
use kansei_npc::bench::{self, BenchConfig};
use kansei_npc::decision::{Behaviour, DecisionCause, Symbol, Value};
use kansei_npc::nav::{NavGrid, PathError};
use kansei_npc::perception::NoiseEvent;
use kansei_npc::plugin::{
    BehaviourAsset, BehaviourLoadErrors, DecisionHistory, FlowFields, Locomotion, NavWorld,
    NoiseMade, Npc, NpcAgent, NpcBehaviour, NpcBlackboard, NpcMemory, NpcMind, NpcPlugin,
    NpcScheduler, NpcTasks, NpcTier, NpcTimings, PatrolRoute,
};
use kansei_npc::schedule::{ScheduleConfig, Tier};

#[derive(ScheduleLabel, Clone, Debug, PartialEq, Eq, Hash)]
struct Tick;

/// A bare app ticking the NPC stages in `Tick` at 60 Hz of simulated time.
fn app() -> App {
    let mut app = App::new();
    app.insert_resource(Time::<()>::default())
        .add_plugins((TaskPoolPlugin::default(), NpcPlugin::in_schedule(Tick)));
    app
}

fn step(app: &mut App, ticks: u32) {
    for _ in 0..ticks {
        app.world_mut()
            .resource_mut::<Time>()
            .advance_by(Duration::from_secs_f64(1.0 / 60.0));
        app.world_mut().run_schedule(Tick);
        app.world_mut()
            .resource_mut::<Messages<NoiseMade>>()
            .update();
    }
}

fn behaviour(ron: &str) -> Arc<Behaviour> {
    Arc::new(Behaviour::from_ron(ron).expect("test behaviour compiles"))
}

/// A hero NPC that walks to its blackboard's `goal` (a `move_to` task), then sets `arrived`.
fn spawn_goer(app: &mut App, agent: NpcAgent, blackboard: NpcBlackboard) -> Entity {
    app.world_mut()
        .spawn((
            Npc,
            agent,
            NpcTier(Tier::Hero),
            blackboard,
            NpcMind {
                behaviour: Some(behaviour(
                    r#"Behaviour(name: "go", root: Sequence([Task("move_to", Some("goal")), Set("arrived", Bool(true))]))"#,
                )),
                ..default()
            },
        ))
        .id()
}

#[test]
fn n_npcs_are_n_entities_and_the_town_comes_alive() {
    let config = BenchConfig {
        agents: 400,
        ..BenchConfig::default()
    };
    let (mut app, tiers, before) = bench::build_app(&config).expect("the scenario builds");
    assert_eq!(tiers, [20, 100, 280]);
    let start: Vec<Vec2> = app
        .world_mut()
        .query::<&NpcAgent>()
        .iter(app.world())
        .map(|a| a.position)
        .collect();
    let mut decisions = 0;
    for t in 0..240 {
        bench::tick(&mut app, t);
        decisions += app.world().resource::<NpcTimings>().decisions;
    }
    // N NPCs plus the player, nothing else: no entities per NPC, per node or per query.
    let spawned = app.world().entities().count_spawned() - before;
    assert_eq!(spawned, 401, "entities beyond Bevy's own");
    let moved = app
        .world_mut()
        .query::<&NpcAgent>()
        .iter(app.world())
        .zip(&start)
        .filter(|(a, s)| a.position.distance(**s) > 1.0)
        .count();
    assert!(moved > 300, "only {moved} of 400 NPCs moved in 4 s");
    // Heroes every tick, villagers at 10 Hz, commuters at 1 Hz: about 20 + 16.7 + 4.7 a tick.
    let per_tick = decisions as f64 / 240.0;
    assert!(
        (35.0..48.0).contains(&per_tick),
        "{per_tick} decisions per tick"
    );
    // Positions stay finite and out of walls.
    let nav_grid = app.world().resource::<NavWorld>().grid().clone();
    for agent in app.world_mut().query::<&NpcAgent>().iter(app.world()) {
        assert!(agent.position.is_finite());
        assert!(
            nav_grid.is_walkable_at(agent.position),
            "{:?} in a wall",
            agent.position
        );
    }
}

#[test]
fn a_patrolling_guard_investigates_a_noise_at_once() {
    let mut app = app();
    let guard = app
        .world_mut()
        .spawn((
            Npc,
            NpcAgent::at(Vec2::ZERO),
            NpcTier(Tier::Hero),
            NpcMind {
                behaviour: Some(behaviour(kansei_npc::demo::GUARD_BEHAVIOUR)),
                ..default()
            },
            PatrolRoute {
                points: vec![Vec2::new(10.0, 0.0), Vec2::new(-10.0, 0.0)],
                next: 0,
            },
        ))
        .id();
    step(&mut app, 30);
    let move_to = Symbol::new("move_to");
    let patrol = Symbol::new("patrol");
    let tasks = app
        .world()
        .get::<NpcTasks>(guard)
        .expect("every NPC has NpcTasks");
    assert!(tasks.is_running(patrol), "patrolling before the noise");
    app.world_mut().write_message(NoiseMade(NoiseEvent {
        position: Vec2::new(0.0, 8.0),
        radius: 20.0,
        loudness: 0.8,
        source: 99,
    }));
    step(&mut app, 1);
    // Heroes decide every tick: the noise aborts the patrol in the same tick it is heard.
    let tasks = app
        .world()
        .get::<NpcTasks>(guard)
        .expect("every NPC has NpcTasks");
    assert!(tasks.is_running(move_to), "investigating the noise");
    assert!(!tasks.is_running(patrol));
    let history = app
        .world()
        .get::<DecisionHistory>(guard)
        .expect("every NPC has DecisionHistory");
    assert!(
        history
            .iter()
            .any(|r| matches!(r.cause, DecisionCause::Abort { .. })),
        "the switch is logged as an abort: {:?}",
        history.iter().collect::<Vec<_>>()
    );
    // It walks there, looks around for 2 s, forgets the noise and patrols again.
    step(&mut app, 60 * 12);
    let blackboard = app
        .world()
        .get::<NpcBlackboard>(guard)
        .expect("every NPC has NpcBlackboard");
    assert_eq!(
        blackboard.get(Symbol::new("heard_noise")),
        Some(Value::Bool(false))
    );
    let tasks = app
        .world()
        .get::<NpcTasks>(guard)
        .expect("every NPC has NpcTasks");
    assert!(tasks.is_running(patrol));
}

#[test]
fn an_unreachable_goal_fails_the_task_with_a_reason() {
    let mut app = app();
    let mut grid = NavGrid::new(40, 40, 1.0, Vec2::splat(-20.0)).expect("valid grid");
    // A closed room around (10, 10).
    grid.block_rect(Vec2::new(6.0, 6.0), Vec2::new(14.0, 6.9));
    grid.block_rect(Vec2::new(6.0, 13.1), Vec2::new(14.0, 14.0));
    grid.block_rect(Vec2::new(6.0, 6.0), Vec2::new(6.9, 14.0));
    grid.block_rect(Vec2::new(13.1, 6.0), Vec2::new(14.0, 14.0));
    app.insert_resource(NavWorld::new(grid));
    let goal = Symbol::new("goal");
    let mut blackboard = NpcBlackboard::default();
    blackboard.set(goal, Value::Vec2(Vec2::new(10.0, 10.0)));
    let npc = spawn_goer(&mut app, NpcAgent::at(Vec2::new(-10.0, -10.0)), blackboard);
    step(&mut app, 20);
    let locomotion = app
        .world()
        .get::<Locomotion>(npc)
        .expect("every NPC has Locomotion");
    let error = locomotion.last_path_error.clone();
    assert!(
        matches!(error, Some(PathError::Unreachable { .. })),
        "{error:?}"
    );
    assert!(error.expect("present").to_string().contains("unreachable"));
    let blackboard = app
        .world()
        .get::<NpcBlackboard>(npc)
        .expect("every NPC has NpcBlackboard");
    assert_eq!(blackboard.get(Symbol::new("arrived")), None);
    // It does not walk into the wall meanwhile.
    let agent = app
        .world()
        .get::<NpcAgent>(npc)
        .expect("every NPC has NpcAgent");
    assert!(agent.position.distance(Vec2::new(-10.0, -10.0)) < 2.0);
}

#[test]
fn a_path_to_a_flow_field_goal_is_traced_and_walked_around_a_wall() {
    let mut app = app();
    let mut grid = NavGrid::new(40, 40, 1.0, Vec2::splat(-20.0)).expect("valid grid");
    // A wall across the middle with a gap at its east end.
    grid.block_rect(Vec2::new(-20.0, 0.0), Vec2::new(14.0, 0.9));
    app.insert_resource(NavWorld::new(grid));
    let door = Vec2::new(-10.5, 10.5);
    let mut flows = FlowFields::default();
    flows.add(door);
    app.insert_resource(flows);
    let goal = Symbol::new("goal");
    let mut blackboard = NpcBlackboard::default();
    // Another point of the field's goal cell: still served by it.
    let target = door + Vec2::new(0.3, -0.2);
    blackboard.set(goal, Value::Vec2(target));
    let npc = spawn_goer(
        &mut app,
        NpcAgent::at(Vec2::new(-10.0, -10.0)).with_max_speed(4.0),
        blackboard,
    );
    // The field is built on the first tick, the query submitted and traced on the next ones.
    let mut traced = 0;
    for _ in 0..3 {
        step(&mut app, 1);
        traced += app.world().resource::<NpcTimings>().paths_traced;
    }
    assert_eq!(traced, 1, "the query was answered from the field");
    let nav = app.world().resource::<NavWorld>();
    assert_eq!(nav.stats.found, 1);
    // Round the wall's east end and on to the goal: about 57 m at a walk of 2.4 m/s.
    step(&mut app, 2100);
    let agent = app
        .world()
        .get::<NpcAgent>(npc)
        .expect("every NPC has NpcAgent");
    assert!(
        agent.position.distance(target) < 1.0,
        "at {}",
        agent.position
    );
    let blackboard = app
        .world()
        .get::<NpcBlackboard>(npc)
        .expect("every NPC has NpcBlackboard");
    assert_eq!(
        blackboard.get(Symbol::new("arrived")),
        Some(Value::Bool(true))
    );
}

#[test]
fn a_malformed_behaviour_file_is_reported_and_the_last_good_one_kept() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let path = dir.path().join("wanderer.behaviour.ron");
    std::fs::write(
        &path,
        r#"Behaviour(name: "wanderer", root: Task("wander"))"#,
    )
    .expect("test file I/O");
    let mut app = App::new();
    app.add_plugins((
        MinimalPlugins,
        AssetPlugin {
            file_path: dir.path().to_string_lossy().into_owned(),
            ..default()
        },
        NpcPlugin::in_schedule(Update),
    ));
    let handle: Handle<BehaviourAsset> = app
        .world()
        .resource::<AssetServer>()
        .load("wanderer.behaviour.ron");
    let npc = app
        .world_mut()
        .spawn((NpcAgent::default(), NpcBehaviour(handle)))
        .id();
    let loaded = |app: &App| {
        app.world()
            .get::<NpcMind>(npc)
            .expect("every NPC has NpcMind")
            .behaviour
            .clone()
    };
    for _ in 0..200 {
        app.update();
        if loaded(&app).is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let good = loaded(&app).expect("the good file loads");
    assert_eq!(good.name(), "wanderer");

    std::fs::write(
        &path,
        "Behaviour(name: \"wanderer\",\n    root: Sequence([Task(\"wander\"), ]]),\n)",
    )
    .expect("test file I/O");
    app.world()
        .resource::<AssetServer>()
        .reload("wanderer.behaviour.ron");
    for _ in 0..200 {
        app.update();
        if !app
            .world()
            .resource::<BehaviourLoadErrors>()
            .messages
            .is_empty()
        {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let errors = &app.world().resource::<BehaviourLoadErrors>().messages;
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("wanderer.behaviour.ron"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("line 2"), "{}", errors[0]);
    assert!(errors[0].contains("column"), "{}", errors[0]);
    let kept = loaded(&app).expect("test file I/O");
    assert!(
        Arc::ptr_eq(&good, &kept),
        "the NPC keeps its last good behaviour"
    );
}

#[test]
fn the_decision_budget_caps_decisions_and_everyone_gets_a_turn() {
    let mut app = App::new();
    // Every NPC wants to decide every tick, but the budget is tiny.
    let config = ScheduleConfig {
        active: ScheduleConfig::default().hero,
        decision_budget: Duration::from_micros(50),
        ..ScheduleConfig::default()
    };
    app.insert_resource(Time::<()>::default()).add_plugins((
        TaskPoolPlugin::default(),
        NpcPlugin {
            schedule: Tick.intern(),
            config,
        },
    ));
    let busy = behaviour(
        r#"Behaviour(name: "busy", root: Sequence([Set("turns", Bool(true)), Wait(0.0), Clear("turns")]))"#,
    );
    let n = 3000;
    for i in 0..n {
        app.world_mut().spawn((
            Npc,
            NpcAgent::at(Vec2::new((i % 50) as f32, (i / 50) as f32)),
            NpcMind {
                behaviour: Some(busy.clone()),
                ..default()
            },
        ));
    }
    let mut decided = 0u64;
    let mut max_per_tick = 0u32;
    for _ in 0..120 {
        step(&mut app, 1);
        let timings = app.world().resource::<NpcTimings>();
        decided += timings.decisions as u64;
        max_per_tick = max_per_tick.max(timings.decisions);
    }
    // Far fewer than all 3,000 a tick.
    assert!(max_per_tick < n, "{max_per_tick}");
    // And no more than fit the budget at the cost the planner had learned when it admitted them.
    let allowed = app.world().resource::<NpcScheduler>().decision_capacity();
    step(&mut app, 1);
    let last = app.world().resource::<NpcTimings>().decisions as usize;
    assert!(
        last <= allowed,
        "{last} decisions, {allowed} fit the budget"
    );
    // The capacity follows the measured cost: 50 us hold far fewer than 3,000 decisions.
    assert!(allowed < n as usize / 2, "{allowed}");
    // Round robin: over 120 ticks everyone had turns.
    assert!(decided >= n as u64, "only {decided} decisions in 120 ticks");
    assert!(decided < 120 * n as u64);
    // Every decision changes the blackboard, so an untouched blackboard is an NPC that never
    // had a turn.
    let never = app
        .world_mut()
        .query::<&NpcBlackboard>()
        .iter(app.world())
        .filter(|b| b.revision() == 0)
        .count();
    assert_eq!(never, 0, "{never} NPCs never decided");
}

/// Crowd NPCs hear a noise at their next decision turn (spreading a loud noise's work over
/// their tier's second), and remember it from when it was made.
#[test]
fn crowds_hear_a_noise_at_their_turn_and_remember_when_it_was_made() {
    let mut app = app();
    let crowd: Vec<Entity> = (0..60)
        .map(|i| {
            app.world_mut()
                .spawn((
                    Npc,
                    NpcAgent::at(Vec2::new(i as f32 * 0.2, 0.0)),
                    NpcTier(Tier::Crowd),
                ))
                .id()
        })
        .collect();
    step(&mut app, 3);
    let made_at = app.world().resource::<Time>().elapsed_secs() + 1.0 / 60.0;
    app.world_mut().write_message(NoiseMade(NoiseEvent {
        position: Vec2::new(6.0, 3.0),
        radius: 30.0,
        loudness: 0.9,
        source: 7,
    }));
    let heard = |app: &App| -> Vec<f32> {
        crowd
            .iter()
            .filter_map(|&npc| {
                let memory = app.world().get::<NpcMemory>(npc)?;
                memory.iter().find(|s| s.source == 7).map(|s| s.time)
            })
            .collect()
    };
    step(&mut app, 1);
    let first_tick = heard(&app).len();
    assert!(
        (1..=3).contains(&first_tick),
        "one crowd NPC in 60 decides per tick at 1 Hz; {first_tick} heard in the first tick"
    );
    step(&mut app, 61);
    let times = heard(&app);
    assert_eq!(
        times.len(),
        60,
        "everyone heard it within their tier's second"
    );
    for time in times {
        assert!(
            (time - made_at).abs() < 1e-4,
            "remembered at {time}, made at {made_at}"
        );
    }
}
