//! The learned blend: a small MLP that corrects, per pixel with history, the hand-written
//! rule's two choices in the resolve, how much of the clip to undo (`trust`, step 5) and how
//! much of this frame to take (`alpha`, step 6).
//!
//! ```text
//! x      = [the 8 BlendInputs features, rule trust, rule alpha]        10 inputs
//! h      = ReLU(W1 x + b1)                                             8 hidden
//! d      = W2 h + b2                                                   2 outputs
//! trust  = clamp(rule trust + d0, 0, 1)
//! alpha  = clamp(rule alpha + d1, 0, 1)
//! ```
//!
//! A correction of the rule rather than a replacement: the output layer starts near zero, so
//! an untrained network is the rule, and training only has to learn where the rule is wrong
//! (for example, clipping history that was right on a moving pixel). 106 parameters, 96
//! multiply-adds per pixel. Trained by `kansei upscale train-blend` on sequences the harness
//! rendered ([`crate::scene_bench::read_sequence`]).

use candle_core::{Module, Result, Tensor};
use candle_nn::{Init, Linear, VarBuilder};

use super::cpu::{BLEND_FEATURES, BlendInputs, BlendPolicy};

/// Inputs of the network: the features, the rule's trust and the rule's alpha.
pub const BLEND_INPUTS: usize = BLEND_FEATURES + 2;
/// Hidden units.
pub const BLEND_HIDDEN: usize = 8;

/// The network, built from a [`VarBuilder`] (`hidden.weight`, `hidden.bias`, `output.weight`,
/// `output.bias`).
#[derive(Debug, Clone)]
pub struct BlendNet {
    hidden: Linear,
    output: Linear,
}

impl BlendNet {
    /// Builds the network; a fresh output layer is initialised with tiny weights (standard
    /// deviation 1e-3), so the untrained network is the rule give or take 1e-3.
    pub fn new(vb: VarBuilder) -> Result<Self> {
        let hidden = candle_nn::linear(BLEND_INPUTS, BLEND_HIDDEN, vb.pp("hidden"))?;
        let out = vb.pp("output");
        let tiny = Init::Randn {
            mean: 0.0,
            stdev: 1e-3,
        };
        let weight = out.get_with_hints((2, BLEND_HIDDEN), "weight", tiny)?;
        let bias = out.get_with_hints(2, "bias", Init::Const(0.0))?;
        Ok(Self {
            hidden,
            output: Linear::new(weight, Some(bias)),
        })
    }

    /// The same network for the CPU resolve ([`BlendPolicy`]), in plain `f32`.
    pub fn to_cpu(&self) -> Result<BlendNetCpu> {
        let flat = |t: &Tensor| t.flatten_all()?.to_vec1::<f32>();
        let bias = |linear: &Linear| match linear.bias() {
            Some(b) => flat(b),
            None => Ok(Vec::new()),
        };
        BlendNetCpu::from_flat(
            &flat(self.hidden.weight())?,
            &bias(&self.hidden)?,
            &flat(self.output.weight())?,
            &bias(&self.output)?,
        )
        .map_err(candle_core::Error::Msg)
    }
}

impl Module for BlendNet {
    /// `[n, BLEND_INPUTS]` rows ([`blend_row`]) to `[n, 2]` corrections of trust and alpha.
    fn forward(&self, xs: &Tensor) -> Result<Tensor> {
        self.output.forward(&self.hidden.forward(xs)?.relu()?)
    }
}

/// The network's input row for one pixel.
pub fn blend_row(inputs: &BlendInputs) -> [f32; BLEND_INPUTS] {
    let mut row = [0.0; BLEND_INPUTS];
    row[..BLEND_FEATURES].copy_from_slice(&inputs.features);
    row[BLEND_FEATURES] = inputs.trust;
    row[BLEND_FEATURES + 1] = inputs.alpha;
    row
}

