//! The network's building blocks: an edge-clamped (replicate-padded) 2-D convolution with two
//! interchangeable implementations, `PReLU` and pixel shuffle.
//!
//! # Two convolution paths, one result
//!
//! candle 0.11's CPU `conv2d` is slow for the small channel counts used here, above all its
//! backward pass, so training runs each convolution as **one custom op on channels-last
//! tensors**: every `k x k` neighbourhood is unfolded into the channel axis ([`im2col`]'s
//! layout), one matrix product with the weights does the rest, and the backward pass recomputes
//! the columns and returns only the input, weight and bias gradients (two matmuls and a
//! scatter-add). `PReLU` is one op too. [`ConvImpl::Candle`] is the plain candle formulation
//! (replicate padding with `pad_with_same`, then `conv2d` without padding, `PReLU` from `relu`
//! and arithmetic), kept as the reference: tests check that both give the same outputs and
//! gradients.
//!
//! Measured on the 2-core development VM, one thread, a training step (forward + backward) of
//! the fast x2 network on a 16 x 46 x 46 batch takes 38 ms with the fused ops against 153 ms
//! with candle's `conv2d` (balanced: 162 ms against 568 ms); a 12 -> 12 3x3 layer alone runs
//! forward + backward at 15 GFLOP/s against 3.7 GFLOP/s. `kansei upscale train --bench` prints
//! these figures for the current machine.
//!
//! # Edges
//!
//! Every convolution reads its input with coordinates clamped into the image (replicate
//! padding), at every layer, not only the first. A fused GPU implementation gets the same result
//! by clamping the *global* coordinate of each tap before reading the previous layer's tile.
//!
//! # Weight layout
//!
//! Weights are stored in the standard convolution layout `[out, in, kh, kw]` (as
//! `candle_nn::Conv2d` and `PyTorch` store them), whichever path runs; the im2col path rearranges
//! them to a `[kh * kw * in, out]` matrix on the fly.

use candle_core::backend::BackendStorage;
use candle_core::{
    CpuStorage, CustomOp1, CustomOp2, CustomOp3, D, DType, Device, Layout, Result, Shape, Tensor,
    bail,
};
use candle_nn::{Init, VarBuilder};

/// Which convolution implementation a network runs with. Both give the same result to float
/// rounding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum ConvImpl {
    /// Channels-last (`N, H, W, C`) activations, each convolution one fused im2col + matmul op
    /// (and `PReLU` one op). About four times faster than [`ConvImpl::Candle`] for a training
    /// step on the CPU (see the [module docs](self)); the default.
    #[default]
    Im2col,
    /// Channels-first (`N, C, H, W`) activations, `pad_with_same` + candle's `conv2d`. The
    /// reference formulation.
    Candle,
}

/// A `k x k` convolution with bias, stride 1, replicate padding of `k / 2` (odd `k`), so the
/// output has the input's height and width.
#[derive(Debug, Clone)]
pub struct Conv {
    weight: Tensor,
    bias: Tensor,
    kernel: usize,
}

