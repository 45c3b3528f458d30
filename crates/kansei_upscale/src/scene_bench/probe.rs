//! The harness's resolve check (`kansei upscale bench-scenes --check-resolve`): every frame,
//! each Kansei camera's temporal resolve is recomputed by the CPU reference
//! ([`resolve_cpu_with`], with the blend the plugin uses)
//! from the plugin's own inputs (the main texture's render rectangle, Bevy's prepass depth and
//! motion vectors, the history textures) and compared with what the GPU wrote; so is its
//! sharpening ([`rcas_cpu`] of the GPU's resolve).
//!
//! The parity tests compare the shader with the CPU reference on synthetic frames; this
//! compares them on the frames the harness scores, in the formats, sizes and order Bevy gives
//! the pass, so a difference that only real scenes trigger shows up as a count instead of as
//! an unexplained change of the scores. (It found one: RCAS limited its strength by alpha too,
//! and the resolve's alpha, an average of opaque samples, is 1 give or take a half-float step
//! that depends on how the shader is compiled, so two resolves equal to rounding flickered
//! differently after sharpening.)
//!
//! Two systems in the render app do it: [`copy_resolve_inputs`], in `Core3d` right after the
//! pass, records copies of the textures that change later in the frame or that Bevy made
//! without `COPY_SRC`; [`check_resolves`], in `RenderSystems::Cleanup` after the frame was
//! submitted, reads them back with the history textures and runs the CPU reference. Off by
//! default: it reads every frame back and blocks on the GPU to do so (at 320x180 it adds little
//! to the harness's time; at large display sizes the CPU resolves dominate).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use bevy::core_pipeline::{Core3d, Core3dSystems};
use bevy::prelude::*;
use bevy::render::renderer::{RenderContext, ViewQuery};
use bevy::render::{Render, RenderApp, RenderSystems};

use crate::ImageF32;
use crate::gpu::{
    BindingKind, ComputeKernel, GpuContext, GpuError, KernelDescriptor, RGBA32F, create_texture_2d,
    read_image, workgroups_2d,
};
use crate::plugin::{
    KanseiUpscalePipelines, UpscalePassView, UpscaleTemporalHistory, kansei_upscale,
};
use crate::spatial::rcas_cpu;
use crate::temporal::{
    BlendNetCpu, BlendPolicy, RuleBlend, TemporalFrame, TemporalHistory, TemporalHistoryCpu,
    TemporalParams, resolve_cpu_with,
};

const COPY_WGSL: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../../shaders/probe_copy.wgsl"
));
const FLOAT_SOURCE: &str = "var source: texture_2d<f32>;";
const DEPTH_SOURCE: &str = "var source: texture_depth_2d;";

/// The largest difference between a GPU output and the CPU reference's, relative to
/// `max(1, |cpu|)`, that counts as equal: the outputs are `rgba16float` (relative rounding
/// 2^-11 = 4.9e-4) and the parity tests allow 1e-3 beyond that.
pub const OUTPUT_TOLERANCE: f32 = 2e-3;

/// The largest share of history values whose 8-bit code may differ from the CPU reference's,
/// by one code: a value within float rounding of a rounding boundary goes either way.
pub const HISTORY_TIE_SHARE: f64 = 1e-4;

/// The resolve check of one Kansei camera over one scene (warm-up frames included).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResolveCheck {
    /// The camera's render resolution, which tells the modes apart.
    pub render: [u32; 2],
    /// Frames checked.
    pub frames: u32,
    /// Largest difference of the resolve's output from the CPU reference's, relative to
    /// `max(1, |cpu|)`, over every pixel and frame.
    pub max_output_error: f32,
    /// The frame (counted from the scene's first) where it was largest.
    pub worst_frame: u32,
    /// Largest difference of the sharpened (RCAS) output from the CPU's RCAS of the GPU's
    /// resolve, in the same units; 0 when the camera does not sharpen.
    pub max_sharpened_error: f32,
    /// Output values (resolve and sharpened, RGB) beyond [`OUTPUT_TOLERANCE`], over all frames.
    pub output_values_over: u64,
    /// History colour and confidence values compared, over all frames.
    pub history_values: u64,
    /// Of those, the values whose 8-bit code differs.
    pub history_values_differing: u64,
    /// The largest such difference, in codes.
    pub max_history_codes: u32,
    /// Depth-history texels (closest, farthest, moved) that differ, over all frames.
    pub depth_texels_differing: u64,
}

