//! Data set discovery and loading: both folder layouts and every error a user can hit.

use std::path::Path;

use kansei_upscale::ImageF32;
use kansei_upscale::eval::{
    Dataset, EvalError, LrSource, Scale, load_sample, load_samples, save_png_rgb8,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn write_png(dir: &Path, name: &str, width: u32, height: u32) -> TestResult {
    let image = ImageF32::from_fn(width, height, |x, y| {
        [x as f32 / width as f32, y as f32 / height as f32, 0.5, 1.0]
    })?;
    save_png_rgb8(&image, &dir.join(name))?;
    Ok(())
}

fn message(result: Result<Dataset, EvalError>) -> String {
    result.err().map(|e| e.to_string()).unwrap_or_default()
}

#[test]
fn pairs_are_matched_by_prefix_and_sorted() -> TestResult {
    let dir = tempfile::tempdir()?;
    for name in ["b", "a"] {
        write_png(dir.path(), &format!("{name}_HR.png"), 8, 6)?;
        write_png(dir.path(), &format!("{name}_LR.png"), 4, 3)?;
    }
    // Non-PNG files are ignored.
    std::fs::write(dir.path().join("README.txt"), "notes")?;
    let dataset = Dataset::discover(dir.path())?;
    let names: Vec<&str> = dataset.entries.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["a", "b"]);
    assert!(dataset.has_lr_files());
    assert_eq!(
        dataset.entries[0].lr,
        LrSource::File(dir.path().join("a_LR.png"))
    );
    let samples = load_samples(&dataset, Scale::X2)?;
    assert_eq!((samples[1].lr.width(), samples[1].lr.height()), (4, 3));
    Ok(())
}

#[test]
fn hr_only_folders_get_downscaled_lr_images() -> TestResult {
    let dir = tempfile::tempdir()?;
    // 13x10 at x3: cropped to 12x9, LR 4x3.
    write_png(dir.path(), "photo.png", 13, 10)?;
    let dataset = Dataset::discover(dir.path())?;
    assert!(!dataset.has_lr_files());
    assert_eq!(dataset.entries[0].lr, LrSource::Downscale);
    let sample = load_sample(&dataset.entries[0], Scale::X3)?;
    assert_eq!((sample.hr.width(), sample.hr.height()), (13, 10));
    assert_eq!((sample.lr.width(), sample.lr.height()), (4, 3));
    // The made LR image is quantised to 8 bits, like a saved one.
    for p in sample.lr.pixels() {
        for &c in &p[..3] {
            assert_eq!(c, (c * 255.0).round() / 255.0);
        }
    }
    Ok(())
}

#[test]
fn a_missing_folder_is_named() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("nowhere");
    let err = message(Dataset::discover(&missing));
    assert!(err.starts_with("data folder `"), "{err}");
    assert!(
        err.contains("nowhere") && err.contains("does not exist"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_folder_without_pngs_is_empty() -> TestResult {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("image.jpg"), "not a png")?;
    let err = message(Dataset::discover(dir.path()));
    assert!(err.ends_with("holds no .png images"), "{err}");
    Ok(())
}

#[test]
fn unpaired_files_name_the_missing_partner() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_png(dir.path(), "a_HR.png", 8, 8)?;
    write_png(dir.path(), "a_LR.png", 4, 4)?;
    write_png(dir.path(), "b_HR.png", 8, 8)?;
    let err = message(Dataset::discover(dir.path()));
    assert!(
        err.contains("b_HR.png` has no matching `b_LR.png`"),
        "{err}"
    );

    let dir = tempfile::tempdir()?;
    write_png(dir.path(), "c_LR.png", 4, 4)?;
    let err = message(Dataset::discover(dir.path()));
    assert!(
        err.contains("c_LR.png` has no matching `c_HR.png`"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_stray_png_among_pairs_is_an_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_png(dir.path(), "a_HR.png", 8, 8)?;
    write_png(dir.path(), "a_LR.png", 4, 4)?;
    write_png(dir.path(), "extra.png", 4, 4)?;
    let err = message(Dataset::discover(dir.path()));
    assert!(
        err.contains("extra.png") && err.contains("is neither"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_corrupt_png_is_named_when_loaded() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_png(dir.path(), "a_HR.png", 8, 8)?;
    std::fs::write(dir.path().join("a_LR.png"), b"definitely not a png")?;
    let dataset = Dataset::discover(dir.path())?;
    let err = load_samples(&dataset, Scale::X2)
        .err()
        .ok_or("loaded a corrupt PNG")?
        .to_string();
    assert!(err.starts_with("cannot decode PNG `"), "{err}");
    assert!(err.contains("a_LR.png"), "{err}");
    Ok(())
}

#[test]
fn a_wrong_lr_size_names_both_files_and_sizes() -> TestResult {
    let dir = tempfile::tempdir()?;
    write_png(dir.path(), "a_HR.png", 12, 8)?;
    write_png(dir.path(), "a_LR.png", 6, 4)?;
    let dataset = Dataset::discover(dir.path())?;
    // Right at x2, wrong at x3 and x4.
    assert!(load_samples(&dataset, Scale::X2).is_ok());
    let err = load_samples(&dataset, Scale::X3)
        .err()
        .ok_or("accepted a wrong LR size")?;
    assert!(matches!(err, EvalError::LrSize { .. }));
    let err = err.to_string();
    assert!(
        err.contains("a_LR.png` is 6x4")
            && err.contains("a_HR.png` is 12x8")
            && err.contains("scale 3 needs an LR image of 4x2"),
        "{err}"
    );
    Ok(())
}

#[test]
fn unsupported_scales_are_rejected() {
    let err = Scale::new(5).err().map(|e| e.to_string());
    assert_eq!(
        err.as_deref(),
        Some("unsupported scale 5: only 2, 3 and 4 are supported")
    );
}
