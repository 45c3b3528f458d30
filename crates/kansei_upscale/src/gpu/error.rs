//! [`GpuError`]: every way the compute harness can fail, as a value instead of a wgpu panic.

/// The fix printed whenever no adapter can be opened; shared with the tests that look for it.
pub const NO_ADAPTER_FIX: &str = "install Mesa's software Vulkan driver \
     (`apt-get install mesa-vulkan-drivers`) or run on a machine with a GPU driver";

/// Errors from opening a device, creating resources, dispatching or reading back.
#[derive(Debug, thiserror::Error)]
pub enum GpuError {
    /// A shader's source could not be prepared (e.g. values written into it are invalid).
    #[error("cannot prepare the shader: {reason}")]
    Shader {
        /// What is wrong.
        reason: String,
    },
    /// No adapter on any enabled backend could be found (not even a software one).
    #[error("no GPU adapter found: {fix} (backends tried: {tried})", fix = NO_ADAPTER_FIX)]
    NoAdapter {
        /// Comma-separated backend names that were searched, e.g. `vulkan, gl`.
        tried: String,
    },
    /// An adapter was found but refused to open a device.
    #[error("could not open a device on adapter `{adapter}`: {source}")]
    RequestDevice {
        /// Adapter name as the driver reports it.
        adapter: String,
        /// wgpu's reason.
        #[source]
        source: wgpu::RequestDeviceError,
    },
    /// wgpu reported a validation, out-of-memory or internal error inside an error scope.
    #[error("{operation} failed: {source}")]
    Wgpu {
        /// What the harness was doing, e.g. `kansei:resample: create pipeline`.
        operation: String,
        /// The error wgpu captured.
        #[source]
        source: wgpu::Error,
    },
    /// A 2D texture was requested with a zero side or a side above the device limit.
    #[error(
        "texture size {width}x{height} is not allowed: each side must be between 1 and \
         {max} (the device's `max_texture_dimension_2d`)"
    )]
    TextureSize {
        /// Requested width.
        width: u32,
        /// Requested height.
        height: u32,
        /// The device's `max_texture_dimension_2d`.
        max: u32,
    },
    /// A buffer was requested with size zero or above the device's `max_buffer_size`.
    #[error("buffer size {size} bytes is not allowed: it must be between 1 and {max}")]
    BufferSize {
        /// Requested size in bytes.
        size: u64,
        /// The device's `max_buffer_size`.
        max: u64,
    },
    /// The texture format has no fixed texel size (compressed, depth/stencil), so the
    /// harness cannot read it back as plain rows.
    #[error("texture format {format:?} cannot be read back by the harness")]
    UnsupportedFormat {
        /// The offending format.
        format: wgpu::TextureFormat,
    },
    /// A shader was asked to write a storage texture format it cannot be compiled for.
    #[error(
        "texture format {format:?} cannot be written by the upscaler's shaders \
         (they write rgba32float, rgba16float or rgba8unorm)"
    )]
    UnsupportedStorageFormat {
        /// The requested format.
        format: wgpu::TextureFormat,
    },
    /// A kernel was bound with a different number of resources than its layout declares.
    #[error("kernel `{label}` declares {expected} bindings but {actual} resources were given")]
    BindingCount {
        /// The kernel's label.
        label: String,
        /// Bindings in the kernel's layout.
        expected: usize,
        /// Resources passed to the call.
        actual: usize,
    },
    /// Mapping a read-back buffer failed.
    #[error("mapping a read-back buffer failed: {0}")]
    Map(#[from] wgpu::BufferAsyncError),
    /// The map callback was dropped without running (the device was lost or destroyed).
    #[error("the read-back buffer's map callback never ran; was the device lost?")]
    MapCallbackDropped,
    /// Waiting for the device failed.
    #[error("waiting for the GPU failed: {0}")]
    Poll(#[from] wgpu::PollError),
}
