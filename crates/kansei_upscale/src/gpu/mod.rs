//! The GPU compute harness: a device/queue context, embedded-WGSL compute kernels, and buffer
//! and texture helpers that move data to and from the GPU.
//!
//! Everything that can go wrong returns a [`GpuError`]: sizes are checked against the device's
//! limits before wgpu is called, and the wgpu calls themselves run inside error scopes
//! ([`GpuContext::capture_errors`]) so validation errors become values instead of panics.
//!
//! Shaders live in the repository's `shaders/` folder and are embedded with `include_str!` by the
//! code that uses them; nothing is read from disk at run time. WGSL has no includes: shaders that
//! share code are embedded with [`shader_with_common!`](crate::gpu::shader_with_common), which
//! prepends `shaders/common/sampling.wgsl` (source positions and the Keys kernel), so there is one
//! definition of the resampling maths on the GPU.

mod buffer;
mod context;
mod error;
mod format;
mod kernel;
mod texture;

pub use buffer::{create_buffer, create_buffer_init, read_buffer, read_buffer_bytes};
pub use context::GpuContext;
pub use error::{GpuError, NO_ADAPTER_FIX};
pub use format::{
    DEPTH_TEXTURE_DECLARATION, FLOAT_DEPTH_DECLARATION, RGBA32F_STORAGE_DECLARATION,
    wgsl_storage_format, with_depth_texture, with_storage_format,
};
pub use kernel::{BindingKind, ComputeKernel, KernelDescriptor, WORKGROUP_SIZE_2D, workgroups_2d};
/// Embeds `shaders/common/sampling.wgsl` followed by `shaders/<file>` as one `&'static str`
/// (WGSL declarations may come in any order, so the shared functions can precede their users).
macro_rules! shader_with_common {
    ($file:literal) => {
        concat!(
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/common/sampling.wgsl"
            )),
            "\n",
            include_str!(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../shaders/",
                $file
            ))
        )
    };
}
pub(crate) use shader_with_common;

pub use texture::{
    RGBA32F, check_texture_size, create_texture_2d, padded_bytes_per_row, read_image,
    read_texture_bytes, strip_row_padding, upload_image,
};

/// The layout of the struct called `name` in a parsed shader: each field's name and byte
/// offset, and the struct's size. Tests compare it with the Rust mirror of a uniform block.
#[cfg(test)]
pub(crate) fn wgsl_struct_layout(
    module: &wgpu::naga::Module,
    name: &str,
) -> Option<(Vec<(String, u32)>, u32)> {
    module.types.iter().find_map(|(_, ty)| match &ty.inner {
        wgpu::naga::TypeInner::Struct { members, span } if ty.name.as_deref() == Some(name) => {
            let fields = members
                .iter()
                .map(|m| (m.name.clone().unwrap_or_default(), m.offset))
                .collect();
            Some((fields, *span))
        }
        _ => None,
    })
}
