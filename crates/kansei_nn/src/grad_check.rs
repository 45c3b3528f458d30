//! A gradient-flow check: does every trainable variable actually learn?
//!
//! candle records no backward for some fast kernels (see [`crate::grad_ops`]), and an unused
//! layer or a detached tensor has the same effect: training runs, the loss may even fall, but part
//! of the network never changes. Run [`check_gradient_flow`] once in every trainer's tests (and
//! optionally before a long run) to catch that.

use std::sync::PoisonError;

use candle_core::{DType, Tensor, Var};
use candle_nn::{Optimizer, VarMap};

use crate::error::{StuckReason, StuckVariable, TrainError};

/// Computes the loss once, back-propagates, and fails with [`TrainError::GradientFlow`] listing
/// every floating-point variable of `varmap` that an optimizer step would leave unchanged: no
/// gradient at all, an all-zero gradient, or a gradient with NaN/Inf.
///
/// The check inspects the gradients a step would apply rather than applying one and comparing
/// weights: the answer is the same (SGD and `AdamW` only move a variable that has a gradient), but
/// the weights are left untouched, so it is safe on a model mid-training, and a tiny update
/// rounding away in f32 cannot cause a false alarm.
///
/// Use a loss with non-degenerate inputs: a zero-initialised output layer, for example, gives
/// every upstream variable a zero gradient on the first step.
///
/// # Errors
///
/// [`TrainError::GradientFlow`] as above, or [`TrainError::Candle`] if the loss or backward pass
/// fails.
pub fn check_gradient_flow(
    varmap: &VarMap,
    loss_fn: impl FnOnce() -> candle_core::Result<Tensor>,
) -> Result<(), TrainError> {
    let loss = loss_fn()?;
    let grads = loss.backward()?;
    let mut stuck = Vec::new();
    for (name, var) in float_vars(varmap) {
        let reason = match grads.get(var.as_tensor()) {
            None => Some(StuckReason::NoGradient),
            Some(grad) => classify(grad)?,
        };
        if let Some(reason) = reason {
            stuck.push(StuckVariable { name, reason });
        }
    }
    if stuck.is_empty() {
        Ok(())
    } else {
        Err(TrainError::GradientFlow { stuck })
    }
}

/// Takes one real step of `optimizer` on the loss and fails with [`TrainError::GradientFlow`]
/// listing every floating-point variable of `varmap` whose values are bit-identical afterwards
/// ([`StuckReason::UnchangedAfterStep`]).
///
/// This is the literal form of the rule "every trainable variable changes after one optimizer
/// step", and it exercises the optimizer too (a variable the optimizer was not given is caught
/// here, not by [`check_gradient_flow`]). It modifies the weights: run it on a fresh model in a
/// test, and use [`check_gradient_flow`] to diagnose *why* a variable is stuck.
///
/// # Errors
///
/// [`TrainError::GradientFlow`] as above, or [`TrainError::Candle`] if the loss, the backward
/// pass or the optimizer step fails.
pub fn check_step_changes_every_variable<O: Optimizer>(
    varmap: &VarMap,
    optimizer: &mut O,
    loss_fn: impl FnOnce() -> candle_core::Result<Tensor>,
) -> Result<(), TrainError> {
    let vars = float_vars(varmap);
    let before = vars
        .iter()
        .map(|(_, var)| var.as_tensor().copy())
        .collect::<candle_core::Result<Vec<_>>>()?;
    optimizer.backward_step(&loss_fn()?)?;
    let mut stuck = Vec::new();
    for ((name, var), before) in vars.into_iter().zip(before) {
        // Compare bit patterns, not values: a NaN that stayed NaN has not moved either.
        let old = before
            .to_dtype(DType::F64)?
            .flatten_all()?
            .to_vec1::<f64>()?;
        let new = var.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
        if old
            .iter()
            .zip(&new)
            .all(|(a, b)| a.to_bits() == b.to_bits())
        {
            stuck.push(StuckVariable {
                name,
                reason: StuckReason::UnchangedAfterStep,
            });
        }
    }
    if stuck.is_empty() {
        Ok(())
    } else {
        Err(TrainError::GradientFlow { stuck })
    }
}

/// The floating-point variables of `varmap`, sorted by name so reports are stable.
fn float_vars(varmap: &VarMap) -> Vec<(String, Var)> {
    let data = varmap.data().lock().unwrap_or_else(PoisonError::into_inner);
    let mut vars: Vec<_> = data
        .iter()
        .filter(|(_, var)| var.dtype().is_float())
        .map(|(name, var)| (name.clone(), var.clone()))
        .collect();
    vars.sort_by(|a, b| a.0.cmp(&b.0));
    vars
}

/// `None` when the gradient would move the variable.
fn classify(grad: &Tensor) -> candle_core::Result<Option<StuckReason>> {
    let values = grad.to_dtype(DType::F64)?.flatten_all()?.to_vec1::<f64>()?;
    Ok(if values.iter().any(|v| !v.is_finite()) {
        Some(StuckReason::NonFiniteGradient)
    } else if values.iter().all(|&v| v == 0.0) {
        Some(StuckReason::ZeroGradient)
    } else {
        None
    })
}