impl ResolveCheck {
    /// Whether the GPU agreed with the CPU reference: no output beyond [`OUTPUT_TOLERANCE`],
    /// history codes off by at most one in at most [`HISTORY_TIE_SHARE`] of the values, the
    /// depth history identical, and at least one frame checked.
    pub fn passed(&self) -> bool {
        self.frames > 0
            && self.output_values_over == 0
            && self.max_history_codes <= 1
            && self.history_values_differing as f64
                <= HISTORY_TIE_SHARE * self.history_values as f64
            && self.depth_texels_differing == 0
    }

    fn add(&mut self, frame: &FrameCheck) {
        if frame.max_output_error > self.max_output_error {
            self.max_output_error = frame.max_output_error;
            self.worst_frame = self.frames;
        }
        self.frames += 1;
        self.max_sharpened_error = self.max_sharpened_error.max(frame.max_sharpened_error);
        self.output_values_over += frame.output_values_over;
        self.history_values += frame.history_values;
        self.history_values_differing += frame.history_values_differing;
        self.max_history_codes = self.max_history_codes.max(frame.max_history_codes);
        self.depth_texels_differing += frame.depth_texels_differing;
    }
}

/// One frame of a Kansei camera's resolve inputs as the pass got them, read back: what
/// [`crate::temporal::resolve_cpu`] needs to replay the camera's resolves offline.
#[derive(Debug, Clone)]
pub struct SequenceFrame {
    /// The frame's parameters (sizes, jitter, reset, blending controls).
    pub params: TemporalParams,
    /// Linear colour of the render rectangle (the texture may be larger).
    pub color: ImageF32,
    /// Reverse-Z depth in channel 0.
    pub depth: ImageF32,
    /// Motion vectors in channels 0 and 1.
    pub motion: ImageF32,
}

/// The checks so far, by render resolution; shared by the main and the render world. With
/// `keep_inputs`, every checked frame's inputs are kept too, by render resolution.
#[derive(Resource, Clone, Default)]
pub(crate) struct ResolveChecks {
    checks: Arc<Mutex<HashMap<[u32; 2], ResolveCheck>>>,
    keep_inputs: bool,
    inputs: Arc<Mutex<HashMap<[u32; 2], Vec<SequenceFrame>>>>,
}

impl ResolveChecks {
    /// The inputs kept since the last call for the camera rendering at `render`, in order.
    pub(crate) fn take_inputs(&self, render: [u32; 2]) -> Vec<SequenceFrame> {
        match self.inputs.lock() {
            Ok(mut map) => {
                let frames = map.remove(&render).unwrap_or_default();
                map.clear();
                frames
            }
            Err(_) => Vec::new(),
        }
    }

    fn keep(&self, frame: SequenceFrame) {
        if let Ok(mut map) = self.inputs.lock() {
            map.entry(frame.params.render_size).or_default().push(frame);
        }
    }

    /// The checks since the last call, largest render resolution first.
    pub(crate) fn take(&self) -> Vec<ResolveCheck> {
        let mut checks: Vec<ResolveCheck> = match self.checks.lock() {
            Ok(mut map) => map.drain().map(|(_, check)| check).collect(),
            Err(_) => Vec::new(),
        };
        checks.sort_by_key(|c| std::cmp::Reverse(c.render[0] * c.render[1]));
        checks
    }

