//! The evaluation protocol against the published numbers, on the real Set5 and Set14 files in
//! `../shared/data/sr/` (see that folder's README). Never skipped: missing data fails the test
//! with the path it looked for.

use std::path::PathBuf;

use kansei_upscale::eval::{
    Dataset, LrSource, Luma, Method, Scale, downscale_matlab_uint8, load_png, load_samples,
    score_method,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

/// Published bicubic PSNR-Y on Set5 x2 (Huang et al., CVPR 2015, on exactly these files).
const PUBLISHED_BICUBIC_SET5_X2: f64 = 33.64;

/// Published bicubic PSNR-Y on Set14 x2; Set14 holds a greyscale image, so this also checks that
/// greyscale images are scored on their grey level.
const PUBLISHED_BICUBIC_SET14_X2: f64 = 30.22;

fn data(set: &str, scale: u32) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/sr")
        .join(set)
        .join(format!("x{scale}"));
    assert!(
        dir.is_dir(),
        "SR test data missing: {} does not exist (see ../shared/data/README.md)",
        dir.display()
    );
    dir
}

#[test]
fn bicubic_on_set5_x2_matches_the_published_psnr() -> TestResult {
    let dataset = Dataset::discover(&data("Set5", 2))?;
    assert_eq!(dataset.entries.len(), 5);
    let samples = load_samples(&dataset, Scale::X2)?;
    let scores = score_method(Method::Bicubic, &samples, Scale::X2)?;
    let mean = scores.iter().map(|s| s.scores.psnr_y).sum::<f64>() / scores.len() as f64;
    for s in &scores {
        eprintln!(
            "{}: {:.4} dB, SSIM {:.4}",
            s.name, s.scores.psnr_y, s.scores.ssim_y
        );
    }
    eprintln!("mean PSNR-Y {mean:.4} dB (published {PUBLISHED_BICUBIC_SET5_X2})");
    assert!(
        (mean - PUBLISHED_BICUBIC_SET5_X2).abs() < 0.05,
        "bicubic Set5 x2 mean PSNR-Y {mean:.4} dB is not within 0.05 dB of the published \
         {PUBLISHED_BICUBIC_SET5_X2}"
    );
    Ok(())
}

#[test]
fn bicubic_on_set14_x2_matches_the_published_psnr() -> TestResult {
    let dataset = Dataset::discover(&data("Set14", 2))?;
    assert_eq!(dataset.entries.len(), 14);
    let samples = load_samples(&dataset, Scale::X2)?;
    assert_eq!(
        samples.iter().filter(|s| s.luma == Luma::Grey).count(),
        1,
        "Set14 holds one greyscale image"
    );
    let scores = score_method(Method::Bicubic, &samples, Scale::X2)?;
    let mean = scores.iter().map(|s| s.scores.psnr_y).sum::<f64>() / scores.len() as f64;
    eprintln!("mean PSNR-Y {mean:.4} dB (published {PUBLISHED_BICUBIC_SET14_X2})");
    assert!(
        (mean - PUBLISHED_BICUBIC_SET14_X2).abs() < 0.05,
        "bicubic Set14 x2 mean PSNR-Y {mean:.4} dB is not within 0.05 dB of the published \
         {PUBLISHED_BICUBIC_SET14_X2}"
    );
    Ok(())
}

#[test]
fn antialiased_downscale_reproduces_the_published_lr_images_exactly() -> TestResult {
    // The LR files were made from these HR files with bicubic `imresize` on 8-bit images.
    for scale in [2, 3, 4] {
        let dataset = Dataset::discover(&data("Set5", scale))?;
        for entry in &dataset.entries {
            let LrSource::File(lr_path) = &entry.lr else {
                return Err("Set5 ships LR files".into());
            };
            let ours = downscale_matlab_uint8(&load_png(&entry.hr)?, scale)?;
            let theirs = load_png(lr_path)?;
            let diff = ours
                .max_abs_diff(&theirs)
                .ok_or("LR size differs from the downscaled HR")?;
            assert_eq!(
                diff,
                0.0,
                "x{scale} {}: differs from the published LR file by up to {} levels",
                entry.name,
                diff * 255.0
            );
        }
    }
    Ok(())
}
