//! [`ComputeKernel`]: one WGSL compute entry point with an explicit bind group layout.
//!
//! Every kernel in this crate uses a single bind group (`@group(0)`) whose bindings are numbered
//! `0..n` in the order of [`KernelDescriptor::bindings`]. An explicit layout (rather than wgpu's
//! derived one) lets bind groups be made before the pipeline exists and keeps the Rust side the
//! single statement of what the shader expects.
//!
//! Building a pipeline is the slow part (seconds on a software adapter), so build a kernel once
//! and dispatch it many times.

use super::{GpuContext, GpuError};

/// Side length of the square `@workgroup_size(8, 8)` every 2D image kernel here uses.
pub const WORKGROUP_SIZE_2D: u32 = 8;

/// What sits at one binding slot of a kernel's bind group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindingKind {
    /// `var<uniform>`.
    Uniform,
    /// `var<storage, read>` (`read_only: true`) or `var<storage, read_write>`.
    Storage {
        /// Whether the shader only reads the buffer.
        read_only: bool,
    },
    /// `texture_2d<f32>` read with `textureLoad` (no sampler), so any float format works,
    /// including the unfilterable `rgba32float`.
    Texture2d,
    /// `texture_2d<u32>` read with `textureLoad`: an unsigned-integer format (`r32uint`).
    UintTexture2d,
    /// `texture_depth_2d` read with `textureLoad`: a depth-format texture's depth aspect
    /// (Bevy's `Depth32Float` prepass depth), which cannot be bound as `texture_2d<f32>`.
    DepthTexture2d,
    /// `texture_storage_2d<format, access>`.
    StorageTexture2d {
        /// Texel format, which must match the WGSL declaration.
        format: wgpu::TextureFormat,
        /// Read/write access, which must match the WGSL declaration.
        access: wgpu::StorageTextureAccess,
    },
}

impl BindingKind {
    fn layout_entry(self, binding: u32) -> wgpu::BindGroupLayoutEntry {
        let ty = match self {
            Self::Uniform => wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Uniform,
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            Self::Storage { read_only } => wgpu::BindingType::Buffer {
                ty: wgpu::BufferBindingType::Storage { read_only },
                has_dynamic_offset: false,
                min_binding_size: None,
            },
            Self::Texture2d => wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Float { filterable: false },
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            Self::UintTexture2d => wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Uint,
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            Self::DepthTexture2d => wgpu::BindingType::Texture {
                sample_type: wgpu::TextureSampleType::Depth,
                view_dimension: wgpu::TextureViewDimension::D2,
                multisampled: false,
            },
            Self::StorageTexture2d { format, access } => wgpu::BindingType::StorageTexture {
                access,
                format,
                view_dimension: wgpu::TextureViewDimension::D2,
            },
        };
        wgpu::BindGroupLayoutEntry {
            binding,
            visibility: wgpu::ShaderStages::COMPUTE,
            ty,
            count: None,
        }
    }
}

/// Everything needed to build a [`ComputeKernel`].
#[derive(Debug, Clone, Copy)]
pub struct KernelDescriptor<'a> {
    /// Namespace for every wgpu label, e.g. `kansei:resample` gives `kansei:resample:pipeline`.
    pub label: &'a str,
    /// WGSL source, normally `include_str!`-ed from the repository's `shaders/` folder.
    pub wgsl: &'a str,
    /// The `@compute` function to run.
    pub entry_point: &'a str,
    /// `@group(0)` bindings in `@binding` order, starting at 0.
    pub bindings: &'a [BindingKind],
}

/// A compiled compute pipeline plus the bind group layout its resources must match.
#[derive(Debug, Clone)]
pub struct ComputeKernel {
    label: String,
    binding_count: usize,
    layout: wgpu::BindGroupLayout,
    pipeline: wgpu::ComputePipeline,
}

