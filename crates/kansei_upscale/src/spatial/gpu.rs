//! [`GpuSpatialUpscaler`]: `shaders/easu.wgsl` and `shaders/rcas.wgsl` behind a small Rust API.

use super::SpatialError;
use super::params::{GpuEasuParams, GpuRcasParams, SpatialUpscaleParams};
use crate::gpu::{
    BindingKind, ComputeKernel, GpuContext, GpuError, KernelDescriptor, RGBA32F,
    create_buffer_init, create_texture_2d, read_image, upload_image, with_storage_format,
    workgroups_2d,
};
use crate::image::ImageF32;

/// The EASU shader, embedded at compile time from the repository's `shaders/` folder.
pub const EASU_WGSL: &str = crate::gpu::shader_with_common!("easu.wgsl");

/// The RCAS shader, embedded at compile time from the repository's `shaders/` folder.
pub const RCAS_WGSL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shaders/rcas.wgsl"
));

const EASU_LABEL: &str = "kansei:easu";
const RCAS_LABEL: &str = "kansei:rcas";
const LABEL: &str = "kansei:spatial";

/// Bind group of both shaders, in `@binding` order, for a destination of `format`.
fn bindings(format: wgpu::TextureFormat) -> [BindingKind; 3] {
    [
        // @binding(0) var<uniform> params: EasuParams / RcasParams;
        BindingKind::Uniform,
        // @binding(1) var source: texture_2d<f32>;
        BindingKind::Texture2d,
        // @binding(2) var destination: texture_storage_2d<rgba32float, write>; (or `format`)
        BindingKind::StorageTexture2d {
            format,
            access: wgpu::StorageTextureAccess::WriteOnly,
        },
    ]
}

/// Runs the edge-adaptive upscaler (EASU, then RCAS sharpening; see [`crate::spatial`]) on the
/// GPU.
///
/// Building the two pipelines is the expensive part (seconds on a software adapter), so make
/// one `GpuSpatialUpscaler` per device and reuse it.
#[derive(Debug, Clone)]
pub struct GpuSpatialUpscaler {
    easu: ComputeKernel,
    rcas: ComputeKernel,
    output_format: wgpu::TextureFormat,
}

