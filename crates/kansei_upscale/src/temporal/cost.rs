//! Projected GPU time of the whole temporal path on a console-class GPU, with the roofline of
//! [`crate::eval::Roofline`] (memory traffic included), for the budget the temporal upscaler
//! is held to: at most 2.0 ms at 4K output in Performance mode (1920x1080 render) on a
//! PS5-class GPU ([`crate::eval::PS5_CLASS`]).
//!
//! The path is up to three separate dispatches per frame, each projected on its own as
//! `max(FLOPs / (peak * efficiency), bytes / bandwidth)` and summed:
//!
//! 1. `temporal_resolve.wgsl` over the display: this frame's colour, depth and motion vectors
//!    at render resolution, the colour history and the previous depth; writes the new colour
//!    history and the output (the view's main texture, or the intermediate texture RCAS reads).
//! 2. `temporal_depth_history.wgsl` over the render rectangle: stores, per texel, the
//!    closest and farthest depth of this frame's 3x3 around it and whether any of it moved.
//! 3. `rcas.wgsl` over the display, only when the view sharpens: reads the resolve's output
//!    from the intermediate texture and writes the view's main texture.
//!
//! # Memory traffic
//!
//! Formats as the Bevy plugin binds them: the renderer's colour `rgba16float` (8 B), depth
//! `depth32float` (4 B), motion vectors `rg16float` (4 B); history colour `rgba8unorm` (4 B),
//! depth history `r32uint` (4 B); output and intermediate `rgba16float` (8 B). As in
//! [`crate::eval::Roofline`], the overlapping taps of a 3x3 or 4x4 neighbourhood are assumed to
//! hit in cache, so each texel a pass touches is read from memory once per pass; every written
//! texel is written once.
//!
//! | Pass | Reads | Writes | B / display px | B / render px |
//! |------|-------|--------|---------------:|--------------:|
//! | resolve | colour 3x3 (8), depth 3x3 (4), motion at the closest texel (4), the depth history at the reprojected texel (4), all per render texel; colour history 4x4 Catmull-Rom and 2x2 confidence (4) per display texel | colour history (4), output (8) | 4 + 4 + 8 = 16 | 8 + 4 + 4 + 4 = 20 |
//! | depth history | depth 3x3 (4), motion 3x3 (4) | depth history (4) | 0 | 12 |
//! | RCAS | intermediate 5-tap cross (8) | output (8) | 16 | 0 |
//!
//! Motion vectors are read at one texel per display pixel, never more than each render texel
//! once; the depth history is read where the motion points, so for a still or smoothly moving
//! image it covers the render rectangle once. These are the steady-state figures: a frame with `reset`
//! or without history on screen reads less.
//!
//! # Arithmetic
//!
//! Counted by hand from the shaders, per invocation, as a compiler would issue them: loops
//! unrolled, constants folded, wave-uniform values (`scale`, `1 / display`, the Gaussian's
//! `1 / (2 sigma²)`) computed once per wave on the scalar unit and not counted, a multiply
//! feeding an add fused into one FMA, `abs` and negation free operand modifiers, `x / y` as a
//! reciprocal and a multiply. The peak of [`crate::eval::Roofline`] counts an FMA as 2 FLOPs
//! and issues one instruction per lane per clock, so every vector instruction, FMA or not
//! (add, multiply, min, max, compare, select, floor, conversion, integer address arithmetic),
//! costs the issue slot of 2 FLOPs, and a transcendental (`exp2`, `sqrt`, reciprocal), issued
//! at quarter rate on RDNA 2, costs 4 slots, 8 FLOPs:
//!
//! `FLOPs = 2 * instructions + 8 * transcendentals`, rounded up to the next 100 (resolve) or
//! 10 (the small passes).
//!
//! Loads count as one instruction each; the compiler shares what the unrolled taps have in
//! common (a column's address and bounds test serve its three rows) and loads a texel once when
//! two expressions read it. The branch that interpolates a pixel without history (`spread`) is
//! not counted: a wave skips it unless one of its pixels has just lost its history (a cut, a
//! disocclusion).
//!
//! | Resolve section | Instr. | Transc. | What dominates |
//! |-----------------|-------:|--------:|----------------|
//! | setup | 17 | 0 | bounds, pixel centre, nearest render texel, clamp |
//! | sample weights | 28 | 6 | per axis the three sample columns' offsets to the pixel centre, their squares and three `exp2`, relative to the middle one |
//! | 3x3 neighbourhood | 331 | 0 | per tap (34): colour and depth loads, the weight `wx * wy` and the weighted RGBA sum (6), `YCoCg` (8), moments, min/max box, closest and farthest depth; the taps' addresses and bounds tests, shared by rows and columns (25) |
//! | current estimate | 9 | 2 | its normalisation (a reciprocal) and the frame's weight (one `exp2`) |
//! | reprojection | 14 | 1 | motion load, previous UV, on-screen test, speed (one `sqrt`) |
//! | disocclusion | 31 | 2 | previous texel, one load of the depth history, two depths unpacked (two masks, a shift), two relative differences (a reciprocal each), moved flag |
//! | Catmull-Rom history | 230 | 6 | rows and columns clamped once (22), the weights as polynomials (22), 16 taps of a load, 3 FMAs on encoded colour and 3 adds to the plain sum, row sums, clamp, two decodes (the sample and the 4x4's mean: 6 reciprocals), confidence from 4 of the taps' texels, the nearest texel's disagreement flag (5) |
//! | rectification | 73 | 7 | mean, deviation (3 `sqrt`, the count's reciprocal), box, `YCoCg` clamp; the static agreement (per `YCoCg` channel a difference over the brightness plus the channel's deviation: three FMAs and three reciprocals, the largest of three) and the blend back towards the unclipped history, unless the disagreement persists (2) |
//! | stillness | 3 | 0 | speed over `static_motion` (a uniform reciprocal), clamp |
//! | accumulation | 21 | 1 | `alpha` (static confidence gain, floor scaled by stillness), blend, confidence |
//! | encode and store | 28 | 6 | per channel a reciprocal and a `sqrt`; the confidence code and the flag |
//! | **total** | **785** | **31** | `2 * 785 + 8 * 31 = 1818`, counted as **1900** |
//! | learned blend (opt-in, `KanseiTemporalBlend::Learned`) | 145 | 3 | its 8 inputs (25, three reciprocals: the clip's move, the history's and this frame's luma differences, each relative) and the 10-8-2 MLP (120: per hidden unit two `vec4` and one `vec2` dot products, the bias and the `ReLU`; two outputs of two `vec4` dots; the corrections added and clamped) |
//! | **total with the blend** | **930** | **34** | `2 * 930 + 8 * 34 = 2132`, counted as **2200** |
//!
//! RCAS: 121 instructions and 3 reciprocals (5 clamped loads, min/max/sum over the ring, the
//! amount limit of the three colour channels, the clamped output; alpha passes through): 266
//! FLOPs, counted as 270. The depth
//! history pass: a bounds test (3); per tap of the 3x3 (10) a depth and a motion load, the
//! closest and farthest depth, the squared speed against `static_motion` squared and the moved
//! flag; the taps' addresses and bounds tests (25); the packing and store (6): 124
//! instructions, counted as 250 FLOPs per render pixel.
//!
//! # The projection (PS5-class, 3840x2160 display from 1920x1080)
//!
//! | Pass | FLOPs | Compute | Bytes | Memory | Time |
//! |------|------:|--------:|------:|-------:|-----:|
//! | resolve | 15.76 G | 3.833 ms | 174.2 MB | 0.389 ms | 3.833 ms |
//! | depth history | 518 M | 0.126 ms | 24.9 MB | 0.056 ms | 0.126 ms |
//! | RCAS | 2.24 G | 0.545 ms | 132.7 MB | 0.296 ms | 0.545 ms |
//! | **total** | | | 331.8 MB | | **4.50 ms** (3.96 ms unsharpened, the default since `KanseiUpscale::sharpness` defaults to 0) |
//! | resolve with the learned blend | 18.25 G | 4.438 ms | 174.2 MB | 0.389 ms | 4.438 ms |
//! | **total with the blend** (opt-in, `KanseiTemporalBlend::Learned`) | | | 331.8 MB | | **5.11 ms** |
//!
//! **Over the 2.0 ms budget**, by 2.3x sharpened and 2.0x at the default, and compute-bound: memory alone would be 0.74 ms. The
//! 3x3 neighbourhood is the largest part of the resolve (36% of its FLOPs), then the
//! Catmull-Rom history (28%). The first version of this resolve projected 6.95 ms: sixteen
//! decodes per history sample, nine exponentials for the sample weights, the previous depth's
//! 3x3 gathered per display pixel; 4.00 ms before the static agreement test (the 4x4 mean and
//! its decode, +0.40 ms), which RCAS's three-channel limit partly paid for (-0.10 ms); the
//! agreement test per `YCoCg` channel (session 14) added two reciprocals and eight instructions,
//! which took the count over 1800 (+0.20 ms). What is left to reach the budget: the neighbourhood computed once
//! per render texel in workgroup memory rather than once per display pixel (four times fewer at
//! 2x), and a cheaper RCAS (one limit on luma instead of four channels). This is a lower bound
//! for a good implementation, not a measurement: it ignores launch overhead, occupancy and
//! texture-unit limits.

