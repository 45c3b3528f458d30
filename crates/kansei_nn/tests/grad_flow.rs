//! The gradient-flow check against candle 0.11.1's gradient-dropping fast paths, and the
//! replacements in `kansei_nn::grad_ops`.

mod common;

use candle_core::{DType, Device, Module, Tensor, Var};
use candle_nn::{LayerNormConfig, Linear, VarBuilder, VarMap};
use common::TestResult;
use kansei_nn::grad_ops::{
    layer_norm_module_with_grad, rms_norm_with_grad, softmax_last_dim_with_grad,
    upsample_nearest2d_with_grad,
};
use kansei_nn::{
    StuckReason, StuckVariable, TrainError, check_gradient_flow, check_step_changes_every_variable,
    seeded_var_builder,
};

/// `first` → (op under test) → `second` → MSE against a fixed target.
struct Sandwich {
    first: Linear,
    second: Linear,
    xs: Tensor,
    target: Tensor,
}

impl Sandwich {
    fn new(varmap: &VarMap) -> candle_core::Result<(Self, VarBuilder<'static>)> {
        let vb = seeded_var_builder(varmap, 1, DType::F32, &Device::Cpu);
        let sandwich = Self {
            first: candle_nn::linear(3, 4, vb.pp("first"))?,
            second: candle_nn::linear(4, 2, vb.pp("second"))?,
            xs: Tensor::new(&[[0.3f32, -1.2, 0.8], [1.5, 0.1, -0.4]], &Device::Cpu)?,
            target: Tensor::new(&[[0.5f32, -0.5], [1.0, 0.0]], &Device::Cpu)?,
        };
        Ok((sandwich, vb))
    }

    fn loss(
        &self,
        middle: impl Fn(&Tensor) -> candle_core::Result<Tensor>,
    ) -> candle_core::Result<Tensor> {
        let hidden = middle(&self.first.forward(&self.xs)?)?;
        candle_nn::loss::mse(&self.second.forward(&hidden)?, &self.target)
    }
}

fn stuck_names(result: Result<(), TrainError>) -> Vec<(String, StuckReason)> {
    match result {
        Ok(()) => Vec::new(),
        Err(TrainError::GradientFlow { stuck }) => stuck
            .into_iter()
            .map(|StuckVariable { name, reason }| (name, reason))
            .collect(),
        Err(other) => panic!("unexpected error: {other}"),
    }
}

fn no_grad(names: &[&str]) -> Vec<(String, StuckReason)> {
    names
        .iter()
        .map(|n| ((*n).to_owned(), StuckReason::NoGradient))
        .collect()
}

/// `candle_nn::ops::softmax_last_dim` records no backward in 0.11.1: the layer before it is
/// reported, the layer after it is fine.
#[test]
fn softmax_last_dim_cuts_the_graph() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    let result = check_gradient_flow(&varmap, || model.loss(candle_nn::ops::softmax_last_dim));
    let message = result
        .as_ref()
        .map_err(ToString::to_string)
        .expect_err("must be reported");
    assert!(
        message.contains("`first.weight` (no gradient)"),
        "{message}"
    );
    assert_eq!(
        stuck_names(result),
        no_grad(&["first.bias", "first.weight"])
    );
    Ok(())
}

#[test]
fn plain_op_softmax_passes() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    check_gradient_flow(&varmap, || model.loss(softmax_last_dim_with_grad))?;
    check_gradient_flow(&varmap, || model.loss(|xs| candle_nn::ops::softmax(xs, 1)))?;
    // Manual exp / sum, as a trainer might write it.
    check_gradient_flow(&varmap, || {
        model.loss(|xs| {
            let e = xs.exp()?;
            e.broadcast_div(&e.sum_keepdim(1)?)
        })
    })?;
    // candle's sigmoid is a custom op too, but it does implement backward.
    check_gradient_flow(&varmap, || model.loss(candle_nn::ops::sigmoid))?;
    Ok(())
}

/// `candle_nn::LayerNorm` with the default config takes the `ops::layer_norm` fast path: neither
/// the layer before it nor its own gain and bias learn.
#[test]
fn layer_norm_module_cuts_the_graph_and_the_replacement_does_not() -> TestResult {
    let varmap = VarMap::new();
    let (model, vb) = Sandwich::new(&varmap)?;
    let norm = candle_nn::layer_norm(4, LayerNormConfig::default(), vb.pp("norm"))?;
    let result = check_gradient_flow(&varmap, || model.loss(|xs| norm.forward(xs)));
    assert_eq!(
        stuck_names(result),
        no_grad(&["first.bias", "first.weight", "norm.bias", "norm.weight"])
    );
    check_gradient_flow(&varmap, || {
        model.loss(|xs| layer_norm_module_with_grad(&norm, xs))
    })?;
    Ok(())
}

#[test]
fn rms_norm_cuts_the_graph_and_the_replacement_does_not() -> TestResult {
    let varmap = VarMap::new();
    let (model, vb) = Sandwich::new(&varmap)?;
    let norm = candle_nn::rms_norm(4, 1e-5, vb.pp("norm"))?;
    let result = check_gradient_flow(&varmap, || model.loss(|xs| norm.forward(xs)));
    assert_eq!(
        stuck_names(result),
        no_grad(&["first.bias", "first.weight", "norm.weight"])
    );
    check_gradient_flow(&varmap, || {
        model.loss(|xs| rms_norm_with_grad(xs, norm.weight(), 1e-5))
    })?;
    check_gradient_flow(&varmap, || model.loss(|xs| norm.forward_diff(xs)))?;
    Ok(())
}

