//! The neural upscaler networks: a small family of luma networks, built and trained with candle,
//! in two cost profiles ([`Profile::Fast`], [`Profile::Balanced`]) for scales 2, 3 and 4.
//!
//! # The design, and why
//!
//! Every network works entirely at **low resolution, on luma only**, and predicts a **residual
//! over the bicubic upscale**:
//!
//! ```text
//! y    = Y(LR) / 255                                   (BT.601 luma as MATLAB's rgb2ycbcr)
//! h    = PReLU(conv_head(y - 0.5))                      C channels, k_head x k_head
//! h    = h + PReLU(conv_i(h))        for each body layer   C -> C, 3x3
//! r    = pixel_shuffle(conv_tail(h))                    C -> s², k_tail x k_tail, then depth-to-space
//! SR   = bicubic(LR) + r * 255/219   added to R, G and B (keeps bicubic Cb and Cr)
//! ```
//!
//! - **Low resolution**: every multiply-add is spent once per input pixel; the only
//!   full-resolution work is the bicubic base and one add. The cost unit of every budget here
//!   is multiply-adds per low-resolution pixel.
//! - **Luma only**: the standard metrics (PSNR-Y, SSIM-Y) and the eye are dominated by luma
//!   detail; chroma is band-limited in most content. One input and one output channel instead of
//!   three make the first and last layers three times cheaper, which at these budgets pays for a
//!   whole extra body layer. Adding the luma residual to R, G and B in equal parts leaves the
//!   bicubic Cb and Cr untouched (their weights sum to zero), so no colour conversion is needed
//!   at full resolution.
//! - **Residual over bicubic**: the network only learns the missing high frequencies; it starts
//!   as bicubic (the tail is initialised near zero) and trains far faster than a network that must
//!   also learn interpolation.
//! - **Pixel shuffle at the end** (ESPCN): the last convolution predicts the `s²` sub-pixels of
//!   each low-resolution pixel, so no layer runs at high resolution (FSRCNN's 9x9 deconvolution
//!   is most of its 12.5k multiply-adds).
//! - **Short residuals and `PReLU`** (as in SESR, Bhardwaj et al. 2022, whose `f = 16` network
//!   this balanced profile resembles, and FSRCNN's `PReLU`): small networks train markedly
//!   better with identity paths and without dead `ReLU` units; both are one add / one
//!   multiply per value on the GPU.
//! - **GPU-friendly**: only plain 3x3 / 5x5 / 1x1 convolutions, `PReLU`, residual adds and
//!   pixel shuffle. No normalisation, no attention: every layer can be fused in workgroup memory
//!   over a tile with a halo of `receptive_field / 2` pixels. Convolutions pad by clamping
//!   coordinates into the image at every layer (see [`conv`]).
//!
//! # The profiles
//!
//! | profile | C | head | body | tail x2 | tail x3, x4 | MACs / LR pixel x2, x3, x4 |
//! |---|---|---|---|---|---|---|
//! | `fast` | 8 | 5x5 | 2 x 3x3 | 3x3 | 1x1 | 1,640, 1,424, 1,480 (budget 2,000) |
//! | `balanced` | 16 | 5x5 | 3 x 3x3 | 3x3 | 1x1 | 7,888, 7,456, 7,568 (budget 8,000) |
//!
//! The head and body (everything but the tail) have the same shape at every scale, so the x3
//! and x4 networks start from the trained x2 body (FSRCNN's approach); only the tail, with its
//! `s²` outputs, is new. At x3 and x4 a 3x3 tail would blow the budget (`9 C s²` multiply-adds),
//! so it is 1x1 there: each sub-pixel is a linear read-out of the features at its low-resolution
//! pixel, whose receptive field already spans 9x9 (fast) or 11x11 (balanced) input pixels.
//! Exact counts come from [`Architecture::macs`] and are asserted against the budgets in tests.
//!
//! `fast` was first 12 channels wide with a 3x3 head and one body layer (1,836 multiply-adds at
//! x2). Trained the same way (70,000 steps, same seed and data), the narrower, deeper shape
//! above costs 11% less and scores higher: 31.02 against 30.97 dB on the held-out validation
//! images, 36.50 against 36.46 dB on Set5 x2. At this size a wider receptive field is worth
//! more than width.

