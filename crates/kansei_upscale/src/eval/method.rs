//! [`Method`]: every upscaler the evaluation and the command line can run, behind one interface.
//!
//! A method has a command-line name, a cost ([`MethodCost`]) and two implementations: a CPU
//! reference ([`Method::run_cpu`]) that the quality scores come from, and a GPU path
//! ([`Method::gpu`] → [`GpuMethod`]) that is timed.
//!
//! # Adding a method
//!
//! Add a variant, list it in [`Method::AVAILABLE`], and give it one arm in [`Method::name`],
//! [`Method::cost`] and `Method::engine` (which says how it runs). Resampling filters are
//! `Engine::Resample(filter)` and need nothing else: `nearest` is
//! `Engine::Resample(ResampleFilter::Nearest)` with `MethodCost::single_pass(0.0)`, `lanczos3`
//! `Engine::Resample(ResampleFilter::Lanczos3)` with `single_pass(6.0 * 6.0 * 3.0)`.
//!
//! A method with its own kernels adds an `Engine` and a `GpuEngine` variant, with one arm in
//! [`Method::run_cpu`], `GpuMethod::new`, `GpuMethod::needs_intermediate` and
//! `GpuMethod::encode`. For the FSR1-style upscaler (two passes, EASU then RCAS): `run_cpu` calls
//! `spatial_upscale_cpu`, `GpuEngine` holds a `GpuSpatialUpscaler` whose `encode` takes
//! [`GpuFrame::intermediate`] (so `needs_intermediate` is true), its cost carries
//! `INTERMEDIATE_BYTES_PER_PIXEL`, and [`EvalError`] gains a `#[from] SpatialError` variant.
//! The neural profiles `fast` and `balanced` follow the same pattern.
//!
//! # Counting multiply-adds
//!
//! [`MethodCost::macs_per_output_pixel`] counts one multiply-add per filter tap per colour
//! channel: the number of non-zero taps in the filter's 2D footprint times 3 (R, G, B). Bilinear
//! is 2x2 taps x 3 = 12, bicubic 4x4 x 3 = 48 (nearest would be 0, Lanczos-3 6x6 x 3 = 108).
//! Alpha is not counted (a game upscales opaque colour), nor are the weight and address maths,
//! which are shared by the channels and small next to the taps. It is the filter's cost, not
//! the current shader's instruction count: today's shader runs bilinear through the bicubic
//! code path with zero outer weights. Neural methods count their layers' multiply-adds per LR
//! pixel divided by `scale²`.

use super::{EvalError, Scale, Workload};
use crate::gpu::{GpuContext, RGBA32F, create_texture_2d, read_image, upload_image};
use crate::image::ImageF32;
use crate::net::{Architecture, LumaNet, Profile};
use crate::net_gpu::{GpuNetParams, GpuNeuralUpscaler};
use crate::resample::{GpuResampleParams, GpuResampler, ResampleFilter, resample_cpu};
use crate::spatial::{GpuSpatialUpscaler, SpatialUpscaleParams, spatial_upscale_cpu};

/// Where the neural methods' trained models are read from: `$KANSEI_MODELS` when set, otherwise
/// the repository's `assets/models`.
pub fn models_dir() -> std::path::PathBuf {
    std::env::var_os("KANSEI_MODELS").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../assets/models"),
        std::path::PathBuf::from,
    )
}

/// RCAS sharpness (in stops; 0 is the strongest) the `fsr1` method runs with: a light touch, the
/// setting FSR 1 integrations commonly ship as their default.
pub const FSR1_SHARPNESS_STOPS: f32 = 0.2;

