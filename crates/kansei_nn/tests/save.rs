//! Saving: bit-exact round trips, crash safety of the atomic save, and loading into code.

mod common;

use std::collections::HashMap;
use std::io;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarMap;
use common::{TestResult, card, expected, model_path, tensors, values};
use kansei_nn::{
    ExpectedTensors, ModelCard, ModelError, SaveIo, StdIo, card_path, load, load_into_varmap, save,
    save_varmap, save_with, seeded_var_builder, temp_path,
};

/// A [`SaveIo`] that simulates power loss: after `budget` bytes it writes a partial file and
/// fails, or it fails the `fail_rename`-th rename (0-based); after that every operation fails,
/// so nothing is cleaned up, just as after a real crash.
struct CrashingIo {
    budget: usize,
    fail_rename: Option<usize>,
    renames: usize,
    crashed: bool,
}

impl CrashingIo {
    fn after_bytes(budget: usize) -> Self {
        Self {
            budget,
            fail_rename: None,
            renames: 0,
            crashed: false,
        }
    }

    fn at_rename(index: usize) -> Self {
        Self {
            budget: usize::MAX,
            fail_rename: Some(index),
            renames: 0,
            crashed: false,
        }
    }

    fn crash(&mut self) -> io::Error {
        self.crashed = true;
        io::Error::other("injected crash")
    }
}

impl SaveIo for CrashingIo {
    fn write_synced(&mut self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        if self.crashed {
            return Err(io::Error::other("after crash"));
        }
        if bytes.len() > self.budget {
            std::fs::write(path, &bytes[..self.budget])?;
            return Err(self.crash());
        }
        self.budget -= bytes.len();
        StdIo.write_synced(path, bytes)
    }

    fn rename(&mut self, from: &Path, to: &Path) -> io::Result<()> {
        if self.crashed || self.fail_rename == Some(self.renames) {
            return Err(self.crash());
        }
        self.renames += 1;
        StdIo.rename(from, to)
    }

    fn sync_dir(&mut self, dir: &Path) -> io::Result<()> {
        if self.crashed {
            return Err(io::Error::other("after crash"));
        }
        StdIo.sync_dir(dir)
    }

    fn remove(&mut self, path: &Path) -> io::Result<()> {
        if self.crashed {
            return Err(io::Error::other("after crash"));
        }
        StdIo.remove(path)
    }
}

fn bits(t: &Tensor) -> candle_core::Result<Vec<u64>> {
    Ok(match t.dtype() {
        DType::F64 => t
            .flatten_all()?
            .to_vec1::<f64>()?
            .iter()
            .map(|v| v.to_bits())
            .collect(),
        DType::U32 => t
            .flatten_all()?
            .to_vec1::<u32>()?
            .into_iter()
            .map(u64::from)
            .collect(),
        _ => t
            .flatten_all()?
            .to_dtype(DType::F32)?
            .to_vec1::<f32>()?
            .iter()
            .map(|v| u64::from(v.to_bits()))
            .collect(),
    })
}

