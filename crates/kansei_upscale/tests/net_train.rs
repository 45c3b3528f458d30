//! The upscaler networks and their training: shapes, cost budgets, gradient flow, and a tiny
//! end-to-end training run (checkpoint, exact resume, model + card, sharing the x2 body).

use std::path::Path;

use candle_core::{DType, Device, Tensor};
use candle_nn::{Optimizer, ParamsAdamW, VarMap};
use kansei_nn::{ResumableAdamW, check_step_changes_every_variable, seeded_var_builder};
use kansei_upscale::ImageF32;
use kansei_upscale::eval::{Scale, save_png_rgb8};
use kansei_upscale::net::{Architecture, LumaNet, Profile};
use kansei_upscale::train::{Loss, TrainConfig, TrainPaths, charbonnier, train};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn every_architecture() -> Result<Vec<Architecture>, Box<dyn std::error::Error>> {
    let mut out = Vec::new();
    for profile in Profile::ALL {
        for s in [2, 3, 4] {
            out.push(Architecture::new(profile, Scale::new(s)?));
        }
    }
    Ok(out)
}

fn random(shape: &[usize], seed: u64) -> candle_core::Result<Tensor> {
    let mut rng = kansei_nn::seeded_rng(seed, &Device::Cpu)?;
    kansei_nn::uniform(&mut rng, 0.05, 0.95, shape, DType::F32, &Device::Cpu)
}

#[test]
fn every_network_upscales_odd_sizes_by_its_scale() -> TestResult {
    for arch in every_architecture()? {
        let varmap = VarMap::new();
        let net = LumaNet::new(
            arch,
            &seeded_var_builder(&varmap, 1, DType::F32, &Device::Cpu),
        )?;
        let s = arch.factor();
        for (h, w) in [(7, 5), (1, 1), (2, 9)] {
            let out = net.residual(&random(&[2, h, w], 3)?)?;
            assert_eq!(out.dims(), [2, s * h, s * w], "{}", arch.model_name());
        }
        let lr = ImageF32::from_fn(7, 5, |x, y| [x as f32 / 7.0, y as f32 / 5.0, 0.5, 1.0])?;
        let sr = net.upscale_rgb(&lr)?;
        assert_eq!((sr.width(), sr.height()), (7 * s as u32, 5 * s as u32));
    }
    Ok(())
}

#[test]
fn multiply_adds_are_exact_and_within_budget() -> TestResult {
    let expected = [
        ("kansei-upscale-fast-x2", 1_640, 1_692),
        ("kansei-upscale-fast-x3", 1_424, 1_481),
        ("kansei-upscale-fast-x4", 1_480, 1_544),
        ("kansei-upscale-balanced-x2", 7_888, 8_020),
        ("kansei-upscale-balanced-x3", 7_456, 7_593),
        ("kansei-upscale-balanced-x4", 7_568, 7_712),
    ];
    for (arch, (name, macs, params)) in every_architecture()?.into_iter().zip(expected) {
        assert_eq!(arch.model_name(), name);
        assert_eq!(arch.macs_per_pixel(), macs, "{name}");
        assert!(macs <= arch.profile.budget(), "{name} over budget");
        assert_eq!(arch.macs().unit(), "low-resolution pixel");
        // Every weight is used once per LR pixel, so MACs = parameters - biases - PReLU slopes.
        let spec = arch.expected_tensors()?;
        assert_eq!(spec.parameter_count(), params, "{name}");
        assert_eq!(Architecture::from_model_name(name)?, arch);
    }
    Ok(())
}

#[test]
fn one_adamw_step_changes_every_variable() -> TestResult {
    for arch in every_architecture()? {
        let varmap = VarMap::new();
        let net = LumaNet::new(
            arch,
            &seeded_var_builder(&varmap, 2, DType::F32, &Device::Cpu),
        )?;
        let s = arch.factor();
        let lr = random(&[2, 6, 5], 4)?;
        let target = (random(&[2, 6 * s, 5 * s], 5)? - 0.5)?;
        let vars = varmap.all_vars();
        assert_eq!(vars.len(), 3 * (2 + arch.body_layers) - 1);
        let mut optimizer = ResumableAdamW::new(vars, ParamsAdamW::default())?;
        check_step_changes_every_variable(&varmap, &mut optimizer, || {
            charbonnier(&(net.residual(&lr)? - &target)?)
        })?;
    }
    Ok(())
}

