//! Benchmarks of `Behaviour::tick` for a crowd of 5,000 NPCs.
//!
//! Each iteration is one game frame: a cheap scripted "game" changes a few blackboard keys and
//! completes tasks that have run long enough, then every NPC is ticked once. Divide the reported
//! time by 5,000 for the cost of one NPC tick (criterion also prints the element throughput).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use glam::Vec2;
use kansei_npc::decision::{
    ActiveTasks, Behaviour, BehaviourState, Blackboard, DecisionLog, Symbol, TaskStatus, Value,
};

const NPCS: usize = 5_000;
const FRAME: f32 = 1.0 / 60.0;

const GUARD: &str = r#"
Behaviour(
    name: "guard",
    root: Selector([
        Guard(when: IsTrue("target_visible"), abort: LowerPriority, child: Task("chase", Some("target_position"))),
        Guard(when: IsTrue("heard_noise"), abort: Both, child: Sequence([
            Task("move_to", Some("noise_position")),
            Wait(2.0),
            Set("heard_noise", Bool(false)),
        ])),
        Sequence([Task("patrol"), Wait(1.0)]),
    ]),
)"#;

const VILLAGER: &str = r#"
Behaviour(name: "villager", root: Utility(momentum: 0.25, actions: [
    (name: "flee", weight: 2.0, considerations: [(input: Key("danger", 0.0, 1.0), curve: Logistic(steepness: 12.0, midpoint: 0.4))], child: Task("flee", Some("danger_position"))),
    (name: "eat", weight: 1.0, considerations: [(input: Key("hunger", 0.0, 1.0), curve: Quadratic(exponent: 2.0, slope: 1.0, shift: 0.0, intercept: 0.0))], child: Task("eat")),
    (name: "work", weight: 0.8, considerations: [(input: Constant(0.6), curve: Linear(slope: 1.0, intercept: 0.0))], child: Task("work")),
]))"#;

/// 22 nodes: five prioritised branches with guards, a parallel, a time limit and a cooldown.
const SOLDIER: &str = r#"
Behaviour(name: "soldier", root: Selector([
    Guard(when: Less("health", 0.25), abort: LowerPriority, child: Sequence([Task("retreat", Some("cover")), Wait(3.0)])),
    Guard(when: All([IsTrue("target_visible"), Greater("ammo", 0.0)]), abort: Both, child: Parallel(policy: RequireOne, children: [
        Task("shoot", Some("target")),
        TimeLimit(seconds: 5.0, child: Task("strafe")),
    ])),
    Guard(when: IsTrue("heard_noise"), abort: Both, child: Sequence([
        Task("move_to", Some("noise_position")),
        Wait(2.0),
        Set("heard_noise", Bool(false)),
    ])),
    Cooldown(seconds: 10.0, child: Sequence([Check(Less("ammo", 0.5)), Task("reload")])),
    Sequence([Task("patrol"), Wait(1.0)]),
]))"#;

struct Npc {
    state: BehaviourState,
    board: Blackboard,
    tasks: ActiveTasks,
    log: DecisionLog,
}

struct Crowd {
    behaviour: Behaviour,
    npcs: Vec<Npc>,
    now: f32,
    rng: u64,
}

impl Crowd {
    fn new(text: &str) -> Crowd {
        let behaviour = Behaviour::from_ron(text).expect("bench behaviour is valid");
        let npcs = (0..NPCS)
            .map(|_| Npc {
                state: BehaviourState::default(),
                board: Blackboard::default(),
                tasks: ActiveTasks::default(),
                log: DecisionLog::default(),
            })
            .collect();
        Crowd {
            behaviour,
            npcs,
            now: 0.0,
            rng: 0x9e37_79b9_7f4a_7c15,
        }
    }

    /// xorshift64: a uniform number in [0, 1).
    fn random(&mut self) -> f32 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        (self.rng >> 40) as f32 / (1u64 << 24) as f32
    }

    /// One frame: `events` may change each NPC's blackboard, tasks finish after `task_seconds`,
    /// then every NPC ticks.
    fn frame(&mut self, task_seconds: f32, events: fn(&mut Blackboard, f32, f32)) {
        self.now += FRAME;
        for index in 0..self.npcs.len() {
            let roll = self.random();
            let npc = &mut self.npcs[index];
            events(&mut npc.board, roll, self.now);
            for task in npc.tasks.iter_mut() {
                if self.now - task.started > task_seconds {
                    task.status = TaskStatus::Success;
                }
            }
            let status = self.behaviour.tick(
                &mut npc.state,
                &mut npc.board,
                &mut npc.tasks,
                self.now,
                &mut npc.log,
            );
            black_box(status);
        }
    }
}

