//! Behaviour-level tests: tree semantics, aborts, utility selection, the file format, errors,
//! hot reload and the decision log.

use glam::Vec2;

use super::*;

/// Asserts that a score matches a hand-computed value (to 1e-5).
pub(super) fn close(actual: f32, expected: f32) {
    assert!(
        (actual - expected).abs() < 1e-5,
        "expected {expected}, got {actual}"
    );
}

/// Everything one NPC owns, as the plugin would store it in components.
#[derive(Default)]
struct Npc {
    state: BehaviourState,
    board: Blackboard,
    tasks: ActiveTasks,
    log: DecisionLog,
}

impl Npc {
    fn tick(&mut self, behaviour: &Behaviour, now: f32) -> Status {
        behaviour.tick(
            &mut self.state,
            &mut self.board,
            &mut self.tasks,
            now,
            &mut self.log,
        )
    }

    fn set(&mut self, key: &str, value: impl Into<Value>) {
        self.board.set(Symbol::new(key), value.into());
    }

    fn running(&self, task: &str) -> bool {
        self.tasks.is_running(Symbol::new(task))
    }

    fn running_names(&self) -> Vec<&'static str> {
        self.tasks.iter().map(|task| task.name.as_str()).collect()
    }

    fn cancelled_names(&self) -> Vec<&'static str> {
        self.tasks
            .cancelled()
            .iter()
            .map(|task| task.name.as_str())
            .collect()
    }

    fn succeed(&mut self, task: &str) {
        assert!(self.running(task), "{task} is not running");
        self.tasks.succeed(Symbol::new(task));
    }

    fn fail(&mut self, task: &str) {
        assert!(self.running(task), "{task} is not running");
        self.tasks.fail(Symbol::new(task));
    }
}

fn compile(root: NodeDef) -> Behaviour {
    Behaviour::compile(&BehaviourDef::new("test", root)).unwrap()
}

fn identity() -> Curve {
    Curve::Linear {
        slope: 1.0,
        intercept: 0.0,
    }
}

/// The RON blocks of the module documentation, in order, exactly as documented.
fn documented_examples() -> Vec<String> {
    let source = include_str!("mod.rs");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in source.lines() {
        let Some(doc) = line.strip_prefix("//!") else {
            continue;
        };
        let doc = doc.strip_prefix(' ').unwrap_or(doc);
        match (&mut current, doc.trim()) {
            (None, "```ron") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), _) => {
                block.push_str(doc);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

fn guard_behaviour() -> Behaviour {
    Behaviour::from_ron(&documented_examples()[0]).unwrap()
}

// ---------------------------------------------------------------- composites and leaves

#[test]
fn sequence_runs_children_in_order_and_stops_at_failure() {
    let behaviour = compile(NodeDef::sequence([
        NodeDef::set("seq_a", true),
        NodeDef::task("seq_work"),
        NodeDef::set("seq_b", true),
    ]));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    assert!(npc.board.get_bool(Symbol::new("seq_a")));
    assert!(
        !npc.board.get_bool(Symbol::new("seq_b")),
        "blocked behind the task"
    );
    npc.succeed("seq_work");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Success);
    assert!(npc.board.get_bool(Symbol::new("seq_b")));
    assert!(npc.tasks.is_empty());

    // A failing child fails the sequence and skips the rest.
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    npc.board.remove(Symbol::new("seq_a"));
    npc.fail("seq_work");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Failure);
    assert!(!npc.board.get_bool(Symbol::new("seq_b")));
    // The finished root restarts on the next tick.
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Running);
    assert!(npc.board.get_bool(Symbol::new("seq_a")));
    assert!(npc.running("seq_work"));
}

#[test]
fn selector_tries_children_until_one_succeeds() {
    let behaviour = compile(NodeDef::selector([
        NodeDef::check(Condition::is_true("sel_ready")),
        NodeDef::task("sel_first"),
        NodeDef::task("sel_second"),
    ]));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    assert_eq!(npc.running_names(), vec!["sel_first"]);
    npc.fail("sel_first");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Running);
    assert_eq!(npc.running_names(), vec!["sel_second"], "fell through");
    npc.fail("sel_second");
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Failure, "all failed");

    npc.set("sel_ready", true);
    assert_eq!(
        npc.tick(&behaviour, 0.3),
        Status::Success,
        "first child succeeds"
    );
    assert!(npc.tasks.is_empty());
}

#[test]
fn parallel_require_all_runs_tasks_together() {
    let behaviour = compile(NodeDef::parallel(
        ParallelPolicy::RequireAll,
        [NodeDef::task("par_walk"), NodeDef::task("par_talk")],
    ));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    assert_eq!(npc.running_names(), vec!["par_walk", "par_talk"]);
    npc.succeed("par_walk");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Running);
    assert_eq!(npc.running_names(), vec!["par_talk"]);
    npc.succeed("par_talk");
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Success);

    // One failure fails the parallel and cancels the other task.
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    npc.fail("par_talk");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Failure);
    assert!(npc.tasks.is_empty());
    assert_eq!(npc.cancelled_names(), vec!["par_walk"]);
}

#[test]
fn parallel_require_one_succeeds_with_the_first_success() {
    let behaviour = compile(NodeDef::parallel(
        ParallelPolicy::RequireOne,
        [NodeDef::task("one_a"), NodeDef::task("one_b")],
    ));
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    npc.fail("one_a");
    assert_eq!(
        npc.tick(&behaviour, 0.1),
        Status::Running,
        "one failure is not enough"
    );
    npc.succeed("one_b");
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Success);

    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    npc.succeed("one_b");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Success);
    assert_eq!(npc.cancelled_names(), vec!["one_a"]);

    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    npc.fail("one_a");
    npc.fail("one_b");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Failure, "all failed");
}

