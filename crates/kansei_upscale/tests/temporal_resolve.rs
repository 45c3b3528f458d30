//! The temporal resolve (`kansei_upscale::temporal`) on the GPU: parity with the CPU
//! reference, convergence of a static scene, a moving scene, and history rejection (reset and
//! a depth jump). The scenes are analytic, so every frame is sampled exactly where its jitter
//! says and the truth is known at display resolution.

mod common;

use kansei_upscale::gpu::{create_texture_2d, read_image, read_texture_bytes, upload_image};
use kansei_upscale::temporal::{
    BlendNetCpu, DepthInput, GpuTemporalResolver, TemporalFrame, TemporalHistory, TemporalInputs,
    TemporalParams, resolve_cpu, resolve_cpu_with,
};
use kansei_upscale::{ImageF32, ResampleFilter, resample_cpu};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const F32: wgpu::TextureFormat = wgpu::TextureFormat::Rgba32Float;

/// Element `index` of the van der Corput sequence in `base` (Halton's radical inverse).
fn halton(mut index: u32, base: u32) -> f32 {
    let (mut result, mut fraction) = (0.0, 1.0);
    while index > 0 {
        fraction /= base as f32;
        result += fraction * (index % base) as f32;
        index /= base;
    }
    result
}

/// The jitter of frame `frame`: Halton(2, 3) from index 1, centred on zero.
fn jitter(frame: u32) -> [f32; 2] {
    [halton(frame + 1, 2) - 0.5, halton(frame + 1, 3) - 0.5]
}

/// A scene of sinusoids with periods from 3.3 to 7.1 display pixels: most of its detail is
/// above the Nyquist limit of a half-resolution frame (period 4) and below the display's (2).
fn scene(x: f32, y: f32) -> [f32; 4] {
    use std::f32::consts::TAU;
    [
        0.5 + 0.25 * (TAU * (x / 3.3 + y / 7.1)).sin() + 0.15 * (TAU * y / 4.3).sin(),
        0.5 + 0.3 * (TAU * (0.8 * x + 0.6 * y) / 3.7).sin(),
        0.5 + 0.2 * (TAU * x / 5.3).cos() * (TAU * y / 3.9).cos(),
        1.0,
    ]
}

/// A second scene, unlike the first, for history that must not survive.
fn other_scene(x: f32, y: f32) -> [f32; 4] {
    let [r, g, b, a] = scene(y + 11.0, x + 5.0);
    [b, r, g, a]
}

/// `scene` shifted by `offset` display pixels, rendered at `render` with `jitter`: texel `i`
/// samples at display position `(i + 0.5 + jitter) * scale`.
fn render_frame(
    scene: fn(f32, f32) -> [f32; 4],
    render: [u32; 2],
    display: [u32; 2],
    jitter: [f32; 2],
    offset: [f32; 2],
) -> Result<ImageF32, Box<dyn std::error::Error>> {
    let scale = [
        display[0] as f32 / render[0] as f32,
        display[1] as f32 / render[1] as f32,
    ];
    Ok(ImageF32::from_fn(render[0], render[1], |x, y| {
        scene(
            (x as f32 + 0.5 + jitter[0]) * scale[0] - offset[0],
            (y as f32 + 0.5 + jitter[1]) * scale[1] - offset[1],
        )
    })?)
}

/// What a perfectly anti-aliased native frame shows: `scene` shifted by `offset`, averaged
/// over an 8x8 grid in each display pixel.
fn truth(
    scene: fn(f32, f32) -> [f32; 4],
    display: [u32; 2],
    offset: [f32; 2],
) -> Result<ImageF32, Box<dyn std::error::Error>> {
    Ok(ImageF32::from_fn(display[0], display[1], |x, y| {
        let mut sum = [0.0; 4];
        for j in 0..8 {
            for i in 0..8 {
                let v = scene(
                    x as f32 + (i as f32 + 0.5) / 8.0 - offset[0],
                    y as f32 + (j as f32 + 0.5) / 8.0 - offset[1],
                );
                for c in 0..4 {
                    sum[c] += v[c] / 64.0;
                }
            }
        }
        sum
    })?)
}

/// PSNR over RGB (peak 1), ignoring a `border`-pixel frame where edge clamping dominates.
fn psnr(a: &ImageF32, b: &ImageF32, border: u32) -> f64 {
    let (mut sum, mut count) = (0.0_f64, 0_u32);
    for y in border..a.height() - border {
        for x in border..a.width() - border {
            let (p, q) = (
                a.get(x, y).unwrap_or_default(),
                b.get(x, y).unwrap_or_default(),
            );
            for c in 0..3 {
                sum += f64::from(p[c] - q[c]).powi(2);
                count += 1;
            }
        }
    }
    10.0 * (f64::from(count) / sum).log10()
}

fn filled(size: [u32; 2], value: [f32; 4]) -> Result<ImageF32, Box<dyn std::error::Error>> {
    Ok(ImageF32::filled(size[0], size[1], value)?)
}

