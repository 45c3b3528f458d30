//! Averaging sequential networks fine-tuned from one starting point (`kansei recommend
//! average`): the weighted mean of every network tensor, a card that lists the ingredients,
//! transitions chosen afterwards, and clear errors for what cannot be averaged.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};
use kansei_recommend::model::sequential::average::{Ingredient, save_average};
use kansei_recommend::model::sequential::{
    RunFiles, SequentialModel, TRANSITIONS_PREFIX, TrainConfig, add_transitions, train,
    validation_metrics,
};
use kansei_recommend::{LeaveLastOut, RecommendError};

mod common;
use common::{series_data, tiny_config};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn run(split: &LeaveLastOut, config: &TrainConfig, dir: &Path) -> Result<PathBuf, RecommendError> {
    train(split, config, dir, false, |_| {}, |_, _, _| {})?;
    Ok(RunFiles::in_dir(dir).model)
}

fn tensors(path: &Path) -> Result<HashMap<String, Tensor>, Box<dyn std::error::Error>> {
    let (_, found) = kansei_nn::check_model(path)?;
    Ok(kansei_nn::load(path, &found, &Device::Cpu)?.tensors)
}

fn max_difference(a: &Tensor, b: &Tensor) -> Result<f32, candle_core::Error> {
    (a - b)?.abs()?.flatten_all()?.max(0)?.to_scalar::<f32>()
}

#[test]
fn two_fine_tunes_average_into_a_working_model() -> TestResult {
    let split = LeaveLastOut::new(&series_data(11, 15));
    let dir = tempfile::tempdir()?;
    let start = run(&split, &tiny_config(16, 3), &dir.path().join("start"))?;
    // Two fine-tunes of it: the sampled softmax with another seed, and the full softmax.
    let sampled = run(
        &split,
        &TrainConfig {
            init_from: Some(start.clone()),
            seed: 2,
            ..tiny_config(16, 2)
        },
        &dir.path().join("sampled"),
    )?;
    let full = run(
        &split,
        &TrainConfig {
            init_from: Some(start),
            negatives: 1_000,
            ..tiny_config(16, 2)
        },
        &dir.path().join("full"),
    )?;
    let full_card = SequentialModel::load(&full)?.card().cloned().expect("card");
    assert!(
        full_card
            .training
            .description
            .contains("softmax over every item"),
        "{}",
        full_card.training.description
    );

    let out = dir.path().join("average.safetensors");
    let ingredients = [
        Ingredient {
            path: sampled.clone(),
            weight: 1.0,
        },
        Ingredient {
            path: full.clone(),
            weight: 3.0,
        },
    ];
    let card = save_average(&ingredients, &out)?;
    assert!(card.version.ends_with("-avg2"), "{}", card.version);
    let recipe = &card.training.description;
    assert!(
        recipe.contains(&format!("0.250 x `{}`", sampled.display()))
            && recipe.contains(&format!("0.750 x `{}`", full.display())),
        "{recipe}"
    );
    // The ingredients' own recipes are kept, the full softmax's among them.
    assert!(recipe.contains("softmax over every item"), "{recipe}");

    // Every network tensor is the weighted mean; no transitions are carried over.
    let (a, b, mean) = (tensors(&sampled)?, tensors(&full)?, tensors(&out)?);
    assert!(
        mean.keys()
            .all(|name| !name.starts_with(TRANSITIONS_PREFIX))
    );
    let network: Vec<&String> = a
        .keys()
        .filter(|n| !n.starts_with(TRANSITIONS_PREFIX))
        .collect();
    assert_eq!(network.len(), mean.len());
    for name in network {
        let expected = ((&a[name] * 0.25)? + (&b[name] * 0.75)?)?;
        let difference = max_difference(&mean[name], &expected)?;
        assert!(difference < 1e-6, "`{name}` differs by {difference}");
        assert!(max_difference(&a[name], &b[name])? > 0.0 || name.contains("norm"));
    }

    // It still predicts the series, and the transitions are chosen for it as for a trained run.
    let averaged = SequentialModel::load(&out)?;
    let (_, ndcg) = validation_metrics(&averaged, &split, 300, 1)?;
    assert!(ndcg > 0.8, "validation NDCG@10 of the average {ndcg:.3}");
    let choice = add_transitions(&split, &out, 1, 300)?;
    let with = SequentialModel::load(&out)?;
    assert_eq!(with.transitions().map_or(0.0, |(_, w)| w), choice.weight);
    if choice.weight > 0.0 {
        assert!(with.card().expect("card").version.ends_with("-avg2-t"));
    }
    Ok(())
}

#[test]
fn what_cannot_be_averaged_is_refused() -> TestResult {
    let split = LeaveLastOut::new(&series_data(11, 15));
    let dir = tempfile::tempdir()?;
    let narrow = run(&split, &tiny_config(16, 1), &dir.path().join("narrow"))?;
    let wide = run(&split, &tiny_config(24, 1), &dir.path().join("wide"))?;
    let out = dir.path().join("average.safetensors");
    let ingredient = |path: &PathBuf, weight| Ingredient {
        path: path.clone(),
        weight,
    };

    let error = save_average(&[ingredient(&narrow, 1.0), ingredient(&wide, 1.0)], &out)
        .expect_err("different widths");
    assert!(
        error.to_string().contains("not networks of one shape"),
        "{error}"
    );
    for weight in [0.0, -1.0, f64::NAN] {
        let error = save_average(&[ingredient(&narrow, weight)], &out).expect_err("bad weight");
        assert!(error.to_string().contains("positive number"), "{error}");
    }
    assert!(save_average(&[], &out).is_err());
    let missing = dir.path().join("missing.safetensors");
    assert!(save_average(&[ingredient(&missing, 1.0)], &out).is_err());
    assert!(!out.exists(), "nothing is written when averaging fails");

    // Transitions need the data the network scores: a catalogue of 40 items is refused.
    let other = LeaveLastOut::new(&series_data(11, 20));
    let error = add_transitions(&other, &narrow, 1, 300).expect_err("other data");
    assert!(
        error.to_string().contains("trained on other data"),
        "{error}"
    );
    Ok(())
}
