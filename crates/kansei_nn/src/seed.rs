//! Deterministic randomness for reproducible training runs.
//!
//! candle 0.11.1 cannot seed its CPU device: `Device::Cpu.set_seed` returns an error ("cannot seed
//! the CPU rng with `set_seed`") and `Tensor::randn`/`rand` on the CPU draw from `rand::rng()`, a
//! thread-local generator seeded from the OS. So a `VarMap` initialised through the usual
//! `VarBuilder::from_varmap`, and `candle_nn::ops::dropout`, differ on every run. This module
//! draws everything from [`StdRng`] instead:
//!
//! - [`seeded_var_builder`] initialises each new variable from a generator seeded by the run seed
//!   and the variable's name, honouring the layer's [`Init`] hint (Kaiming, normal, uniform,
//!   constant), so the same seed always gives the same initial weights, whatever order layers are
//!   built in;
//! - [`seeded_rng`] gives the data-sampling generator (and seeds CUDA/Metal devices, which do
//!   support it);
//! - [`step_rng`] gives an independent generator per training step, which is what lets
//!   [`crate::Trainer`] resume mid-run without saving generator state;
//! - [`randn`], [`uniform`] and [`dropout`] replace candle's unseeded samplers.
//!
//! Runs are reproducible for a given build: `StdRng`'s algorithm may change between `rand`
//! releases.

use std::sync::PoisonError;

use candle_core::{DType, Device, Shape, Tensor, Var};
use candle_nn::init::NormalOrUniform;
use candle_nn::var_builder::SimpleBackend;
use candle_nn::{Init, VarBuilder, VarMap};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Returns the run's data-sampling generator, seeded with `seed`, after seeding `device`'s own
/// generator where candle allows it (CUDA and Metal).
///
/// candle 0.11.1 cannot seed its CPU device (`Device::Cpu.set_seed` fails and CPU `randn`/`rand`
/// draw from the OS-seeded thread generator), so on the CPU only randomness drawn from the
/// returned generator is reproducible: initialise weights with [`seeded_var_builder`] and sample
/// with [`randn`], [`uniform`] and [`dropout`] instead of candle's samplers.
///
/// # Errors
///
/// If a GPU device rejects the seed.
pub fn seeded_rng(seed: u64, device: &Device) -> candle_core::Result<StdRng> {
    if !device.is_cpu() {
        device.set_seed(mix(seed, DEVICE_SALT))?;
    }
    Ok(StdRng::seed_from_u64(seed))
}

/// An independent generator for training step `step` of the run seeded with `seed`.
///
/// Deriving each step's generator from `(seed, step)` instead of threading one generator through
/// the run means step `k` draws the same numbers whether the run started at step 0 or resumed
/// from a checkpoint at step `k`.
pub fn step_rng(seed: u64, step: u64) -> StdRng {
    StdRng::seed_from_u64(mix(mix(seed, STEP_SALT), step))
}

/// A [`VarBuilder`] that creates missing variables in `varmap` from seeded generators (one per
/// variable, keyed by the run seed and the variable's full name) and returns existing ones as
/// they are. Use it in place of `VarBuilder::from_varmap` to make initial weights reproducible.
pub fn seeded_var_builder(
    varmap: &VarMap,
    seed: u64,
    dtype: DType,
    device: &Device,
) -> VarBuilder<'static> {
    let backend = SeededVarMap {
        varmap: varmap.clone(),
        seed,
    };
    VarBuilder::from_backend(Box::new(backend), dtype, device.clone())
}

/// A tensor of normal samples with the given mean and standard deviation, drawn from `rng`.
///
/// # Errors
///
/// If the tensor cannot be created on `device` in `dtype`.
pub fn randn<R: Rng + ?Sized>(
    rng: &mut R,
    mean: f64,
    std: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let shape = shape.into();
    let values: Vec<f64> = (0..shape.elem_count())
        .map(|_| mean + std * standard_normal(rng))
        .collect();
    Tensor::from_vec(values, shape, &Device::Cpu)?
        .to_dtype(dtype)?
        .to_device(device)
}

/// A tensor of samples uniform in `[lo, hi)`, drawn from `rng`.
///
/// # Errors
///
/// If the tensor cannot be created on `device` in `dtype`.
pub fn uniform<R: Rng + ?Sized>(
    rng: &mut R,
    lo: f64,
    hi: f64,
    shape: impl Into<Shape>,
    dtype: DType,
    device: &Device,
) -> candle_core::Result<Tensor> {
    let shape = shape.into();
    let values: Vec<f64> = (0..shape.elem_count())
        .map(|_| lo + (hi - lo) * rng.random::<f64>())
        .collect();
    Tensor::from_vec(values, shape, &Device::Cpu)?
        .to_dtype(dtype)?
        .to_device(device)
}