/// An upscaling method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// Nearest neighbour ([`ResampleFilter::Nearest`]): the blockiest possible upscale.
    Nearest,
    /// Bilinear interpolation ([`ResampleFilter::Bilinear`]).
    Bilinear,
    /// Bicubic interpolation, Keys `a = -0.5` ([`ResampleFilter::Bicubic`]); the standard SR
    /// baseline.
    Bicubic,
    /// Lanczos-3 windowed sinc ([`ResampleFilter::Lanczos3`]).
    Lanczos3,
    /// The edge-adaptive upscaler with contrast-adaptive sharpening written from AMD FSR 1's
    /// description ([`crate::spatial`]), at [`FSR1_SHARPNESS_STOPS`].
    Fsr1,
    /// Kansei's `fast` network ([`Profile::Fast`]), read from [`models_dir`].
    Fast,
    /// Kansei's `balanced` network ([`Profile::Balanced`]), read from [`models_dir`].
    Balanced,
}

/// What a method costs per output pixel (see the [module docs](self) for how it is counted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MethodCost {
    /// Multiply-adds per output pixel.
    pub macs_per_output_pixel: f64,
    /// Bytes per output pixel written to and read back from intermediate textures, for
    /// multi-pass methods
    /// ([`INTERMEDIATE_BYTES_PER_PIXEL`](super::INTERMEDIATE_BYTES_PER_PIXEL) per
    /// full-resolution intermediate);
    /// 0 for one pass.
    pub intermediate_bytes_per_output_pixel: f64,
}

impl MethodCost {
    /// A one-pass method (no intermediate textures) with `macs_per_output_pixel`.
    pub fn single_pass(macs_per_output_pixel: f64) -> Self {
        Self {
            macs_per_output_pixel,
            intermediate_bytes_per_output_pixel: 0.0,
        }
    }

    /// The cost-model workload of upscaling `input` to `output` with this cost.
    pub fn workload(&self, [input, output]: [[u32; 2]; 2]) -> Workload {
        Workload {
            input,
            output,
            macs_per_output_pixel: self.macs_per_output_pixel,
            intermediate_bytes_per_output_pixel: self.intermediate_bytes_per_output_pixel,
        }
    }
}

/// How a method runs; the one place that maps methods to implementations.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Engine {
    /// One pass of [`resample_cpu`] / [`GpuResampler`] with this filter.
    Resample(ResampleFilter),
    /// EASU then RCAS ([`spatial_upscale_cpu`] / [`GpuSpatialUpscaler`]) at this sharpness.
    Spatial {
        /// RCAS sharpness in stops.
        sharpness: f32,
    },
    /// A trained network of this profile ([`LumaNet`] / [`GpuNeuralUpscaler`]).
    Neural(Profile),
}

impl Method {
    /// The methods implemented today, in report order. The neural ones also need a trained
    /// model for the scale ([`Method::is_ready`]).
    pub const AVAILABLE: [Self; 7] = [
        Self::Nearest,
        Self::Bilinear,
        Self::Bicubic,
        Self::Lanczos3,
        Self::Fsr1,
        Self::Fast,
        Self::Balanced,
    ];

    /// The trained model a neural method reads at `scale`; `None` for classical methods.
    pub fn model_path(self, scale: Scale) -> Option<std::path::PathBuf> {
        match self.engine() {
            Engine::Neural(profile) => Some(models_dir().join(format!(
                "{}.safetensors",
                Architecture::new(profile, scale).model_name()
            ))),
            Engine::Resample(_) | Engine::Spatial { .. } => None,
        }
    }

    /// Whether the method can run at `scale`: always for classical methods, and for neural ones
    /// when their model file exists.
    pub fn is_ready(self, scale: Scale) -> bool {
        self.model_path(scale).is_none_or(|path| path.is_file())
    }

