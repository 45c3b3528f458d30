//! Per-frame render-world setup of each upscaled view: its render resolution, the main texture
//! usage, the path (temporal or spatial), jitter and mip bias, its history state and its
//! history or intermediate textures.

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
use bevy::render::view::{ExtractedView, Msaa};

use super::{
    ExtractedUpscale, HistoryKey, HistoryReset, KanseiUpscalePipelines, UpscaleHistory,
    UpscaleMode, jitter_offset, jitter_phase_count, mip_bias, render_resolution,
};
use crate::temporal::{TemporalHistory, TemporalParams};

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
    /// Whether the temporal resolve upscales this view (else EASU + RCAS does).
    pub temporal: bool,
    /// This frame's sub-pixel jitter in render pixels, as written to `TemporalJitter::offset`;
    /// zero on the spatial path.
    pub jitter: Vec2,
}

impl UpscaleView {
    /// Whether the sharpening pass runs (and needs an intermediate texture), on either path:
    /// the spatial path sharpens EASU's output, the temporal path the resolve's.
    pub fn sharpens(&self) -> bool {
        self.rcas_stops.is_finite()
    }

    /// The temporal resolve's parameters this frame: the view's sizes and jitter, the history
    /// ignored when it must be reset, every other parameter at its default.
    ///
    /// The jitter is `TemporalJitter::offset` unchanged: Bevy's `jitter_projection` adds
    /// `offset * (2, -2) / size` to the projection's `z_axis.xy`, which moves every point by
    /// `-offset` render pixels on screen (+y down), so render texel `i` sees the scene at
    /// `i + 0.5 + offset`, the resolve's convention.
    pub fn temporal_params(&self) -> TemporalParams {
        let mut params = TemporalParams::new(
            self.render.to_array(),
            self.display.to_array(),
            self.jitter.to_array(),
        );
        params.reset = self.history_reset.is_some();
        params
    }
}

/// A temporally upscaled view's history textures (two colour-and-confidence textures used in
/// turn and the previous frame's depth, [`TemporalHistory`]), owned per view entity so that
/// they survive from frame to frame. Recreated, zeroed, when the display size changes; removed
/// with the view's other upscaler components.
#[derive(Component)]
pub struct UpscaleTemporalHistory(pub TemporalHistory);

/// The display-sized texture that EASU (spatial path) or the temporal resolve writes and RCAS
/// reads, from Bevy's `TextureCache`: reused while the size and format stay the same, replaced
/// when they change. Both paths ask for the same descriptor (the view's format,
/// `STORAGE_BINDING | TEXTURE_BINDING`), so a camera that switches path keeps its texture.
#[derive(Component)]
pub struct UpscaleIntermediate(pub CachedTexture);

/// Decides, for every camera with [`KanseiUpscale`](super::KanseiUpscale), whether it is
/// upscaled this frame, at what resolution, and on which path (temporal or spatial).
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
            &ExtractedUpscale,
            &mut CameraMainTextureUsages,
            Option<&mut TemporalJitter>,
            Option<&mut MipBias>,
            Option<&mut UpscaleHistory>,
            Option<&Msaa>,
        ),
        With<Camera3d>,
    >,
    mut warned_offset: Local<EntityHashSet>,
    mut warned_spatial: Local<EntityHashSet>,
) {
    let _span = info_span!("prepare_kansei_upscale").entered();
    let Some(mut pipelines) = pipelines else {
        return;
    };
    for (entity, view, extracted, mut usages, jitter, bias, history, msaa) in &mut views {
        let upscale = &extracted.upscale;
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

        let ratio = upscale.mode.ratio();
        let render = render_resolution(display_size, ratio);
        usages.0 |= TextureUsages::STORAGE_BINDING;
        let mut missing = missing_for_temporal(
            extracted.depth_prepass,
            extracted.motion_vector_prepass,
            msaa,
            jitter.is_some(),
        );
        // Built only for cameras that could use it: the build blocks the render thread once.
        if missing.is_empty()
            && pipelines
                .get_or_build_temporal(view.target_format)
                .is_none()
        {
            missing.push(
                "a temporal resolve pipeline for the view's format (see the earlier warning)",
            );
        }
        let temporal = missing.is_empty();
        if temporal {
            warned_spatial.remove(&entity);
        } else if warned_spatial.insert(entity) {
            warn!(
                "KanseiUpscale on camera {entity}: the temporal path needs {}; this camera \
                 uses the spatial upscaler (EASU + RCAS) until that changes",
                missing.join(", ")
            );
        }
        let key = HistoryKey {
            display: display_size,
            render,
            mode: upscale.mode,
        };
        let (history_reset, history_frames) = match history {
            Some(mut history) => (history.advance(key, upscale.reset), history.frames()),
            None => {
                let mut history = UpscaleHistory::default();
                let reset = history.advance(key, upscale.reset);
                let frames = history.frames();
                commands.entity(entity).insert(history);
                (reset, frames)
            }
        };
        // The spatial path has no history to accumulate jittered frames into; jitter alone would
        // only make the picture shimmer. The temporal path walks the Halton sequence from the
        // last reset, so each history sees whole periods of it.
        let offset = if temporal {
            let phase = history_frames.saturating_sub(1) % u64::from(jitter_phase_count(ratio));
            jitter_offset(u32::try_from(phase).unwrap_or(0), ratio)
        } else {
            Vec2::ZERO
        };
        if let Some(mut jitter) = jitter {
            jitter.offset = offset;
        }
        if let Some(mut bias) = bias {
            bias.0 = mip_bias(render, display_size, temporal);
        }
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
                temporal,
                jitter: offset,
            },
        ));
    }
}