#[test]
fn round_trip_is_bit_exact() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("exact.safetensors");
    let dev = Device::Cpu;
    let awkward = [
        0.0f32,
        -0.0,
        f32::MIN_POSITIVE / 4.0,
        f32::MAX,
        f32::MIN,
        1.0 / 3.0,
        -7.5e-39,
    ];
    let tensors = HashMap::from([
        ("f32".to_owned(), Tensor::new(&awkward, &dev)?),
        (
            "f64".to_owned(),
            Tensor::new(&[std::f64::consts::PI, -1e-310, 2.0f64.powi(-1074)], &dev)?,
        ),
        (
            "f16".to_owned(),
            Tensor::new(&[0.1f32, -65504.0, 6e-8], &dev)?.to_dtype(DType::F16)?,
        ),
        (
            "bf16".to_owned(),
            Tensor::new(&[0.1f32, -3e38, 1e-40], &dev)?.to_dtype(DType::BF16)?,
        ),
        ("u32".to_owned(), Tensor::new(&[0u32, u32::MAX, 7], &dev)?),
        ("empty".to_owned(), Tensor::zeros((0, 3), DType::F32, &dev)?),
        ("scalar".to_owned(), Tensor::new(2.5f32, &dev)?),
    ]);
    let written = save(&path, &card("1.0.0"), &tensors)?;
    assert_eq!(written.parameters, 7 + 3 + 3 + 3 + 3 + 1);
    assert!(
        written
            .weights_checksum
            .as_deref()
            .is_some_and(|c| c.starts_with("fnv1a64:"))
    );

    let loaded = load(&path, &ExpectedTensors::from_tensors(&tensors), &dev)?;
    assert_eq!(loaded.card, written);
    assert_eq!(loaded.tensors.len(), tensors.len());
    for (name, original) in &tensors {
        let back = &loaded.tensors[name];
        assert_eq!(back.dtype(), original.dtype(), "{name}");
        assert_eq!(back.dims(), original.dims(), "{name}");
        assert_eq!(bits(back)?, bits(original)?, "{name}");
    }
    Ok(())
}

#[test]
fn card_lives_next_to_the_weights_and_reads_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    assert_eq!(card_path(&path), dir.path().join("tiny.model.ron"));
    assert_eq!(
        card_path("a/b.v2.safetensors"),
        Path::new("a/b.v2.model.ron")
    );
    let written = save(&path, &card("3.1.4"), &tensors(0.5)?)?;
    let text = std::fs::read_to_string(card_path(&path))?;
    assert!(text.starts_with("ModelCard("), "{text}");
    assert!(
        text.contains("Named(\"batch\")") && text.contains("Fixed(3)"),
        "{text}"
    );
    assert_eq!(ModelCard::read(card_path(&path))?, written);
    assert_eq!(written.parameters, 8);
    // No temporaries are left behind by a successful save.
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())?
        .map(|entry| entry.map(|e| e.file_name()))
        .collect::<Result<_, _>>()?;
    assert_eq!(leftovers.len(), 2, "{leftovers:?}");
    Ok(())
}

