//! The upscale pass: a system in the `Core3d` schedule, run once per upscaled camera.

use bevy::ecs::system::{Local, Res};
use bevy::log::{info_span, warn};
use bevy::render::diagnostic::RecordDiagnostics;
use bevy::render::renderer::{RenderContext, ViewQuery};
use bevy::render::view::ViewTarget;

use super::{KanseiUpscalePipelines, UpscaleIntermediate, UpscaleTarget, UpscaleView};

/// Upscales the render-resolution frame in the main texture to the full display viewport.
///
/// In `Core3dSystems::EarlyPostProcess`, where Bevy runs TAA and DLSS: after the main pass,
/// before bloom and tonemapping, which then work at display resolution. Runs only for views
/// that [`prepare_kansei_upscale`](super::prepare_kansei_upscale) marked with
/// [`UpscaleView`]; the GPU time shows up as `render/kansei_upscale/elapsed_gpu` with
/// `RenderDiagnosticsPlugin`.
pub fn kansei_upscale(
    view: ViewQuery<(&ViewTarget, &UpscaleView, Option<&UpscaleIntermediate>)>,
    pipelines: Option<Res<KanseiUpscalePipelines>>,
    mut ctx: RenderContext,
    mut warned: Local<bool>,
) {
    let _span = info_span!("kansei_upscale").entered();
    let (view_target, state, intermediate) = view.into_inner();
    let Some(pipelines) = pipelines else {
        return;
    };
    let Some(kernels) = pipelines.ready(view_target.main_texture_format()) else {
        return;
    };
    // Recorded against the pair `post_process_write` will hand out (the current main texture
    // and the other one), but the flip happens only once the commands are recorded: a failure
    // must leave the view target as the main pass left it.
    let target = UpscaleTarget {
        source: view_target.main_texture_view(),
        destination: view_target.main_texture_other_view(),
        intermediate: intermediate.map(|texture| &*texture.0.default_view),
        render: state.render,
        display: state.display,
        rcas_stops: state.rcas_stops,
    };

    let diagnostics = ctx.diagnostic_recorder();
    let diagnostics = diagnostics.as_deref();
    let time_span = diagnostics.time_span(ctx.command_encoder(), "kansei_upscale");
    let result = kernels.encode(pipelines.gpu(), ctx.command_encoder(), &target);
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
