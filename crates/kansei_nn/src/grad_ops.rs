//! Differentiable replacements for candle 0.11.1 ops that silently drop gradients.
//!
//! candle-nn 0.11.1 implements several fast kernels with `apply_op*_no_bwd`, which returns a tensor
//! with no backward op at all. backprop then treats it as a constant: no error, no warning, just
//! no gradient for anything upstream, *including the op's own weights*. Affected (read from the
//! 0.11.1 sources and confirmed by this crate's tests):
//!
//! | candle op | replacement |
//! |---|---|
//! | `candle_nn::ops::softmax_last_dim` | [`softmax_last_dim_with_grad`] (or `ops::softmax(xs, D::Minus1)`) |
//! | `candle_nn::ops::layer_norm`, and `candle_nn::LayerNorm::forward` on contiguous input with bias and mean removal (the default config) | [`layer_norm_with_grad`], [`layer_norm_module_with_grad`] |
//! | `candle_nn::ops::rms_norm`, and `candle_nn::RmsNorm::forward` on contiguous input | [`rms_norm_with_grad`], or `RmsNorm::forward_diff` |
//! | `candle_nn::rotary_emb::{rope, rope_i, rope_thd}` | `rope_slow` / `rope_i_slow` in candle-nn |
//! | `candle_nn::ops::sdpa` (Metal only) | plain matmul + [`softmax_last_dim_with_grad`] |
//!
//! A separate, order-dependent bug: the backward of `upsample_nearest2d` *assigns* its gradient
//! to its input instead of adding to it, so when the upsampled tensor also feeds another branch
//! (a skip connection, typical in upscalers) that branch's gradient can be overwritten.
//! [`upsample_nearest2d_with_grad`] builds the same result from broadcasts, whose backward sums.
//!
//! [`crate::check_gradient_flow`] catches the first kind of bug in any model; the replacements
//! here are what trainers should call instead.

use candle_core::{D, Result, Tensor};

/// Softmax over the last dimension, built from differentiable ops (max-shifted exp / sum).
///
/// # Errors
///
/// On a candle error (e.g. a rank-0 input).
pub fn softmax_last_dim_with_grad(xs: &Tensor) -> Result<Tensor> {
    candle_nn::ops::softmax(xs, D::Minus1)
}

/// Layer normalisation over the last dimension: `(x - mean) / sqrt(var + eps) * weight + bias`,
/// computed in f32 for half-precision inputs like candle's kernel.
///
/// # Errors
///
/// If `weight` (or `bias`) does not match the last dimension of `xs`, or on a candle error.
pub fn layer_norm_with_grad(
    xs: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    eps: f64,
) -> Result<Tensor> {
    normalize(xs, weight, bias, eps, true)
}

/// RMS normalisation over the last dimension: `x / sqrt(mean(x²) + eps) * weight`.
///
/// # Errors
///
/// If `weight` does not match the last dimension of `xs`, or on a candle error.
pub fn rms_norm_with_grad(xs: &Tensor, weight: &Tensor, eps: f64) -> Result<Tensor> {
    normalize(xs, weight, None, eps, false)
}

/// The forward pass of a `candle_nn::LayerNorm` (any config) without the gradient-dropping fast
/// path. Use it in a model's `forward` instead of `layer_norm.forward(xs)`.
///
/// # Errors
///
/// As [`layer_norm_with_grad`].
pub fn layer_norm_module_with_grad(norm: &candle_nn::LayerNorm, xs: &Tensor) -> Result<Tensor> {
    normalize(
        xs,
        norm.weight(),
        norm.bias(),
        norm.eps(),
        norm.remove_mean(),
    )
}

/// Nearest-neighbour 2x, 3x, ... upsampling of an `(n, c, h, w)` tensor whose backward adds
/// (rather than assigns) its gradient, so it is safe on tensors that feed other branches too.
///
/// # Errors
///
/// If `xs` is not rank 4 or `scale` is 0, or on a candle error.
pub fn upsample_nearest2d_with_grad(xs: &Tensor, scale: usize) -> Result<Tensor> {
    if scale == 0 {
        candle_core::bail!("upsampling scale must be at least 1");
    }
    let (n, c, h, w) = xs.dims4()?;
    xs.reshape((n, c, h, 1, w, 1))?
        .broadcast_as((n, c, h, scale, w, scale))?
        .reshape((n, c, h * scale, w * scale))
}

/// Shared body of the layer and RMS norms.
fn normalize(
    xs: &Tensor,
    weight: &Tensor,
    bias: Option<&Tensor>,
    eps: f64,
    remove_mean: bool,
) -> Result<Tensor> {
    let hidden = xs.dim(D::Minus1)?;
    if weight.dims1()? != hidden
        || bias
            .map(Tensor::dims1)
            .transpose()?
            .is_some_and(|b| b != hidden)
    {
        candle_core::bail!(
            "normalisation over {hidden} features got weight {:?} and bias {:?}",
            weight.dims(),
            bias.map(Tensor::dims)
        );
    }
    let dtype = xs.dtype();
    // Half-precision sums of squares overflow and lose precision; normalise in f32.
    let xs = match dtype {
        candle_core::DType::F16 | candle_core::DType::BF16 => {
            xs.to_dtype(candle_core::DType::F32)?
        }
        _ => xs.clone(),
    };
    let xs = if remove_mean {
        xs.broadcast_sub(&xs.mean_keepdim(D::Minus1)?)?
    } else {
        xs
    };
    let mean_square = xs.sqr()?.mean_keepdim(D::Minus1)?;
    let normed = xs.broadcast_div(&(mean_square + eps)?.sqrt()?)?;
    let scaled = normed.to_dtype(dtype)?.broadcast_mul(weight)?;
    match bias {
        Some(bias) => scaled.broadcast_add(bias),
        None => Ok(scaled),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
        (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
    }

    #[test]
    fn replacements_match_candles_fast_kernels() -> Result<()> {
        let dev = Device::Cpu;
        let xs = Tensor::arange(0f32, 24.0, &dev)?
            .reshape((2, 3, 4))?
            .sin()?;
        let w = Tensor::new(&[1.0f32, 0.5, -2.0, 3.0], &dev)?;
        let b = Tensor::new(&[0.1f32, 0.2, 0.3, 0.4], &dev)?;
        let fast = candle_nn::ops::softmax_last_dim(&xs)?;
        assert!(max_abs_diff(&fast, &softmax_last_dim_with_grad(&xs)?)? < 1e-6);
        let fast = candle_nn::ops::layer_norm(&xs, &w, &b, 1e-5)?;
        assert!(max_abs_diff(&fast, &layer_norm_with_grad(&xs, &w, Some(&b), 1e-5)?)? < 1e-5);
        let fast = candle_nn::ops::rms_norm(&xs, &w, 1e-5)?;
        assert!(max_abs_diff(&fast, &rms_norm_with_grad(&xs, &w, 1e-5)?)? < 1e-5);
        let img = xs.reshape((1, 2, 3, 4))?;
        let fast = img.upsample_nearest2d(6, 8)?;
        assert!(max_abs_diff(&fast, &upsample_nearest2d_with_grad(&img, 2)?)? == 0.0);
        assert!(layer_norm_with_grad(&xs, &b.narrow(0, 0, 3)?, None, 1e-5).is_err());
        Ok(())
    }
}
