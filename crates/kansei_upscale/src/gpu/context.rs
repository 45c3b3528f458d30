//! [`GpuContext`]: the device and queue the harness works with, wherever they came from.
//!
//! The core never insists on creating its own device: tests and tools open one with
//! [`GpuContext::new_headless`], while the Bevy integration hands in the renderer's own device and
//! queue through [`GpuContext::from_parts`] so textures can be shared without copies.

use super::GpuError;

/// A wgpu device, its queue and a description of the adapter behind them.
///
/// Cloning is cheap: wgpu's `Device` and `Queue` are reference-counted handles.
#[derive(Debug, Clone)]
pub struct GpuContext {
    device: wgpu::Device,
    queue: wgpu::Queue,
    adapter_info: wgpu::AdapterInfo,
}

impl GpuContext {
    /// Opens a device on the best adapter this machine has, with no window or surface.
    ///
    /// Preference order: a hardware GPU (high-performance first), then a software fallback
    /// adapter such as Mesa's lavapipe (`llvmpipe`), then anything enumeration finds; Vulkan,
    /// Metal and DX12 are searched before GL. The `WGPU_BACKEND` environment variable replaces
    /// that backend list, as in every wgpu app.
    ///
    /// Fails with [`GpuError::NoAdapter`], whose message names the fix, when nothing is found.
    pub fn new_headless() -> Result<Self, GpuError> {
        pollster::block_on(Self::new_headless_async())
    }

    /// Async form of [`GpuContext::new_headless`], for callers that already run an executor.
    pub async fn new_headless_async() -> Result<Self, GpuError> {
        let compiled = wgpu::Instance::enabled_backend_features();
        // Modern APIs first. GL only as a second tier: creating a GL instance probes
        // EGL/Wayland/X11, which is slow and prints errors on headless machines.
        let tiers = match wgpu::Backends::from_env() {
            Some(from_env) => vec![from_env],
            None => vec![wgpu::Backends::PRIMARY, wgpu::Backends::SECONDARY],
        };
        let mut tried = wgpu::Backends::empty();
        for backends in tiers {
            // Only backends compiled into this build can be searched; report exactly those.
            let backends = backends & compiled;
            if backends.is_empty() {
                continue;
            }
            tried |= backends;
            let instance = wgpu::Instance::new(wgpu::InstanceDescriptor {
                backends,
                ..wgpu::InstanceDescriptor::new_without_display_handle_from_env()
            });
            if let Some(adapter) = find_adapter(&instance, backends).await {
                return Self::open_device(&adapter).await;
            }
        }
        Err(GpuError::NoAdapter {
            tried: backend_names(tried),
        })
    }

    async fn open_device(adapter: &wgpu::Adapter) -> Result<Self, GpuError> {
        let adapter_info = adapter.get_info();
        let (device, queue) = adapter
            .request_device(&wgpu::DeviceDescriptor {
                label: Some("kansei:gpu:device"),
                required_features: wgpu::Features::empty(),
                // Ask for everything the adapter offers: compute work is sized by the caller, and
                // the harness checks sizes against `device.limits()` itself.
                required_limits: adapter.limits(),
                ..Default::default()
            })
            .await
            .map_err(|source| GpuError::RequestDevice {
                adapter: adapter_info.name.clone(),
                source,
            })?;
        Ok(Self {
            device,
            queue,
            adapter_info,
        })
    }

    /// Wraps a device and queue created elsewhere (for example Bevy's `RenderDevice` and
    /// `RenderQueue`), so the harness runs on the same device as the renderer.
    pub fn from_parts(device: wgpu::Device, queue: wgpu::Queue) -> Self {
        let adapter_info = device.adapter_info();
        Self {
            device,
            queue,
            adapter_info,
        }
    }

    /// The wgpu device.
    pub fn device(&self) -> &wgpu::Device {
        &self.device
    }

    /// The device's queue.
    pub fn queue(&self) -> &wgpu::Queue {
        &self.queue
    }

