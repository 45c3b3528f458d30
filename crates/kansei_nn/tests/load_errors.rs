//! One test per typed loading error: each checks the variant and that the message names the file
//! (and tensor); plus a byte-mangling sweep showing that no input makes loading panic.

mod common;

use std::collections::HashMap;

use candle_core::{DType, Device, Tensor};
use common::{TestResult, assert_names, card, expected, model_path, tensors};
use kansei_nn::{ModelError, card_path, load, save};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Saves the tiny model (version 1.0.0) in a fresh directory.
fn saved() -> Result<(tempfile::TempDir, std::path::PathBuf), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    save(&path, &card("1.0.0"), &tensors(0.5)?)?;
    Ok((dir, path))
}

/// Writes raw safetensors bytes with Kansei metadata, bypassing `save`'s own checks.
fn write_raw(path: &std::path::Path, tensors: &HashMap<String, Tensor>) -> TestResult {
    let metadata = HashMap::from([
        ("kansei.name".to_owned(), "tiny-dense".to_owned()),
        ("kansei.version".to_owned(), "1.0.0".to_owned()),
    ]);
    std::fs::write(path, safetensors::serialize(tensors, Some(metadata))?)?;
    Ok(())
}

/// Replaces text in the card next to `path`.
fn edit_card(path: &std::path::Path, from: &str, to: &str) -> TestResult {
    let card_path = card_path(path);
    let text = std::fs::read_to_string(&card_path)?;
    assert!(text.contains(from), "card lacks {from:?}:\n{text}");
    std::fs::write(&card_path, text.replacen(from, to, 1))?;
    Ok(())
}

#[test]
fn missing_tensor() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let mut partial = tensors(0.5)?;
    partial.remove("dense.bias");
    save(&path, &card("1.0.0"), &partial)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("bias is missing");
    assert!(
        matches!(&err, ModelError::MissingTensor { tensor, expected_shape, .. }
            if tensor == "dense.bias" && expected_shape == &[2]),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, Some("dense.bias"));
    Ok(())
}

#[test]
fn unexpected_tensor() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let mut extra = tensors(0.5)?;
    extra.insert(
        "dense.scale".into(),
        Tensor::ones(2, DType::F32, &Device::Cpu)?,
    );
    save(&path, &card("1.0.0"), &extra)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("scale is unexpected");
    assert!(
        matches!(&err, ModelError::UnexpectedTensor { tensor, .. } if tensor == "dense.scale"),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, Some("dense.scale"));
    Ok(())
}

#[test]
fn wrong_shape() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let mut transposed = tensors(0.5)?;
    transposed.insert(
        "dense.weight".into(),
        Tensor::zeros((3, 2), DType::F32, &Device::Cpu)?,
    );
    save(&path, &card("1.0.0"), &transposed)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("weight is transposed");
    assert!(
        matches!(&err, ModelError::ShapeMismatch { tensor, expected, found, .. }
            if tensor == "dense.weight" && expected == &[2, 3] && found == &[3, 2]),
        "{err:?}"
    );
    let message = err.to_string();
    assert_names(&message, &path, Some("dense.weight"));
    assert!(
        message.contains("[3, 2]") && message.contains("[2, 3]"),
        "{message}"
    );
    Ok(())
}

#[test]
fn wrong_dtype() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let mut doubled = tensors(0.5)?;
    let bias = doubled["dense.bias"].to_dtype(DType::F64)?;
    doubled.insert("dense.bias".into(), bias);
    save(&path, &card("1.0.0"), &doubled)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("bias is f64");
    assert!(
        matches!(&err, ModelError::DTypeMismatch { tensor, expected: DType::F32, found, .. }
            if tensor == "dense.bias" && found == "F64"),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, Some("dense.bias"));
    Ok(())
}

#[test]
fn nan_and_inf_values() -> TestResult {
    let (_dir, path) = saved()?;
    let mut poisoned = tensors(0.5)?;
    let w = Tensor::new(
        &[[1f32, 2.0, 3.0], [4.0, f32::NAN, f32::NEG_INFINITY]],
        &Device::Cpu,
    )?;
    poisoned.insert("dense.weight".into(), w);
    write_raw(&path, &poisoned)?;
    edit_card(&path, "weights_checksum", "// weights_checksum")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("weight has NaN and -inf");
    assert!(
        matches!(&err, ModelError::NonFinite { tensor, count: 2, first_index: 4, .. }
            if tensor == "dense.weight"),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, Some("dense.weight"));
    Ok(())
}

