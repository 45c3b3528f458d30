//! [`GpuNeuralUpscaler`]: fused WGSL inference of the [`LumaNet`] upscaler networks
//! (`shaders/upscale_net_fused.wgsl`), one compute pipeline per network.
//!
//! # What one dispatch does
//!
//! The whole network (luma, head, body, tail, pixel shuffle, bicubic base, add) runs in **one
//! compute pass**. Each workgroup of 256 invocations owns a `T x T` tile of low-resolution (LR)
//! pixels and:
//!
//! 1. reads the source texels of the tile plus a **halo** of `H` pixels on each side once, turns
//!    them into the network input `Y / 255 - 0.5` and keeps them in workgroup memory
//!    (`(T + 2H)²` floats);
//! 2. runs the head (`1 -> C`, `k x k`, `PReLU`) over the tile plus a margin of
//!    `M = H - k / 2`, into `C` feature planes of `(T + 2M)²` floats in workgroup memory;
//! 3. runs each residual body layer **in place** over a region one pixel smaller per side than
//!    the last (each invocation keeps its new values in registers until a barrier, then adds them);
//! 4. runs the tail (`C -> s²`) over the `T x T` tile itself, and for every one of the `s²`
//!    sub-pixels of each LR pixel adds `r * 255 / 219` to the bicubic upscale (Keys `a = -0.5`,
//!    the same maths and order of operations as `shaders/resample.wgsl` and
//!    [`crate::resample_cpu`]) and stores the result.
//!
//! `H = head_k / 2 + body_layers + tail_k / 2` is the receptive radius
//! ([`crate::Architecture::halo`]). No feature map ever leaves workgroup memory.
//!
//! **Edges.** The reference pads every convolution by clamping coordinates into the image
//! (replicate padding per layer). The kernel computes features only at in-image positions and
//! reads each neighbour at the nearest in-image position, which always lies inside the region the
//! previous layer computed; this reproduces per-layer replicate padding exactly on border tiles,
//! for any image size down to 1x1.
//!
//! # Tiles and workgroup memory
//!
//! Workgroup memory is `4 (C (T + 2M)² + (T + 2H)²)` bytes. [`TilePlan::new`] picks the largest
//! tile that fits [`WORKGROUP_MEMORY_BUDGET`] = 16 KiB (wgpu's default
//! `max_compute_workgroup_storage_size`, so every adapter runs it):
//!
//! | network | C | H | M | tile T | luma tile | feature tile | bytes | MACs / LR pixel executed (nominal) |
//! |---|---|---|---|---|---|---|---|---|
//! | `fast` x2 | 8 | 5 | 3 | 14 | 24² | 8 x 20² | 15,104 | 2,401 (1,640) |
//! | `fast` x3, x4 | 8 | 4 | 2 | 16 | 24² | 8 x 20² | 15,104 | 1,690, 1,746 (1,424, 1,480) |
//! | `balanced` x2 | 16 | 6 | 4 | 7 | 19² | 16 x 15² | 15,844 | 19,857 (7,888) |
//! | `balanced` x3, x4 | 16 | 5 | 3 | 9 | 19² | 16 x 15² | 15,844 | 11,808, 11,920 (7,456, 7,568) |
//!
//! The executed count includes the recomputation the halo costs: the head runs on `(T + 2M)²`
//! positions per `T²` outputs, body layer `i` on `(T + 2M - 2 - 2i)²`; the tail runs exactly once
//! per output. [`TilePlan::macs_per_lr_pixel`] computes it. The evaluation's cost model
//! (`crate::eval::cost`) projects the nominal [`Architecture::macs_per_pixel`], the cost of a
//! fusion without recomputation and so a lower bound for this shader; the README gives both
//! projections. The overhead is large for `balanced` at 16 KiB; where the device offers more
//! workgroup memory (lavapipe and desktop GPUs offer at least 32 KiB),
//! [`TilePlan::with_budget`] picks bigger tiles (32 KiB: `fast` x2 T = 23 with 2,081 executed
//! MACs, `balanced` x2 T = 13, `balanced` x3/x4 T = 15, two body positions per invocation) and
//! [`GpuNeuralUpscaler::from_weights`] builds the pipeline for that plan.