#[test]
fn task_completes_only_when_its_status_is_set() {
    let behaviour = compile(NodeDef::task_with_key("chase", "task_target"));
    let mut npc = Npc::default();
    for step in 0..50 {
        assert_eq!(npc.tick(&behaviour, step as f32 * 0.1), Status::Running);
    }
    let task = *npc.tasks.iter().next().unwrap();
    assert_eq!(task.name.as_str(), "chase");
    assert_eq!(task.key, Some(Symbol::new("task_target")));
    assert_eq!(task.started, 0.0, "started once, not restarted every tick");
    assert_eq!(task.status, TaskStatus::Running);
    assert_eq!(npc.tasks.len(), 1);

    npc.tasks.get_mut(Symbol::new("chase")).unwrap().status = TaskStatus::Success;
    assert_eq!(npc.tick(&behaviour, 5.0), Status::Success);
    assert!(npc.tasks.is_empty());
    assert!(
        npc.tasks.cancelled().is_empty(),
        "finishing is not cancelling"
    );

    npc.tick(&behaviour, 5.1);
    npc.fail("chase");
    assert_eq!(npc.tick(&behaviour, 5.2), Status::Failure);
}

#[test]
fn wait_set_clear_and_check_leaves() {
    let behaviour = compile(NodeDef::sequence([
        NodeDef::wait(2.0),
        NodeDef::set("leaf_spot", Vec2::new(1.0, 2.0)),
        NodeDef::clear("leaf_old"),
        NodeDef::check(Condition::is_set("leaf_spot")),
    ]));
    let mut npc = Npc::default();
    npc.set("leaf_old", 1.0);
    assert_eq!(npc.tick(&behaviour, 10.0), Status::Running);
    assert_eq!(npc.tick(&behaviour, 11.9), Status::Running);
    assert!(npc.board.contains(Symbol::new("leaf_old")));
    assert_eq!(npc.tick(&behaviour, 12.0), Status::Success);
    assert_eq!(
        npc.board.get_vec2(Symbol::new("leaf_spot")),
        Some(Vec2::new(1.0, 2.0))
    );
    assert!(!npc.board.contains(Symbol::new("leaf_old")));
}

#[test]
fn invert_and_succeed_decorators() {
    let inverted = compile(NodeDef::invert(NodeDef::task("inv_task")));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&inverted, 0.0), Status::Running);
    npc.succeed("inv_task");
    assert_eq!(npc.tick(&inverted, 0.1), Status::Failure);
    npc.tick(&inverted, 0.2);
    npc.fail("inv_task");
    assert_eq!(npc.tick(&inverted, 0.3), Status::Success);

    let forced = compile(NodeDef::succeed(NodeDef::check(Condition::is_true(
        "succ_never",
    ))));
    assert_eq!(Npc::default().tick(&forced, 0.0), Status::Success);
}

#[test]
fn repeat_runs_the_child_the_given_number_of_times() {
    let behaviour = compile(NodeDef::repeat(Some(3), NodeDef::task("rep_dig")));
    let mut npc = Npc::default();
    let mut starts = 0;
    let mut now = 0.0;
    let mut status = Status::Running;
    for _ in 0..20 {
        now += 0.1;
        status = npc.tick(&behaviour, now);
        if status != Status::Running {
            break;
        }
        if let Some(task) = npc.tasks.get_mut(Symbol::new("rep_dig")) {
            if task.started == now {
                starts += 1;
            }
            task.status = TaskStatus::Success;
        }
    }
    assert_eq!(status, Status::Success);
    assert_eq!(starts, 3);

    // A failing child fails the repeat.
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    npc.fail("rep_dig");
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Failure);

    // `None` repeats forever; `Some(0)` succeeds at once.
    let forever = compile(NodeDef::repeat(None, NodeDef::wait(0.0)));
    let mut npc = Npc::default();
    for step in 0..10 {
        assert_eq!(npc.tick(&forever, step as f32), Status::Running);
    }
    let never = compile(NodeDef::repeat(Some(0), NodeDef::task("rep_never")));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&never, 0.0), Status::Success);
    assert!(npc.tasks.is_empty());
}

#[test]
fn cooldown_blocks_the_child_after_it_finishes() {
    let behaviour = compile(NodeDef::selector([
        NodeDef::cooldown(5.0, NodeDef::task("cd_shout")),
        NodeDef::task("cd_idle"),
    ]));
    let mut npc = Npc::default();
    let mut shouts = Vec::new();
    for step in 0..=100 {
        let now = step as f32 * 0.1;
        npc.tick(&behaviour, now);
        if let Some(task) = npc.tasks.iter_mut().next() {
            if task.name.as_str() == "cd_shout" && task.started == now {
                shouts.push(now);
            }
            // Every task finishes on the tick after it starts.
            if task.started < now {
                task.status = TaskStatus::Success;
            }
        }
    }
    // The shout starts at 0, finishes (and starts its cool-down) at 0.2, can start again at
    // the first root restart at or after 5.2.
    assert_eq!(shouts.len(), 2, "{shouts:?}");
    assert_eq!(shouts[0], 0.0);
    assert!(shouts[1] >= 5.2 - 1e-4 && shouts[1] < 5.6, "{shouts:?}");
}