    fn record(&self, render: [u32; 2], frame: &FrameCheck) {
        if let Ok(mut map) = self.checks.lock() {
            map.entry(render)
                .or_insert_with(|| ResolveCheck {
                    render,
                    ..default()
                })
                .add(frame);
        }
    }
}

/// Adds the resolve check to `app`'s render app (after the upscaler plugin) and returns the
/// handle its results arrive in; with `keep_inputs`, the handle also keeps every checked
/// frame's inputs ([`ResolveChecks::take_inputs`]).
pub(crate) fn add_resolve_check(app: &mut App, keep_inputs: bool) -> ResolveChecks {
    let checks = ResolveChecks {
        keep_inputs,
        ..default()
    };
    if let Some(render_app) = app.get_sub_app_mut(RenderApp) {
        render_app
            .insert_resource(checks.clone())
            .init_resource::<CopiedFrames>()
            .add_systems(
                Core3d,
                copy_resolve_inputs
                    .after(kansei_upscale)
                    .in_set(Core3dSystems::EarlyPostProcess),
            )
            .add_systems(Render, check_resolves.in_set(RenderSystems::Cleanup));
    } else {
        warn!("scene bench: no render app, so no resolve check");
    }
    checks
}

/// One view's resolve inputs and outputs this frame, copied right after the pass.
struct CopiedFrame {
    view: Entity,
    params: TemporalParams,
    color: wgpu::Texture,
    depth: wgpu::Texture,
    motion: wgpu::Texture,
    /// The resolve's output.
    output: wgpu::Texture,
    /// RCAS's output and its sharpness in stops, when the view sharpens.
    sharpened: Option<(wgpu::Texture, f32)>,
}

#[derive(Resource, Default)]
struct CopiedFrames(Vec<CopiedFrame>);

/// The copy shader for float textures and for depth textures.
struct CopyKernels {
    float: ComputeKernel,
    depth: ComputeKernel,
}

impl CopyKernels {
    fn new(ctx: &GpuContext) -> Result<Self, GpuError> {
        let kernel = |label: &str, wgsl: &str, source: BindingKind| {
            ComputeKernel::new(
                ctx,
                &KernelDescriptor {
                    label,
                    wgsl,
                    entry_point: "copy_texels",
                    bindings: &[
                        source,
                        BindingKind::StorageTexture2d {
                            format: RGBA32F,
                            access: wgpu::StorageTextureAccess::WriteOnly,
                        },
                    ],
                },
            )
        };
        Ok(Self {
            float: kernel("kansei:probe:copy", COPY_WGSL, BindingKind::Texture2d)?,
            depth: kernel(
                "kansei:probe:copy_depth",
                &COPY_WGSL.replace(FLOAT_SOURCE, DEPTH_SOURCE),
                BindingKind::DepthTexture2d,
            )?,
        })
    }

    /// Records a copy of `source`'s top-left `size` texels into a new `rgba32float` texture.
    fn copy(
        &self,
        ctx: &GpuContext,
        encoder: &mut wgpu::CommandEncoder,
        source: &wgpu::TextureView,
        is_depth: bool,
        size: UVec2,
    ) -> Result<wgpu::Texture, GpuError> {
        let texture = create_texture_2d(
            ctx,
            "kansei:probe:copy",
            size.x,
            size.y,
            RGBA32F,
            wgpu::TextureUsages::STORAGE_BINDING | wgpu::TextureUsages::COPY_SRC,
        )?;
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let kernel = if is_depth { &self.depth } else { &self.float };
        let group = kernel.bind_group(
            ctx,
            &[
                wgpu::BindingResource::TextureView(source),
                wgpu::BindingResource::TextureView(&view),
            ],
        )?;
        kernel.encode(encoder, &group, workgroups_2d(size.x, size.y));
        Ok(texture)
    }
}