//! # Global memory traffic per LR pixel
//!
//! - **Input**: each workgroup reads `(T + 2H)²` source texels for `T²` pixels, i.e.
//!   `((T + 2H) / T)²` texels per LR pixel ([`TilePlan::input_texels_per_lr_pixel`]; at 16 KiB:
//!   `fast` x2 2.94, `fast` x3/x4 2.25, `balanced` x2 7.37, `balanced` x3/x4 4.46; the
//!   neighbouring workgroups' halos overlap, so on a GPU with a texture cache most of the
//!   overhead hits the cache and DRAM traffic approaches one texel per LR pixel). The bicubic
//!   base reads the 4x4 source neighbourhood of each output pixel: the same texels, from the
//!   cache. 16 bytes per `rgba32float` texel, 8 per `rgba16float`.
//! - **Output**: `s²` texels per LR pixel, written once (8, 4 or 16 bytes each for
//!   `rgba16float`, `rgba8unorm`, `rgba32float`).
//! - [`TilePlan::bytes_per_lr_pixel`] adds the two up (worst case: no cache reuse of the halo).
//! - **Weights**: [`PackedWeights::len`] floats, uploaded once; every workgroup reads all of them
//!   (uniform across invocations, so they stay in cache).
//!
//! # Packed weights
//!
//! One storage buffer of `f32`, the tensors of [`LumaNet::tensors`] flattened in that order, each
//! in its candle layout: `head.weight [C, 1, k, k]`, `head.bias [C]`, `head.alpha [C]`, then for
//! each body layer `i`: `body.i.weight [C, C, 3, 3]`, `body.i.bias [C]`, `body.i.alpha [C]`, then
//! `tail.weight [s², C, k_t, k_t]`, `tail.bias [s²]`. The offsets are [`PackedWeights`]'s
//! fields and are compiled into the shader as constants.

use bytemuck::{Pod, Zeroable};
use candle_core::Tensor;

use crate::gpu::{
    BindingKind, ComputeKernel, GpuContext, GpuError, KernelDescriptor, RGBA32F,
    check_texture_size, create_buffer_init, create_texture_2d, read_image, read_texture_bytes,
    upload_image,
};
use crate::image::{ImageError, ImageF32, Rgba};
use crate::net::{Architecture, LumaNet, NetError};

/// The fused network shader template, embedded at compile time from the repository's
/// `shaders/` folder (it needs the constant header [`shader_source`] generates).
pub const UPSCALE_NET_WGSL: &str = crate::gpu::shader_with_common!("upscale_net_fused.wgsl");

/// Workgroup memory every pipeline stays within: 16 KiB, wgpu's default (and WebGPU's minimum)
/// `max_compute_workgroup_storage_size`.
pub const WORKGROUP_MEMORY_BUDGET: u32 = 16_384;

/// Invocations per workgroup (`@workgroup_size(256)`), wgpu's default
/// `max_compute_invocations_per_workgroup`.
pub const WORKGROUP_INVOCATIONS: u32 = 256;

const LABEL: &str = "kansei:upscale_net";

/// Why a network could not be prepared or run on the GPU.
#[derive(Debug, thiserror::Error)]
pub enum GpuNetError {
    /// A wgpu or harness error (including zero-sized or over-limit textures).
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// The model's card does not name an upscaler network.
    #[error(transparent)]
    Net(#[from] NetError),
    /// The network's tensors could not be read.
    #[error("reading the network's weights: {0}")]
    Candle(#[from] candle_core::Error),
    /// A tensor is missing or has the wrong number of values for the architecture.
    #[error("weight tensor `{name}`: expected {expected} values, got {actual}")]
    WeightShape {
        /// The tensor's name.
        name: String,
        /// Values the architecture needs.
        expected: usize,
        /// Values found (0 if missing).
        actual: usize,
    },
    /// The destination format is not one the shader can write.
    #[error(
        "output format {format:?} is not supported (use rgba32float, rgba16float or rgba8unorm)"
    )]
    UnsupportedFormat {
        /// The requested format.
        format: wgpu::TextureFormat,
    },
    /// The source is empty, or the output would exceed the device's limits.
    #[error(
        "cannot upscale a {width}x{height} image by {scale}: each output side must be between 1 \
         and {max}"
    )]
    InputSize {
        /// Source width.
        width: u32,
        /// Source height.
        height: u32,
        /// The upscaling factor.
        scale: u32,
        /// The device's `max_texture_dimension_2d`.
        max: u32,
    },
    /// `GpuNetParams::out_size` is not `scale` times `in_size`.
    #[error("output size {out:?} is not {scale} times the input size {input:?}")]
    SizeMismatch {
        /// Declared input size.
        input: [u32; 2],
        /// Declared output size.
        out: [u32; 2],
        /// The network's factor.
        scale: u32,
    },
    /// The pipeline needs more workgroup memory than the device offers.
    #[error("the network needs {needed} bytes of workgroup memory; the device offers {max}")]
    WorkgroupMemory {
        /// Bytes the tile plan needs.
        needed: u32,
        /// The device's `max_compute_workgroup_storage_size`.
        max: u32,
    },
    /// An image could not be built from the read-back data.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// The tiling of one architecture: tile side, halo, and workgroup memory (see the
