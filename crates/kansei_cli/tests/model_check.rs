//! `kansei model check` on a valid model, a truncated one and one whose card was edited.

use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

use candle_core::{Device, Tensor};
use kansei_nn::{
    CardDType, Dim, InferenceCost, ModelCard, TensorSignature, TrainingData, TrainingRecipe,
    card_path, save,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn card() -> ModelCard {
    ModelCard {
        name: "cli-fixture".into(),
        version: "1.0.0".into(),
        task: "scores 3 features".into(),
        inputs: vec![TensorSignature {
            name: "features".into(),
            shape: vec![Dim::Named("batch".into()), Dim::Fixed(3)],
            dtype: CardDType::F32,
        }],
        outputs: vec![TensorSignature {
            name: "score".into(),
            shape: vec![Dim::Named("batch".into()), Dim::Fixed(2)],
            dtype: CardDType::F32,
        }],
        parameters: 0,
        cost: InferenceCost {
            macs_per_unit: 6,
            unit: "decision".into(),
        },
        training_data: TrainingData {
            description: "none".into(),
            provenance: "written by this test".into(),
            licence: "CC0-1.0".into(),
        },
        training: TrainingRecipe {
            description: "not trained".into(),
            steps: 0,
            wall_time_s: 0.0,
            machine: "test".into(),
        },
        intended_use: "testing the CLI".into(),
        limitations: vec!["untrained".into()],
        weights_checksum: None,
    }
}

fn write_model(path: &Path) -> TestResult {
    let tensors = HashMap::from([
        (
            "dense.weight".to_owned(),
            Tensor::new(&[[0.5f32, -1.0, 2.0], [0.0, 1.5, -0.25]], &Device::Cpu)?,
        ),
        (
            "dense.bias".to_owned(),
            Tensor::new(&[0.1f32, -0.1], &Device::Cpu)?,
        ),
    ]);
    save(path, &card(), &tensors)?;
    Ok(())
}

fn kansei(args: &[&std::ffi::OsStr]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .output()
}

#[test]
fn check_accepts_a_valid_model_and_describes_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fixture.safetensors");
    write_model(&path)?;
    let out = kansei(&["model".as_ref(), "check".as_ref(), path.as_os_str()])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("cli-fixture 1.0.0"), "{stdout}");
    assert!(
        stdout.contains("8 parameters in 2 tensors, 6 multiply-adds per decision"),
        "{stdout}"
    );
    Ok(())
}

#[test]
fn check_rejects_a_truncated_weights_file_naming_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fixture.safetensors");
    write_model(&path)?;
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() - 5])?;
    let out = kansei(&["model".as_ref(), "check".as_ref(), path.as_os_str()])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains(&path.display().to_string()), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}

#[test]
fn check_rejects_a_card_with_the_wrong_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("fixture.safetensors");
    write_model(&path)?;
    let card_file = card_path(&path);
    let text = std::fs::read_to_string(&card_file)?.replace("\"1.0.0\"", "\"1.0.1\"");
    std::fs::write(&card_file, text)?;
    let out = kansei(&["model".as_ref(), "check".as_ref(), path.as_os_str()])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("1.0.1") && stderr.contains("1.0.0"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn a_missing_file_is_an_error_not_a_panic() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("absent.safetensors");
    let out = kansei(&["model".as_ref(), "check".as_ref(), path.as_os_str()])?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("absent"), "{stderr}");
    Ok(())
}
