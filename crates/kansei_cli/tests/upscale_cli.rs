//! `kansei upscale run` and `kansei upscale eval`: agreement between the two on a real Set5
//! image, the output formats, and one-line errors (exit code 1, no panic) on bad input.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use kansei_upscale::ImageF32;
use kansei_upscale::eval::{
    Luma, Scale, load_png, load_png_with_luma, save_png_rgb8, score_with_luma,
};
use serde_json::Value;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn kansei<I: AsRef<OsStr>>(args: &[I]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .output()
}

fn set5_x2() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/sr/Set5/x2");
    assert!(
        dir.is_dir(),
        "SR test data missing: {} does not exist (see ../shared/data/README.md)",
        dir.display()
    );
    dir
}

/// Asserts a failed run: exit code 1 and a single `kansei: ...` line on stderr.
fn assert_one_line_error(out: &Output) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("kansei: "), "{stderr}");
    stderr
}

fn stdout_json(out: &Output) -> Result<Value, Box<dyn std::error::Error>> {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

/// A small HR-only data set (LR images are made by downscaling).
fn synthetic_dataset(dir: &Path) -> TestResult {
    for (i, size) in [(0_u32, 36_u32), (1, 48)] {
        let image = ImageF32::from_fn(size, size, |x, y| {
            let v = ((x * (3 + i) + y * 5) % 17) as f32 / 16.0;
            [v, 1.0 - v, x as f32 / size as f32, 1.0]
        })?;
        save_png_rgb8(&image, &dir.join(format!("img{i}.png")))?;
    }
    Ok(())
}

#[test]
fn run_writes_the_image_eval_scores() -> TestResult {
    let data = set5_x2();
    let eval = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("eval"),
        OsStr::new("--data"),
        data.as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("2"),
        OsStr::new("--method"),
        OsStr::new("bicubic"),
        OsStr::new("--json"),
        OsStr::new("--no-gpu"),
    ])?;
    let report = stdout_json(&eval)?;
    let reported = report["methods"][0]["per_image"]
        .as_array()
        .ok_or("no per_image array")?
        .iter()
        .find(|image| image["name"] == "img_001_SRF_2")
        .and_then(|image| image["psnr_y"].as_f64())
        .ok_or("img_001_SRF_2 missing from the report")?;

    let dir = tempfile::tempdir()?;
    let out_path = dir.path().join("sr.png");
    let run = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("run"),
        OsStr::new("--in"),
        data.join("img_001_SRF_2_LR.png").as_os_str(),
        OsStr::new("--out"),
        out_path.as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("2"),
        OsStr::new("--method"),
        OsStr::new("bicubic"),
    ])?;
    assert!(
        run.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&run.stderr)
    );
    let written = load_png(&out_path)?;
    let (hr, luma) = load_png_with_luma(&data.join("img_001_SRF_2_HR.png"))?;
    assert_eq!(luma, Luma::Bt601);
    assert_eq!(
        (written.width(), written.height()),
        (hr.width(), hr.height())
    );
    let measured = score_with_luma(&written, &hr, Scale::X2, luma)?.psnr_y;
    assert!(
        (measured - reported).abs() < 0.01,
        "PSNR-Y of the written PNG {measured:.4} dB vs eval's {reported:.4} dB"
    );
    Ok(())
}

#[test]
fn eval_prints_a_table_with_every_available_method() -> TestResult {
    let dir = tempfile::tempdir()?;
    synthetic_dataset(dir.path())?;
    let out = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("eval"),
        OsStr::new("--data"),
        dir.path().as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("3"),
        OsStr::new("--no-gpu"),
    ])?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("2 images, LR made by antialiased bicubic"),
        "{stdout}"
    );
    assert!(stdout.contains("gpu: not measured"), "{stdout}");
    for needle in ["bilinear", "bicubic", "PSNR-Y per image", "img0", "img1"] {
        assert!(stdout.contains(needle), "missing {needle}: {stdout}");
    }
    Ok(())
}