    /// Loads the neural method's network for `scale` (validated against its card).
    fn load_net(profile: Profile, scale: Scale) -> Result<LumaNet, EvalError> {
        let name = Architecture::new(profile, scale).model_name();
        let path = models_dir().join(format!("{name}.safetensors"));
        let (net, _card) = LumaNet::load(&path, &candle_core::Device::Cpu)?;
        Ok(net)
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Nearest => "nearest",
            Self::Bilinear => "bilinear",
            Self::Bicubic => "bicubic",
            Self::Lanczos3 => "lanczos3",
            Self::Fsr1 => "fsr1",
            Self::Fast => "fast",
            Self::Balanced => "balanced",
        }
    }

    /// Multiply-adds and intermediate traffic per output pixel when upscaling by `scale`.
    ///
    /// Classical filters cost the same at every scale; neural methods will not.
    pub fn cost(self, scale: Scale) -> MethodCost {
        match self {
            // A copy: no arithmetic on the colour.
            Self::Nearest => MethodCost::single_pass(0.0),
            // 2x2 taps x 3 colour channels.
            Self::Bilinear => MethodCost::single_pass(2.0 * 2.0 * 3.0),
            // 4x4 taps x 3 colour channels.
            Self::Bicubic => MethodCost::single_pass(4.0 * 4.0 * 3.0),
            // 6x6 taps x 3 colour channels.
            Self::Lanczos3 => MethodCost::single_pass(6.0 * 6.0 * 3.0),
            // EASU: 12 taps x 3 colour channels, plus the luma of the 12 taps (3 multiply-adds
            // each) for the edge analysis; RCAS: 5 taps x 3 colour channels. Two passes linked
            // by one output-sized intermediate texture.
            Self::Fsr1 => MethodCost {
                macs_per_output_pixel: 12.0 * 3.0 + 12.0 * 3.0 + 5.0 * 3.0,
                intermediate_bytes_per_output_pixel: super::INTERMEDIATE_BYTES_PER_PIXEL,
            },
            // The network's multiply-adds per low-resolution pixel, spread over the s² output
            // pixels it produces, plus the bicubic base it adds its residual to. One fused pass.
            Self::Fast | Self::Balanced => {
                let profile = if self == Self::Fast {
                    Profile::Fast
                } else {
                    Profile::Balanced
                };
                let arch = Architecture::new(profile, scale);
                let s2 = f64::from(scale.get() * scale.get());
                MethodCost::single_pass(arch.macs_per_pixel() as f64 / s2 + 4.0 * 4.0 * 3.0)
            }
        }
    }

    fn engine(self) -> Engine {
        match self {
            Self::Nearest => Engine::Resample(ResampleFilter::Nearest),
            Self::Bilinear => Engine::Resample(ResampleFilter::Bilinear),
            Self::Bicubic => Engine::Resample(ResampleFilter::Bicubic),
            Self::Lanczos3 => Engine::Resample(ResampleFilter::Lanczos3),
            Self::Fsr1 => Engine::Spatial {
                sharpness: FSR1_SHARPNESS_STOPS,
            },
            Self::Fast => Engine::Neural(Profile::Fast),
            Self::Balanced => Engine::Neural(Profile::Balanced),
        }
    }

    /// The method called `name`, or [`EvalError::UnknownMethod`] listing the available names.
    pub fn from_name(name: &str) -> Result<Self, EvalError> {
        Self::AVAILABLE
            .into_iter()
            .find(|m| m.name() == name)
            .ok_or_else(|| EvalError::UnknownMethod {
                name: name.to_owned(),
                available: Self::AVAILABLE.map(Self::name).join(", "),
            })
    }

    /// Upscales `input` by `scale` on the CPU: the reference the quality scores come from.
    ///
    /// The result is unclamped `f32`; [`score`](super::score) and
    /// [`save_png_rgb8`](super::save_png_rgb8) quantise it to 8 bits.
    pub fn run_cpu(self, input: &ImageF32, scale: Scale) -> Result<ImageF32, EvalError> {
        let [width, height] = output_size(input, scale);
        match self.engine() {
            Engine::Resample(filter) => Ok(resample_cpu(input, width, height, filter)?),
            Engine::Spatial { sharpness } => {
                Ok(spatial_upscale_cpu(input, width, height, sharpness)?)
            }
            Engine::Neural(profile) => Ok(Self::load_net(profile, scale)?.upscale_rgb(input)?),
        }
    }

    /// [`run_cpu`](Self::run_cpu) on each of `inputs`, loading a neural method's network once
    /// rather than per image (for frame sequences).
    pub fn run_cpu_all(
        self,
        inputs: &[ImageF32],
        scale: Scale,
    ) -> Result<Vec<ImageF32>, EvalError> {
        match self.engine() {
            Engine::Neural(profile) => {
                let net = Self::load_net(profile, scale)?;
                inputs
                    .iter()
                    .map(|input| Ok(net.upscale_rgb(input)?))
                    .collect()
            }
            Engine::Resample(_) | Engine::Spatial { .. } => inputs
                .iter()
                .map(|input| self.run_cpu(input, scale))
                .collect(),
        }
    }

    /// Builds this method's GPU pipelines on `ctx` for upscaling by `scale`. Slow (pipeline
    /// compilation): build once and reuse the [`GpuMethod`].
    pub fn gpu(self, ctx: &GpuContext, scale: Scale) -> Result<GpuMethod, EvalError> {
        GpuMethod::new(self, ctx, scale)
    }

    /// Upscales `input` by `scale` on the GPU, building the pipelines for this one call; use
    /// [`Method::gpu`] to upscale many images.
    pub fn run_gpu(
        self,
        ctx: &GpuContext,
        input: &ImageF32,
        scale: Scale,
    ) -> Result<ImageF32, EvalError> {
        self.gpu(ctx, scale)?.run(ctx, input, scale)
    }
}

