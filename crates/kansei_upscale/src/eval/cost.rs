//! A roofline cost model that projects an upscaler's frame time on a console-class GPU from
//! two numbers a method can state exactly: multiply-adds per output pixel and bytes moved.
//!
//! ```text
//! time  = max(FLOPs / (peak_flops * efficiency), bytes / bandwidth)
//! FLOPs = 2 * MACs per output pixel * output pixels          (one MAC = a multiply and an add)
//! bytes = input pixels * BYTES_PER_PIXEL                      (input texture, read once)
//!       + output pixels * BYTES_PER_PIXEL                     (output texture, written once)
//!       + output pixels * intermediate bytes per output pixel (multi-pass methods only)
//! ```
//!
//! [`PS5_CLASS`] is a PS5-class GPU: 10.28 TFLOP/s FP32 peak (36 CUs at 2.23 GHz),
//! of which a well-tuned compute shader is assumed to reach 40%, and 448 GB/s of memory
//! bandwidth. Every texture is assumed to be `rgba16float`, a game's usual HDR colour format:
//! [`BYTES_PER_PIXEL`] = 8. Reading each input pixel once assumes the filter's overlapping taps
//! hit in cache, which holds for small kernels; a multi-pass method adds its intermediate
//! textures, each written once and read once (`2 * 8` bytes per pixel of the texture).
//!
//! It is a lower bound on the time of a good implementation, not a prediction of ours: it
//! ignores launch overhead, occupancy and the tail of partially filled workgroups.

/// Bytes per pixel of every texture the model counts (`rgba16float`).
pub const BYTES_PER_PIXEL: f64 = 8.0;

/// Bytes per output pixel that one full-resolution intermediate texture adds: written once by
/// one pass and read once by the next.
pub const INTERMEDIATE_BYTES_PER_PIXEL: f64 = 2.0 * BYTES_PER_PIXEL;

/// A GPU as the roofline sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Roofline {
    /// Peak FP32 throughput, FLOP/s (a fused multiply-add counts as 2).
    pub peak_flops: f64,
    /// Fraction of the peak a real shader is assumed to reach.
    pub efficiency: f64,
    /// Memory bandwidth, bytes/s.
    pub bandwidth: f64,
}

/// A PS5-class GPU (see the [module docs](self)).
pub const PS5_CLASS: Roofline = Roofline {
    peak_flops: 10.28e12,
    efficiency: 0.40,
    bandwidth: 448e9,
};

/// One upscale: sizes and the method's per-pixel costs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Workload {
    /// Input `[width, height]`.
    pub input: [u32; 2],
    /// Output `[width, height]`.
    pub output: [u32; 2],
    /// Multiply-adds per output pixel.
    pub macs_per_output_pixel: f64,
    /// Bytes per output pixel moved through intermediate textures (0 for one-pass methods).
    pub intermediate_bytes_per_output_pixel: f64,
}

impl Workload {
    /// Input pixel count.
    pub fn input_pixels(&self) -> f64 {
        f64::from(self.input[0]) * f64::from(self.input[1])
    }

    /// Output pixel count.
    pub fn output_pixels(&self) -> f64 {
        f64::from(self.output[0]) * f64::from(self.output[1])
    }

    /// `2 * MACs per output pixel * output pixels`.
    pub fn flops(&self) -> f64 {
        2.0 * self.macs_per_output_pixel * self.output_pixels()
    }

    /// Input read + output write + intermediates, in bytes.
    pub fn bytes(&self) -> f64 {
        (self.input_pixels() + self.output_pixels()) * BYTES_PER_PIXEL
            + self.output_pixels() * self.intermediate_bytes_per_output_pixel
    }
}

/// Which roof limits a projection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bound {
    /// Arithmetic takes longer than memory traffic.
    Compute,
    /// Memory traffic takes at least as long as arithmetic.
    Memory,
}

/// The roofline's verdict on one workload.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Projection {
    /// Seconds the arithmetic alone needs at the assumed efficiency.
    pub compute_s: f64,
    /// Seconds the memory traffic alone needs.
    pub memory_s: f64,
}

impl Projection {
    /// The projected time: the larger of the two.
    pub fn time_s(&self) -> f64 {
        self.compute_s.max(self.memory_s)
    }

