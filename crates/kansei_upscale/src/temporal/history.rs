//! [`TemporalHistory`]: the GPU history textures of one view, for callers that let the
//! resolver own them (tests, tools). A renderer that manages its own textures creates the same
//! three with [`HISTORY_COLOR_FORMAT`] and [`HISTORY_DEPTH_FORMAT`] and passes their views to
//! [`GpuTemporalResolver::encode`](super::GpuTemporalResolver::encode).

use super::TemporalError;
use super::cpu::TemporalHistoryCpu;
use super::encoding::unpack_depth_pair;
use super::memory::{HISTORY_COLOR_FORMAT, HISTORY_DEPTH_FORMAT};
use crate::gpu::{GpuContext, create_texture_2d, read_texture_bytes};
use crate::image::ImageF32;

const LABEL: &str = "kansei:temporal:history";

/// Usages every history texture needs: sampled by the resolve, written as storage, and copied
/// out for read-back.
const USAGE: wgpu::TextureUsages = wgpu::TextureUsages::TEXTURE_BINDING
    .union(wgpu::TextureUsages::STORAGE_BINDING)
    .union(wgpu::TextureUsages::COPY_SRC);

/// A view's history on the GPU: two colour-and-confidence textures used in turn (one read, the
/// other written) and one depth texture. wgpu zero-initialises textures, so a new history has
/// zero confidence everywhere.
#[derive(Debug)]
pub struct TemporalHistory {
    color: [wgpu::Texture; 2],
    color_views: [wgpu::TextureView; 2],
    depth: wgpu::Texture,
    depth_view: wgpu::TextureView,
    /// Which of `color` holds the latest history.
    latest: usize,
}

impl TemporalHistory {
    /// Creates the three textures for a display of `[width, height]`
    /// ([`memory_bytes`](super::memory_bytes) of it).
    pub fn new(ctx: &GpuContext, display: [u32; 2]) -> Result<Self, TemporalError> {
        let [width, height] = display;
        let color_texture = |index: usize| {
            create_texture_2d(
                ctx,
                &format!("{LABEL}:color{index}"),
                width,
                height,
                HISTORY_COLOR_FORMAT,
                USAGE,
            )
        };
        let color = [color_texture(0)?, color_texture(1)?];
        let depth = create_texture_2d(
            ctx,
            &format!("{LABEL}:depth"),
            width,
            height,
            HISTORY_DEPTH_FORMAT,
            USAGE,
        )?;
        let view = |t: &wgpu::Texture| t.create_view(&wgpu::TextureViewDescriptor::default());
        Ok(Self {
            color_views: [view(&color[0]), view(&color[1])],
            depth_view: view(&depth),
            color,
            depth,
            latest: 0,
        })
    }

    /// `[width, height]` of the display the history was made for.
    pub fn display_size(&self) -> [u32; 2] {
        [self.depth.width(), self.depth.height()]
    }

    /// The colour history the next resolve reads.
    pub fn read_view(&self) -> &wgpu::TextureView {
        &self.color_views[self.latest]
    }

    /// The colour history the next resolve writes.
    pub fn write_view(&self) -> &wgpu::TextureView {
        &self.color_views[1 - self.latest]
    }

    /// The depth history: read by the next resolve, then overwritten by it.
    pub fn depth_view(&self) -> &wgpu::TextureView {
        &self.depth_view
    }

    /// Makes the texture just written the one the next resolve reads; call once per encoded
    /// resolve.
    pub fn swap(&mut self) {
        self.latest = 1 - self.latest;
    }

    /// Reads the latest history back (blocks until the GPU is done), in the CPU reference's
    /// representation: colour as `k / 255`, the depth neighbourhoods unpacked (see
    /// [`TemporalHistoryCpu::depth`]).
    pub fn read(&self, ctx: &GpuContext) -> Result<TemporalHistoryCpu, TemporalError> {
        let [width, height] = self.display_size();
        let color = self.read_color(ctx, self.latest)?;
        let depth_bytes = read_texture_bytes(ctx, &self.depth)?;
        let depth: Vec<u32> = bytemuck::pod_collect_to_vec(&depth_bytes);
        let unpack = |packed: u32| {
            let (closest, farthest, moved) = unpack_depth_pair(packed);
            [closest, farthest, if moved { 1.0 } else { 0.0 }, 0.0]
        };
        TemporalHistoryCpu::from_parts(
            color,
            ImageF32::new(width, height, depth.into_iter().map(unpack).collect())?,
        )
    }

    /// Reads back the colour history the next resolve writes (the one [`Self::read`] does not),
    /// as `k / 255` like [`TemporalHistoryCpu::color`]: after a resolve and before the
    /// [`swap`](Self::swap), what that resolve wrote.
    pub fn read_written_color(&self, ctx: &GpuContext) -> Result<ImageF32, TemporalError> {
        self.read_color(ctx, 1 - self.latest)
    }

    fn read_color(&self, ctx: &GpuContext, index: usize) -> Result<ImageF32, TemporalError> {
        let [width, height] = self.display_size();
        let bytes = read_texture_bytes(ctx, &self.color[index])?;
        let color = bytes
            .chunks_exact(4)
            .map(|t| [t[0], t[1], t[2], t[3]].map(|v| f32::from(v) / 255.0))
            .collect();
        Ok(ImageF32::new(width, height, color)?)
    }
}
