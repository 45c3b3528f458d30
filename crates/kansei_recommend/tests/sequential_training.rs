//! The sequential model's training run end to end on tiny data: it learns, saves the best model
//! with its card, resumes exactly, and its files are checked on load.

use std::path::Path;

use kansei_recommend::model::sequential::{
    Refit, RunFiles, SequentialModel, TRANSITION_WEIGHTS, TrainConfig, train,
};
use kansei_recommend::{
    Catalogue, Interactions, LeaveLastOut, RecommendEngine, RecommendError, Recommender,
};

mod common;
use common::{series_data, tiny_config};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn weights(path: &Path) -> Vec<Vec<f32>> {
    let model = SequentialModel::load(path).expect("loads");
    let history = [1u32, 2, 3];
    model.score_batch(&[&history, &[20, 21]]).expect("scores")
}

#[test]
fn trains_saves_and_resumes_exactly() -> TestResult {
    let split = LeaveLastOut::new(&series_data(7, 15));
    let dir = tempfile::tempdir()?;
    let whole = dir.path().join("whole");
    let state = train(
        &split,
        &tiny_config(16, 6),
        &whole,
        false,
        |_| {},
        |_, _, _| {},
    )?;
    assert_eq!(state.epochs, 6);
    let first = state.history.first().map_or(0.0, |e| e.valid_ndcg);
    let (best_epoch, best) = state.best.expect("a best epoch");
    assert!(
        best > first + 0.2,
        "validation NDCG@10 {first:.3} -> {best:.3}"
    );
    assert!(best > 0.8, "the series are predictable: NDCG@10 {best:.3}");

    let choice = state.transitions.as_ref().expect("transitions chosen");
    assert_eq!(choice.trials.len(), TRANSITION_WEIGHTS.len());
    let files = RunFiles::in_dir(&whole);
    let model = SequentialModel::load(&files.model)?;
    let card = model.card().expect("card");
    assert_eq!(card.training.steps, best_epoch);
    assert!(
        card.training.description.contains("early stopping"),
        "{}",
        card.training.description
    );
    assert_eq!(model.num_items(), 30);
    assert_eq!(model.transitions().map_or(0.0, |(_, w)| w), choice.weight);

    // Three epochs, then a resumed run to six: the same best model as the run in one go.
    let split_run = dir.path().join("split");
    train(
        &split,
        &tiny_config(16, 3),
        &split_run,
        false,
        |_| {},
        |_, _, _| {},
    )?;
    let resumed = train(
        &split,
        &tiny_config(16, 6),
        &split_run,
        true,
        |_| {},
        |_, _, _| {},
    )?;
    assert_eq!(resumed.epochs, 6);
    assert_eq!(resumed.best, state.best);
    assert_eq!(
        weights(&RunFiles::in_dir(&split_run).model),
        weights(&files.model)
    );
    Ok(())
}

#[test]
fn bad_model_files_are_clear_errors() -> TestResult {
    let split = LeaveLastOut::new(&series_data(7, 15));
    let dir = tempfile::tempdir()?;
    train(
        &split,
        &tiny_config(16, 1),
        dir.path(),
        false,
        |_| {},
        |_, _, _| {},
    )?;
    let path = RunFiles::in_dir(dir.path()).model;

    // The model is built for 30 items: a catalogue of 40 does not fit it.
    let model = SequentialModel::load(&path)?;
    let error =
        RecommendEngine::new(Box::new(model), Catalogue::numbered(40)).expect_err("mismatch");
    assert!(matches!(
        error,
        RecommendError::CatalogueMismatch {
            model_items: 30,
            catalogue_items: 40,
            ..
        }
    ));

    // Truncated weights.
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() / 2])?;
    let error = SequentialModel::load(&path).expect_err("truncated");
    assert!(matches!(error, RecommendError::Model(_)), "{error}");

    // Missing file.
    let error = SequentialModel::load(dir.path().join("none.safetensors")).expect_err("missing");
    assert!(error.to_string().contains("none"), "{error}");

    // Unknown ids at inference.
    std::fs::write(&path, &bytes)?;
    let model = SequentialModel::load(&path)?;
    let mut scores = vec![0.0; 31];
    assert!(matches!(
        model.score_into(&[3, 31], &mut scores),
        Err(RecommendError::UnknownItem { id: 31, .. })
    ));
    assert!(matches!(
        model.score_into(&[3], &mut [0.0; 5]),
        Err(RecommendError::ScoreBuffer { .. })
    ));
    Ok(())
}

#[test]
fn data_without_sequences_is_refused() {
    let split = LeaveLastOut::new(&Interactions::parse("1 1\n2 2\n").expect("valid"));
    let dir = tempfile::tempdir().expect("dir");
    let error = train(
        &split,
        &tiny_config(16, 1),
        dir.path(),
        false,
        |_| {},
        |_, _, _| {},
    )
    .expect_err("nothing to learn");
    assert!(
        error.to_string().contains("two training interactions"),
        "{error}"
    );
}

