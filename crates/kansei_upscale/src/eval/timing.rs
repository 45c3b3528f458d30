//! Wall-clock timing of a method's GPU path on the current adapter.
//!
//! The frame is uploaded once; each timed run then records the dispatch, submits it and blocks
//! until the device is idle, so a run measures what a game would pay per frame on this
//! adapter (command recording, submission and the kernel), without upload or read-back.
//! One untimed run first absorbs lazy driver work (shader compilation on first dispatch).

use std::time::{Duration, Instant};

use super::{EvalError, GpuMethod, Scale};
use crate::gpu::GpuContext;
use crate::image::ImageF32;

/// Output size of the timing frame: 1080p, which 2, 3 and 4 all divide exactly.
pub const TIMING_OUTPUT: [u32; 2] = [1920, 1080];

/// Timed runs per measurement (after one untimed warm-up run).
pub const TIMING_RUNS: usize = 5;

/// One timing measurement.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuTiming {
    /// The adapter, as [`GpuContext::adapter_summary`] describes it.
    pub adapter: String,
    /// Input `[width, height]`.
    pub input: [u32; 2],
    /// Output `[width, height]`.
    pub output: [u32; 2],
    /// Every timed run, in order.
    pub runs: Vec<Duration>,
}

impl GpuTiming {
    /// Median of the runs (mean of the two middle ones for an even count).
    pub fn median(&self) -> Duration {
        median(&self.runs)
    }
}

/// Median of `durations`; zero for none.
pub fn median(durations: &[Duration]) -> Duration {
    let mut sorted = durations.to_vec();
    sorted.sort();
    let n = sorted.len();
    match n {
        0 => Duration::ZERO,
        _ if n % 2 == 1 => sorted[n / 2],
        _ => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

/// A synthetic frame whose upscale by `scale` is [`TIMING_OUTPUT`]: smooth gradients with a
/// fine checker, so no filter can skip work on flat regions (none does today).
pub fn timing_frame(scale: Scale) -> Result<ImageF32, EvalError> {
    let s = scale.get();
    let (width, height) = (TIMING_OUTPUT[0] / s, TIMING_OUTPUT[1] / s);
    Ok(ImageF32::from_fn(width, height, |x, y| {
        let checker = if (x + y) % 2 == 0 { 0.1 } else { 0.0 };
        [
            x as f32 / width as f32,
            y as f32 / height as f32,
            0.5 + checker,
            1.0,
        ]
    })?)
}

/// Times `runs` upscales of `input` by `scale` with `method` (see the [module docs](self)).
pub fn time_gpu(
    method: &GpuMethod,
    ctx: &GpuContext,
    input: &ImageF32,
    scale: Scale,
    runs: usize,
) -> Result<GpuTiming, EvalError> {
    let frame = method.frame(ctx, input, scale)?;
    method.execute(ctx, &frame)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        method.execute(ctx, &frame)?;
        times.push(start.elapsed());
    }
    Ok(GpuTiming {
        adapter: ctx.adapter_summary(),
        input: frame.input_size(),
        output: frame.output_size(),
        runs: times,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(median(&[ms(4), ms(1), ms(2), ms(100)]), ms(3));
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn timing_frame_upscales_to_1080p() -> Result<(), EvalError> {
        for scale in [Scale::X2, Scale::X3, Scale::X4] {
            let frame = timing_frame(scale)?;
            assert_eq!(
                [frame.width() * scale.get(), frame.height() * scale.get()],
                TIMING_OUTPUT
            );
        }
        Ok(())
    }
}
