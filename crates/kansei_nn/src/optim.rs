//! Optimizers that can be checkpointed.
//!
//! candle-nn 0.11.1's `AdamW` keeps its moment buffers and step counter in private fields, with no
//! accessor, so a checkpoint cannot capture them: resuming with it restarts the moments at zero
//! and the bias correction at step 1. [`ResumableAdamW`] is the same algorithm (same
//! `ParamsAdamW` config) with its state exposed, so a resumed run is bit-identical to an
//! uninterrupted one. candle's `SGD` has no state and resumes exactly as it is.

use std::collections::HashMap;

use candle_core::backprop::GradStore;
use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW, SGD};

/// A [`candle_nn::Optimizer`] whose internal state can be saved in a checkpoint.
///
/// State tensors are keyed by names the optimizer chooses. [`crate::Trainer`] constructs the
/// optimizer with the variables sorted by name, so index-based keys (`m.0`, `m.1`, ...) refer to
/// the same variables in every run of the same architecture.
pub trait ResumableOptimizer: Optimizer {
    /// Identifies the optimizer (and its state layout) in checkpoints, so a checkpoint is never
    /// resumed with a different optimizer.
    const NAME: &'static str;

    /// Whether [`state`](Self::state) captures everything that affects future steps, i.e. whether
    /// a resumed run matches an uninterrupted one exactly.
    const EXACT_RESUME: bool;

    /// The optimizer's internal state.
    ///
    /// # Errors
    ///
    /// On a candle error while copying the state.
    fn state(&self) -> candle_core::Result<Vec<(String, Tensor)>>;

    /// Restores state produced by [`state`](Self::state) for the same variables.
    ///
    /// # Errors
    ///
    /// If the state does not fit this optimizer's variables.
    fn restore_state(&mut self, state: &HashMap<String, Tensor>) -> candle_core::Result<()>;
}

impl ResumableOptimizer for SGD {
    const NAME: &'static str = "sgd";
    const EXACT_RESUME: bool = true;

    fn state(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        Ok(Vec::new())
    }

    fn restore_state(&mut self, _state: &HashMap<String, Tensor>) -> candle_core::Result<()> {
        Ok(())
    }
}

/// candle's `AdamW` keeps its moments and step counter in private fields, so it cannot export
/// them: resuming restarts them (and the bias correction), so a resumed run drifts from an uninterrupted one by roughly one learning rate per
/// parameter over the first steps after resuming. Prefer [`ResumableAdamW`].
impl ResumableOptimizer for AdamW {
    const NAME: &'static str = "candle-adamw";
    const EXACT_RESUME: bool = false;

    fn state(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        Ok(Vec::new())
    }

    fn restore_state(&mut self, _state: &HashMap<String, Tensor>) -> candle_core::Result<()> {
        Ok(())
    }
}

/// `AdamW` (decoupled weight decay) with checkpointable state. Configured with candle's
/// [`ParamsAdamW`] and updating exactly as candle's `AdamW` does:
///
/// ```text
/// m ← β1·m + (1-β1)·g        v ← β2·v + (1-β2)·g²
/// θ ← θ·(1 - lr·λ) - lr · (m / (1-β1ᵗ)) / (sqrt(v / (1-β2ᵗ)) + ε)
/// ```
///
/// Variables without a gradient in a step are left alone, moments included.
#[derive(Debug)]
pub struct ResumableAdamW {
    slots: Vec<Slot>,
    step: u64,
    params: ParamsAdamW,
}

/// One variable and its moment estimates.
#[derive(Debug)]
struct Slot {
    var: Var,
    m: Tensor,
    v: Tensor,
}

impl ResumableAdamW {
    /// The hyper-parameters.
    pub fn params(&self) -> &ParamsAdamW {
        &self.params
    }

    /// Optimizer steps taken so far (restored from checkpoints).
    pub fn steps_taken(&self) -> u64 {
        self.step
    }
}

impl Optimizer for ResumableAdamW {
    type Config = ParamsAdamW;

