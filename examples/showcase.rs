//! Kansei's showcase: one 3D scene that each Kansei plugin joins as it lands.
//!
//! Today it is the stage: a lit, shadowed scene with moving objects (motion and fine detail are
//! what an upscaler must reconstruct, and what the NPCs below walk through), with
//! [`KanseiPlugins`] added as a game would add it, and its camera upscaled by [`KanseiUpscale`].
//! The group brings adaptive difficulty too ([`DifficultyPlugin`](bevy_kansei::difficulty::plugin::DifficultyPlugin)):
//! the orbiting shapes stand in for enemies and move at a speed scaled by the `enemy_damage`
//! knob (1.0 at the designer's default, where the showcase stays: it plays no encounters; the
//! `difficulty` example does). Recommendations join as a small panel
//! ([`RecommendPlugin`](bevy_kansei::recommend::plugin::RecommendPlugin) over the demo game
//! library): the showcase's player has played one game, and the panel lists the top three picks
//! with their reasons (the `recommend` example is the full library screen). NPCs stroll the
//! stage ([`NpcPlugin`](bevy_kansei::npc::plugin::NpcPlugin): a wandering behaviour written in
//! Rust, steering around the plinth and each other; the `npc` example is a whole town).
//!
//! ```text
//! cargo run --example showcase
//! ```
//!
//! Keys: `U` turns the upscaler off (native rendering with Bevy's default 4x MSAA) and on again.
//! The `upscale` example compares every mode and path.
//!
//! Non-interactive run (what `scripts/test` does): render 60 frames, save a screenshot, exit.
//!
//! ```text
//! KANSEI_CAPTURE=screenshots/showcase.png xvfb-run -a cargo run --example showcase
//! ```

#[path = "support/capture.rs"]
mod capture;

use std::f32::consts::{FRAC_PI_4, TAU};

use bevy::{light::CascadeShadowConfigBuilder, prelude::*};
use bevy_kansei::{
    KanseiPlugins,
    difficulty::plugin::DifficultyKnobValues,
    npc::{
        decision::{BehaviourDef, NodeDef},
        nav::{NavError, NavGrid},
        plugin::{BehaviourAsset, NavWorld, NpcAgent, NpcBehaviour},
    },
    recommend::plugin::{PlayRecorded, Recommendations},
    upscale::{KanseiUpscale, UpscaleMode},
};

/// The showcase's upscaler setting. `Quality` (1.5x per axis, 44% of the pixels) because the
/// showcase is looked at rather than measured: it is the mode whose output is hardest to tell
/// from native, which is the claim the showcase makes. The `upscale` example compares the
/// cheaper modes.
const UPSCALE: KanseiUpscale = KanseiUpscale {
    mode: UpscaleMode::Quality,
    sharpness: KanseiUpscale::DEFAULT_SHARPNESS,
    reset: false,
};

fn main() -> AppExit {
    let capture = capture::CaptureSettings::from_env(None);
    let mut app = App::new();
    app.add_plugins((
        capture::default_plugins("Kansei showcase", capture.as_ref()),
        KanseiPlugins,
    ))
    .insert_resource(ClearColor(Color::srgb(0.46, 0.62, 0.80)))
    .add_systems(
        Startup,
        (spawn_scene, spawn_recommendations, spawn_strollers),
    )
    .add_systems(Update, (orbit, spin, toggle_upscale, show_recommendations));
    match stage_navigation() {
        Ok(navigation) => {
            app.insert_resource(navigation);
        }
        // Without it the NPCs walk an open grid, through the plinth.
        Err(error) => eprintln!("showcase: no stage grid for the NPCs: {error}"),
    }
    if let Some(capture) = capture {
        app.add_plugins(capture::CapturePlugin(capture));
    }
    app.run()
}

/// The stage as the NPCs see it: 13 m x 13 m of 1 m cells, the plinth blocked.
fn stage_navigation() -> Result<NavWorld, NavError> {
    let mut grid = NavGrid::new(13, 13, 1.0, Vec2::splat(-6.5))?;
    grid.block_rect(Vec2::splat(-1.0), Vec2::splat(1.0));
    Ok(NavWorld::new(grid))
}

