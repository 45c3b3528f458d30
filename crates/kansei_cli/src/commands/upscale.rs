//! `kansei upscale ...`: score upscalers on SR test sets and upscale single images.
//!
//! Quality comes from each method's CPU reference under the standard SR protocol (see
//! `kansei_upscale::eval`); speed is measured on this machine's GPU adapter and projected onto a
//! PS5-class GPU with the roofline model of `kansei_upscale::eval::Roofline`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::Subcommand;
use kansei_upscale::GpuContext;
use kansei_upscale::eval::{
    BYTES_PER_PIXEL, Bound, Dataset, EvalError, Method, MethodReport, PS5_CLASS, Projection, Scale,
    evaluate, load_png, load_samples, save_png_rgb8,
};
use serde_json::{Value, json};

/// Subcommands of `kansei upscale`.
#[derive(Subcommand, Debug)]
pub enum UpscaleCommand {
    /// Score methods on a data set (PSNR-Y, SSIM-Y, PSNR-RGB), with their cost, their GPU time on
    /// this machine and a projected PS5-class time.
    Eval {
        /// Folder of `NAME_HR.png` / `NAME_LR.png` pairs, or of HR images only (LR images are
        /// then made with MATLAB-style antialiased bicubic downscaling).
        #[arg(long, value_name = "DIR")]
        data: PathBuf,
        /// Upscaling factor: 2, 3 or 4.
        #[arg(long)]
        scale: u32,
        /// Methods to evaluate (repeat, or separate with commas); default: every available one.
        #[arg(long = "method", value_name = "METHOD", num_args = 1.., value_delimiter = ',')]
        methods: Vec<String>,
        /// Print JSON instead of a table (non-finite numbers, such as the PSNR of a perfect
        /// reconstruction, are `null`).
        #[arg(long)]
        json: bool,
        /// Skip the GPU timing (no device is opened).
        #[arg(long)]
        no_gpu: bool,
    },
    /// Upscale one image and write it as an 8-bit RGB PNG.
    Run {
        /// The low-resolution input PNG.
        #[arg(long = "in", value_name = "LR.png")]
        input: PathBuf,
        /// Where to write the upscaled PNG.
        #[arg(long = "out", value_name = "SR.png")]
        output: PathBuf,
        /// Upscaling factor: 2, 3 or 4.
        #[arg(long)]
        scale: u32,
        /// The method, e.g. `bicubic`.
        #[arg(long)]
        method: String,
    },
    /// Train a network of the upscaler family on the CPU (checkpoints, `--resume`, loss curve,
    /// model card).
    Train(Box<super::upscale_train::TrainArgs>),
    /// Render the temporal upscaler's test scenes headless with every Kansei mode, Bevy's TAA at
    /// native resolution and the single-frame baselines; score them against a supersampled
    /// ground truth (PSNR, SSIM, FLIP, flicker, ghosting); write a JSON report and PNG crops.
    #[cfg(feature = "scenes")]
    BenchScenes(super::upscale_bench_scenes::BenchScenesArgs),
    /// Train the temporal resolve's learned blend on the sequences `bench-scenes --sequences`
    /// wrote, and score it against the hand-written rule by replaying them on the CPU.
    #[cfg(feature = "scenes")]
    TrainBlend(super::upscale_train_blend::TrainBlendArgs),
}

/// Runs a `kansei upscale` subcommand; the error is the message to print.
pub fn run(command: &UpscaleCommand) -> Result<(), String> {
    match command {
        UpscaleCommand::Eval {
            data,
            scale,
            methods,
            json,
            no_gpu,
        } => eval(data, *scale, methods, *json, *no_gpu).map_err(|e| e.to_string()),
        UpscaleCommand::Run {
            input,
            output,
            scale,
            method,
        } => upscale_one(input, output, *scale, method).map_err(|e| e.to_string()),
        UpscaleCommand::Train(args) => super::upscale_train::run(args),
        #[cfg(feature = "scenes")]
        UpscaleCommand::BenchScenes(args) => super::upscale_bench_scenes::run(args),
        #[cfg(feature = "scenes")]
        UpscaleCommand::TrainBlend(args) => super::upscale_train_blend::run(args),
    }
}