impl Conv {
    /// A convolution from `in_channels` to `out_channels` with a `kernel x kernel` window, its
    /// weight (`[out, in, k, k]`) and bias (`[out]`) named `weight` and `bias` under `vb`.
    /// `weight_init` is the weight initialisation; the bias starts at zero.
    ///
    /// # Errors
    ///
    /// If `kernel` is even or zero, or if `vb` cannot provide the tensors.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        weight_init: Init,
        vb: &VarBuilder<'_>,
    ) -> Result<Self> {
        if kernel.is_multiple_of(2) {
            bail!("convolution kernels must be odd, got {kernel}");
        }
        let weight = vb.get_with_hints(
            (out_channels, in_channels, kernel, kernel),
            "weight",
            weight_init,
        )?;
        let bias = vb.get_with_hints(out_channels, "bias", Init::Const(0.0))?;
        Ok(Self {
            weight,
            bias,
            kernel,
        })
    }

    /// The weight, `[out, in, k, k]`.
    pub fn weight(&self) -> &Tensor {
        &self.weight
    }

    /// The bias, `[out]`.
    pub fn bias(&self) -> &Tensor {
        &self.bias
    }

    /// The window size `k`.
    pub fn kernel(&self) -> usize {
        self.kernel
    }

    /// Input channels.
    pub fn in_channels(&self) -> usize {
        self.weight.dims()[1]
    }

    /// Output channels.
    pub fn out_channels(&self) -> usize {
        self.weight.dims()[0]
    }

    /// Applies the convolution to `xs` laid out as `conv_impl` expects: `(N, H, W, C)` for
    /// [`ConvImpl::Im2col`], `(N, C, H, W)` for [`ConvImpl::Candle`].
    ///
    /// # Errors
    ///
    /// If `xs` does not have the layer's input channels, or on a candle error.
    pub fn forward(&self, xs: &Tensor, conv_impl: ConvImpl) -> Result<Tensor> {
        match conv_impl {
            ConvImpl::Im2col => self.forward_nhwc(xs),
            ConvImpl::Candle => self.forward_nchw(xs),
        }
    }

    /// The fused im2col + matmul op on `(N, H, W, C)` (see [`FusedConv`]).
    fn forward_nhwc(&self, xs: &Tensor) -> Result<Tensor> {
        let c = xs.dim(3)?;
        if c != self.in_channels() {
            bail!(
                "convolution expects {} input channels, got {c}",
                self.in_channels()
            );
        }
        xs.contiguous()?.apply_op3(
            &self.weight.contiguous()?,
            &self.bias.contiguous()?,
            FusedConv { k: self.kernel },
        )
    }

    /// Replicate padding + candle `conv2d` on `(N, C, H, W)`.
    fn forward_nchw(&self, xs: &Tensor) -> Result<Tensor> {
        let r = self.kernel / 2;
        let padded = xs.pad_with_same(2, r, r)?.pad_with_same(3, r, r)?;
        let out = padded.conv2d(&self.weight, 0, 1, 1, 1)?;
        out.broadcast_add(&self.bias.reshape((1, self.out_channels(), 1, 1))?)
    }
}

/// A per-channel `PReLU`: `max(x, 0) + alpha * min(x, 0)`, with `alpha` named `alpha` under `vb`
/// (initialised to 0.25 as in He et al. 2015).
#[derive(Debug, Clone)]
pub struct PRelu {
    alpha: Tensor,
}

impl PRelu {
    /// A `PReLU` over `channels` channels.
    ///
    /// # Errors
    ///
    /// If `vb` cannot provide the tensor.
    pub fn new(channels: usize, vb: &VarBuilder<'_>) -> Result<Self> {
        let alpha = vb.get_with_hints(channels, "alpha", Init::Const(0.25))?;
        Ok(Self { alpha })
    }

    /// The slopes for negative inputs, `[channels]`.
    pub fn alpha(&self) -> &Tensor {
        &self.alpha
    }

    /// Applies the activation to `xs` laid out as `conv_impl` expects (channels last for
    /// [`ConvImpl::Im2col`], channels at dimension 1 for [`ConvImpl::Candle`]).
    ///
    /// The channels-last path is one custom op with a one-pass backward ([`FusedPRelu`]); the
    /// reference path is built from `relu`, subtraction and multiplication, whose candle backward
    /// passes are all recorded (candle-nn's own `PReLU` is equivalent but channels-first only).
    ///
    /// # Errors
    ///
    /// On a candle error (e.g. a channel count that does not match).
    pub fn forward(&self, xs: &Tensor, conv_impl: ConvImpl) -> Result<Tensor> {
        match conv_impl {
            ConvImpl::Im2col => xs
                .contiguous()?
                .apply_op2(&self.alpha.contiguous()?, FusedPRelu),
            ConvImpl::Candle => {
                let alpha = self.alpha.reshape((1, self.alpha.elem_count(), 1, 1))?;
                let positive = xs.relu()?;
                let negative = (xs - &positive)?;
                positive + negative.broadcast_mul(&alpha)?
            }
        }
    }
}