use crate::eval::{Bound, Projection, Roofline};

/// One dispatch of the temporal path and its costs per pixel (see the [module docs](self) for
/// how each figure was counted).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassCost {
    /// The dispatch, e.g. `resolve`.
    pub name: &'static str,
    /// Bytes read and written per display pixel.
    pub bytes_per_display_pixel: f64,
    /// Bytes read and written per render pixel.
    pub bytes_per_render_pixel: f64,
    /// FLOPs (FMA = 2, any other instruction's issue slot = 2, a transcendental = 8) per
    /// display pixel.
    pub flops_per_display_pixel: f64,
    /// FLOPs per render pixel (for dispatches over the render rectangle).
    pub flops_per_render_pixel: f64,
}

impl PassCost {
    /// Total FLOPs of this pass for `display_pixels` and `render_pixels`.
    pub fn flops(&self, display_pixels: f64, render_pixels: f64) -> f64 {
        self.flops_per_display_pixel * display_pixels + self.flops_per_render_pixel * render_pixels
    }

    /// Total bytes this pass moves for `display_pixels` and `render_pixels`.
    pub fn bytes(&self, display_pixels: f64, render_pixels: f64) -> f64 {
        self.bytes_per_display_pixel * display_pixels + self.bytes_per_render_pixel * render_pixels
    }
}

