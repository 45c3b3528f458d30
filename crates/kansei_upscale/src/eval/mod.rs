//! Evaluation of upscalers under the standard super-resolution protocol, on the CPU and
//! independent of any engine: PNG input and output, metrics, data sets, the [`Method`]
//! interface every upscaler plugs into, GPU timing and a console cost model.
//!
//! # The protocol
//!
//! The figures SR papers publish for Set5 / Set14 come from MATLAB scripts; this module
//! reproduces them step by step (bicubic scores within 0.01 dB of the published figures on
//! Set5 and Set14 at x2, x3 and x4):
//!
//! 1. Upscale the LR image ([`Method::run_cpu`]).
//! 2. Quantise the output to 8 bits ([`quantize_rgb8`]), as saving it would: scores are those of
//!    the image a user gets, and `kansei upscale run` (which writes a PNG) and
//!    `kansei upscale eval` agree exactly.
//! 3. Crop the HR image to a multiple of the scale and the output to the same size, then shave
//!    `scale` pixels from every border ([`crop_for_scoring`]).
//! 4. PSNR and SSIM on Y ([`y_plane`]): the BT.601 luma of MATLAB's `rgb2ycbcr`, rounded to
//!    integers as MATLAB's `uint8` result is, or for a greyscale HR file the grey level itself
//!    (the scripts skip the conversion for one-channel images); plus PSNR over RGB ([`score`]).
//! 5. Report the mean over the images ([`MethodReport::mean`]).
//!
//! # Modules
//!
//! - `png_io`: [`load_png`], [`save_png_rgb8`], [`quantize_rgb8`].
//! - `color`, `plane`, `metrics`, `ssim`: Y conversion, PSNR, SSIM and cropping.
//! - `downscale`: [`downscale_matlab_uint8`], MATLAB `imresize` bicubic for making LR images.
//! - `dataset`: [`Dataset::discover`] and [`load_sample`].
//! - `method`: [`Method`], [`MethodCost`], [`GpuMethod`].
//! - `cost`: the roofline model behind the console projections ([`Roofline`], [`PS5_CLASS`]).
//! - `timing`, `evaluate`: [`time_gpu`] and [`evaluate`], which builds a [`MethodReport`].

mod color;
mod cost;
mod dataset;
mod downscale;
mod error;
mod evaluate;
mod flip;
mod method;
mod metrics;
mod plane;
mod png_io;
mod scale;
mod ssim;
mod timing;

pub use color::{
    BT601_Y_OFFSET, BT601_Y_WEIGHTS, Luma, linear_to_srgb, rgb_to_y, srgb_to_linear, y_plane,
};
pub use cost::{
    BYTES_PER_PIXEL, Bound, FRAME_540P_TO_1080P, FRAME_1080P_TO_4K, INTERMEDIATE_BYTES_PER_PIXEL,
    PS5_CLASS, Projection, Roofline, Workload,
};
pub use dataset::{Dataset, DatasetEntry, HR_SUFFIX, LR_SUFFIX, LrSource, Sample, load_sample};
pub use downscale::{AxisTaps, axis_taps, downscale_antialiased, downscale_matlab_uint8};
pub use error::EvalError;
pub use evaluate::{ImageScore, MethodReport, evaluate, load_samples, project_ps5, score_method};
pub use flip::{
    FLIP_DEFAULT_PPD, FLIP_MAX_PPD, FLIP_PC, FLIP_PT, FLIP_QC, FLIP_QF, flip_map, flip_mean,
};
pub use method::{GpuFrame, GpuMethod, Method, MethodCost, models_dir, output_size};
pub use metrics::{
    PSNR_PEAK, Scores, crop, crop_for_scoring, mse, psnr_from_mse, psnr_rgb, psnr_y, score,
    score_with_luma, ssim_y,
};
pub use plane::Plane;
pub use png_io::{load_png, load_png_with_luma, quantize_channel, quantize_rgb8, save_png_rgb8};
pub use scale::{SUPPORTED_SCALES, Scale};
pub use ssim::{SSIM_K1, SSIM_K2, SSIM_RANGE, SSIM_SIGMA, SSIM_WINDOW, gaussian_window, ssim};
pub use timing::{GpuTiming, TIMING_OUTPUT, TIMING_RUNS, median, time_gpu, timing_frame};