mod conv;
mod expanded;

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Init, VarBuilder};
use kansei_nn::{ExpectedTensors, MacCounter, ModelCard, ModelError};

pub use conv::{Conv, ConvImpl, PRelu, im2col, max_abs_diff, pixel_shuffle};
pub use expanded::{DEFAULT_EXPANSION, ExpandedLumaNet};

use crate::eval::Scale;
use crate::image::{ImageError, ImageF32};
use crate::resample::{ResampleError, ResampleFilter, resample_cpu};

/// The constant subtracted from the luma (in `[0, 1]`) before the first convolution, so the
/// network's input is roughly centred.
pub const INPUT_OFFSET: f32 = 0.5;

/// How much a change of 1 in luma (`Y / 255`) changes each of R, G and B (in `[0, 1]`) when Cb and
/// Cr are held constant: `255 / 219`, since `R = G = B = v` has `Y = 16 + 219 v`.
pub const LUMA_TO_RGB: f32 = 255.0 / 219.0;

/// The unit every cost here is counted per.
pub const COST_UNIT: &str = "low-resolution pixel";

/// A cost profile of the network family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Profile {
    /// At most [`Profile::budget`] = 2,000 multiply-adds per low-resolution pixel.
    Fast,
    /// At most 8,000 multiply-adds per low-resolution pixel.
    Balanced,
}

impl Profile {
    /// Both profiles.
    pub const ALL: [Self; 2] = [Self::Fast, Self::Balanced];

    /// The name used on the command line and in model names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fast => "fast",
            Self::Balanced => "balanced",
        }
    }

    /// The profile called `name`.
    ///
    /// # Errors
    ///
    /// [`NetError::UnknownProfile`] for any other name.
    pub fn from_name(name: &str) -> Result<Self, NetError> {
        Self::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| NetError::UnknownProfile(name.to_owned()))
    }

    /// The most multiply-adds per low-resolution pixel a network of this profile may cost.
    pub fn budget(self) -> u64 {
        match self {
            Self::Fast => 2_000,
            Self::Balanced => 8_000,
        }
    }
}

/// The exact shape of one network: a profile at a scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Architecture {
    /// The cost profile.
    pub profile: Profile,
    /// The upscaling factor.
    pub scale: Scale,
    /// Feature channels `C` of the head and body.
    pub channels: usize,
    /// Window of the first convolution (1 -> C).
    pub head_kernel: usize,
    /// Number of 3x3 C -> C body convolutions, each with a residual connection.
    pub body_layers: usize,
    /// Window of the last convolution (C -> s²).
    pub tail_kernel: usize,
}

impl Architecture {
    /// The network of `profile` at `scale` (see the [module docs](self) for the table).
    pub fn new(profile: Profile, scale: Scale) -> Self {
        let x2 = scale.get() == 2;
        let (channels, head_kernel, body_layers) = match profile {
            Profile::Fast => (8, 5, 2),
            Profile::Balanced => (16, 5, 3),
        };
        Self {
            profile,
            scale,
            channels,
            head_kernel,
            body_layers,
            tail_kernel: if x2 { 3 } else { 1 },
        }
    }

    /// The scale as a `usize`.
    pub fn factor(&self) -> usize {
        self.scale.get() as usize
    }

    /// The model's name, e.g. `kansei-upscale-fast-x2`.
    pub fn model_name(&self) -> String {
        format!(
            "kansei-upscale-{}-x{}",
            self.profile.name(),
            self.scale.get()
        )
    }