    fn new(vars: Vec<Var>, params: ParamsAdamW) -> candle_core::Result<Self> {
        let slots = vars
            .into_iter()
            .filter(|var| var.dtype().is_float())
            .map(|var| {
                let m = var.zeros_like()?;
                let v = var.zeros_like()?;
                Ok(Slot { var, m, v })
            })
            .collect::<candle_core::Result<Vec<_>>>()?;
        Ok(Self {
            slots,
            step: 0,
            params,
        })
    }

    fn step(&mut self, grads: &GradStore) -> candle_core::Result<()> {
        self.step += 1;
        let ParamsAdamW {
            lr,
            beta1,
            beta2,
            eps,
            weight_decay,
        } = self.params;
        let t = self.step as f64;
        let m_scale = 1.0 / (1.0 - beta1.powf(t));
        let v_scale = 1.0 / (1.0 - beta2.powf(t));
        for slot in &mut self.slots {
            let Some(grad) = grads.get(slot.var.as_tensor()) else {
                continue;
            };
            // Detach: gradients can reference the graph they came from, and the moments live
            // across steps, so keeping that link would keep every step's graph alive.
            let m = ((&slot.m * beta1)? + (grad * (1.0 - beta1))?)?.detach();
            let v = ((&slot.v * beta2)? + (grad.sqr()? * (1.0 - beta2))?)?.detach();
            let step = ((&m * m_scale)? / ((&v * v_scale)?.sqrt()? + eps)?)?;
            let decayed = (slot.var.as_tensor() * (1.0 - lr * weight_decay))?;
            slot.var.set(&(decayed - (step * lr)?)?)?;
            slot.m = m;
            slot.v = v;
        }
        Ok(())
    }

    fn learning_rate(&self) -> f64 {
        self.params.lr
    }

    fn set_learning_rate(&mut self, lr: f64) {
        self.params.lr = lr;
    }
}

impl ResumableOptimizer for ResumableAdamW {
    const NAME: &'static str = "adamw";
    const EXACT_RESUME: bool = true;

    fn state(&self) -> candle_core::Result<Vec<(String, Tensor)>> {
        let step = i64::try_from(self.step).unwrap_or(i64::MAX);
        let mut state = vec![("step".to_owned(), Tensor::new(&[step], &Device::Cpu)?)];
        for (index, slot) in self.slots.iter().enumerate() {
            state.push((format!("m.{index}"), slot.m.clone()));
            state.push((format!("v.{index}"), slot.v.clone()));
        }
        Ok(state)
    }

    fn restore_state(&mut self, state: &HashMap<String, Tensor>) -> candle_core::Result<()> {
        let expected = 1 + 2 * self.slots.len();
        if state.len() != expected {
            candle_core::bail!(
                "AdamW state has {} tensors, expected {expected} for {} variables",
                state.len(),
                self.slots.len()
            );
        }
        let get = |key: &str| {
            state
                .get(key)
                .ok_or_else(|| candle_core::Error::Msg(format!("AdamW state lacks `{key}`")))
        };
        let step = get("step")?
            .to_dtype(DType::I64)?
            .flatten_all()?
            .to_vec1::<i64>()?;
        let [step] = step.as_slice() else {
            candle_core::bail!("AdamW state `step` must hold one value");
        };
        let step = u64::try_from(*step)
            .map_err(|_| candle_core::Error::Msg(format!("AdamW step {step} is negative")))?;
        // Build everything before assigning, so a bad state leaves the optimizer as it was.
        let mut moments = Vec::with_capacity(self.slots.len());
        for (index, slot) in self.slots.iter().enumerate() {
            let load = |kind: &str| -> candle_core::Result<Tensor> {
                let key = format!("{kind}.{index}");
                let tensor = get(&key)?;
                if tensor.dims() != slot.var.dims() {
                    candle_core::bail!(
                        "AdamW state `{key}` has shape {:?}, its variable {:?}",
                        tensor.dims(),
                        slot.var.dims()
                    );
                }
                tensor
                    .to_dtype(slot.var.dtype())?
                    .to_device(slot.var.device())
            };
            moments.push((load("m")?, load("v")?));
        }
        for (slot, (m, v)) in self.slots.iter_mut().zip(moments) {
            slot.m = m;
            slot.v = v;
        }
        self.step = step;
        Ok(())
    }
}