/// The GPU resolver and the test device.
fn resolver() -> Result<GpuTemporalResolver, Box<dyn std::error::Error>> {
    Ok(GpuTemporalResolver::new(common::context(), F32)?)
}

/// Runs `frames` frames of `scene` moving by `velocity` display pixels per frame (motion
/// vectors `motion_scale * velocity`, the jitter told to the resolver `jitter_sign` times the
/// one rendered), the first with `reset`, and returns the last output, its truth, and the PSNR
/// of the first output.
fn run_sequence(
    render: [u32; 2],
    display: [u32; 2],
    frames: u32,
    velocity: [f32; 2],
    motion_scale: f32,
    jitter_sign: f32,
) -> Result<(ImageF32, ImageF32, f64), Box<dyn std::error::Error>> {
    let ctx = common::context();
    let resolver = resolver()?;
    let mut history = TemporalHistory::new(ctx, display)?;
    let depth = filled(render, [0.5, 0.0, 0.0, 0.0])?;
    let motion = filled(
        render,
        [
            motion_scale * velocity[0] / display[0] as f32,
            motion_scale * velocity[1] / display[1] as f32,
            0.0,
            0.0,
        ],
    )?;
    let mut first_psnr = 0.0;
    let mut last = None;
    for t in 0..frames {
        let offset = [velocity[0] * t as f32, velocity[1] * t as f32];
        let jitter = jitter(t);
        let color = render_frame(scene, render, display, jitter, offset)?;
        let told = jitter.map(|j| jitter_sign * j);
        let mut params = TemporalParams::new(render, display, told);
        params.reset = t == 0;
        let frame = TemporalFrame {
            color: &color,
            depth: &depth,
            motion: &motion,
        };
        let output = resolver.resolve(ctx, &mut history, &frame, &params)?;
        let expected = truth(scene, display, offset)?;
        if t == 0 {
            first_psnr = psnr(&output, &expected, 2);
        }
        last = Some((output, expected));
    }
    let (output, expected) = last.ok_or("no frames")?;
    Ok((output, expected, first_psnr))
}

/// Random inputs (HDR colour, depth with steps, motion partly off-screen) in textures larger
/// than the frame, the rest filled with values that would show if read.
fn random_frame(
    rng: &mut StdRng,
    render: [u32; 2],
) -> Result<[ImageF32; 3], Box<dyn std::error::Error>> {
    let size = [render[0] + 3, render[1] + 2];
    let inside = |x: u32, y: u32| x < render[0] && y < render[1];
    let color = ImageF32::from_fn(size[0], size[1], |x, y| {
        if inside(x, y) {
            [
                rng.random_range(0.0..2.0),
                rng.random_range(0.0..1.0),
                rng.random_range(0.0..1.0),
                rng.random_range(0.0..1.0),
            ]
        } else {
            [50.0; 4]
        }
    })?;
    let depth = ImageF32::from_fn(size[0], size[1], |x, y| {
        let near = (x / 5 + y / 7) % 3 == 0;
        [
            if near { 0.6 } else { 0.2 } + rng.random_range(0.0..0.03),
            0.0,
            0.0,
            0.0,
        ]
    })?;
    let motion = ImageF32::from_fn(size[0], size[1], |_, _| {
        [
            rng.random_range(-0.08..0.08),
            rng.random_range(-0.08..0.08),
            0.0,
            0.0,
        ]
    })?;
    Ok([color, depth, motion])
}

/// Frame `t` of a random sequence at `render` -> `display`: [`random_frame`]'s images and a
/// random jitter, the first frame a camera cut.
struct RandomStep {
    images: [ImageF32; 3],
    params: TemporalParams,
}

impl RandomStep {
    fn new(
        rng: &mut StdRng,
        render: [u32; 2],
        display: [u32; 2],
        t: u32,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let images = random_frame(rng, render)?;
        let jitter = [rng.random_range(-0.5..0.5), rng.random_range(-0.5..0.5)];
        let mut params = TemporalParams::new(render, display, jitter);
        params.reset = t == 0;
        Ok(Self { images, params })
    }

    fn frame(&self) -> TemporalFrame<'_> {
        let [color, depth, motion] = &self.images;
        TemporalFrame {
            color,
            depth,
            motion,
        }
    }
}