/// `input`'s size times `scale`.
pub fn output_size(input: &ImageF32, scale: Scale) -> [u32; 2] {
    [input.width() * scale.get(), input.height() * scale.get()]
}

/// A method's GPU implementation, pipelines built for one device.
#[derive(Debug, Clone)]
pub struct GpuMethod {
    method: Method,
    engine: GpuEngine,
}

#[derive(Debug, Clone)]
enum GpuEngine {
    Resample {
        resampler: GpuResampler,
        filter: ResampleFilter,
    },
    Spatial {
        upscaler: GpuSpatialUpscaler,
        sharpness: f32,
    },
    Neural {
        upscaler: Box<GpuNeuralUpscaler>,
    },
}

/// Textures of one upscale, uploaded once so that timed runs only encode, submit and wait.
///
/// Make one with [`GpuMethod::frame`], which knows whether the method needs an intermediate
/// texture.
#[derive(Debug)]
pub struct GpuFrame {
    input_size: [u32; 2],
    output_size: [u32; 2],
    // Held so the input stays alive for as long as its view is bound, whatever the backend's
    // ownership rules.
    _source_texture: wgpu::Texture,
    source: wgpu::TextureView,
    destination_texture: wgpu::Texture,
    destination: wgpu::TextureView,
    intermediate: Option<wgpu::TextureView>,
}

impl GpuFrame {
    /// Uploads `input` and allocates an output `scale` times larger, plus, if `intermediate`,
    /// an output-sized texture that one pass writes and the next reads (`rgba32float`, storage
    /// and sampled).
    pub fn new(
        ctx: &GpuContext,
        input: &ImageF32,
        scale: Scale,
        intermediate: bool,
    ) -> Result<Self, EvalError> {
        let output_size = output_size(input, scale);
        let source = upload_image(
            ctx,
            "kansei:eval:source",
            input,
            wgpu::TextureUsages::TEXTURE_BINDING,
        )?;
        let destination_texture = create_texture_2d(
            ctx,
            "kansei:eval:destination",
            output_size[0],
            output_size[1],
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        )?;
        let intermediate = if intermediate {
            let texture = create_texture_2d(
                ctx,
                "kansei:eval:intermediate",
                output_size[0],
                output_size[1],
                RGBA32F,
                wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::TEXTURE_BINDING,
            )?;
            Some(texture.create_view(&wgpu::TextureViewDescriptor::default()))
        } else {
            None
        };
        Ok(Self {
            intermediate,
            input_size: [input.width(), input.height()],
            output_size,
            source: source.create_view(&wgpu::TextureViewDescriptor::default()),
            _source_texture: source,
            destination: destination_texture.create_view(&wgpu::TextureViewDescriptor::default()),
            destination_texture,
        })
    }

