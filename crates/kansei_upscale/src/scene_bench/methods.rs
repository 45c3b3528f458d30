//! The methods the harness compares, and the cameras ("shots") that render them.

use crate::plugin::{UpscaleMode, render_resolution};
use bevy::math::UVec2;

/// Kansei's modes, each measured: the order reports list them in.
pub const KANSEI_MODES: [UpscaleMode; 5] = [
    UpscaleMode::NativeAa,
    UpscaleMode::Quality,
    UpscaleMode::Balanced,
    UpscaleMode::Performance,
    UpscaleMode::UltraPerformance,
];

/// The render-to-display ratio of the low-resolution frame the single-frame methods upscale:
/// `Performance`'s 2x, the mode the bars are about.
pub const LOW_RES_RATIO: f32 = 2.0;

/// One method the harness measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BenchMethod {
    /// `KanseiUpscale` in the given mode (temporal path, the sharpness of [`super::BenchConfig::sharpness`]).
    Kansei(UpscaleMode),
    /// Bevy's TAA (`TemporalAntiAliasing`) at display resolution: what a game gets without an
    /// upscaler, the reference a user compares against.
    TaaNative,
    /// Bilinear upscale of a frame rendered at half the display resolution (no jitter).
    Bilinear,
    /// The upscaler core's `fast` network alone on the same half-resolution frame.
    SpatialFast,
    /// The upscaler core's `balanced` network alone on the same half-resolution frame.
    SpatialBalanced,
}

impl BenchMethod {
    /// Every method, in the order reports list them.
    pub fn all() -> Vec<Self> {
        KANSEI_MODES
            .into_iter()
            .map(Self::Kansei)
            .chain([
                Self::TaaNative,
                Self::Bilinear,
                Self::SpatialFast,
                Self::SpatialBalanced,
            ])
            .collect()
    }

    /// The method's name in reports (`snake_case`).
    pub fn name(self) -> String {
        match self {
            Self::Kansei(mode) => format!("kansei_{}", mode_name(mode)),
            Self::TaaNative => "taa_native".into(),
            Self::Bilinear => "bilinear".into(),
            Self::SpatialFast => "spatial_fast".into(),
            Self::SpatialBalanced => "spatial_balanced".into(),
        }
    }

    /// The resolution the method renders the scene at, for a `display` size.
    pub fn render_size(self, display: UVec2) -> UVec2 {
        match self {
            Self::Kansei(mode) => render_resolution(display, mode.ratio()),
            Self::TaaNative => display,
            Self::Bilinear | Self::SpatialFast | Self::SpatialBalanced => {
                render_resolution(display, LOW_RES_RATIO)
            }
        }
    }

    /// The camera whose frames the method is measured on (or computed from).
    pub(crate) fn shot(self) -> Shot {
        match self {
            Self::Kansei(mode) => Shot::Kansei(
                KANSEI_MODES
                    .iter()
                    .position(|m| *m == mode)
                    .unwrap_or(KANSEI_MODES.len()),
            ),
            Self::TaaNative => Shot::Taa,
            Self::Bilinear | Self::SpatialFast | Self::SpatialBalanced => Shot::LowRes,
        }
    }
}

/// `snake_case` name of a mode.
pub fn mode_name(mode: UpscaleMode) -> String {
    match mode {
        UpscaleMode::NativeAa => "native_aa".into(),
        UpscaleMode::Quality => "quality".into(),
        UpscaleMode::Balanced => "balanced".into(),
        UpscaleMode::Performance => "performance".into(),
        UpscaleMode::UltraPerformance => "ultra_performance".into(),
        UpscaleMode::Custom(ratio) => format!("custom_{ratio}"),
    }
}

/// A camera of the harness: every one renders the same scene in the same frame into its own
/// image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Shot {
    /// Display resolution times the supersampling factor per axis, box-filtered down.
    GroundTruth,
    /// Half the display resolution, no anti-aliasing: the input of the single-frame methods.
    LowRes,
    /// `KanseiUpscale` in `KANSEI_MODES[i]`.
    Kansei(usize),
    /// Bevy's TAA at display resolution.
    Taa,
}

impl Shot {
    /// Every camera the harness spawns.
    pub(crate) fn all() -> Vec<Self> {
        [Self::GroundTruth, Self::LowRes, Self::Taa]
            .into_iter()
            .chain((0..KANSEI_MODES.len()).map(Self::Kansei))
            .collect()
    }
}
