//! Train-time over-parameterisation of a [`LumaNet`]: every convolution is trained as a pair of
//! linear layers that collapse exactly into the one convolution the shipped network has.
//!
//! # Why
//!
//! A network this small is hard to optimise, not short of parameters to fit 291 images: its
//! loss plateaus. SESR (Bhardwaj et al. 2022) trains each convolution as a "linear block", a
//! `k x k` convolution to many channels followed by a `1 x 1` convolution back (plus an
//! identity where input and output channels agree), and collapses the block into one `k x k`
//! convolution for inference; `RepVGG` and `ECBSR` do the same with parallel branches. The function
//! class is unchanged (a product of linear maps is a linear map), only the optimisation
//! differs: a gradient step on the factors moves the collapsed weights along a preconditioned
//! direction, which reaches better minima of these plateaued losses.
//!
//! # How
//!
//! For a convolution from `in` to `out` channels with a `k x k` window and expansion width `p`:
//!
//! ```text
//! A: [p, in, k, k], a: [p]        (the k x k convolution to p channels)
//! B: [out, p],      c: [out]      (the 1 x 1 convolution back)
//! W = B · A  (+ I at the centre tap when in == out)      b = B · a + c
//! ```
//!
//! Both parts pad by clamping coordinates, and a `1 x 1` convolution commutes with clamping, so
//! the collapse is exact at the image edges too. The collapse runs on the *weights* every step
//! (a few hundred thousand multiply-adds, nothing per pixel), so a training step costs what a
//! step of the plain network costs, and what is saved, shipped and run on the GPU is the
//! plain network of [`ExpandedLumaNet::collapse`].

use std::collections::HashMap;

use candle_core::{DType, Device, Result, Tensor, bail};
use candle_nn::{Init, VarBuilder};

use super::{Architecture, LumaNet};

/// The expansion width SESR uses, and the default of `kansei upscale train --expand`.
pub const DEFAULT_EXPANSION: usize = 256;

/// One convolution trained as a `k x k` convolution to `width` channels and a `1 x 1` back.
#[derive(Debug, Clone)]
struct ExpandedConv {
    expand_weight: Tensor,
    expand_bias: Tensor,
    project_weight: Tensor,
    project_bias: Tensor,
    in_channels: usize,
    out_channels: usize,
    kernel: usize,
    identity: bool,
}

impl ExpandedConv {
    /// The factors under `vb` (`expand.{weight,bias}`, `project.{weight,bias}`), initialised so
    /// that the collapsed weights have the standard deviation `collapsed_std` (the collapsed
    /// bias starts at zero). `identity` adds the identity at the centre tap (`in == out` only).
    fn new(
        (in_channels, out_channels, kernel): (usize, usize, usize),
        width: usize,
        identity: bool,
        collapsed_std: f64,
        vb: &VarBuilder<'_>,
    ) -> Result<Self> {
        if identity && in_channels != out_channels {
            bail!(
                "an identity needs as many input as output channels ({in_channels} -> {out_channels})"
            );
        }
        let fan_in = (in_channels * kernel * kernel) as f64;
        let expand_std = (2.0 / fan_in).sqrt();
        // std(W) = sqrt(p) · std(B) · std(A) for independent zero-mean factors.
        let project_std = collapsed_std / ((width as f64).sqrt() * expand_std);
        let expand_weight = vb.get_with_hints(
            (width, in_channels, kernel, kernel),
            "expand.weight",
            Init::Randn {
                mean: 0.0,
                stdev: expand_std,
            },
        )?;
        let expand_bias = vb.get_with_hints(width, "expand.bias", Init::Const(0.0))?;
        let project_weight = vb.get_with_hints(
            (out_channels, width),
            "project.weight",
            Init::Randn {
                mean: 0.0,
                stdev: project_std,
            },
        )?;
        let project_bias = vb.get_with_hints(out_channels, "project.bias", Init::Const(0.0))?;
        Ok(Self {
            expand_weight,
            expand_bias,
            project_weight,
            project_bias,
            in_channels,
            out_channels,
            kernel,
            identity,
        })
    }

    /// The collapsed `(weight [out, in, k, k], bias [out])`, differentiable in the factors.
    fn collapse(&self) -> Result<(Tensor, Tensor)> {
        let (i, o, k) = (self.in_channels, self.out_channels, self.kernel);
        let width = self.expand_bias.dim(0)?;
        let a = self.expand_weight.reshape((width, i * k * k))?;
        let mut weight = self.project_weight.matmul(&a)?.reshape((o, i, k, k))?;
        if self.identity {
            weight = (weight + centre_identity(o, k, self.expand_weight.device())?)?;
        }
        let bias = (self
            .project_weight
            .matmul(&self.expand_bias.unsqueeze(1)?)?
            .squeeze(1)?
            + &self.project_bias)?;
        Ok((weight, bias))
    }
}