/// Copies a temporal view's resolve inputs and outputs, right after [`kansei_upscale`] recorded
/// them: the render rectangle of the frame it read (now the other main texture, as the pass
/// flipped them), the prepass depth and motion vectors, the resolve's output (the intermediate
/// texture when the view sharpens, else the main texture) and RCAS's (the main texture).
fn copy_resolve_inputs(
    view: ViewQuery<UpscalePassView>,
    pipelines: Option<Res<KanseiUpscalePipelines>>,
    mut kernels: Local<Option<CopyKernels>>,
    mut copied: ResMut<CopiedFrames>,
    mut ctx: RenderContext,
) {
    let entity = view.entity();
    let (target, state, intermediate, prepass, history) = view.into_inner();
    let (Some(pipelines), Some(prepass), Some(_)) = (pipelines, prepass, history) else {
        return;
    };
    let (Some(depth), Some(motion)) = (&prepass.depth, &prepass.motion_vectors) else {
        return;
    };
    if !state.temporal {
        return;
    }
    let gpu = pipelines.gpu();
    if kernels.is_none() {
        match CopyKernels::new(gpu) {
            Ok(made) => *kernels = Some(made),
            Err(error) => {
                error!("scene bench: the resolve check's copy shader failed: {error}");
                return;
            }
        }
    }
    let Some(kernels) = kernels.as_ref() else {
        return;
    };
    // The pass sharpens when the view asks for it and has its intermediate texture (the
    // bicubic fallback has no RCAS, but it has no temporal resolve either).
    let sharpened = state.sharpens().then_some(intermediate).flatten();
    let output = match sharpened {
        Some(texture) => &texture.0.default_view,
        None => target.main_texture_view(),
    };
    let encoder = ctx.command_encoder();
    let mut copy = |source: &wgpu::TextureView, is_depth: bool, size: UVec2| {
        kernels.copy(gpu, encoder, source, is_depth, size)
    };
    let frame = (|| {
        Ok::<_, GpuError>(CopiedFrame {
            view: entity,
            params: state.temporal_params(),
            color: copy(target.main_texture_other_view(), false, state.render)?,
            depth: copy(&depth.texture.default_view, true, state.render)?,
            motion: copy(&motion.texture.default_view, false, state.render)?,
            output: copy(output, false, state.display)?,
            sharpened: match sharpened {
                Some(_) => Some((
                    copy(target.main_texture_view(), false, state.display)?,
                    state.rcas_stops,
                )),
                None => None,
            },
        })
    })();
    match frame {
        Ok(frame) => copied.0.push(frame),
        Err(error) => error!("scene bench: copying the resolve's inputs failed: {error}"),
    }
}

/// Reads back this frame's copies with the history textures, resolves the same frame on the
/// CPU and records how far the two are apart.
fn check_resolves(
    mut copied: ResMut<CopiedFrames>,
    pipelines: Option<Res<KanseiUpscalePipelines>>,
    histories: Query<&UpscaleTemporalHistory>,
    checks: Res<ResolveChecks>,
    mut previous_depth: Local<HashMap<Entity, ImageF32>>,
) {
    let Some(pipelines) = pipelines else {
        return;
    };
    for frame in copied.0.drain(..) {
        let Ok(history) = histories.get(frame.view) else {
            continue;
        };
        let ctx = pipelines.gpu();
        let read = |texture: &wgpu::Texture| read_image(ctx, texture).map_err(|e| e.to_string());
        let inputs = (|| {
            Ok::<_, String>(SequenceFrame {
                params: frame.params,
                color: read(&frame.color)?,
                depth: read(&frame.depth)?,
                motion: read(&frame.motion)?,
            })
        })();
        let checked = inputs.and_then(|inputs| {
            let result = check_frame(
                ctx,
                &frame,
                &inputs,
                &history.0,
                previous_depth.get(&frame.view),
                pipelines.blend(),
            )?;
            if checks.keep_inputs {
                checks.keep(inputs);
            }
            Ok(result)
        });
        match checked {
            Ok((check, depth)) => {
                checks.record(frame.params.render_size, &check);
                previous_depth.insert(frame.view, depth);
            }
            Err(error) => error!("scene bench: resolve check: {error}"),
        }
    }
}