#[test]
fn eval_json_includes_gpu_timing_and_projections() -> TestResult {
    let dir = tempfile::tempdir()?;
    synthetic_dataset(dir.path())?;
    let out = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("eval"),
        OsStr::new("--data"),
        dir.path().as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("4"),
        OsStr::new("--method"),
        OsStr::new("bilinear"),
        OsStr::new("--json"),
    ])?;
    let report = stdout_json(&out)?;
    assert_eq!(report["scale"], 4);
    assert_eq!(report["images"], 2);
    assert_eq!(report["lr"], "downscaled");
    assert!(report["gpu_adapter"].is_string(), "{report:#}");
    let method = &report["methods"][0];
    assert_eq!(method["name"], "bilinear");
    assert_eq!(method["macs_per_output_pixel"], 12.0);
    assert_eq!(method["gpu"]["output"], serde_json::json!([1920, 1080]));
    assert_eq!(method["gpu"]["runs_ms"].as_array().map(Vec::len), Some(5));
    assert!(
        method["gpu"]["median_ms"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0)
    );
    // 540p -> 1080p bilinear is memory-bound: 20,736,000 bytes at 448 GB/s = 46.29 us.
    let p = &method["ps5_540p_to_1080p"];
    assert_eq!(p["bound"], "memory");
    assert!(
        p["ms"]
            .as_f64()
            .is_some_and(|ms| (ms - 0.046_285_714).abs() < 1e-6)
    );
    assert_eq!(method["per_image"].as_array().map(Vec::len), Some(2));
    Ok(())
}

#[test]
fn run_with_a_missing_input_names_it() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("absent_LR.png");
    let out = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("run"),
        OsStr::new("--in"),
        missing.as_os_str(),
        OsStr::new("--out"),
        dir.path().join("sr.png").as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("2"),
        OsStr::new("--method"),
        OsStr::new("bicubic"),
    ])?;
    let stderr = assert_one_line_error(&out);
    assert!(
        stderr.contains("cannot read `") && stderr.contains("absent_LR.png"),
        "{stderr}"
    );
    assert!(!dir.path().join("sr.png").exists());
    Ok(())
}

#[test]
fn unsupported_scale_is_a_one_line_error() -> TestResult {
    let data = set5_x2();
    for command in ["run", "eval"] {
        let args: Vec<&OsStr> = match command {
            "run" => vec![
                OsStr::new("upscale"),
                OsStr::new("run"),
                OsStr::new("--in"),
                OsStr::new("lr.png"),
                OsStr::new("--out"),
                OsStr::new("sr.png"),
                OsStr::new("--scale"),
                OsStr::new("5"),
                OsStr::new("--method"),
                OsStr::new("bicubic"),
            ],
            _ => vec![
                OsStr::new("upscale"),
                OsStr::new("eval"),
                OsStr::new("--data"),
                data.as_os_str(),
                OsStr::new("--scale"),
                OsStr::new("5"),
            ],
        };
        let stderr = assert_one_line_error(&kansei(&args)?);
        assert_eq!(
            stderr.trim_end(),
            "kansei: unsupported scale 5: only 2, 3 and 4 are supported"
        );
    }
    Ok(())
}

#[test]
fn unknown_methods_and_missing_models_are_one_line_errors() -> TestResult {
    let data = set5_x2();
    let no_models = tempfile::tempdir()?;
    let eval_with = |method: &str| {
        Command::new(env!("CARGO_BIN_EXE_kansei"))
            .args([
                OsStr::new("upscale"),
                OsStr::new("eval"),
                OsStr::new("--data"),
                data.as_os_str(),
                OsStr::new("--scale"),
                OsStr::new("2"),
                OsStr::new("--no-gpu"),
                OsStr::new("--method"),
                OsStr::new(method),
            ])
            // An empty models folder: no trained network exists there.
            .env("KANSEI_MODELS", no_models.path())
            .output()
    };
    let stderr = assert_one_line_error(&eval_with("magic")?);
    assert!(
        stderr.contains(
            "unknown method `magic`; available: nearest, bilinear, bicubic, lanczos3, fsr1, \
             fast, balanced"
        ),
        "{stderr}"
    );
    let stderr = assert_one_line_error(&eval_with("balanced")?);
    assert!(
        stderr.contains("kansei-upscale-balanced-x2"),
        "a missing model must be named: {stderr}"
    );
    Ok(())
}

#[test]
fn eval_of_a_missing_folder_is_a_one_line_error() -> TestResult {
    let dir = tempfile::tempdir()?;
    let missing = dir.path().join("no_such_set");
    let out = kansei(&[
        OsStr::new("upscale"),
        OsStr::new("eval"),
        OsStr::new("--data"),
        missing.as_os_str(),
        OsStr::new("--scale"),
        OsStr::new("2"),
    ])?;
    let stderr = assert_one_line_error(&out);
    assert!(
        stderr.contains("no_such_set") && stderr.contains("does not exist"),
        "{stderr}"
    );
    Ok(())
}