/// [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TilePlan {
    /// Side `T` of the square tile of LR pixels one workgroup outputs.
    pub tile: u32,
    /// Receptive radius `H`: the luma tile is `T + 2H` pixels square.
    pub halo: u32,
    /// Feature margin `M = H - head_k / 2`: the feature tile is `T + 2M` pixels square.
    pub margin: u32,
    /// Feature channels `C`.
    pub channels: u32,
    /// Body positions each invocation holds in registers per body layer.
    pub body_slots: u32,
}

impl TilePlan {
    /// The largest tile whose workgroup memory fits [`WORKGROUP_MEMORY_BUDGET`] (16 KiB).
    pub fn new(arch: &Architecture) -> Self {
        Self::with_budget(arch, WORKGROUP_MEMORY_BUDGET)
    }

    /// The largest tile (up to 32 x 32) whose workgroup memory fits `budget` bytes, or a 1 x 1
    /// tile if none does. A larger budget than 16 KiB (when the device offers it) means less
    /// halo recomputation; see [`TilePlan::macs_per_lr_pixel`].
    pub fn with_budget(arch: &Architecture, budget: u32) -> Self {
        let halo = arch.halo() as u32;
        let margin = halo - (arch.head_kernel / 2) as u32;
        let channels = arch.channels as u32;
        let plan = |tile: u32| {
            let first_body = tile + 2 * margin.saturating_sub(1);
            Self {
                tile,
                halo,
                margin,
                channels,
                body_slots: (first_body * first_body)
                    .div_ceil(WORKGROUP_INVOCATIONS)
                    .max(1),
            }
        };
        (1..=32)
            .rev()
            .map(plan)
            .find(|p| p.workgroup_bytes() <= budget)
            .unwrap_or_else(|| plan(1))
    }

    /// Side of the luma tile, `T + 2H`.
    pub fn luma_side(&self) -> u32 {
        self.tile + 2 * self.halo
    }

    /// Side of the feature tile, `T + 2M`.
    pub fn feature_side(&self) -> u32 {
        self.tile + 2 * self.margin
    }

    /// Workgroup memory in bytes: `4 (C (T + 2M)² + (T + 2H)²)`.
    pub fn workgroup_bytes(&self) -> u32 {
        4 * (self.channels * self.feature_side().pow(2) + self.luma_side().pow(2))
    }

    /// Source texels read per LR pixel: `((T + 2H) / T)²`.
    pub fn input_texels_per_lr_pixel(&self) -> f64 {
        (f64::from(self.luma_side()) / f64::from(self.tile)).powi(2)
    }

    /// Global memory bytes per LR pixel with no cache reuse between workgroups: the input tile
    /// with its halo at `input_texel_bytes` per texel plus the `s²` output texels at
    /// `output_texel_bytes` each (weights, read once per workgroup from cache, not counted).
    pub fn bytes_per_lr_pixel(
        &self,
        arch: &Architecture,
        input_texel_bytes: u32,
        output_texel_bytes: u32,
    ) -> f64 {
        let s2 = (arch.factor() * arch.factor()) as f64;
        self.input_texels_per_lr_pixel() * f64::from(input_texel_bytes)
            + s2 * f64::from(output_texel_bytes)
    }

    /// Multiply-adds per LR pixel actually executed, halo recomputation included.
    pub fn macs_per_lr_pixel(&self, arch: &Architecture) -> f64 {
        let c = arch.channels as f64;
        let t2 = f64::from(self.tile * self.tile);
        let side = |margin: u32| f64::from((self.tile + 2 * margin).pow(2)) / t2;
        let head = side(self.margin) * c * (arch.head_kernel * arch.head_kernel) as f64;
        let body: f64 = (0..arch.body_layers as u32)
            .map(|i| side(self.margin - 1 - i) * c * c * 9.0)
            .sum();
        let s2 = (arch.factor() * arch.factor()) as f64;
        let tail = s2 * c * (arch.tail_kernel * arch.tail_kernel) as f64;
        head + body + tail
    }

