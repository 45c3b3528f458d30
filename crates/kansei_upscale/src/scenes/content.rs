//! What each scene is made of: the shared meshes and materials ([`SceneAssets`]) and the
//! entities [`spawn_scene`] places.

use std::f32::consts::FRAC_PI_2;

use bevy::{math::Affine2, prelude::*};

use super::{BenchScene, SceneEntity, SceneMover, mover_transform, textures};

/// The meshes and materials every scene is built from, made once.
#[derive(Resource, Debug, Clone)]
pub struct SceneAssets {
    floor: Handle<Mesh>,
    wall: Handle<Mesh>,
    post: Handle<Mesh>,
    wire: Handle<Mesh>,
    brace: Handle<Mesh>,
    sphere: Handle<Mesh>,
    pillar: Handle<Mesh>,
    checker_floor: Handle<StandardMaterial>,
    plain_floor: Handle<StandardMaterial>,
    zone_plate: Handle<StandardMaterial>,
    glyphs: Handle<StandardMaterial>,
    fence: Handle<StandardMaterial>,
    sphere_paint: Handle<StandardMaterial>,
    pillar_paint: Handle<StandardMaterial>,
}

impl FromWorld for SceneAssets {
    fn from_world(world: &mut World) -> Self {
        let (checker, zone_plate, glyphs) = {
            let mut images = world.resource_mut::<Assets<Image>>();
            (
                images.add(textures::checkerboard_image(256, 2)),
                images.add(textures::zone_plate_image(128)),
                images.add(textures::glyph_image(512)),
            )
        };
        let mut meshes = world.resource_mut::<Assets<Mesh>>();
        let floor = meshes.add(Plane3d::default().mesh().size(40.0, 40.0));
        // Walls are 5 m wide and 5 m tall, their bottom edge on the floor.
        let wall = meshes.add(Rectangle::new(5.0, 5.0));
        // 2 cm posts and 1.2 cm wires: at 5 m and 320x180 the display has about 43 pixels a
        // metre, so a post covers 0.9 display pixels and a wire half of one.
        let post = meshes.add(Cuboid::new(0.02, 1.4, 0.02));
        let wire = meshes.add(Cylinder::new(0.006, 8.0));
        let brace = meshes.add(Cuboid::new(0.015, 1.6, 0.015));
        let sphere = meshes.add(Sphere::new(0.45).mesh().uv(48, 32));
        let pillar = meshes.add(Cuboid::new(0.5, 3.0, 0.5));

        let mut materials = world.resource_mut::<Assets<StandardMaterial>>();
        let textured = |texture: Handle<Image>, repeat: Vec2| StandardMaterial {
            base_color_texture: Some(texture),
            perceptual_roughness: 0.9,
            uv_transform: Affine2::from_scale(repeat),
            ..default()
        };
        let painted = |color: Color, roughness: f32| StandardMaterial {
            base_color: color,
            perceptual_roughness: roughness,
            ..default()
        };
        Self {
            floor,
            wall,
            post,
            wire,
            brace,
            sphere,
            pillar,
            // 8 repeats of 128 checks over 40 m: 4 cm checks, sub-pixel a few metres away.
            checker_floor: materials.add(textured(checker, Vec2::splat(8.0))),
            plain_floor: materials.add(painted(Color::srgb(0.42, 0.40, 0.36), 1.0)),
            zone_plate: materials.add(textured(zone_plate, Vec2::ONE)),
            glyphs: materials.add(textured(glyphs, Vec2::ONE)),
            fence: materials.add(painted(Color::srgb(0.12, 0.10, 0.09), 0.6)),
            sphere_paint: materials.add(StandardMaterial {
                metallic: 0.3,
                ..painted(Color::srgb(0.95, 0.45, 0.20), 0.35)
            }),
            pillar_paint: materials.add(painted(Color::srgb(0.20, 0.22, 0.30), 0.7)),
        }
    }
}