fn upscale_one(input: &Path, output: &Path, scale: u32, method: &str) -> Result<(), EvalError> {
    let scale = Scale::new(scale)?;
    let method = Method::from_name(method)?;
    let lr = load_png(input)?;
    let sr = method.run_cpu(&lr, scale)?;
    save_png_rgb8(&sr, output)?;
    println!(
        "wrote {} ({}x{}, {} {scale})",
        output.display(),
        sr.width(),
        sr.height(),
        method.name()
    );
    Ok(())
}

/// The methods named on the command line (duplicates dropped), or every one that can run at
/// `scale`.
fn parse_methods(names: &[String], scale: Scale) -> Result<Vec<Method>, EvalError> {
    if names.is_empty() {
        // Neural methods join the default list once their model for this scale is trained.
        return Ok(Method::AVAILABLE
            .into_iter()
            .filter(|m| m.is_ready(scale))
            .collect());
    }
    let mut methods = Vec::new();
    for name in names {
        let method = Method::from_name(name.trim())?;
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    Ok(methods)
}

fn eval(
    data: &Path,
    scale: u32,
    method_names: &[String],
    as_json: bool,
    no_gpu: bool,
) -> Result<(), EvalError> {
    let scale = Scale::new(scale)?;
    let methods = parse_methods(method_names, scale)?;
    let dataset = Dataset::discover(data)?;
    let samples = load_samples(&dataset, scale)?;
    let ctx = if no_gpu {
        None
    } else {
        match GpuContext::new_headless() {
            Ok(ctx) => Some(ctx),
            Err(e) => {
                // Quality does not need a GPU; report it without timings rather than fail.
                eprintln!("kansei: warning: no GPU timing: {e}");
                None
            }
        }
    };
    let mut reports = Vec::with_capacity(methods.len());
    for method in methods {
        let start = Instant::now();
        reports.push(evaluate(method, &samples, scale, ctx.as_ref())?);
        if !as_json {
            eprintln!(
                "kansei: evaluated {} in {:.1} s",
                method.name(),
                start.elapsed().as_secs_f64()
            );
        }
    }
    let summary = Summary {
        dataset: &dataset,
        scale,
        adapter: ctx.as_ref().map(GpuContext::adapter_summary),
        reports: &reports,
    };
    if as_json {
        println!("{:#}", summary.to_json());
    } else {
        print!("{}", summary.to_table());
    }
    Ok(())
}

/// What `eval` prints, in either form.
struct Summary<'a> {
    dataset: &'a Dataset,
    scale: Scale,
    adapter: Option<String>,
    reports: &'a [MethodReport],
}