impl ComputeKernel {
    /// Compiles `desc.wgsl` and builds the pipeline; WGSL and layout errors come back as
    /// [`GpuError::Wgpu`] instead of panicking.
    pub fn new(ctx: &GpuContext, desc: &KernelDescriptor<'_>) -> Result<Self, GpuError> {
        let label = desc.label;
        let device = ctx.device();
        let (layout, pipeline) = ctx.capture_errors(&format!("{label}: build pipeline"), || {
            let module = device.create_shader_module(wgpu::ShaderModuleDescriptor {
                label: Some(&format!("{label}:shader")),
                source: wgpu::ShaderSource::Wgsl(desc.wgsl.into()),
            });
            let entries: Vec<_> = (0_u32..)
                .zip(desc.bindings)
                .map(|(binding, kind)| kind.layout_entry(binding))
                .collect();
            let layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
                label: Some(&format!("{label}:bind_group_layout")),
                entries: &entries,
            });
            let pipeline_layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
                label: Some(&format!("{label}:pipeline_layout")),
                bind_group_layouts: &[Some(&layout)],
                immediate_size: 0,
            });
            let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
                label: Some(&format!("{label}:pipeline")),
                layout: Some(&pipeline_layout),
                module: &module,
                entry_point: Some(desc.entry_point),
                compilation_options: wgpu::PipelineCompilationOptions::default(),
                cache: None,
            });
            (layout, pipeline)
        })?;
        Ok(Self {
            label: label.to_owned(),
            binding_count: desc.bindings.len(),
            layout,
            pipeline,
        })
    }

    /// The label namespace given at construction.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Binds `resources` in binding order (resource `i` goes to `@binding(i)`).
    pub fn bind_group(
        &self,
        ctx: &GpuContext,
        resources: &[wgpu::BindingResource<'_>],
    ) -> Result<wgpu::BindGroup, GpuError> {
        if resources.len() != self.binding_count {
            return Err(GpuError::BindingCount {
                label: self.label.clone(),
                expected: self.binding_count,
                actual: resources.len(),
            });
        }
        let entries: Vec<_> = (0_u32..)
            .zip(resources)
            .map(|(binding, resource)| wgpu::BindGroupEntry {
                binding,
                resource: resource.clone(),
            })
            .collect();
        let label = format!("{}:bind_group", self.label);
        ctx.capture_errors(&format!("{}: bind resources", self.label), || {
            ctx.device().create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some(&label),
                layout: &self.layout,
                entries: &entries,
            })
        })
    }

    /// Records one dispatch of `workgroups` into `encoder`, for callers (such as a render graph
    /// node) that own the encoder and submit it themselves.
    pub fn encode(
        &self,
        encoder: &mut wgpu::CommandEncoder,
        bind_group: &wgpu::BindGroup,
        workgroups: [u32; 3],
    ) {
        let mut pass = encoder.begin_compute_pass(&wgpu::ComputePassDescriptor {
            label: Some(&format!("{}:pass", self.label)),
            timestamp_writes: None,
        });
        pass.set_pipeline(&self.pipeline);
        pass.set_bind_group(0, bind_group, &[]);
        let [x, y, z] = workgroups;
        pass.dispatch_workgroups(x, y, z);
    }

    /// Binds `resources`, dispatches `workgroups`, submits and waits for the GPU to finish.
    pub fn dispatch(
        &self,
        ctx: &GpuContext,
        resources: &[wgpu::BindingResource<'_>],
        workgroups: [u32; 3],
    ) -> Result<(), GpuError> {
        let bind_group = self.bind_group(ctx, resources)?;
        ctx.capture_errors(&format!("{}: dispatch", self.label), || {
            let mut encoder =
                ctx.device()
                    .create_command_encoder(&wgpu::CommandEncoderDescriptor {
                        label: Some(&format!("{}:encoder", self.label)),
                    });
            self.encode(&mut encoder, &bind_group, workgroups);
            ctx.queue().submit([encoder.finish()]);
        })?;
        ctx.wait_idle()
    }
}

/// Workgroups needed to cover `width x height` with [`WORKGROUP_SIZE_2D`]² invocations each;
/// the partial groups at the right and bottom edges must bounds-check in the shader.
pub fn workgroups_2d(width: u32, height: u32) -> [u32; 3] {
    [
        width.div_ceil(WORKGROUP_SIZE_2D),
        height.div_ceil(WORKGROUP_SIZE_2D),
        1,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workgroups_cover_partial_tiles() {
        assert_eq!(workgroups_2d(1, 1), [1, 1, 1]);
        assert_eq!(workgroups_2d(8, 16), [1, 2, 1]);
        assert_eq!(workgroups_2d(7, 513), [1, 65, 1]);
        assert_eq!(workgroups_2d(97, 61), [13, 8, 1]);
    }
}