    /// Workgroups that cover a `width x height` LR image.
    pub fn workgroups(&self, width: u32, height: u32) -> [u32; 3] {
        [width.div_ceil(self.tile), height.div_ceil(self.tile), 1]
    }
}

/// A network's weights packed into one `f32` array in the order of the [module docs](self),
/// with the offsets the shader reads them at.
#[derive(Debug, Clone, PartialEq)]
pub struct PackedWeights {
    /// The architecture the weights are for.
    pub arch: Architecture,
    /// All values, in packed order.
    pub values: Vec<f32>,
    /// Offset of `head.weight`.
    pub head_weight: usize,
    /// Offset of `head.bias`.
    pub head_bias: usize,
    /// Offset of `head.alpha`.
    pub head_alpha: usize,
    /// Offset of `body.0.weight`; body layer `i` starts `i * body_stride` later.
    pub body: usize,
    /// Values per body layer: `9 C² + 2 C`.
    pub body_stride: usize,
    /// Offset of `tail.weight`.
    pub tail_weight: usize,
    /// Offset of `tail.bias`.
    pub tail_bias: usize,
}

impl PackedWeights {
    /// Packs the tensors of `net` ([`LumaNet::tensors`]).
    ///
    /// # Errors
    ///
    /// On a candle error or a tensor of the wrong size.
    pub fn from_net(net: &LumaNet) -> Result<Self, GpuNetError> {
        Self::from_tensors(*net.architecture(), &net.tensors())
    }

    /// Packs a model loaded (and validated) by `kansei_nn`, as shipped in `assets/models/`: the
    /// architecture comes from the card's name, the tensors from the weights file. The weights
    /// go straight from `kansei_nn` to the GPU; no candle network is built.
    ///
    /// # Errors
    ///
    /// [`GpuNetError::Net`] if the card does not name an upscaler network, or as
    /// [`PackedWeights::from_tensors`].
    pub fn from_loaded(model: &kansei_nn::LoadedModel) -> Result<Self, GpuNetError> {
        let arch = Architecture::from_model_name(&model.card.name)?;
        Self::pack(arch, |name| model.tensors.get(name))
    }

    /// Packs named tensors (as [`LumaNet::tensors`] returns them) for `arch`, in the packed
    /// order whatever order `tensors` is in.
    ///
    /// # Errors
    ///
    /// If a tensor is missing or has the wrong number of values, or on a candle error.
    pub fn from_tensors(
        arch: Architecture,
        tensors: &[(String, Tensor)],
    ) -> Result<Self, GpuNetError> {
        Self::pack(arch, |name| {
            tensors.iter().find(|(n, _)| n == name).map(|(_, t)| t)
        })
    }

    /// Packs the tensors `lookup` finds by name.
    fn pack<'a>(
        arch: Architecture,
        lookup: impl Fn(&str) -> Option<&'a Tensor>,
    ) -> Result<Self, GpuNetError> {
        let c = arch.channels;
        let (kh, kt, s2) = (
            arch.head_kernel,
            arch.tail_kernel,
            arch.factor() * arch.factor(),
        );
        let mut layout = vec![
            ("head.weight".to_owned(), c * kh * kh),
            ("head.bias".to_owned(), c),
            ("head.alpha".to_owned(), c),
        ];
        for i in 0..arch.body_layers {
            layout.push((format!("body.{i}.weight"), c * c * 9));
            layout.push((format!("body.{i}.bias"), c));
            layout.push((format!("body.{i}.alpha"), c));
        }
        layout.push(("tail.weight".to_owned(), s2 * c * kt * kt));
        layout.push(("tail.bias".to_owned(), s2));

        let mut values = Vec::new();
        let mut offsets = Vec::with_capacity(layout.len());
        for (name, expected) in layout {
            let data = match lookup(&name) {
                Some(t) => t
                    .to_dtype(candle_core::DType::F32)?
                    .flatten_all()?
                    .to_vec1::<f32>()?,
                None => Vec::new(),
            };
            if data.len() != expected {
                return Err(GpuNetError::WeightShape {
                    name,
                    expected,
                    actual: data.len(),
                });
            }
            offsets.push(values.len());
            values.extend(data);
        }
        let tail = 3 + 3 * arch.body_layers;
        Ok(Self {
            arch,
            values,
            head_weight: offsets[0],
            head_bias: offsets[1],
            head_alpha: offsets[2],
            body: offsets[3],
            body_stride: 9 * c * c + 2 * c,
            tail_weight: offsets[tail],
            tail_bias: offsets[tail + 1],
        })
    }

    /// Number of packed values.
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// Whether there are no values (never, for a valid network).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