/// [`BlendNet`] in plain `f32`, as the shader evaluates it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BlendNetCpu {
    /// `W1`, one row per hidden unit.
    pub hidden_weight: [[f32; BLEND_INPUTS]; BLEND_HIDDEN],
    /// `b1`.
    pub hidden_bias: [f32; BLEND_HIDDEN],
    /// `W2`: the trust row, then the alpha row.
    pub output_weight: [[f32; BLEND_HIDDEN]; 2],
    /// `b2`.
    pub output_bias: [f32; 2],
}

impl BlendNetCpu {
    /// The network from its four tensors flattened row by row (`hidden.weight` `[8, 10]`,
    /// `hidden.bias` `[8]`, `output.weight` `[2, 8]`, `output.bias` `[2]`); fails if a length
    /// is wrong or a weight is not finite.
    pub fn from_flat(
        hidden_weight: &[f32],
        hidden_bias: &[f32],
        output_weight: &[f32],
        output_bias: &[f32],
    ) -> std::result::Result<Self, String> {
        let lengths = [
            (
                "hidden.weight",
                hidden_weight.len(),
                BLEND_HIDDEN * BLEND_INPUTS,
            ),
            ("hidden.bias", hidden_bias.len(), BLEND_HIDDEN),
            ("output.weight", output_weight.len(), 2 * BLEND_HIDDEN),
            ("output.bias", output_bias.len(), 2),
        ];
        for (name, got, expected) in lengths {
            if got != expected {
                return Err(format!(
                    "the blend's `{name}` has {got} values, expected {expected}"
                ));
            }
        }
        let all = [hidden_weight, hidden_bias, output_weight, output_bias];
        if all
            .iter()
            .any(|values| values.iter().any(|v| !v.is_finite()))
        {
            return Err("the blend network has a weight that is not finite".into());
        }
        let mut net = Self::default();
        for (row, chunk) in net
            .hidden_weight
            .iter_mut()
            .zip(hidden_weight.chunks(BLEND_INPUTS))
        {
            row.copy_from_slice(chunk);
        }
        net.hidden_bias.copy_from_slice(hidden_bias);
        for (row, chunk) in net
            .output_weight
            .iter_mut()
            .zip(output_weight.chunks(BLEND_HIDDEN))
        {
            row.copy_from_slice(chunk);
        }
        net.output_bias.copy_from_slice(output_bias);
        Ok(net)
    }

    /// The corrections `[d_trust, d_alpha]` for one input row.
    pub fn corrections(&self, row: &[f32; BLEND_INPUTS]) -> [f32; 2] {
        let mut hidden = [0.0_f32; BLEND_HIDDEN];
        for (h, (weights, bias)) in hidden
            .iter_mut()
            .zip(self.hidden_weight.iter().zip(self.hidden_bias))
        {
            let sum = weights.iter().zip(row).fold(bias, |s, (w, x)| s + w * x);
            *h = sum.max(0.0);
        }
        [0, 1].map(|k| {
            self.output_weight[k]
                .iter()
                .zip(&hidden)
                .fold(self.output_bias[k], |s, (w, h)| s + w * h)
        })
    }
}

impl BlendPolicy for BlendNetCpu {
    fn blend(&mut self, inputs: &BlendInputs) -> (f32, f32) {
        let [d_trust, d_alpha] = self.corrections(&blend_row(inputs));
        (inputs.trust + d_trust, inputs.alpha + d_alpha)
    }
}

// `with_blend_net` writes the network for these sizes.
const _: () = assert!(BLEND_HIDDEN == 8 && BLEND_INPUTS == 10);

/// The line that opens the replaceable block of `temporal_resolve.wgsl`.
const BLEND_BEGIN: &str = "// BEGIN BLEND_NET";
/// The line that closes it.
const BLEND_END: &str = "// END BLEND_NET";