/// A save that dies while writing its temporary files leaves the previous model loadable with its
/// previous values, whether it dies in the weights or in the card.
#[test]
fn interrupted_save_keeps_the_previous_model() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    save(&path, &card("1.0.0"), &tensors(0.5)?)?;
    let before = load(&path, &expected(), &Device::Cpu)?;
    let weights_len = std::fs::metadata(&path)?.len() as usize;

    for budget in [0, 40, weights_len + 25] {
        let mut io = CrashingIo::after_bytes(budget);
        let err = save_with(&mut io, &path, &card("2.0.0"), &tensors(9.0)?)
            .expect_err("the injected crash must surface");
        assert!(
            matches!(
                &err,
                ModelError::Io {
                    action: "write",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(err.to_string().contains(".tmp"), "{err}");

        let after = load(&path, &expected(), &Device::Cpu)?;
        assert_eq!(after.card, before.card, "budget {budget}");
        for name in ["dense.weight", "dense.bias"] {
            assert_eq!(
                values(&after.tensors[name])?,
                values(&before.tensors[name])?,
                "budget {budget}"
            );
        }
    }
    assert!(
        temp_path(&path).exists(),
        "a crash leaves its partial temporary behind"
    );

    // The next save overwrites the leftovers and succeeds.
    save(&path, &card("3.0.0"), &tensors(1.5)?)?;
    assert!(!temp_path(&path).exists() && !temp_path(&card_path(&path)).exists());
    let now = load(&path, &expected(), &Device::Cpu)?;
    assert_eq!(now.card.version, "3.0.0");
    assert_eq!(values(&now.tensors["dense.bias"])?, vec![1.5, -1.5]);
    Ok(())
}

/// A crash between the two renames leaves new weights with the old card: loading reports a
/// version mismatch instead of mixing them.
#[test]
fn crash_between_renames_is_a_version_mismatch() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    save(&path, &card("1.0.0"), &tensors(0.5)?)?;
    let err = save_with(
        &mut CrashingIo::at_rename(1),
        &path,
        &card("2.0.0"),
        &tensors(9.0)?,
    )
    .expect_err("the second rename fails");
    assert!(
        matches!(
            &err,
            ModelError::Io {
                action: "rename",
                ..
            }
        ),
        "{err:?}"
    );

    let err = load(&path, &expected(), &Device::Cpu).expect_err("weights and card disagree");
    assert!(
        matches!(&err, ModelError::VersionMismatch { card, weights: Some(weights), .. }
            if card == "1.0.0" && weights == "2.0.0"),
        "{err:?}"
    );

    // Same again without bumping the version: the card's checksum still catches it.
    save(&path, &card("1.0.0"), &tensors(0.5)?)?;
    save_with(
        &mut CrashingIo::at_rename(1),
        &path,
        &card("1.0.0"),
        &tensors(9.0)?,
    )
    .expect_err("the second rename fails");
    let err = load(&path, &expected(), &Device::Cpu).expect_err("weights changed under the card");
    assert!(
        matches!(&err, ModelError::ChecksumMismatch { .. }),
        "{err:?}"
    );

    // A crash before the first rename changes nothing.
    save(&path, &card("1.0.0"), &tensors(0.5)?)?;
    save_with(
        &mut CrashingIo::at_rename(0),
        &path,
        &card("2.0.0"),
        &tensors(9.0)?,
    )
    .expect_err("the first rename fails");
    assert_eq!(
        load(&path, &expected(), &Device::Cpu)?.card.version,
        "1.0.0"
    );
    Ok(())
}

#[test]
fn save_refuses_an_invalid_card_without_touching_files() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let err = save(&path, &card(""), &tensors(0.5)?).expect_err("empty version");
    assert!(matches!(&err, ModelError::InvalidCard { .. }), "{err:?}");
    assert!(!path.exists() && !card_path(&path).exists());
    Ok(())
}

/// The loaded tensors rebuild the model through a `VarBuilder`, and `load_into_varmap` restores an
/// existing `VarMap` for fine-tuning.
#[test]
fn loads_into_code() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = model_path(dir.path());
    let dev = Device::Cpu;
    let build = |vb: candle_nn::VarBuilder| candle_nn::linear(3, 2, vb.pp("dense"));

    let trained = VarMap::new();
    let model = build(seeded_var_builder(&trained, 1, DType::F32, &dev))?;
    save_varmap(&path, &card("1.0.0"), &trained)?;

    let spec = ExpectedTensors::from_constructor(DType::F32, build)?;
    assert_eq!(spec, expected());
    let loaded = load(&path, &spec, &dev)?;
    let rebuilt = build(loaded.var_builder(DType::F32, &dev))?;
    let xs = Tensor::new(&[[1f32, -2.0, 0.5]], &dev)?;
    assert_eq!(
        values(&model.forward(&xs)?)?,
        values(&rebuilt.forward(&xs)?)?
    );

    let fresh = VarMap::new();
    let other = build(seeded_var_builder(&fresh, 2, DType::F32, &dev))?;
    assert_ne!(values(&model.forward(&xs)?)?, values(&other.forward(&xs)?)?);
    let card = load_into_varmap(&path, &fresh)?;
    assert_eq!(card.version, "1.0.0");
    assert_eq!(values(&model.forward(&xs)?)?, values(&other.forward(&xs)?)?);

    // A varmap of another architecture is refused and left unchanged.
    let wider = VarMap::new();
    let wide = candle_nn::linear(
        3,
        4,
        seeded_var_builder(&wider, 3, DType::F32, &dev).pp("dense"),
    )?;
    let before = values(&wide.forward(&xs)?)?;
    let err = load_into_varmap(&path, &wider).expect_err("shapes differ");
    assert!(matches!(&err, ModelError::ShapeMismatch { .. }), "{err:?}");
    assert_eq!(values(&wide.forward(&xs)?)?, before);
    Ok(())
}