/// GPU and CPU agree frame by frame, each frame starting from the GPU's history. Outputs to
/// 1e-3: both follow the same operations in `f32`, but GPU `exp`, `sqrt` and division need not
/// be correctly rounded (Vulkan allows several ULP; measured 1.1e-6 on lavapipe), and a
/// history value that lands within rounding of an 8-bit tie may store one step apart, which
/// moves the next frame's output by about `1 - alpha` of a step (up to 1e-2 at colour 1). So
/// each frame starts from the GPU's own history, histories may differ by one step in at most
/// 0.5 % of the values (measured: none), and outputs must agree to 1e-3, still 50 times
/// finer than an 8-bit history step near 1.
#[test]
fn gpu_matches_cpu_reference() -> TestResult {
    let ctx = common::context();
    let resolver = resolver()?;
    let mut rng = StdRng::seed_from_u64(41);
    for (render, display) in [
        ([37, 29], [74, 58]),
        ([40, 26], [60, 39]),
        ([23, 17], [23, 17]),
    ] {
        let mut history = TemporalHistory::new(ctx, display)?;
        let mut worst_output = 0.0_f32;
        let (mut history_steps, mut history_values) = (0_usize, 0_usize);
        for t in 0..4 {
            let step = RandomStep::new(&mut rng, render, display, t)?;
            let (frame, params) = (step.frame(), step.params);
            let before = history.read(ctx)?;
            let (cpu_output, cpu_history) = resolve_cpu(&frame, &before, &params)?;
            let gpu_output = resolver.resolve(ctx, &mut history, &frame, &params)?;
            let gpu_history = history.read(ctx)?;
            worst_output = worst_output.max(
                gpu_output
                    .max_abs_diff(&cpu_output)
                    .ok_or("output sizes differ")?,
            );
            assert_eq!(gpu_history.depth(), cpu_history.depth(), "depth history");
            for (g, c) in gpu_history
                .color()
                .pixels()
                .iter()
                .zip(cpu_history.color().pixels())
            {
                for k in 0..4 {
                    let steps = ((g[k] - c[k]).abs() * 255.0).round();
                    assert!(steps <= 1.0, "history differs by {steps} steps");
                    history_steps += usize::from(steps > 0.0);
                    history_values += 1;
                }
            }
        }
        eprintln!(
            "{render:?} -> {display:?}: output max |gpu - cpu| = {worst_output:e}, \
             {history_steps} of {history_values} history values one step apart"
        );
        assert!(worst_output <= 1e-3, "{render:?}: {worst_output}");
        assert!(history_steps * 200 <= history_values, "{history_steps}");
    }
    Ok(())
}

/// A learned blend written into the shader gives what the CPU reference gives with the same
/// network, to the tolerance of `gpu_matches_cpu_reference`; and it is really used: the
/// output moves away from the rule's by far more than that.
#[test]
fn gpu_with_a_blend_network_matches_cpu_reference() -> TestResult {
    let ctx = common::context();
    let mut rng = StdRng::seed_from_u64(43);
    let mut net = BlendNetCpu::default();
    for w in net.hidden_weight.iter_mut().flatten() {
        *w = rng.random_range(-0.5..0.5);
    }
    for b in &mut net.hidden_bias {
        *b = rng.random_range(-0.1..0.1);
    }
    for w in net.output_weight.iter_mut().flatten() {
        *w = rng.random_range(-0.3..0.3);
    }
    let resolver = GpuTemporalResolver::with_blend(ctx, F32, DepthInput::Float, Some(&net))?;
    let (render, display) = ([37, 29], [74, 58]);
    let mut history = TemporalHistory::new(ctx, display)?;
    let (mut worst, mut moved) = (0.0_f32, 0.0_f32);
    for t in 0..4 {
        let step = RandomStep::new(&mut rng, render, display, t)?;
        let (frame, params) = (step.frame(), step.params);
        let before = history.read(ctx)?;
        let (cpu, _) = resolve_cpu_with(&frame, &before, &params, &mut net.clone())?;
        let (rule, _) = resolve_cpu(&frame, &before, &params)?;
        let gpu = resolver.resolve(ctx, &mut history, &frame, &params)?;
        worst = worst.max(gpu.max_abs_diff(&cpu).ok_or("output sizes differ")?);
        moved = moved.max(rule.max_abs_diff(&cpu).ok_or("output sizes differ")?);
    }
    eprintln!("blend: max |gpu - cpu| = {worst:e}, max |net - rule| = {moved}");
    assert!(worst <= 1e-3, "{worst}");
    assert!(
        moved > 0.05,
        "the network barely changed the output: {moved}"
    );
    Ok(())
}