#[test]
fn save_refuses_nan_and_keeps_the_previous_model() -> TestResult {
    let (_dir, path) = saved()?;
    let mut poisoned = tensors(0.5)?;
    poisoned.insert(
        "dense.bias".into(),
        Tensor::new(&[0f32, f32::INFINITY], &Device::Cpu)?,
    );
    let err = save(&path, &card("2.0.0"), &poisoned).expect_err("inf must not be saved");
    assert!(
        matches!(&err, ModelError::NonFinite { tensor, count: 1, first_index: 1, .. }
            if tensor == "dense.bias"),
        "{err:?}"
    );
    assert_eq!(
        load(&path, &expected(), &Device::Cpu)?.card.version,
        "1.0.0"
    );
    Ok(())
}

#[test]
fn truncated_weights() -> TestResult {
    let (_dir, path) = saved()?;
    let bytes = std::fs::read(&path)?;
    std::fs::write(&path, &bytes[..bytes.len() - 3])?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("data is cut short");
    assert!(matches!(&err, ModelError::BadWeightsFile { .. }), "{err:?}");
    let message = err.to_string();
    assert_names(&message, &path, None);
    assert!(message.contains("truncated"), "{message}");

    // Cut inside the header, and inside the length prefix.
    for len in [20, 5, 0] {
        std::fs::write(&path, &bytes[..len])?;
        let err = load(&path, &expected(), &Device::Cpu).expect_err("header is cut short");
        assert!(
            matches!(&err, ModelError::BadWeightsFile { .. }),
            "{len}: {err:?}"
        );
        assert!(err.to_string().contains("truncated"), "{len}: {err}");
    }
    Ok(())
}

#[test]
fn not_a_safetensors_file() -> TestResult {
    let (_dir, path) = saved()?;
    std::fs::write(
        &path,
        b"\x10\x00\x00\x00\x00\x00\x00\x00<html>not json!</html>",
    )?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("garbage");
    assert!(matches!(&err, ModelError::BadWeightsFile { .. }), "{err:?}");
    assert_names(&err.to_string(), &path, None);
    Ok(())
}

#[test]
fn huge_header_length_is_refused_before_allocating() -> TestResult {
    let (_dir, path) = saved()?;
    let mut bytes = std::fs::read(&path)?;
    bytes[..8].copy_from_slice(&u64::MAX.to_le_bytes());
    std::fs::write(&path, &bytes)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("absurd header length");
    assert!(matches!(&err, ModelError::BadWeightsFile { .. }), "{err:?}");
    assert!(err.to_string().contains("header length"), "{err}");
    Ok(())
}

#[test]
fn version_mismatch() -> TestResult {
    let (_dir, path) = saved()?;
    edit_card(&path, "version: \"1.0.0\"", "version: \"1.1.0\"")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("card says 1.1.0");
    assert!(
        matches!(&err, ModelError::VersionMismatch { card, weights: Some(weights), .. }
            if card == "1.1.0" && weights == "1.0.0"),
        "{err:?}"
    );
    let message = err.to_string();
    assert_names(&message, &path, None);
    assert_names(&message, &card_path(&path), None);
    Ok(())
}

#[test]
fn name_mismatch() -> TestResult {
    let (_dir, path) = saved()?;
    edit_card(&path, "name: \"tiny-dense\"", "name: \"other-model\"")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("card is for another model");
    assert!(
        matches!(&err, ModelError::NameMismatch { card, weights: Some(weights), .. }
            if card == "other-model" && weights == "tiny-dense"),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, None);
    Ok(())
}

