//! Per-frame render-world setup of each upscaled view: its render resolution, the main texture
//! usage, jitter and mip bias, its history state and its intermediate texture.

use bevy::camera::{Camera3d, CameraMainTextureUsages, MainPassResolutionOverride};
use bevy::ecs::component::Component;
use bevy::ecs::entity::{Entity, EntityHashSet};
use bevy::ecs::query::With;
use bevy::ecs::system::{Commands, Local, Query, Res, ResMut};
use bevy::log::{debug, info_span, warn};
use bevy::math::{UVec2, Vec2, Vec4Swizzles};
use bevy::render::camera::{MipBias, TemporalJitter};
use bevy::render::render_resource::{Extent3d, TextureDescriptor, TextureDimension, TextureUsages};
use bevy::render::renderer::{RenderAdapter, RenderDevice};
use bevy::render::texture::{CachedTexture, TextureCache};
use bevy::render::view::ExtractedView;

use super::{
    HistoryKey, HistoryReset, KanseiUpscale, KanseiUpscalePipelines, UpscaleHistory, UpscaleMode,
    mip_bias, render_resolution,
};

/// What the pass needs to know about an upscaled view this frame; present only on views the
/// pass will upscale.
#[derive(Component, Debug, Clone, PartialEq)]
pub struct UpscaleView {
    /// The main pass's resolution, the top-left sub-rectangle of the main texture it fills.
    pub render: UVec2,
    /// The display viewport size the pass writes.
    pub display: UVec2,
    /// The mode that chose `render`.
    pub mode: UpscaleMode,
    /// RCAS sharpness in stops; `f32::INFINITY` skips sharpening.
    pub rcas_stops: f32,
    /// Why this frame must not use history, if it must not.
    pub history_reset: Option<HistoryReset>,
}

impl UpscaleView {
    /// Whether the sharpening pass runs (and needs an intermediate texture).
    pub fn sharpens(&self) -> bool {
        self.rcas_stops.is_finite()
    }
}

/// The display-sized texture EASU writes and RCAS reads, from Bevy's `TextureCache`: reused
/// while the size and format stay the same, replaced when they change.
#[derive(Component)]
pub struct UpscaleIntermediate(pub CachedTexture);

/// Decides, for every camera with [`KanseiUpscale`], whether and at what resolution it is
/// upscaled this frame.
///
/// Runs in `RenderSystems::PrepareViews` before `prepare_view_targets`, because that system
/// creates the main textures from `CameraMainTextureUsages`, and the main pass reads
/// `MainPassResolutionOverride`. Jitter, mip bias and usages are written every frame because
/// `extract_cameras` overwrites them with the main world's values every frame.
#[allow(clippy::type_complexity)]
pub fn prepare_kansei_upscale(
    mut commands: Commands,
    pipelines: Option<ResMut<KanseiUpscalePipelines>>,
    adapter: Res<RenderAdapter>,
    mut views: Query<
        (
            Entity,
            &ExtractedView,
            &KanseiUpscale,
            &mut CameraMainTextureUsages,
            Option<&mut TemporalJitter>,
            Option<&mut MipBias>,
            Option<&mut UpscaleHistory>,
        ),
        With<Camera3d>,
    >,
    mut warned_offset: Local<EntityHashSet>,
) {
    let _span = info_span!("prepare_kansei_upscale").entered();
    let Some(mut pipelines) = pipelines else {
        return;
    };
    for (entity, view, upscale, mut usages, jitter, bias, history) in &mut views {
        let origin = view.viewport.xy();
        let display_size = view.viewport.zw();
        if origin != UVec2::ZERO {
            if warned_offset.insert(entity) {
                warn!(
                    "KanseiUpscale: the camera's viewport starts at {origin}, not at the \
                     target's corner; the upscaler cannot offset its reads and writes yet, so \
                     this camera renders at display resolution"
                );
            }
            stop_upscaling(&mut commands, entity);
            continue;
        }
        if display_size.min_element() == 0
            || pipelines
                .get_or_build(view.target_format, &adapter)
                .is_none()
        {
            stop_upscaling(&mut commands, entity);
            continue;
        }

        let render = render_resolution(display_size, upscale.mode.ratio());
        usages.0 |= TextureUsages::STORAGE_BINDING;
        if let Some(mut jitter) = jitter {
            // The spatial path has no history to accumulate jittered frames into; jitter alone
            // would only make the picture shimmer. The temporal path will use `jitter_offset`.
            jitter.offset = Vec2::ZERO;
        }
        if let Some(mut bias) = bias {
            bias.0 = mip_bias(render, display_size, false);
        }
        let key = HistoryKey {
            display: display_size,
            render,
            mode: upscale.mode,
        };
        let history_reset = match history {
            Some(mut history) => history.advance(key, upscale.reset),
            None => {
                let mut history = UpscaleHistory::default();
                let reset = history.advance(key, upscale.reset);
                commands.entity(entity).insert(history);
                reset
            }
        };
        if let Some(reason) = history_reset {
            debug!(
                "KanseiUpscale: history reset on {entity} ({reason:?}), {render} -> {display_size}"
            );
        }
        commands.entity(entity).insert((
            MainPassResolutionOverride(render),
            UpscaleView {
                render,
                display: display_size,
                mode: upscale.mode,
                rcas_stops: upscale.rcas_stops(),
                history_reset,
            },
        ));
    }
}

/// The view renders natively this frame: nothing may keep its main pass small.
fn stop_upscaling(commands: &mut Commands, entity: Entity) {
    commands.entity(entity).remove::<(
        MainPassResolutionOverride,
        UpscaleView,
        UpscaleHistory,
        UpscaleIntermediate,
    )>();
}

/// Gets the intermediate texture of each view that sharpens, in `RenderSystems::PrepareResources`.
pub fn prepare_kansei_upscale_textures(
    mut commands: Commands,
    mut texture_cache: ResMut<TextureCache>,
    device: Res<RenderDevice>,
    views: Query<(Entity, &ExtractedView, &UpscaleView)>,
) {
    for (entity, view, state) in &views {
        if !state.sharpens() {
            commands.entity(entity).remove::<UpscaleIntermediate>();
            continue;
        }
        let texture = texture_cache.get(
            &device,
            TextureDescriptor {
                label: Some("kansei_upscale_intermediate"),
                size: Extent3d {
                    width: state.display.x,
                    height: state.display.y,
                    depth_or_array_layers: 1,
                },
                mip_level_count: 1,
                sample_count: 1,
                dimension: TextureDimension::D2,
                format: view.target_format,
                usage: TextureUsages::STORAGE_BINDING | TextureUsages::TEXTURE_BINDING,
                view_formats: &[],
            },
        );
        commands.entity(entity).insert(UpscaleIntermediate(texture));
    }
}