/// Writes channel 0 of `depth` into a new `Depth32Float` texture of the same size.
///
/// wgpu refuses every copy into `Depth32Float` (`queue.write_texture` and
/// `copy_buffer_to_texture` fail with `CopyToForbiddenTextureFormat`, and texture-to-texture
/// copies need equal formats), so a full-screen triangle writes each texel's value as
/// `frag_depth` with the depth test off. A `Depth32Float` attachment stores an `f32` in [0, 1]
/// as it is, so the depth texture holds exactly the float texture's values.
fn depth32_texture(
    ctx: &kansei_upscale::GpuContext,
    depth: &ImageF32,
) -> Result<wgpu::Texture, Box<dyn std::error::Error>> {
    const WGSL: &str = "
@group(0) @binding(0) var source: texture_2d<f32>;
@vertex
fn vertex(@builtin(vertex_index) index: u32) -> @builtin(position) vec4<f32> {
    let uv = vec2<f32>(f32((index << 1u) & 2u), f32(index & 2u));
    return vec4<f32>(uv * 2.0 - 1.0, 0.0, 1.0);
}
@fragment
fn fragment(@builtin(position) position: vec4<f32>) -> @builtin(frag_depth) f32 {
    return textureLoad(source, vec2<i32>(position.xy), 0).x;
}";
    let device = ctx.device();
    let source = upload_image(
        ctx,
        "test:depth_source",
        depth,
        wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let target = create_texture_2d(
        ctx,
        "test:depth32",
        depth.width(),
        depth.height(),
        wgpu::TextureFormat::Depth32Float,
        wgpu::TextureUsages::RENDER_ATTACHMENT | wgpu::TextureUsages::TEXTURE_BINDING,
    )?;
    let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
        label: Some("test:depth32"),
        source: wgpu::ShaderSource::Wgsl(WGSL.into()),
    });
    let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
        label: Some("test:depth32"),
        layout: None,
        vertex: wgpu::VertexState {
            module: &module,
            entry_point: Some("vertex"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            buffers: &[],
        },
        primitive: wgpu::PrimitiveState::default(),
        depth_stencil: Some(wgpu::DepthStencilState {
            format: wgpu::TextureFormat::Depth32Float,
            depth_write_enabled: Some(true),
            depth_compare: Some(wgpu::CompareFunction::Always),
            stencil: wgpu::StencilState::default(),
            bias: wgpu::DepthBiasState::default(),
        }),
        multisample: wgpu::MultisampleState::default(),
        fragment: Some(wgpu::FragmentState {
            module: &module,
            entry_point: Some("fragment"),
            compilation_options: wgpu::PipelineCompilationOptions::default(),
            targets: &[],
        }),
        multiview_mask: None,
        cache: None,
    });
    let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
    let bind_group = device.create_bind_group(&wgpu::BindGroupDescriptor {
        label: Some("test:depth32"),
        layout: &pipeline.get_bind_group_layout(0),
        entries: &[wgpu::BindGroupEntry {
            binding: 0,
            resource: wgpu::BindingResource::TextureView(&view(&source)),
        }],
    });
    let target_view = view(&target);
    let mut encoder = device.create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    {
        let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
            label: Some("test:depth32"),
            color_attachments: &[],
            depth_stencil_attachment: Some(wgpu::RenderPassDepthStencilAttachment {
                view: &target_view,
                depth_ops: Some(wgpu::Operations {
                    load: wgpu::LoadOp::Clear(0.0),
                    store: wgpu::StoreOp::Store,
                }),
                stencil_ops: None,
            }),
            timestamp_writes: None,
            occlusion_query_set: None,
            multiview_mask: None,
        });
        pass.set_pipeline(&pipeline);
        pass.set_bind_group(0, &bind_group, &[]);
        pass.draw(0..3, 0..1);
    }
    ctx.queue().submit([encoder.finish()]);
    ctx.wait_idle()?;
    Ok(target)
}

/// One resolve by `resolver` (built for [`DepthInput::DepthTexture`]) with `frame`'s depth in a
/// `Depth32Float` texture, as Bevy's prepass holds it; swaps `history` and returns the output
/// texture (the resolver's output format, display-sized).
fn resolve_depth_texture(
    resolver: &GpuTemporalResolver,
    history: &mut TemporalHistory,
    frame: &TemporalFrame<'_>,
    params: &TemporalParams,
) -> Result<wgpu::Texture, Box<dyn std::error::Error>> {
    let ctx = common::context();
    let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
    let usage = wgpu::TextureUsages::TEXTURE_BINDING;
    let color_texture = upload_image(ctx, "test:color", frame.color, usage)?;
    let motion_texture = upload_image(ctx, "test:motion", frame.motion, usage)?;
    let depth_texture = depth32_texture(ctx, frame.depth)?;
    let [width, height] = params.display_size;
    let output = create_texture_2d(
        ctx,
        "test:output",
        width,
        height,
        resolver.output_format(),
        wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
    )?;
    let mut encoder = ctx
        .device()
        .create_command_encoder(&wgpu::CommandEncoderDescriptor::default());
    resolver.encode(
        ctx,
        &mut encoder,
        &TemporalInputs {
            color: &view(&color_texture),
            depth: &view(&depth_texture),
            motion: &view(&motion_texture),
            history_in: history.read_view(),
            depth_history: history.depth_view(),
        },
        history.write_view(),
        &view(&output),
        params,
    )?;
    ctx.queue().submit([encoder.finish()]);
    ctx.wait_idle()?;
    history.swap();
    Ok(output)
}