#[test]
fn weights_without_kansei_metadata() -> TestResult {
    let (_dir, path) = saved()?;
    std::fs::write(&path, safetensors::serialize(&tensors(0.5)?, None)?)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("foreign file");
    assert!(
        matches!(&err, ModelError::NameMismatch { weights: None, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("(none recorded)"), "{err}");
    Ok(())
}

#[test]
fn checksum_mismatch() -> TestResult {
    let (_dir, path) = saved()?;
    write_raw(&path, &tensors(0.75)?)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("weights replaced behind the card");
    assert!(
        matches!(&err, ModelError::ChecksumMismatch { .. }),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, None);
    Ok(())
}

#[test]
fn parameter_count_mismatch() -> TestResult {
    let (_dir, path) = saved()?;
    edit_card(&path, "parameters: 8", "parameters: 9")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("card overstates parameters");
    assert!(
        matches!(
            &err,
            ModelError::ParameterCountMismatch {
                card: 9,
                found: 8,
                ..
            }
        ),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, None);
    Ok(())
}

#[test]
fn malformed_card_reports_line_and_column() -> TestResult {
    let (_dir, path) = saved()?;
    let card_path = card_path(&path);
    let text = std::fs::read_to_string(&card_path)?;
    // Line 3 of the pretty-printed card is `    version: "1.0.0",`; make the value a number.
    let mut lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[2], "    version: \"1.0.0\",");
    lines[2] = "    version: 1,";
    std::fs::write(&card_path, lines.join("\n"))?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("version is not a string");
    let ModelError::MalformedCard { line, column, .. } = &err else {
        panic!("expected MalformedCard, got {err:?}");
    };
    assert_eq!((*line, *column), (3, 14), "{err}");
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}:3:14:", card_path.display())),
        "{message}"
    );

    // A syntax error: an unterminated string on line 2.
    lines[1] = "    name: \"tiny-dense,";
    lines[2] = "    version: \"1.0.0\",";
    std::fs::write(&card_path, lines.join("\n"))?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("broken string");
    assert!(
        matches!(&err, ModelError::MalformedCard { line: 3, .. }),
        "{err:?}"
    );

    // Unknown fields are typos, not extensions.
    std::fs::write(&card_path, text.replacen("task:", "tsak:", 1))?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("misspelt field");
    assert!(
        matches!(&err, ModelError::MalformedCard { line: 4, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("tsak"), "{err}");
    Ok(())
}

#[test]
fn invalid_card() -> TestResult {
    let (_dir, path) = saved()?;
    edit_card(&path, "name: \"tiny-dense\"", "name: \"  \"")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("empty name");
    assert!(matches!(&err, ModelError::InvalidCard { .. }), "{err:?}");
    assert_names(&err.to_string(), &card_path(&path), None);
    Ok(())
}

#[test]
fn io_errors_name_the_missing_file() -> TestResult {
    let (_dir, path) = saved()?;
    std::fs::remove_file(&path)?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("weights are gone");
    assert!(
        matches!(&err, ModelError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{err:?}"
    );
    assert_names(&err.to_string(), &path, None);

    std::fs::remove_file(card_path(&path))?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("card is gone");
    assert!(matches!(&err, ModelError::Io { .. }), "{err:?}");
    assert_names(&err.to_string(), &card_path(&path), None);
    Ok(())
}

#[test]
fn card_that_is_not_utf8() -> TestResult {
    let (_dir, path) = saved()?;
    std::fs::write(card_path(&path), b"ModelCard(\n  name: \"\xff\xfe\",\n)")?;
    let err = load(&path, &expected(), &Device::Cpu).expect_err("binary card");
    assert!(
        matches!(
            &err,
            ModelError::MalformedCard {
                line: 2,
                column: 10,
                ..
            }
        ),
        "{err:?}"
    );
    Ok(())
}

/// Truncations at every length and thousands of random byte corruptions of a valid file: loading
/// must return (an error or, for harmless flips, a model) and never panic.
#[test]
fn no_byte_input_panics() -> TestResult {
    let (_dir, path) = saved()?;
    let good = std::fs::read(&path)?;
    for len in 0..good.len() {
        std::fs::write(&path, &good[..len])?;
        assert!(
            load(&path, &expected(), &Device::Cpu).is_err(),
            "truncated to {len} loaded"
        );
    }
    let mut rng = StdRng::seed_from_u64(99);
    for _ in 0..2000 {
        let mut bytes = good.clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random();
        }
        std::fs::write(&path, &bytes)?;
        let _ = load(&path, &expected(), &Device::Cpu);
    }
    // Mangled cards: parse errors at worst.
    std::fs::write(&path, &good)?;
    let card_file = card_path(&path);
    let good_card = std::fs::read(&card_file)?;
    for _ in 0..1000 {
        let mut bytes = good_card.clone();
        for _ in 0..rng.random_range(1..4) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] = rng.random();
        }
        bytes.truncate(rng.random_range(0..=bytes.len()));
        std::fs::write(&card_file, &bytes)?;
        let _ = load(&path, &expected(), &Device::Cpu);
    }
    std::fs::write(&card_file, &good_card)?;
    // Random headers with plausible lengths.
    for _ in 0..500 {
        let body_len = rng.random_range(0..64_usize);
        let mut bytes = (body_len as u64).to_le_bytes().to_vec();
        bytes.extend((0..body_len + rng.random_range(0..8)).map(|_| rng.random::<u8>()));
        std::fs::write(&path, &bytes)?;
        assert!(load(&path, &expected(), &Device::Cpu).is_err());
    }
    Ok(())
}