    /// Input `[width, height]`.
    pub fn input_size(&self) -> [u32; 2] {
        self.input_size
    }

    /// Output `[width, height]`.
    pub fn output_size(&self) -> [u32; 2] {
        self.output_size
    }

    /// The intermediate texture's view, if the frame was made with one.
    pub fn intermediate(&self) -> Option<&wgpu::TextureView> {
        self.intermediate.as_ref()
    }

    /// Reads the output texture back.
    pub fn read_output(&self, ctx: &GpuContext) -> Result<ImageF32, EvalError> {
        Ok(read_image(ctx, &self.destination_texture)?)
    }
}

impl GpuMethod {
    fn new(method: Method, ctx: &GpuContext, scale: Scale) -> Result<Self, EvalError> {
        let engine = match method.engine() {
            Engine::Resample(filter) => GpuEngine::Resample {
                resampler: GpuResampler::new(ctx)?,
                filter,
            },
            Engine::Spatial { sharpness } => GpuEngine::Spatial {
                upscaler: GpuSpatialUpscaler::new(ctx)?,
                sharpness,
            },
            Engine::Neural(profile) => GpuEngine::Neural {
                upscaler: Box::new(GpuNeuralUpscaler::new(
                    ctx,
                    &Method::load_net(profile, scale)?,
                    RGBA32F,
                )?),
            },
        };
        Ok(Self { method, engine })
    }

    /// Uploads `input` into a frame for upscaling by `scale`, with the textures this method
    /// needs.
    pub fn frame(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        scale: Scale,
    ) -> Result<GpuFrame, EvalError> {
        GpuFrame::new(ctx, input, scale, self.needs_intermediate())
    }

    /// Whether the method runs in several passes linked by an output-sized texture.
    fn needs_intermediate(&self) -> bool {
        match self.engine {
            GpuEngine::Resample { .. } => false,
            GpuEngine::Spatial { .. } => true,
            GpuEngine::Neural { .. } => false,
        }
    }

    /// The method these pipelines implement.
    pub fn method(&self) -> Method {
        self.method
    }