/// The `texture_depth_2d` variant (Bevy's `Depth32Float` prepass depth) resolves exactly as the
/// float-depth one: the same random frames (depth with steps that trigger disocclusion, inputs
/// larger than the frame) for four frames, the depth written into a `Depth32Float` texture by
/// [`depth32_texture`]. Both read the same `f32` depth and run the same operations, so the
/// outputs must be equal (asserted to 1e-6, measured 0).
#[test]
fn depth_texture_variant_matches_float_depth() -> TestResult {
    let ctx = common::context();
    let float = resolver()?;
    let depth_variant = GpuTemporalResolver::with_depth_input(ctx, F32, DepthInput::DepthTexture)?;
    assert_eq!(depth_variant.depth_input(), DepthInput::DepthTexture);
    let mut rng = StdRng::seed_from_u64(7);
    let (render, display) = ([37, 29], [74, 58]);
    let mut float_history = TemporalHistory::new(ctx, display)?;
    let mut depth_history = TemporalHistory::new(ctx, display)?;
    for t in 0..4 {
        let step = RandomStep::new(&mut rng, render, display, t)?;
        let (frame, params) = (step.frame(), step.params);
        let expected = float.resolve(ctx, &mut float_history, &frame, &params)?;

        let output = resolve_depth_texture(&depth_variant, &mut depth_history, &frame, &params)?;
        let got = read_image(ctx, &output)?;
        let difference = got.max_abs_diff(&expected).ok_or("output sizes differ")?;
        eprintln!("frame {t}: max |depth texture - float depth| = {difference:e}");
        assert!(difference <= 1e-6, "frame {t}: {difference}");
        assert_eq!(
            depth_history.read(ctx)?.depth(),
            float_history.read(ctx)?.depth(),
            "frame {t}: depth history"
        );
    }
    Ok(())
}