/// Two small textured images, one of which the run holds out for validation.
fn tiny_data(dir: &Path) -> TestResult {
    for (i, (w, h)) in [(52_u32, 44_u32), (40, 48)].into_iter().enumerate() {
        let image = ImageF32::from_fn(w, h, |x, y| {
            let stripes = if (x / 3 + y / (2 + i as u32)).is_multiple_of(2) {
                0.8
            } else {
                0.2
            };
            let ramp = (x + y) as f32 / (w + h) as f32;
            [stripes, 0.5 * stripes + 0.3 * ramp, ramp, 1.0]
        })?;
        save_png_rgb8(&image, &dir.join(format!("img{i}.png")))?;
    }
    Ok(())
}

fn tiny_config(data: &Path, out: &Path, profile: Profile, scale: u32) -> TrainConfig {
    let mut config = TrainConfig::new(
        profile,
        Scale::new(scale).expect("scale"),
        data.to_owned(),
        out.to_owned(),
    );
    config.steps = 6;
    config.batch = 2;
    config.patch = 6;
    config.checkpoint_every = 2;
    config.validate_every = 3;
    config.holdout = 1;
    config.warmup_steps = 1;
    config.print_every_s = 0.0;
    config
}

/// Every tensor of a saved model, flattened, in the network's order.
type Weights = Vec<(String, Vec<f32>)>;

fn weights(path: &Path) -> Result<Weights, Box<dyn std::error::Error>> {
    let (net, _) = LumaNet::load(path, &Device::Cpu)?;
    net.tensors()
        .into_iter()
        .map(|(name, t)| Ok((name, t.flatten_all()?.to_vec1::<f32>()?)))
        .collect()
}

/// Runs `config` (6 steps) as two sessions, stopped after 3 steps and resumed, and checks that
/// it saves the same weights as the uninterrupted run that wrote `whole`; returns the second
/// session's progress lines.
fn assert_two_sessions_match(
    mut config: TrainConfig,
    whole: &Path,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    config.session_steps = Some(3);
    let first = train(&config, &mut |_| {})?;
    assert!(!first.saved && first.steps == 3);
    assert!(!config.out.exists(), "no model before the last step");
    config.session_steps = None;
    config.resume = true;
    let mut lines = Vec::new();
    let second = train(&config, &mut |l| lines.push(l.to_owned()))?;
    assert!(second.saved && second.steps == 6);
    assert_eq!(
        weights(whole)?,
        weights(&config.out)?,
        "a resumed run must match"
    );
    Ok(lines)
}

