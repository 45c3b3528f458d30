//! The upscale pass: a system in the `Core3d` schedule, run once per upscaled camera.

use bevy::core_pipeline::prepass::ViewPrepassTextures;
use bevy::ecs::entity::EntityHashSet;
use bevy::ecs::system::{Local, Res};
use bevy::log::{info_span, warn};
use bevy::render::diagnostic::RecordDiagnostics;
use bevy::render::renderer::{RenderContext, ViewQuery};
use bevy::render::view::ViewTarget;

use super::{
    KanseiUpscalePipelines, UpscaleIntermediate, UpscalePassError, UpscaleTarget,
    UpscaleTemporalHistory, UpscaleView,
};
use crate::gpu::GpuContext;
use crate::spatial::{GpuRcasParams, GpuSpatialUpscaler};
use crate::temporal::{GpuTemporalResolver, TemporalInputs};

/// What the upscale pass reads of a view: its main textures, the state `prepare` left, the
/// intermediate texture (when it sharpens), the prepass textures and the temporal history.
pub type UpscalePassView = (
    &'static ViewTarget,
    &'static UpscaleView,
    Option<&'static UpscaleIntermediate>,
    Option<&'static ViewPrepassTextures>,
    Option<&'static UpscaleTemporalHistory>,
);

/// Upscales the render-resolution frame in the main texture to the full display viewport.
///
/// In `Core3dSystems::EarlyPostProcess`, where Bevy runs TAA and DLSS: after the main pass,
/// before bloom and tonemapping, which then work at display resolution. Runs only for views
/// that [`prepare_kansei_upscale`](super::prepare_kansei_upscale) marked with
/// [`UpscaleView`]. Temporal views are resolved against their history with the prepass depth
/// and motion vectors, then sharpened with RCAS when the camera asks for it; when any of those
/// inputs is missing this frame the view gets the spatial upscaler, with one warning per
/// camera. The GPU time shows up as
/// `render/kansei_upscale/elapsed_gpu` with `RenderDiagnosticsPlugin`.
pub fn kansei_upscale(
    view: ViewQuery<UpscalePassView>,
    pipelines: Option<Res<KanseiUpscalePipelines>>,
    mut ctx: RenderContext,
    mut warned: Local<bool>,
    mut warned_fallback: Local<EntityHashSet>,
) {
    let _span = info_span!("kansei_upscale").entered();
    let entity = view.entity();
    let (view_target, state, intermediate, prepass, history) = view.into_inner();
    let Some(pipelines) = pipelines else {
        return;
    };
    let format = view_target.main_texture_format();
    let Some(kernels) = pipelines.ready(format) else {
        return;
    };
    // Recorded against the pair `post_process_write` will hand out (the current main texture
    // and the other one), but the flip happens only once the commands are recorded: a failure
    // must leave the view target as the main pass left it.
    let source = view_target.main_texture_view();
    let destination = view_target.main_texture_other_view();
    let intermediate = intermediate.map(|texture| &*texture.0.default_view);

    let temporal = if state.temporal {
        let depth = prepass.and_then(|p| p.depth.as_ref());
        let motion = prepass.and_then(|p| p.motion_vectors.as_ref());
        match (pipelines.temporal_ready(format), depth, motion, history) {
            (Some(resolver), Some(depth), Some(motion), Some(history)) => Some((
                resolver,
                TemporalInputs {
                    color: source,
                    depth: &depth.texture.default_view,
                    motion: &motion.texture.default_view,
                    history_in: history.0.read_view(),
                    depth_history: history.0.depth_view(),
                },
                history,
            )),
            _ => {
                if warned_fallback.insert(entity) {
                    warn!(
                        "KanseiUpscale on camera {entity}: the prepass depth or motion-vector \
                         texture, the temporal pipeline or the history is missing this frame; \
                         using the spatial upscaler"
                    );
                }
                None
            }
        }
    } else {
        None
    };

    let diagnostics = ctx.diagnostic_recorder();
    let diagnostics = diagnostics.as_deref();
    let time_span = diagnostics.time_span(ctx.command_encoder(), "kansei_upscale");
    let result = match temporal {
        Some((resolver, inputs, history)) => encode_temporal(
            resolver,
            pipelines.gpu(),
            ctx.command_encoder(),
            &inputs,
            history,
            &ResolveOutput {
                destination,
                sharpen: kernels.sharpener().zip(intermediate),
            },
            state,
        ),
        None => kernels.encode(
            pipelines.gpu(),
            ctx.command_encoder(),
            &UpscaleTarget {
                source,
                destination,
                intermediate,
                render: state.render,
                display: state.display,
                rcas_stops: state.rcas_stops,
            },
        ),
    };
    time_span.end(ctx.command_encoder());

    match result {
        Ok(()) => {
            view_target.post_process_write();
        }
        Err(error) => {
            if !*warned {
                *warned = true;
                warn!(
                    "kansei_upscale: the upscale pass could not be recorded ({error}); the \
                     frame shows the render-resolution image uncropped"
                );
            }
        }
    }
}

/// Where the temporal resolve of one view goes.
struct ResolveOutput<'a> {
    /// The other main texture; its top-left `display` texels are written.
    destination: &'a wgpu::TextureView,
    /// The RCAS kernel and the view's `display`-sized intermediate texture, when the view has
    /// both (the bicubic fallback has no RCAS; sharpness 0 gets no intermediate).
    sharpen: Option<(&'a GpuSpatialUpscaler, &'a wgpu::TextureView)>,
}

/// Records the temporal resolve of one view into its destination, writing the history texture
/// that [`prepare_kansei_upscale_textures`](super::prepare_kansei_upscale_textures) swaps in
/// for the next frame.
///
/// When the view sharpens and [`ResolveOutput::sharpen`] is there, the resolve writes the
/// intermediate texture and RCAS reads it into the destination; otherwise the resolve writes
/// the destination directly, with no extra pass. The parameters are
/// [`UpscaleView::temporal_params`].
fn encode_temporal(
    resolver: &GpuTemporalResolver,
    gpu: &GpuContext,
    encoder: &mut wgpu::CommandEncoder,
    inputs: &TemporalInputs<'_>,
    history: &UpscaleTemporalHistory,
    output: &ResolveOutput<'_>,
    state: &UpscaleView,
) -> Result<(), UpscalePassError> {
    let params = state.temporal_params();
    let destination = output.destination;
    let Some((rcas, intermediate)) = output.sharpen.filter(|_| state.sharpens()) else {
        resolver.encode(
            gpu,
            encoder,
            inputs,
            history.0.write_view(),
            destination,
            &params,
        )?;
        return Ok(());
    };
    let size = state.display.to_array();
    // Checked before the resolve is recorded, so that bad parameters record nothing.
    GpuRcasParams::new(size, state.rcas_stops)?;
    // The resolve writes the history (`history_out`, its own binding and texture) and the
    // output separately, and RCAS reads only the output copy in the intermediate texture:
    // the history keeps the unsharpened resolve, so sharpening never feeds back into the
    // accumulation (which would sharpen again every frame and ring).
    resolver.encode(
        gpu,
        encoder,
        inputs,
        history.0.write_view(),
        intermediate,
        &params,
    )?;
    rcas.encode_rcas(
        gpu,
        encoder,
        intermediate,
        destination,
        size,
        state.rcas_stops,
    )?;
    Ok(())
}
