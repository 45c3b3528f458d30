//! GPU time of every upscaling method on this machine's adapter, at the two resolutions the
//! README reports: 540p -> 1080p and 1080p -> 4K (both x2).
//!
//! ```text
//! cargo bench --bench upscale_methods
//! ```
//!
//! Each iteration records the method's passes, submits them and waits for the device to go idle,
//! so the clock stops only when the GPU has finished. Textures are uploaded once per method and
//! size, outside the timed loop. On a machine without a GPU this measures Mesa's lavapipe, which
//! says nothing about GPU speed; the projected console times come from `kansei upscale eval`.

use bevy_kansei::upscale::eval::{Method, Scale};
use bevy_kansei::upscale::{GpuContext, ImageF32};
use criterion::{Criterion, criterion_group, criterion_main};

/// Low-resolution input sizes, each upscaled x2.
const SIZES: [(&str, u32, u32); 2] = [("540p_to_1080p", 960, 540), ("1080p_to_4k", 1920, 1080)];

fn upscale_methods(c: &mut Criterion) {
    let ctx = GpuContext::new_headless().unwrap_or_else(|e| panic!("{e}"));
    eprintln!("upscale_methods on {}", ctx.adapter_summary());
    for (label, width, height) in SIZES {
        // A busy pattern, so no method can take a shortcut on flat input.
        let input = ImageF32::from_fn(width, height, |x, y| {
            let v = ((x * 7 + y * 13) % 29) as f32 / 28.0;
            [v, 1.0 - v, (x % 5) as f32 / 4.0, 1.0]
        })
        .unwrap_or_else(|e| panic!("{e}"));
        let mut group = c.benchmark_group(label);
        // Large frames on a software adapter take a second each: keep the sample small.
        group.sample_size(10);
        for method in Method::AVAILABLE {
            if !method.is_ready(Scale::X2) {
                eprintln!("{}: no trained x2 model, skipped", method.name());
                continue;
            }
            let gpu = method
                .gpu(&ctx, Scale::X2)
                .unwrap_or_else(|e| panic!("{e}"));
            let frame = gpu
                .frame(&ctx, &input, Scale::X2)
                .unwrap_or_else(|e| panic!("{e}"));
            group.bench_function(method.name(), |b| {
                b.iter(|| {
                    gpu.execute(&ctx, &frame).unwrap_or_else(|e| panic!("{e}"));
                });
            });
        }
        group.finish();
    }
}

criterion_group!(benches, upscale_methods);
criterion_main!(benches);