#[test]
fn training_smoke_run_checkpoints_resumes_exactly_and_saves_a_loadable_model() -> TestResult {
    let root = tempfile::tempdir()?;
    // Outputs go outside the data folder: the loss-curve PNGs would otherwise become training
    // images of the next run.
    let data = root.path().join("data");
    std::fs::create_dir(&data)?;
    tiny_data(&data)?;
    let runs = root.path().join("runs");
    let mut lines = Vec::new();

    // One uninterrupted run.
    let whole = runs.join("whole/kansei-upscale-fast-x2.safetensors");
    let config = tiny_config(&data, &whole, Profile::Fast, 2);
    let report = train(&config, &mut |l| lines.push(l.to_owned()))?;
    assert!(report.saved && report.steps == 6);
    assert_eq!(report.validation.len(), 2, "validations at steps 3 and 6");
    let paths = TrainPaths::new(&whole);
    for file in [
        &paths.checkpoint,
        &paths.history,
        &paths.validation,
        &paths.loss_png,
    ] {
        assert!(file.is_file(), "{} missing", file.display());
    }
    assert_eq!(std::fs::read_to_string(&paths.history)?.lines().count(), 7);
    assert!(
        lines
            .iter()
            .any(|l| l.contains("steps/s") && l.contains("ETA"))
    );
    assert!(lines.iter().any(|l| l.contains("validation at step 6")));

    // The same run in two sessions: stopped after 3 steps, then resumed.
    let split = runs.join("split/kansei-upscale-fast-x2.safetensors");
    let lines = assert_two_sessions_match(tiny_config(&data, &split, Profile::Fast, 2), &whole)?;
    assert!(lines.iter().any(|l| l.contains("resumed at step 3")));

    // The model and card load through kansei_nn with the architecture's spec.
    let arch = Architecture::new(Profile::Fast, Scale::new(2)?);
    let loaded = kansei_nn::load(&whole, &arch.expected_tensors()?, &Device::Cpu)?;
    assert_eq!(loaded.card.name, "kansei-upscale-fast-x2");
    assert_eq!(loaded.card.cost.macs_per_unit, 1_640);
    assert_eq!(loaded.card.training.steps, 6);
    assert!(loaded.card.training_data.licence.contains("Research-use"));
    assert!(loaded.card.training.wall_time_s > 0.0);

    // x3 from the x2 body, frozen: the body is copied unchanged, the tail is new.
    let x3 = runs.join("kansei-upscale-fast-x3.safetensors");
    let mut config = tiny_config(&data, &x3, Profile::Fast, 3);
    config.steps = 2;
    config.patch = 4;
    config.init = Some(whole.clone());
    config.freeze_body = true;
    assert!(train(&config, &mut |_| {})?.saved);
    let x3_card = kansei_nn::ModelCard::read(kansei_nn::card_path(&x3))?;
    assert!(
        x3_card
            .training
            .description
            .contains("initialised from `kansei-upscale-fast-x2.safetensors`"),
        "the card names the x2 model by file name, not by this machine's path: {}",
        x3_card.training.description
    );
    let x2_weights = weights(&whole)?;
    let x3_weights = weights(&x3)?;
    for (name, values) in &x3_weights {
        let original = x2_weights.iter().find(|(n, _)| n == name);
        if name.starts_with("tail.") {
            assert_eq!(values.len() % 9, 0, "{name}: 9 sub-pixels at x3");
        } else {
            assert_eq!(
                Some(values),
                original.map(|(_, v)| v),
                "{name} must be frozen"
            );
        }
    }
    // A balanced model cannot start from a fast one.
    let mut config = tiny_config(&data, &x3, Profile::Balanced, 3);
    config.init = Some(whole);
    assert!(train(&config, &mut |_| {}).is_err());
    Ok(())
}

/// Over-parameterised training (`--expand`, here with the MSE loss) checkpoints its factors,
/// resumes exactly, and saves the plain network, which loads and runs like any other.
#[test]
fn expanded_training_resumes_exactly_and_saves_the_plain_network() -> TestResult {
    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    std::fs::create_dir(&data)?;
    tiny_data(&data)?;
    let runs = root.path().join("runs");

    let whole = runs.join("whole/kansei-upscale-fast-x2.safetensors");
    let mut config = tiny_config(&data, &whole, Profile::Fast, 2);
    config.expand = Some(8);
    config.loss = Loss::Mse;
    let report = train(&config, &mut |_| {})?;
    assert!(report.saved && report.steps == 6);

    let split = runs.join("split/kansei-upscale-fast-x2.safetensors");
    let mut config = tiny_config(&data, &split, Profile::Fast, 2);
    config.expand = Some(8);
    config.loss = Loss::Mse;
    assert_two_sessions_match(config, &whole)?;

    let arch = Architecture::new(Profile::Fast, Scale::new(2)?);
    let loaded = kansei_nn::load(&whole, &arch.expected_tensors()?, &Device::Cpu)?;
    let recipe = &loaded.card.training.description;
    assert!(
        recipe.contains("--expand 8") && recipe.contains("--loss mse"),
        "the card's reproduce line names the expansion and the loss: {recipe}"
    );
    assert!(recipe.contains("mean squared error"), "{recipe}");
    let (net, _) = LumaNet::load(&whole, &Device::Cpu)?;
    let out = net.upscale_rgb(&ImageF32::from_fn(5, 3, |x, y| {
        [x as f32 / 5.0, y as f32 / 3.0, 0.5, 1.0]
    })?)?;
    assert_eq!((out.width(), out.height()), (10, 6));
    assert!(out.pixels().iter().flatten().all(|v| v.is_finite()));

    // It trains from scratch: combining it with --init is refused.
    let mut config = tiny_config(&data, &runs.join("x.safetensors"), Profile::Fast, 2);
    config.expand = Some(8);
    config.init = Some(whole);
    let error = train(&config, &mut |_| {}).expect_err("--expand with --init");
    assert!(error.to_string().contains("--expand"), "{error}");
    Ok(())
}