/// Inverted dropout with a seeded mask: zeroes each element with probability `p` and scales the
/// rest by `1 / (1 - p)`. Gradients flow through the kept elements.
///
/// # Errors
///
/// If `p` is not in `[0, 1)`, or on a candle error.
pub fn dropout<R: Rng + ?Sized>(xs: &Tensor, p: f64, rng: &mut R) -> candle_core::Result<Tensor> {
    if !(0.0..1.0).contains(&p) {
        candle_core::bail!("dropout probability must be in [0, 1), got {p}");
    }
    if p == 0.0 {
        return Ok(xs.clone());
    }
    let keep_scale = 1.0 / (1.0 - p);
    let mask: Vec<f64> = (0..xs.elem_count())
        .map(|_| {
            if rng.random::<f64>() < p {
                0.0
            } else {
                keep_scale
            }
        })
        .collect();
    let mask = Tensor::from_vec(mask, xs.shape(), &Device::Cpu)?
        .to_dtype(xs.dtype())?
        .to_device(xs.device())?;
    xs.mul(&mask)
}

/// Salts keep the device seed and the per-step seeds from coinciding with the data seed.
const DEVICE_SALT: u64 = 0x6465_7669_6365; // "device"
const STEP_SALT: u64 = 0x7374_6570; // "step"

/// Combines two 64-bit values into a well-mixed seed (`SplitMix64`'s finaliser over `a ^ f(b)`), so
/// nearby inputs such as consecutive steps give unrelated generators.
pub(crate) fn mix(a: u64, b: u64) -> u64 {
    let mut z = a ^ b
        .wrapping_add(0x9E37_79B9_7F4A_7C15)
        .wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a of a variable name: stable across platforms and releases, unlike `std`'s hasher.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// One standard-normal sample (Box–Muller; one of the pair is discarded to keep this stateless).
fn standard_normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    // 1 - U lies in (0, 1], so the logarithm is finite.
    let u1 = 1.0 - rng.random::<f64>();
    let u2 = rng.random::<f64>();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// A tensor initialised as `init` prescribes, drawing from `rng`.
fn init_tensor(
    init: Init,
    shape: &Shape,
    dtype: DType,
    device: &Device,
    rng: &mut StdRng,
) -> candle_core::Result<Tensor> {
    match init {
        Init::Const(value) => Tensor::ones(shape, dtype, device)? * value,
        Init::Randn { mean, stdev } => randn(rng, mean, stdev, shape, dtype, device),
        Init::Uniform { lo, up } => uniform(rng, lo, up, shape, dtype, device),
        Init::Kaiming {
            dist,
            fan,
            non_linearity,
        } => {
            // Same scale as candle's own Kaiming init, only with a seeded generator.
            let fan = fan.for_shape(shape).max(1);
            let std = non_linearity.gain() / (fan as f64).sqrt();
            match dist {
                NormalOrUniform::Normal => randn(rng, 0.0, std, shape, dtype, device),
                NormalOrUniform::Uniform => {
                    let bound = 3f64.sqrt() * std;
                    uniform(rng, -bound, bound, shape, dtype, device)
                }
            }
        }
    }
}

/// A `VarMap` backend whose new variables come from seeded generators.
struct SeededVarMap {
    varmap: VarMap,
    seed: u64,
}

impl SimpleBackend for SeededVarMap {
    fn get(
        &self,
        shape: Shape,
        name: &str,
        init: Init,
        dtype: DType,
        device: &Device,
    ) -> candle_core::Result<Tensor> {
        let mut data = self
            .varmap
            .data()
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(var) = data.get(name) {
            if var.shape() != &shape {
                candle_core::bail!(
                    "shape mismatch on `{name}`: requested {shape:?}, existing {:?}",
                    var.shape()
                );
            }
            return Ok(var.as_tensor().clone());
        }
        let mut rng = StdRng::seed_from_u64(mix(self.seed, name_hash(name)));
        let var = Var::from_tensor(&init_tensor(init, &shape, dtype, device, &mut rng)?)?;
        let tensor = var.as_tensor().clone();
        data.insert(name.to_owned(), var);
        Ok(tensor)
    }

    fn get_unchecked(
        &self,
        name: &str,
        _dtype: DType,
        _device: &Device,
    ) -> candle_core::Result<Tensor> {
        candle_core::bail!(
            "`{name}`: a seeded VarMap needs a shape to create a variable; use `get`"
        )
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.varmap
            .data()
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_generators_differ_between_steps_and_repeat_per_step() {
        let a: u64 = step_rng(7, 3).random();
        let b: u64 = step_rng(7, 3).random();
        let c: u64 = step_rng(7, 4).random();
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn normal_samples_have_the_requested_moments() -> candle_core::Result<()> {
        let mut rng = StdRng::seed_from_u64(1);
        let t = randn(&mut rng, 2.0, 0.5, 20_000, DType::F64, &Device::Cpu)?;
        let mean = t.mean_all()?.to_scalar::<f64>()?;
        let std = t.var(0)?.sqrt()?.to_scalar::<f64>()?;
        assert!((mean - 2.0).abs() < 0.02, "mean {mean}");
        assert!((std - 0.5).abs() < 0.02, "std {std}");
        Ok(())
    }
}
