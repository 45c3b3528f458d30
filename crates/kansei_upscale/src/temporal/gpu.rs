//! [`GpuTemporalResolver`]: `shaders/temporal_resolve.wgsl` and
//! `shaders/temporal_depth_history.wgsl` behind a small Rust API.

use super::blend_net::{BlendNetCpu, with_blend_net};
use super::cpu::TemporalFrame;
use super::history::TemporalHistory;
use super::memory::{HISTORY_COLOR_FORMAT, HISTORY_DEPTH_FORMAT};
use super::params::TemporalParams;
use super::{TemporalError, check_covers};
use crate::gpu::{
    BindingKind, ComputeKernel, GpuContext, GpuError, KernelDescriptor, RGBA32F,
    create_buffer_init, create_texture_2d, read_image, upload_image, with_depth_texture,
    with_storage_format, workgroups_2d,
};
use crate::image::ImageF32;

/// `shaders/<file>` after what both temporal shaders share: `shaders/common/temporal_params.wgsl`
/// (`TemporalParams`, the uniform block of both, and `inside_render`) and
/// `shaders/common/temporal_depth.wgsl` (the depth history's encoding).
macro_rules! with_temporal_common {
    ($file:literal) => {
        concat!(
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/common/temporal_params.wgsl"
            )),
            "\n",
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/common/temporal_depth.wgsl"
            )),
            "\n",
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/",
                $file
            ))
        )
    };
}

/// The resolve shader, embedded at compile time (with the temporal common files first).
pub const TEMPORAL_RESOLVE_WGSL: &str = with_temporal_common!("temporal_resolve.wgsl");

/// The depth-history shader, embedded at compile time (with the temporal common files first).
pub const TEMPORAL_DEPTH_HISTORY_WGSL: &str = with_temporal_common!("temporal_depth_history.wgsl");

const LABEL: &str = "kansei:temporal";
const RESOLVE_LABEL: &str = "kansei:temporal:resolve";
const DEPTH_LABEL: &str = "kansei:temporal:depth_history";

/// How the temporal shaders bind this frame's depth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DepthInput {
    /// `texture_2d<f32>`: depth in channel 0 of a float colour texture (`r32float`), as the
    /// tests and tools upload it. The default.
    #[default]
    Float,
    /// `texture_depth_2d`: the depth aspect of a depth-format texture, such as Bevy's
    /// `Depth32Float` prepass depth (compiled with [`with_depth_texture`]).
    DepthTexture,
}

impl DepthInput {
    fn binding(self) -> BindingKind {
        match self {
            Self::Float => BindingKind::Texture2d,
            Self::DepthTexture => BindingKind::DepthTexture2d,
        }
    }

    fn wgsl(self, wgsl: &str) -> String {
        match self {
            Self::Float => wgsl.to_owned(),
            Self::DepthTexture => with_depth_texture(wgsl),
        }
    }
}

/// Bind group of `temporal_resolve.wgsl`, in `@binding` order, for an output of `format`.
fn resolve_bindings(format: wgpu::TextureFormat, depth: DepthInput) -> [BindingKind; 8] {
    [
        // @binding(0) var<uniform> params: TemporalParams;
        BindingKind::Uniform,
        // @binding(1) var color_texture: texture_2d<f32>;
        BindingKind::Texture2d,
        // @binding(2) var depth_texture: texture_2d<f32>; (or texture_depth_2d)
        depth.binding(),
        // @binding(3) var motion_texture: texture_2d<f32>;
        BindingKind::Texture2d,
        // @binding(4) var history_in: texture_2d<f32>;
        BindingKind::Texture2d,
        // @binding(5) var depth_history: texture_2d<u32>;
        BindingKind::UintTexture2d,
        // @binding(6) var history_out: texture_storage_2d<rgba8unorm, write>;
        BindingKind::StorageTexture2d {
            format: HISTORY_COLOR_FORMAT,
            access: wgpu::StorageTextureAccess::WriteOnly,
        },
        // @binding(7) var output: texture_storage_2d<rgba32float, write>; (or `format`)
        BindingKind::StorageTexture2d {
            format,
            access: wgpu::StorageTextureAccess::WriteOnly,
        },
    ]
}

/// Bind group of `temporal_depth_history.wgsl`, in `@binding` order.
fn depth_bindings(depth: DepthInput) -> [BindingKind; 4] {
    [
        // @binding(0) var<uniform> params: TemporalParams;
        BindingKind::Uniform,
        // @binding(1) var depth_texture: texture_2d<f32>; (or texture_depth_2d)
        depth.binding(),
        // @binding(2) var depth_history: texture_storage_2d<r32uint, write>;
        BindingKind::StorageTexture2d {
            format: HISTORY_DEPTH_FORMAT,
            access: wgpu::StorageTextureAccess::WriteOnly,
        },
        // @binding(3) var motion_texture: texture_2d<f32>;
        BindingKind::Texture2d,
    ]
}