#[test]
fn time_limit_aborts_a_slow_child() {
    let behaviour = compile(NodeDef::time_limit(3.0, NodeDef::task("tl_dig")));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 1.0), Status::Running);
    assert_eq!(npc.tick(&behaviour, 3.9), Status::Running);
    assert_eq!(npc.tick(&behaviour, 4.0), Status::Failure);
    assert_eq!(npc.cancelled_names(), vec!["tl_dig"]);
    assert!(npc.tasks.is_empty());
    let record = npc.log.last().unwrap();
    assert_eq!(record.cause, DecisionCause::TimeLimit);
    assert_eq!(record.choice.as_str(), "Task(tl_dig)");
    // Cancellations are reported once.
    npc.tick(&behaviour, 4.1);
    assert!(npc.tasks.cancelled().is_empty());
}

// ---------------------------------------------------------------- conditional aborts

#[test]
fn lower_priority_abort_preempts_patrol_in_the_same_tick() {
    let behaviour = guard_behaviour();
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    assert_eq!(npc.running_names(), vec!["patrol"]);
    assert_eq!(npc.log.last().unwrap().cause, DecisionCause::BranchStarted);

    npc.set("heard_noise", true);
    npc.set("noise_position", Vec2::new(4.0, 5.0));
    assert_eq!(npc.tick(&behaviour, 0.5), Status::Running);
    assert_eq!(npc.cancelled_names(), vec!["patrol"]);
    assert_eq!(npc.running_names(), vec!["move_to"]);
    let move_to = npc.tasks.get_mut(Symbol::new("move_to")).unwrap();
    assert_eq!(move_to.key, Some(Symbol::new("noise_position")));
    assert_eq!(move_to.started, 0.5);

    let guard = behaviour.find_node("Guard(IsTrue(heard_noise))").unwrap();
    let records: Vec<DecisionRecord> = npc.log.iter().copied().collect();
    assert_eq!(records[0].cause, DecisionCause::BranchStarted);
    assert_eq!(records[0].choice.as_str(), "Guard(IsTrue(heard_noise))");
    assert_eq!(records[1].cause, DecisionCause::Abort { guard });
    assert_eq!(records[1].node, NodeId::ROOT);
    assert_eq!(records[1].time, 0.5);

    // The noise branch runs to its end: move, wait 2 s, clear the flag, then patrol again.
    npc.succeed("move_to");
    assert_eq!(npc.tick(&behaviour, 1.0), Status::Running, "waiting");
    assert!(npc.tasks.is_empty());
    assert_eq!(npc.tick(&behaviour, 3.0), Status::Success);
    assert!(!npc.board.get_bool(Symbol::new("heard_noise")));
    npc.tick(&behaviour, 3.1);
    assert_eq!(npc.running_names(), vec!["patrol"]);

    // A visible target pre-empts the noise branch too (higher priority still).
    npc.set("heard_noise", true);
    npc.tick(&behaviour, 3.2);
    assert_eq!(npc.running_names(), vec!["move_to"]);
    npc.set("target_visible", true);
    npc.tick(&behaviour, 3.3);
    assert_eq!(npc.cancelled_names(), vec!["move_to"]);
    assert_eq!(npc.running_names(), vec!["chase"]);
}

#[test]
fn lower_priority_abort_reaches_through_nested_selectors() {
    let behaviour = compile(NodeDef::selector([
        NodeDef::selector([
            NodeDef::guard(
                Condition::is_true("nest_alarm"),
                Abort::LowerPriority,
                NodeDef::task("nest_flee"),
            ),
            NodeDef::check(Condition::is_true("nest_never")),
        ]),
        NodeDef::task("nest_idle"),
    ]));
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    assert_eq!(npc.running_names(), vec!["nest_idle"]);
    npc.set("nest_alarm", true);
    npc.tick(&behaviour, 0.1);
    assert_eq!(npc.cancelled_names(), vec!["nest_idle"]);
    assert_eq!(npc.running_names(), vec!["nest_flee"]);
}

#[test]
fn lower_priority_abort_fires_on_a_change_to_true_only() {
    // The guard's condition holds but its branch fails, so the selector runs the fallback.
    // Touching the guard's key without changing the condition's result must not restart it.
    let behaviour = compile(NodeDef::selector([
        NodeDef::guard(
            Condition::greater("edge_hunger", 0.5),
            Abort::LowerPriority,
            NodeDef::task("edge_eat"),
        ),
        NodeDef::task("edge_wander"),
    ]));
    let mut npc = Npc::default();
    npc.set("edge_hunger", 0.8);
    npc.tick(&behaviour, 0.0);
    npc.fail("edge_eat");
    npc.tick(&behaviour, 0.1);
    assert_eq!(npc.running_names(), vec!["edge_wander"]);
    npc.set("edge_hunger", 0.9);
    npc.tick(&behaviour, 0.2);
    assert_eq!(
        npc.running_names(),
        vec!["edge_wander"],
        "still true: no abort"
    );
    npc.set("edge_hunger", 0.1);
    npc.tick(&behaviour, 0.3);
    npc.set("edge_hunger", 0.7);
    npc.tick(&behaviour, 0.4);
    assert_eq!(npc.running_names(), vec!["edge_eat"], "turned true: abort");
}

