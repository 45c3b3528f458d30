//! [`KanseiUpscalePipelines`]: the upscaler's compute kernels on the renderer's device, built
//! once per main-texture format.

use bevy::ecs::resource::Resource;
use bevy::ecs::system::{Commands, Res};
use bevy::log::{info, warn};
use bevy::math::UVec2;
use bevy::platform::collections::HashMap;
use bevy::render::render_resource::{TextureFormat, TextureUsages};
use bevy::render::renderer::{RenderAdapter, RenderDevice, RenderQueue};

use crate::gpu::GpuContext;
use crate::resample::{GpuResampleParams, GpuResampler, ResampleError, ResampleFilter};
use crate::spatial::{GpuEasuParams, GpuSpatialUpscaler, SpatialError, SpatialUpscaleParams};
use crate::temporal::{BlendNetCpu, DepthInput, GpuTemporalResolver, TemporalError, shipped_blend};

/// The upscaler kernels the pass records, per main-texture format, on the renderer's own device
/// (wrapped with [`GpuContext::from_parts`], so no texture is copied between devices).
///
/// Inserted in `RenderStartup`; formats are built on first use by
/// [`prepare_kansei_upscale`](super::prepare_kansei_upscale).
#[derive(Resource)]
pub struct KanseiUpscalePipelines {
    gpu: GpuContext,
    /// `None` once a format has failed: its warning was logged, and it is not retried.
    by_format: HashMap<TextureFormat, Option<UpscaleKernels>>,
    /// The temporal resolve per output format, reading Bevy's `Depth32Float` prepass depth;
    /// `None` once a format has failed, as for `by_format`.
    temporal: HashMap<TextureFormat, Option<GpuTemporalResolver>>,
    /// The learned blend written into the temporal resolve; `None` resolves with the rule.
    blend: Option<BlendNetCpu>,
}

/// What upscales one format: the spatial upscaler, or bicubic when EASU + RCAS could not be
/// built on this device.
pub enum UpscaleKernels {
    /// EASU, then RCAS when sharpening.
    Spatial(GpuSpatialUpscaler),
    /// Bicubic resampling, the fallback; it does not sharpen.
    Bicubic(GpuResampler),
}

/// One upscale, as the pass records it.
pub struct UpscaleTarget<'a> {
    /// The main texture holding the frame in its top-left `render` texels.
    pub source: &'a wgpu::TextureView,
    /// The other main texture; its top-left `display` texels are written.
    pub destination: &'a wgpu::TextureView,
    /// A `display`-sized texture of the same format for the sharpening pass; without one the
    /// frame is not sharpened.
    pub intermediate: Option<&'a wgpu::TextureView>,
    /// The size rendered.
    pub render: UVec2,
    /// The size shown.
    pub display: UVec2,
    /// RCAS sharpness in stops; `f32::INFINITY` skips sharpening.
    pub rcas_stops: f32,
}

