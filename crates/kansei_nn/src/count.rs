//! Parameter and multiply-add (MAC) counts, for model cards and performance budgets.
//!
//! MACs are counted per *inference unit* (a low-resolution pixel for an upscaler, a decision for
//! the difficulty model, ...), because that is what a frame or tick budget is spent on. Each layer
//! contributes `MACs per output position × output positions per unit`: a 3×3 conv at the input
//! resolution has one position per low-resolution pixel, the same conv after a 2× pixel shuffle
//! has four. Bias additions, activations and normalisation are not counted; they are small next
//! to the multiply-adds and vary by backend.

use std::collections::HashMap;
use std::sync::PoisonError;

use candle_core::Tensor;
use candle_nn::VarMap;

use crate::card::InferenceCost;

/// Number of scalar parameters in `varmap`.
pub fn parameter_count(varmap: &VarMap) -> u64 {
    let data = varmap.data().lock().unwrap_or_else(PoisonError::into_inner);
    data.values().map(|var| var.elem_count() as u64).sum()
}

/// Number of scalar parameters in a set of named tensors.
pub fn tensor_parameter_count(tensors: &HashMap<String, Tensor>) -> u64 {
    tensors.values().map(|t| t.elem_count() as u64).sum()
}

/// MACs per output row of a linear layer: `in_features × out_features`.
pub fn linear_macs(in_features: usize, out_features: usize) -> u64 {
    in_features as u64 * out_features as u64
}

/// MACs per output pixel of a 2-D convolution: `kh × kw × (in_channels / groups) ×
/// out_channels`. `groups` must divide `in_channels` (as candle requires); 0 is treated as 1.
pub fn conv2d_macs(
    in_channels: usize,
    out_channels: usize,
    kernel: (usize, usize),
    groups: usize,
) -> u64 {
    let per_group_in = in_channels / groups.max(1);
    (kernel.0 * kernel.1) as u64 * per_group_in as u64 * out_channels as u64
}

/// MACs per output pixel of a depthwise convolution (`groups == channels`, one filter per
/// channel): `kh × kw × channels`.
pub fn depthwise_conv2d_macs(channels: usize, kernel: (usize, usize)) -> u64 {
    conv2d_macs(channels, channels, kernel, channels)
}

/// MACs per output position of a linear or convolution layer read off its weight tensor: its
/// element count, since every weight is used exactly once per output position (a conv weight is
/// `(out, in / groups, kh, kw)`, a linear weight `(out, in)`).
pub fn weight_macs(weight: &Tensor) -> u64 {
    weight.elem_count() as u64
}

/// One layer's share of a [`MacCounter`] total.
#[derive(Debug, Clone, PartialEq)]
pub struct MacEntry {
    /// The layer's name.
    pub name: String,
    /// MACs per output position.
    pub macs_per_position: u64,
    /// Output positions per inference unit.
    pub positions_per_unit: f64,
}

impl MacEntry {
    /// This layer's MACs per inference unit.
    pub fn macs_per_unit(&self) -> f64 {
        self.macs_per_position as f64 * self.positions_per_unit
    }
}

/// Adds up MACs per inference unit as a model's layers report in.
///
/// ```
/// use kansei_nn::MacCounter;
///
/// // A 2x upscaler: two 3x3 convs at low resolution, one after the pixel shuffle.
/// let mut macs = MacCounter::new("low-resolution pixel");
/// macs.conv2d("head", 3, 16, (3, 3), 1, 1.0)
///     .conv2d("body", 16, 12, (3, 3), 1, 1.0)
///     .conv2d("refine", 3, 3, (3, 3), 1, 4.0);
/// assert_eq!(macs.total(), 432.0 + 1728.0 + 4.0 * 81.0);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct MacCounter {
    unit: String,
    entries: Vec<MacEntry>,
}

impl MacCounter {
    /// A counter for MACs per `unit` (e.g. `"low-resolution pixel"`, `"decision"`).
    pub fn new(unit: impl Into<String>) -> Self {
        Self {
            unit: unit.into(),
            entries: Vec::new(),
        }
    }

    /// Records a layer doing `macs_per_position` MACs at `positions_per_unit` output positions per
    /// inference unit.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        macs_per_position: u64,
        positions_per_unit: f64,
    ) -> &mut Self {
        self.entries.push(MacEntry {
            name: name.into(),
            macs_per_position,
            positions_per_unit,
        });
        self
    }

    /// Records a linear layer (see [`linear_macs`]).
    pub fn linear(
        &mut self,
        name: impl Into<String>,
        in_features: usize,
        out_features: usize,
        positions_per_unit: f64,
    ) -> &mut Self {
        self.add(
            name,
            linear_macs(in_features, out_features),
            positions_per_unit,
        )
    }

    /// Records a 2-D convolution (see [`conv2d_macs`]).
    pub fn conv2d(
        &mut self,
        name: impl Into<String>,
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        groups: usize,
        positions_per_unit: f64,
    ) -> &mut Self {
        let macs = conv2d_macs(in_channels, out_channels, kernel, groups);
        self.add(name, macs, positions_per_unit)
    }

    /// Records a depthwise convolution (see [`depthwise_conv2d_macs`]).
    pub fn depthwise_conv2d(
        &mut self,
        name: impl Into<String>,
        channels: usize,
        kernel: (usize, usize),
        positions_per_unit: f64,
    ) -> &mut Self {
        self.add(
            name,
            depthwise_conv2d_macs(channels, kernel),
            positions_per_unit,
        )
    }

    /// Records a linear or convolution layer from its weight tensor (see [`weight_macs`]).
    pub fn weight(
        &mut self,
        name: impl Into<String>,
        weight: &Tensor,
        positions_per_unit: f64,
    ) -> &mut Self {
        self.add(name, weight_macs(weight), positions_per_unit)
    }

    /// The unit MACs are counted per.
    pub fn unit(&self) -> &str {
        &self.unit
    }

    /// The layers recorded so far, in order.
    pub fn entries(&self) -> &[MacEntry] {
        &self.entries
    }

    /// Total MACs per unit.
    pub fn total(&self) -> f64 {
        self.entries.iter().map(MacEntry::macs_per_unit).sum()
    }

    /// The total as a model card's cost (rounded to a whole number of MACs).
    pub fn to_cost(&self) -> InferenceCost {
        InferenceCost {
            // `as` saturates, so even a nonsensical total cannot wrap.
            macs_per_unit: self.total().round() as u64,
            unit: self.unit.clone(),
        }
    }
}