/// Depth-to-space for a single-channel output: `s²` channels at low resolution become one
/// channel at `s` times the resolution, channel `i * s + j` going to row offset `i` and column
/// offset `j` of each `s x s` block (`PyTorch`'s `PixelShuffle` order).
///
/// `xs` is `(N, H, W, s²)` for [`ConvImpl::Im2col`] or `(N, s², H, W)` for
/// [`ConvImpl::Candle`]; the result is `(N, s H, s W)` either way.
///
/// # Errors
///
/// If the channel count is not `s²`, or on a candle error.
pub fn pixel_shuffle(xs: &Tensor, scale: usize, conv_impl: ConvImpl) -> Result<Tensor> {
    let s = scale;
    match conv_impl {
        ConvImpl::Im2col => {
            let (n, h, w, c) = xs.dims4()?;
            if c != s * s {
                bail!("pixel shuffle by {s} needs {} channels, got {c}", s * s);
            }
            xs.reshape((n, h, w, s, s))?
                .permute((0, 1, 3, 2, 4))?
                .reshape((n, h * s, w * s))
        }
        ConvImpl::Candle => {
            let (n, c, h, w) = xs.dims4()?;
            if c != s * s {
                bail!("pixel shuffle by {s} needs {} channels, got {c}", s * s);
            }
            xs.reshape((n, s, s, h, w))?
                .permute((0, 3, 1, 4, 2))?
                .reshape((n, h * s, w * s))
        }
    }
}

/// Unfolds every `k x k` neighbourhood of a channels-last `(N, H, W, C)` f32 tensor into its
/// channel axis: the result is `(N, H, W, k * k * C)` with entry `(ky * k + kx) * C + c` of
/// position `(y, x)` holding input channel `c` at `(y + ky - k/2, x + kx - k/2)`, coordinates
/// clamped into the image (replicate padding). Differentiable: the backward pass adds each
/// column's gradient back onto the pixel it was read from.
///
/// # Errors
///
/// If `xs` is not a rank-4 f32 CPU tensor or `k` is even, or on a candle error.
pub fn im2col(xs: &Tensor, k: usize) -> Result<Tensor> {
    if k.is_multiple_of(2) {
        bail!("im2col needs an odd window, got {k}");
    }
    xs.contiguous()?.apply_op1(Im2col { k })
}

/// The forward op of [`im2col`].
struct Im2col {
    k: usize,
}

/// The backward op of [`im2col`]: `(N, H, W, k * k * C)` columns summed back onto
/// `(N, H, W, C)` pixels.
struct Col2im {
    k: usize,
}

/// The f32 data of a contiguous CPU tensor.
fn contiguous_f32<'a>(storage: &'a CpuStorage, layout: &Layout, op: &str) -> Result<&'a [f32]> {
    let CpuStorage::F32(data) = storage else {
        bail!("{op} supports f32 tensors only, got {:?}", storage.dtype());
    };
    let Some((start, end)) = layout.contiguous_offsets() else {
        bail!("{op} needs a contiguous input");
    };
    Ok(&data[start..end])
}

/// im2col on a channels-last `(n, h, w, c)` slice: `(n, h, w, k * k * c)` columns, tap-major,
/// channel-minor, coordinates clamped into the image.
fn unfold(src: &[f32], (n, h, w, c): (usize, usize, usize, usize), k: usize) -> Vec<f32> {
    let r = k / 2;
    let kc = k * k * c;
    let mut out = vec![0f32; n * h * w * kc];
    for b in 0..n {
        for y in 0..h {
            for x in 0..w {
                let dst = &mut out[((b * h + y) * w + x) * kc..][..kc];
                for ky in 0..k {
                    let sy = clamped(y, ky, r, h);
                    for kx in 0..k {
                        let sx = clamped(x, kx, r, w);
                        let s = ((b * h + sy) * w + sx) * c;
                        dst[(ky * k + kx) * c..][..c].copy_from_slice(&src[s..s + c]);
                    }
                }
            }
        }
    }
    out
}

/// The clamped source index of tap `t` (0-based within a `k` window centred on `i`).
fn clamped(i: usize, t: usize, radius: usize, len: usize) -> usize {
    (i + t).saturating_sub(radius).min(len - 1)
}

