//! NPCs in a small town: guards that patrol, investigate noises and chase you (a behaviour
//! tree), villagers that work, eat, rest and flee from danger (utility AI), and a crowd walking
//! between the town's exits along flow fields, all driven by [`NpcPlugin`].
//!
//! You are the red figure; a bot walks you around the town until you touch a movement key.
//! Guards (blue) see you within their cones and chase you; `Space` makes a noise that every
//! NPC within 18 m hears (guards come to look; villagers and the crowd keep away from danger).
//! Villagers are yellow, the crowd grey. The panel on the left shows what the nearest guard
//! decided last, with its scores, and what each stage cost in the last tick.
//!
//! The behaviours are RON files in `assets/npc/` loaded through the asset server; with Bevy's
//! `file_watcher` feature, edits apply while the example runs, and a broken edit is reported
//! with its line and column while the NPCs keep their last good behaviour.
//!
//! ```text
//! cargo run --example npc
//! ```
//!
//! Keys: arrows or `WASD` move you; `B` hands you back to the bot; `Space` makes a noise; `G`
//! toggles the debug gizmos (sight cones, paths, flow fields, each NPC's last decision as a
//! coloured ring with its score as a bar).
//!
//! Non-interactive run (what `scripts/test` does): the gizmos are on, the bot makes a noise
//! every few seconds, and the screenshot is taken at frame [`CAPTURE_FRAME`].
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/npc.png xvfb-run -a cargo run --example npc
//! ```

#[path = "support/capture.rs"]
mod capture;

use bevy::{ecs::schedule::ScheduleLabel, prelude::*};
use bevy_kansei::{
    KanseiPlugins,
    npc::{
        decision::{Symbol, Value},
        demo::{Commuter, Town, TownTasksPlugin, Villager},
        perception::NoiseEvent,
        plugin::{
            BehaviourAsset, BehaviourLoadErrors, DecisionHistory, FlowFields, NavWorld, NoiseMade,
            NpcAgent, NpcBehaviour, NpcBlackboard, NpcDebug, NpcTasks, NpcTier, NpcTierLocked,
            NpcTimings, PatrolRoute, Perceivable, Senses,
        },
        rng::SeededRng,
        schedule::Tier,
    },
};

/// Town size in metres, and how many of each NPC.
const TOWN_SIZE: u32 = 96;
const GUARDS: usize = 6;
const VILLAGERS: usize = 60;
const CROWD: usize = 300;
/// Frame of the CI screenshot: two seconds after the bot's first noise, guards are on their
/// way to it.
const CAPTURE_FRAME: u32 = 240;
/// Your walking speed, metres per second.
const PLAYER_SPEED: f32 = 4.0;
/// Seconds between the bot's noises.
const BOT_NOISE_EVERY: f32 = 5.0;

fn main() -> AppExit {
    let capture = capture::CaptureSettings::from_env(Some(CAPTURE_FRAME));
    let town = match Town::generate(TOWN_SIZE, 3) {
        Ok(town) => town,
        Err(error) => {
            eprintln!("npc example: could not build the town: {error}");
            return AppExit::error();
        }
    };
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei NPCs", capture.as_ref()),
        KanseiPlugins,
        TownTasksPlugin {
            schedule: FixedUpdate.intern(),
        },
    ))
    .insert_resource(ClearColor(Color::srgb(0.55, 0.68, 0.82)))
    .insert_resource(Time::<Fixed>::from_hz(60.0))
    .insert_resource(NavWorld::new(town.grid.clone()))
    .insert_resource(NpcDebug {
        enabled: capture.is_some(),
        flow_fields: false,
        ..default()
    })
    .insert_resource(TownLayout(town))
    .init_resource::<Bot>()
    .add_systems(Startup, (spawn_town, spawn_npcs, spawn_panel))
    .add_systems(FixedUpdate, move_player)
    .add_systems(Update, (keys, show_panel));
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture));
    }
    app.run()
}

#[derive(Resource)]
struct TownLayout(Town);

/// The player's avatar.
#[derive(Component)]
struct Player;

/// The bot that walks you around until you take over.
#[derive(Resource)]
struct Bot {
    active: bool,
    waypoint: Vec2,
    rng: SeededRng,
    since_noise: f32,
}

impl Default for Bot {
    fn default() -> Self {
        Self {
            active: true,
            waypoint: Vec2::new(20.0, 2.0),
            rng: SeededRng::new(11),
            since_noise: BOT_NOISE_EVERY - 2.0,
        }
    }
}

#[derive(Component)]
struct Panel;

