//! [`EvalError`]: every way loading a data set, scoring an image or running a method can fail.
//!
//! Each message is one line that names the file or folder involved, so the command line can
//! print it as is.

use std::path::PathBuf;

use crate::gpu::GpuError;
use crate::image::ImageError;
use crate::net::NetError;
use crate::net_gpu::GpuNetError;
use crate::resample::ResampleError;
use crate::spatial::SpatialError;

/// Why an evaluation step failed.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The data set folder does not exist or is not a folder.
    #[error("data folder `{}` does not exist or is not a folder", path.display())]
    MissingFolder {
        /// The folder that was asked for.
        path: PathBuf,
    },
    /// The data set folder exists but could not be listed.
    #[error("cannot list data folder `{}`: {source}", path.display())]
    ListFolder {
        /// The folder.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// The data set folder holds no `.png` file.
    #[error("data folder `{}` holds no .png images", path.display())]
    EmptyFolder {
        /// The folder.
        path: PathBuf,
    },
    /// A `*_HR.png` without its `*_LR.png`, or the other way round.
    #[error("`{}` has no matching `{expected}` in the same folder", path.display())]
    Unpaired {
        /// The file whose partner is missing.
        path: PathBuf,
        /// File name of the missing partner.
        expected: String,
    },
    /// A `.png` in a folder of `*_HR.png` / `*_LR.png` pairs that is neither.
    #[error(
        "`{}` is in a folder of `*_HR.png` / `*_LR.png` pairs but is neither; move it out",
        path.display()
    )]
    Stray {
        /// The odd file.
        path: PathBuf,
    },
    /// A file could not be read from disk.
    #[error("cannot read `{}`: {source}", path.display())]
    ReadFile {
        /// The file.
        path: PathBuf,
        /// The operating system's reason.
        #[source]
        source: std::io::Error,
    },
    /// A file was read but is not a PNG the decoder accepts.
    #[error("cannot decode PNG `{}`: {source}", path.display())]
    Decode {
        /// The file.
        path: PathBuf,
        /// The decoder's reason.
        #[source]
        source: ::image::ImageError,
    },
    /// Writing a PNG failed (encoding or file system).
    #[error("cannot write PNG `{}`: {source}", path.display())]
    Encode {
        /// The file.
        path: PathBuf,
        /// The encoder's reason.
        #[source]
        source: ::image::ImageError,
    },
    /// An LR image is not its HR image's size divided by the scale.
    #[error(
        "LR image `{}` is {}x{} but its HR image `{}` is {}x{}, which at scale {scale} needs an \
         LR image of {}x{}",
        lr.display(), lr_size[0], lr_size[1], hr.display(), hr_size[0], hr_size[1],
        hr_size[0] / scale, hr_size[1] / scale
    )]
    LrSize {
        /// The LR file.
        lr: PathBuf,
        /// Its `[width, height]`.
        lr_size: [u32; 2],
        /// The HR file.
        hr: PathBuf,
        /// Its `[width, height]`.
        hr_size: [u32; 2],
        /// The upscaling factor.
        scale: u32,
    },
    /// The upscaling factor is not one of [`SUPPORTED_SCALES`](super::SUPPORTED_SCALES).
    #[error("unsupported scale {scale}: only 2, 3 and 4 are supported")]
    UnsupportedScale {
        /// The factor that was asked for.
        scale: u32,
    },
    /// An image is too small for the operation (shaving the border, the SSIM window, a scale).
    #[error("{what} needs an image of at least {min}x{min} pixels, got {width}x{height}")]
    TooSmall {
        /// What needed the pixels, e.g. `SSIM's 11x11 window`.
        what: &'static str,
        /// Smallest allowed side.
        min: u32,
        /// Actual width.
        width: u32,
        /// Actual height.
        height: u32,
    },
    /// Two images that must be compared pixel for pixel have different sizes.
    #[error("cannot compare a {}x{} image with a {}x{} one", a[0], a[1], b[0], b[1])]
    SizeMismatch {
        /// First image's `[width, height]`.
        a: [u32; 2],
        /// Second image's `[width, height]`.
        b: [u32; 2],
    },
    /// A method name the command line does not know.
    #[error("unknown method `{name}`; available: {available}")]
    UnknownMethod {
        /// The name that was given.
        name: String,
        /// Comma-separated names that work today.
        available: String,
    },
    /// Building an image failed (zero-sized or overflowing).
    #[error(transparent)]
    Image(#[from] ImageError),
    /// A resampling step failed.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// The GPU path failed.
    #[error(transparent)]
    Gpu(#[from] GpuError),
    /// A two-pass method was given a frame made without an intermediate texture (make frames
    /// with the method's own `GpuMethod::frame`).
    #[error(
        "method `{method}` needs a frame with an intermediate texture; make it with GpuMethod::frame"
    )]
    FrameWithoutIntermediate {
        /// The method's name.
        method: &'static str,
    },
    /// A neural method's network could not be loaded or run (boxed: model errors are large and
    /// would bloat every `Result` of the evaluation).
    #[error(transparent)]
    Net(Box<NetError>),
    /// A neural method's GPU pipeline failed (boxed, as [`EvalError::Net`]).
    #[error(transparent)]
    NetGpu(Box<GpuNetError>),
    /// The edge-adaptive spatial upscaler failed.
    #[error(transparent)]
    Spatial(#[from] SpatialError),
    /// An image holds a NaN or infinite colour value where a metric needs finite ones.
    #[error("{what} holds a NaN or infinite colour value at pixel ({x}, {y})")]
    NonFinite {
        /// Which image, e.g. `FLIP's test image`.
        what: &'static str,
        /// Column of the first such pixel.
        x: u32,
        /// Row of the first such pixel.
        y: u32,
    },
    /// A viewing condition in pixels per degree is not a number in `(0, max]`.
    #[error("pixels per degree must be in (0, {max}], got {ppd}")]
    PixelsPerDegree {
        /// The value that was given.
        ppd: f64,
        /// Largest accepted value.
        max: f64,
    },
}

impl From<NetError> for EvalError {
    fn from(error: NetError) -> Self {
        Self::Net(Box::new(error))
    }
}

impl From<GpuNetError> for EvalError {
    fn from(error: GpuNetError) -> Self {
        Self::NetGpu(Box::new(error))
    }
}