/// How far one frame's GPU resolve is from the CPU reference's.
#[derive(Debug, Default)]
struct FrameCheck {
    max_output_error: f32,
    max_sharpened_error: f32,
    output_values_over: u64,
    history_values: u64,
    history_values_differing: u64,
    max_history_codes: u32,
    depth_texels_differing: u64,
}

impl FrameCheck {
    /// Compares the RGB of two outputs, returning the largest relative error.
    fn compare_outputs(&mut self, gpu: &ImageF32, cpu: &ImageF32) -> f32 {
        let mut worst = 0.0_f32;
        for (g, c) in gpu.pixels().iter().zip(cpu.pixels()) {
            for (g, c) in g.iter().zip(c).take(3) {
                let error = (g - c).abs() / c.abs().max(1.0);
                if error.is_nan() || error > OUTPUT_TOLERANCE {
                    self.output_values_over += 1;
                }
                worst = worst.max(error);
            }
        }
        worst
    }
}

/// Resolves `frame` on the CPU against the GPU's history (its colour as the resolve read it,
/// the depth history the previous frame's depth pass wrote), sharpens the GPU's resolve with
/// the CPU's RCAS when the view sharpens, and compares. Returns the check and the depth history
/// this frame wrote, which the next frame's resolve reads.
fn check_frame(
    ctx: &GpuContext,
    frame: &CopiedFrame,
    inputs: &SequenceFrame,
    history: &TemporalHistory,
    previous_depth: Option<&ImageF32>,
    blend: Option<&BlendNetCpu>,
) -> Result<(FrameCheck, ImageF32), String> {
    let read = |texture: &wgpu::Texture| read_image(ctx, texture).map_err(|e| e.to_string());
    let (color, depth, motion) = (&inputs.color, &inputs.depth, &inputs.motion);
    let output = read(&frame.output)?;
    // Before the next frame's swap: `read` gives the colour this resolve read and the depth
    // history this frame's depth pass wrote.
    let stored = history.read(ctx).map_err(|e| e.to_string())?;
    let written = history.read_written_color(ctx).map_err(|e| e.to_string())?;
    let [width, height] = frame.params.display_size;
    let before = match previous_depth {
        Some(depth) => depth.clone(),
        None => ImageF32::filled(width, height, [0.0; 4]).map_err(|e| e.to_string())?,
    };
    let input = TemporalHistoryCpu::from_parts(stored.color().clone(), before)
        .map_err(|e| e.to_string())?;
    let mut policy: Box<dyn BlendPolicy> = match blend {
        Some(net) => Box::new(net.clone()),
        None => Box::new(RuleBlend),
    };
    let (cpu_output, cpu_history) = resolve_cpu_with(
        &TemporalFrame {
            color,
            depth,
            motion,
        },
        &input,
        &frame.params,
        policy.as_mut(),
    )
    .map_err(|e| e.to_string())?;

    let mut check = FrameCheck::default();
    check.max_output_error = check.compare_outputs(&output, &cpu_output);
    if let Some((sharpened, stops)) = &frame.sharpened {
        let cpu_sharpened = rcas_cpu(&output, *stops).map_err(|e| e.to_string())?;
        check.max_sharpened_error = check.compare_outputs(&read(sharpened)?, &cpu_sharpened);
    }
    for (gpu, cpu) in written.pixels().iter().zip(cpu_history.color().pixels()) {
        for (g, c) in gpu.iter().zip(cpu) {
            check.history_values += 1;
            let codes = ((g - c).abs() * 255.0).round() as u32;
            if codes > 0 {
                check.history_values_differing += 1;
                check.max_history_codes = check.max_history_codes.max(codes);
            }
        }
    }
    check.depth_texels_differing = stored
        .depth()
        .pixels()
        .iter()
        .zip(cpu_history.depth().pixels())
        .filter(|(gpu, cpu)| gpu != cpu)
        .count() as u64;
    Ok((check, stored.depth().clone()))
}