impl Summary<'_> {
    fn lr_source(&self) -> &'static str {
        if self.dataset.has_lr_files() {
            "LR from files"
        } else {
            "LR made by antialiased bicubic downscaling"
        }
    }

    fn to_table(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "data: {} ({} images, {}), scale {}",
            self.dataset.root.display(),
            self.dataset.entries.len(),
            self.lr_source(),
            self.scale
        );
        let timing = self.reports.iter().find_map(|r| r.gpu.as_ref());
        match (&self.adapter, timing) {
            (Some(adapter), Some(t)) => {
                let _ = writeln!(
                    out,
                    "gpu: {adapter}; GPU ms = median of {} runs, {}x{} -> {}x{}",
                    t.runs.len(),
                    t.input[0],
                    t.input[1],
                    t.output[0],
                    t.output[1]
                );
            }
            _ => {
                let _ = writeln!(out, "gpu: not measured");
            }
        }
        let _ = writeln!(
            out,
            "PS5 columns: both are 2x upscales, so the method's x2 cost; roofline max(2 * MACs * out_px / ({:.2} TFLOP/s * {:.2}), bytes / {:.0} \
             GB/s), {} B/px in + out",
            PS5_CLASS.peak_flops / 1e12,
            PS5_CLASS.efficiency,
            PS5_CLASS.bandwidth / 1e9,
            BYTES_PER_PIXEL
        );
        let _ = writeln!(out);
        let _ = writeln!(
            out,
            "{:<10} {:>7} {:>7} {:>8} {:>7} {:>8} {:>22} {:>22}",
            "method",
            "PSNR-Y",
            "SSIM-Y",
            "PSNR-RGB",
            "MACs/px",
            "GPU ms",
            "PS5 1080p->4K",
            "PS5 540p->1080p"
        );
        for report in self.reports {
            let mean = report.mean();
            let gpu_ms = report.gpu.as_ref().map_or_else(
                || "-".to_owned(),
                |t| format!("{:.3}", t.median().as_secs_f64() * 1e3),
            );
            let _ = writeln!(
                out,
                "{:<10} {:>7.2} {:>7.4} {:>8.2} {:>7.0} {:>8} {:>22} {:>22}",
                report.method.name(),
                mean.psnr_y,
                mean.ssim_y,
                mean.psnr_rgb,
                report.cost.macs_per_output_pixel,
                gpu_ms,
                projection_cell(&report.ps5_1080p_to_4k),
                projection_cell(&report.ps5_540p_to_1080p),
            );
        }
        let _ = writeln!(out);
        let _ = writeln!(out, "PSNR-Y per image (dB)");
        let _ = write!(out, "{:<24}", "image");
        for report in self.reports {
            let _ = write!(out, " {:>10}", report.method.name());
        }
        let _ = writeln!(out);
        for (i, entry) in self.dataset.entries.iter().enumerate() {
            let _ = write!(out, "{:<24}", entry.name);
            for report in self.reports {
                let psnr = report.images.get(i).map_or(f64::NAN, |s| s.scores.psnr_y);
                let _ = write!(out, " {psnr:>10.2}");
            }
            let _ = writeln!(out);
        }
        out
    }

    fn to_json(&self) -> Value {
        let methods: Vec<Value> = self
            .reports
            .iter()
            .map(|report| {
                let mean = report.mean();
                let gpu = report.gpu.as_ref().map(|t| {
                    json!({
                        "input": t.input,
                        "output": t.output,
                        "runs_ms": t.runs.iter().map(|d| d.as_secs_f64() * 1e3).collect::<Vec<_>>(),
                        "median_ms": t.median().as_secs_f64() * 1e3,
                    })
                });
                let per_image: Vec<Value> = report
                    .images
                    .iter()
                    .map(|image| {
                        json!({
                            "name": image.name,
                            "psnr_y": image.scores.psnr_y,
                            "ssim_y": image.scores.ssim_y,
                            "psnr_rgb": image.scores.psnr_rgb,
                        })
                    })
                    .collect();
                json!({
                    "name": report.method.name(),
                    "macs_per_output_pixel": report.cost.macs_per_output_pixel,
                    "intermediate_bytes_per_output_pixel":
                        report.cost.intermediate_bytes_per_output_pixel,
                    "psnr_y": mean.psnr_y,
                    "ssim_y": mean.ssim_y,
                    "psnr_rgb": mean.psnr_rgb,
                    "gpu": gpu,
                    "ps5_1080p_to_4k": projection_json(&report.ps5_1080p_to_4k),
                    "ps5_540p_to_1080p": projection_json(&report.ps5_540p_to_1080p),
                    "per_image": per_image,
                })
            })
            .collect();
        let lr = if self.dataset.has_lr_files() {
            "files"
        } else {
            "downscaled"
        };
        json!({
            "data": self.dataset.root.display().to_string(),
            "scale": self.scale.get(),
            "images": self.dataset.entries.len(),
            "lr": lr,
            "gpu_adapter": self.adapter,
            "cost_model": {
                "peak_flops": PS5_CLASS.peak_flops,
                "efficiency": PS5_CLASS.efficiency,
                "bandwidth_bytes_per_s": PS5_CLASS.bandwidth,
                "bytes_per_pixel": BYTES_PER_PIXEL,
            },
            "methods": methods,
        })
    }
}

fn bound_name(bound: Bound) -> &'static str {
    match bound {
        Bound::Compute => "compute",
        Bound::Memory => "memory",
    }
}

fn projection_cell(projection: &Projection) -> String {
    format!(
        "{:.3} ms ({})",
        projection.time_s() * 1e3,
        bound_name(projection.bound())
    )
}

fn projection_json(projection: &Projection) -> Value {
    json!({
        "ms": projection.time_s() * 1e3,
        "compute_ms": projection.compute_s * 1e3,
        "memory_ms": projection.memory_s * 1e3,
        "bound": bound_name(projection.bound()),
    })
}
