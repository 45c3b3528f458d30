//! Kansei's upscaler core: engine-agnostic wgpu compute code for resampling and (later) neural
//! upscaling of game frames.
//!
//! Nothing in this crate's core depends on Bevy. It works on any `wgpu::Device` and
//! `wgpu::Queue`: its own headless one for tests and tools ([`GpuContext::new_headless`]), or the
//! renderer's, handed in through [`GpuContext::from_parts`].
//!
//! - [`gpu`]: the compute harness (device context, embedded-WGSL kernels, buffer and texture
//!   upload/read-back, wgpu errors as [`GpuError`] values).
//! - [`resample`]: nearest, bilinear, bicubic and Lanczos3 resampling, a CPU reference and a
//!   GPU implementation that match to float rounding.
//! - [`spatial`]: an edge-adaptive spatial upscaler with contrast-adaptive sharpening, written
//!   from the published description of AMD FSR 1 (EASU + RCAS), on the CPU and the GPU.
//! - [`temporal`]: the temporal resolve of a TAA upscaler (jittered render-resolution frames
//!   plus reprojected, rectified history, in the manner of FSR 2), on the CPU and the GPU
//!   ([`GpuTemporalResolver`]), within 100 MB of history at 4K.
//! - [`image`]: [`ImageF32`], the CPU-side RGBA `f32` image both use.
//! - [`net`]: the neural upscaler networks ([`LumaNet`]: luma residual over bicubic, pixel
//!   shuffle), in the `fast` and `balanced` cost profiles for scales 2, 3 and 4.
//! - [`net_gpu`]: their fused WGSL inference ([`GpuNeuralUpscaler`]): every layer in workgroup
//!   memory over tiles with a halo, one compute pass per frame.
//! - [`train`]: their training on the CPU: patch sampling, augmentation, Charbonnier loss,
//!   checkpoints, validation and the model card.
//! - [`plugin`] (feature `bevy`, on by default): the Bevy integration, the [`KanseiUpscale`]
//!   camera component and [`KanseiUpscalePlugin`]. Tools that only need the core turn default
//!   features off and skip Bevy's renderer.
//! - [`scenes`] and [`scene_bench`] (feature `scenes`): the test scenes and the quality
//!   harness that renders them with every method and scores them against a supersampled
//!   ground truth (`kansei upscale bench-scenes`).
//! - [`eval`]: the standard SR evaluation protocol (PNG files, PSNR/SSIM on Y, data sets), the
//!   [`Method`] interface every upscaler plugs into, GPU timing and a console cost model.
//!
//! # Usage
//!
//! ```no_run
//! use kansei_upscale::{GpuContext, GpuResampler, ImageF32, ResampleFilter};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Any adapter works, including Mesa's software `llvmpipe`.
//! let ctx = GpuContext::new_headless()?;
//! // Build once: compiling the pipeline is the slow part.
//! let resampler = GpuResampler::new(&ctx)?;
//!
//! let frame = ImageF32::from_fn(320, 180, |x, y| [x as f32 / 320.0, y as f32 / 180.0, 0.5, 1.0])?;
//! let upscaled = resampler.resample(&ctx, &frame, 1280, 720, ResampleFilter::Bicubic)?;
//! assert_eq!((upscaled.width(), upscaled.height()), (1280, 720));
//! # Ok(())
//! # }
//! ```

pub mod eval;
pub mod gpu;
pub mod image;
pub mod net;
pub mod net_gpu;
#[cfg(feature = "bevy")]
pub mod plugin;
pub mod resample;
#[cfg(feature = "scenes")]
pub mod scene_bench;
#[cfg(feature = "scenes")]
pub mod scenes;
pub mod spatial;
pub mod temporal;
pub mod train;

pub use eval::{EvalError, Method, Scale};
pub use gpu::{GpuContext, GpuError};
pub use net::{Architecture, LumaNet, NetError, Profile};
pub use net_gpu::{GpuNetError, GpuNeuralUpscaler};
#[cfg(feature = "bevy")]
pub use plugin::{KanseiTemporalBlend, KanseiUpscale, KanseiUpscalePlugin, UpscaleMode};
// `crate::` because the `image` dependency (PNG files, used by `eval`) shares the module's name.
pub use crate::image::{ImageError, ImageF32};
pub use resample::{GpuResampler, ResampleError, ResampleFilter, resample_cpu};
pub use spatial::{GpuSpatialUpscaler, SpatialError, SpatialUpscaleParams, spatial_upscale_cpu};
pub use temporal::{GpuTemporalResolver, TemporalError, TemporalParams, resolve_cpu};