/// Why recording an upscale failed.
#[derive(Debug, thiserror::Error)]
pub enum UpscalePassError {
    /// The spatial upscaler rejected the sizes or the views.
    #[error(transparent)]
    Spatial(#[from] SpatialError),
    /// The bicubic fallback rejected the sizes or the views.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// The temporal resolve rejected the sizes, the parameters or the views.
    #[error(transparent)]
    Temporal(#[from] TemporalError),
}

impl UpscaleKernels {
    /// The RCAS pass the temporal path sharpens with; `None` on the bicubic fallback, which
    /// has no RCAS kernel, so such views are not sharpened.
    pub fn sharpener(&self) -> Option<&GpuSpatialUpscaler> {
        match self {
            Self::Spatial(spatial) => Some(spatial),
            Self::Bicubic(_) => None,
        }
    }

    /// Records the upscale into `encoder`. On an error nothing has been recorded.
    pub fn encode(
        &self,
        gpu: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        target: &UpscaleTarget<'_>,
    ) -> Result<(), UpscalePassError> {
        let in_size = target.render.to_array();
        let out_size = target.display.to_array();
        match self {
            Self::Spatial(spatial) => match target.intermediate {
                Some(intermediate) if target.rcas_stops.is_finite() => spatial.encode(
                    gpu,
                    encoder,
                    target.source,
                    intermediate,
                    target.destination,
                    &SpatialUpscaleParams {
                        in_size,
                        out_size,
                        sharpness: target.rcas_stops,
                    },
                )?,
                _ => spatial.encode_easu(
                    gpu,
                    encoder,
                    target.source,
                    target.destination,
                    &GpuEasuParams { in_size, out_size },
                )?,
            },
            Self::Bicubic(resampler) => resampler.encode(
                gpu,
                encoder,
                target.source,
                target.destination,
                &GpuResampleParams::new(in_size, out_size, ResampleFilter::Bicubic),
            )?,
        }
        Ok(())
    }
}

impl KanseiUpscalePipelines {
    /// Wraps the renderer's device and queue; builds nothing yet. The temporal resolve will
    /// use `blend` (none, the rule alone, by default; see [`KanseiTemporalBlend`]).
    pub fn new(device: &RenderDevice, queue: &RenderQueue, blend: Option<BlendNetCpu>) -> Self {
        let queue: &wgpu::Queue = &queue.0;
        Self {
            gpu: GpuContext::from_parts(device.wgpu_device().clone(), queue.clone()),
            by_format: HashMap::default(),
            temporal: HashMap::default(),
            blend,
        }
    }

    /// The renderer's device and queue, as the core's context.
    pub fn gpu(&self) -> &GpuContext {
        &self.gpu
    }

    /// The kernels for `format` if they have been built successfully.
    pub fn ready(&self, format: TextureFormat) -> Option<&UpscaleKernels> {
        self.by_format.get(&format).and_then(Option::as_ref)
    }

    /// The kernels for `format`, building them the first time (this blocks while the shaders
    /// compile). `None` when the adapter cannot write `format` from a compute shader or the
    /// shaders cannot be built for it; that is logged once per format, as a warning.
    pub fn get_or_build(
        &mut self,
        format: TextureFormat,
        adapter: &RenderAdapter,
    ) -> Option<&UpscaleKernels> {
        let gpu = &self.gpu;
        self.by_format
            .entry(format)
            .or_insert_with(|| build_kernels(gpu, format, adapter))
            .as_ref()
    }
}

impl KanseiUpscalePipelines {
    /// The learned blend the temporal resolve uses, if any.
    pub fn blend(&self) -> Option<&BlendNetCpu> {
        self.blend.as_ref()
    }

    /// The temporal resolver for `format` if it has been built successfully.
    pub fn temporal_ready(&self, format: TextureFormat) -> Option<&GpuTemporalResolver> {
        self.temporal.get(&format).and_then(Option::as_ref)
    }

    /// The temporal resolver writing `format` and reading a `Depth32Float` depth texture,
    /// building it the first time (this blocks while the shaders compile). `None` when it
    /// cannot be built; that is logged once per format, as a warning, and cameras fall back to
    /// the spatial path. Call [`KanseiUpscalePipelines::get_or_build`] first: the spatial
    /// kernels' checks (storage support of `format`) apply here too.
    pub fn get_or_build_temporal(&mut self, format: TextureFormat) -> Option<&GpuTemporalResolver> {
        let gpu = &self.gpu;
        self.temporal
            .entry(format)
            .or_insert_with(|| {
                let adapter_name = &gpu.adapter_info().name;
                let blend = self.blend.as_ref();
                match GpuTemporalResolver::with_blend(gpu, format, DepthInput::DepthTexture, blend)
                {
                    Ok(resolver) => {
                        info!(
                            "kansei_upscale: temporal resolve ready for {format:?} on \
                             `{adapter_name}`"
                        );
                        Some(resolver)
                    }
                    Err(error) => {
                        warn!(
                            "kansei_upscale: the temporal resolve cannot be built for {format:?} \
                             on `{adapter_name}` ({error}); cameras with `KanseiUpscale` that \
                             render in {format:?} use the spatial upscaler"
                        );
                        None
                    }
                }
            })
            .as_ref()
    }
}

/// Builds the spatial upscaler for `format`, else bicubic, else warns and gives up.
fn build_kernels(
    gpu: &GpuContext,
    format: TextureFormat,
    adapter: &RenderAdapter,
) -> Option<UpscaleKernels> {
    let adapter_name = &gpu.adapter_info().name;
    let usages = adapter.get_texture_format_features(format).allowed_usages;
    if !usages.contains(TextureUsages::STORAGE_BINDING) {
        warn!(
            "kansei_upscale: adapter `{adapter_name}` cannot use {format:?} as a storage texture, \
             so the upscaler cannot write the main texture; cameras with `KanseiUpscale` that \
             render in {format:?} stay at display resolution"
        );
        return None;
    }
    let spatial_error = match GpuSpatialUpscaler::with_output_format(gpu, format) {
        Ok(spatial) => {
            info!("kansei_upscale: EASU + RCAS ready for {format:?} on `{adapter_name}`");
            return Some(UpscaleKernels::Spatial(spatial));
        }
        Err(error) => error,
    };
    match GpuResampler::with_output_format(gpu, format) {
        Ok(resampler) => {
            warn!(
                "kansei_upscale: EASU + RCAS cannot be built for {format:?} on `{adapter_name}` \
                 ({spatial_error}); falling back to bicubic upscaling without sharpening"
            );
            Some(UpscaleKernels::Bicubic(resampler))
        }
        Err(resample_error) => {
            warn!(
                "kansei_upscale: no upscaler can be built for {format:?} on `{adapter_name}` \
                 (EASU + RCAS: {spatial_error}; bicubic: {resample_error}); cameras with \
                 `KanseiUpscale` that render in {format:?} stay at display resolution"
            );
            None
        }
    }
}

/// Inserts [`KanseiUpscalePipelines`] once the renderer's device exists.
pub fn init_kansei_upscale_pipelines(
    mut commands: Commands,
    device: Res<RenderDevice>,
    queue: Res<RenderQueue>,
    choice: Option<Res<KanseiTemporalBlend>>,
) {
    let blend = match choice.map_or(KanseiTemporalBlend::default(), |c| *c) {
        KanseiTemporalBlend::Rule => None,
        KanseiTemporalBlend::Learned => match shipped_blend() {
            Ok(net) => Some(net),
            Err(error) => {
                warn!(
                    "kansei_upscale: the learned temporal blend cannot be loaded ({error}); the \
                     temporal resolve blends with its hand-written rule"
                );
                None
            }
        },
    };
    commands.insert_resource(KanseiUpscalePipelines::new(&device, &queue, blend));
}

/// How the temporal resolve chooses, per pixel, how much of the clip to undo and how much of
/// the new frame to blend in: with the hand-written rule alone (`Rule`, the default), or with
/// the shipped network correcting the rule (`Learned`;
/// `assets/models/kansei-temporal-blend.model.ron` is its card). The network is sharper and
/// less stable: on the quality harness at `Performance` it gains about 1.1 dB of PSNR against
/// the supersampled ground truth, flickers twice as much (more than Bevy's TAA at native
/// resolution) and leaves slightly longer trails behind moving objects (the README has the
/// figures); it also costs 0.6 ms more per frame at 4K on a
/// PS5-class GPU (`kansei_upscale::temporal::cost`). Insert it before adding
/// [`KanseiUpscalePlugin`]; it is read once, when the renderer starts.
///
/// [`KanseiUpscalePlugin`]: super::KanseiUpscalePlugin
#[derive(Resource, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KanseiTemporalBlend {
    /// The hand-written rule alone. The default.
    #[default]
    Rule,
    /// The shipped network corrects the rule.
    Learned,
}