/// The resolve, `temporal_resolve.wgsl`.
pub const RESOLVE_COST: PassCost = PassCost {
    name: "resolve",
    // Colour history read (4) and written (4), output written (8).
    bytes_per_display_pixel: 16.0,
    // Colour (8), depth (4), motion vectors (4), previous depth (4).
    bytes_per_render_pixel: 20.0,
    flops_per_display_pixel: 1900.0,
    flops_per_render_pixel: 0.0,
};

/// The resolve with the learned blend written into it ([`super::BlendNet`], opt-in with
/// `KanseiTemporalBlend::Learned`): the rule's sections plus the network's inputs and the 10-8-2 MLP (see the
/// [module docs](self)).
pub const RESOLVE_WITH_BLEND_COST: PassCost = PassCost {
    name: "resolve + blend",
    flops_per_display_pixel: 2200.0,
    ..RESOLVE_COST
};

/// The depth-history pass, `temporal_depth_history.wgsl`.
pub const DEPTH_HISTORY_COST: PassCost = PassCost {
    name: "depth history",
    bytes_per_display_pixel: 0.0,
    // Depth (4) and motion (4) read, depth history written (4).
    bytes_per_render_pixel: 12.0,
    flops_per_display_pixel: 0.0,
    flops_per_render_pixel: 250.0,
};

/// The sharpening pass, `rcas.wgsl`, reading the resolve's output from the intermediate
/// texture.
pub const RCAS_COST: PassCost = PassCost {
    name: "RCAS",
    // Intermediate read (8), output written (8).
    bytes_per_display_pixel: 16.0,
    bytes_per_render_pixel: 0.0,
    flops_per_display_pixel: 270.0,
    flops_per_render_pixel: 0.0,
};

/// The dispatches of one frame of the temporal path, in order; RCAS only when `sharpen`; the
/// resolve with the learned blend when `blend`.
pub fn temporal_pass_costs(sharpen: bool, blend: bool) -> Vec<PassCost> {
    let resolve = if blend {
        RESOLVE_WITH_BLEND_COST
    } else {
        RESOLVE_COST
    };
    let mut passes = vec![resolve, DEPTH_HISTORY_COST];
    if sharpen {
        passes.push(RCAS_COST);
    }
    passes
}

/// One pass projected onto a GPU.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PassProjection {
    /// The pass's [`PassCost::name`].
    pub name: &'static str,
    /// FLOPs of the whole dispatch.
    pub flops: f64,
    /// Bytes the whole dispatch moves.
    pub bytes: f64,
    /// The roofline's verdict.
    pub projection: Projection,
}

/// The whole temporal path projected onto a GPU: its passes, which run one after the other.
#[derive(Debug, Clone, PartialEq)]
pub struct TemporalProjection {
    /// Each dispatch, in order.
    pub passes: Vec<PassProjection>,
}