/// Uniform block of `upscale_net_fused.wgsl`. Mirrors, field for field:
///
/// ```wgsl
/// struct NetParams {
///     in_size: vec2<u32>,
///     out_size: vec2<u32>,
/// }
/// ```
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Pod, Zeroable)]
pub struct GpuNetParams {
    /// Source `[width, height]` (LR); must equal the bound source texture's size.
    pub in_size: [u32; 2],
    /// Destination `[width, height]`, `scale` times `in_size`; must equal the bound destination
    /// texture's size.
    pub out_size: [u32; 2],
}

const _: () = assert!(size_of::<GpuNetParams>() == 16);

impl GpuNetParams {
    /// Parameters for upscaling a `width x height` source by `scale`.
    pub fn new(width: u32, height: u32, scale: u32) -> Self {
        Self {
            in_size: [width, height],
            out_size: [width.saturating_mul(scale), height.saturating_mul(scale)],
        }
    }
}

/// The WGSL texel format name of a supported destination format.
fn wgsl_format(format: wgpu::TextureFormat) -> Result<&'static str, GpuNetError> {
    match format {
        wgpu::TextureFormat::Rgba32Float => Ok("rgba32float"),
        wgpu::TextureFormat::Rgba16Float => Ok("rgba16float"),
        wgpu::TextureFormat::Rgba8Unorm => Ok("rgba8unorm"),
        format => Err(GpuNetError::UnsupportedFormat { format }),
    }
}

/// The complete WGSL of the pipeline for `weights`' architecture writing `format`: the constant
/// header for the network and [`TilePlan`] followed by [`UPSCALE_NET_WGSL`].
///
/// # Errors
///
/// [`GpuNetError::UnsupportedFormat`] for a format other than `rgba32float`, `rgba16float` or
/// `rgba8unorm`.
pub fn shader_source(
    weights: &PackedWeights,
    plan: &TilePlan,
    format: wgpu::TextureFormat,
) -> Result<String, GpuNetError> {
    let arch = &weights.arch;
    let format_name = wgsl_format(format)?;
    let clamp = format == wgpu::TextureFormat::Rgba8Unorm;
    let header = format!(
        "// Generated by kansei_upscale::net_gpu for {name}, tile {tile}.\n\
         const C: u32 = {c}u;\n\
         const SCALE: u32 = {s}u;\n\
         const HEAD_K: i32 = {hk};\n\
         const HEAD_R: i32 = {hr};\n\
         const BODY_LAYERS: u32 = {body}u;\n\
         const TAIL_K: i32 = {tk};\n\
         const TAIL_R: i32 = {tr};\n\
         const TILE: i32 = {tile};\n\
         const HALO: i32 = {halo};\n\
         const MARGIN: i32 = {margin};\n\
         const LUMA_SIDE: i32 = {luma_side};\n\
         const FEAT_SIDE: i32 = {feat_side};\n\
         const BODY_SLOTS: u32 = {slots}u;\n\
         const W_HEAD: u32 = {w_head}u;\n\
         const B_HEAD: u32 = {b_head}u;\n\
         const A_HEAD: u32 = {a_head}u;\n\
         const W_BODY: u32 = {w_body}u;\n\
         const BODY_STRIDE: u32 = {body_stride}u;\n\
         const W_TAIL: u32 = {w_tail}u;\n\
         const B_TAIL: u32 = {b_tail}u;\n\
         const CLAMP_OUTPUT: bool = {clamp};\n\n",
        name = arch.model_name(),
        c = arch.channels,
        s = arch.factor(),
        hk = arch.head_kernel,
        hr = arch.head_kernel / 2,
        body = arch.body_layers,
        tk = arch.tail_kernel,
        tr = arch.tail_kernel / 2,
        tile = plan.tile,
        halo = plan.halo,
        margin = plan.margin,
        luma_side = plan.luma_side(),
        feat_side = plan.feature_side(),
        slots = plan.body_slots,
        w_head = weights.head_weight,
        b_head = weights.head_bias,
        a_head = weights.head_alpha,
        w_body = weights.body,
        body_stride = weights.body_stride,
        w_tail = weights.tail_weight,
        b_tail = weights.tail_bias,
    );
    Ok(header + &UPSCALE_NET_WGSL.replace("OUTPUT_FORMAT", format_name))
}