impl CustomOp1 for Im2col {
    fn name(&self) -> &'static str {
        "kansei-im2col-replicate"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(storage, layout, self.name())?;
        let (n, h, w, c) = layout.shape().dims4()?;
        let out = unfold(src, (n, h, w, c), self.k);
        Ok((
            CpuStorage::F32(out),
            Shape::from((n, h, w, self.k * self.k * c)),
        ))
    }

    fn bwd(&self, _arg: &Tensor, _res: &Tensor, grad_res: &Tensor) -> Result<Option<Tensor>> {
        let grad = grad_res.to_dtype(DType::F32)?.contiguous()?;
        Ok(Some(grad.apply_op1_no_bwd(&Col2im { k: self.k })?))
    }
}

impl CustomOp1 for Col2im {
    fn name(&self) -> &'static str {
        "kansei-col2im-replicate"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let src = contiguous_f32(storage, layout, self.name())?;
        let (n, h, w, kc) = layout.shape().dims4()?;
        let (k, r) = (self.k, self.k / 2);
        if kc % (k * k) != 0 {
            bail!("col2im: {kc} columns is not a multiple of {}", k * k);
        }
        let c = kc / (k * k);
        let mut out = vec![0f32; n * h * w * c];
        for b in 0..n {
            for y in 0..h {
                for x in 0..w {
                    let col = &src[((b * h + y) * w + x) * kc..][..kc];
                    for ky in 0..k {
                        let sy = clamped(y, ky, r, h);
                        for kx in 0..k {
                            let sx = clamped(x, kx, r, w);
                            let dst = &mut out[((b * h + sy) * w + sx) * c..][..c];
                            let part = &col[(ky * k + kx) * c..][..c];
                            for (d, g) in dst.iter_mut().zip(part) {
                                *d += g;
                            }
                        }
                    }
                }
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, h, w, c))))
    }
}

/// A whole replicate-padded convolution layer as one op on channels-last input: `(x, weight,
/// bias)` with `x` `(N, H, W, C)`, `weight` `[O, C, k, k]`, `bias` `[O]`, giving `(N, H, W, O)`.
///
/// The forward pass unfolds `x` ([`im2col`]'s layout) and does one matmul. The backward pass
/// recomputes the columns instead of keeping them, and hands candle only the three small
/// gradients (input, weight, bias). Built from [`im2col`] + `matmul` + `broadcast_add` as
/// separate candle ops, the backward pass would also materialise and accumulate a gradient for
/// the `k²` times larger column tensor, which made it about twice as slow.
struct FusedConv {
    k: usize,
}

impl FusedConv {
    /// `[O, C, k, k]` weights as the `[k * k * C, O]` matrix that multiplies the columns.
    fn weight_matrix(weight: &Tensor, k: usize) -> Result<Tensor> {
        let (o, c, _, _) = weight.dims4()?;
        weight.permute((2, 3, 1, 0))?.reshape((k * k * c, o))
    }
}

impl CustomOp3 for FusedConv {
    fn name(&self) -> &'static str {
        "kansei-conv2d-replicate-nhwc"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        ws: &CpuStorage,
        wl: &Layout,
        bs: &CpuStorage,
        bl: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(xs, xl, self.name())?;
        let weight = contiguous_f32(ws, wl, self.name())?;
        let bias = contiguous_f32(bs, bl, self.name())?;
        let (n, h, w, c) = xl.shape().dims4()?;
        let (o, wc, kh, kw) = wl.shape().dims4()?;
        let k = self.k;
        if (wc, kh, kw) != (c, k, k) || bias.len() != o {
            bail!(
                "{}: input {:?}, weight {:?}, bias {:?} do not fit",
                self.name(),
                xl.shape(),
                wl.shape(),
                bl.shape()
            );
        }
        let m = n * h * w;
        let cols = if k == 1 {
            x.to_vec()
        } else {
            unfold(x, (n, h, w, c), k)
        };
        let cpu = Device::Cpu;
        let cols = Tensor::from_vec(cols, (m, k * k * c), &cpu)?;
        let weight = Tensor::from_slice(weight, (o, c, k, k), &cpu)?;
        let mut out = cols
            .matmul(&Self::weight_matrix(&weight, k)?)?
            .flatten_all()?
            .to_vec1::<f32>()?;
        for row in out.chunks_exact_mut(o) {
            for (v, b) in row.iter_mut().zip(bias) {
                *v += b;
            }
        }
        Ok((CpuStorage::F32(out), Shape::from((n, h, w, o))))
    }

    fn bwd(
        &self,
        x: &Tensor,
        weight: &Tensor,
        _bias: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>, Option<Tensor>)> {
        let (x, weight, grad) = (x.detach(), weight.detach(), grad.detach());
        let (n, h, w, c) = x.dims4()?;
        let (o, _, _, _) = weight.dims4()?;
        let k = self.k;
        let kkc = k * k * c;
        let grad = grad.contiguous()?.reshape((n * h * w, o))?;
        let cols = if k == 1 {
            x.reshape((n * h * w, c))?
        } else {
            x.contiguous()?
                .apply_op1_no_bwd(&Im2col { k })?
                .reshape((n * h * w, kkc))?
        };
        // [k * k * C, O] -> [k, k, C, O] -> [O, C, k, k].
        let grad_weight = cols
            .t()?
            .matmul(&grad)?
            .reshape((k, k, c, o))?
            .permute((3, 2, 0, 1))?
            .contiguous()?;
        let grad_bias = grad.sum(0)?;
        let grad_cols = grad.matmul(&Self::weight_matrix(&weight, k)?.t()?)?;
        let grad_x = if k == 1 {
            grad_cols.reshape((n, h, w, c))?
        } else {
            grad_cols
                .reshape((n, h, w, kkc))?
                .apply_op1_no_bwd(&Col2im { k })?
        };
        Ok((Some(grad_x), Some(grad_weight), Some(grad_bias)))
    }
}