    /// Records, submits and waits for one upscale of `frame`'s input into its output.
    pub fn execute(&self, ctx: &GpuContext, frame: &GpuFrame) -> Result<(), EvalError> {
        let mut encoder = ctx
            .device()
            .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                label: Some("kansei:eval:encoder"),
            });
        self.encode(ctx, &mut encoder, frame)?;
        ctx.capture_errors("kansei:eval: submit", || {
            ctx.queue().submit([encoder.finish()]);
        })?;
        ctx.wait_idle()?;
        Ok(())
    }

    fn encode(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        frame: &GpuFrame,
    ) -> Result<(), EvalError> {
        match &self.engine {
            GpuEngine::Resample { resampler, filter } => {
                let params = GpuResampleParams::new(frame.input_size, frame.output_size, *filter);
                ctx.capture_errors("kansei:eval: encode resample", || {
                    resampler.encode(ctx, encoder, &frame.source, &frame.destination, &params)
                })??;
            }
            GpuEngine::Spatial {
                upscaler,
                sharpness,
            } => {
                let intermediate =
                    frame
                        .intermediate()
                        .ok_or(EvalError::FrameWithoutIntermediate {
                            method: self.method.name(),
                        })?;
                let params = SpatialUpscaleParams {
                    in_size: frame.input_size,
                    out_size: frame.output_size,
                    sharpness: *sharpness,
                };
                ctx.capture_errors("kansei:eval: encode spatial upscale", || {
                    upscaler.encode(
                        ctx,
                        encoder,
                        &frame.source,
                        intermediate,
                        &frame.destination,
                        &params,
                    )
                })??;
            }
            GpuEngine::Neural { upscaler } => {
                let params = GpuNetParams {
                    in_size: frame.input_size,
                    out_size: frame.output_size,
                };
                ctx.capture_errors("kansei:eval: encode neural upscale", || {
                    upscaler.encode(ctx, encoder, &frame.source, &frame.destination, &params)
                })??;
            }
        }
        Ok(())
    }

    /// Uploads `input`, upscales it by `scale` and reads the result back.
    pub fn run(
        &self,
        ctx: &GpuContext,
        input: &ImageF32,
        scale: Scale,
    ) -> Result<ImageF32, EvalError> {
        let frame = self.frame(ctx, input, scale)?;
        self.execute(ctx, &frame)?;
        frame.read_output(ctx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn run_cpu_all_matches_run_cpu_image_by_image() -> Result<(), EvalError> {
        let frames: Vec<ImageF32> = (0..3)
            .map(|k| {
                ImageF32::from_fn(13, 9, |x, y| {
                    let v = ((x * 7 + y * 3 + k * 5) % 11) as f32 / 10.0;
                    [v, 1.0 - v, 0.5 * v, 1.0]
                })
            })
            .collect::<Result<_, _>>()?;
        for method in [Method::Bilinear, Method::Fast] {
            let all = method.run_cpu_all(&frames, Scale::X2)?;
            assert_eq!(all.len(), frames.len());
            for (frame, batched) in frames.iter().zip(&all) {
                assert_eq!(
                    &method.run_cpu(frame, Scale::X2)?,
                    batched,
                    "{}",
                    method.name()
                );
            }
        }
        Ok(())
    }

    #[test]
    fn names_round_trip_and_are_listed() {
        for method in Method::AVAILABLE {
            assert_eq!(Method::from_name(method.name()).ok(), Some(method));
        }
    }

    #[test]
    fn unknown_names_list_the_available_ones() {
        let unknown = Method::from_name("magic").err().map(|e| e.to_string());
        assert_eq!(
            unknown.as_deref(),
            Some(
                "unknown method `magic`; available: nearest, bilinear, bicubic, lanczos3, fsr1, \
                 fast, balanced"
            )
        );
    }

    #[test]
    fn neural_methods_read_their_model_by_profile_and_scale() {
        let path = Method::Fast
            .model_path(Scale::X3)
            .expect("a neural method has a model");
        assert!(
            path.ends_with("kansei-upscale-fast-x3.safetensors"),
            "{}",
            path.display()
        );
        assert_eq!(Method::Bicubic.model_path(Scale::X3), None);
        assert!(Method::Bicubic.is_ready(Scale::X4));
    }

    #[test]
    fn tap_counts() -> Result<(), EvalError> {
        let scale = Scale::new(2)?;
        assert_eq!(Method::Bilinear.cost(scale).macs_per_output_pixel, 12.0);
        assert_eq!(Method::Bicubic.cost(scale).macs_per_output_pixel, 48.0);
        assert_eq!(
            Method::Bicubic
                .cost(scale)
                .intermediate_bytes_per_output_pixel,
            0.0
        );
        Ok(())
    }

    #[test]
    fn cpu_output_is_scale_times_larger() -> Result<(), EvalError> {
        let input = ImageF32::filled(5, 3, [0.5; 4])?;
        for factor in [2, 3, 4] {
            let out = Method::Bicubic.run_cpu(&input, Scale::new(factor)?)?;
            assert_eq!((out.width(), out.height()), (5 * factor, 3 * factor));
        }
        Ok(())
    }
}