fn spawn_town(
    mut commands: Commands,
    layout: Res<TownLayout>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let town = &layout.0;
    let size = TOWN_SIZE as f32;
    commands.spawn((
        Camera3d::default(),
        Transform::from_xyz(0.0, 62.0, 52.0).looking_at(Vec3::new(0.0, 0.0, 4.0), Vec3::Y),
    ));
    commands.spawn((
        DirectionalLight {
            illuminance: 8_000.0,
            // Hundreds of moving capsules: shadows would cost more than the NPCs on a laptop.
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_rotation(Quat::from_euler(EulerRot::ZYX, 0.0, 0.6, -1.0)),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Plane3d::default().mesh().size(size, size))),
        MeshMaterial3d(materials.add(Color::srgb(0.42, 0.45, 0.40))),
    ));
    let block = meshes.add(Cuboid::new(1.0, 1.0, 1.0));
    let walls = materials.add(Color::srgb(0.78, 0.70, 0.60));
    for (i, (min, max)) in town.buildings.iter().enumerate() {
        let height = 2.5 + (i % 3) as f32 * 1.5;
        let centre = (*min + *max) / 2.0;
        let extent = *max - *min;
        commands.spawn((
            Mesh3d(block.clone()),
            MeshMaterial3d(walls.clone()),
            Transform::from_xyz(centre.x, height / 2.0, centre.y)
                .with_scale(Vec3::new(extent.x, height, extent.y)),
        ));
    }
}

fn spawn_npcs(
    mut commands: Commands,
    layout: Res<TownLayout>,
    asset_server: Res<AssetServer>,
    mut flows: ResMut<FlowFields>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let town = &layout.0;
    let mut rng = SeededRng::new(5);
    let body = meshes.add(Capsule3d::new(0.3, 1.0));
    let colour = |c: Color, materials: &mut Assets<StandardMaterial>| materials.add(c);
    let guard_material = colour(Color::srgb(0.15, 0.35, 0.9), &mut materials);
    let villager_material = colour(Color::srgb(0.95, 0.8, 0.2), &mut materials);
    let crowd_material = colour(Color::srgb(0.55, 0.55, 0.58), &mut materials);
    let at = |p: Vec2| Transform::from_xyz(p.x, 0.8, p.y);

    let guard: Handle<BehaviourAsset> = asset_server.load("npc/guard.behaviour.ron");
    let villager: Handle<BehaviourAsset> = asset_server.load("npc/villager.behaviour.ron");
    let commuter: Handle<BehaviourAsset> = asset_server.load("npc/commuter.behaviour.ron");

    commands.spawn((
        Player,
        Perceivable {
            position: Vec2::ZERO,
            threat: 0.6,
        },
        Mesh3d(body.clone()),
        MeshMaterial3d(colour(Color::srgb(0.9, 0.15, 0.1), &mut materials)),
        at(Vec2::new(0.0, 2.0)),
    ));

    for _ in 0..GUARDS {
        let start = town.random_walkable(&mut rng);
        let route = (0..4).map(|_| town.random_walkable(&mut rng)).collect();
        commands.spawn((
            NpcAgent::at(start).with_max_speed(3.0),
            NpcTier(Tier::Hero),
            NpcTierLocked,
            NpcBehaviour(guard.clone()),
            PatrolRoute {
                points: route,
                next: 0,
            },
            Mesh3d(body.clone()),
            MeshMaterial3d(guard_material.clone()),
            at(start),
        ));
    }
    let (food, home, work) = (
        Symbol::new("food_position"),
        Symbol::new("home_position"),
        Symbol::new("work_position"),
    );
    for _ in 0..VILLAGERS {
        let start = town.random_walkable(&mut rng);
        let mut doorstep =
            || town.doorsteps[(rng.next_u64() % town.doorsteps.len() as u64) as usize];
        let mut blackboard = NpcBlackboard::default();
        blackboard.set(food, Value::Vec2(doorstep()));
        blackboard.set(home, Value::Vec2(doorstep()));
        blackboard.set(work, Value::Vec2(doorstep()));
        commands.spawn((
            NpcAgent::at(start),
            NpcTier(Tier::Active),
            NpcTierLocked,
            NpcBehaviour(villager.clone()),
            blackboard,
            Villager {
                hunger: rng.unit() * 0.8,
                fatigue: rng.unit() * 0.5,
            },
            Mesh3d(body.clone()),
            MeshMaterial3d(villager_material.clone()),
            at(start),
        ));
    }
    let exits: Vec<u32> = town.exits.iter().map(|exit| flows.add(*exit)).collect();
    // A field per doorstep: the villagers' paths home, to work and to the tavern are traced
    // from it instead of searched. Built one per tick from the first frames (about 0.7 ms each).
    for doorstep in &town.doorsteps {
        flows.add(*doorstep);
    }
    for i in 0..CROWD {
        let start = town.random_walkable(&mut rng);
        commands.spawn((
            NpcAgent::at(start).with_max_speed(1.4),
            NpcTier(Tier::Crowd),
            NpcTierLocked,
            Senses {
                sight: None,
                ..default()
            },
            NpcBehaviour(commuter.clone()),
            Commuter {
                goal: exits[i % exits.len()],
            },
            Mesh3d(body.clone()),
            MeshMaterial3d(crowd_material.clone()),
            at(start).with_scale(Vec3::splat(0.85)),
        ));
    }
}

fn spawn_panel(mut commands: Commands) {
    commands.spawn((
        Panel,
        Text::new(""),
        TextFont::from_font_size(15.0),
        TextColor(Color::WHITE),
        BackgroundColor(Color::srgba(0.0, 0.0, 0.0, 0.6)),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(10.0),
            top: Val::Px(10.0),
            padding: UiRect::all(Val::Px(8.0)),
            ..default()
        },
    ));
}