/// `wgsl` (the resolve shader) with `net` written into it: the block between the
/// `// BEGIN BLEND_NET` and `// END BLEND_NET` lines, which as shipped turns the network off,
/// becomes the network with its weights as literals, so the compiler folds them into the
/// instructions (no buffer, no binding). Fails if the markers are missing or a weight is not
/// finite.
pub fn with_blend_net(wgsl: &str, net: &BlendNetCpu) -> std::result::Result<String, String> {
    let (Some(begin), Some(end)) = (wgsl.find(BLEND_BEGIN), wgsl.find(BLEND_END)) else {
        return Err("the resolve shader has no BLEND_NET block to write the network into".into());
    };
    let weights = net
        .hidden_weight
        .iter()
        .flatten()
        .chain(&net.hidden_bias)
        .chain(net.output_weight.iter().flatten())
        .chain(&net.output_bias);
    if weights.clone().any(|w| !w.is_finite()) {
        return Err("the blend network has a weight that is not finite".into());
    }
    let vec = |values: &[f32]| {
        let list: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
        format!("vec{}<f32>({})", values.len(), list.join(", "))
    };
    let mut code =
        format!("{BLEND_BEGIN} (written by with_blend_net)\nconst BLEND_NET: bool = true;\n");
    code.push_str(
        "fn blend_corrections(a: vec4<f32>, b: vec4<f32>, c: vec2<f32>) -> vec2<f32> {\n",
    );
    for (j, (w, bias)) in net.hidden_weight.iter().zip(net.hidden_bias).enumerate() {
        code.push_str(&format!(
            "    let h{j} = max(dot({}, a) + dot({}, b) + dot({}, c) + {bias:?}, 0.0);\n",
            vec(&w[0..4]),
            vec(&w[4..8]),
            vec(&w[8..10]),
        ));
    }
    code.push_str(
        "    let low = vec4<f32>(h0, h1, h2, h3);\n    let high = vec4<f32>(h4, h5, h6, h7);\n",
    );
    let output = |k: usize| {
        let w = &net.output_weight[k];
        format!(
            "dot({}, low) + dot({}, high) + {:?}",
            vec(&w[0..4]),
            vec(&w[4..8]),
            net.output_bias[k]
        )
    };
    code.push_str(&format!(
        "    return vec2<f32>(\n        {},\n        {}\n    );\n}}\n",
        output(0),
        output(1)
    ));
    Ok(format!("{}{code}{}", &wgsl[..begin], &wgsl[end..]))
}

/// The trained blend shipped with Kansei (`assets/models/kansei-temporal-blend.safetensors`,
/// trained by `kansei upscale train-blend`; its model card lies next to it), embedded in the
/// crate so the plugin needs no asset path.
const SHIPPED_BLEND: &[u8] = include_bytes!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../assets/models/kansei-temporal-blend.safetensors"
));

/// The shipped blend ([`SHIPPED_BLEND`]), read and checked: every tensor present with its
/// shape, every weight finite.
pub fn shipped_blend() -> std::result::Result<BlendNetCpu, String> {
    blend_from_safetensors(SHIPPED_BLEND)
}

/// A blend from the bytes of a safetensors file holding `hidden.weight` `[8, 10]`,
/// `hidden.bias` `[8]`, `output.weight` `[2, 8]` and `output.bias` `[2]`.
pub fn blend_from_safetensors(bytes: &[u8]) -> std::result::Result<BlendNetCpu, String> {
    let tensors = candle_core::safetensors::load_buffer(bytes, &candle_core::Device::Cpu)
        .map_err(|e| format!("the blend weights cannot be read: {e}"))?;
    let values = |name: &str, shape: &[usize]| -> std::result::Result<Vec<f32>, String> {
        let tensor = tensors
            .get(name)
            .ok_or_else(|| format!("the blend weights have no `{name}`"))?;
        if tensor.dims() != shape {
            return Err(format!(
                "the blend's `{name}` is {:?}, expected {shape:?}",
                tensor.dims()
            ));
        }
        tensor
            .flatten_all()
            .and_then(|t| t.to_dtype(candle_core::DType::F32))
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| format!("the blend's `{name}`: {e}"))
    };
    BlendNetCpu::from_flat(
        &values("hidden.weight", &[BLEND_HIDDEN, BLEND_INPUTS])?,
        &values("hidden.bias", &[BLEND_HIDDEN])?,
        &values("output.weight", &[2, BLEND_HIDDEN])?,
        &values("output.bias", &[2])?,
    )
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap
mod tests {
    use candle_core::{DType, Device, Tensor};
    use candle_nn::{VarBuilder, VarMap};