/// The textures one resolve reads. Colour, depth and motion hold the frame in their top-left
/// render rectangle ([`TemporalParams::render_size`]) and may be larger.
#[derive(Debug, Clone, Copy)]
pub struct TemporalInputs<'a> {
    /// This frame's colour, any float format (Bevy's `rgba16float` main texture).
    pub color: &'a wgpu::TextureView,
    /// This frame's reverse-Z depth: channel 0 of a float colour format (`r32float`) for a
    /// resolver built with [`DepthInput::Float`], or a depth format (Bevy's `Depth32Float`)
    /// for one built with [`DepthInput::DepthTexture`].
    pub depth: &'a wgpu::TextureView,
    /// Motion vectors in channels 0 and 1 (Bevy's `rg16float`), see
    /// [`TemporalFrame::motion`].
    pub motion: &'a wgpu::TextureView,
    /// The colour history written by the previous resolve ([`HISTORY_COLOR_FORMAT`]).
    pub history_in: &'a wgpu::TextureView,
    /// The depth history ([`HISTORY_DEPTH_FORMAT`], `TEXTURE_BINDING | STORAGE_BINDING`): read
    /// by the resolve, then overwritten with this frame's depth neighbourhoods by a second
    /// dispatch.
    pub depth_history: &'a wgpu::TextureView,
}

/// The temporal resolve on the GPU (see [`crate::temporal`]).
///
/// Building the pipelines is the expensive part (seconds on a software adapter), so make one
/// per device and output format and reuse it.
#[derive(Debug, Clone)]
pub struct GpuTemporalResolver {
    resolve: ComputeKernel,
    depth: ComputeKernel,
    output_format: wgpu::TextureFormat,
    depth_input: DepthInput,
}

impl GpuTemporalResolver {
    /// Compiles both shaders for an output of `output_format` (`rgba32float`, `rgba16float` or
    /// `rgba8unorm`, see [`with_storage_format`]).
    ///
    /// Depth is read from a float colour texture ([`DepthInput::Float`]); see
    /// [`GpuTemporalResolver::with_depth_input`] for a depth-format texture.
    pub fn new(ctx: &GpuContext, output_format: wgpu::TextureFormat) -> Result<Self, GpuError> {
        Self::with_depth_input(ctx, output_format, DepthInput::Float)
    }

    /// Compiles both shaders for an output of `output_format`, binding depth as `depth_input`
    /// says ([`DepthInput::DepthTexture`] for a renderer's `Depth32Float` depth buffer).
    pub fn with_depth_input(
        ctx: &GpuContext,
        output_format: wgpu::TextureFormat,
        depth_input: DepthInput,
    ) -> Result<Self, GpuError> {
        Self::with_blend(ctx, output_format, depth_input, None)
    }

    /// [`GpuTemporalResolver::with_depth_input`] with the learned blend `blend` written into
    /// the resolve ([`with_blend_net`]); `None` resolves with the hand-written rule alone.
    pub fn with_blend(
        ctx: &GpuContext,
        output_format: wgpu::TextureFormat,
        depth_input: DepthInput,
        blend: Option<&BlendNetCpu>,
    ) -> Result<Self, GpuError> {
        let source = match blend {
            Some(net) => with_blend_net(TEMPORAL_RESOLVE_WGSL, net)
                .map_err(|reason| GpuError::Shader { reason })?,
            None => TEMPORAL_RESOLVE_WGSL.to_owned(),
        };
        let wgsl = depth_input.wgsl(&with_storage_format(&source, output_format)?);
        let resolve = ComputeKernel::new(
            ctx,
            &KernelDescriptor {
                label: RESOLVE_LABEL,
                wgsl: &wgsl,
                entry_point: "resolve",
                bindings: &resolve_bindings(output_format, depth_input),
            },
        )?;
        let depth_wgsl = depth_input.wgsl(TEMPORAL_DEPTH_HISTORY_WGSL);
        let depth = ComputeKernel::new(
            ctx,
            &KernelDescriptor {
                label: DEPTH_LABEL,
                wgsl: &depth_wgsl,
                entry_point: "store_depth",
                bindings: &depth_bindings(depth_input),
            },
        )?;
        Ok(Self {
            resolve,
            depth,
            output_format,
            depth_input,
        })
    }

    /// How [`GpuTemporalResolver::encode`] expects [`TemporalInputs::depth`].
    pub fn depth_input(&self) -> DepthInput {
        self.depth_input
    }