#[test]
fn zero_and_unused_variables_are_reported() -> TestResult {
    let varmap = VarMap::new();
    let (model, vb) = Sandwich::new(&varmap)?;
    let _unused = vb.get_with_hints(3, "unused", candle_nn::Init::Const(1.0))?;
    // A dead ReLU keeps the first layer in the graph with all-zero gradients, and the second
    // layer's weight sees only zero inputs. (`xs * 0.0` would instead drop the first layer from
    // the graph: candle treats an affine with factor 0 as a constant.)
    let result = check_gradient_flow(&varmap, || model.loss(|xs| (xs - 1000.0)?.relu()));
    assert_eq!(
        stuck_names(result),
        vec![
            ("first.bias".to_owned(), StuckReason::ZeroGradient),
            ("first.weight".to_owned(), StuckReason::ZeroGradient),
            ("second.weight".to_owned(), StuckReason::ZeroGradient),
            ("unused".to_owned(), StuckReason::NoGradient),
        ]
    );
    Ok(())
}

/// The check leaves the weights as they were.
#[test]
fn the_check_does_not_modify_weights() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    let before = model.first.weight().flatten_all()?.to_vec1::<f32>()?;
    check_gradient_flow(&varmap, || model.loss(softmax_last_dim_with_grad))?;
    assert_eq!(
        model.first.weight().flatten_all()?.to_vec1::<f32>()?,
        before
    );
    Ok(())
}

/// candle 0.11.1's `upsample_nearest2d` backward assigns its gradient instead of adding it, so a
/// tensor that is both upsampled and used elsewhere (a skip connection) gets a wrong gradient.
/// The broadcast-based replacement gets it right.
#[test]
fn upsample_nearest2d_backward_overwrites_other_gradients() -> TestResult {
    let x = Var::new(&[[[[1f32, 2.0], [3.0, 4.0]]]], &Device::Cpu)?;
    // loss = sum(upsample(x)) + 10 * sum(x): d/dx = 4 (each pixel copied 4 times) + 10.
    let loss_with =
        |up: &Tensor| -> candle_core::Result<Tensor> { up.sum_all()? + (x.sum_all()? * 10.0)? };
    let grad = |loss: Tensor| -> candle_core::Result<Vec<f32>> {
        let grads = loss.backward()?;
        grads
            .get(x.as_tensor())
            .expect("x is in the graph")
            .flatten_all()?
            .to_vec1::<f32>()
    };
    let ours = grad(loss_with(&upsample_nearest2d_with_grad(&x, 2)?)?)?;
    assert_eq!(ours, vec![14.0; 4]);
    let candles = grad(loss_with(&x.upsample_nearest2d(4, 4)?)?)?;
    assert_ne!(
        candles,
        vec![14.0; 4],
        "candle's upsample_nearest2d backward is fixed; update the grad_ops docs"
    );
    Ok(())
}

#[test]
fn one_adamw_step_leaves_variables_before_softmax_last_dim_unchanged() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    let mut optimizer = candle_nn::AdamW::new_lr(varmap.all_vars(), 0.01)?;
    let result = check_step_changes_every_variable(&varmap, &mut optimizer, || {
        model.loss(candle_nn::ops::softmax_last_dim)
    });
    let stuck = stuck_names(result);
    assert_eq!(
        stuck,
        vec![
            ("first.bias".to_owned(), StuckReason::UnchangedAfterStep),
            ("first.weight".to_owned(), StuckReason::UnchangedAfterStep),
        ],
        "the layer before the gradient-dropping op must be caught, the one after must move"
    );
    Ok(())
}

#[test]
fn one_adamw_step_changes_every_variable_with_the_replacement_op() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    let mut optimizer = candle_nn::AdamW::new_lr(varmap.all_vars(), 0.01)?;
    check_step_changes_every_variable(&varmap, &mut optimizer, || {
        model.loss(softmax_last_dim_with_grad)
    })?;
    Ok(())
}

#[test]
fn a_variable_left_out_of_the_optimizer_is_caught_by_the_step_check() -> TestResult {
    let varmap = VarMap::new();
    let (model, _) = Sandwich::new(&varmap)?;
    // Only the second layer is handed to the optimizer: its gradients exist, but the first
    // layer never moves. The gradient check cannot see this; the step check must.
    let second: Vec<Var> = {
        let data = varmap.data().lock().expect("varmap lock");
        ["second.weight", "second.bias"]
            .iter()
            .map(|n| data.get(*n).expect("variable exists").clone())
            .collect()
    };
    let mut optimizer = <candle_nn::SGD as candle_nn::Optimizer>::new(second, 0.1)?;
    check_gradient_flow(&varmap, || model.loss(softmax_last_dim_with_grad))?;
    let stuck = stuck_names(check_step_changes_every_variable(
        &varmap,
        &mut optimizer,
        || model.loss(softmax_last_dim_with_grad),
    ));
    assert_eq!(
        stuck.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["first.bias", "first.weight"]
    );
    Ok(())
}