    use super::*;

    fn trained_like() -> (VarMap, BlendNet) {
        let varmap = VarMap::new();
        let vb = VarBuilder::from_varmap(&varmap, DType::F32, &Device::Cpu);
        (varmap.clone(), BlendNet::new(vb).unwrap())
    }

    fn rows(n: usize) -> Tensor {
        let values: Vec<f32> = (0..n * BLEND_INPUTS)
            .map(|i| ((i * 37 % 101) as f32 / 100.0).fract())
            .collect();
        Tensor::from_vec(values, (n, BLEND_INPUTS), &Device::Cpu).unwrap()
    }

    #[test]
    fn the_cpu_network_computes_what_candle_computes() {
        let (_, net) = trained_like();
        let xs = rows(16);
        let candle: Vec<Vec<f32>> = net.forward(&xs).unwrap().to_vec2().unwrap();
        let cpu = net.to_cpu().unwrap();
        for (row, expected) in xs.to_vec2::<f32>().unwrap().iter().zip(&candle) {
            let got = cpu.corrections(row.as_slice().try_into().unwrap());
            for k in 0..2 {
                assert!((got[k] - expected[k]).abs() < 1e-6, "{got:?} {expected:?}");
            }
        }
    }

    #[test]
    fn one_step_changes_every_variable() {
        let (varmap, net) = trained_like();
        let mut optimiser = candle_nn::AdamW::new_lr(varmap.all_vars(), 1e-2).unwrap();
        // The output layer starts tiny, not zero, so the hidden layer gets a gradient (Adam
        // scales it up) from the first step.
        let loss = || -> Result<Tensor> { (net.forward(&rows(32))? - 1.0)?.sqr()?.mean_all() };
        kansei_nn::check_step_changes_every_variable(&varmap, &mut optimiser, loss).unwrap();
    }

    #[test]
    fn writing_the_network_into_the_shader_checks_markers_and_weights() {
        let mut net = BlendNetCpu {
            output_bias: [0.25, -1e-7],
            ..BlendNetCpu::default()
        };
        let shader = "a\n// BEGIN BLEND_NET\nold\n// END BLEND_NET\nb";
        let written = with_blend_net(shader, &net).unwrap();
        assert!(written.starts_with("a\n// BEGIN BLEND_NET"));
        assert!(written.ends_with("// END BLEND_NET\nb"));
        assert!(!written.contains("old"));
        assert!(written.contains("const BLEND_NET: bool = true;"));
        assert!(written.contains("0.25") && written.contains("-1e-7"));
        assert!(with_blend_net("no markers", &net).is_err());
        net.hidden_bias[3] = f32::NAN;
        assert!(
            with_blend_net(shader, &net)
                .unwrap_err()
                .contains("not finite")
        );
    }

    #[test]
    fn the_shipped_blend_loads_and_matches_its_card() {
        let net = shipped_blend().unwrap();
        assert!(
            net.output_weight.iter().flatten().any(|w| w.abs() > 1e-2),
            "trained"
        );
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../assets/models/kansei-temporal-blend.safetensors"
        );
        let (card, _) = kansei_nn::check_model(path).unwrap();
        assert_eq!(card.parameters, 106);
        assert!(blend_from_safetensors(b"not a safetensors file").is_err());
    }
}
