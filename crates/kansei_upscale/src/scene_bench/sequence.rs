//! Resolve sequences for training and evaluating the learned blend
//! (`kansei upscale bench-scenes --sequences DIR`): per scene, the Performance-mode (2x)
//! camera's resolve inputs exactly as the plugin gave them to the pass, every measured frame,
//! with the supersampled ground truth of the same frames. Replaying a sequence through
//! [`crate::temporal::resolve_cpu_with`] reproduces the camera's resolves (the resolve check
//! holds the CPU reference to the GPU on these frames), so a blend can be trained and scored
//! offline, recursively, without a GPU.
//!
//! One safetensors file per scene, `<scene>.safetensors`, every tensor `f32`:
//!
//! | tensor | shape | what |
//! |--------|-------|------|
//! | `color` | `[frames, rh, rw, 4]` | linear colour of the render rectangle |
//! | `depth` | `[frames, rh, rw]` | reverse-Z depth |
//! | `motion` | `[frames, rh, rw, 2]` | motion vectors (UV units, current minus previous) |
//! | `truth_srgb` | `[frames, h, w, 3]` | ground truth, sRGB-encoded in `[0, 1]` |
//! | `jitter` | `[frames, 2]` | the frame's jitter in render pixels |
//! | `reset` | `[frames]` | 1 where the history was reset (the first frame) |
//! | `controls` | `[frames, 4]` | `alpha_min`, `depth_threshold`, `clip_gamma`, `static_motion` |
//! | `sizes` | `[2, 2]` | render and display `[width, height]` |

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use candle_core::{Device, Tensor};

use super::BenchError;
use super::methods::Shot;
use super::probe::SequenceFrame;
use crate::ImageF32;
use crate::scenes::BenchScene;
use crate::temporal::TemporalParams;

/// One scene's sequence, read back.
#[derive(Debug, Clone)]
pub struct ResolveSequence {
    /// The scene's name (the file's stem).
    pub scene: String,
    /// The resolve inputs, frame by frame; the first frame resets the history.
    pub frames: Vec<SequenceFrame>,
    /// The ground truth of each frame, sRGB-encoded in `[0, 1]` (channels 0-2).
    pub truth_srgb: Vec<ImageF32>,
}

/// Writes `scene`'s sequence for the camera rendering at `render` from the inputs the resolve
/// check kept (`inputs`, every resolve since the last scene) and the ground-truth frames.
/// The measured frames are the `frames` resolves from the last reset on.
pub(crate) fn write_sequence(
    dir: &Path,
    scene: BenchScene,
    frames: u32,
    inputs: Vec<SequenceFrame>,
    truth: &HashMap<(Shot, u32), ImageF32>,
) -> Result<PathBuf, BenchError> {
    let fail = |what: String| BenchError::Frames(format!("sequence of {}: {what}", scene.name()));
    let first = inputs
        .iter()
        .rposition(|f| f.params.reset)
        .ok_or_else(|| fail("no resolve reset its history".into()))?;
    let measured: Vec<&SequenceFrame> = inputs[first..].iter().take(frames as usize).collect();
    if measured.len() != frames as usize {
        return Err(fail(format!(
            "{} resolves after the cut, {frames} frames measured",
            measured.len()
        )));
    }
    let [rw, rh] = measured[0].params.render_size;
    let [w, h] = measured[0].params.display_size;
    let n = frames as usize;
    let mut color = Vec::with_capacity(n * (rw * rh * 4) as usize);
    let mut depth = Vec::with_capacity(n * (rw * rh) as usize);
    let mut motion = Vec::with_capacity(n * (rw * rh * 2) as usize);
    let mut truth_srgb = Vec::with_capacity(n * (w * h * 3) as usize);
    let mut jitter = Vec::with_capacity(n * 2);
    let mut reset = Vec::with_capacity(n);
    let mut controls = Vec::with_capacity(n * 4);
    for (k, frame) in measured.iter().enumerate() {
        let p = &frame.params;
        if p.render_size != [rw, rh] || p.display_size != [w, h] {
            return Err(fail(format!("frame {k} changed size")));
        }
        for y in 0..rh {
            for x in 0..rw {
                let at = |image: &ImageF32| image.get(x, y).ok_or(k);
                let (c, d, m) = (at(&frame.color), at(&frame.depth), at(&frame.motion));
                let (Ok(c), Ok(d), Ok(m)) = (c, d, m) else {
                    return Err(fail(format!("frame {k} is smaller than its render size")));
                };
                color.extend_from_slice(&c);
                depth.push(d[0]);
                motion.extend_from_slice(&m[..2]);
            }
        }
        let gt = truth
            .get(&(Shot::GroundTruth, k as u32))
            .ok_or_else(|| fail(format!("ground truth of frame {k} is missing")))?;
        if [gt.width(), gt.height()] != [w, h] {
            return Err(fail(format!("ground truth of frame {k} is not {w}x{h}")));
        }
        truth_srgb.extend(gt.pixels().iter().flat_map(|p| [p[0], p[1], p[2]]));
        jitter.extend_from_slice(&p.jitter);
        reset.push(if p.reset { 1.0 } else { 0.0 });
        controls.extend_from_slice(&[
            p.alpha_min,
            p.depth_threshold,
            p.clip_gamma,
            p.static_motion,
        ]);
    }
    let (rw, rh, w, h) = (rw as usize, rh as usize, w as usize, h as usize);
    let tensor = |data: Vec<f32>, shape: &[usize]| {
        Tensor::from_vec(data, shape, &Device::Cpu).map_err(|e| fail(e.to_string()))
    };
    let sizes = vec![rw as f32, rh as f32, w as f32, h as f32];
    let tensors: HashMap<String, Tensor> = [
        ("color", tensor(color, &[n, rh, rw, 4])?),
        ("depth", tensor(depth, &[n, rh, rw])?),
        ("motion", tensor(motion, &[n, rh, rw, 2])?),
        ("truth_srgb", tensor(truth_srgb, &[n, h, w, 3])?),
        ("jitter", tensor(jitter, &[n, 2])?),
        ("reset", tensor(reset, &[n])?),
        ("controls", tensor(controls, &[n, 4])?),
        ("sizes", tensor(sizes, &[2, 2])?),
    ]
    .into_iter()
    .map(|(name, t)| (name.to_string(), t))
    .collect();
    std::fs::create_dir_all(dir).map_err(|e| fail(format!("{}: {e}", dir.display())))?;
    let path = dir.join(format!("{}.safetensors", scene.name()));
    candle_core::safetensors::save(&tensors, &path)
        .map_err(|e| fail(format!("{}: {e}", path.display())))?;
    Ok(path)
}