/// `f16` bits to `f32`: what an `rgba16float` read-back holds.
fn f16_to_f32(bits: u16) -> f32 {
    let sign = if bits & 0x8000 == 0 { 1.0 } else { -1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let mantissa = f32::from(bits & 0x3ff);
    match exponent {
        0 => sign * mantissa * 2.0_f32.powi(-24),
        31 if mantissa == 0.0 => sign * f32::INFINITY,
        31 => f32::NAN,
        _ => sign * (1.0 + mantissa / 1024.0) * 2.0_f32.powi(exponent - 15),
    }
}

/// The shaders as the Bevy plugin compiles and binds them (an `rgba16float` output, Bevy's
/// HDR main texture, and depth from a `Depth32Float` texture) agree with the CPU reference,
/// frame by frame from the GPU's own history, on the random frames of
/// [`gpu_matches_cpu_reference`] at the three scales it uses: outputs to the half-float
/// rounding of the output (2^-11 relative) plus 1e-3, histories within one 8-bit step.
#[test]
fn plugin_formats_match_the_cpu_reference() -> TestResult {
    const F16: wgpu::TextureFormat = wgpu::TextureFormat::Rgba16Float;
    let ctx = common::context();
    let resolver = GpuTemporalResolver::with_depth_input(ctx, F16, DepthInput::DepthTexture)?;
    let mut rng = StdRng::seed_from_u64(43);
    for (render, display) in [
        ([37, 29], [74, 58]),
        ([40, 26], [60, 39]),
        ([23, 17], [23, 17]),
    ] {
        let mut history = TemporalHistory::new(ctx, display)?;
        let mut worst = 0.0_f32;
        for t in 0..4 {
            let step = RandomStep::new(&mut rng, render, display, t)?;
            let (frame, params) = (step.frame(), step.params);
            let before = history.read(ctx)?;
            let (expected, _) = resolve_cpu(&frame, &before, &params)?;

            let output = resolve_depth_texture(&resolver, &mut history, &frame, &params)?;
            let bytes = read_texture_bytes(ctx, &output)?;
            let got: Vec<f32> = bytes
                .chunks_exact(2)
                .map(|b| f16_to_f32(u16::from_le_bytes([b[0], b[1]])))
                .collect();
            for (g, e) in got.chunks_exact(4).zip(expected.pixels()) {
                for k in 0..4 {
                    let error = (g[k] - e[k]).abs() - e[k].abs() * 2.0_f32.powi(-11);
                    worst = worst.max(error);
                }
            }
        }
        eprintln!(
            "{render:?} -> {display:?}: output max |gpu - cpu| beyond f16 rounding = {worst:e}"
        );
        assert!(worst <= 1e-3, "{render:?}: {worst}");
    }
    Ok(())
}

/// A static scene at half resolution with Halton(2, 3) jitter converges towards the
/// anti-aliased display-resolution truth, far beyond a single-frame bicubic upscale, and its
/// first frame (no history) is about as good as bicubic.
#[test]
fn static_scene_converges() -> TestResult {
    let (render, display) = ([48, 32], [96, 64]);
    let (output, expected, first) = run_sequence(render, display, 32, [0.0, 0.0], 1.0, 1.0)?;
    let converged = psnr(&output, &expected, 2);
    let single = render_frame(scene, render, display, [0.0, 0.0], [0.0, 0.0])?;
    let bicubic = resample_cpu(&single, display[0], display[1], ResampleFilter::Bicubic)?;
    let bicubic = psnr(&bicubic, &expected, 2);
    eprintln!(
        "static: first frame {first:.2} dB, 32 frames {converged:.2} dB, bicubic {bicubic:.2} dB"
    );
    assert!(converged >= CONVERGED_DB, "{converged:.2} dB");
    assert!(
        converged >= bicubic + 7.0,
        "{converged:.2} vs bicubic {bicubic:.2} dB"
    );
    // With no history the frame alone is interpolated about as well as bicubic does.
    assert!(
        first >= bicubic - 0.5,
        "first frame {first:.2} vs bicubic {bicubic:.2} dB"
    );
    Ok(())
}

/// Static scene after 32 frames: 32.4 dB measured on lavapipe (first frame 18.6 dB, one-frame
/// bicubic 18.7 dB; 26.8 dB before static pixels kept the detail their clamp erased, see
/// `STATIC_AGREEMENT`), less a 0.9 dB margin.
const CONVERGED_DB: f64 = 31.5;
/// Moving scene after 24 frames: 23.0 dB measured on lavapipe (16.2 dB with the motion vectors
/// zeroed, bicubic of the last frame 14.6 dB), less a 1 dB margin.
const MOVING_DB: f64 = 22.0;

/// A scene moving by a fraction of a pixel per frame with correct motion vectors stays
/// aligned and sharp: well above a bicubic upscale of its last frame and above the same run with
/// the motion vectors zeroed (which smears the history along the motion).
#[test]
fn moving_scene_stays_aligned() -> TestResult {
    let (render, display) = ([48, 32], [96, 64]);
    let velocity = [0.73, -0.41];
    let (output, expected, _) = run_sequence(render, display, 24, velocity, 1.0, 1.0)?;
    let moving = psnr(&output, &expected, 4);
    let (still_mv, expected_still, _) = run_sequence(render, display, 24, velocity, 0.0, 1.0)?;
    let no_motion = psnr(&still_mv, &expected_still, 4);
    let offset = [velocity[0] * 23.0, velocity[1] * 23.0];
    let last = render_frame(scene, render, display, jitter(23), offset)?;
    let bicubic = resample_cpu(&last, display[0], display[1], ResampleFilter::Bicubic)?;
    let bicubic = psnr(&bicubic, &expected, 4);
    eprintln!(
        "moving: {moving:.2} dB with motion vectors, {no_motion:.2} dB without, bicubic {bicubic:.2} dB"
    );
    assert!(moving >= MOVING_DB, "{moving:.2} dB");
    assert!(
        moving >= no_motion + 5.0,
        "{moving:.2} vs {no_motion:.2} dB"
    );
    assert!(
        moving >= bicubic + 7.0,
        "{moving:.2} vs bicubic {bicubic:.2} dB"
    );
    Ok(())
}

/// A GPU history after `frames` static frames of `scene` at depth 0.5 (the first a reset).
fn warm_history(
    resolver: &GpuTemporalResolver,
    render: [u32; 2],
    display: [u32; 2],
    frames: u32,
) -> Result<TemporalHistory, Box<dyn std::error::Error>> {
    let ctx = common::context();
    let mut history = TemporalHistory::new(ctx, display)?;
    let depth = filled(render, [0.5, 0.0, 0.0, 0.0])?;
    let motion = filled(render, [0.0; 4])?;
    for t in 0..frames {
        let color = render_frame(scene, render, display, jitter(t), [0.0, 0.0])?;
        let mut params = TemporalParams::new(render, display, jitter(t));
        params.reset = t == 0;
        let frame = TemporalFrame {
            color: &color,
            depth: &depth,
            motion: &motion,
        };
        resolver.resolve(ctx, &mut history, &frame, &params)?;
    }
    Ok(history)
}

/// Largest per-channel difference over the display pixels with `x` in `columns`.
fn max_diff_in(a: &ImageF32, b: &ImageF32, columns: std::ops::Range<u32>) -> f32 {
    let mut worst = 0.0_f32;
    for y in 0..a.height() {
        for x in columns.clone() {
            let (p, q) = (
                a.get(x, y).unwrap_or_default(),
                b.get(x, y).unwrap_or_default(),
            );
            for c in 0..4 {
                worst = worst.max((p[c] - q[c]).abs());
            }
        }
    }
    worst
}

/// `reset` ignores the history: after a cut to another scene the output is exactly what an
/// empty history gives, while without `reset` the old scene leaks through.
#[test]
fn reset_ignores_history() -> TestResult {
    let ctx = common::context();
    let resolver = resolver()?;
    let (render, display) = ([32, 24], [64, 48]);
    let color = render_frame(other_scene, render, display, jitter(8), [0.0, 0.0])?;
    let depth = filled(render, [0.5, 0.0, 0.0, 0.0])?;
    let motion = filled(render, [0.0; 4])?;
    let frame = TemporalFrame {
        color: &color,
        depth: &depth,
        motion: &motion,
    };
    let mut params = TemporalParams::new(render, display, jitter(8));
    let fresh = resolver.resolve(
        ctx,
        &mut TemporalHistory::new(ctx, display)?,
        &frame,
        &params,
    )?;
    let kept = resolver.resolve(
        ctx,
        &mut warm_history(&resolver, render, display, 8)?,
        &frame,
        &params,
    )?;
    params.reset = true;
    let reset = resolver.resolve(
        ctx,
        &mut warm_history(&resolver, render, display, 8)?,
        &frame,
        &params,
    )?;
    let leaked = max_diff_in(&kept, &fresh, 0..display[0]);
    let after_reset = max_diff_in(&reset, &fresh, 0..display[0]);
    eprintln!(
        "cut: without reset the old scene moves the output by up to {leaked}, with reset {after_reset}"
    );
    assert!(after_reset <= 1e-6, "{after_reset}");
    assert!(leaked >= 0.05, "{leaked}");
    Ok(())
}

/// A depth jump rejects the history where it happens and only there: the left half of the
/// frame moves from depth 0.5 to 0.2 (reverse-Z: farther, as when a foreground object leaves),
/// the right half stays.
#[test]
fn depth_jump_rejects_history() -> TestResult {
    let ctx = common::context();
    let resolver = resolver()?;
    let (render, display) = ([32, 24], [64, 48]);
    let color = render_frame(other_scene, render, display, jitter(8), [0.0, 0.0])?;
    let depth = ImageF32::from_fn(render[0], render[1], |x, _| {
        [if x < render[0] / 2 { 0.2 } else { 0.5 }, 0.0, 0.0, 0.0]
    })?;
    let motion = filled(render, [0.0; 4])?;
    let frame = TemporalFrame {
        color: &color,
        depth: &depth,
        motion: &motion,
    };
    let params = TemporalParams::new(render, display, jitter(8));
    let fresh = resolver.resolve(
        ctx,
        &mut TemporalHistory::new(ctx, display)?,
        &frame,
        &params,
    )?;
    let jumped = resolver.resolve(
        ctx,
        &mut warm_history(&resolver, render, display, 8)?,
        &frame,
        &params,
    )?;
    // Four display pixels from the edge, the 3x3 render neighbourhoods lie on one side.
    let half = display[0] / 2;
    let rejected = max_diff_in(&jumped, &fresh, 0..half - 4);
    let kept = max_diff_in(&jumped, &fresh, half + 4..display[0]);
    eprintln!(
        "depth jump: |output - no history| up to {rejected} where depth jumped, {kept} where it did not"
    );
    assert!(rejected <= 1e-6, "{rejected}");
    assert!(kept >= 0.05, "{kept}");
    Ok(())
}

/// The jitter convention is the one the resolver assumes (texel `i` sampled at
/// `i + 0.5 + jitter`): telling it the opposite sign puts every sample in the wrong place.
#[test]
fn jitter_sign_matters() -> TestResult {
    let (render, display) = ([48, 32], [96, 64]);
    let (output, expected, _) = run_sequence(render, display, 16, [0.0, 0.0], 1.0, 1.0)?;
    let right = psnr(&output, &expected, 2);
    let (output, expected, _) = run_sequence(render, display, 16, [0.0, 0.0], 1.0, -1.0)?;
    let wrong = psnr(&output, &expected, 2);
    eprintln!("jitter: {right:.2} dB with the rendered sign, {wrong:.2} dB with the opposite");
    assert!(right >= wrong + 10.0, "{right:.2} vs {wrong:.2} dB");
    Ok(())
}

/// Resolves `frames` frames of a static wall (no motion, constant depth) whose colour at display
/// position `(x, y)` in frame `t` is `wall(x, y, t)`, on the CPU at 2x from `render`, the first
/// frame resetting the history, and returns the last output.
fn resolve_static_wall(
    render: [u32; 2],
    frames: u32,
    wall: impl Fn(f32, f32, u32) -> [f32; 4],
) -> Result<ImageF32, Box<dyn std::error::Error>> {
    let display = [2 * render[0], 2 * render[1]];
    let depth = filled(render, [0.5, 0.0, 0.0, 0.0])?;
    let motion = filled(render, [0.0; 4])?;
    let mut history = kansei_upscale::temporal::TemporalHistoryCpu::new(display)?;
    let mut last = None;
    for t in 0..frames {
        let j = jitter(t);
        let color = ImageF32::from_fn(render[0], render[1], |x, y| {
            wall(
                (x as f32 + 0.5 + j[0]) * 2.0,
                (y as f32 + 0.5 + j[1]) * 2.0,
                t,
            )
        })?;
        let mut params = TemporalParams::new(render, display, j);
        params.reset = t == 0;
        let frame = TemporalFrame {
            color: &color,
            depth: &depth,
            motion: &motion,
        };
        let (output, next) = resolve_cpu(&frame, &history, &params)?;
        history = next;
        last = Some(output);
    }
    Ok(last.ok_or("no frames")?)
}

/// A shadow edge sweeping over a static textured wall (no motion vectors: the wall does not
/// move, its lighting does) must not leave a bright trail: the static-pixel rule that keeps
/// unclipped history where this frame's samples missed detail (`STATIC_AGREEMENT`) must let the
/// clip follow a change of lighting. 2x, a soft edge moving half a display pixel per frame for
/// 48 frames: the mean error of the pixels the edge passed 3 to 12 pixels ago must stay small,
/// that of pixels shadowed from the start near zero. Run on the CPU reference, which the parity tests above tie
/// to the shader.
#[test]
fn moving_shadow_on_a_static_wall_leaves_no_trail() -> TestResult {
    let (render, display) = ([48, 16], [96, 32]);
    let edge = |t: u32| 30.0 + 0.5 * t as f32;
    let wall = |x: f32, y: f32, t: u32| {
        let texture = 0.5
            + 0.15
                * (std::f32::consts::TAU * x / 3.7).sin()
                * (std::f32::consts::TAU * y / 4.3).sin();
        let lit = ((x - edge(t)) + 0.5).clamp(0.0, 1.0);
        let light = 0.3 + 0.7 * lit;
        [
            texture * light,
            texture * light * 0.9,
            texture * light * 0.8,
            1.0,
        ]
    };
    let frames = 48;
    let output = resolve_static_wall(render, frames, wall)?;
    let t = frames - 1;
    let truth = ImageF32::from_fn(display[0], display[1], |x, y| {
        let mut sum = [0.0; 4];
        for j in 0..8 {
            for i in 0..8 {
                let v = wall(
                    x as f32 + (i as f32 + 0.5) / 8.0,
                    y as f32 + (j as f32 + 0.5) / 8.0,
                    t,
                );
                for c in 0..4 {
                    sum[c] += v[c] / 64.0;
                }
            }
        }
        sum
    })?;
    // Mean signed error (output - truth) of the first channel over columns `columns`, rows
    // away from the top and bottom edges.
    let error = |columns: std::ops::Range<u32>| {
        let (mut sum, mut count) = (0.0_f64, 0_u32);
        for y in 4..display[1] - 4 {
            for x in columns.clone() {
                let (o, e) = (
                    output.get(x, y).unwrap_or_default(),
                    truth.get(x, y).unwrap_or_default(),
                );
                sum += f64::from(o[0] - e[0]);
                count += 1;
            }
        }
        sum / f64::from(count)
    };
    let now = edge(t) as u32;
    let trail = error(now - 12..now - 3);
    let settled = error(6..24);
    println!("moving shadow: trail error {trail:+.4}, settled shadow error {settled:+.4}");
    // Measured: trail +0.0089 (the shadow is 0.15 to 0.2 there: about 3 levels of 8-bit sRGB
    // too bright); +0.0042 with the clip on every static pixel, +0.021 with
    // STATIC_AGREEMENT = 1.0. Settled shadow: 0.0000.
    assert!(trail.abs() < 0.012, "trail error {trail}");
    assert!(settled.abs() < 0.002, "settled error {settled}");
    Ok(())
}

/// A light changing colour, not brightness, over a static high-contrast wall (no motion
/// vectors): the static agreement test must see the change in the chroma channels too, or the
/// history keeps the old tint unclipped and a converged static pixel, averaging hundreds of
/// frames, keeps it for seconds. 2x, a checkerboard of two-pixel checks lit green for 40
/// frames, then magenta of the same luma for 24: the output's mean green excess
/// `g - (r + b) / 2` must have gone more than half the way from the green light's to the
/// magenta one's. Run on the CPU reference.
#[test]
fn a_change_of_light_colour_on_a_static_wall_is_followed() -> TestResult {
    let (render, display) = ([32, 16], [64, 32]);
    // Same luma (0.25 r + 0.5 g + 0.25 b) for both lights: 0.8.
    let green = [0.6, 1.0, 0.6];
    let magenta = [1.0, 0.6, 1.0];
    let wall = |x: f32, y: f32, light: [f32; 3]| {
        let check = if ((x / 2.0).floor() + (y / 2.0).floor()) as i32 % 2 == 0 {
            0.9
        } else {
            0.2
        };
        [check * light[0], check * light[1], check * light[2], 1.0]
    };
    let light = |t: u32| if t < 40 { green } else { magenta };
    let output = resolve_static_wall(render, 64, |x, y, t| wall(x, y, light(t)))?;
    let green_excess = |p: [f32; 4]| f64::from(p[1] - 0.5 * (p[0] + p[2]));
    let (mut got, mut want, mut was, mut count) = (0.0, 0.0, 0.0, 0.0);
    for y in 2..display[1] - 2 {
        for x in 2..display[0] - 2 {
            got += green_excess(output.get(x, y).unwrap_or_default());
            want += green_excess(wall(x as f32 + 0.5, y as f32 + 0.5, magenta));
            was += green_excess(wall(x as f32 + 0.5, y as f32 + 0.5, green));
            count += 1.0;
        }
    }
    let (got, want, was) = (got / count, want / count, was / count);
    println!("light colour change: green excess {got:+.4}, truth {want:+.4}");
    // Measured: -0.021 against -0.220 (the green light's +0.220): 55% of the way; the clip
    // brings the history to the edge of this frame's box, wide on a high-contrast surface, and
    // the rest follows at the static pixels' long average (a limitation: `STATIC_CONFIDENCE_GAIN`).
    // With the agreement test on luma alone, +0.202: the green stayed.
    assert!(
        got < 0.5 * (was + want),
        "green excess {got}: not half the way from {was} to {want}"
    );
    Ok(())
}