    /// The architecture a model name such as `kansei-upscale-fast-x2` stands for.
    ///
    /// # Errors
    ///
    /// [`NetError::UnknownModelName`] if the name does not follow that pattern.
    pub fn from_model_name(name: &str) -> Result<Self, NetError> {
        let unknown = || NetError::UnknownModelName(name.to_owned());
        let rest = name.strip_prefix("kansei-upscale-").ok_or_else(unknown)?;
        let (profile, scale) = rest.rsplit_once("-x").ok_or_else(unknown)?;
        let profile = Profile::from_name(profile).map_err(|_| unknown())?;
        let scale = scale.parse::<u32>().map_err(|_| unknown())?;
        let scale = Scale::new(scale).map_err(|_| unknown())?;
        Ok(Self::new(profile, scale))
    }

    /// Multiply-adds per low-resolution pixel, layer by layer. Every layer runs at low
    /// resolution, one output position per pixel; the bicubic base and the final add are not
    /// counted (no multiply-adds of a learned layer; see `kansei_nn::MacCounter`).
    pub fn macs(&self) -> MacCounter {
        let c = self.channels;
        let mut macs = MacCounter::new(COST_UNIT);
        let k = self.head_kernel;
        macs.conv2d("head", 1, c, (k, k), 1, 1.0);
        for i in 0..self.body_layers {
            macs.conv2d(format!("body.{i}"), c, c, (3, 3), 1, 1.0);
        }
        let (k, s) = (self.tail_kernel, self.factor());
        macs.conv2d("tail", c, s * s, (k, k), 1, 1.0);
        macs
    }

    /// Exact multiply-adds per low-resolution pixel.
    pub fn macs_per_pixel(&self) -> u64 {
        self.macs().to_cost().macs_per_unit
    }

    /// How far (in low-resolution pixels) an output can depend on the input: the halo a tiled
    /// implementation needs on each side.
    pub fn halo(&self) -> usize {
        self.head_kernel / 2 + self.body_layers + self.tail_kernel / 2
    }

    /// The weight tensors this architecture has, for validated loading.
    ///
    /// # Errors
    ///
    /// Only on an internal inconsistency of the constructor.
    pub fn expected_tensors(&self) -> Result<ExpectedTensors, NetError> {
        Ok(ExpectedTensors::from_constructor(DType::F32, |vb| {
            LumaNet::new(*self, &vb)
        })?)
    }
}