#[test]
fn self_only_abort_when_the_condition_turns_false() {
    let guarded = |abort| {
        compile(NodeDef::selector([
            NodeDef::guard(Condition::is_true("armed"), abort, NodeDef::task("fight")),
            NodeDef::task("run_away"),
        ]))
    };
    let behaviour = guarded(Abort::SelfOnly);
    let mut npc = Npc::default();
    npc.set("armed", true);
    npc.tick(&behaviour, 0.0);
    assert_eq!(npc.running_names(), vec!["fight"]);
    npc.tick(&behaviour, 0.1);
    assert_eq!(npc.running_names(), vec!["fight"]);

    npc.set("armed", false);
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Running);
    assert_eq!(npc.cancelled_names(), vec!["fight"]);
    assert_eq!(
        npc.running_names(),
        vec!["run_away"],
        "selector moved on in the same tick"
    );
    let guard = behaviour.find_node("Guard(IsTrue(armed))").unwrap();
    let records: Vec<DecisionRecord> = npc.log.iter().copied().take(2).collect();
    assert_eq!(records[1].cause, DecisionCause::ConditionLost { guard });
    assert_eq!(records[0].choice.as_str(), "Task(run_away)");

    // SelfOnly does not pre-empt lower priorities: arming again keeps running away.
    npc.set("armed", true);
    npc.tick(&behaviour, 0.3);
    assert_eq!(npc.running_names(), vec!["run_away"]);

    // Without an abort mode the branch keeps running when the condition turns false.
    let behaviour = guarded(Abort::None);
    let mut npc = Npc::default();
    npc.set("armed", true);
    npc.tick(&behaviour, 0.0);
    npc.set("armed", false);
    npc.tick(&behaviour, 0.1);
    assert_eq!(npc.running_names(), vec!["fight"]);
    assert!(npc.tasks.cancelled().is_empty());
}

#[test]
fn aborts_are_reevaluated_only_when_a_watched_key_changed() {
    let behaviour = guard_behaviour();
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    assert_eq!(npc.running_names(), vec!["patrol"]);
    assert_eq!(npc.state.observer_evaluations(), 0);

    // Unrelated keys change every tick: no guard re-evaluates.
    for step in 1..20 {
        npc.set("mood", step as f32);
        npc.set("noise_position", Vec2::new(step as f32, 0.0));
        npc.tick(&behaviour, step as f32 * 0.1);
    }
    assert_eq!(npc.state.observer_evaluations(), 0);

    // Writing a watched key with the value it already reads as is still a change the first
    // time (missing -> Bool(false)): exactly that guard re-evaluates once, nothing is aborted.
    npc.set("heard_noise", false);
    npc.tick(&behaviour, 2.0);
    assert_eq!(npc.state.observer_evaluations(), 1);
    assert_eq!(npc.running_names(), vec!["patrol"]);
    // Writing the same value again is no change: no re-evaluation on this or later ticks.
    npc.set("heard_noise", false);
    for step in 0..5 {
        npc.tick(&behaviour, 2.1 + step as f32 * 0.1);
    }
    assert_eq!(npc.state.observer_evaluations(), 1);

    // Both guards' keys change: both re-evaluate, once.
    npc.set("heard_noise", true);
    npc.set("target_visible", false);
    npc.tick(&behaviour, 3.0);
    assert_eq!(npc.state.observer_evaluations(), 3);
    assert_eq!(npc.running_names(), vec!["move_to"]);
    // The running noise branch (abort: Both) watches its own key and the target guard watches
    // target_visible; with no further changes nothing re-evaluates.
    for step in 0..5 {
        npc.tick(&behaviour, 3.1 + step as f32 * 0.1);
    }
    assert_eq!(npc.state.observer_evaluations(), 3);
}

// ---------------------------------------------------------------- utility

fn two_way_utility(momentum: f32) -> Behaviour {
    let action = |name: &str, key: &str| {
        UtilityActionDef::new(
            name,
            1.0,
            [Consideration::new(Input::key(key, 0.0, 1.0), identity())],
            NodeDef::task(name),
        )
    };
    compile(NodeDef::utility(
        momentum,
        [
            action("go_left", "left_score"),
            action("go_right", "right_score"),
        ],
    ))
}