impl GpuSpatialUpscaler {
    /// Compiles both shaders and builds their pipelines on `ctx`'s device, writing
    /// `rgba32float`.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        Self::with_output_format(ctx, RGBA32F)
    }

    /// Like [`GpuSpatialUpscaler::new`], but both passes write `output_format` (`rgba32float`,
    /// `rgba16float` or `rgba8unorm`, see [`with_storage_format`]), for
    /// [`GpuSpatialUpscaler::encode`] into a renderer's own textures.
    ///
    /// The methods that read their result back ([`GpuSpatialUpscaler::upscale`],
    /// [`GpuSpatialUpscaler::easu`], [`GpuSpatialUpscaler::rcas`]) need `rgba32float`.
    pub fn with_output_format(
        ctx: &GpuContext,
        output_format: wgpu::TextureFormat,
    ) -> Result<Self, GpuError> {
        let bindings = bindings(output_format);
        let kernel = |label, wgsl: &str, entry_point| -> Result<ComputeKernel, GpuError> {
            let wgsl = with_storage_format(wgsl, output_format)?;
            ComputeKernel::new(
                ctx,
                &KernelDescriptor {
                    label,
                    wgsl: &wgsl,
                    entry_point,
                    bindings: &bindings,
                },
            )
        };
        Ok(Self {
            easu: kernel(EASU_LABEL, EASU_WGSL, "easu")?,
            rcas: kernel(RCAS_LABEL, RCAS_WGSL, "rcas")?,
            output_format,
        })
    }

    /// The format both passes write.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.output_format
    }

    /// The read-back methods copy an `rgba32float` result to the CPU.
    fn check_readable(&self) -> Result<(), GpuError> {
        if self.output_format == RGBA32F {
            Ok(())
        } else {
            Err(GpuError::UnsupportedFormat {
                format: self.output_format,
            })
        }
    }

    /// Uploads `input`, upscales it to `out_width x out_height` with EASU, sharpens the result
    /// with RCAS at `sharpness` stops (`0.0` strongest, `f32::INFINITY` off) and reads it back.
    /// Blocks until the GPU is done.
    pub fn upscale(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        out_width: u32,
        out_height: u32,
        sharpness: f32,
    ) -> Result<ImageF32, SpatialError> {
        self.check_readable()?;
        let params = SpatialUpscaleParams {
            in_size: [input.width(), input.height()],
            out_size: [out_width, out_height],
            sharpness,
        };
        params.to_gpu()?;
        let source = upload_source(ctx, input)?;
        let intermediate = create_texture_2d(
            ctx,
            &format!("{LABEL}:intermediate"),
            out_width,
            out_height,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING,
        )?;
        let destination = create_destination(ctx, out_width, out_height)?;
        let view = |texture: &wgpu::Texture| texture.create_view(&Default::default());
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(&format!("{LABEL}:encoder")),
            });
        self.encode(
            ctx,
            &mut encoder,
            &view(&source),
            &view(&intermediate),
            &view(&destination),
            &params,
        )?;
        ctx.capture_errors(&format!("{LABEL}: submit"), || {
            ctx.queue().submit([encoder.finish()]);
        })?;
        Ok(read_image(ctx, &destination)?)
    }

    /// Runs EASU alone (no sharpening): uploads `input`, upscales it to
    /// `out_width x out_height` and reads the result back. Blocks until the GPU is done.
    pub fn easu(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        out_width: u32,
        out_height: u32,
    ) -> Result<ImageF32, SpatialError> {
        self.check_readable()?;
        let params = GpuEasuParams {
            in_size: [input.width(), input.height()],
            out_size: [out_width, out_height],
        };
        params.validate()?;
        let source = upload_source(ctx, input)?;
        let destination = create_destination(ctx, out_width, out_height)?;
        run_once(ctx, &self.easu, &params, &source, &destination)?;
        Ok(read_image(ctx, &destination)?)
    }

    /// Runs RCAS alone: uploads `input`, sharpens it at `sharpness` stops and reads the result
    /// back. Blocks until the GPU is done.
    pub fn rcas(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        sharpness: f32,
    ) -> Result<ImageF32, SpatialError> {
        self.check_readable()?;
        let params = GpuRcasParams::new([input.width(), input.height()], sharpness)?;
        let source = upload_source(ctx, input)?;
        let destination = create_destination(ctx, input.width(), input.height())?;
        run_once(ctx, &self.rcas, &params, &source, &destination)?;
        Ok(read_image(ctx, &destination)?)
    }

    /// Records EASU from `source` into `intermediate`, then RCAS from `intermediate` into
    /// `destination`, into `encoder`, for callers that manage their own textures and submission
    /// (such as a render graph node).
    ///
    /// - `source`: any float view bindable as `texture_2d<f32>` (`TEXTURE_BINDING`), of at
    ///   least `params.in_size`; only its top-left `params.in_size` texels are read.
    /// - `intermediate`: a view of [`GpuSpatialUpscaler::output_format`] with
    ///   `STORAGE_BINDING | TEXTURE_BINDING`, of size `params.out_size`. `rgba32float` keeps the
    ///   GPU result equal to the CPU reference.
    /// - `destination`: a view of [`GpuSpatialUpscaler::output_format`] with `STORAGE_BINDING`,
    ///   of at least `params.out_size`; its top-left `params.out_size` texels are written.
    ///
    /// `params` must describe the sizes read and written; the views themselves are not
    /// inspected. wgpu inserts the barrier between the two passes. Both bind groups are made
    /// before anything is recorded, so on an error `encoder` is left as it was.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        intermediate: &wgpu::TextureView,
        destination: &wgpu::TextureView,
        params: &SpatialUpscaleParams,
    ) -> Result<(), SpatialError> {
        let (easu_params, rcas_params) = params.to_gpu()?;
        let easu_group = bind(ctx, &self.easu, &easu_params, source, intermediate)?;
        let rcas_group = bind(ctx, &self.rcas, &rcas_params, intermediate, destination)?;
        let [out_width, out_height] = params.out_size;
        let workgroups = workgroups_2d(out_width, out_height);
        self.easu.encode(encoder, &easu_group, workgroups);
        self.rcas.encode(encoder, &rcas_group, workgroups);
        Ok(())
    }

    /// Records EASU alone (no sharpening, so no intermediate texture) from `source` into
    /// `destination` into `encoder`. The views follow the rules of
    /// [`GpuSpatialUpscaler::encode`]; on an error `encoder` is left as it was.
    pub fn encode_easu(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        destination: &wgpu::TextureView,
        params: &GpuEasuParams,
    ) -> Result<(), SpatialError> {
        params.validate()?;
        let group = bind(ctx, &self.easu, params, source, destination)?;
        let [out_width, out_height] = params.out_size;
        self.easu
            .encode(encoder, &group, workgroups_2d(out_width, out_height));
        Ok(())
    }

    /// Records RCAS alone from `source` into `destination` into `encoder`, sharpening the
    /// top-left `size` texels at `sharpness` stops (`0.0` strongest, `f32::INFINITY` a copy),
    /// for callers whose upscale came from elsewhere (the Bevy plugin's temporal resolve).
    ///
    /// - `source`: any float view bindable as `texture_2d<f32>` (`TEXTURE_BINDING`), of at
    ///   least `size`; reads past `size` are clamped to its edge, so texels outside it never
    ///   leak in.
    /// - `destination`: a view of [`GpuSpatialUpscaler::output_format`] with
    ///   `STORAGE_BINDING`, of at least `size`; its top-left `size` texels are written.
    ///
    /// On an error `encoder` is left as it was.
    pub fn encode_rcas(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        destination: &wgpu::TextureView,
        size: [u32; 2],
        sharpness: f32,
    ) -> Result<(), SpatialError> {
        let params = GpuRcasParams::new(size, sharpness)?;
        let group = bind(ctx, &self.rcas, &params, source, destination)?;
        let [width, height] = size;
        self.rcas
            .encode(encoder, &group, workgroups_2d(width, height));
        Ok(())
    }
}