#[test]
fn bad_settings_are_refused_before_training() {
    let split = LeaveLastOut::new(&series_data(7, 15));
    let dir = tempfile::tempdir().expect("dir");
    let bad = [
        (
            TrainConfig {
                weight_decay: -0.1,
                ..tiny_config(16, 1)
            },
            "weight_decay",
        ),
        (
            TrainConfig {
                weight_decay: f64::NAN,
                ..tiny_config(16, 1)
            },
            "weight_decay",
        ),
        (
            TrainConfig {
                embedding_stdev: Some(0.0),
                ..tiny_config(16, 1)
            },
            "embedding_stdev",
        ),
        (
            TrainConfig {
                embedding_stdev: Some(f64::INFINITY),
                ..tiny_config(16, 1)
            },
            "embedding_stdev",
        ),
        (
            TrainConfig {
                negatives: 0,
                ..tiny_config(16, 1)
            },
            "negatives",
        ),
    ];
    for (config, field) in bad {
        let error =
            train(&split, &config, dir.path(), false, |_| {}, |_, _, _| {}).expect_err("refused");
        assert!(error.to_string().contains(field), "{field}: {error}");
    }
    assert!(
        !RunFiles::in_dir(dir.path()).model.exists(),
        "nothing was trained"
    );
}

#[test]
fn the_card_states_the_loss_and_initialisation() -> TestResult {
    let split = LeaveLastOut::new(&series_data(7, 15));
    let dir = tempfile::tempdir()?;
    let config = TrainConfig {
        loss: kansei_recommend::model::sequential::LossKind::BinaryCrossEntropy,
        embedding_stdev: Some(0.01),
        weight_decay: 0.0,
        ..tiny_config(16, 1)
    };
    train(&split, &config, dir.path(), false, |_| {}, |_, _, _| {})?;
    let model = SequentialModel::load(RunFiles::in_dir(dir.path()).model)?;
    let recipe = &model.card().expect("card").training.description;
    for expected in [
        "binary cross-entropy",
        "weight decay 0",
        "standard deviation 0.01",
    ] {
        assert!(recipe.contains(expected), "{expected}: {recipe}");
    }
    Ok(())
}

/// A refit ([`TrainConfig::refit`]) trains on the validation items too, for exactly its epochs
/// (no early stopping, the last kept), counts the transitions on the same items and stores them
/// at the given weight; the test items stay out of everything it learns from.
#[test]
fn a_refit_learns_the_validation_items_and_keeps_its_last_epoch() -> TestResult {
    // The series, plus one player whose validation play (30 -> 17) follows their last training
    // play as nowhere else in the data; their test play is 5.
    let mut data = series_data(7, 15);
    data.users.push(vec![1, 2, 30, 17, 5]);
    let split = LeaveLastOut::new(&data);
    let dir = tempfile::tempdir()?;
    let validated = dir.path().join("validated");
    train(
        &split,
        &tiny_config(16, 2),
        &validated,
        false,
        |_| {},
        |_, _, _| {},
    )?;
    // The pair is in no training sequence: only the refit can count it.
    assert!(
        !split
            .train
            .iter()
            .any(|sequence| sequence.windows(2).any(|pair| pair == [30, 17]))
    );

    let refit_dir = dir.path().join("refit");
    let config = TrainConfig {
        // Patience 1 would stop a validated run that did not improve; a refit has nothing to
        // stop on.
        patience: 1,
        init_from: Some(RunFiles::in_dir(&validated).model),
        refit: Some(Refit {
            transitions_weight: 1.5,
        }),
        ..tiny_config(16, 3)
    };
    let mut reports = Vec::new();
    let state = train(
        &split,
        &config,
        &refit_dir,
        false,
        |epoch| reports.push(epoch.clone()),
        |_, _, _| {},
    )?;
    assert_eq!(state.epochs, 3);
    assert!(!state.stopped_early);
    assert_eq!(
        state.best.map(|(epoch, _)| epoch),
        Some(3),
        "the last epoch is kept"
    );
    assert!(reports.iter().all(|r| r.improved && r.valid_ndcg.is_nan()));
    let choice = state.transitions.as_ref().expect("transitions stored");
    assert_eq!((choice.weight, choice.trials.len()), (1.5, 0));

    let model = SequentialModel::load(RunFiles::in_dir(&refit_dir).model)?;
    let (markov, weight) = model.transitions().expect("transitions");
    assert_eq!(weight, 1.5);
    assert_eq!(markov.count(30, 17), 1, "the validation play is counted");
    assert_eq!(markov.count(17, 5), 0, "the test play is not");
    let recipe = &model.card().expect("card").training.description;
    for expected in ["refit", "for 3 epochs", "given to the refit"] {
        assert!(recipe.contains(expected), "{expected}: {recipe}");
    }
    assert!(!recipe.contains("early stopping"), "{recipe}");
    let data_note = &model.card().expect("card").training_data.description;
    assert!(
        data_note.contains("the one before it trained on"),
        "{data_note}"
    );

    // A finished refit resumed does nothing more; its state (NaN validation) reads back.
    let resumed = train(&split, &config, &refit_dir, true, |_| {}, |_, _, _| {})?;
    assert_eq!(resumed.epochs, 3);
    assert_eq!(resumed.transitions, state.transitions);

    // A negative weight is refused before anything is written.
    let bad = TrainConfig {
        refit: Some(Refit {
            transitions_weight: -1.0,
        }),
        ..config
    };
    let error = train(
        &split,
        &bad,
        &dir.path().join("bad"),
        false,
        |_| {},
        |_, _, _| {},
    )
    .expect_err("refused");
    assert!(error.to_string().contains("transitions weight"), "{error}");
    Ok(())
}