/// Reads a sequence written by `bench-scenes --sequences`, checking every shape.
pub fn read_sequence(path: &Path) -> Result<ResolveSequence, String> {
    let context = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    let tensors = candle_core::safetensors::load(path, &Device::Cpu).map_err(|e| context(&e))?;
    let get = |name: &str, dims: usize| -> Result<(Vec<usize>, Vec<f32>), String> {
        let t = tensors
            .get(name)
            .ok_or_else(|| context(&format!("no tensor `{name}`")))?;
        if t.rank() != dims {
            return Err(context(&format!(
                "`{name}` has rank {}, not {dims}",
                t.rank()
            )));
        }
        let values = t
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(|e| context(&format!("`{name}`: {e}")))?;
        if values.iter().any(|v| !v.is_finite()) {
            return Err(context(&format!(
                "`{name}` holds a value that is not finite"
            )));
        }
        Ok((t.dims().to_vec(), values))
    };
    let (_, sizes) = get("sizes", 2)?;
    let [rw, rh, w, h] = [0, 1, 2, 3].map(|i| sizes.get(i).copied().unwrap_or(0.0) as usize);
    let (color_dims, color) = get("color", 4)?;
    let n = color_dims[0];
    let expect = |name: &str, got: &[usize], want: &[usize]| {
        if got == want {
            Ok(())
        } else {
            Err(context(&format!("`{name}` is {got:?}, expected {want:?}")))
        }
    };
    expect("color", &color_dims, &[n, rh, rw, 4])?;
    let (dims, depth) = get("depth", 3)?;
    expect("depth", &dims, &[n, rh, rw])?;
    let (dims, motion) = get("motion", 4)?;
    expect("motion", &dims, &[n, rh, rw, 2])?;
    let (dims, truth) = get("truth_srgb", 4)?;
    expect("truth_srgb", &dims, &[n, h, w, 3])?;
    let (dims, jitter) = get("jitter", 2)?;
    expect("jitter", &dims, &[n, 2])?;
    let (dims, reset) = get("reset", 1)?;
    expect("reset", &dims, &[n])?;
    let (dims, controls) = get("controls", 2)?;
    expect("controls", &dims, &[n, 4])?;
    if n == 0 || rw == 0 || rh == 0 || w < rw || h < rh {
        return Err(context(&"empty sequence or impossible sizes"));
    }
    let image = |width: usize, height: usize, data: &[f32], channels: usize| {
        ImageF32::from_fn(width as u32, height as u32, |x, y| {
            let i = (y as usize * width + x as usize) * channels;
            let mut p = [0.0, 0.0, 0.0, 1.0];
            p[..channels].copy_from_slice(&data[i..i + channels]);
            p
        })
        .map_err(|e| context(&e))
    };
    let mut frames = Vec::with_capacity(n);
    let mut truth_srgb = Vec::with_capacity(n);
    let (rsize, dsize) = (rw * rh, w * h);
    for k in 0..n {
        let mut params = TemporalParams::new(
            [rw as u32, rh as u32],
            [w as u32, h as u32],
            [jitter[2 * k], jitter[2 * k + 1]],
        );
        params.reset = reset[k] != 0.0;
        [
            params.alpha_min,
            params.depth_threshold,
            params.clip_gamma,
            params.static_motion,
        ] = [0, 1, 2, 3].map(|c| controls[4 * k + c]);
        params
            .to_gpu()
            .map_err(|e| context(&format!("frame {k}: {e}")))?;
        frames.push(SequenceFrame {
            params,
            color: image(rw, rh, &color[k * rsize * 4..(k + 1) * rsize * 4], 4)?,
            depth: image(rw, rh, &depth[k * rsize..(k + 1) * rsize], 1)?,
            motion: image(rw, rh, &motion[k * rsize * 2..(k + 1) * rsize * 2], 2)?,
        });
        truth_srgb.push(image(w, h, &truth[k * dsize * 3..(k + 1) * dsize * 3], 3)?);
    }
    let scene = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(ResolveSequence {
        scene,
        frames,
        truth_srgb,
    })
}