struct Keys {
    target_visible: Symbol,
    heard_noise: Symbol,
    noise_position: Symbol,
    hunger: Symbol,
    danger: Symbol,
    health: Symbol,
    ammo: Symbol,
}

fn keys() -> Keys {
    Keys {
        target_visible: Symbol::new("target_visible"),
        heard_noise: Symbol::new("heard_noise"),
        noise_position: Symbol::new("noise_position"),
        hunger: Symbol::new("hunger"),
        danger: Symbol::new("danger"),
        health: Symbol::new("health"),
        ammo: Symbol::new("ammo"),
    }
}

/// Guards: 1% of NPCs hear a noise per frame, 0.5% see or lose a target.
fn guard_events(board: &mut Blackboard, roll: f32, now: f32) {
    let keys = keys_cached();
    if roll < 0.01 {
        board.set(keys.heard_noise, Value::Bool(true));
        board.set(keys.noise_position, Value::Vec2(Vec2::new(now, roll)));
    } else if roll < 0.015 {
        let visible = board.get_bool(keys.target_visible);
        board.set(keys.target_visible, Value::Bool(!visible));
    }
}

/// Villagers: hunger creeps up every frame (so every NPC re-scores every frame, the worst
/// case), eating resets it, and 0.5% of NPCs per frame get a danger spike or calm down.
fn villager_events(board: &mut Blackboard, roll: f32, _now: f32) {
    let keys = keys_cached();
    let hunger = board.get_float(keys.hunger).unwrap_or(roll);
    let hunger = if hunger >= 1.0 { 0.0 } else { hunger + 0.002 };
    board.set(keys.hunger, Value::Float(hunger));
    if roll < 0.005 {
        board.set(
            keys.danger,
            Value::Float(if roll < 0.0025 { 0.9 } else { 0.0 }),
        );
    }
}

/// Soldiers: health, ammo and sightings change for a few NPCs per frame.
fn soldier_events(board: &mut Blackboard, roll: f32, now: f32) {
    let keys = keys_cached();
    if board.get_float(keys.ammo).is_none() {
        board.set(keys.ammo, Value::Float(1.0));
        board.set(keys.health, Value::Float(1.0));
    }
    if roll < 0.01 {
        board.set(keys.heard_noise, Value::Bool(true));
        board.set(keys.noise_position, Value::Vec2(Vec2::new(now, roll)));
    } else if roll < 0.015 {
        let visible = board.get_bool(keys.target_visible);
        board.set(keys.target_visible, Value::Bool(!visible));
    } else if roll < 0.017 {
        board.set(keys.ammo, Value::Float(roll * 20.0));
    } else if roll < 0.018 {
        board.set(keys.health, Value::Float(roll * 20.0));
    }
}

fn keys_cached() -> &'static Keys {
    static KEYS: std::sync::OnceLock<Keys> = std::sync::OnceLock::new();
    KEYS.get_or_init(keys)
}

fn bench_crowd(
    criterion: &mut Criterion,
    name: &str,
    text: &str,
    task_seconds: f32,
    events: fn(&mut Blackboard, f32, f32),
) {
    let mut crowd = Crowd::new(text);
    // Warm up: size states and task lists, spread NPCs over different branches.
    for _ in 0..240 {
        crowd.frame(task_seconds, events);
    }
    let mut group = criterion.benchmark_group("decision");
    group.throughput(Throughput::Elements(NPCS as u64));
    group.bench_function(name, |bencher| {
        bencher.iter(|| crowd.frame(task_seconds, events));
    });
    group.finish();
}

fn benches(criterion: &mut Criterion) {
    bench_crowd(criterion, "guard_tree_5000_npcs", GUARD, 1.5, guard_events);
    bench_crowd(
        criterion,
        "villager_utility_5000_npcs",
        VILLAGER,
        2.0,
        villager_events,
    );
    bench_crowd(
        criterion,
        "soldier_22_nodes_5000_npcs",
        SOLDIER,
        1.5,
        soldier_events,
    );
}

criterion_group!(decision, benches);
criterion_main!(decision);
