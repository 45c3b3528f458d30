//! Shared set-up for the GPU integration tests: one device per test binary.
//!
//! These tests never skip. On a machine without any adapter they fail with the harness's
//! `NoAdapter` message, which says how to install Mesa's software Vulkan driver.

use std::sync::OnceLock;

use kansei_upscale::GpuContext;

/// The test binary's device, opened on first use and shared by every test thread.
///
/// wgpu devices are `Send + Sync`, and error scopes are per thread, so concurrent tests do not
/// see each other's errors.
pub fn context() -> &'static GpuContext {
    static CONTEXT: OnceLock<Result<GpuContext, String>> = OnceLock::new();
    let ctx = CONTEXT.get_or_init(|| {
        let ctx = GpuContext::new_headless().map_err(|e| e.to_string())?;
        eprintln!("GPU tests run on adapter: {}", ctx.adapter_summary());
        Ok(ctx)
    });
    match ctx {
        Ok(ctx) => ctx,
        Err(message) => panic!("{message}"),
    }
}