/// Five NPCs wandering the stage, with a behaviour written in Rust.
fn spawn_strollers(
    mut commands: Commands,
    mut behaviours: ResMut<Assets<BehaviourAsset>>,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    let stroll = BehaviourDef::new("stroller", NodeDef::task("wander"));
    let behaviour = match BehaviourAsset::from_def(&stroll) {
        Ok(behaviour) => behaviours.add(behaviour),
        Err(error) => {
            error!("the strollers' behaviour does not compile: {error}");
            return;
        }
    };
    let body = meshes.add(Capsule3d::new(0.2, 0.6));
    let coat = materials.add(Color::srgb(0.85, 0.55, 0.2));
    for i in 0..5 {
        let angle = i as f32 / 5.0 * TAU;
        let start = Vec2::from_angle(angle) * 4.0;
        commands.spawn((
            NpcAgent {
                radius: 0.25,
                max_speed: 1.2,
                ..NpcAgent::at(start)
            },
            NpcBehaviour(behaviour.clone()),
            Mesh3d(body.clone()),
            MeshMaterial3d(coat.clone()),
            Transform::from_xyz(start.x, 0.5, start.y),
        ));
    }
}

/// Objects that circle the centre of the stage.
#[derive(Component)]
struct Orbit {
    radius: f32,
    /// Radians per second.
    speed: f32,
    phase: f32,
}

/// Objects that turn in place.
#[derive(Component)]
struct Spin(Vec3);

fn spawn_scene(
    mut commands: Commands,
    mut meshes: ResMut<Assets<Mesh>>,
    mut materials: ResMut<Assets<StandardMaterial>>,
) {
    commands.spawn((
        Camera3d::default(),
        Transform::from_xyz(-7.0, 5.0, 9.0).looking_at(Vec3::new(0.0, 0.8, 0.0), Vec3::Y),
        // Brings Hdr, the prepasses, jitter and mip bias, and switches MSAA off.
        UPSCALE,
    ));
    commands.spawn((
        DirectionalLight {
            illuminance: 9_000.0,
            shadow_maps_enabled: true,
            ..default()
        },
        Transform::from_rotation(Quat::from_euler(EulerRot::ZYX, 0.0, 0.9, -0.9)),
        CascadeShadowConfigBuilder {
            maximum_distance: 30.0,
            ..default()
        }
        .build(),
    ));

    // Ground: a checkerboard of tiles, the kind of high-frequency detail upscalers are judged on.
    let tile = meshes.add(Cuboid::new(1.0, 0.1, 1.0));
    let light_tile = materials.add(Color::srgb(0.82, 0.80, 0.74));
    let dark_tile = materials.add(Color::srgb(0.28, 0.30, 0.34));
    for x in -6..=6 {
        for z in -6..=6 {
            let material = if (x + z) % 2 == 0 {
                light_tile.clone()
            } else {
                dark_tile.clone()
            };
            commands.spawn((
                Mesh3d(tile.clone()),
                MeshMaterial3d(material),
                Transform::from_xyz(x as f32, -0.05, z as f32),
            ));
        }
    }

    // Centre piece: a metallic sphere on a plinth.
    commands.spawn((
        Mesh3d(meshes.add(Cylinder::new(0.9, 0.6))),
        MeshMaterial3d(materials.add(Color::srgb(0.55, 0.55, 0.58))),
        Transform::from_xyz(0.0, 0.3, 0.0),
    ));
    commands.spawn((
        Mesh3d(meshes.add(Sphere::new(0.7).mesh().uv(48, 32))),
        MeshMaterial3d(materials.add(StandardMaterial {
            base_color: Color::srgb(0.95, 0.78, 0.35),
            metallic: 0.9,
            perceptual_roughness: 0.25,
            ..default()
        })),
        Transform::from_xyz(0.0, 1.3, 0.0),
    ));

    // A ring of coloured shapes that orbit and spin: motion for temporal reconstruction.
    let shapes: [Handle<Mesh>; 3] = [
        meshes.add(Cuboid::new(0.7, 0.7, 0.7)),
        meshes.add(Torus::new(0.2, 0.4)),
        meshes.add(Capsule3d::new(0.25, 0.6)),
    ];
    let count = 9;
    for i in 0..count {
        let hue = 360.0 * i as f32 / count as f32;
        commands.spawn((
            Mesh3d(shapes[i % shapes.len()].clone()),
            MeshMaterial3d(materials.add(StandardMaterial {
                base_color: Color::hsl(hue, 0.75, 0.55),
                perceptual_roughness: 0.45,
                ..default()
            })),
            Transform::from_xyz(0.0, 0.6, 0.0),
            Orbit {
                radius: 3.6,
                speed: 0.35,
                phase: TAU * i as f32 / count as f32,
            },
            Spin(Vec3::new(0.6, 1.1, 0.0)),
        ));
    }

    // Pillars at the corners give long shadows and thin vertical edges.
    for (x, z) in [(-5.0, -5.0), (5.0, -5.0), (-5.0, 5.0), (5.0, 5.0)] {
        commands.spawn((
            Mesh3d(meshes.add(Cuboid::new(0.35, 3.0, 0.35))),
            MeshMaterial3d(materials.add(Color::srgb(0.70, 0.66, 0.60))),
            Transform::from_xyz(x, 1.5, z).with_rotation(Quat::from_rotation_y(FRAC_PI_4)),
        ));
    }
}