/// Runs one [`LumaNet`] on the GPU as a single fused compute pass (see the [module docs](self)).
///
/// Build one per (network, destination format) and reuse it: the constructor compiles the
/// pipeline and uploads the weights once.
#[derive(Debug, Clone)]
pub struct GpuNeuralUpscaler {
    arch: Architecture,
    plan: TilePlan,
    format: wgpu::TextureFormat,
    kernel: ComputeKernel,
    weights: wgpu::Buffer,
}

impl GpuNeuralUpscaler {
    /// Builds the pipeline for `net` writing `output_format` and uploads its weights.
    ///
    /// # Errors
    ///
    /// On an unsupported format, a weight problem, too little workgroup memory, or a wgpu error.
    pub fn new(
        ctx: &GpuContext,
        net: &LumaNet,
        output_format: wgpu::TextureFormat,
    ) -> Result<Self, GpuNetError> {
        let weights = PackedWeights::from_net(net)?;
        let plan = TilePlan::new(&weights.arch);
        Self::from_weights(ctx, &weights, &plan, output_format)
    }

    /// As [`GpuNeuralUpscaler::new`], from already packed weights and with a chosen tiling
    /// (e.g. [`TilePlan::with_budget`] with the device's `max_compute_workgroup_storage_size`).
    ///
    /// # Errors
    ///
    /// As [`GpuNeuralUpscaler::new`]; [`GpuNetError::WorkgroupMemory`] if `plan` needs more
    /// workgroup memory than the device offers.
    pub fn from_weights(
        ctx: &GpuContext,
        weights: &PackedWeights,
        plan: &TilePlan,
        output_format: wgpu::TextureFormat,
    ) -> Result<Self, GpuNetError> {
        let arch = weights.arch;
        let plan = *plan;
        let limits = ctx.device().limits();
        if plan.workgroup_bytes() > limits.max_compute_workgroup_storage_size {
            return Err(GpuNetError::WorkgroupMemory {
                needed: plan.workgroup_bytes(),
                max: limits.max_compute_workgroup_storage_size,
            });
        }
        let wgsl = shader_source(weights, &plan, output_format)?;
        let label = format!("{LABEL}:{}", arch.model_name());
        let bindings = [
            BindingKind::Uniform,
            BindingKind::Storage { read_only: true },
            BindingKind::Texture2d,
            BindingKind::StorageTexture2d {
                format: output_format,
                access: wgpu::StorageTextureAccess::WriteOnly,
            },
        ];
        let kernel = ComputeKernel::new(
            ctx,
            &KernelDescriptor {
                label: &label,
                wgsl: &wgsl,
                entry_point: "upscale",
                bindings: &bindings,
            },
        )?;
        let buffer = create_buffer_init(
            ctx,
            &format!("{label}:weights"),
            &weights.values,
            wgpu::BufferUsages::STORAGE,
        )?;
        Ok(Self {
            arch,
            plan,
            format: output_format,
            kernel,
            weights: buffer,
        })
    }

    /// The network's architecture.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The tiling the pipeline was compiled for.
    pub fn plan(&self) -> &TilePlan {
        &self.plan
    }

    /// The destination format the pipeline writes.
    pub fn output_format(&self) -> wgpu::TextureFormat {
        self.format
    }

    /// Checks `params` against the network and the device: non-empty, `out = scale * in`, the
    /// output within `max_texture_dimension_2d` and the dispatch within the workgroup limits.
    ///
    /// # Errors
    ///
    /// [`GpuNetError::InputSize`] or [`GpuNetError::SizeMismatch`].
    pub fn validate(&self, ctx: &GpuContext, params: &GpuNetParams) -> Result<(), GpuNetError> {
        let scale = self.arch.scale.get();
        let limits = ctx.device().limits();
        let [width, height] = params.in_size;
        let size_error = GpuNetError::InputSize {
            width,
            height,
            scale,
            max: limits.max_texture_dimension_2d,
        };
        let out = [width.checked_mul(scale), height.checked_mul(scale)];
        let [Some(out_w), Some(out_h)] = out else {
            return Err(size_error);
        };
        if check_texture_size(out_w, out_h, limits.max_texture_dimension_2d).is_err() {
            return Err(size_error);
        }
        let [gx, gy, _] = self.plan.workgroups(width, height);
        if gx.max(gy) > limits.max_compute_workgroups_per_dimension {
            return Err(size_error);
        }
        if params.out_size != [out_w, out_h] {
            return Err(GpuNetError::SizeMismatch {
                input: params.in_size,
                out: params.out_size,
                scale,
            });
        }
        Ok(())
    }