/// Counts how often the running task changes while two scores wobble around equality.
fn count_switches(momentum: f32) -> usize {
    let behaviour = two_way_utility(momentum);
    let mut npc = Npc::default();
    let mut rng = 0x2545_f491_4f6c_dd1d_u64;
    let mut previous = None;
    let mut switches = 0;
    for step in 0..200 {
        // xorshift64 noise in [-0.02, 0.02]
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let noise = ((rng >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 0.04;
        npc.set("left_score", 0.5 + noise);
        npc.set("right_score", 0.5 - noise);
        npc.tick(&behaviour, step as f32 * 0.1);
        let running = npc.tasks.iter().next().map(|task| task.name);
        assert!(running.is_some());
        if previous.is_some() && running != previous {
            switches += 1;
        }
        previous = running;
    }
    switches
}

#[test]
fn momentum_stops_dithering_between_close_scores() {
    let without = count_switches(0.0);
    let with = count_switches(0.25);
    assert!(
        without > 50,
        "momentum 0 should switch often, got {without}"
    );
    assert_eq!(with, 0, "momentum 0.25 should hold the first choice");
}

#[test]
fn utility_switches_on_real_changes_and_logs_scores() {
    let behaviour = Behaviour::from_ron(&documented_examples()[1]).unwrap();
    let mut npc = Npc::default();
    npc.set("hunger", 0.9);
    npc.tick(&behaviour, 0.0);
    // eat: 0.9^2 = 0.81 beats work: 0.8 * 0.6 = 0.48 and flee: 2 / (1 + e^(12 * 0.4)) = 0.0163.
    assert_eq!(npc.running_names(), vec!["eat"]);
    let record = *npc.log.last().unwrap();
    assert_eq!(record.cause, DecisionCause::UtilityPick);
    assert_eq!(record.choice.as_str(), "eat");
    assert!((record.score.unwrap() - 0.81).abs() < 1e-5);
    let (runner_up, runner_up_score) = record.runner_up.unwrap();
    assert_eq!(runner_up.as_str(), "work");
    assert!((runner_up_score - 0.48).abs() < 1e-5);

    // Hunger drops to 0.65: eat = 0.4225 * 1.25 (momentum) = 0.528 > 0.48, so it keeps eating.
    npc.set("hunger", 0.65);
    npc.tick(&behaviour, 0.1);
    assert_eq!(npc.running_names(), vec!["eat"]);
    // 0.6: eat = 0.36 * 1.25 = 0.45 < 0.48: switch to work, eating is cancelled.
    npc.set("hunger", 0.6);
    npc.tick(&behaviour, 0.2);
    assert_eq!(npc.running_names(), vec!["work"]);
    assert_eq!(npc.cancelled_names(), vec!["eat"]);
    assert_eq!(npc.log.last().unwrap().choice.as_str(), "work");
    // Danger 0.8: flee = 2 / (1 + e^(-12 * 0.4)) = 1.9837.
    npc.set("danger", 0.8);
    npc.set("danger_position", Vec2::new(3.0, 0.0));
    npc.tick(&behaviour, 0.3);
    assert_eq!(npc.running_names(), vec!["flee"]);
    let record = *npc.log.last().unwrap();
    assert!((record.score.unwrap() - 1.983_74).abs() < 1e-4);
    assert_eq!(
        npc.tasks.iter().next().unwrap().key,
        Some(Symbol::new("danger_position"))
    );
}

#[test]
fn utility_score_uses_the_compensation_factor() {
    let considerations =
        [0.5, 0.8, 1.0].map(|value| Consideration::new(Input::constant(value), identity()));
    let behaviour = compile(NodeDef::utility(
        0.0,
        [
            UtilityActionDef::new("comp_many", 2.0, considerations, NodeDef::task("comp_many")),
            UtilityActionDef::new("comp_plain", 1.0, [], NodeDef::task("comp_plain")),
        ],
    ));
    let mut npc = Npc::default();
    npc.tick(&behaviour, 0.0);
    let record = *npc.log.last().unwrap();
    // n = 3, modification 2/3: 0.5 -> 0.6666667, 0.8 -> 0.9066667, 1 -> 1;
    // 2 * 0.6666667 * 0.9066667 = 1.2088889 (uncompensated it would be 0.8 and lose to 1.0).
    assert_eq!(record.choice.as_str(), "comp_many");
    assert!((record.score.unwrap() - 1.208_888_9).abs() < 1e-5);
    let (runner_up, score) = record.runner_up.unwrap();
    assert_eq!(runner_up.as_str(), "comp_plain");
    assert_eq!(score, 1.0);
}

#[test]
fn utility_fails_when_nothing_scores_and_ties_go_to_the_first_action() {
    let action = |name: &str, weight: f32| {
        UtilityActionDef::new(
            name,
            weight,
            [Consideration::new(
                Input::key("tie_need", 0.0, 1.0),
                identity(),
            )],
            NodeDef::task(name),
        )
    };
    let behaviour = compile(NodeDef::utility(
        0.0,
        [action("tie_first", 1.0), action("tie_second", 1.0)],
    ));
    let mut npc = Npc::default();
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Failure);
    assert!(npc.tasks.is_empty());
    npc.set("tie_need", 0.5);
    assert_eq!(npc.tick(&behaviour, 0.1), Status::Running);
    assert_eq!(npc.running_names(), vec!["tie_first"]);
    // The need vanishes while running: the running action is aborted and the node fails.
    npc.set("tie_need", 0.0);
    assert_eq!(npc.tick(&behaviour, 0.2), Status::Failure);
    assert_eq!(npc.cancelled_names(), vec!["tie_first"]);
}

// ---------------------------------------------------------------- file format

#[test]
fn documented_guard_example_parses_and_runs() {
    let examples = documented_examples();
    assert_eq!(
        examples.len(),
        2,
        "the module docs should hold two RON examples"
    );
    assert!(examples[0].contains("name: \"guard\""));
    let behaviour = Behaviour::from_ron(&examples[0]).unwrap();
    assert_eq!(behaviour.name(), "guard");
    assert_eq!(behaviour.node_count(), 11);
    assert_eq!(behaviour.node_label(NodeId::ROOT), "Selector");
    assert_eq!(behaviour.node_label(NodeId(2)), "Task(chase)");
    assert_eq!(behaviour.node_label(NodeId(6)), "Wait(2s)");
    assert_eq!(behaviour.node_label(NodeId(99)), "");
    let mut npc = Npc::default();
    npc.set("target_visible", true);
    npc.set("target_position", Vec2::new(1.0, 1.0));
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    let chase = npc.tasks.iter().next().unwrap();
    assert_eq!(chase.name.as_str(), "chase");
    assert_eq!(chase.key, Some(Symbol::new("target_position")));
}

#[test]
fn documented_villager_example_parses_and_runs() {
    let examples = documented_examples();
    assert!(examples[1].contains("name: \"villager\""));
    let behaviour = Behaviour::from_ron(&examples[1]).unwrap();
    assert_eq!(behaviour.name(), "villager");
    let mut npc = Npc::default();
    // Nothing set: flee ~0.016, eat 0, work 0.48.
    assert_eq!(npc.tick(&behaviour, 0.0), Status::Running);
    assert_eq!(npc.running_names(), vec!["work"]);
    npc.succeed("work");
    assert_eq!(npc.tick(&behaviour, 1.0), Status::Success);
}

#[test]
fn builders_match_the_file_format_and_round_trip() {
    let built = BehaviourDef::new(
        "guard",
        NodeDef::selector([
            NodeDef::guard(
                Condition::is_true("target_visible"),
                Abort::LowerPriority,
                NodeDef::task_with_key("chase", "target_position"),
            ),
            NodeDef::guard(
                Condition::is_true("heard_noise"),
                Abort::Both,
                NodeDef::sequence([
                    NodeDef::task_with_key("move_to", "noise_position"),
                    NodeDef::wait(2.0),
                    NodeDef::set("heard_noise", false),
                ]),
            ),
            NodeDef::sequence([NodeDef::task("patrol"), NodeDef::wait(1.0)]),
        ]),
    );
    let parsed = BehaviourDef::from_ron(&documented_examples()[0]).unwrap();
    assert_eq!(built, parsed);
    let villager = BehaviourDef::from_ron(&documented_examples()[1]).unwrap();
    let built_villager = BehaviourDef::new(
        "villager",
        NodeDef::utility(
            0.25,
            [
                UtilityActionDef::new(
                    "flee",
                    2.0,
                    [Consideration::new(
                        Input::key("danger", 0.0, 1.0),
                        Curve::Logistic {
                            steepness: 12.0,
                            midpoint: 0.4,
                        },
                    )],
                    NodeDef::task_with_key("flee", "danger_position"),
                ),
                UtilityActionDef::new(
                    "eat",
                    1.0,
                    [Consideration::new(
                        Input::key("hunger", 0.0, 1.0),
                        Curve::Quadratic {
                            exponent: 2.0,
                            slope: 1.0,
                            shift: 0.0,
                            intercept: 0.0,
                        },
                    )],
                    NodeDef::task("eat"),
                ),
                UtilityActionDef::new(
                    "work",
                    0.8,
                    [Consideration::new(Input::constant(0.6), identity())],
                    NodeDef::task("work"),
                ),
            ],
        ),
    );
    assert_eq!(built_villager, villager);

    // Every node kind, every condition and curve, named considerations, all value types.
    let everything = BehaviourDef::new(
        "everything",
        NodeDef::parallel(
            ParallelPolicy::RequireOne,
            [
                NodeDef::invert(NodeDef::succeed(NodeDef::clear("rt_a"))),
                NodeDef::repeat(Some(3), NodeDef::cooldown(1.5, NodeDef::wait(0.5))),
                NodeDef::repeat(None, NodeDef::time_limit(4.0, NodeDef::task("rt_dig"))),
                NodeDef::check(Condition::all([
                    Condition::is_false("rt_b"),
                    Condition::negate(Condition::is_set("rt_c")),
                    Condition::any([
                        Condition::less("rt_d", 0.25),
                        Condition::greater("rt_d", 0.75),
                        Condition::near("rt_e", "rt_f", 2.0),
                    ]),
                ])),
                NodeDef::sequence([
                    NodeDef::set("rt_v", Vec2::new(1.5, -2.0)),
                    NodeDef::set("rt_t", Value::Target(42)),
                    NodeDef::set("rt_f", 0.25),
                ]),
                NodeDef::utility(
                    0.1,
                    [UtilityActionDef::new(
                        "rt_act",
                        1.0,
                        [Consideration::named(
                            "rt_named",
                            Input::key("rt_d", -1.0, 1.0),
                            Curve::Piecewise(vec![(0.0, 0.0), (0.5, 1.0), (1.0, 0.0)]),
                        )],
                        NodeDef::guard(
                            Condition::is_true("rt_g"),
                            Abort::SelfOnly,
                            NodeDef::task("rt_h"),
                        ),
                    )],
                ),
            ],
        ),
    );
    for def in [built, built_villager, everything] {
        let text = def.to_ron().unwrap();
        let back = BehaviourDef::from_ron(&text).unwrap_or_else(|error| panic!("{error}\n{text}"));
        assert_eq!(back, def, "{text}");
        Behaviour::compile(&back).unwrap();
    }
}

#[test]
fn implicit_some_and_defaults_are_accepted() {
    let short = BehaviourDef::from_ron(
        r#"Behaviour(name: "s", root: Sequence([
            Task("chase", "target"),
            Repeat(times: 2, child: Wait(1)),
            Repeat(child: Guard(when: IsSet("x"), child: Task("y"))),
        ]))"#,
    )
    .unwrap();
    let long = BehaviourDef::new(
        "s",
        NodeDef::sequence([
            NodeDef::task_with_key("chase", "target"),
            NodeDef::repeat(Some(2), NodeDef::wait(1.0)),
            NodeDef::repeat(
                None,
                NodeDef::guard(Condition::is_set("x"), Abort::None, NodeDef::task("y")),
            ),
        ]),
    );
    assert_eq!(short, long);
}