/// `PReLU` over the last dimension as one op: `(x, alpha)` with `x` `(..., C)` and `alpha`
/// `[C]`. Its backward pass computes both gradients in one pass over the data.
struct FusedPRelu;

impl CustomOp2 for FusedPRelu {
    fn name(&self) -> &'static str {
        "kansei-prelu-channels-last"
    }

    fn cpu_fwd(
        &self,
        xs: &CpuStorage,
        xl: &Layout,
        a_s: &CpuStorage,
        al: &Layout,
    ) -> Result<(CpuStorage, Shape)> {
        let x = contiguous_f32(xs, xl, self.name())?;
        let alpha = contiguous_f32(a_s, al, self.name())?;
        if xl.shape().dims().last() != Some(&alpha.len()) {
            bail!(
                "{}: {} slopes for input {:?}",
                self.name(),
                alpha.len(),
                xl.shape()
            );
        }
        let mut out = x.to_vec();
        for row in out.chunks_exact_mut(alpha.len()) {
            for (v, a) in row.iter_mut().zip(alpha) {
                if *v < 0.0 {
                    *v *= a;
                }
            }
        }
        Ok((CpuStorage::F32(out), xl.shape().clone()))
    }

    fn bwd(
        &self,
        x: &Tensor,
        alpha: &Tensor,
        _res: &Tensor,
        grad: &Tensor,
    ) -> Result<(Option<Tensor>, Option<Tensor>)> {
        let xs = x.flatten_all()?.to_vec1::<f32>()?;
        let gs = grad.flatten_all()?.to_vec1::<f32>()?;
        let a = alpha.to_vec1::<f32>()?;
        let c = a.len();
        let mut grad_x = gs.clone();
        let mut grad_a = vec![0f32; c];
        for ((gx, x), g) in grad_x
            .chunks_exact_mut(c)
            .zip(xs.chunks_exact(c))
            .zip(gs.chunks_exact(c))
        {
            for i in 0..c {
                // At 0 the slope is alpha, as in the reference formulation's backward pass.
                if x[i] <= 0.0 {
                    gx[i] = g[i] * a[i];
                    grad_a[i] += g[i] * x[i];
                }
            }
        }
        let grad_x = Tensor::from_vec(grad_x, x.shape(), x.device())?;
        let grad_a = Tensor::from_vec(grad_a, c, alpha.device())?;
        Ok((Some(grad_x), Some(grad_a)))
    }
}

/// Largest absolute difference between two tensors of the same shape (for tests and checks).
///
/// # Errors
///
/// If the shapes differ, or on a candle error.
pub fn max_abs_diff(a: &Tensor, b: &Tensor) -> Result<f32> {
    (a - b)?
        .abs()?
        .flatten_all()?
        .max(D::Minus1)?
        .to_dtype(DType::F32)?
        .to_scalar::<f32>()
}