/// `[c, c, k, k]` with a one at the centre tap of each channel's own filter.
fn centre_identity(c: usize, k: usize, device: &Device) -> Result<Tensor> {
    let mut values = vec![0f32; c * c * k * k];
    for ch in 0..c {
        values[((ch * c + ch) * k + k / 2) * k + k / 2] = 1.0;
    }
    Tensor::from_vec(values, (c, c, k, k), device)
}

/// A [`LumaNet`] whose convolutions are trained over-parameterised (see the
/// [module docs](self)); [`ExpandedLumaNet::collapse`] gives the network itself.
#[derive(Debug, Clone)]
pub struct ExpandedLumaNet {
    arch: Architecture,
    width: usize,
    /// `(name, layer)` for the head, each body layer and the tail, in order.
    convs: Vec<(String, ExpandedConv)>,
    /// `(name, alpha)` of every `PReLU`.
    alphas: Vec<(String, Tensor)>,
}

impl ExpandedLumaNet {
    /// The over-parameterised form of `arch` with expansion width `width`, its tensors from
    /// `vb`: `head.expand.*`, `head.project.*`, `head.alpha`, the same under `body.{i}`, and
    /// `tail.expand.*`, `tail.project.*`. Body layers (C -> C) include the identity.
    ///
    /// # Errors
    ///
    /// If `width` is zero, or `vb` cannot provide a tensor.
    pub fn new(arch: Architecture, width: usize, vb: &VarBuilder<'_>) -> Result<Self> {
        if width == 0 {
            bail!("the expansion width must be at least 1");
        }
        let c = arch.channels;
        let kaiming = |fan_in: usize| (2.0 / fan_in as f64).sqrt();
        let mut convs = Vec::new();
        let mut alphas = Vec::new();
        let k = arch.head_kernel;
        let shape = (1, c, k);
        convs.push((
            "head".to_owned(),
            ExpandedConv::new(shape, width, false, kaiming(k * k), &vb.pp("head"))?,
        ));
        alphas.push(("head.alpha".to_owned(), prelu_alpha(c, &vb.pp("head"))?));
        for i in 0..arch.body_layers {
            let name = format!("body.{i}");
            let vb = vb.pp(&name);
            convs.push((
                name.clone(),
                ExpandedConv::new((c, c, 3), width, true, kaiming(9 * c), &vb)?,
            ));
            alphas.push((format!("{name}.alpha"), prelu_alpha(c, &vb)?));
        }
        let s = arch.factor();
        let shape = (c, s * s, arch.tail_kernel);
        // Tiny, as the plain network's tail: the untrained network is (almost) bicubic.
        convs.push((
            "tail".to_owned(),
            ExpandedConv::new(shape, width, false, 1e-3, &vb.pp("tail"))?,
        ));
        Ok(Self {
            arch,
            width,
            convs,
            alphas,
        })
    }

    /// The architecture of the collapsed network.
    pub fn architecture(&self) -> &Architecture {
        &self.arch
    }

    /// The expansion width.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The plain network these factors stand for, differentiable in them: train through its
    /// forward pass, save its [`LumaNet::tensors`].
    ///
    /// # Errors
    ///
    /// On a candle error.
    pub fn collapse(&self) -> Result<LumaNet> {
        let mut tensors = HashMap::new();
        let device = self.alphas[0].1.device().clone();
        for (name, conv) in &self.convs {
            let (weight, bias) = conv.collapse()?;
            tensors.insert(format!("{name}.weight"), weight);
            tensors.insert(format!("{name}.bias"), bias);
        }
        for (name, alpha) in &self.alphas {
            tensors.insert(name.clone(), alpha.clone());
        }
        LumaNet::new(
            self.arch,
            &VarBuilder::from_tensors(tensors, DType::F32, &device),
        )
    }
}

