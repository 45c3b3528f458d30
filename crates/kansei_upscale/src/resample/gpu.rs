//! [`GpuResampler`]: `shaders/resample.wgsl` behind a small Rust API.

use bytemuck::{Pod, Zeroable};

use super::{ResampleError, ResampleFilter};
use crate::gpu::{
    BindingKind, ComputeKernel, GpuContext, GpuError, KernelDescriptor, RGBA32F,
    create_buffer_init, create_texture_2d, read_image, upload_image, with_storage_format,
    workgroups_2d,
};
use crate::image::ImageF32;

/// The resample shader, embedded at compile time from the repository's `shaders/` folder.
pub const RESAMPLE_WGSL: &str = crate::gpu::shader_with_common!("resample.wgsl");

const LABEL: &str = "kansei:resample";

/// Bind group of `resample.wgsl`, in `@binding` order, for a destination of `format`.
fn bindings(format: wgpu::TextureFormat) -> [BindingKind; 3] {
    [
        // @binding(0) var<uniform> params: ResampleParams;
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

/// Uniform block of `resample.wgsl`. Mirrors, field for field:
///
/// ```wgsl
/// struct ResampleParams {
///     in_size: vec2<u32>,
///     out_size: vec2<u32>,
///     filter_id: u32,
///     _pad0: u32,
///     _pad1: u32,
///     _pad2: u32,
/// }
/// ```
///
/// Padded to 32 bytes so the uniform's size is a multiple of 16 on every backend.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct GpuResampleParams {
    /// Source `[width, height]`; must equal the bound source texture's size.
    pub in_size: [u32; 2],
    /// Output `[width, height]`; must equal the bound destination texture's size.
    pub out_size: [u32; 2],
    /// [`ResampleFilter::gpu_id`].
    pub filter_id: u32,
    pad: [u32; 3],
}

const _: () = assert!(size_of::<GpuResampleParams>() == 32);

impl GpuResampleParams {
    /// Parameters for resampling `in_size` to `out_size` with `filter`.
    pub fn new(in_size: [u32; 2], out_size: [u32; 2], filter: ResampleFilter) -> Self {
        Self {
            in_size,
            out_size,
            filter_id: filter.gpu_id(),
            pad: [0; 3],
        }
    }

    /// Checks what the shader relies on: non-empty sizes and no `u32` overflow in its
    /// coordinate maths.
    pub fn validate(&self) -> Result<(), ResampleError> {
        let [out_w, out_h] = self.out_size;
        if out_w == 0 || out_h == 0 {
            return Err(ResampleError::EmptyOutput {
                width: out_w,
                height: out_h,
            });
        }
        for (input, output) in self.in_size.into_iter().zip(self.out_size) {
            // The largest product the shader forms is (2 * (output - 1) + 1) * input.
            let largest = (2 * u64::from(output) - 1) * u64::from(input);
            if largest > u64::from(u32::MAX) {
                return Err(ResampleError::AxisTooLong { input, output });
            }
        }
        Ok(())
    }
}

/// Resamples images on the GPU with `shaders/resample.wgsl`.
///
/// Building the pipeline is the expensive part (seconds on a software adapter), so make one
/// `GpuResampler` per device and reuse it.
#[derive(Debug, Clone)]
pub struct GpuResampler {
    kernel: ComputeKernel,
    output_format: wgpu::TextureFormat,
}

impl GpuResampler {
    /// Compiles the shader and builds the pipeline on `ctx`'s device, writing `rgba32float`.
    pub fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        Self::with_output_format(ctx, RGBA32F)
    }

    /// Like [`GpuResampler::new`], but [`GpuResampler::encode`] writes destinations of
    /// `output_format` (`rgba32float`, `rgba16float` or `rgba8unorm`, see
    /// [`with_storage_format`]), such as a renderer's `rgba16float` HDR texture.
    ///
    /// [`GpuResampler::resample`] reads its result back as `rgba32float` and so needs a
    /// resampler built with [`GpuResampler::new`].
    pub fn with_output_format(
        ctx: &GpuContext,
        output_format: wgpu::TextureFormat,
    ) -> Result<Self, GpuError> {
        let wgsl = with_storage_format(RESAMPLE_WGSL, output_format)?;
        let kernel = ComputeKernel::new(
            ctx,
            &KernelDescriptor {
                label: LABEL,
                wgsl: &wgsl,
                entry_point: "resample",
                bindings: &bindings(output_format),
            },
        )?;
        Ok(Self {
            kernel,
            output_format,
        })
    }

    /// The format [`GpuResampler::encode`] writes.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.output_format
    }

    /// Uploads `input`, resamples it to `out_width x out_height` with `filter`, and reads the
    /// result back. Blocks until the GPU is done.
    pub fn resample(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        out_width: u32,
        out_height: u32,
        filter: ResampleFilter,
    ) -> Result<ImageF32, ResampleError> {
        if self.output_format != RGBA32F {
            return Err(GpuError::UnsupportedFormat {
                format: self.output_format,
            }
            .into());
        }
        let params = GpuResampleParams::new(
            [input.width(), input.height()],
            [out_width, out_height],
            filter,
        );
        params.validate()?;
        let source = upload_image(
            ctx,
            &format!("{LABEL}:source"),
            input,
            wgpu::TextureUsages::TEXTURE_BINDING,
        )?;
        let destination = create_texture_2d(
            ctx,
            &format!("{LABEL}:destination"),
            out_width,
            out_height,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        )?;
        let source_view = source.create_view(&wgpu::TextureViewDescriptor::default());
        let destination_view = destination.create_view(&wgpu::TextureViewDescriptor::default());
        let uniform = self.params_buffer(ctx, &params)?;
        self.kernel.dispatch(
            ctx,
            &[
                uniform.as_entire_binding(),
                wgpu::BindingResource::TextureView(&source_view),
                wgpu::BindingResource::TextureView(&destination_view),
            ],
            workgroups_2d(out_width, out_height),
        )?;
        Ok(read_image(ctx, &destination)?)
    }

    /// Records a resample from `source` (any float view bound as `texture_2d<f32>`) into
    /// `destination` (a storage view of [`GpuResampler::output_format`]) into `encoder`, for
    /// callers that manage their own textures and submission (such as a render graph node).
    ///
    /// `params` must describe the sizes read and written; the views themselves are not
    /// inspected. The views may be larger: the shader reads only the top-left `params.in_size`
    /// texels of `source` and writes only the top-left `params.out_size` of `destination`.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        destination: &wgpu::TextureView,
        params: &GpuResampleParams,
    ) -> Result<(), ResampleError> {
        params.validate()?;
        let uniform = self.params_buffer(ctx, params)?;
        let bind_group = self.kernel.bind_group(
            ctx,
            &[
                uniform.as_entire_binding(),
                wgpu::BindingResource::TextureView(source),
                wgpu::BindingResource::TextureView(destination),
            ],
        )?;
        let [out_width, out_height] = params.out_size;
        self.kernel
            .encode(encoder, &bind_group, workgroups_2d(out_width, out_height));
        Ok(())
    }

    fn params_buffer(
        &self,
        ctx: &GpuContext,
        params: &GpuResampleParams,
    ) -> Result<wgpu::Buffer, GpuError> {
        create_buffer_init(
            ctx,
            &format!("{}:params", self.kernel.label()),
            std::slice::from_ref(params),
            wgpu::BufferUsages::UNIFORM,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wgpu::naga;

    #[test]
    fn shader_is_valid_wgsl() -> Result<(), Box<dyn std::error::Error>> {
        let module = naga::front::wgsl::parse_str(RESAMPLE_WGSL)
            .map_err(|e| e.emit_to_string(RESAMPLE_WGSL))?;
        naga::valid::Validator::new(
            naga::valid::ValidationFlags::all(),
            naga::valid::Capabilities::empty(),
        )
        .validate(&module)
        .map_err(|e| format!("{e:?}"))?;
        Ok(())
    }

    #[test]
    fn shader_is_valid_wgsl_for_every_output_format() -> Result<(), Box<dyn std::error::Error>> {
        use crate::gpu::RGBA32F_STORAGE_DECLARATION;
        assert_eq!(
            RESAMPLE_WGSL.matches(RGBA32F_STORAGE_DECLARATION).count(),
            1
        );
        for format in [
            wgpu::TextureFormat::Rgba16Float,
            wgpu::TextureFormat::Rgba8Unorm,
        ] {
            let wgsl = with_storage_format(RESAMPLE_WGSL, format)?;
            assert!(!wgsl.contains(RGBA32F_STORAGE_DECLARATION));
            let module =
                naga::front::wgsl::parse_str(&wgsl).map_err(|e| e.emit_to_string(&wgsl))?;
            naga::valid::Validator::new(
                naga::valid::ValidationFlags::all(),
                naga::valid::Capabilities::empty(),
            )
            .validate(&module)
            .map_err(|e| format!("{format:?}: {e:?}"))?;
        }
        Ok(())
    }

    #[test]
    fn params_layout_matches_the_shader() -> Result<(), Box<dyn std::error::Error>> {
        let module = naga::front::wgsl::parse_str(RESAMPLE_WGSL)
            .map_err(|e| e.emit_to_string(RESAMPLE_WGSL))?;
        let (fields, span) = crate::gpu::wgsl_struct_layout(&module, "ResampleParams")
            .ok_or("no ResampleParams in the shader")?;
        assert_eq!(span as usize, size_of::<GpuResampleParams>());
        let offsets: Vec<(&str, u32)> = fields.iter().map(|(n, o)| (n.as_str(), *o)).collect();
        assert_eq!(
            offsets[..3],
            [("in_size", 0), ("out_size", 8), ("filter_id", 16)]
        );
        assert_eq!(
            std::mem::offset_of!(GpuResampleParams, filter_id),
            16,
            "Rust mirror must put filter_id where WGSL does"
        );
        Ok(())
    }

    #[test]
    fn filter_ids_match_the_shader_constants() {
        let names = [
            (ResampleFilter::Bilinear, "BILINEAR"),
            (ResampleFilter::Bicubic, "BICUBIC"),
            (ResampleFilter::Nearest, "NEAREST"),
            (ResampleFilter::Lanczos3, "LANCZOS3"),
        ];
        for (filter, name) in names {
            let id = filter.gpu_id();
            let constant = format!("const FILTER_{name}: u32 = {id}u;");
            assert!(RESAMPLE_WGSL.contains(&constant), "missing `{constant}`");
        }
        // `ALL` lists every filter once, in id order.
        let ids: Vec<u32> = ResampleFilter::ALL.iter().map(|f| f.gpu_id()).collect();
        assert_eq!(ids, [0, 1, 2, 3]);
    }

    #[test]
    fn shader_weight_constants_match_the_cpu() {
        // The slot layout and the sin_pi polynomial are written twice; keep them in step.
        use crate::resample::{BASE_SLOT, TAP_SLOTS};
        assert!(RESAMPLE_WGSL.contains(&format!("const TAP_SLOTS: i32 = {TAP_SLOTS};")));
        assert!(RESAMPLE_WGSL.contains(&format!("const BASE_SLOT: i32 = {BASE_SLOT};")));
        for coefficient in [
            "-0.16666667",
            "0.008333334",
            "-1.984127e-4",
            "2.7557319e-6",
            "-2.5052108e-8",
            "1.6059044e-10",
        ] {
            assert!(RESAMPLE_WGSL.contains(coefficient), "missing {coefficient}");
        }
    }

    #[test]
    fn params_validation() {
        let ok = GpuResampleParams::new([97, 61], [7, 513], ResampleFilter::Bilinear);
        assert!(ok.validate().is_ok());
        let empty = GpuResampleParams::new([97, 61], [0, 513], ResampleFilter::Bilinear);
        assert!(matches!(
            empty.validate(),
            Err(ResampleError::EmptyOutput { .. })
        ));
        let huge = GpuResampleParams::new([70_000, 1], [70_000, 1], ResampleFilter::Bicubic);
        assert!(matches!(
            huge.validate(),
            Err(ResampleError::AxisTooLong { .. })
        ));
    }
}
