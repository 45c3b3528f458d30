//! The two convolution paths of `kansei_upscale::net` agree. How fast each is on this machine is
//! a measurement, not a test:
//!
//! ```text
//! RAYON_NUM_THREADS=1 kansei upscale train --profile fast --scale 2 --data D --out O --bench
//! ```

use candle_core::{DType, Device, Tensor, Var};
use candle_nn::{VarBuilder, VarMap};
use kansei_nn::seeded_var_builder;
use kansei_upscale::eval::Scale;
use kansei_upscale::net::{Architecture, Conv, ConvImpl, LumaNet, Profile, max_abs_diff};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn random(shape: &[usize], seed: u64) -> candle_core::Result<Tensor> {
    let mut rng = kansei_nn::seeded_rng(seed, &Device::Cpu)?;
    kansei_nn::randn(&mut rng, 0.0, 1.0, shape, DType::F32, &Device::Cpu)
}

fn conv(vb: &VarBuilder<'_>, cin: usize, cout: usize, k: usize) -> candle_core::Result<Conv> {
    Conv::new(
        cin,
        cout,
        k,
        candle_nn::init::DEFAULT_KAIMING_NORMAL,
        &vb.pp(format!("c{cin}_{cout}_{k}")),
    )
}

#[test]
fn im2col_convolution_matches_candle_conv2d_forward_and_backward() -> TestResult {
    let varmap = VarMap::new();
    let vb = seeded_var_builder(&varmap, 3, DType::F32, &Device::Cpu);
    for (cin, cout, k, h, w) in [
        (1, 12, 3, 7, 5),
        (1, 16, 5, 5, 9),
        (12, 12, 3, 6, 11),
        (16, 9, 1, 4, 3),
        (3, 4, 5, 2, 1),
        (2, 3, 3, 1, 1),
    ] {
        let layer = conv(&vb, cin, cout, k)?;
        let nhwc = Var::from_tensor(&random(&[2, h, w, cin], 7)?)?;
        let nchw = nhwc.as_tensor().permute((0, 3, 1, 2))?.contiguous()?;
        let nchw = Var::from_tensor(&nchw)?;
        let ours = layer.forward(nhwc.as_tensor(), ConvImpl::Im2col)?;
        let reference = layer
            .forward(nchw.as_tensor(), ConvImpl::Candle)?
            .permute((0, 2, 3, 1))?;
        let diff = max_abs_diff(&ours, &reference)?;
        assert!(
            diff < 1e-5,
            "{cin}->{cout} {k}x{k} on {h}x{w}: forward differs by {diff}"
        );

        // Same loss through both paths: the input and weight gradients agree too.
        let weights = random(&[2, h, w, cout], 11)?;
        let g_ours = (ours * &weights)?.sum_all()?.backward()?;
        let g_ref = (reference * &weights)?.sum_all()?.backward()?;
        let grad = |g: &candle_core::backprop::GradStore, t: &Tensor| {
            g.get(t).cloned().ok_or("missing gradient")
        };
        let gi = max_abs_diff(
            &grad(&g_ours, nhwc.as_tensor())?,
            &grad(&g_ref, nchw.as_tensor())?.permute((0, 2, 3, 1))?,
        )?;
        assert!(
            gi < 1e-4,
            "{cin}->{cout} {k}x{k}: input gradient differs by {gi}"
        );
        let gw = max_abs_diff(
            &grad(&g_ours, layer.weight())?,
            &grad(&g_ref, layer.weight())?,
        )?;
        assert!(
            gw < 1e-3,
            "{cin}->{cout} {k}x{k}: weight gradient differs by {gw}"
        );
        let gb = max_abs_diff(&grad(&g_ours, layer.bias())?, &grad(&g_ref, layer.bias())?)?;
        assert!(
            gb < 1e-3,
            "{cin}->{cout} {k}x{k}: bias gradient differs by {gb}"
        );
    }
    Ok(())
}

#[test]
fn whole_network_is_the_same_with_either_convolution() -> TestResult {
    for profile in Profile::ALL {
        for s in [2, 3, 4] {
            let arch = Architecture::new(profile, Scale::new(s)?);
            let varmap = VarMap::new();
            let net = LumaNet::new(
                arch,
                &seeded_var_builder(&varmap, 5, DType::F32, &Device::Cpu),
            )?;
            // Larger tail weights than the near-zero init, so the comparison is not trivial.
            for (name, var) in varmap.data().lock().map_err(|e| e.to_string())?.iter() {
                if name.starts_with("tail.weight") {
                    var.set(&(var.as_tensor() * 300.0)?)?;
                }
            }
            let lr = (random(&[2, 7, 5], 1)?.abs()? * 0.3)?;
            let a = net.residual(&lr)?;
            let b = net.clone().with_conv_impl(ConvImpl::Candle).residual(&lr)?;
            assert_eq!(a.dims(), [2, 7 * s as usize, 5 * s as usize]);
            let diff = max_abs_diff(&a, &b)?;
            assert!(diff < 1e-5, "{} x{s}: {diff}", profile.name());
            // And so is every gradient.
            let target = random(&[2, 7 * s as usize, 5 * s as usize], 9)?;
            let ga = ((a - &target)?.sqr()?.sum_all()?).backward()?;
            let gb = ((b - &target)?.sqr()?.sum_all()?).backward()?;
            for (name, var) in varmap.data().lock().map_err(|e| e.to_string())?.iter() {
                let (Some(x), Some(y)) = (ga.get(var.as_tensor()), gb.get(var.as_tensor())) else {
                    return Err(format!("{name}: missing gradient").into());
                };
                let scale = y
                    .abs()?
                    .max_keepdim(0)?
                    .flatten_all()?
                    .max(0)?
                    .to_scalar::<f32>()?;
                let diff = max_abs_diff(x, y)?;
                assert!(
                    diff <= 1e-4 * scale.max(1.0),
                    "{name}: gradient differs by {diff}"
                );
            }
        }
    }
    Ok(())
}