    /// Which of the two sets the time.
    pub fn bound(&self) -> Bound {
        if self.compute_s > self.memory_s {
            Bound::Compute
        } else {
            Bound::Memory
        }
    }
}

impl Roofline {
    /// Projects `workload` onto this GPU.
    pub fn project(&self, workload: &Workload) -> Projection {
        Projection {
            compute_s: workload.flops() / (self.peak_flops * self.efficiency),
            memory_s: workload.bytes() / self.bandwidth,
        }
    }
}

/// 1920x1080 to 3840x2160 (`[input, output]`): 4K output from a 1080p render.
pub const FRAME_1080P_TO_4K: [[u32; 2]; 2] = [[1920, 1080], [3840, 2160]];

/// 960x540 to 1920x1080 (`[input, output]`): 1080p output from a 540p render.
pub const FRAME_540P_TO_1080P: [[u32; 2]; 2] = [[960, 540], [1920, 1080]];

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(frame: [[u32; 2]; 2], macs: f64, intermediate: f64) -> Workload {
        Workload {
            input: frame[0],
            output: frame[1],
            macs_per_output_pixel: macs,
            intermediate_bytes_per_output_pixel: intermediate,
        }
    }

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-12 * b.abs()
    }

    #[test]
    fn bicubic_1080p_to_4k() {
        // 48 MACs (16 taps x 3 channels) on 3840 * 2160 = 8,294,400 output pixels.
        let w = workload(FRAME_1080P_TO_4K, 48.0, 0.0);
        assert_eq!(w.flops(), 796_262_400.0);
        // (2,073,600 + 8,294,400) pixels * 8 bytes.
        assert_eq!(w.bytes(), 82_944_000.0);
        let p = PS5_CLASS.project(&w);
        // 796,262,400 / (10.28e12 * 0.4) = 193.64 us; 82,944,000 / 448e9 = 185.14 us.
        assert!(close(p.compute_s, 796_262_400.0 / 4.112e12));
        assert!(close(p.memory_s, 82_944_000.0 / 448e9));
        assert!((p.time_s() * 1e6 - 193.643_579).abs() < 1e-5);
        assert_eq!(p.bound(), Bound::Compute);
    }

    #[test]
    fn bilinear_540p_to_1080p_is_memory_bound() {
        // 12 MACs on 2,073,600 pixels: 49,766,400 FLOPs = 12.10 us of compute, but
        // (518,400 + 2,073,600) * 8 = 20,736,000 bytes = 46.29 us of memory traffic.
        let w = workload(FRAME_540P_TO_1080P, 12.0, 0.0);
        assert_eq!(w.flops(), 49_766_400.0);
        assert_eq!(w.bytes(), 20_736_000.0);
        let p = PS5_CLASS.project(&w);
        assert!(close(p.time_s(), 20_736_000.0 / 448e9));
        assert!((p.time_s() * 1e6 - 46.285_714_285_714).abs() < 1e-6);
        assert_eq!(p.bound(), Bound::Memory);
    }

    #[test]
    fn intermediate_textures_add_write_and_read_traffic() {
        // A two-pass method with one output-sized intermediate: 16 more bytes per output pixel.
        let one_pass = workload(FRAME_540P_TO_1080P, 0.0, 0.0);
        let two_pass = workload(FRAME_540P_TO_1080P, 0.0, INTERMEDIATE_BYTES_PER_PIXEL);
        assert_eq!(two_pass.bytes() - one_pass.bytes(), 2_073_600.0 * 16.0);
        // Zero arithmetic is purely memory-bound.
        assert_eq!(PS5_CLASS.project(&one_pass).bound(), Bound::Memory);
        assert_eq!(PS5_CLASS.project(&one_pass).compute_s, 0.0);
    }

    #[test]
    fn neural_scale_cost() {
        // A network of 12,500 MACs per LR pixel at x2 costs 3,125 MACs per output pixel;
        // 1080p -> 4K: 2 * 3125 * 8,294,400 = 51.84 GFLOP -> 12.607 ms at 4.112 TFLOP/s.
        let w = workload(FRAME_1080P_TO_4K, 12_500.0 / 4.0, 0.0);
        assert_eq!(w.flops(), 51_840_000_000.0);
        let p = PS5_CLASS.project(&w);
        assert!((p.time_s() * 1e3 - 12.607_003_891_050_6).abs() < 1e-9);
        assert_eq!(p.bound(), Bound::Compute);
    }
}