// ---------------------------------------------------------------- errors

fn parse_error(text: &str) -> (usize, usize, String) {
    match Behaviour::from_ron(text) {
        Err(BehaviourError::Parse {
            line,
            column,
            message,
        }) => (line, column, message),
        other => panic!("expected a parse error, got {other:?}"),
    }
}

#[test]
fn malformed_ron_reports_line_and_column() {
    // Missing comma after `Task("a")`: reported at the next token, `Task("b")` on line 5,
    // after 8 spaces of indentation.
    let (line, column, message) = parse_error(
        "Behaviour(\n    name: \"x\",\n    root: Selector([\n        Task(\"a\")\n        Task(\"b\"),\n    ]),\n)",
    );
    assert_eq!((line, column), (5, 9));
    assert!(message.contains("comma"), "{message}");

    // Unknown node kind: `    root: Sequence([Tsk` -> the `T` of `Tsk` is column 21.
    let (line, column, message) =
        parse_error("Behaviour(\n    name: \"x\",\n    root: Sequence([Tsk(\"a\")]),\n)");
    assert_eq!((line, column), (3, 21));
    assert!(message.contains("`Tsk`"), "{message}");

    // Unknown abort mode at column 41 of line 3.
    let (line, column, message) = parse_error(
        "Behaviour(\n  name: \"x\",\n  root: Guard(when: IsTrue(\"a\"), abort: Sometimes, child: Task(\"a\")),\n)",
    );
    assert_eq!((line, column), (3, 41));
    assert!(message.contains("Sometimes"), "{message}");

    // A string where a number belongs: the `"` after `Wait(` is column 16.
    let (line, column, _) =
        parse_error("Behaviour(\n    name: \"x\",\n    root: Wait(\"two\"),\n)");
    assert_eq!((line, column), (3, 16));

    // The named-key spelling is not RON (positional and named values cannot mix).
    let (line, column, _) =
        parse_error("Behaviour(name: \"x\", root: Task(\"chase\", key: Some(\"t\")))");
    assert_eq!((line, column), (1, 42));

    let error = BehaviourDef::from_ron("Behaviour(\n    name: \"x\",\n    root: Wait(\"two\"),\n)")
        .unwrap_err();
    assert_eq!(error.to_string(), "line 3, column 16: Expected float");
}