/// Uploads `input` as the source texture of a pass.
fn upload_source(ctx: &GpuContext, input: &ImageF32) -> Result<wgpu::Texture, GpuError> {
    upload_image(
        ctx,
        &format!("{LABEL}:source"),
        input,
        wgpu::TextureUsages::TEXTURE_BINDING,
    )
}

/// A storage texture the last pass writes and the caller reads back.
fn create_destination(
    ctx: &GpuContext,
    width: u32,
    height: u32,
) -> Result<wgpu::Texture, GpuError> {
    create_texture_2d(
        ctx,
        &format!("{LABEL}:destination"),
        width,
        height,
        RGBA32F,
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    )
}

/// Binds a uniform block, a source view and a destination view to `kernel`'s layout.
fn bind<P: bytemuck::Pod>(
    ctx: &GpuContext,
    kernel: &ComputeKernel,
    params: &P,
    source: &wgpu::TextureView,
    destination: &wgpu::TextureView,
) -> Result<wgpu::BindGroup, GpuError> {
    let uniform = create_buffer_init(
        ctx,
        &format!("{}:params", kernel.label()),
        std::slice::from_ref(params),
        wgpu::BufferUsages::UNIFORM,
    )?;
    kernel.bind_group(
        ctx,
        &[
            uniform.as_entire_binding(),
            wgpu::BindingResource::TextureView(source),
            wgpu::BindingResource::TextureView(destination),
        ],
    )
}