    /// Name, backend, driver and device type of the adapter behind the device.
    pub fn adapter_info(&self) -> &wgpu::AdapterInfo {
        &self.adapter_info
    }

    /// One line describing the adapter, e.g. `llvmpipe (LLVM 19.1.7, 256 bits) [Vulkan, Cpu]`.
    pub fn adapter_summary(&self) -> String {
        let info = &self.adapter_info;
        let driver = if info.driver_info.is_empty() {
            String::new()
        } else {
            format!(", driver {} {}", info.driver, info.driver_info)
        };
        format!(
            "{} [{}, {:?}{driver}]",
            info.name, info.backend, info.device_type
        )
    }

    /// Runs `f` inside wgpu error scopes and turns anything wgpu reports during it into
    /// [`GpuError::Wgpu`], naming `operation`.
    ///
    /// Without a scope wgpu hands errors to the device's uncaptured-error handler, which panics
    /// by default. Scopes are per thread, so `f` must do its wgpu calls on the calling thread.
    pub fn capture_errors<T>(&self, operation: &str, f: impl FnOnce() -> T) -> Result<T, GpuError> {
        // One scope per filter; they are popped in reverse order of pushing.
        let validation = self.device.push_error_scope(wgpu::ErrorFilter::Validation);
        let out_of_memory = self.device.push_error_scope(wgpu::ErrorFilter::OutOfMemory);
        let internal = self.device.push_error_scope(wgpu::ErrorFilter::Internal);
        let value = f();
        let errors = [
            pollster::block_on(internal.pop()),
            pollster::block_on(out_of_memory.pop()),
            pollster::block_on(validation.pop()),
        ];
        match errors.into_iter().flatten().next() {
            Some(source) => Err(GpuError::Wgpu {
                operation: operation.to_owned(),
                source,
            }),
            None => Ok(value),
        }
    }

    /// Blocks until all submitted work has finished and map callbacks have run.
    pub fn wait_idle(&self) -> Result<(), GpuError> {
        self.device.poll(wgpu::PollType::wait_indefinitely())?;
        Ok(())
    }
}

/// Hardware first, then the software fallback, then whatever enumeration returns.
async fn find_adapter(
    instance: &wgpu::Instance,
    backends: wgpu::Backends,
) -> Option<wgpu::Adapter> {
    for force_fallback_adapter in [false, true] {
        let options = wgpu::RequestAdapterOptions {
            power_preference: wgpu::PowerPreference::HighPerformance,
            force_fallback_adapter,
            compatible_surface: None,
        };
        if let Ok(adapter) = instance.request_adapter(&options).await {
            return Some(adapter);
        }
    }
    // `request_adapter` can reject adapters that enumeration still lists (e.g. ones reporting an
    // unusual device type); take a non-CPU one if there is one, else anything.
    let mut adapters = instance.enumerate_adapters(backends).await;
    adapters.sort_by_key(|adapter| adapter.get_info().device_type == wgpu::DeviceType::Cpu);
    adapters.into_iter().next()
}

/// `Backends::VULKAN | Backends::GL` → `"vulkan, gl"`.
fn backend_names(backends: wgpu::Backends) -> String {
    let names: Vec<String> = backends
        .iter_names()
        .map(|(name, _)| name.to_lowercase())
        .collect();
    if names.is_empty() {
        "none (no backend is compiled in or `WGPU_BACKEND` excludes them all)".to_owned()
    } else {
        names.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_names_lists_each_backend() {
        assert_eq!(
            backend_names(wgpu::Backends::VULKAN | wgpu::Backends::GL),
            "vulkan, gl"
        );
        assert!(backend_names(wgpu::Backends::empty()).starts_with("none"));
    }

    #[test]
    fn no_adapter_message_names_the_fix() {
        let message = GpuError::NoAdapter {
            tried: "vulkan".to_owned(),
        }
        .to_string();
        assert!(message.starts_with("no GPU adapter found: install Mesa's software Vulkan driver"));
        assert!(message.contains("`apt-get install mesa-vulkan-drivers`"));
        assert!(message.ends_with("(backends tried: vulkan)"));
    }
}