    /// The format [`GpuTemporalResolver::encode`] writes the output in.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.output_format
    }

    /// Records one resolve into `encoder`: the resolve pass (writes the top-left display
    /// rectangle of `history_out`, [`HISTORY_COLOR_FORMAT`], and of `output`,
    /// [`GpuTemporalResolver::output_format`]), then the depth-history pass.
    ///
    /// `history_out` must be a different texture from `inputs.history_in`; the caller swaps
    /// them for the next frame. Sizes come from `params`; the views are not inspected.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        inputs: &TemporalInputs<'_>,
        history_out: &wgpu::TextureView,
        output: &wgpu::TextureView,
        params: &TemporalParams,
    ) -> Result<(), TemporalError> {
        let gpu_params = params.to_gpu()?;
        let uniform = create_buffer_init(
            ctx,
            &format!("{LABEL}:params"),
            std::slice::from_ref(&gpu_params),
            wgpu::BufferUsages::UNIFORM,
        )?;
        let view = wgpu::BindingResource::TextureView;
        let resolve_group = self.resolve.bind_group(
            ctx,
            &[
                uniform.as_entire_binding(),
                view(inputs.color),
                view(inputs.depth),
                view(inputs.motion),
                view(inputs.history_in),
                view(inputs.depth_history),
                view(history_out),
                view(output),
            ],
        )?;
        let depth_group = self.depth.bind_group(
            ctx,
            &[
                uniform.as_entire_binding(),
                view(inputs.depth),
                view(inputs.depth_history),
                view(inputs.motion),
            ],
        )?;
        let [dw, dh] = params.display_size;
        let [rw, rh] = params.render_size;
        // Two passes in order: wgpu makes the second wait for the first's reads of the depth
        // history before it overwrites it.
        self.resolve
            .encode(encoder, &resolve_group, workgroups_2d(dw, dh));
        self.depth
            .encode(encoder, &depth_group, workgroups_2d(rw, rh));
        Ok(())
    }

    /// Uploads `frame`, resolves it against `history` (which is then swapped to the new
    /// history) and reads the output back. Blocks until the GPU is done. Needs an
    /// `rgba32float` resolver.
    pub fn resolve(
        &self,
        ctx: &GpuContext,
        history: &mut TemporalHistory,
        frame: &TemporalFrame<'_>,
        params: &TemporalParams,
    ) -> Result<ImageF32, TemporalError> {
        if self.output_format != RGBA32F {
            return Err(GpuError::UnsupportedFormat {
                format: self.output_format,
            }
            .into());
        }
        // It uploads depth as `r32float`, which only the float binding reads.
        if self.depth_input != DepthInput::Float {
            return Err(GpuError::UnsupportedFormat {
                format: wgpu::TextureFormat::Depth32Float,
            }
            .into());
        }
        params.to_gpu()?;
        check_covers("colour", frame.color, params.render_size)?;
        check_covers("depth", frame.depth, params.render_size)?;
        check_covers("motion", frame.motion, params.render_size)?;
        if history.display_size() != params.display_size {
            return Err(TemporalError::HistorySize {
                history: history.display_size(),
                display: params.display_size,
            });
        }
        let upload = |what: &str, image: &ImageF32| {
            upload_image(
                ctx,
                &format!("{LABEL}:{what}"),
                image,
                wgpu::TextureUsages::TEXTURE_BINDING,
            )
        };
        let color = upload("color", frame.color)?;
        let depth = upload("depth", frame.depth)?;
        let motion = upload("motion", frame.motion)?;
        let [dw, dh] = params.display_size;
        let output = create_texture_2d(
            ctx,
            &format!("{LABEL}:output"),
            dw,
            dh,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        )?;
        let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
        let (color_view, depth_view, motion_view) = (view(&color), view(&depth), view(&motion));
        let output_view = view(&output);
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(&format!("{LABEL}:encoder")),
            });
        self.encode(
            ctx,
            &mut encoder,
            &TemporalInputs {
                color: &color_view,
                depth: &depth_view,
                motion: &motion_view,
                history_in: history.read_view(),
                depth_history: history.depth_view(),
            },
            history.write_view(),
            &output_view,
            params,
        )?;
        ctx.capture_errors(&format!("{LABEL}: submit"), || {
            ctx.queue().submit([encoder.finish()]);
        })?;
        ctx.wait_idle()?;
        history.swap();
        Ok(read_image(ctx, &output)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::temporal::params::{
        AGREEMENT_DEVIATION, COLOR_MAX, CONFIDENCE_MAX, CONFIDENCE_STEPS, DISAGREEMENT_PERSISTS,
        GpuTemporalParams, RESAMPLE_DECAY, SAMPLE_SIGMA, STATIC_AGREEMENT, STATIC_CONFIDENCE_GAIN,
    };
    use wgpu::naga;

    fn validate(wgsl: &str) -> Result<naga::Module, String> {
        let module = naga::front::wgsl::parse_str(wgsl).map_err(|e| e.emit_to_string(wgsl))?;
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .map_err(|e| format!("{e:?}"))?;
        Ok(module)
    }

    #[test]
    fn shaders_are_valid_for_every_output_format() -> Result<(), String> {
        use crate::gpu::RGBA32F_STORAGE_DECLARATION;
        assert_eq!(
            TEMPORAL_RESOLVE_WGSL
                .matches(RGBA32F_STORAGE_DECLARATION)
                .count(),
            1
        );
        validate(TEMPORAL_DEPTH_HISTORY_WGSL)?;
        use crate::gpu::FLOAT_DEPTH_DECLARATION;
        for wgsl in [TEMPORAL_RESOLVE_WGSL, TEMPORAL_DEPTH_HISTORY_WGSL] {
            assert_eq!(wgsl.matches(FLOAT_DEPTH_DECLARATION).count(), 1);
        }
        validate(&with_depth_texture(TEMPORAL_DEPTH_HISTORY_WGSL))?;
        validate(&with_depth_texture(TEMPORAL_RESOLVE_WGSL))?;
        for format in [
            RGBA32F,
            wgpu::TextureFormat::Rgba16Float,
            wgpu::TextureFormat::Rgba8Unorm,
        ] {
            let wgsl =
                with_storage_format(TEMPORAL_RESOLVE_WGSL, format).map_err(|e| e.to_string())?;
            validate(&wgsl).map_err(|e| format!("{format:?}: {e}"))?;
        }
        Ok(())
    }

    #[test]
    fn params_layout_matches_the_shaders() -> Result<(), String> {
        let module = validate(TEMPORAL_RESOLVE_WGSL)?;
        let (fields, span) =
            crate::gpu::wgsl_struct_layout(&module, "TemporalParams").ok_or("no struct")?;
        assert_eq!(span as usize, size_of::<GpuTemporalParams>());
        let expected = [
            (
                "render_size",
                std::mem::offset_of!(GpuTemporalParams, render_size),
            ),
            (
                "display_size",
                std::mem::offset_of!(GpuTemporalParams, display_size),
            ),
            ("jitter", std::mem::offset_of!(GpuTemporalParams, jitter)),
            (
                "alpha_min",
                std::mem::offset_of!(GpuTemporalParams, alpha_min),
            ),
            (
                "depth_threshold",
                std::mem::offset_of!(GpuTemporalParams, depth_threshold),
            ),
            (
                "clip_gamma",
                std::mem::offset_of!(GpuTemporalParams, clip_gamma),
            ),
            ("reset", std::mem::offset_of!(GpuTemporalParams, reset)),
            (
                "static_motion",
                std::mem::offset_of!(GpuTemporalParams, static_motion),
            ),
        ];
        for ((name, offset), (field, wgsl_offset)) in expected.iter().zip(&fields) {
            assert_eq!((*name, *offset as u32), (field.as_str(), *wgsl_offset));
        }
        // The depth pass binds the same buffer with the same struct.
        let module = validate(TEMPORAL_DEPTH_HISTORY_WGSL)?;
        let (depth_fields, depth_span) =
            crate::gpu::wgsl_struct_layout(&module, "TemporalParams").ok_or("no struct")?;
        assert_eq!(depth_fields, fields);
        assert_eq!(depth_span, span);
        Ok(())
    }

    #[test]
    fn shader_constants_match_the_cpu() {
        for constant in [
            format!("const SAMPLE_SIGMA: f32 = {SAMPLE_SIGMA:?};"),
            format!("const RESAMPLE_DECAY: f32 = {RESAMPLE_DECAY:?};"),
            format!("const CONFIDENCE_STEPS: f32 = {CONFIDENCE_STEPS:?};"),
            format!("const CONFIDENCE_MAX: f32 = {CONFIDENCE_MAX:?};"),
            format!("const COLOR_MAX: f32 = {COLOR_MAX:?};"),
            format!("const STATIC_CONFIDENCE_GAIN: f32 = {STATIC_CONFIDENCE_GAIN:?};"),
            format!("const STATIC_AGREEMENT: f32 = {STATIC_AGREEMENT:?};"),
            format!("const AGREEMENT_DEVIATION: f32 = {AGREEMENT_DEVIATION:?};"),
            format!("const DISAGREEMENT_PERSISTS: f32 = {DISAGREEMENT_PERSISTS:?};"),
        ] {
            assert!(
                TEMPORAL_RESOLVE_WGSL.contains(&constant),
                "missing `{constant}`"
            );
        }
        assert_eq!(CONFIDENCE_MAX, 127.0 / CONFIDENCE_STEPS);
    }
}