/// The recommendations panel.
#[derive(Component)]
struct RecommendationsPanel;

/// The first game of the demo library, "played" before the showcase starts.
const PLAYED: u32 = 1;

fn spawn_recommendations(mut commands: Commands, mut plays: MessageWriter<PlayRecorded>) {
    plays.write(PlayRecorded(PLAYED));
    commands.spawn((
        RecommendationsPanel,
        Text::new(""),
        TextFont::from_font_size(15.0),
        TextColor(Color::WHITE),
        Node {
            position_type: PositionType::Absolute,
            left: Val::Px(16.0),
            top: Val::Px(14.0),
            padding: UiRect::axes(Val::Px(12.0), Val::Px(8.0)),
            border_radius: BorderRadius::all(Val::Px(6.0)),
            ..default()
        },
        BackgroundColor(Color::srgba(0.05, 0.06, 0.08, 0.72)),
    ));
}

/// The top three recommendations and their reasons, when they change.
fn show_recommendations(
    recommendations: Res<Recommendations>,
    mut panel: Single<&mut Text, With<RecommendationsPanel>>,
) {
    if !recommendations.is_changed() {
        return;
    }
    let mut text = "Recommended for you".to_owned();
    for (n, pick) in recommendations.items().iter().take(3).enumerate() {
        text.push_str(&format!("\n{}. {} - {}", n + 1, pick.name, pick.reason));
    }
    panel.0 = text;
}

fn orbit(
    time: Res<Time>,
    knobs: Res<DifficultyKnobValues>,
    mut objects: Query<(&Orbit, &mut Transform)>,
    mut clock: Local<f32>,
) {
    // The "enemies" speed up with the difficulty: their clock runs at the `enemy_damage` knob's
    // pace, exactly 1.0 (the elapsed time) at the designer's default.
    *clock += time.delta_secs() * knobs.get("enemy_damage").unwrap_or(1.0);
    let t = *clock;
    for (orbit, mut transform) in &mut objects {
        let angle = orbit.phase + orbit.speed * t;
        transform.translation.x = orbit.radius * angle.cos();
        transform.translation.z = orbit.radius * angle.sin();
    }
}

fn spin(time: Res<Time>, mut objects: Query<(&Spin, &mut Transform)>) {
    let dt = time.delta_secs();
    for (spin, mut transform) in &mut objects {
        transform.rotate(Quat::from_euler(
            EulerRot::XYZ,
            spin.0.x * dt,
            spin.0.y * dt,
            spin.0.z * dt,
        ));
    }
}

/// `U`: remove the upscaler (and what it brought: prepasses, jitter, mip bias, `Msaa::Off`) for
/// native rendering as a game without Kansei has it, or put it back.
fn toggle_upscale(
    mut commands: Commands,
    keys: Res<ButtonInput<KeyCode>>,
    cameras: Query<(Entity, Has<KanseiUpscale>), With<Camera3d>>,
) {
    if !keys.just_pressed(KeyCode::KeyU) {
        return;
    }
    for (camera, upscaled) in &cameras {
        let mut camera = commands.entity(camera);
        if upscaled {
            KanseiUpscale::remove_from(&mut camera);
            info!("upscaler off: native rendering");
        } else {
            // Adding the component switches MSAA off again.
            camera.insert(UPSCALE);
            info!("upscaler on: {:?}", UPSCALE.mode);
        }
    }
}
