//! The built-in movement tasks (`move_to`, `chase`, `flee`, `wander`, `patrol`, `idle`): they
//! turn the behaviour's active task into a [`MoveIntent`], ask for paths, and report success
//! or failure back to the behaviour.

use std::time::Instant;

use bevy::log::info_span;
use bevy::prelude::*;
use bevy::utils::Parallel;
use glam::Vec2;

use super::components::{
    Locomotion, MoveIntent, NpcAgent, NpcBlackboard, NpcSlot, NpcTasks, PatrolRoute,
};
use super::keys::TaskNames;
use super::resources::{NavWorld, NpcTimings};
use crate::decision::{TaskName, TaskStatus};
use crate::schedule::Tier;

/// How close counts as arrived, beyond the agent's radius, in metres.
const ARRIVED_WITHIN: f32 = 0.4;
/// A goal that moved this far is re-planned.
const REPLAN_DISTANCE: f32 = 1.5;
/// `flee` succeeds this far from the danger, in metres.
const SAFE_DISTANCE: f32 = 15.0;

/// A path an NPC needs, collected in parallel and submitted by the navigation stage.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathNeed {
    pub entity: Entity,
    pub from: Vec2,
    pub to: Vec2,
    pub tier: Tier,
}

/// Path requests collected by [`run_builtin_tasks`] for the navigation stage.
#[derive(Resource, Default)]
pub(crate) struct PathNeeds(pub Parallel<Vec<PathNeed>>);

/// Runs the built-in tasks, in parallel, of the NPCs whose tasks changed (a decision, a game
/// system finishing a task) or whose movement changed (a steering update at their tier's rate,
/// a path answer): arrival is noticed at the NPC's avoidance rate, not every tick.
#[allow(clippy::type_complexity)]
pub(crate) fn run_builtin_tasks(
    names: Res<TaskNames>,
    nav: Res<NavWorld>,
    needs: Res<PathNeeds>,
    mut timings: ResMut<NpcTimings>,
    mut npcs: Query<
        (
            Entity,
            &NpcAgent,
            &NpcSlot,
            &NpcBlackboard,
            &mut NpcTasks,
            &mut Locomotion,
            Option<&mut PatrolRoute>,
        ),
        Or<(Changed<NpcTasks>, Changed<Locomotion>)>,
    >,
) {
    let start = Instant::now();
    let _span = info_span!("kansei_npc::tasks").entered();
    let names = *names;
    let grid = nav.grid();
    npcs.par_iter_mut()
        .batching_strategy(crate::plugin::npc_batching())
        .for_each(
            |(entity, agent, slot, blackboard, mut tasks, mut locomotion, route)| {
                let running = tasks
                    .iter()
                    .find(|t| names.is_builtin(t.name) && t.status == TaskStatus::Running)
                    .map(|t| (t.name, t.key));
                let Some((name, key)) = running else {
                    // A movement task that was cancelled or finished leaves the NPC standing,
                    // unless something else (a flow field set by the game) drives it.
                    if !matches!(
                        locomotion.intent,
                        MoveIntent::Stop | MoveIntent::FollowFlow(_)
                    ) && tasks.cancelled().iter().any(|t| names.is_builtin(t.name))
                    {
                        stop(&mut locomotion);
                    }
                    return;
                };
                let position = agent.position;
                let arrived = |goal: Vec2| position.distance(goal) <= agent.radius + ARRIVED_WITHIN;
                let key_position = key.and_then(|k| blackboard.get_vec2(k));
                let mut outcome: Option<TaskStatus> = None;
                let mut intent = locomotion.intent;
                if name == names.move_to || name == names.patrol || name == names.chase {
                    let goal = if name == names.patrol {
                        route.as_ref().and_then(|r| {
                            (!r.points.is_empty()).then(|| r.points[r.next % r.points.len()])
                        })
                    } else {
                        key_position
                    };
                    match goal {
                        None => outcome = Some(TaskStatus::Failure),
                        Some(goal) if arrived(goal) => {
                            outcome = Some(TaskStatus::Success);
                            intent = MoveIntent::Stop;
                        }
                        Some(goal) => {
                            let path_failed = locomotion.last_path_error.is_some()
                                && locomotion
                                    .path_goal
                                    .is_some_and(|g| g.distance(goal) < REPLAN_DISTANCE);
                            if path_failed {
                                outcome = Some(TaskStatus::Failure);
                                intent = MoveIntent::Stop;
                            } else if name == names.chase && grid.line_of_sight(position, goal) {
                                intent = MoveIntent::Seek(goal);
                            } else {
                                intent = MoveIntent::MoveTo(goal);
                                let stale = locomotion
                                    .path_goal
                                    .is_none_or(|g| g.distance(goal) > REPLAN_DISTANCE);
                                if stale {
                                    needs.0.scope(|list| {
                                        list.push(PathNeed {
                                            entity,
                                            from: position,
                                            to: goal,
                                            tier: slot.tier,
                                        });
                                    });
                                    locomotion.path_goal = Some(goal);
                                    locomotion.last_path_error = None;
                                    locomotion.path.clear();
                                }
                            }
                        }
                    }
                    if name == names.patrol
                        && outcome == Some(TaskStatus::Success)
                        && let Some(mut route) = route
                    {
                        route.next = (route.next + 1) % route.points.len().max(1);
                    }
                } else if name == names.flee {
                    match key_position {
                        None => outcome = Some(TaskStatus::Failure),
                        Some(danger) if position.distance(danger) >= SAFE_DISTANCE => {
                            outcome = Some(TaskStatus::Success);
                            intent = MoveIntent::Stop;
                        }
                        Some(danger) => intent = MoveIntent::Flee(danger),
                    }
                } else if name == names.wander {
                    intent = MoveIntent::Wander;
                } else if name == names.idle {
                    intent = MoveIntent::Stop;
                }
                if locomotion.intent != intent {
                    locomotion.intent = intent;
                }
                if let Some(status) = outcome {
                    finish(&mut tasks, name, status);
                }
            },
        );
    timings.decision += start.elapsed();
}

fn stop(locomotion: &mut Locomotion) {
    locomotion.intent = MoveIntent::Stop;
    locomotion.path.clear();
    locomotion.path_goal = None;
}

fn finish(tasks: &mut NpcTasks, name: TaskName, status: TaskStatus) {
    match status {
        TaskStatus::Success => tasks.succeed(name),
        TaskStatus::Failure => tasks.fail(name),
        TaskStatus::Running => {}
    }
}
