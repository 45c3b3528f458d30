//! [`UpscaleMode`]: how much smaller than the display the camera renders.

use bevy::reflect::Reflect;

/// The ratio between the display and the render resolution, per axis.
///
/// The named modes use the ratios common to DLSS, FSR and Intel's upscaler, so a game's settings menu can
/// offer the names players know. Render resolution is the display viewport divided by the ratio
/// and rounded ([`render_resolution`](super::render_resolution)).
///
/// The default is [`UpscaleMode::Quality`].
#[derive(Debug, Clone, Copy, PartialEq, Default, Reflect)]
pub enum UpscaleMode {
    /// Ratio 1.0: render at display resolution; the pass only sharpens.
    NativeAa,
    /// Ratio 1.5: 44% of the display's pixels.
    #[default]
    Quality,
    /// Ratio 1.7: 35% of the display's pixels.
    Balanced,
    /// Ratio 2.0: a quarter of the display's pixels.
    Performance,
    /// Ratio 3.0: a ninth of the display's pixels.
    UltraPerformance,
    /// Any ratio in [`UpscaleMode::MIN_RATIO`]..=[`UpscaleMode::MAX_RATIO`]. Values outside
    /// are clamped into it with a warning (a NaN counts as 1.0); they never panic.
    Custom(f32),
}

impl UpscaleMode {
    /// The smallest ratio: render at display resolution.
    pub const MIN_RATIO: f32 = 1.0;
    /// The largest ratio: beyond 4x per axis (1/16 of the pixels) too little is left to
    /// reconstruct from.
    pub const MAX_RATIO: f32 = 4.0;

    /// The display-to-render ratio per axis, always in [`Self::MIN_RATIO`]..=[`Self::MAX_RATIO`].
    pub fn ratio(self) -> f32 {
        self.checked_ratio().unwrap_or_else(|clamped| clamped)
    }

    /// The ratio, or `Err(clamped)` when a [`UpscaleMode::Custom`] value lies outside the valid
    /// range (or is NaN) and `clamped` is what [`Self::ratio`] uses instead.
    pub fn checked_ratio(self) -> Result<f32, f32> {
        let ratio = match self {
            Self::NativeAa => 1.0,
            Self::Quality => 1.5,
            Self::Balanced => 1.7,
            Self::Performance => 2.0,
            Self::UltraPerformance => 3.0,
            Self::Custom(ratio) => ratio,
        };
        if (Self::MIN_RATIO..=Self::MAX_RATIO).contains(&ratio) {
            Ok(ratio)
        } else if ratio.is_nan() {
            Err(Self::MIN_RATIO)
        } else {
            Err(ratio.clamp(Self::MIN_RATIO, Self::MAX_RATIO))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_modes_have_the_usual_ratios() {
        let ratios = [
            (UpscaleMode::NativeAa, 1.0),
            (UpscaleMode::Quality, 1.5),
            (UpscaleMode::Balanced, 1.7),
            (UpscaleMode::Performance, 2.0),
            (UpscaleMode::UltraPerformance, 3.0),
        ];
        for (mode, ratio) in ratios {
            assert_eq!(mode.checked_ratio(), Ok(ratio), "{mode:?}");
        }
        assert_eq!(UpscaleMode::default(), UpscaleMode::Quality);
    }

    #[test]
    fn custom_ratios_are_clamped_never_rejected() {
        assert_eq!(UpscaleMode::Custom(1.0).checked_ratio(), Ok(1.0));
        assert_eq!(UpscaleMode::Custom(2.5).checked_ratio(), Ok(2.5));
        assert_eq!(UpscaleMode::Custom(4.0).checked_ratio(), Ok(4.0));
        assert_eq!(UpscaleMode::Custom(0.5).checked_ratio(), Err(1.0));
        assert_eq!(UpscaleMode::Custom(-3.0).checked_ratio(), Err(1.0));
        assert_eq!(UpscaleMode::Custom(9.0).checked_ratio(), Err(4.0));
        assert_eq!(UpscaleMode::Custom(f32::INFINITY).checked_ratio(), Err(4.0));
        assert_eq!(UpscaleMode::Custom(f32::NAN).checked_ratio(), Err(1.0));
        assert_eq!(UpscaleMode::Custom(9.0).ratio(), 4.0);
        assert_eq!(UpscaleMode::Custom(f32::NAN).ratio(), 1.0);
    }
}