/// What the temporal path needs that this view lacks, apart from its pipeline, in words for the
/// fallback warning; empty when nothing is missing. The prepass textures themselves are made
/// later (`RenderSystems::PrepareResources`); the pass checks them and falls back if they are
/// absent.
fn missing_for_temporal(
    depth_prepass: bool,
    motion_vector_prepass: bool,
    msaa: Option<&Msaa>,
    has_jitter: bool,
) -> Vec<&'static str> {
    let mut missing = Vec::new();
    if !depth_prepass {
        missing.push("`DepthPrepass`");
    }
    if !motion_vector_prepass {
        missing.push("`MotionVectorPrepass`");
    }
    if msaa.is_some_and(|msaa| *msaa != Msaa::Off) {
        missing.push("`Msaa::Off` (the prepass textures are multisampled)");
    }
    if !has_jitter {
        missing.push("`TemporalJitter`");
    }
    missing
}

/// The view renders natively this frame: nothing may keep its main pass small.
fn stop_upscaling(commands: &mut Commands, entity: Entity) {
    commands.entity(entity).remove::<(
        MainPassResolutionOverride,
        UpscaleView,
        UpscaleHistory,
        UpscaleIntermediate,
        UpscaleTemporalHistory,
    )>();
}

/// Gets the history textures of each temporal view and the intermediate texture of each view
/// that sharpens (either path), in `RenderSystems::PrepareResources`.
///
/// A temporal view's history textures are swapped here, once a frame, so that the pass reads
/// what it wrote the frame before; they are made anew (zeroed) when missing or when the
/// display size changed, and that frame's resolve ignores them anyway
/// ([`HistoryReset::FirstFrame`] or [`HistoryReset::DisplayResized`]).
pub fn prepare_kansei_upscale_textures(
    mut commands: Commands,
    mut texture_cache: ResMut<TextureCache>,
    device: Res<RenderDevice>,
    pipelines: Option<Res<KanseiUpscalePipelines>>,
    mut views: Query<(
        Entity,
        &ExtractedView,
        &UpscaleView,
        Option<&mut UpscaleTemporalHistory>,
    )>,
    mut warned_history: Local<EntityHashSet>,
) {
    let _span = info_span!("prepare_kansei_upscale_textures").entered();
    for (entity, view, state, history) in &mut views {
        let display = state.display.to_array();
        match (state.temporal, history, pipelines.as_deref()) {
            (true, Some(mut history), _) if history.0.display_size() == display => {
                history.0.swap();
            }
            (true, _, Some(pipelines)) => match TemporalHistory::new(pipelines.gpu(), display) {
                Ok(history) => {
                    commands
                        .entity(entity)
                        .insert(UpscaleTemporalHistory(history));
                }
                Err(error) => {
                    // The pass falls back to the spatial path without history textures.
                    commands.entity(entity).remove::<UpscaleTemporalHistory>();
                    if warned_history.insert(entity) {
                        warn!(
                            "KanseiUpscale on camera {entity}: the temporal history textures \
                             could not be made ({error}); using the spatial upscaler"
                        );
                    }
                }
            },
            (false, Some(_), _) => {
                commands.entity(entity).remove::<UpscaleTemporalHistory>();
            }
            _ => {}
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_temporal_path_names_what_it_misses() {
        assert!(missing_for_temporal(true, true, Some(&Msaa::Off), true).is_empty());
        assert!(missing_for_temporal(true, true, None, true).is_empty());
        assert_eq!(
            missing_for_temporal(true, false, Some(&Msaa::Sample4), true),
            [
                "`MotionVectorPrepass`",
                "`Msaa::Off` (the prepass textures are multisampled)"
            ]
        );
        assert_eq!(
            missing_for_temporal(false, true, None, false),
            ["`DepthPrepass`", "`TemporalJitter`"]
        );
    }
}