/// Why a network could not be built, loaded or run.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// A profile name other than `fast` or `balanced`.
    #[error("unknown profile `{0}` (expected `fast` or `balanced`)")]
    UnknownProfile(String),
    /// A model name that is not `kansei-upscale-<profile>-x<scale>`.
    #[error("`{0}` is not a Kansei upscaler model name (kansei-upscale-<profile>-x<scale>)")]
    UnknownModelName(String),
    /// A candle error.
    #[error("network: {0}")]
    Candle(#[from] candle_core::Error),
    /// A model file problem.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// The bicubic base could not be computed.
    #[error(transparent)]
    Resample(#[from] ResampleError),
    /// An image could not be built.
    #[error(transparent)]
    Image(#[from] ImageError),
}

/// One body layer: a 3x3 convolution and its activation, added to its input.
#[derive(Debug, Clone)]
struct BodyLayer {
    conv: Conv,
    act: PRelu,
}

/// A network of the family: see the [module docs](self).
#[derive(Debug, Clone)]
pub struct LumaNet {
    arch: Architecture,
    head: Conv,
    head_act: PRelu,
    body: Vec<BodyLayer>,
    tail: Conv,
    conv_impl: ConvImpl,
}

/// The weight initialisation of the head and body: Kaiming normal for `PReLU`-like units
/// (candle's default for convolutions).
const HIDDEN_INIT: Init = candle_nn::init::DEFAULT_KAIMING_NORMAL;

/// The tail starts tiny, so an untrained network is (almost exactly) bicubic, yet every weight
/// upstream gets a non-zero gradient from the first step.
const TAIL_INIT: Init = Init::Randn {
    mean: 0.0,
    stdev: 1e-3,
};

impl LumaNet {
    /// Builds the network of `arch` with every tensor from `vb`: `head.{weight,bias,alpha}`,
    /// `body.{i}.{weight,bias,alpha}`, `tail.{weight,bias}`.
    ///
    /// # Errors
    ///
    /// If `vb` cannot provide a tensor (e.g. a shape mismatch).
    pub fn new(arch: Architecture, vb: &VarBuilder<'_>) -> candle_core::Result<Self> {
        Self::with_tail(arch, vb, vb)
    }

    /// As [`LumaNet::new`], but the tail (`tail.*`) comes from `tail_vb` and everything else
    /// from `body_vb`: train a new tail on a frozen, shared body.
    ///
    /// # Errors
    ///
    /// As [`LumaNet::new`].
    pub fn with_tail(
        arch: Architecture,
        body_vb: &VarBuilder<'_>,
        tail_vb: &VarBuilder<'_>,
    ) -> candle_core::Result<Self> {
        let c = arch.channels;
        let vb = body_vb.pp("head");
        let head = Conv::new(1, c, arch.head_kernel, HIDDEN_INIT, &vb)?;
        let head_act = PRelu::new(c, &vb)?;
        let body = (0..arch.body_layers)
            .map(|i| {
                let vb = body_vb.pp(format!("body.{i}"));
                Ok(BodyLayer {
                    conv: Conv::new(c, c, 3, HIDDEN_INIT, &vb)?,
                    act: PRelu::new(c, &vb)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        let s = arch.factor();
        let tail = Conv::new(c, s * s, arch.tail_kernel, TAIL_INIT, &tail_vb.pp("tail"))?;
        Ok(Self {
            arch,
            head,
            head_act,
            body,
            tail,
            conv_impl: ConvImpl::default(),
        })
    }

    /// Loads the model at `path` (weights + card), choosing the architecture from the card's
    /// name and validating the weights against it.
    ///
    /// # Errors
    ///
    /// [`NetError::Model`] for any file, card or tensor problem, [`NetError::UnknownModelName`]
    /// if the card does not name an upscaler.
    pub fn load(path: &Path, device: &Device) -> Result<(Self, ModelCard), NetError> {
        let card = ModelCard::read(kansei_nn::card_path(path))?;
        let arch = Architecture::from_model_name(&card.name)?;
        let loaded = kansei_nn::load(path, &arch.expected_tensors()?, device)?;
        let net = Self::new(arch, &loaded.var_builder(DType::F32, device))?;
        Ok((net, loaded.card))
    }

    /// The architecture.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The convolution implementation the forward pass uses.
    pub fn conv_impl(&self) -> ConvImpl {
        self.conv_impl
    }

    /// Switches the convolution implementation (the result is the same to float rounding).
    #[must_use]
    pub fn with_conv_impl(mut self, conv_impl: ConvImpl) -> Self {
        self.conv_impl = conv_impl;
        self
    }

    /// Every learned tensor by name, as saved.
    pub fn tensors(&self) -> Vec<(String, Tensor)> {
        let mut out = vec![
            ("head.weight".to_owned(), self.head.weight().clone()),
            ("head.bias".to_owned(), self.head.bias().clone()),
            ("head.alpha".to_owned(), self.head_act.alpha().clone()),
        ];
        for (i, layer) in self.body.iter().enumerate() {
            out.push((format!("body.{i}.weight"), layer.conv.weight().clone()));
            out.push((format!("body.{i}.bias"), layer.conv.bias().clone()));
            out.push((format!("body.{i}.alpha"), layer.act.alpha().clone()));
        }
        out.push(("tail.weight".to_owned(), self.tail.weight().clone()));
        out.push(("tail.bias".to_owned(), self.tail.bias().clone()));
        out
    }

    /// The predicted luma residual for a batch of low-resolution luma planes.
    ///
    /// `lr_luma` is `(N, H, W)`, values `Y / 255` in `[0, 1]`; the result is `(N, s H, s W)` in
    /// the same units, to be added to the bicubic upscale of the luma.
    ///
    /// # Errors
    ///
    /// If `lr_luma` is not rank 3, or on a candle error.
    pub fn residual(&self, lr_luma: &Tensor) -> candle_core::Result<Tensor> {
        let ci = self.conv_impl;
        let input = (lr_luma - f64::from(INPUT_OFFSET))?;
        let input = match ci {
            ConvImpl::Im2col => input.unsqueeze(3)?,
            ConvImpl::Candle => input.unsqueeze(1)?,
        };
        let mut h = self.head_act.forward(&self.head.forward(&input, ci)?, ci)?;
        for layer in &self.body {
            h = (&h + layer.act.forward(&layer.conv.forward(&h, ci)?, ci)?)?;
        }
        pixel_shuffle(&self.tail.forward(&h, ci)?, self.arch.factor(), ci)
    }

    /// Upscales an RGB image on the CPU: the bicubic upscale ([`resample_cpu`], Keys
    /// `a = -0.5`) plus the network's luma residual added equally to R, G and B (see the
    /// [module docs](self)). Alpha is the bicubic alpha. Values are not clamped.
    ///
    /// # Errors
    ///
    /// On a candle or resampling error.
    pub fn upscale_rgb(&self, lr: &ImageF32) -> Result<ImageF32, NetError> {
        let s = self.arch.scale.get();
        let base = resample_cpu(lr, lr.width() * s, lr.height() * s, ResampleFilter::Bicubic)?;
        let residual = self.residual_for_image(lr)?;
        let pixels = base
            .pixels()
            .iter()
            .zip(residual)
            .map(|(&[r, g, b, a], d)| {
                let d = d * LUMA_TO_RGB;
                [r + d, g + d, b + d, a]
            })
            .collect();
        Ok(ImageF32::new(base.width(), base.height(), pixels)?)
    }

    /// The luma residual of one RGB image, row-major at the output resolution.
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn residual_for_image(&self, lr: &ImageF32) -> Result<Vec<f32>, NetError> {
        let (w, h) = (lr.width() as usize, lr.height() as usize);
        let luma: Vec<f32> = lr.pixels().iter().map(|&p| luma(p)).collect();
        let device = self.head.weight().device();
        let input = Tensor::from_vec(luma, (1, h, w), device)?;
        Ok(self.residual(&input)?.flatten_all()?.to_vec1::<f32>()?)
    }
}

/// MATLAB `rgb2ycbcr` luma of an RGB pixel in `[0, 1]`, divided by 255 (so `[16, 235] / 255`),
/// unrounded: the network's input unit.
pub fn luma([r, g, b, _]: [f32; 4]) -> f32 {
    let [wr, wg, wb] = crate::eval::BT601_Y_WEIGHTS;
    let y = crate::eval::BT601_Y_OFFSET + wr * f64::from(r) + wg * f64::from(g) + wb * f64::from(b);
    (y / 255.0) as f32
}

/// Timing of one training step (forward + backward of the Charbonnier loss) of a network on a
/// random batch, for choosing batch and patch sizes and the convolution implementation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepTiming {
    /// The implementation timed.
    pub conv_impl: ConvImpl,
    /// Best forward time of a few runs, seconds.
    pub forward_s: f64,
    /// Best forward + backward time of a few runs, seconds.
    pub step_s: f64,
    /// Nominal multiply-adds of the forward pass (layers only).
    pub forward_macs: f64,
}

impl StepTiming {
    /// Forward throughput, GFLOP/s (2 FLOPs per multiply-add).
    pub fn forward_gflops(&self) -> f64 {
        2.0 * self.forward_macs / self.forward_s / 1e9
    }

    /// Training-step throughput, GFLOP/s, counting the backward pass as twice the forward (input
    /// and weight gradients).
    pub fn step_gflops(&self) -> f64 {
        3.0 * 2.0 * self.forward_macs / self.step_s / 1e9
    }
}

/// Times one network's forward pass and training step on a `batch x side x side` LR batch with
/// each convolution implementation (best of `runs` after a warm-up).
///
/// # Errors
///
/// On a candle error.
pub fn time_training_step(
    arch: Architecture,
    batch: usize,
    side: usize,
    runs: usize,
) -> Result<Vec<StepTiming>, NetError> {
    let device = Device::Cpu;
    let varmap = candle_nn::VarMap::new();
    let net = LumaNet::new(
        arch,
        &kansei_nn::seeded_var_builder(&varmap, 1, DType::F32, &device),
    )?;
    let mut rng = kansei_nn::seeded_rng(1, &device)?;
    let s = arch.factor();
    let lr = kansei_nn::uniform(&mut rng, 0.1, 0.9, (batch, side, side), DType::F32, &device)?;
    let target = kansei_nn::randn(
        &mut rng,
        0.0,
        0.05,
        (batch, s * side, s * side),
        DType::F32,
        &device,
    )?;
    let best = |f: &mut dyn FnMut() -> candle_core::Result<()>| -> candle_core::Result<f64> {
        f()?;
        let mut best = f64::INFINITY;
        for _ in 0..runs.max(1) {
            let start = std::time::Instant::now();
            f()?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let mut out = Vec::new();
    for conv_impl in [ConvImpl::Im2col, ConvImpl::Candle] {
        let net = net.clone().with_conv_impl(conv_impl);
        let forward_s = best(&mut || net.residual(&lr).map(drop))?;
        let step_s = best(&mut || {
            let d = (net.residual(&lr)? - &target)?;
            (d.sqr()? + 1e-6)?.sqrt()?.mean_all()?.backward().map(drop)
        })?;
        out.push(StepTiming {
            conv_impl,
            forward_s,
            step_s,
            forward_macs: arch.macs().total() * (batch * side * side) as f64,
        });
    }
    Ok(out)
}

/// Times one convolution layer (`cin -> cout`, `k x k`) forward and forward + backward (input
/// and weight gradients) on an `n x h x w` batch with `conv_impl`; returns
/// `(forward_s, step_s)`, best of `runs`.
///
/// # Errors
///
/// On a candle error.
pub fn time_convolution(
    conv_impl: ConvImpl,
    (cin, cout, k): (usize, usize, usize),
    (n, h, w): (usize, usize, usize),
    runs: usize,
) -> Result<(f64, f64), NetError> {
    let device = Device::Cpu;
    let varmap = candle_nn::VarMap::new();
    let vb = kansei_nn::seeded_var_builder(&varmap, 1, DType::F32, &device);
    let layer = Conv::new(cin, cout, k, candle_nn::init::DEFAULT_KAIMING_NORMAL, &vb)?;
    let mut rng = kansei_nn::seeded_rng(2, &device)?;
    let shape = match conv_impl {
        ConvImpl::Im2col => (n, h, w, cin),
        ConvImpl::Candle => (n, cin, h, w),
    };
    let x = candle_core::Var::from_tensor(&kansei_nn::randn(
        &mut rng,
        0.0,
        1.0,
        shape,
        DType::F32,
        &device,
    )?)?;
    let best = |f: &mut dyn FnMut() -> candle_core::Result<()>| -> candle_core::Result<f64> {
        f()?;
        let mut best = f64::INFINITY;
        for _ in 0..runs.max(1) {
            let start = std::time::Instant::now();
            f()?;
            best = best.min(start.elapsed().as_secs_f64());
        }
        Ok(best)
    };
    let forward_s = best(&mut || layer.forward(x.as_tensor(), conv_impl).map(drop))?;
    let step_s = best(&mut || {
        let y = layer.forward(x.as_tensor(), conv_impl)?;
        y.sqr()?.sum_all()?.backward().map(drop)
    })?;
    Ok((forward_s, step_s))
}