/// One pass from `source` to `destination` (same size as the dispatch), submitted and waited for.
fn run_once<P: bytemuck::Pod>(
    ctx: &GpuContext,
    kernel: &ComputeKernel,
    params: &P,
    source: &wgpu::Texture,
    destination: &wgpu::Texture,
) -> Result<(), GpuError> {
    let source_view = source.create_view(&wgpu::TextureViewDescriptor::default());
    let destination_view = destination.create_view(&wgpu::TextureViewDescriptor::default());
    let bind_group = bind(ctx, kernel, params, &source_view, &destination_view)?;
    ctx.capture_errors(&format!("{}: dispatch", kernel.label()), || {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some(&format!("{}:encoder", kernel.label())),
            });
        kernel.encode(
            &mut encoder,
            &bind_group,
            workgroups_2d(destination.width(), destination.height()),
        );
        ctx.queue().submit([encoder.finish()]);
    })?;
    ctx.wait_idle()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spatial::{EASU_FOOTPRINT, EASU_LOBE_EDGE, EASU_LOBE_FLAT, EASU_MAX_STRETCH};
    use wgpu::naga;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    fn parse(wgsl: &str) -> Result<naga::Module, String> {
        naga::front::wgsl::parse_str(wgsl).map_err(|e| e.emit_to_string(wgsl))
    }

    #[test]
    fn shaders_are_valid_wgsl() -> TestResult {
        for wgsl in [EASU_WGSL, RCAS_WGSL] {
            let module = parse(wgsl)?;
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            )
            .validate(&module)
            .map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    }

    #[test]
    fn shaders_are_valid_wgsl_for_every_output_format() -> TestResult {
        use crate::gpu::RGBA32F_STORAGE_DECLARATION;
        for wgsl in [EASU_WGSL, RCAS_WGSL] {
            assert_eq!(wgsl.matches(RGBA32F_STORAGE_DECLARATION).count(), 1);
            for format in [
                wgpu::TextureFormat::Rgba16Float,
                wgpu::TextureFormat::Rgba8Unorm,
            ] {
                let wgsl = with_storage_format(wgsl, format)?;
                assert!(!wgsl.contains(RGBA32F_STORAGE_DECLARATION));
                naga::valid::Validator::new(
                    naga::valid::ValidationFlags::all(),
                    naga::valid::Capabilities::empty(),
                )
                .validate(&parse(&wgsl)?)
                .map_err(|e| format!("{format:?}: {e:?}"))?;
            }
        }
        Ok(())
    }

    #[test]
    fn easu_params_layout_matches_the_shader() -> TestResult {
        let module = parse(EASU_WGSL)?;
        let (fields, span) = crate::gpu::wgsl_struct_layout(&module, "EasuParams")
            .ok_or("no EasuParams in the shader")?;
        assert_eq!(span as usize, size_of::<GpuEasuParams>());
        let offsets: Vec<(&str, u32)> = fields.iter().map(|(n, o)| (n.as_str(), *o)).collect();
        assert_eq!(offsets, [("in_size", 0), ("out_size", 8)]);
        assert_eq!(std::mem::offset_of!(GpuEasuParams, in_size), 0);
        assert_eq!(std::mem::offset_of!(GpuEasuParams, out_size), 8);
        Ok(())
    }

    #[test]
    fn rcas_params_layout_matches_the_shader() -> TestResult {
        let module = parse(RCAS_WGSL)?;
        let (fields, span) = crate::gpu::wgsl_struct_layout(&module, "RcasParams")
            .ok_or("no RcasParams in the shader")?;
        assert_eq!(span as usize, size_of::<GpuRcasParams>());
        let offsets: Vec<(&str, u32)> = fields.iter().map(|(n, o)| (n.as_str(), *o)).collect();
        assert_eq!(offsets[..2], [("size", 0), ("amount", 8)]);
        assert_eq!(
            std::mem::offset_of!(GpuRcasParams, amount),
            8,
            "Rust mirror must put amount where WGSL does"
        );
        Ok(())
    }

    #[test]
    fn easu_constants_match_the_cpu() -> TestResult {
        for constant in [
            format!("const MAX_STRETCH: f32 = {EASU_MAX_STRETCH:?};"),
            format!("const LOBE_FLAT: f32 = {EASU_LOBE_FLAT:?};"),
            format!("const LOBE_EDGE: f32 = {EASU_LOBE_EDGE:?};"),
        ] {
            assert!(EASU_WGSL.contains(&constant), "missing `{constant}`");
        }
        // The footprint, written out in the CPU's order.
        let taps: Vec<String> = EASU_FOOTPRINT
            .iter()
            .map(|(i, j)| format!("vec2<i32>({i}, {j})"))
            .collect();
        let start = EASU_WGSL.find("const FOOTPRINT").unwrap_or(0);
        let mut rest = &EASU_WGSL[start..];
        for tap in &taps {
            let at = rest
                .find(tap.as_str())
                .ok_or_else(|| format!("footprint tap {tap} missing or out of order"))?;
            rest = &rest[at + tap.len()..];
        }
        Ok(())
    }

    #[test]
    fn shaders_share_one_definition_of_the_sampling_maths() {
        // shaders/common/sampling.wgsl is prepended to each shader; a second copy of a shared
        // function in a shader file would fail to compile (redefinition) or, if renamed, drift.
        for wgsl in [
            EASU_WGSL,
            crate::resample::RESAMPLE_WGSL,
            crate::net_gpu::UPSCALE_NET_WGSL,
        ] {
            for shared in [
                "fn source_position(",
                "fn keys_weight(",
                "struct SourcePosition",
            ] {
                assert_eq!(wgsl.matches(shared).count(), 1, "{shared}");
            }
        }
    }
}
