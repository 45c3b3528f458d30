//! `kansei upscale train` with tiny settings: it trains, checkpoints, draws the loss curve,
//! resumes, writes a model that `kansei model check` accepts, and fails with one line on bad
//! input.

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Output};

use kansei_upscale::ImageF32;
use kansei_upscale::eval::save_png_rgb8;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn kansei<I: AsRef<OsStr>>(args: &[I]) -> std::io::Result<Output> {
    Command::new(env!("CARGO_BIN_EXE_kansei"))
        .args(args)
        .output()
}

fn tiny_data(dir: &Path) -> TestResult {
    for (i, size) in [(0_u32, 40_u32), (1, 44)] {
        let image = ImageF32::from_fn(size, size + 4, |x, y| {
            let v = ((x * (3 + i) + y * 5) % 17) as f32 / 16.0;
            [v, 1.0 - v, x as f32 / size as f32, 1.0]
        })?;
        save_png_rgb8(&image, &dir.join(format!("img{i}.png")))?;
    }
    Ok(())
}

fn stdout(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn train_command_trains_resumes_and_writes_a_valid_model() -> TestResult {
    let root = tempfile::tempdir()?;
    let data = root.path().join("data");
    std::fs::create_dir(&data)?;
    tiny_data(&data)?;
    let model = root.path().join("out/kansei-upscale-fast-x2.safetensors");
    let args = |extra: &[&str]| -> Vec<String> {
        let mut a: Vec<String> = [
            "upscale",
            "train",
            "--profile",
            "fast",
            "--scale",
            "2",
            "--steps",
            "4",
            "--batch",
            "2",
            "--patch",
            "5",
            "--holdout",
            "1",
            "--validate-every",
            "2",
            "--checkpoint-every",
            "2",
            "--print-every",
            "0",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        a.extend(["--data".to_owned(), data.display().to_string()]);
        a.extend(["--out".to_owned(), model.display().to_string()]);
        a.extend(extra.iter().map(|s| (*s).to_owned()));
        a
    };

    let first = stdout(&kansei(&args(&["--session-steps", "2"]))?);
    assert!(first.contains("step 2/4"), "{first}");
    assert!(first.contains("continue with --resume"), "{first}");
    assert!(!model.exists());
    assert!(model.with_extension("ckpt.safetensors").is_file());
    assert!(model.with_extension("loss.png").is_file());

    let second = stdout(&kansei(&args(&["--resume"]))?);
    assert!(second.contains("resumed at step 2"), "{second}");
    assert!(second.contains("validation at step 4"), "{second}");
    assert!(second.contains("done: "), "{second}");

    let check = stdout(&kansei(&[
        "model".as_ref(),
        "check".as_ref(),
        model.as_os_str(),
    ])?);
    assert!(check.contains("kansei-upscale-fast-x2"), "{check}");
    assert!(
        check.contains("1640 multiply-adds per low-resolution pixel"),
        "{check}"
    );
    Ok(())
}

#[test]
fn bad_train_arguments_fail_with_one_line() -> TestResult {
    let root = tempfile::tempdir()?;
    let out = root.path().join("m.safetensors");
    for (extra, needle) in [
        (["--profile", "turbo", "--scale", "2"], "unknown profile"),
        (["--profile", "fast", "--scale", "5"], "5"),
    ] {
        let mut args: Vec<&OsStr> = ["upscale", "train"].iter().map(OsStr::new).collect();
        args.extend(extra.iter().map(OsStr::new));
        args.extend([
            OsStr::new("--data"),
            root.path().as_os_str(),
            OsStr::new("--out"),
            out.as_os_str(),
        ]);
        let output = kansei(&args)?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert_eq!(stderr.lines().count(), 1, "{stderr}");
        assert!(
            stderr.starts_with("kansei: ") && stderr.contains(needle),
            "{stderr}"
        );
    }
    // A data folder without images.
    let output = kansei(&[
        "upscale",
        "train",
        "--profile",
        "fast",
        "--scale",
        "2",
        "--data",
        &root.path().join("empty").display().to_string(),
        "--out",
        &out.display().to_string(),
    ])?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    Ok(())
}