impl TemporalProjection {
    /// Projected time of the frame, seconds: the sum of the passes' times.
    pub fn time_s(&self) -> f64 {
        self.passes.iter().map(|p| p.projection.time_s()).sum()
    }

    /// Projected time of the frame, milliseconds.
    pub fn time_ms(&self) -> f64 {
        self.time_s() * 1e3
    }

    /// FLOPs of all passes.
    pub fn flops(&self) -> f64 {
        self.passes.iter().map(|p| p.flops).sum()
    }

    /// Bytes all passes move.
    pub fn bytes(&self) -> f64 {
        self.passes.iter().map(|p| p.bytes).sum()
    }

    /// The roof that limits the longest pass ([`Bound::Memory`] when there is none).
    pub fn bound(&self) -> Bound {
        self.passes
            .iter()
            .max_by(|a, b| a.projection.time_s().total_cmp(&b.projection.time_s()))
            .map_or(Bound::Memory, |p| p.projection.bound())
    }
}

/// Projects one frame of the temporal path, `render` (`[width, height]`) to `display`, onto
/// `gpu`, with RCAS when `sharpen` and the learned blend when `blend` (see the
/// [module docs](self)).
pub fn project_temporal(
    display: [u32; 2],
    render: [u32; 2],
    sharpen: bool,
    blend: bool,
    gpu: &Roofline,
) -> TemporalProjection {
    let pixels = |size: [u32; 2]| f64::from(size[0]) * f64::from(size[1]);
    let (display_pixels, render_pixels) = (pixels(display), pixels(render));
    let passes = temporal_pass_costs(sharpen, blend)
        .into_iter()
        .map(|pass| {
            let flops = pass.flops(display_pixels, render_pixels);
            let bytes = pass.bytes(display_pixels, render_pixels);
            PassProjection {
                name: pass.name,
                flops,
                bytes,
                projection: Projection {
                    compute_s: flops / (gpu.peak_flops * gpu.efficiency),
                    memory_s: bytes / gpu.bandwidth,
                },
            }
        })
        .collect();
    TemporalProjection { passes }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::PS5_CLASS;

    const DISPLAY_4K: [u32; 2] = [3840, 2160];
    const RENDER_PERFORMANCE: [u32; 2] = [1920, 1080];

    /// Instructions and transcendentals of the resolve's sections, as in the module docs.
    const RESOLVE_SECTIONS: [(u32, u32); 11] = [
        (17, 0),
        (28, 6),
        (331, 0),
        (9, 2),
        (14, 1),
        (31, 2),
        (230, 6),
        (73, 7),
        (3, 0),
        (21, 1),
        (28, 6),
    ];

    fn flops(instructions: u32, transcendentals: u32) -> f64 {
        f64::from(2 * instructions + 8 * transcendentals)
    }

    /// The learned blend's share of the resolve, as in the module docs: its inputs (25
    /// instructions, three reciprocals) and the MLP (120 instructions).
    const BLEND_SECTION: (u32, u32) = (145, 3);

    #[test]
    fn counts_round_up_the_documented_tallies() {
        let (instructions, transcendentals) = RESOLVE_SECTIONS
            .iter()
            .fold((0, 0), |(i, t), (si, st)| (i + si, t + st));
        assert_eq!((instructions, transcendentals), (785, 31));
        let resolve = flops(instructions, transcendentals);
        assert_eq!(resolve, 1818.0);
        assert_eq!(
            RESOLVE_COST.flops_per_display_pixel,
            (resolve / 100.0).ceil() * 100.0
        );
        let (bi, bt) = BLEND_SECTION;
        let with_blend = flops(instructions + bi, transcendentals + bt);
        assert_eq!(with_blend, 2132.0);
        assert_eq!(
            RESOLVE_WITH_BLEND_COST.flops_per_display_pixel,
            (with_blend / 100.0).ceil() * 100.0
        );
        assert_eq!(
            RCAS_COST.flops_per_display_pixel,
            (flops(121, 3) / 10.0).ceil() * 10.0
        );
        assert_eq!(
            DEPTH_HISTORY_COST.flops_per_render_pixel,
            (flops(124, 0) / 10.0).ceil() * 10.0
        );
    }

    #[test]
    fn performance_mode_at_4k() {
        let projection = project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, true, false, &PS5_CLASS);
        for pass in &projection.passes {
            println!(
                "{:>14}: {:.3} ms ({:?}-bound; compute {:.3} ms, memory {:.3} ms, {:.1} MB)",
                pass.name,
                pass.projection.time_s() * 1e3,
                pass.projection.bound(),
                pass.projection.compute_s * 1e3,
                pass.projection.memory_s * 1e3,
                pass.bytes / 1e6
            );
        }
        println!(
            "total: {:.3} ms, {:.1} MB, {:.2} GFLOP",
            projection.time_ms(),
            projection.bytes() / 1e6,
            projection.flops() / 1e9
        );
        let [resolve, depth, rcas] = projection.passes.as_slice() else {
            panic!("three passes with sharpening");
        };
        let display = 8_294_400.0;
        let render = 2_073_600.0;
        assert_eq!(resolve.bytes, 16.0 * display + 20.0 * render);
        assert_eq!(resolve.flops, 1900.0 * display);
        assert!((resolve.projection.time_s() - 1900.0 * display / 4.112e12).abs() < 1e-15);
        assert_eq!(resolve.projection.bound(), Bound::Compute);
        assert!((depth.projection.time_s() - 250.0 * render / 4.112e12).abs() < 1e-15);
        assert_eq!(depth.projection.bound(), Bound::Compute);
        assert!((rcas.projection.time_s() - 270.0 * display / 4.112e12).abs() < 1e-15);
        assert!((projection.time_ms() - 4.503_222).abs() < 1e-6);
        assert_eq!(projection.bound(), Bound::Compute);
        // Memory traffic alone would fit the budget three times over.
        let memory_ms: f64 = projection
            .passes
            .iter()
            .map(|p| p.projection.memory_s * 1e3)
            .sum();
        assert!((memory_ms - 0.740_571).abs() < 1e-6);

        // With the learned blend in the resolve (`KanseiTemporalBlend::Learned`).
        let learned = project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, true, true, &PS5_CLASS);
        assert_eq!(learned.passes[0].flops, 2200.0 * display);
        assert_eq!(learned.passes[1..], projection.passes[1..]);
        println!("with the learned blend: {:.3} ms", learned.time_ms());
        assert!((learned.time_ms() - 5.108_358).abs() < 1e-6);
    }

    #[test]
    fn total_is_the_sum_of_the_passes() {
        for sharpen in [false, true] {
            let projection =
                project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, sharpen, false, &PS5_CLASS);
            let sum: f64 = projection
                .passes
                .iter()
                .map(|p| p.projection.compute_s.max(p.projection.memory_s))
                .sum();
            assert!((projection.time_s() - sum).abs() < 1e-15);
            let bytes: f64 = projection.passes.iter().map(|p| p.bytes).sum();
            assert_eq!(projection.bytes(), bytes);
        }
    }

    #[test]
    fn cost_grows_with_the_display() {
        let mut previous = 0.0;
        for (display, render) in [
            ([1280, 720], [640, 360]),
            ([1920, 1080], [960, 540]),
            ([2560, 1440], [1280, 720]),
            (DISPLAY_4K, RENDER_PERFORMANCE),
        ] {
            let time = project_temporal(display, render, true, true, &PS5_CLASS).time_s();
            assert!(time > previous, "{display:?}: {time} <= {previous}");
            previous = time;
        }
        // A larger display at the same render size costs more too.
        let small = project_temporal([2560, 1440], RENDER_PERFORMANCE, false, true, &PS5_CLASS);
        let large = project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, false, true, &PS5_CLASS);
        assert!(large.time_s() > small.time_s());
    }

    #[test]
    fn sharpening_adds_the_rcas_pass() {
        let plain = project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, false, false, &PS5_CLASS);
        let sharpened = project_temporal(DISPLAY_4K, RENDER_PERFORMANCE, true, false, &PS5_CLASS);
        let names = |p: &TemporalProjection| p.passes.iter().map(|q| q.name).collect::<Vec<_>>();
        assert_eq!(names(&plain), ["resolve", "depth history"]);
        assert_eq!(names(&sharpened), ["resolve", "depth history", "RCAS"]);
        assert!(sharpened.time_s() > plain.time_s());
        assert_eq!(plain.passes[..], sharpened.passes[..2]);
        assert!((plain.time_ms() - 3.958_599).abs() < 1e-6);
    }

    #[test]
    fn empty_frames_cost_nothing() {
        let projection = project_temporal([0, 0], [0, 0], true, true, &PS5_CLASS);
        assert_eq!(projection.time_s(), 0.0);
        assert_eq!(projection.bound(), Bound::Memory);
    }
}