/// Moves the player from the keyboard, or lets the bot walk between random points and make a
/// noise every few seconds.
fn move_player(
    time: Res<Time>,
    input: Res<ButtonInput<KeyCode>>,
    layout: Res<TownLayout>,
    mut bot: ResMut<Bot>,
    mut noises: MessageWriter<NoiseMade>,
    mut player: Query<(Entity, &mut Transform), With<Player>>,
) {
    let Ok((entity, mut transform)) = player.single_mut() else {
        return;
    };
    let grid = &layout.0.grid;
    let position = Vec2::new(transform.translation.x, transform.translation.z);
    let mut direction = Vec2::ZERO;
    for (keys, d) in [
        ([KeyCode::ArrowUp, KeyCode::KeyW], Vec2::NEG_Y),
        ([KeyCode::ArrowDown, KeyCode::KeyS], Vec2::Y),
        ([KeyCode::ArrowLeft, KeyCode::KeyA], Vec2::NEG_X),
        ([KeyCode::ArrowRight, KeyCode::KeyD], Vec2::X),
    ] {
        if input.any_pressed(keys) {
            direction += d;
            bot.active = false;
        }
    }
    let dt = time.delta_secs();
    if bot.active {
        if position.distance(bot.waypoint) < 1.0 || !grid.line_of_sight(position, bot.waypoint) {
            // Pick a new point in plain sight, so the bot never needs a path.
            for _ in 0..32 {
                let candidate = layout.0.random_walkable(&mut bot.rng);
                if grid.line_of_sight(position, candidate) && position.distance(candidate) > 8.0 {
                    bot.waypoint = candidate;
                    break;
                }
            }
        }
        direction = bot.waypoint - position;
        bot.since_noise += dt;
    }
    let step = direction.normalize_or_zero() * PLAYER_SPEED * dt;
    let next = position + step;
    if grid.is_walkable_at(next) {
        transform.translation.x = next.x;
        transform.translation.z = next.y;
    }
    let noise_now =
        input.just_pressed(KeyCode::Space) || (bot.active && bot.since_noise >= BOT_NOISE_EVERY);
    if noise_now {
        bot.since_noise = 0.0;
        noises.write(NoiseMade(NoiseEvent {
            position: next,
            radius: 18.0,
            loudness: 0.8,
            source: entity.to_bits(),
        }));
    }
}

fn keys(input: Res<ButtonInput<KeyCode>>, mut debug: ResMut<NpcDebug>, mut bot: ResMut<Bot>) {
    if input.just_pressed(KeyCode::KeyG) {
        debug.enabled = !debug.enabled;
    }
    if input.just_pressed(KeyCode::KeyB) {
        bot.active = true;
    }
}

/// The nearest guard's last decisions, and the stage timings.
fn show_panel(
    timings: Res<NpcTimings>,
    errors: Res<BehaviourLoadErrors>,
    bot: Res<Bot>,
    player: Query<&Transform, With<Player>>,
    guards: Query<(
        &NpcAgent,
        &NpcTier,
        &NpcTasks,
        &DecisionHistory,
        &NpcBlackboard,
    )>,
    mut panel: Query<&mut Text, With<Panel>>,
) {
    let Ok(mut text) = panel.single_mut() else {
        return;
    };
    let Ok(player) = player.single() else {
        return;
    };
    let me = Vec2::new(player.translation.x, player.translation.z);
    let nearest = guards
        .iter()
        .filter(|(_, tier, ..)| tier.0 == Tier::Hero)
        .min_by(|a, b| {
            a.0.position
                .distance(me)
                .total_cmp(&b.0.position.distance(me))
        });
    let mut lines = vec![format!(
        "{} | G gizmos | Space noise | B bot",
        if bot.active {
            "bot walking"
        } else {
            "you walking"
        }
    )];
    if let Some((agent, _, tasks, history, blackboard)) = nearest {
        lines.push(format!(
            "nearest guard, {:.0} m away: {}",
            agent.position.distance(me),
            tasks
                .iter()
                .map(|t| t.name.as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        ));
        let seen = blackboard.get_bool(Symbol::new("target_visible"));
        lines.push(format!("sees you: {}", if seen { "yes" } else { "no" }));
        for record in history.iter().take(5) {
            let score = record
                .score
                .map_or(String::new(), |s| format!(" score {s:.2}"));
            let second = record
                .runner_up
                .map_or(String::new(), |(name, s)| format!(", then {name} {s:.2}"));
            lines.push(format!(
                "  {:>6.1} s  {} ({:?}){score}{second}",
                record.time, record.choice, record.cause
            ));
        }
    }
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    lines.push(format!(
        "last tick: perception {:.2} ms, decision {:.2} ms ({} decisions), navigation {:.2} ms, steering {:.2} ms",
        ms(timings.perception),
        ms(timings.decision),
        timings.decisions,
        ms(timings.navigation),
        ms(timings.steering)
    ));
    if let Some(error) = errors.messages.last() {
        lines.push(format!("behaviour error: {error}"));
    }
    text.0 = lines.join("\n");
}
