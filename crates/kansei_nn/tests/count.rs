//! Exact parameter and multiply-add counts for the layer kinds Kansei models use.

mod common;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::{Conv2dConfig, VarMap};
use common::TestResult;
use kansei_nn::{
    MacCounter, conv2d_macs, depthwise_conv2d_macs, linear_macs, parameter_count,
    seeded_var_builder, tensor_parameter_count, weight_macs,
};

#[test]
fn per_layer_formulas() {
    assert_eq!(linear_macs(64, 10), 640);
    assert_eq!(conv2d_macs(3, 16, (3, 3), 1), 432);
    assert_eq!(conv2d_macs(16, 32, (3, 3), 4), 9 * 4 * 32);
    assert_eq!(conv2d_macs(16, 12, (1, 1), 1), 192);
    assert_eq!(
        conv2d_macs(8, 8, (5, 3), 0),
        15 * 8 * 8,
        "groups 0 counts as 1"
    );
    assert_eq!(depthwise_conv2d_macs(16, (3, 3)), 144);
}

/// A small 2x upscaler: head conv, depthwise-separable body, pixel shuffle, refine conv at high
/// resolution. Counts from the formulas, from the built layers' weights, and parameters.
#[test]
fn upscaler_sized_network_counts_exactly() -> TestResult {
    let dev = Device::Cpu;
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 0, DType::F32, &dev);
    let same = Conv2dConfig {
        padding: 1,
        ..Conv2dConfig::default()
    };
    let head = candle_nn::conv2d(3, 16, 3, same, vb.pp("head"))?;
    let depthwise = candle_nn::conv2d(16, 16, 3, Conv2dConfig { groups: 16, ..same }, vb.pp("dw"))?;
    let pointwise = candle_nn::conv2d(16, 12, 1, Conv2dConfig::default(), vb.pp("pw"))?;
    let refine = candle_nn::conv2d(3, 3, 3, same, vb.pp("refine"))?;

    let mut macs = MacCounter::new("low-resolution pixel");
    macs.conv2d("head", 3, 16, (3, 3), 1, 1.0)
        .depthwise_conv2d("dw", 16, (3, 3), 1.0)
        .conv2d("pw", 16, 12, (1, 1), 1, 1.0)
        // After the 2x pixel shuffle there are 4 output pixels per low-resolution pixel.
        .conv2d("refine", 3, 3, (3, 3), 1, 4.0);
    assert_eq!(macs.total(), 432.0 + 144.0 + 192.0 + 4.0 * 81.0);
    let cost = macs.to_cost();
    assert_eq!(
        (cost.macs_per_unit, cost.unit.as_str()),
        (1092, "low-resolution pixel")
    );
    assert_eq!(macs.entries()[3].macs_per_unit(), 324.0);

    let mut from_weights = MacCounter::new("low-resolution pixel");
    from_weights
        .weight("head", head.weight(), 1.0)
        .weight("dw", depthwise.weight(), 1.0)
        .weight("pw", pointwise.weight(), 1.0)
        .weight("refine", refine.weight(), 4.0);
    assert_eq!(from_weights.total(), macs.total());

    // Weights 432 + 144 + 192 + 81, biases 16 + 16 + 12 + 3.
    assert_eq!(parameter_count(&varmap), 849 + 47);

    // The network runs with those shapes (a 5x7 input becomes 10x14).
    let x = Tensor::zeros((1, 3, 5, 7), DType::F32, &dev)?;
    let body = pointwise.forward(&depthwise.forward(&head.forward(&x)?)?)?;
    let out = refine.forward(&candle_nn::ops::pixel_shuffle(&body, 2)?)?;
    assert_eq!(out.dims(), &[1, 3, 10, 14]);
    Ok(())
}

#[test]
fn linear_weights_and_tensor_maps() -> TestResult {
    let varmap = VarMap::new();
    let layer = candle_nn::linear(
        64,
        10,
        seeded_var_builder(&varmap, 0, DType::F32, &Device::Cpu),
    )?;
    assert_eq!(weight_macs(layer.weight()), linear_macs(64, 10));
    assert_eq!(parameter_count(&varmap), 650);
    assert_eq!(tensor_parameter_count(&common::tensors(0.0)?), 8);
    Ok(())
}