/// Spawns `scene`'s entities (light included, cameras not), each tagged [`SceneEntity`].
pub fn spawn_scene(commands: &mut Commands, assets: &SceneAssets, scene: BenchScene) {
    let mut spawn = |bundle: (Mesh3d, MeshMaterial3d<StandardMaterial>, Transform)| {
        commands.spawn((bundle, SceneEntity)).id()
    };
    let floor = match scene {
        BenchScene::ThinGeometry => &assets.plain_floor,
        _ => &assets.checker_floor,
    };
    spawn(mesh(&assets.floor, floor, Transform::default()));

    let wall = |material: &Handle<StandardMaterial>, x: f32, z: f32| {
        mesh(&assets.wall, material, Transform::from_xyz(x, 2.5, z))
    };
    match scene {
        BenchScene::ThinGeometry => {
            spawn_fence(&mut spawn, assets, 0.0);
            // Power lines further back, tilted a little so their edges step across rows.
            for (i, height) in [2.6_f32, 2.9, 3.2].into_iter().enumerate() {
                spawn(mesh(
                    &assets.wire,
                    &assets.fence,
                    Transform::from_xyz(0.0, height, -4.0)
                        .with_rotation(Quat::from_rotation_z(FRAC_PI_2 + 0.03 * (i as f32 + 1.0))),
                ));
            }
        }
        BenchScene::Textures => {
            spawn(wall(&assets.zone_plate, -2.5, -3.0));
            spawn(wall(&assets.glyphs, 2.5, -3.0));
        }
        BenchScene::MovingObject => {
            spawn(wall(&assets.glyphs, -2.5, -1.0));
            spawn(wall(&assets.glyphs, 2.5, -1.0));
        }
        BenchScene::CameraMotion => {
            spawn(wall(&assets.zone_plate, -2.5, -4.0));
            spawn(wall(&assets.glyphs, 2.5, -4.0));
            spawn_fence(&mut spawn, assets, 0.5);
        }
        BenchScene::Disocclusion => {
            spawn(wall(&assets.zone_plate, -2.5, -2.0));
            spawn(wall(&assets.glyphs, 2.5, -2.0));
        }
    }

    if let Some(transform) = mover_transform(scene, 0.0) {
        let (shape, paint) = match scene {
            BenchScene::Disocclusion => (&assets.pillar, &assets.pillar_paint),
            _ => (&assets.sphere, &assets.sphere_paint),
        };
        let mover = spawn(mesh(shape, paint, transform));
        commands.entity(mover).insert(SceneMover);
    }

    // No shadows: shadow maps have their own resolution and filtering, which would add an
    // aliasing source that is the same for every method. 3,000 lux at Bevy's default exposure
    // keeps the lightest surfaces under 1.0: the harness's cameras have no tonemapping curve, so
    // brighter light would clip the detail away.
    commands.spawn((
        DirectionalLight {
            illuminance: 3_000.0,
            shadow_maps_enabled: false,
            ..default()
        },
        Transform::from_rotation(Quat::from_euler(EulerRot::ZYX, 0.0, 0.7, -0.8)),
        SceneEntity,
    ));
}

/// A fence across the view at depth `z`: 41 posts 20 cm apart, three horizontal wires and two
/// diagonal braces.
fn spawn_fence(
    spawn: &mut impl FnMut((Mesh3d, MeshMaterial3d<StandardMaterial>, Transform)) -> Entity,
    assets: &SceneAssets,
    z: f32,
) {
    for i in 0..=40 {
        let x = -4.0 + 0.2 * i as f32;
        spawn(mesh(
            &assets.post,
            &assets.fence,
            Transform::from_xyz(x, 0.7, z),
        ));
    }
    for height in [0.45, 0.9, 1.35] {
        spawn(mesh(
            &assets.wire,
            &assets.fence,
            Transform::from_xyz(0.0, height, z).with_rotation(Quat::from_rotation_z(FRAC_PI_2)),
        ));
    }
    for (x, lean) in [(-1.1_f32, 0.6_f32), (1.3, -0.6)] {
        spawn(mesh(
            &assets.brace,
            &assets.fence,
            Transform::from_xyz(x, 0.7, z).with_rotation(Quat::from_rotation_z(lean)),
        ));
    }
}

fn mesh(
    mesh: &Handle<Mesh>,
    material: &Handle<StandardMaterial>,
    transform: Transform,
) -> (Mesh3d, MeshMaterial3d<StandardMaterial>, Transform) {
    (
        Mesh3d(mesh.clone()),
        MeshMaterial3d(material.clone()),
        transform,
    )
}