fn invalid(root: NodeDef) -> (String, String) {
    match Behaviour::compile(&BehaviourDef::new("bad", root)) {
        Err(BehaviourError::Invalid { path, message }) => (path, message),
        other => panic!("expected an invalid error, got {other:?}"),
    }
}

#[test]
fn invalid_definitions_report_the_path() {
    let (path, message) = invalid(NodeDef::selector([
        NodeDef::task("a"),
        NodeDef::guard(Condition::is_true("x"), Abort::Both, NodeDef::sequence([])),
    ]));
    assert_eq!(path, "root.Selector[1].Guard.child.Sequence");
    assert_eq!(message, "a Sequence needs at least one child");

    let (path, message) = invalid(NodeDef::sequence([NodeDef::wait(-1.0)]));
    assert_eq!(path, "root.Sequence[0].Wait.seconds");
    assert!(
        message.contains(">= 0") && message.contains("-1"),
        "{message}"
    );

    let villager = |momentum: f32, weight: f32, curve: Curve, input: Input| {
        NodeDef::utility(
            momentum,
            [
                UtilityActionDef::new("ok", 1.0, [], NodeDef::task("ok")),
                UtilityActionDef::new(
                    "bad",
                    weight,
                    [
                        Consideration::new(Input::constant(0.5), identity()),
                        Consideration::new(input, curve),
                    ],
                    NodeDef::task("bad"),
                ),
            ],
        )
    };
    let (path, message) = invalid(villager(
        0.2,
        1.0,
        Curve::Piecewise(vec![(0.0, 0.0), (0.6, 1.0), (0.4, 0.5)]),
        Input::constant(0.5),
    ));
    assert_eq!(path, "root.Utility.actions[1].considerations[1].curve");
    assert!(message.contains("strictly increasing"), "{message}");
    let (path, _) = invalid(villager(
        0.2,
        1.0,
        Curve::Piecewise(vec![(0.0, 0.0)]),
        Input::constant(0.5),
    ));
    assert_eq!(path, "root.Utility.actions[1].considerations[1].curve");
    let (path, _) = invalid(villager(
        0.2,
        1.0,
        Curve::Logistic {
            steepness: f32::NAN,
            midpoint: 0.5,
        },
        Input::constant(0.5),
    ));
    assert_eq!(path, "root.Utility.actions[1].considerations[1].curve");
    let (path, _) = invalid(villager(0.2, 1.0, identity(), Input::key("k", 1.0, 1.0)));
    assert_eq!(path, "root.Utility.actions[1].considerations[1].input");
    let (path, _) = invalid(villager(0.2, -0.5, identity(), Input::constant(0.5)));
    assert_eq!(path, "root.Utility.actions[1].weight");
    let (path, _) = invalid(villager(-0.2, 1.0, identity(), Input::constant(0.5)));
    assert_eq!(path, "root.Utility.momentum");
    let (path, message) = invalid(NodeDef::utility(0.0, []));
    assert_eq!(
        (path.as_str(), message.as_str()),
        ("root.Utility", "a Utility node needs at least one action")
    );

    let (path, _) = invalid(NodeDef::set("k", f32::NAN));
    assert_eq!(path, "root.Set.value");
    let (path, _) = invalid(NodeDef::cooldown(f32::INFINITY, NodeDef::task("a")));
    assert_eq!(path, "root.Cooldown.seconds");
    let (path, _) = invalid(NodeDef::invert(NodeDef::time_limit(
        -2.0,
        NodeDef::task("a"),
    )));
    assert_eq!(path, "root.Invert.child.TimeLimit.seconds");
    let (path, _) = invalid(NodeDef::parallel(ParallelPolicy::RequireAll, []));
    assert_eq!(path, "root.Parallel");
    let (path, message) = invalid(NodeDef::guard(
        Condition::all([Condition::is_true("a"), Condition::any([])]),
        Abort::None,
        NodeDef::task("a"),
    ));
    assert_eq!(path, "root.Guard.when.All[1].Any");
    assert!(message.contains("at least one"), "{message}");
    let (path, _) = invalid(NodeDef::check(Condition::less("a", f32::NAN)));
    assert_eq!(path, "root.Check.condition");

    // NaN written in a file is caught by validation, with the path.
    let error =
        Behaviour::from_ron("Behaviour(name: \"n\", root: Sequence([Task(\"a\"), Wait(NaN)]))")
            .unwrap_err();
    assert_eq!(
        error.to_string(),
        "root.Sequence[1].Wait.seconds: seconds must be a finite number >= 0, got NaN"
    );
}