/// A `PReLU`'s `alpha` under `vb`, initialised as [`super::PRelu::new`] does.
fn prelu_alpha(channels: usize, vb: &VarBuilder<'_>) -> Result<Tensor> {
    Ok(super::PRelu::new(channels, vb)?.alpha().clone())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use candle_core::Var;
    use candle_nn::{Optimizer, VarMap};

    use super::*;
    use crate::eval::Scale;
    use crate::net::{Conv, ConvImpl, Profile, max_abs_diff};

    fn expanded(width: usize, varmap: &VarMap) -> ExpandedLumaNet {
        let arch = Architecture::new(Profile::Fast, Scale::new(2).unwrap());
        let vb = kansei_nn::seeded_var_builder(varmap, 3, DType::F32, &Device::Cpu);
        ExpandedLumaNet::new(arch, width, &vb).unwrap()
    }

    /// The collapsed convolution equals running the two factors one after the other (plus the
    /// input, for the identity), edges included.
    #[test]
    fn collapse_equals_the_two_convolutions_in_sequence() {
        let varmap = VarMap::new();
        let vb = kansei_nn::seeded_var_builder(&varmap, 5, DType::F32, &Device::Cpu);
        let layer = ExpandedConv::new((4, 4, 3), 12, true, 0.3, &vb).unwrap();
        // Non-zero biases, so their collapse is checked too.
        let shifted = (layer.expand_bias.ones_like().unwrap() * 0.1).unwrap();
        let layer = ExpandedConv {
            expand_bias: shifted,
            project_bias: (layer.project_bias.ones_like().unwrap() * -0.2).unwrap(),
            ..layer
        };
        let mut rng = kansei_nn::seeded_rng(9, &Device::Cpu).unwrap();
        let x =
            kansei_nn::randn(&mut rng, 0.0, 1.0, (2, 7, 5, 4), DType::F32, &Device::Cpu).unwrap();

        let tensors = |w: &Tensor, b: &Tensor| {
            HashMap::from([
                ("weight".to_owned(), w.clone()),
                ("bias".to_owned(), b.clone()),
            ])
        };
        let conv = |w: &Tensor, b: &Tensor, k| {
            let vb = VarBuilder::from_tensors(tensors(w, b), DType::F32, &Device::Cpu);
            Conv::new(
                w.dim(1).unwrap(),
                w.dim(0).unwrap(),
                k,
                Init::Const(0.0),
                &vb,
            )
            .unwrap()
        };
        let expand = conv(&layer.expand_weight, &layer.expand_bias, 3);
        let project_weight = layer.project_weight.reshape((4, 12, 1, 1)).unwrap();
        let project = conv(&project_weight, &layer.project_bias, 1);
        let in_sequence = (project
            .forward(
                &expand.forward(&x, ConvImpl::Im2col).unwrap(),
                ConvImpl::Im2col,
            )
            .unwrap()
            + &x)
            .unwrap();

        let (w, b) = layer.collapse().unwrap();
        let collapsed = conv(&w, &b, 3).forward(&x, ConvImpl::Im2col).unwrap();
        assert!(max_abs_diff(&collapsed, &in_sequence).unwrap() < 1e-4);
    }

    /// The factors are initialised so that the collapsed weights have the plain network's
    /// scale: Kaiming for the head and body (around the identity), tiny for the tail.
    #[test]
    fn collapsed_weights_start_at_the_planned_scale() {
        let varmap = VarMap::new();
        let net = expanded(64, &varmap);
        let std = |t: &Tensor| {
            let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let mean = v.iter().sum::<f32>() / v.len() as f32;
            (v.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / v.len() as f32).sqrt()
        };
        for (name, conv) in &net.convs {
            let (mut weight, _) = conv.collapse().unwrap();
            if conv.identity {
                weight = (weight - centre_identity(conv.out_channels, 3, &Device::Cpu).unwrap())
                    .unwrap();
            }
            let fan_in = (conv.in_channels * conv.kernel * conv.kernel) as f32;
            let planned = if name == "tail" {
                1e-3
            } else {
                (2.0 / fan_in).sqrt()
            };
            let ratio = std(&weight) / planned;
            assert!(
                (0.75..1.33).contains(&ratio),
                "{name}: std {ratio} x planned"
            );
        }
    }

    /// Every factor gets a gradient through the collapse: one optimiser step changes them all
    /// (candle silently drops gradients through some ops; this would catch it).
    #[test]
    fn one_step_changes_every_factor() {
        let varmap = VarMap::new();
        let net = expanded(16, &varmap);
        let before: Vec<(String, Tensor)> = varmap
            .data()
            .lock()
            .unwrap()
            .iter()
            .map(|(n, v)| (n.clone(), v.as_tensor().copy().unwrap()))
            .collect();
        assert_eq!(
            before.len(),
            4 * 4 + 3,
            "factors of head, 2 body layers, tail + 3 alphas"
        );
        let vars: Vec<Var> = varmap.all_vars();
        let mut opt = candle_nn::AdamW::new_lr(vars, 1e-3).unwrap();
        let mut rng = kansei_nn::seeded_rng(6, &Device::Cpu).unwrap();
        let lr =
            kansei_nn::uniform(&mut rng, 0.1, 0.9, (2, 12, 12), DType::F32, &Device::Cpu).unwrap();
        let target =
            kansei_nn::randn(&mut rng, 0.0, 0.05, (2, 24, 24), DType::F32, &Device::Cpu).unwrap();
        let diff = (net.collapse().unwrap().residual(&lr).unwrap() - target).unwrap();
        opt.backward_step(&diff.sqr().unwrap().mean_all().unwrap())
            .unwrap();
        let data = varmap.data().lock().unwrap();
        for (name, old) in before {
            let new = data[&name].as_tensor();
            let change = max_abs_diff(new, &old).unwrap();
            assert!(change > 0.0, "{name} did not change");
        }
    }
}