    /// Records the upscale of `source` (any float texture bound as `texture_2d<f32>`, read with
    /// `textureLoad`) into `destination` (a storage view of [`Self::output_format`]) into
    /// `encoder`, for callers that own their textures and submission (such as a render graph
    /// node). `params` must describe the two views' sizes; the views are not inspected.
    ///
    /// # Errors
    ///
    /// If `params` is invalid ([`GpuNeuralUpscaler::validate`]) or binding fails.
    pub fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        destination: &wgpu::TextureView,
        params: &GpuNetParams,
    ) -> Result<(), GpuNetError> {
        self.validate(ctx, params)?;
        let uniform = create_buffer_init(
            ctx,
            &format!("{}:params", self.kernel.label()),
            std::slice::from_ref(params),
            wgpu::BufferUsages::UNIFORM,
        )?;
        let bind_group = self.kernel.bind_group(
            ctx,
            &[
                uniform.as_entire_binding(),
                self.weights.as_entire_binding(),
                wgpu::BindingResource::TextureView(source),
                wgpu::BindingResource::TextureView(destination),
            ],
        )?;
        let [width, height] = params.in_size;
        self.kernel
            .encode(encoder, &bind_group, self.plan.workgroups(width, height));
        Ok(())
    }

    /// Uploads `input`, upscales it and reads the result back (converted to `f32` from the
    /// destination format). Blocks until the GPU is done.
    ///
    /// # Errors
    ///
    /// [`GpuNetError::InputSize`] for an empty or over-limit image, or any GPU error.
    pub fn upscale(&self, ctx: &GpuContext, input: &ImageF32) -> Result<ImageF32, GpuNetError> {
        let params = GpuNetParams::new(input.width(), input.height(), self.arch.scale.get());
        self.validate(ctx, &params)?;
        let label = self.kernel.label().to_owned();
        let source = upload_image(
            ctx,
            &format!("{label}:source"),
            input,
            wgpu::TextureUsages::TEXTURE_BINDING,
        )?;
        let [out_w, out_h] = params.out_size;
        let destination = create_texture_2d(
            ctx,
            &format!("{label}:destination"),
            out_w,
            out_h,
            self.format,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        )?;
        let source_view = source.create_view(&wgpu::TextureViewDescriptor::default());
        let destination_view = destination.create_view(&wgpu::TextureViewDescriptor::default());
        ctx.capture_errors(&format!("{label}: dispatch"), || {
            let mut encoder =
                ctx.device()
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some(&format!("{label}:encoder")),
                    });
            let encoded = self.encode(ctx, &mut encoder, &source_view, &destination_view, &params);
            ctx.queue().submit([encoder.finish()]);
            encoded
        })??;
        ctx.wait_idle()?;
        if self.format == RGBA32F {
            return Ok(read_image(ctx, &destination)?);
        }
        let bytes = read_texture_bytes(ctx, &destination)?;
        let pixels: Vec<Rgba> = match self.format {
            wgpu::TextureFormat::Rgba16Float => bytes
                .chunks_exact(8)
                .map(|t| {
                    let h = |i: usize| f16_to_f32(u16::from_le_bytes([t[2 * i], t[2 * i + 1]]));
                    [h(0), h(1), h(2), h(3)]
                })
                .collect(),
            _ => bytes
                .chunks_exact(4)
                .map(|t| [0, 1, 2, 3].map(|i| f32::from(t[i]) / 255.0))
                .collect(),
        };
        Ok(ImageF32::new(out_w, out_h, pixels)?)
    }
}

/// Decodes an IEEE 754 half-precision float.
fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * 2f32.powi(-24),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        e => sign * (1.0 + mantissa / 1024.0) * 2f32.powi(e - 15),
    }
}

#[cfg(test)]
mod tests;