// ---------------------------------------------------------------- hot reload, log, threading

#[test]
fn swapping_in_a_different_behaviour_restarts_cleanly() {
    let guard = guard_behaviour();
    let villager = Behaviour::from_ron(&documented_examples()[1]).unwrap();
    let tiny = compile(NodeDef::task("tiny"));
    let mut npc = Npc::default();
    npc.set("heard_noise", true);
    npc.tick(&guard, 0.0);
    assert_eq!(npc.running_names(), vec!["move_to"]);

    // Villager (fewer nodes): the guard's task is cancelled and the villager starts.
    npc.set("hunger", 1.0);
    assert_eq!(npc.tick(&villager, 0.1), Status::Running);
    assert_eq!(npc.cancelled_names(), vec!["move_to"]);
    assert_eq!(npc.running_names(), vec!["eat"]);
    assert_eq!(npc.state.behaviour_id(), villager.id());
    assert_eq!(npc.state.active_nodes().count(), 2, "Utility + Task(eat)");

    // A game system finishing a task that no longer exists is harmless.
    npc.tasks.succeed(Symbol::new("move_to"));
    // One node only, then back to a bigger tree; also a recompiled copy of the same file.
    assert_eq!(npc.tick(&tiny, 0.2), Status::Running);
    assert_eq!(npc.running_names(), vec!["tiny"]);
    npc.tick(&guard, 0.3);
    assert_eq!(npc.cancelled_names(), vec!["tiny"]);
    assert_eq!(npc.running_names(), vec!["move_to"]);
    let reloaded = guard_behaviour();
    assert_ne!(reloaded.id(), guard.id());
    npc.tick(&reloaded, 0.4);
    assert_eq!(npc.cancelled_names(), vec!["move_to"]);
    assert_eq!(npc.running_names(), vec!["move_to"]);
    assert_eq!(
        npc.tasks.iter().next().unwrap().started,
        0.4,
        "started afresh"
    );

    // An explicit reset restarts too.
    npc.state.reset();
    npc.tick(&reloaded, 0.5);
    assert_eq!(npc.tasks.iter().next().unwrap().started, 0.5);
}

#[test]
fn decision_log_keeps_the_last_sixteen_decisions_newest_first() {
    let behaviour = two_way_utility(0.0);
    let mut npc = Npc::default();
    for step in 0..30 {
        let left = if step % 2 == 0 { 0.9 } else { 0.1 };
        npc.set("left_score", left);
        npc.set("right_score", 1.0 - left);
        npc.tick(&behaviour, step as f32);
    }
    assert_eq!(npc.log.len(), 16);
    let records: Vec<DecisionRecord> = npc.log.iter().copied().collect();
    assert_eq!(records.len(), 16);
    for (age, record) in records.iter().enumerate() {
        let step = 29 - age;
        assert_eq!(record.time, step as f32);
        assert_eq!(record.cause, DecisionCause::UtilityPick);
        let expected = if step % 2 == 0 { "go_left" } else { "go_right" };
        assert_eq!(record.choice.as_str(), expected);
        assert!((record.score.unwrap() - 0.9).abs() < 1e-6);
    }
    assert_eq!(npc.log.last().unwrap().time, 29.0);
}

#[test]
fn behaviours_are_shared_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Behaviour>();
    assert_send_sync::<BehaviourState>();
    assert_send_sync::<Blackboard>();
    assert_send_sync::<ActiveTasks>();
    assert_send_sync::<DecisionLog>();

    let behaviour = std::sync::Arc::new(guard_behaviour());
    let handles: Vec<_> = (0..4)
        .map(|thread| {
            let behaviour = behaviour.clone();
            std::thread::spawn(move || {
                let mut npc = Npc::default();
                npc.tick(&behaviour, 0.0);
                if thread % 2 == 1 {
                    npc.set("heard_noise", true);
                }
                npc.tick(&behaviour, 0.1);
                npc.running_names()
            })
        })
        .collect();
    let results: Vec<Vec<&str>> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(
        results,
        vec![
            vec!["patrol"],
            vec!["move_to"],
            vec!["patrol"],
            vec!["move_to"]
        ]
    );
}
