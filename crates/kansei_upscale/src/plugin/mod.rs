//! The Bevy integration: the [`KanseiUpscale`] camera component and [`KanseiUpscalePlugin`].
//!
//! The camera's main pass renders at a fraction of the display resolution (Bevy's
//! `MainPassResolutionOverride`) with a sub-pixel Halton jitter, and a compute pass upscales it
//! to the display before bloom and tonemapping: the temporal resolve of [`crate::temporal`],
//! which accumulates the jittered frames in a per-view history using the depth and
//! motion-vector prepasses. A camera the temporal path cannot serve (a prepass or `Msaa::Off`
//! missing, or no temporal pipeline on the adapter) gets the spatial EASU + RCAS of
//! [`crate::spatial`] instead, with one warning. Either path's result is sharpened with RCAS
//! when [`KanseiUpscale::sharpness`] is above 0. All are compiled for the main texture's
//! format and run on the renderer's own device.
//!
//! # Usage
//!
//! 1. Add [`KanseiUpscalePlugin`] (or `bevy_kansei::KanseiPlugins`) after `DefaultPlugins`.
//! 2. Add [`KanseiUpscale`] to a `Camera3d`; it brings `Hdr`, the depth and motion-vector
//!    prepasses, `TemporalJitter`, `MipBias` and `Msaa::Off` with it.
//! 3. Pick an [`UpscaleMode`] and a sharpness; set `reset` on camera cuts.
//!
//! # How a frame goes
//!
//! - `ExtractSchedule`: [`extract_kansei_upscale`] copies the component to the render world
//!   (as [`ExtractedUpscale`], with whether the camera has the prepasses), clears `reset` in
//!   the main world, and removes the render-world state of cameras that lost the component or
//!   went inactive.
//! - `RenderSystems::PrepareViews`, before `prepare_view_targets`: [`prepare_kansei_upscale`]
//!   builds the kernels for the view's format on first use, picks the temporal or the spatial
//!   path, then sets the render resolution, the main texture's `STORAGE_BINDING` usage,
//!   [`UpscaleHistory`], the jitter (Halton phase `frames since the last reset mod
//!   ceil(8 ratio^2)` on the temporal path, zero on the spatial one) and the mip bias
//!   (`log2(render / display) - 1` temporal, `log2(render / display)` spatial).
//! - `RenderSystems::PrepareResources`: [`prepare_kansei_upscale_textures`] swaps the view's
//!   history textures ([`UpscaleTemporalHistory`], made anew on a display resize) and, when the
//!   sharpness is above 0, gets the display-sized intermediate texture
//!   ([`UpscaleIntermediate`], from Bevy's `TextureCache`) that the sharpening pass reads on
//!   either path.
//! - `Core3d`, `Core3dSystems::EarlyPostProcess`: [`kansei_upscale`] records, inside the
//!   `kansei_upscale` GPU time span, either the temporal resolve (history ignored on every
//!   [`HistoryReset`]: first frame, resize, mode change, camera cut) or EASU, and then RCAS
//!   from the intermediate texture into the view target. The resolve writes the next frame's
//!   history separately from its output, so the history stays unsharpened. At sharpness 0 the
//!   resolve or EASU writes the view target directly.
//!
//! The pure maths ([`render_resolution`], [`mip_bias`], the Halton [`jitter_offset`]) and the
//! history-reset rules ([`UpscaleHistory`]) are public and tested without a GPU.

mod component;
mod extract;
mod history;
mod jitter;
mod mode;
mod pass;
mod pipeline;
mod prepare;
mod resolution;

pub use component::KanseiUpscale;
pub use extract::{ExtractedUpscale, extract_kansei_upscale};
pub use history::{HistoryKey, HistoryReset, UpscaleHistory};
pub use jitter::{halton, jitter_offset, jitter_phase_count};
pub use mode::UpscaleMode;
pub use pass::{UpscalePassView, kansei_upscale};
pub use pipeline::{
    KanseiTemporalBlend, KanseiUpscalePipelines, UpscaleKernels, UpscalePassError, UpscaleTarget,
    init_kansei_upscale_pipelines,
};
pub use prepare::{
    UpscaleIntermediate, UpscaleTemporalHistory, UpscaleView, prepare_kansei_upscale,
    prepare_kansei_upscale_textures,
};
pub use resolution::{mip_bias, render_resolution};

use bevy::app::{App, Plugin};
use bevy::core_pipeline::{Core3d, Core3dSystems};
use bevy::ecs::schedule::IntoScheduleConfigs;
use bevy::render::view::prepare_view_targets;
use bevy::render::{ExtractSchedule, Render, RenderApp, RenderStartup, RenderSystems};

/// Adds the upscaler to the render app; [`KanseiUpscale`] switches it on per camera.
///
/// Does nothing without a renderer (no `RenderApp`, e.g. with `MinimalPlugins`), so it can
/// always be added.
#[derive(Default)]
pub struct KanseiUpscalePlugin;

impl Plugin for KanseiUpscalePlugin {
    fn build(&self, app: &mut App) {
        app.register_type::<KanseiUpscale>();
        let blend = app
            .world()
            .get_resource::<KanseiTemporalBlend>()
            .copied()
            .unwrap_or_default();
        let Some(render_app) = app.get_sub_app_mut(RenderApp) else {
            return;
        };
        render_app
            .insert_resource(blend)
            .add_systems(RenderStartup, init_kansei_upscale_pipelines)
            .add_systems(ExtractSchedule, extract_kansei_upscale)
            .add_systems(
                Render,
                (
                    prepare_kansei_upscale
                        .in_set(RenderSystems::PrepareViews)
                        .before(prepare_view_targets),
                    prepare_kansei_upscale_textures.in_set(RenderSystems::PrepareResources),
                ),
            )
            .add_systems(
                Core3d,
                kansei_upscale.in_set(Core3dSystems::EarlyPostProcess),
            );
    }
}
